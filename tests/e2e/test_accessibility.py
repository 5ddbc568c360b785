"""Accessibility in a real browser: axe-core's WCAG 2.0/2.1 A and AA rules on every page and
mode, and the keyboard path from the top of a lab page to its first setting.

axe-core comes from the npm registry at test time (the ``axe_source`` fixture in
``conftest.py`` vendors it under ``.cache/axe-core/``); it is injected into the page under
test only, never served by the app. A page is scanned once it has settled (script run over,
its charts drawn). Any ``critical`` or ``serious`` violation fails the test, printed with its
rule, impact, the offending elements' selectors and, for contrast, the colours and the ratio
axe measured.

The keyboard test (1280×720, as on a classroom projector): the first Tab stop of a lab page
is the "Skip to settings" link; Enter on it, then at most :data:`MAX_TABS_TO_SETTING` more Tab
presses reach the first widget of the page's settings; the focused control has a visible
outline.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import PROJECTOR, fresh_context_page, open_through_home
from test_pages import LOAD_WAIT_MS, assert_no_exception, wait_for_app

pytestmark = pytest.mark.e2e

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("critical", "serious")
LABS = ["regression", "classification", "calibration", "ood"]
SCANNED = [
    pytest.param("/", id="home"),
    *(pytest.param(f"/{lab}", id=lab) for lab in LABS),
    pytest.param("/regression?present=1", id="regression-present"),
    pytest.param("/calibration?present=1", id="calibration-present"),
    pytest.param("/calibration?quiz=1", id="calibration-quiz"),
    pytest.param("/ood?quiz=1&present=1", id="ood-quiz-present"),
    pytest.param("/regression?view=compare&a=loss%3Dmse&repeat=3", id="regression-ab-seeds"),
]
MAX_TABS_TO_SETTING = 5
MIN_OUTLINE_PX = 2
SKIP_LINK_TEXT = "Skip to settings"

# Every chart on the page has drawn its SVG (charts in a closed expander or tab have no
# client rects and are not waited for). Quiz mode may hold every chart back: zero is fine.
CHARTS_DRAWN = """() => {
    if (document.querySelector('[data-testid="stException"]')) return true;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .filter(el => el.getClientRects().length > 0);
    return charts.every(el => el.querySelector('.js-plotly-plot .main-svg'));
}"""

RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({
            impact: n.impact, target: n.target.map(String), html: n.html.slice(0, 160),
            data: (n.any.concat(n.all, n.none).find(c => c.data && c.data.contrastRatio)
                   || {}).data || null,
        })),
    }));
}"""

# What the focused element is: the skip link, a control of the settings, and the outline that
# shows its focus: on the element itself or, for controls drawn as a visually hidden input
# inside a box (selects, slider thumbs), on the nearest enclosing box of the same widget.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {tag: 'BODY'};
    const key = el.closest('[class*="st-key-"]');
    let ring = null;
    for (let node = el; node && node !== document.body; node = node.parentElement) {
        const style = getComputedStyle(node);
        const rect = node.getBoundingClientRect();
        if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                && rect.width > 4 && rect.height > 4) {
            ring = {tag: node.tagName, width: parseFloat(style.outlineWidth),
                    color: style.outlineColor};
            break;
        }
        if (node.matches('[data-testid="stElementContainer"]')) break;
    }
    return {
        tag: el.tagName, text: (el.innerText || el.getAttribute('aria-label') || '').trim(),
        skip: el.id === 'lab-skip-to-settings',
        key: key ? [...key.classList].find(c => c.startsWith('st-key-')) : null,
        ring: ring,
    };
}"""

# The first widget of the page's settings form: the first input, select or slider after the
# first group heading of the settings in the sidebar (labui.widgets.config_form).
FIRST_SETTING = """() => {
    const side = document.querySelector('[data-testid="stSidebarUserContent"]');
    const heading = side && side.querySelector('[data-testid="stHeading"]');
    if (!heading) return null;
    const controls = [...side.querySelectorAll(
        'input:not([type="hidden"]), select, textarea, [role="slider"]')];
    const first = controls.find(el => !el.disabled
        && (heading.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING));
    if (!first) return null;
    const key = first.closest('[class*="st-key-"]');
    return key ? [...key.classList].find(c => c.startsWith('st-key-')) : first.tagName;
}"""


def settle(page: Any, path: str) -> None:
    """Open ``path`` through the app shell; wait for the run to end and the charts to draw."""
    open_through_home(page, path, LOAD_WAIT_MS, lambda p: wait_for_app(p, LOAD_WAIT_MS))
    page.wait_for_function(CHARTS_DRAWN, timeout=LOAD_WAIT_MS)
    wait_for_app(page, LOAD_WAIT_MS)
    assert_no_exception(page)


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule, impact, elements and (for contrast) the numbers."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s)")
        for node in v["nodes"]:
            numbers = ""
            if data := node["data"]:
                numbers = (f" — {data.get('fgColor')} on {data.get('bgColor')} = "
                           f"{data.get('contrastRatio')}:1, needs "
                           f"{data.get('expectedContrastRatio')} "
                           f"({data.get('fontSize')}, {data.get('fontWeight')})")
            lines.append(f"    {' '.join(node['target'])}{numbers}")
    return "\n".join(lines)


@pytest.mark.parametrize("path", SCANNED)
def test_no_serious_axe_violations(browser: Any, app_url: str, axe_source: str,
                                   path: str) -> None:
    """axe-core finds no critical or serious WCAG 2.0/2.1 A/AA violation on the settled page."""
    with fresh_context_page(browser, app_url, LOAD_WAIT_MS, viewport=PROJECTOR) as page:
        settle(page, path)
        page.add_script_tag(content=axe_source)
        violations = page.evaluate(RUN_AXE, WCAG_AA)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    report = describe(failing)
    print(f"\naxe on {path}: {len(failing)} critical/serious rule(s)\n{report}")
    assert not failing, f"axe-core on {path}:\n{report}"


def _outlined(focus: dict[str, Any]) -> bool:
    """Whether the focused control (or its visible box) has an outline ≥ 2 px wide."""
    ring = focus.get("ring")
    return bool(ring) and ring["width"] >= MIN_OUTLINE_PX


@pytest.mark.parametrize("lab", LABS)
def test_skip_link_reaches_first_setting(browser: Any, app_url: str, lab: str) -> None:
    """Tab from the top: the skip link first; Enter and ≤ 5 Tabs: the first setting, outlined."""
    with fresh_context_page(browser, app_url, LOAD_WAIT_MS, viewport=PROJECTOR) as page:
        settle(page, f"/{lab}")
        target = page.evaluate(FIRST_SETTING)
        assert target, f"/{lab}: no settings heading with a control after it in the sidebar"
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); "
                      "window.scrollTo(0, 0); }")
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUSED)
        assert first.get("skip") and first.get("text") == SKIP_LINK_TEXT, (
            f"/{lab}: the first Tab stop is {first}, not the '{SKIP_LINK_TEXT}' link")
        assert _outlined(first), f"/{lab}: the focused skip link shows no outline: {first}"
        page.keyboard.press("Enter")
        path = [page.evaluate(FOCUSED)]
        while path[-1].get("key") != target and len(path) <= MAX_TABS_TO_SETTING:
            page.keyboard.press("Tab")
            path.append(page.evaluate(FOCUSED))
        stops = [(f.get("tag"), f.get("key"), f.get("text", "")[:30]) for f in path]
        assert path[-1].get("key") == target, (
            f"/{lab}: {MAX_TABS_TO_SETTING} Tab presses after the skip link did not reach the "
            f"first setting ({target}); focus went {stops}")
        assert _outlined(path[-1]), (
            f"/{lab}: the focused first setting shows no visible outline: {path[-1]}")
