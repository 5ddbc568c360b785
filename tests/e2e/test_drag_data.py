"""End-to-end: drag data into the Regression page's bands chart in headless Chromium.

Opens /regression (short training through the URL), picks "Add points" in the "On the chart"
control (the chart opens in "Look" mode, where a drag does nothing), drags a box with the mouse
across an x range of the bands chart, waits for the rerun, and checks that the URL now holds
``add_regions`` and the caption counts the added points. Then opens that
URL in a fresh browser context (a new session, nothing shared) and checks that the same number
of training points is shown. Uses the session server and browser of ``conftest.py``.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from e2e_helpers import (
    assert_clean,
    fresh_context_page,
    open_through_home,
    wait_until_idle,
)

pytestmark = pytest.mark.e2e

WAIT_MS = int(float(os.environ.get("LAB_E2E_WAIT_S", "90")) * 1000)
BANDS = ".st-key-regression-bands_fig .js-plotly-plot"
DRAG_LAYER = f"{BANDS} .nsewdrag"  # plotly's drag surface over the plotting area
COUNT = re.compile(r"Training points: (\d+) \((.*?)\)\.")
CHART_MODES = {"Look": "look", "Add points": "add", "Remove points": "remove"}


def wait_for_app(page: Any) -> None:
    wait_until_idle(page, WAIT_MS, pause_ms=500)


def open_regression(page: Any, path: str) -> None:
    open_through_home(page, path, WAIT_MS, wait_for_app)
    page.locator(BANDS).wait_for(state="visible", timeout=WAIT_MS)
    assert_clean(page)


def choose_chart_mode(page: Any, option: str) -> None:
    """Pick what a drag or click on the bands chart does, in the "On the chart" segmented
    control (found by its label), and wait until the page has rerun in that mode."""
    label = page.locator('[data-testid="stWidgetLabel"]').filter(has_text="On the chart")
    control = page.locator('[data-testid="stButtonGroup"]').filter(has=label)
    assert control.count() == 1, "no 'On the chart' control on the page"
    button = control.locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(option)}\s*$"))
    assert button.count() == 1, control.inner_text()
    if button.get_attribute("aria-checked") != "true":  # a click on the chosen one unsets it
        button.click()
    if CHART_MODES[option] == "look":  # the default: the link leaves it out
        page.wait_for_function("() => !/[?&]chart=/.test(location.search)", timeout=WAIT_MS)
    else:
        page.wait_for_url(re.compile(rf"[?&]chart={CHART_MODES[option]}(&|$)"), timeout=WAIT_MS)
    wait_for_app(page)
    assert button.get_attribute("aria-checked") == "true"
    page.locator(BANDS).wait_for(state="visible", timeout=WAIT_MS)


def training_count(page: Any) -> tuple[int, str]:
    """The count caption under the chart: (total, its breakdown)."""
    caption = page.get_by_text(COUNT).first
    caption.wait_for(state="visible", timeout=WAIT_MS)
    match = COUNT.search(caption.inner_text())
    assert match, caption.inner_text()
    return int(match.group(1)), match.group(2)


def test_a_box_drag_adds_points_and_the_link_reproduces_them(
        page: Any, browser: Any, app_url: str) -> None:
    open_regression(page, "/regression?steps=200")
    assert training_count(page) == (20, "20 generated")
    choose_chart_mode(page, "Add points")

    # Drag a box from 20 % to 38 % of the plotting area's width (x ≈ −3.6 … −1.4 on [−6, 6]).
    surface = page.locator(DRAG_LAYER).first
    surface.scroll_into_view_if_needed()
    box = surface.bounding_box()
    assert box is not None and box["width"] > 200, box
    y0, y1 = box["y"] + 0.2 * box["height"], box["y"] + 0.8 * box["height"]
    page.mouse.move(box["x"] + 0.20 * box["width"], y0)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.30 * box["width"], (y0 + y1) / 2, steps=8)
    page.mouse.move(box["x"] + 0.38 * box["width"], y1, steps=8)
    page.mouse.up()

    page.wait_for_url(re.compile(r"[?&]add_regions="), timeout=WAIT_MS)
    wait_for_app(page)
    assert_clean(page)
    regions = parse_qs(urlparse(page.url).query)["add_regions"][0]
    x0, x1, n = regions.split(":")
    assert -4.5 < float(x0) < float(x1) < 0.0 and n == "20", regions
    total, parts = training_count(page)
    assert total == 40 and parts == "20 generated + 20 added by dragging", (total, parts)
    page.get_by_text("Notice: the epistemic band").first.wait_for(state="visible",
                                                                   timeout=WAIT_MS)
    shared = page.url

    # The link alone, in a new session: the same points.
    with fresh_context_page(browser, app_url, WAIT_MS, viewport=page.viewport_size) as fresh:
        open_regression(fresh, shared)
        assert parse_qs(urlparse(fresh.url).query)["add_regions"][0] == regions
        assert training_count(fresh) == (total, parts)
        added = fresh.locator(BANDS).get_by_text("added points")
        assert added.count() >= 1  # the legend names the added points
