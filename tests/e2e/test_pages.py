"""End-to-end: the real app (``streamlit run app.py``) in headless Chromium.

Each test opens a page in a fresh browser context, waits for the script run to finish and a
plotly chart to render, checks that no traceback (``stException``) is on screen, changes a
sidebar setting, and saves a full-page screenshot (into ``docs/`` for the README only with
``LAB_UPDATE_SCREENSHOTS=1``; see ``conftest.py``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # the browser fixture then skips, or fails under LAB_REQUIRE_BROWSER=1
    PlaywrightTimeoutError = TimeoutError

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# Waits for a rerun after a change; a page's first, cold load (imports, training) gets twice
# as long. LAB_E2E_WAIT_S raises both on a slow or busy machine.
WAIT_MS = int(float(os.environ.get("LAB_E2E_WAIT_S", "60")) * 1000)
LOAD_WAIT_MS = 2 * WAIT_MS
PROGRESS = '[data-testid="stProgress"]'

APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
    '[data-test-script-state="notRunning"]'
)
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
SPINNER = '[data-testid="stSpinner"]'
SKELETON = '[data-testid="stSkeleton"]'  # an element whose code is still loading
EXCEPTION = '[data-testid="stException"]'
ALERT = '[data-testid="stAlert"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
CHART = '[data-testid="stPlotlyChart"]'
PLOTLY = ".js-plotly-plot"
SIDEBAR = '[data-testid="stSidebar"]'
SELECTBOX = '[data-testid="stSelectbox"]'

LATER_PAGES = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            not (ROOT / "pages" / f"{name}.py").exists(),
            reason=f"pages/{name}.py does not exist yet",
        ),
    )
    for name in ("classification", "calibration", "ood")
]


# --- helpers -------------------------------------------------------------------------------


def wait_for_app(page: Any, timeout_ms: int = WAIT_MS) -> None:
    """Wait until the script run is over: app idle and connected, no status widget, no spinner.

    Checked twice, a moment apart, so the gap between a widget change and the rerun it
    triggers is not mistaken for the end of that rerun.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    try:
        for _ in range(2):
            left_ms = max(1_000, int((deadline - time.monotonic()) * 1000))
            page.wait_for_selector(APP_IDLE, state="attached", timeout=left_ms)
            page.wait_for_selector(STATUS_WIDGET, state="detached", timeout=left_ms)
            page.wait_for_selector(SPINNER, state="detached", timeout=left_ms)
            page.wait_for_timeout(300)
    except PlaywrightTimeoutError:
        assert_no_exception(page)
        progress = page.locator(PROGRESS).all_inner_texts()
        pytest.fail(
            f"{page.url} was still running after {timeout_ms / 1000:.0f} s "
            f"(progress: {progress or 'none shown'}). On a busy machine set LAB_E2E_WAIT_S.",
            pytrace=False,
        )


def assert_no_exception(page: Any) -> None:
    """No Streamlit exception box (a traceback) anywhere on the page."""
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        texts = "\n---\n".join(boxes.all_inner_texts())
        pytest.fail(f"The page shows {boxes.count()} exception(s):\n{texts}", pytrace=False)


def assert_no_error(page: Any) -> None:
    """No ``st.error`` box either (what :func:`labui.guard` shows when a run fails)."""
    errors = page.locator(ERROR_ALERT)
    if errors.count():
        pytest.fail(f"The page shows an error: {errors.all_inner_texts()}", pytrace=False)


def wait_for_charts(page: Any, timeout_ms: int = WAIT_MS) -> None:
    """At least one plotly chart is visible, every chart element has drawn its plot and no
    element is still loading its code.

    Each element sits in its own React ``Suspense`` whose placeholder is ``stSkeleton``: a
    page's charts appear one commit at a time once Plotly's module has loaded, so "every chart
    drawn" alone can hold while the second chart is still a placeholder (CI saw one chart of
    the Calibration shoot-out's two, on a busy machine).

    Stops early, failing with its text, when the page shows an exception instead.
    """
    page.wait_for_function(
        """([exception, chart, plot, loading]) => {
            if (document.querySelector(exception)) return true;
            const charts = document.querySelectorAll(chart).length;
            const drawn = [...document.querySelectorAll(plot)].filter(
                el => el.querySelector('.main-svg') && el.getClientRects().length > 0);
            return charts > 0 && drawn.length >= charts && !document.querySelector(loading);
        }""",
        arg=[EXCEPTION, CHART, PLOTLY, SKELETON],
        timeout=timeout_ms,
    )
    assert_no_exception(page)


def open_page(page: Any, path: str) -> None:
    """Go to ``path``, wait for the run to finish and a chart to show; no traceback."""
    page.goto(path, wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(state="visible", timeout=LOAD_WAIT_MS)
    wait_for_app(page, LOAD_WAIT_MS)
    wait_for_charts(page, LOAD_WAIT_MS)
    assert_no_exception(page)


def screenshot(page: Any, folder: Path, name: str) -> Path:
    """Save a full-page PNG of the app as ``folder/<name>.png``.

    Streamlit scrolls inside ``stMain`` (and the sidebar), not the document, so Playwright's
    ``full_page`` would stop at the viewport; the viewport is stretched to the content instead.
    """
    size = page.viewport_size
    height = page.evaluate(
        """() => Math.max(
            ...['stMain', 'stSidebarContent'].map(
                id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))"""
    )
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    page.evaluate("() => document.activeElement?.blur()")  # no focus ring in the picture
    page.mouse.move(size["width"] - 2, 2)  # nor a hover state (e.g. the sidebar's « button)
    try:
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
        page.wait_for_timeout(800)  # let plotly re-lay out to the new size
        wait_for_charts(page)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)
    return path


def sidebar_selectbox(page: Any, label: str | None = None) -> Any:
    """The sidebar select box labelled ``label`` (the first one when ``label`` is None)."""
    boxes = page.locator(f"{SIDEBAR} {SELECTBOX}")
    if label is None:
        return boxes.first
    return boxes.filter(has=page.get_by_text(label, exact=True)).first


def squash(text: str) -> str:
    """``text`` with each run of whitespace as one space, trimmed."""
    return " ".join(text.split())


def selected_text(box: Any) -> str:
    """The option a select box shows, whitespace squashed."""
    return squash(box.get_by_role("combobox").input_value())


def slider_text(page: Any, key: str) -> str | None:
    """The value a sidebar slider with widget key ``key`` shows (``"a.b"`` → ``.st-key-a-b``)."""
    css_key = key.replace(".", "-")
    thumb = page.locator(f"{SIDEBAR} .st-key-{css_key} input[type=range]")
    return thumb.get_attribute("aria-valuetext")


def choose_option(page: Any, box: Any, option: str | int) -> str:
    """Open ``box`` and click the option named ``option`` (or at index ``option``).

    Returns:
        The text of the chosen option.
    """
    listbox = page.get_by_role("listbox")
    combobox = box.get_by_role("combobox")
    for attempt in range(5):  # right after a run the first click can be lost; retry
        if attempt % 2:
            combobox.focus()
            page.keyboard.press("ArrowDown")
        else:
            combobox.click()
        try:
            listbox.wait_for(state="visible", timeout=2_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    else:
        pytest.fail(f"The select box {box.inner_text()!r} did not open.", pytrace=False)
    if isinstance(option, int):
        item = listbox.get_by_role("option").nth(option)
    else:
        item = listbox.get_by_role("option", name=option, exact=True)
    text = squash(item.inner_text())
    item.click()
    return text


# --- tests ---------------------------------------------------------------------------------


def test_home_page(page: Any, screenshot_dir: Path) -> None:
    open_page(page, "/")
    assert_no_error(page)
    assert page.locator("h1").first.inner_text().strip() == "Uncertainty Lab"
    path = screenshot(page, screenshot_dir, "home")
    assert path.stat().st_size > 10_000


def test_regression_page(page: Any, browser: Any, app_url: str, screenshot_dir: Path) -> None:
    # First load with the defaults: the bands chart is there, with no error or traceback.
    open_page(page, "/regression")
    assert_no_error(page)
    bands = page.locator(f".st-key-regression-bands_fig {PLOTLY}")
    bands.wait_for(state="visible", timeout=WAIT_MS)
    assert bands.locator(".main-svg").count() > 0
    screenshot(page, screenshot_dir, "regression")
    assert "?" not in page.url, f"The default settings should leave the URL bare: {page.url}"

    # Change a sidebar setting: the page reruns, still shows a chart, and writes the URL.
    method = sidebar_selectbox(page, "Epistemic method")
    assert selected_text(method) == "Deep ensemble"
    choose_option(page, method, "None (one network)")
    page.wait_for_url(re.compile(r"[?&]method=none(&|$)"), timeout=WAIT_MS)
    wait_for_app(page)
    wait_for_charts(page)
    assert_no_exception(page)
    assert_no_error(page)
    assert selected_text(method) == "None (one network)"
    changed_url = page.url

    # Teacher link: the written URL plus other settings, opened in a fresh session.
    context = browser.new_context(viewport=page.viewport_size, base_url=app_url)
    context.set_default_timeout(WAIT_MS)
    try:
        linked = context.new_page()
        open_page(linked, f"{changed_url}&function=sine&n_points=50")
        assert_no_error(linked)
        function = selected_text(sidebar_selectbox(linked, "True function"))
        assert function.startswith("Sine"), function
        assert selected_text(sidebar_selectbox(linked, "Epistemic method")) == "None (one network)"
        assert slider_text(linked, "regression.n_points") == "50"

        # A bad value in a link: an error naming it, the default used instead, no traceback.
        bad = context.new_page()
        open_page(bad, "/regression?n_points=99999")
        alerts = bad.locator(ALERT).filter(has_text="Got 99999")
        alerts.first.wait_for(state="visible", timeout=WAIT_MS)
        assert bad.locator(ERROR_ALERT).filter(has_text="Got 99999").count() == 1
        assert "n_points" in alerts.first.inner_text()
        assert slider_text(bad, "regression.n_points") == "20"  # the default, used instead
        assert_no_exception(bad)
    finally:
        context.close()


def test_regression_extras_are_built_on_demand(page: Any) -> None:
    # The maths and the bands CSV are made only when asked for; asking works in the browser.
    open_page(page, "/regression")
    assert page.locator(".katex").count() == 0  # the expander is closed: nothing rendered
    page.get_by_text("The maths behind this page", exact=True).click()
    page.locator(".katex").first.wait_for(state="visible", timeout=WAIT_MS)
    wait_for_app(page)
    assert page.locator(".katex").count() == 3
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Download the bands (CSV)").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].split(",")[:3] == ["x", "true_mean", "true_std"]
    assert len(lines) > 100  # one row per grid point, plus the header
    assert_no_exception(page)


@pytest.mark.parametrize("name", LATER_PAGES)
def test_later_page(page: Any, name: str, screenshot_dir: Path) -> None:
    open_page(page, f"/{name}")
    assert_no_error(page)
    box = sidebar_selectbox(page)
    box.wait_for(state="visible")
    chosen = choose_option(page, box, 1)
    page.wait_for_function(
        "([box, text]) => document.querySelector(box)?.value.replace(/\\s+/g, ' ').trim() === text",
        arg=[f"{SIDEBAR} {SELECTBOX} input[role=combobox]", chosen],
        timeout=WAIT_MS,
    )
    wait_for_app(page)
    wait_for_charts(page)
    assert_no_exception(page)
    assert selected_text(box) == chosen
    screenshot(page, screenshot_dir, name)
