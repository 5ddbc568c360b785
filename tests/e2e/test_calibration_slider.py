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

pytestmark = pytest.mark.e2e

WAIT_MS = 90_000
APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
    '[data-test-script-state="notRunning"]'
)
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
PLOTLY = ".js-plotly-plot"
SLIDER = ".st-key-calibration-temperature input[type=range]"
SLIDER_FIG = f".st-key-calibration-slider_fig {PLOTLY}"


def wait_for_app(page: Any) -> None:
    """The script run is over (checked twice, so a rerun just triggered is not missed)."""
    for _ in range(2):
        page.wait_for_selector(APP_IDLE, state="attached", timeout=WAIT_MS)
        page.wait_for_selector(STATUS_WIDGET, state="detached", timeout=WAIT_MS)
        page.wait_for_timeout(400)


def assert_clean(page: Any) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).all_inner_texts()
    assert page.locator(ERROR_ALERT).count() == 0, page.locator(ERROR_ALERT).all_inner_texts()


def test_temperature_slider_redraws_in_the_browser(page: Any) -> None:
    page.goto("/", wait_until="domcontentloaded")  # the app shell first, so st.navigation runs
    wait_for_app(page)
    page.goto("/calibration", wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(state="visible", timeout=WAIT_MS)
    wait_for_app(page)
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
