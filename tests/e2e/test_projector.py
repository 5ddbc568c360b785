"""Presentation mode on a projector: at 1280×720 and 1920×1080, with ``?present=1``, every
page's first chart is on the first screen whole, and no chart title there is clipped or runs
into another title or a plot area.

Measured in the browser (``getBoundingClientRect``): the first visible plotly chart's
``.main-svg`` must lie inside the viewport; for every chart that starts on the first screen,
the figure title (``.gtitle``) and the annotation and subplot-title texts
(``.annotation-text``) must fit inside the chart's width and must not overlap each other or a
plot area (``.nsewdrag``, one per subplot); annotations placed in data coordinates (labels
inside a plot, such as a gallery's captions) may overlap their plot, not each other. Viewport
screenshots go to a temporary folder (printed with ``-s``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_pages import assert_no_error, open_page, wait_for_charts

pytestmark = pytest.mark.e2e

PAGES = ["", "regression", "classification", "calibration", "ood"]
SIZES = [(1280, 720), (1920, 1080)]
SLACK_PX = 1  # sub-pixel rounding of text boxes

# Every number the checks need, from the page as it is drawn. Charts hidden in a closed
# expander or tab have no client rects and are skipped.
MEASURE = """() => {
    const box = el => {
        const r = el.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                width: r.width, height: r.height};
    };
    const main = document.querySelector('[data-testid="stMain"]');
    const charts = [...main.querySelectorAll('.js-plotly-plot')]
        .filter(el => el.getClientRects().length > 0 && el.querySelector('.main-svg'));
    return {
        viewport: {width: window.innerWidth, height: window.innerHeight},
        scrollTop: main.scrollTop,
        charts: charts.map(el => {
            const key = el.closest('[class*="st-key-"]');
            const name = key ? [...key.classList].find(c => c.startsWith('st-key-')) : '?';
            const texts = new Set([...el.querySelectorAll(
                '.gtitle, .g-gtitle text, .annotation-text')]);
            // An annotation placed on the paper (a subplot title) is a title; one placed in
            // data coordinates labels something inside its plot (a gallery's captions).
            const notes = (el._fullLayout && el._fullLayout.annotations) || [];
            const kind = t => {
                if (!t.classList.contains('annotation-text')) return 'title';
                const note = notes[Number(t.closest('.annotation')?.dataset.index)];
                return !note || (note.xref === 'paper' && note.yref === 'paper')
                    ? 'annotation' : 'label';
            };
            return {
                name: name.replace('st-key-', ''),
                svg: box(el.querySelector('.main-svg')),
                plots: [...el.querySelectorAll('.draglayer .nsewdrag')].map(box),
                texts: [...texts].filter(t => (t.textContent || '').trim())
                    .map(t => ({text: t.textContent.trim(), kind: kind(t), ...box(t)})),
            };
        }),
    };
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > SLACK_PX
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > SLACK_PX)


def _px(box: dict[str, float]) -> str:
    return (f"x {box['left']:.0f}–{box['right']:.0f}, y {box['top']:.0f}–{box['bottom']:.0f}")


def title_problems(chart: dict[str, Any]) -> list[str]:
    """What is wrong with one chart's titles: clipped at its edges, or overlapping."""
    svg, texts, plots = chart["svg"], chart["texts"], chart["plots"]
    problems = []
    for t in texts:
        if t["left"] < svg["left"] - SLACK_PX or t["right"] > svg["right"] + SLACK_PX:
            problems.append(f"{t['kind']} {t['text']!r} ({_px(t)}) is wider than the chart "
                            f"({_px(svg)})")
        if t["top"] < svg["top"] - SLACK_PX:
            problems.append(f"{t['kind']} {t['text']!r} ({_px(t)}) is cut off at the top")
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if _overlap(a, b):
                problems.append(f"{a['kind']} {a['text']!r} ({_px(a)}) overlaps {b['kind']} "
                                f"{b['text']!r} ({_px(b)})")
        for plot in plots if a["kind"] != "label" else ():  # a label sits in its plot
            if _overlap(a, plot):
                problems.append(f"{a['kind']} {a['text']!r} ({_px(a)}) overlaps a plot area "
                                f"({_px(plot)})")
    return [f"{chart['name']}: {p}" for p in problems]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("projector")
    print(f"\nprojector screenshots: {folder}")
    return folder


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def projector(request: pytest.FixtureRequest, browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh browser context and page at one projector size."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height},
                                  base_url=app_url)
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("name", PAGES, ids=[p or "home" for p in PAGES])
def test_the_first_chart_fits_the_projector(projector: Any, name: str, shots: Path) -> None:
    page = projector
    open_page(page, f"/{name}?present=1")
    assert_no_error(page)
    page.wait_for_timeout(500)  # let plotly finish its layout (legend, titles) after the draw
    wait_for_charts(page)
    size = page.viewport_size
    page.mouse.move(size["width"] - 2, size["height"] - 2)
    page.screenshot(path=str(shots / f"{name or 'home'}_{size['width']}x{size['height']}.png"))
    seen = page.evaluate(MEASURE)
    view = seen["viewport"]
    assert seen["scrollTop"] == 0, "the page opened scrolled"
    assert seen["charts"], "no chart is drawn"

    first = seen["charts"][0]
    svg = first["svg"]
    inside = (svg["top"] >= -SLACK_PX and svg["left"] >= -SLACK_PX
              and svg["bottom"] <= view["height"] + SLACK_PX
              and svg["right"] <= view["width"] + SLACK_PX)
    shown = max(0.0, min(svg["bottom"], view["height"]) - max(svg["top"], 0.0))
    problems = [] if inside else [
        f"the first chart, {first['name']} ({_px(svg)}), is not inside the "
        f"{view['width']}×{view['height']} viewport: {shown:.0f} of its {svg['height']:.0f} px "
        "are on the first screen"]
    for chart in seen["charts"]:
        if chart["svg"]["top"] < view["height"]:  # starts on the first screen
            problems += title_problems(chart)
    assert not problems, "\n".join(problems)
