"""The "A/B · seeds" view in a real browser: a shared comparison link on a projector in
presentation mode, and the view driven by taps on a phone.

On the projector (1280×720, ``?present=1``) a person must see A and B at once: the A/B chart
whole on one screen (after at most the scroll that brings it into view), with its legend's
"A: …" and "B: …" entries inside the viewport and not covered by anything, and the table of A
and B rendered with their numbers. Measured in the browser (``getBoundingClientRect`` and
``elementFromPoint``). The full-page screenshot goes to a temporary folder, or to
``docs/whatif.png`` with ``LAB_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import PHONE_CONTEXT, PROJECTOR, fresh_context_page

sys.path.insert(0, str(Path(__file__).parent))
from test_pages import (  # the e2e helpers live with the page tests
    LOAD_WAIT_MS,
    SIDEBAR,
    WAIT_MS,
    assert_no_error,
    open_page,
    screenshot,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e

PHONE_2X = {**PHONE_CONTEXT, "device_scale_factor": 2}
AB_CHART = ".st-key-regression-ab_fig"
DATAFRAME = '[data-testid="stDataFrame"]'
# The lecture's pair "S2 · MSE vs Gaussian NLL, noise growing with |x|" (B, then A = MSE) over
# 5 seeds: what a teacher's shared comparison opens on (and the README's screenshot).
SHARED = ("/regression?view=compare&function=sine&noise_shape=growing&n_points=300&method=none"
          "&a=function%3Dsine%26noise_shape%3Dgrowing%26n_points%3D300%26loss%3Dmse"
          "%26method%3Dnone&repeat=5")
SLACK_PX = 1

# What a person sees of the A/B chart: its drawing's box, and every legend entry's box with
# whether the entry's own text is the topmost thing at its centre (nothing covers it).
SEEN = """(chart) => {
    const box = el => { const r = el.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
    const root = document.querySelector(chart);
    const svg = root.querySelector('.main-svg');
    return {
        viewport: {width: window.innerWidth, height: window.innerHeight},
        svg: box(svg),
        legend: [...root.querySelectorAll('.legend .traces')].map(entry => {
            const text = entry.querySelector('.legendtext');
            const b = box(text);
            const x = (b.left + b.right) / 2, y = (b.top + b.bottom) / 2;
            const top = document.elementFromPoint(x, y);
            return {text: text.textContent, ...b,
                    visible: !!top && (entry.contains(top) || root.contains(top))};
        }),
    };
}"""

# The data frame's header and cells (Glide's accessible table behind the canvas).
TABLE = """(frame) => {
    const d = document.querySelector(frame);
    return {heads: [...d.querySelectorAll('[role=columnheader]')].map(e => e.textContent),
            cells: [...d.querySelectorAll('[role=gridcell]')].map(e => e.textContent)};
}"""

# Whether anything makes the page scroll sideways: the document, or the main area.
OVERFLOW = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return {doc: document.documentElement.scrollWidth - window.innerWidth,
            main: main.scrollWidth - main.clientWidth};
}"""


def _inside(b: dict[str, float], view: dict[str, int]) -> bool:
    return (b["top"] >= -SLACK_PX and b["bottom"] <= view["height"] + SLACK_PX
            and b["left"] >= -SLACK_PX and b["right"] <= view["width"] + SLACK_PX)


def _px(b: dict[str, float]) -> str:
    return f"x {b['left']:.0f}–{b['right']:.0f}, y {b['top']:.0f}–{b['bottom']:.0f}"


def _problems(seen: dict[str, Any]) -> list[str]:
    """What keeps a person from seeing A and B at once on this screen."""
    view, problems = seen["viewport"], []
    if not _inside(seen["svg"], view):
        problems.append(f"the A/B chart ({_px(seen['svg'])}) is not whole on the "
                        f"{view['width']}×{view['height']} screen")
    for who in ("A", "B"):
        entries = [e for e in seen["legend"] if e["text"].startswith(f"{who}: ")]
        if not entries:
            problems.append(f"no legend entry for {who}: {[e['text'] for e in seen['legend']]}")
        for e in entries:
            if not _inside(e, view):
                problems.append(f"legend entry {e['text']!r} ({_px(e)}) is off the screen")
            elif not e["visible"]:
                problems.append(f"legend entry {e['text']!r} ({_px(e)}) is covered")
    return problems


def _a_and_b_table(page: Any) -> dict[str, list[str]]:
    frame = page.locator(DATAFRAME).first
    frame.wait_for(state="visible", timeout=WAIT_MS)
    frame.scroll_into_view_if_needed()
    page.wait_for_function(
        "(frame) => document.querySelectorAll(`${frame} [role=gridcell]`).length > 0",
        arg=DATAFRAME, timeout=WAIT_MS)
    return page.evaluate(TABLE, DATAFRAME)


def test_presentation_mode_shows_a_and_b_at_once_on_a_projector(
        browser: Any, app_url: str, screenshot_dir: Path) -> None:
    with fresh_context_page(browser, app_url, WAIT_MS, viewport=PROJECTOR) as page:
        open_page(page, f"{SHARED}&present=1")
        assert_no_error(page)
        assert page.locator(SIDEBAR).first.get_attribute("data-collapsed") == "true"
        page.locator(f"{AB_CHART} .main-svg").first.wait_for(state="visible")
        page.wait_for_timeout(500)  # let plotly finish laying out its legend
        page.mouse.move(PROJECTOR["width"] - 2, PROJECTOR["height"] - 2)
        seen = page.evaluate(SEEN, AB_CHART)
        problems = _problems(seen)
        if problems:  # the scroll a person would make to bring the chart into view
            page.locator(AB_CHART).evaluate("el => el.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(300)
            seen = page.evaluate(SEEN, AB_CHART)
            problems = _problems(seen)
        assert not problems, "\n".join(problems)

        table = _a_and_b_table(page)
        assert table["heads"][:3] == ["number", "A", "B"], table["heads"]
        width = len(table["heads"])
        rows = [table["cells"][i:i + width] for i in range(0, len(table["cells"]), width)]
        assert rows[0][0] == "test NLL" and all(r[1] and r[2] for r in rows), rows
        assert all(re.fullmatch(r"-?\d+\.\d{3}( nats)?", r[k]) for r in rows for k in (1, 2))
        assert_no_error(page)
        page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')"
                      ".scrollTo(0, 0)")
        screenshot(page, screenshot_dir, "whatif")


def test_on_a_phone_the_view_works_by_taps_and_fits_the_width(browser: Any, app_url: str,
                                                              tmp_path: Path) -> None:
    with fresh_context_page(browser, app_url, WAIT_MS, **PHONE_2X) as page:
        # No A yet, so no chart: wait for the run, not for a chart.
        page.goto("/regression?view=compare&steps=200", wait_until="domcontentloaded")
        page.locator("h1").first.wait_for(state="visible", timeout=LOAD_WAIT_MS)
        wait_for_app(page, LOAD_WAIT_MS)
        assert_no_error(page)
        main = page.locator('[data-testid="stMain"]')
        main.get_by_role("button", name=re.compile(r"Pin .*as A")).tap()
        page.wait_for_url(re.compile(r"[?&]a=steps(%3D|=)200(&|$)"), timeout=WAIT_MS)
        wait_for_app(page)
        # A lecture comparison sets A and B in one more tap.
        main.get_by_role("button", name=re.compile("Lecture comparisons")).tap()
        pair = page.get_by_role("button", name=re.compile(r"^S2 · MSE vs Gaussian NLL"))
        pair.wait_for(state="visible", timeout=WAIT_MS)
        pair.tap()
        page.wait_for_url(re.compile(r"[?&]a=[^&]*loss(%3D|=)mse"), timeout=WAIT_MS)
        wait_for_app(page, LOAD_WAIT_MS)
        page.keyboard.press("Escape")  # close the popover, if it stayed open
        wait_for_charts(page, LOAD_WAIT_MS)
        assert_no_error(page)
        # The pair set B (the page's settings) as well as A: they differ in the loss alone.
        differs = main.get_by_text(re.compile(r"^A and B differ in "))
        assert re.fullmatch(r"A and B differ in Loss[^;]*\(A: [^;]*, B: [^;]*\)\.",
                            differs.inner_text().strip()), differs.inner_text()

        chart = page.locator(AB_CHART)
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        names = chart.locator(".legendtext").all_text_contents()
        assert any(n.startswith("A: ") for n in names), names
        assert any(n.startswith("B: ") for n in names), names
        assert chart.locator(".scatterlayer .trace").count() >= 4  # both runs are drawn
        box = chart.bounding_box()
        assert box is not None and box["x"] >= -SLACK_PX
        assert box["x"] + box["width"] <= PHONE_2X["viewport"]["width"] + SLACK_PX, box
        table = _a_and_b_table(page)
        assert table["heads"][:3] == ["number", "A", "B"], table["heads"]

        overflow = page.evaluate(OVERFLOW)
        page.screenshot(path=str(tmp_path / "whatif_phone.png"), full_page=True)
        assert overflow["doc"] <= SLACK_PX and overflow["main"] <= SLACK_PX, (
            f"the page scrolls sideways on a 390 px phone: {overflow}")
