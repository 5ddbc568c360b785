"""In front of a class, in a real browser: presentation mode, the new method views and
watching a network learn (the "Python script" download of every page: test_in_the_room_inputs).

Screenshots go to a temporary folder, or to ``docs/`` with ``LAB_UPDATE_SCREENSHOTS=1`` (the
README's pictures).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_pages import (  # the e2e helpers live with the page tests
    CHART,
    LOAD_WAIT_MS,
    SIDEBAR,
    assert_no_error,
    open_page,
    screenshot,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e

NOTICE_CALLOUT = '[data-testid="stAlertContentInfo"]'


def _sidebar_collapsed(page: Any) -> str | None:
    return page.locator(SIDEBAR).first.get_attribute("data-collapsed")


def test_presentation_mode_collapses_the_sidebar_and_enlarges_the_page(
        page: Any, screenshot_dir: Path) -> None:
    open_page(page, "/regression?present=1&hide=seed,steps,lr,hidden,n_layers,batch_size,"
                    "early_stopping,members,dropout,mc_samples,beta,x_noise")
    assert_no_error(page)
    assert _sidebar_collapsed(page) == "true"
    root_px = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root_px >= 20  # Streamlit's own is 16 px
    # The notices are callouts, and the settings the teacher left visible sit above the chart.
    assert page.locator(NOTICE_CALLOUT).count() >= 1
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("Training points", exact=True).count() >= 1
    screenshot(page, screenshot_dir, "present")

    # Off again (the same page without present=1): the sidebar is back and text is normal.
    open_page(page, "/regression")
    assert _sidebar_collapsed(page) == "false"
    root_px = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root_px < 20


@pytest.mark.parametrize(("view", "name", "heading"), [
    ("calibrators", "calibration_shootout", "Isotonic"),
    ("conformal", "calibration_conformal", "coverage"),
])
def test_the_calibration_methods_views_render(page: Any, view: str, name: str, heading: str,
                                              screenshot_dir: Path) -> None:
    open_page(page, f"/calibration?view={view}")
    wait_for_charts(page, LOAD_WAIT_MS)
    assert_no_error(page)
    assert page.locator(CHART).count() >= 2
    assert re.search(heading, page.locator('[data-testid="stMain"]').inner_text(), re.I)
    screenshot(page, screenshot_dir, name)


def test_train_live_draws_frames_while_the_networks_learn(page: Any,
                                                          screenshot_dir: Path) -> None:
    open_page(page, "/regression?live=1&steps=2000")
    assert_no_error(page)
    page.get_by_role("button", name="▶ Train live").click()
    main = page.locator('[data-testid="stMain"]')
    seen: list[int] = []
    for _ in range(600):  # poll the step counter while the script runs
        match = re.search(r"step (\d+) of 2000", main.inner_text())
        if match and (not seen or int(match.group(1)) != seen[-1]):
            seen.append(int(match.group(1)))
        if seen and seen[-1] == 2000:
            break
        page.wait_for_timeout(50)
    wait_for_app(page)
    assert_no_error(page)
    intermediate = [s for s in seen if s < 2000]
    assert len(intermediate) >= 3, seen  # several frames drawn before the end
    assert seen == sorted(seen) and seen[-1] == 2000, seen
    # Afterwards the replay slider scrubs the recorded frames: back to an early one.
    slider = main.locator('[data-testid="stSlider"]').filter(has_text="Replay: step")
    slider.get_by_role("slider").focus()
    for _ in range(30):
        page.keyboard.press("ArrowLeft")
    wait_for_app(page)
    early = int(re.search(r"step (\d+) of 2000", main.inner_text()).group(1))
    assert early < 2000
    wait_for_charts(page)
    screenshot(page, screenshot_dir, "regression_live")


@pytest.mark.parametrize(("query", "name", "legend"), [
    ("function=sine&noise_shape=growing&n_points=300&method=none&quantile_band=true",
     "regression_cqr", "CQR"),
    ("function=sine&gap_width=2.5&n_points=100&steps=2000&gp_reference=true",
     "regression_gp", "Gaussian process"),
])
def test_the_regression_interval_and_reference_bands_render(
        page: Any, query: str, name: str, legend: str, screenshot_dir: Path) -> None:
    open_page(page, f"/regression?{query}")
    wait_for_charts(page, LOAD_WAIT_MS)
    assert_no_error(page)
    bands = page.locator(f".st-key-regression-bands_fig {CHART}")
    assert legend.lower() in bands.inner_text().lower()
    screenshot(page, screenshot_dir, name)


def test_the_uncertainty_xray_renders(page: Any, screenshot_dir: Path) -> None:
    open_page(page, "/regression?chart=xray&xray=-5")
    wait_for_charts(page, LOAD_WAIT_MS)
    assert_no_error(page)
    assert page.get_by_text("Where the band's variance at x = -5 comes from").is_visible()
    titles = page.locator(f"{CHART} .gtitle").all_text_contents()
    assert "Uncertainty X-ray at x = -5 (beyond the data)" in titles
    screenshot(page, screenshot_dir, "regression_xray")
