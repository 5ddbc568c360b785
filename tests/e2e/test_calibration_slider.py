"""End-to-end: the Calibration page's temperature slider in headless Chromium.

Moves the slider with the keyboard (End → T = 5, the slider's maximum) and checks that the
diagram and the metrics table redraw for the new T with no error, and that the "Fitted T"
button puts the slider back on the fitted value. Uses the session server and browser of
``conftest.py``; takes no screenshot.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_helpers import assert_clean, open_through_home, wait_until_idle

pytestmark = pytest.mark.e2e

WAIT_MS = 90_000
PLOTLY = ".js-plotly-plot"
SLIDER = ".st-key-calibration-temperature input[type=range]"
SLIDER_FIG = f".st-key-calibration-slider_fig {PLOTLY}"


def wait_for_app(page: Any) -> None:
    wait_until_idle(page, WAIT_MS, pause_ms=400)


def test_temperature_slider_redraws_in_the_browser(page: Any) -> None:
    open_through_home(page, "/calibration", WAIT_MS, wait_for_app)
    page.get_by_text("Temperature slider", exact=True).first.click()
    wait_for_app(page)
    page.locator(SLIDER_FIG).wait_for(state="visible", timeout=WAIT_MS)
    assert_clean(page)

    page.locator(SLIDER).focus()
    page.keyboard.press("End")
    wait_for_app(page)
    assert_clean(page)
    assert page.locator(SLIDER).get_attribute("aria-valuetext") == "5.00"
    # The metrics table (a canvas grid) names its new column in an accessible header.
    page.locator("th", has_text="T = 5.00").first.wait_for(state="attached", timeout=WAIT_MS)
    assert page.locator(SLIDER_FIG).locator(".main-svg").count() > 0
    assert "Plain CE · T = 5.00" in page.locator(SLIDER_FIG).inner_text()

    fitted = page.get_by_role("button", name=re.compile(r"^Fitted T = \d+\.\d\d$"))
    value = fitted.inner_text().strip().removeprefix("Fitted T = ")
    fitted.click()
    wait_for_app(page)
    assert_clean(page)
    assert page.locator(SLIDER).get_attribute("aria-valuetext") == value
