"""End-to-end: every chart says what it shows to a screen reader (issue #28).

On a lab page at 1280×720 (a classroom projector) each Plotly chart element
(``[data-testid="stPlotlyChart"]``) must carry an accessible name (``aria-label``, the figure's
title) and an ``aria-describedby`` that points at an element whose text describes the chart
with its numbers: the text of the chart's "Chart as text" expander, which a sighted user can
open. Both are set in the browser by the script :func:`labui.figures.show_figure` adds once per
run, so the test also checks that they come back after a rerun (a new view).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from e2e_helpers import PROJECTOR, fresh_context_page, open_through_home
from test_pages import (
    LOAD_WAIT_MS,
    PlaywrightTimeoutError,
    assert_no_exception,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e

LABELLED_MS = 30_000  # the script labels charts a frame after they draw; slack for a busy machine

# Per chart: its key (from the container's class), aria-label, role, and the text of the
# element aria-describedby names ("" when the id names nothing).
CHART_NAMES = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(el => {
    const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const text = ids.map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
    const box = el.closest('[class*="st-key-"]');
    return {key: box ? box.className.match(/st-key-\\S+/)[0] : '?', role: el.getAttribute('role'),
            label: (el.getAttribute('aria-label') || '').trim(), description: text.trim()};
})"""
ALL_NAMED = f"""() => {{
    const charts = ({CHART_NAMES})();
    return charts.length > 0 && charts.every(c => c.label && c.description);
}}"""


def chart_names(page: Any) -> list[dict[str, str]]:
    """Every chart's name and description, once each chart has both (or after a timeout)."""
    with contextlib.suppress(PlaywrightTimeoutError):  # the asserts then say what is missing
        page.wait_for_function(ALL_NAMED, timeout=LABELLED_MS)
    return page.evaluate(CHART_NAMES)


def assert_named(charts: list[dict[str, str]]) -> None:
    assert charts, "no chart on the page"
    unnamed = [c for c in charts if not (c["label"] and c["description"])]
    assert unnamed == [], f"charts without an accessible name or description: {unnamed}"
    for chart in charts:
        assert chart["role"] == "figure", chart
        assert chart["label"] != "Chart", f"{chart['key']} has no title"
        assert any(ch.isdigit() for ch in chart["description"]), chart


@pytest.mark.parametrize("path", ["/regression", "/calibration"])
def test_every_chart_has_an_accessible_name_and_description(browser: Any, app_url: str,
                                                             path: str) -> None:
    with fresh_context_page(browser, app_url, LOAD_WAIT_MS, viewport=PROJECTOR) as page:
        open_through_home(page, path, LOAD_WAIT_MS, wait_for_app)
        wait_for_charts(page, LOAD_WAIT_MS)
        assert_no_exception(page)
        assert_named(chart_names(page))

        # The same text a sighted user opens below the chart.
        first = page.locator('[class*="st-key-labui_figure-"]').first
        first.get_by_text("Chart as text").click()
        shown = first.locator('[data-testid="stExpanderDetails"]').inner_text()
        assert chart_names(page)[0]["description"] in " ".join(shown.split())


def test_charts_stay_named_after_a_rerun(browser: Any, app_url: str) -> None:
    with fresh_context_page(browser, app_url, LOAD_WAIT_MS, viewport=PROJECTOR) as page:
        open_through_home(page, "/regression", LOAD_WAIT_MS, wait_for_app)
        wait_for_charts(page, LOAD_WAIT_MS)
        before = chart_names(page)
        page.get_by_text("MSE vs NLL", exact=True).first.click()
        wait_for_app(page, LOAD_WAIT_MS)
        wait_for_charts(page, LOAD_WAIT_MS)
        assert_no_exception(page)
        after = chart_names(page)
        assert_named(after)
        assert [c["key"] for c in after] != [c["key"] for c in before]
