"""In the room: what a class sees while it happens, sampled over time in a real browser.

Each test watches the page as a person would — the live chart while the networks train, a
point the user clicks away, a finger swiping over a chart on a phone, the sidebar of a fresh
server's first deep link — by sampling the page in the browser itself (a ``setInterval``
running in the page, so a Playwright round trip never hides a blank frame).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from e2e_helpers import PHONE, PHONE_AGENT, PROJECTOR, fresh_context_page

sys.path.insert(0, str(Path(__file__).parent))
from test_drag_data import choose_chart_mode
from test_first_five_minutes import fresh_server  # a server no browser has visited yet
from test_pages import LOAD_WAIT_MS, WAIT_MS, assert_no_error, wait_for_app, wait_for_charts

pytestmark = pytest.mark.e2e

GAP_PRESET = "S3 · A gap in the data"

# Samples, every 100 ms, the first chart after the "▶ Train live" button (a plotly chart in the
# page, or one inside an iframe): is it on screen, drawn, with traces, and is it the live
# (Vega-Lite) chart rather than the static one further down? And the step counter.
LIVE_SAMPLER = """() => {
  window.__live = [];
  const t0 = performance.now();
  const traced = (root) => {
    const plot = root && root.querySelector('.js-plotly-plot');
    if (!plot || !plot.querySelector('.main-svg')) return false;
    if (getComputedStyle(plot).visibility === 'hidden') return false;
    const box = plot.getBoundingClientRect();
    if (box.height < 50 || box.width < 50) return false;
    return plot.querySelectorAll('.scatterlayer .trace, .heatmaplayer .hm, .contourlayer .contour')
      .length > 0;
  };
  window.__liveTimer = setInterval(() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const button = [...main.querySelectorAll('button')]
      .find(b => b.innerText.includes('Train live'));
    let drawn = false, live = false;
    if (button) {
      const after = [...main.querySelectorAll(
        '[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"], iframe')].filter(
        el => button.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
      const first = after[0];
      if (first) {
        live = first.matches('[data-testid="stVegaLiteChart"]');
        let root = first;
        if (first.tagName === 'IFRAME') {
          try { root = first.contentDocument; } catch (e) { root = null; }
        }
        drawn = (first.matches('[data-testid="stVegaLiteChart"]')
                 ? !!first.querySelector('canvas, svg g.role-mark path')
                 : traced(root)) && first.getBoundingClientRect().height > 50;
      }
    }
    const m = main.innerText.match(/step (\\d+) of (\\d+)/);
    window.__live.push({t: performance.now() - t0, step: m ? +m[1] : null,
                        total: m ? +m[2] : null, drawn, live});
  }, 100);
}"""


def _watch_live_training(page: Any) -> tuple[list[dict[str, Any]], float]:
    """Click ▶ Train live and sample the live chart until the last step shows.

    Returns the samples from the first drawn live frame to the last step, and the seconds from
    the click to the first sample showing the last step. (Before the live chart has drawn its
    first frame, the first chart after the button is the static one below, or the live chart
    being set up: its first appearance is not a chart taken down.)
    """
    page.evaluate(LIVE_SAMPLER)
    page.get_by_role("button", name="▶ Train live").click()
    page.wait_for_function(
        "() => window.__live.some(s => s.step !== null && s.step === s.total && s.total > 0"
        " && s.t > 0)", timeout=WAIT_MS)
    page.wait_for_timeout(300)
    samples = page.evaluate("() => { clearInterval(window.__liveTimer); return window.__live; }")
    click_t = samples[0]["t"]
    first = next(i for i, s in enumerate(samples)
                 if s["drawn"] and s["live"] and s["step"] is not None)
    last = next(i for i, s in enumerate(samples)
                if s["step"] is not None and s["step"] == s["total"] and i >= first)
    return samples[first:last + 1], (samples[last]["t"] - click_t) / 1000


def _open_charted(page: Any, path: str) -> None:
    """Go to ``path`` and wait until its charts are drawn and its script run is over."""
    page.goto(path)
    wait_for_charts(page, LOAD_WAIT_MS)
    wait_for_app(page)


@pytest.mark.parametrize(("path", "viewport"), [
    ("/regression?live=1", PROJECTOR),
    ("/classification?dataset=moons&live=1", PROJECTOR),
    ("/regression?live=1", PHONE),
])
def test_train_live_keeps_a_drawn_chart_on_screen(browser: Any, app_url: str, path: str,
                                                   viewport: dict[str, int]) -> None:
    with fresh_context_page(browser, app_url, 60_000, viewport=viewport,
                            has_touch=viewport is PHONE, is_mobile=viewport is PHONE,
                            user_agent=PHONE_AGENT if viewport is PHONE else None) as page:
        _open_charted(page, path)
        samples, seconds = _watch_live_training(page)
        wait_for_app(page)
        assert_no_error(page)
    steps = [s["step"] for s in samples]
    assert len(set(steps)) >= 5, steps  # several frames were shown, not just the last
    drawn = sum(s["drawn"] for s in samples) / len(samples)
    blanks = [round(s["t"]) for s in samples if not s["drawn"]]
    assert drawn >= 0.95, (f"a drawn chart in only {drawn:.0%} of {len(samples)} samples; "
                           f"blank at ms {blanks[:20]}")
    print(f"{path} at {viewport}: {len(samples)} samples, drawn {drawn:.0%}, "
          f"click to last step {seconds:.2f} s")


# --- removing and adding points on the Regression chart -------------------------------------

POINT_XY = """([name, index]) => {
  const gd = document.querySelector('.st-key-regression-bands_fig .js-plotly-plot');
  const k = gd._fullData.findIndex(t => (t.name || '').startsWith(name));
  const trace = gd._fullData[k];
  const box = gd.getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const i = index < 0 ? trace.x.length + index : index;
  return [box.left + xa._offset + xa.l2p(trace.x[i]), box.top + ya._offset + ya.l2p(trace.y[i]),
          trace.x.length];
}"""


def _query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _training_count(page: Any) -> int:
    text = page.locator('[data-testid="stMain"]').inner_text()
    match = re.search(r"Training points: (\d+)", text)
    assert match, text[:2000]
    return int(match.group(1))


def _choose_chart_mode(page: Any, label: str) -> None:
    """Pick what a drag or click on the bands chart does (the "On the chart" segmented control;
    fails when the page has none, rather than go on in another mode)."""
    choose_chart_mode(page, label)
    wait_for_charts(page)


def test_clicking_a_training_point_removes_it(page: Any) -> None:
    page.goto(f"/regression?preset={GAP_PRESET}")
    wait_for_charts(page, LOAD_WAIT_MS)
    wait_for_app(page)
    before = _training_count(page)
    _choose_chart_mode(page, "Remove points")
    x, y, shown = page.evaluate(POINT_XY, ["training data", 3])
    assert shown == before
    page.mouse.click(x, y)
    wait_for_app(page)
    wait_for_charts(page)
    assert_no_error(page)
    assert _query(page).get("drop_points"), page.url
    assert _training_count(page) == before - 1
    _, _, shown = page.evaluate(POINT_XY, ["training data", 0])
    assert shown == before - 1  # the chart draws one point fewer
    # The link keeps it: a fresh session from the URL shows the same count.
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    wait_for_charts(page, LOAD_WAIT_MS)
    assert _training_count(page) == before - 1


def test_points_can_be_added_from_the_keyboard(page: Any) -> None:
    page.goto(f"/regression?preset={GAP_PRESET}")
    wait_for_charts(page, LOAD_WAIT_MS)
    wait_for_app(page)
    before = _training_count(page)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Add points")
    form.get_by_role("spinbutton", name="Points").fill("15")
    form.get_by_role("spinbutton", name="From x").fill("-0.5")
    form.get_by_role("spinbutton", name="To x").fill("0.5")
    form.get_by_role("button", name="Add").click()
    wait_for_app(page)
    wait_for_charts(page)
    assert_no_error(page)
    assert _query(page).get("add_regions") == ["-0.5:0.5:15"], page.url
    assert re.search(r"15 added", page.locator('[data-testid="stMain"]').inner_text()), before


def _touch_swipe_up(page: Any, context: Any, selector: str) -> None:
    """A finger on the middle of ``selector`` moving 250 px up (what scrolls a phone page)."""
    box = page.locator(selector).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, min(box["y"] + box["height"] * 0.6, PHONE["height"] - 60)
    cdp = context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for k in range(1, 11):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 25 * k}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


SCROLLED = "() => [...document.querySelectorAll('*')].reduce((a, e) => a + e.scrollTop, 0)"


@pytest.mark.parametrize("path", ["/", "/regression", "/classification", "/calibration",
                                  "/ood"])
def test_on_a_phone_a_swipe_over_a_chart_scrolls_the_page(browser: Any, app_url: str,
                                                           path: str) -> None:
    with fresh_context_page(browser, app_url, 60_000, viewport=PHONE, has_touch=True,
                            is_mobile=True, device_scale_factor=2,
                            user_agent=PHONE_AGENT) as page:
        _open_charted(page, path)
        assert_no_error(page)
        chart = (".st-key-regression-bands_fig" if path == "/regression"
                 else '[data-testid="stPlotlyChart"]')
        page.locator(chart).first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        before = page.evaluate(SCROLLED)
        url = page.url
        _touch_swipe_up(page, page.context, chart)
        page.wait_for_timeout(1_500)
        wait_for_app(page)
        after = page.evaluate(SCROLLED)
        assert page.url == url  # no setting changed (no points added, nothing zoomed)
        assert after - before >= 100, (before, after)


# --- a fresh server's first deep link --------------------------------------------------------

NAV_SAMPLER = """() => {
  window.__nav = [];
  const t0 = performance.now();
  const sample = () => {
    const side = document.querySelector('[data-testid="stSidebar"]');
    const text = a => a.innerText.trim().split('\\n').pop().trim();  // the title, not the icon
    const links = side ? [...side.querySelectorAll('a')].map(text) : [];
    window.__nav.push({t: performance.now() - t0, links});
  };
  sample();
  setInterval(sample, 200);
}"""
RAW_NAMES = {"app", "home", "regression", "classification", "calibration", "ood"}


@pytest.mark.parametrize("path", ["/classification?quiz=1&present=1", "/ood"])
def test_a_fresh_servers_first_deep_link_never_lists_file_names(browser: Any,
                                                                 path: str) -> None:
    with fresh_server() as url:
        context = browser.new_context(viewport=PROJECTOR)
        context.add_init_script(f"({NAV_SAMPLER})()")
        try:
            page = context.new_page()
            page.goto(f"{url}{path}")
            page.wait_for_selector('[data-testid="stSidebar"] a', timeout=LOAD_WAIT_MS)
            wait_for_app(page, LOAD_WAIT_MS)
            samples = page.evaluate("() => window.__nav")
            final_url = page.url
        finally:
            context.close()
    raw = [s for s in samples if RAW_NAMES & set(s["links"])]
    assert not raw, f"raw file names shown at ms {[round(s['t']) for s in raw][:10]}: {raw[0]}"
    assert any("Out of distribution" in s["links"] for s in samples), samples[-1]
    assert len(samples) >= 10  # sampled from the first paint until the page settled
    assert path.split("?")[0] in final_url
    if "present=1" in path:
        assert "present=1" in final_url
