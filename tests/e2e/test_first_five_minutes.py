"""A class's first five minutes, in a real browser: a teacher's quiz link is the very first
request a freshly started server gets.

For each page a new ``streamlit run app.py`` is started and its first visitor opens a deep
teacher link with ``quiz=1``. The navigation must list the lab's page titles (not the file
names of ``pages/``), the page must land on its quiz, and no chart may show before Reveal;
after Reveal the student is told whether the prediction was right.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from labserve.app_server import AppStartError, running_app

pytestmark = pytest.mark.e2e

APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
    '[data-test-script-state="notRunning"]'
)
CHART = '[data-testid="stPlotlyChart"]'
PROGRESS = '[data-testid="stProgress"]'
VIEW_TAB_SELECTED = 'button[data-variant="segmented_control"][aria-checked="true"]'
EXCEPTION = '[data-testid="stException"]'
NAV = ".st-key-lab_nav"  # the lab's own page list (labui/nav.py)
TITLES = ["Home", "Regression", "Classification", "Calibration", "Out of distribution"]

# page path, query of the teacher link, the landing view's label, the right answer
LINKS = {
    "regression": ("preset=S3+%C2%B7+Add+points+inside+the+gap&quiz=1&hide=seed",
                   "Would more data help?", "Only the epistemic band"),
    "classification": ("quiz=1", "Reject uncertain", "It rises"),
    "calibration": ("quiz=1", "Temperature slider", "It stays exactly the same"),
    "ood": ("quiz=1", "Distribution shift", "Falls, but much less than accuracy"),
}


@contextlib.contextmanager
def fresh_server() -> Iterator[str]:
    """A newly started ``streamlit run app.py`` that no browser has visited; yields its URL."""
    try:
        with running_app(timeout_s=90.0) as app:
            yield app.url
    except AppStartError as exc:
        pytest.fail(str(exc))


def _settle(page: Any, timeout_ms: int = 240_000) -> None:
    """Wait until the script has finished and stayed finished for a while.

    The first run may hand over to ``app.py`` and rerun, and training shows a progress bar, so
    one idle moment is not enough: wait for two idle checks 1.5 s apart with no progress bar.
    """
    page.wait_for_selector(NAV, timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    quiet = 0
    while quiet < 2:
        if time.monotonic() > deadline:
            raise AssertionError("the page never finished running")
        page.wait_for_timeout(1_500)
        idle = page.locator(APP_IDLE).count() == 1 and page.locator(PROGRESS).count() == 0
        quiet = quiet + 1 if idle else 0


@pytest.mark.parametrize("path", list(LINKS))
def test_a_quiz_link_as_the_first_request_to_a_fresh_server(browser: Any, path: str) -> None:
    query, view_label, answer = LINKS[path]
    with fresh_server() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{url}/{path}?{query}")
            _settle(page)
            nav = page.locator(NAV).inner_text()
            assert all(title in nav for title in TITLES), nav
            assert "app" not in nav.split()  # the main script is never listed as a page
            assert page.locator(EXCEPTION).count() == 0
            active = page.locator(VIEW_TAB_SELECTED).first
            assert active.inner_text().strip() == view_label
            assert page.get_by_text("Predict first:").filter(visible=True).count() == 1
            assert page.locator(CHART).count() == 0  # nothing that answers the question yet

            page.get_by_text(answer, exact=True).filter(visible=True).click()
            _settle(page)
            page.get_by_role("button", name="Reveal").filter(visible=True).click()
            _settle(page)
            assert page.get_by_text("✓ Right").filter(visible=True).count() == 1
            page.wait_for_selector(CHART, timeout=240_000)
            assert page.locator(EXCEPTION).count() == 0
        finally:
            context.close()


def test_home_as_the_first_request_lists_the_pages_and_leads_with_charts(browser: Any) -> None:
    with fresh_server() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{url}/?distribution=laplace")
            _settle(page)
            page.wait_for_selector(CHART, timeout=120_000)
            nav = page.locator(NAV).inner_text()
            assert all(title in nav for title in TITLES), nav
            first_chart = page.locator(CHART).first.bounding_box()
            assert first_chart is not None and first_chart["y"] < 1000  # on the first screen
            outside = [u for u in requests
                       if not u.startswith((url, "data:", "blob:", "about:"))]
            assert outside == []  # no font, icon or script from anywhere else
        finally:
            context.close()
