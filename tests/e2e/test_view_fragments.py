"""End-to-end: a view's own control reruns the view alone, and what must run the whole page
still does (labui.page.draw_view), in headless Chromium at a projector's size (1280×720).

A server of its own logs each run of the whole page ("running the whole page",
``LAB_LOG_LEVEL=INFO``), so a test can tell a run of the view's fragment (no new line) from a
run of the page:

- the Calibration temperature slider redraws its diagram, its table and the URL without the
  page running again;
- with the teacher link open, the same key press runs the whole page and the link carries it;
- Stop interrupts a live training on the Regression page (a fragment's button would wait for
  the training to end), and the drawn step is short of the last one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import PROJECTOR, assert_clean, wait_until_idle

from labserve.app_server import AppStartError, running_app

pytestmark = pytest.mark.e2e

WAIT_MS = 90_000
PAGE_RUN = "running the whole page"
SLIDER = ".st-key-calibration-temperature input[type=range]"
SLIDER_FIG = ".st-key-calibration-slider_fig .js-plotly-plot"


@pytest.fixture(scope="module")
def app() -> Iterator[Any]:
    try:
        with running_app(extra_env={"LAB_LOG_LEVEL": "INFO", "LAB_WARM": "0"}) as running:
            yield running
    except AppStartError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def page(browser: Any, app: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PROJECTOR, base_url=app.url)
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def page_runs(app: Any) -> int:
    return app.read_log().count(PAGE_RUN)


def wait_for_app(page: Any) -> None:
    wait_until_idle(page, WAIT_MS, pause_ms=500)


def open_page(page: Any, path: str) -> None:
    page.goto("/")
    wait_for_app(page)
    page.goto(path)
    page.locator("h1").first.wait_for(state="visible")
    wait_for_app(page)
    assert_clean(page)


def press_on_temperature(page: Any, key: str, title: str) -> None:
    """Press ``key`` on the temperature slider and wait for the diagram titled ``title``."""
    page.locator(SLIDER).focus()
    page.keyboard.press(key)
    page.locator(SLIDER_FIG).filter(has_text=title).wait_for(state="visible")
    wait_for_app(page)
    assert_clean(page)


def test_the_temperature_slider_redraws_its_view_without_running_the_page(
        page: Any, app: Any) -> None:
    open_page(page, "/calibration?view=temperature")
    page.locator(SLIDER_FIG).filter(has_text="Plain CE · T = 1.00").wait_for(state="visible")
    runs = page_runs(app)
    assert runs > 0, app.read_log()[-2000:]

    press_on_temperature(page, "ArrowRight", "Plain CE · T = 1.01")
    page.locator("th", has_text="T = 1.01").first.wait_for(state="attached")
    assert re.search(r"[?&]T=1\.01(&|$)", page.url), page.url  # the link keeps the view
    press_on_temperature(page, "ArrowRight", "Plain CE · T = 1.02")
    assert page_runs(app) == runs, "a move of the view's slider ran the whole page"
    # what is outside the view is still there, as it was
    assert page.get_by_role("heading", name=re.compile("^Calibration")).is_visible()
    assert page.locator('[data-testid="stSidebar"]').get_by_text("Label smoothing").count() > 0


def test_with_the_teacher_link_open_the_link_follows_the_slider(page: Any, app: Any) -> None:
    open_page(page, "/calibration?view=temperature")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Teacher link", exact=True).click()
    wait_for_app(page)
    link = sidebar.locator('[data-testid="stCode"]').first
    link.wait_for(state="visible")
    assert "T=" not in link.inner_text()
    runs = page_runs(app)

    press_on_temperature(page, "ArrowRight", "Plain CE · T = 1.01")
    assert page_runs(app) > runs
    assert re.search(r"[?&]T=1\.01(&|$)", link.inner_text()), link.inner_text()


def test_stop_interrupts_a_live_training(page: Any, app: Any) -> None:
    open_page(page, "/regression?live=1&steps=3000")
    page.get_by_role("button", name="▶ Train live").click()
    counter = page.get_by_text(re.compile(r"^step \d+ of 3000$"))
    counter.first.wait_for(state="visible")
    page.get_by_role("button", name="■ Stop").click()
    wait_for_app(page)
    assert_clean(page)
    step = int(re.search(r"step (\d+) of", page.get_by_text(
        re.compile(r"^step \d+ of 3000$")).first.inner_text()).group(1))
    assert step < 3000, "Stop did not interrupt the training"
    # the replay slider holds the frames drawn before Stop
    assert page.get_by_text("Replay: step").is_visible()
