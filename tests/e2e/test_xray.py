"""End-to-end: the uncertainty X-ray on the Regression page, on a projector and on a phone.

In the chart's X-ray mode the X-ray opens beyond the data (x = −5); a click (on the phone a
tap, which shows the value, and a second tap, which picks it) on the predicted-mean curve near
x = 2 moves it there: its figure's title and the
split's table change, and the URL keeps the new x. Uses the session server and browser of
``conftest.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_helpers import PHONE_CONTEXT, assert_clean, fresh_context_page
from test_drag_data import BANDS, WAIT_MS, open_regression, wait_for_app

pytestmark = pytest.mark.e2e

# On a phone the title takes two lines, broken before "(" (labui.phone_figures), and the
# drawn lines' text runs together.
XRAY_TITLE = re.compile(r"Uncertainty X-ray at x = (-?[\d.]+) ?\(([a-z ]+)\)")


def xray_title(page: Any) -> tuple[float, str]:
    """The X-ray figure's title, read from the drawn chart: (x, where)."""
    title = page.locator(".js-plotly-plot .gtitle").filter(has_text=XRAY_TITLE).first
    title.wait_for(state="visible", timeout=WAIT_MS)
    match = XRAY_TITLE.search(title.text_content())
    return float(match.group(1)), match.group(2)


def mean_curve_point(page: Any, x: float) -> tuple[float, float]:
    """Page coordinates of the predicted mean at (the grid point nearest) ``x`` on the bands
    chart, from Plotly's own axes."""
    return page.eval_on_selector(BANDS, """(gd, x) => {
        const trace = gd._fullData.find(t => t.name === 'predicted mean');
        const xs = Array.from(trace.x), ys = Array.from(trace.y);
        let i = 0;
        xs.forEach((v, j) => { if (Math.abs(v - x) < Math.abs(xs[i] - x)) i = j; });
        const L = gd._fullLayout, box = gd.getBoundingClientRect();
        return [box.left + L._size.l + L.xaxis.l2p(xs[i]),
                box.top + L._size.t + L.yaxis.l2p(ys[i])];
    }""", x)


def check_xray_follows_a_pick(page: Any, tap: bool) -> None:
    open_regression(page, "/regression?steps=200&chart=xray")
    assert xray_title(page) == (-5.0, "beyond the data")
    assert page.get_by_text("Where the band's variance at x = -5 comes from").is_visible()
    page.locator(BANDS).scroll_into_view_if_needed()
    px, py = mean_curve_point(page, 2.0)
    if tap:  # Plotly on a touch screen: the first tap shows the value, the second picks it
        page.touchscreen.tap(px, py)
        page.wait_for_timeout(500)
        page.touchscreen.tap(px, py)
    else:
        page.mouse.click(px, py)
    page.wait_for_url(re.compile(r"[?&]xray=[\d.]+(&|$)"), timeout=WAIT_MS)
    wait_for_app(page)
    x, where = xray_title(page)
    # The point under the pointer: the mean curve's, or a training point's on a narrow phone.
    assert abs(x - 2.0) < 0.2 and where == "among the data"
    assert_clean(page)


def test_a_click_on_the_projector_moves_the_xray(browser: Any, app_url: str) -> None:
    with fresh_context_page(browser, app_url, WAIT_MS,
                            viewport={"width": 1280, "height": 720}) as page:
        check_xray_follows_a_pick(page, tap=False)


def test_a_tap_on_a_phone_moves_the_xray(browser: Any, app_url: str) -> None:
    with fresh_context_page(browser, app_url, WAIT_MS, **PHONE_CONTEXT) as page:
        check_xray_follows_a_pick(page, tap=True)
