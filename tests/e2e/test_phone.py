"""On a phone, a figure of several panels reads top to bottom (labui.phone_figures).

A student opens a page on a phone (390×844, touch, a phone's User-Agent): each panel of the
first chart is as wide as the chart, no two titles over the panels run into each other, and
no title spills out of the chart. On a projector (a computer's browser) the same chart keeps
its panels side by side. Measured on the chart as drawn, from plotly's own layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import PHONE_CONTEXT, PROJECTOR, assert_clean, fresh_context_page

WAIT_MS = 240_000

PANELS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const full = gd._fullLayout;
  const names = Object.keys(full).filter(k => /^xaxis\\d*$/.test(k) && full[k].visible);
  const chart = gd.getBoundingClientRect();
  return {
    plotWidth: full.width - full.margin.l - full.margin.r,
    panels: names.map(k => ({offset: full[k]._offset, length: full[k]._length})),
    chart: [chart.left, chart.right],
    titles: [...gd.querySelectorAll('.infolayer .annotation')].map(a => {
      const r = a.getBoundingClientRect();
      return {text: a.textContent, box: [r.left, r.top, r.right, r.bottom]};
    }),
  };
}"""


SHOW_CHART_TOP = """() => {
  const chart = document.querySelector('.js-plotly-plot');
  chart.scrollIntoView({block: 'start'});
  let box = chart;  // the element that scrolls: back 60 px, clear of the page's header
  while (box && !(box.scrollHeight > box.clientHeight + 5
                  && getComputedStyle(box).overflowY !== 'visible')) box = box.parentElement;
  if (box) box.scrollTop -= 60;
}"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


def _first_chart(browser: Any, app_url: str, path: str, picture: Path | None = None,
                 **context: Any) -> dict[str, Any]:
    """The first chart of ``path``, measured; its screen saved as ``picture`` if given."""
    with fresh_context_page(browser, app_url, WAIT_MS, **context) as page:
        page.goto(path)
        page.locator(".js-plotly-plot .main-svg").first.wait_for(state="visible")
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
        assert_clean(page)
        if picture is not None:  # the README's picture with LAB_UPDATE_SCREENSHOTS=1
            page.evaluate(SHOW_CHART_TOP)
            picture.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(picture))
        return page.evaluate(PANELS)


# The default views whose first chart is a grid: four reliability diagrams with their counts
# (Calibration), four metrics under shift (OOD).
PATHS = ["/calibration", "/ood"]


@pytest.mark.parametrize("path", PATHS)
def test_on_a_phone_each_panel_is_as_wide_as_the_chart_and_titles_do_not_collide(
        browser: Any, app_url: str, path: str, screenshot_dir: Path) -> None:
    picture = screenshot_dir / "phone.png" if path == "/calibration" else None
    drawn = _first_chart(browser, app_url, path, picture, **PHONE_CONTEXT)
    assert len(drawn["panels"]) >= 4, drawn["panels"]
    for panel in drawn["panels"]:
        assert panel["length"] >= 0.95 * drawn["plotWidth"], drawn["panels"]
    titles = drawn["titles"]
    assert titles, "no subplot titles drawn"
    left, right = drawn["chart"]
    for title in titles:
        box = title["box"]
        assert left - 1 <= box[0] and box[2] <= right + 1, (title, drawn["chart"])
    for i, a in enumerate(titles):
        for b in titles[i + 1:]:
            assert not _overlap(a["box"], b["box"]), (a, b)


@pytest.mark.parametrize("path", PATHS)
def test_on_a_projector_the_panels_stay_side_by_side(browser: Any, app_url: str,
                                                     path: str) -> None:
    drawn = _first_chart(browser, app_url, path, viewport=PROJECTOR)
    offsets = {round(panel["offset"]) for panel in drawn["panels"]}
    assert len(offsets) == 2, drawn["panels"]  # two columns of panels


TITLES_AND_TOOLBARS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const box = e => {
    const r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const bar = gd.querySelector('.modebar-group');
  const title = gd.querySelector('.gtitle');
  return {
    toolbar: bar && getComputedStyle(bar).opacity !== '0'
      ? box(gd.querySelector('.modebar')) : null,
    title: title ? box(title) : null, text: title ? title.textContent : null,
  };
})"""


@pytest.mark.parametrize("path", ["/", *PATHS])
def test_on_a_phone_no_chart_title_sits_under_the_toolbar(browser: Any, app_url: str,
                                                          path: str) -> None:
    # A touch screen shows Plotly's toolbar all the time, over the chart's top right.
    with fresh_context_page(browser, app_url, WAIT_MS, **PHONE_CONTEXT) as page:
        page.goto(path)
        page.locator(".js-plotly-plot .main-svg").first.wait_for(state="visible")
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
        charts = page.evaluate(TITLES_AND_TOOLBARS)
    shown = [c for c in charts if c["toolbar"] and c["title"]]
    assert shown, charts  # the toolbar is there on a phone, and the charts have titles
    for chart in shown:
        assert not _overlap(chart["toolbar"], chart["title"]), chart


# The OOD page's image grid (one test digit under six corruptions at six severities, a
# prediction over each image): each image's drawn width in pixels, from plotly's axis, and the
# drawn boxes of every note and row label.
GALLERY = ".st-key-ood-gallery_fig .js-plotly-plot"
IMAGES = """(sel) => {
  const gd = document.querySelector(sel);
  gd.scrollIntoView({block: 'start'});
  const xa = gd._fullLayout.xaxis;
  const chart = gd.getBoundingClientRect();
  return {
    image_px: Math.abs(xa.l2p(8) - xa.l2p(0)),
    chart: [chart.left, chart.right],
    texts: [...gd.querySelectorAll('.infolayer .annotation')].map(a => {
      const r = a.getBoundingClientRect();
      return {text: a.textContent, box: [r.left, r.top, r.right, r.bottom]};
    }),
  };
}"""


def test_on_a_phone_the_corruption_gallery_shows_images_a_person_can_see(
        browser: Any, app_url: str) -> None:
    with fresh_context_page(browser, app_url, WAIT_MS, **PHONE_CONTEXT) as page:
        page.goto("/ood")
        page.locator(f"{GALLERY} .main-svg").first.wait_for(state="visible")
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
        assert_clean(page)
        drawn = page.evaluate(IMAGES, GALLERY)
    assert drawn["image_px"] >= 40, drawn["image_px"]  # an 8×8 digit, 5 px a pixel or more
    texts = drawn["texts"]
    assert len(texts) >= 36, texts  # a note over every image, and the rows' labels
    left, right = drawn["chart"]
    for t in texts:
        assert left - 1 <= t["box"][0] and t["box"][2] <= right + 1, (t, drawn["chart"])
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not _overlap(a["box"], b["box"]), (a, b)
