"""Every chart on every page and view has a title, and comes with its text alternative.

A screen reader announces a chart by its accessible name, which :func:`labui.figures.show_figure`
takes from the figure's title (``layout.title.text``): a figure without one is announced as
"Chart". Each page is opened with short trainings, every view is shown in turn, and the sweeps
that run on a button are run once, so the figures a page draws only on request are checked too.
The figures are read as the browser receives them (``proto.spec``).
"""

from __future__ import annotations

import json

import pytest
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

from labcore.plots.describe import describe_figure, plain
from labui.errors import escape_markdown
from labui.figures import ARIA_SCRIPT, CONTAINER_KEY, TEXT_LABEL

SMALL = {"steps": "50", "hidden": "16"}
PAGES = {  # page: (script, its URL settings, its views; the first is the one the page opens on)
    "home": (None, {"distribution": "categorical"}, ()),
    "regression": ("pages/regression.py", {"steps": "100"},
                   ("bands", "mse_vs_nll", "more_data", "calibration")),
    "classification": ("pages/classification.py", {"steps": "50", "dataset": "moons",
                                                   "method": "ensemble", "members": "2"},
                       ("flipped", "reject", "inspector", "map", "noise")),
    "calibration": ("pages/calibration.py", SMALL,
                    ("four", "temperature", "nll_or_ece", "many_eces", "sweeps", "calibrators",
                     "conformal")),
    "ood": ("pages/ood.py", {"steps": "50", "members": "2"}, ("shift", "detection", "toy")),
}


def _charts(at: AppTest) -> dict[str, dict]:
    assert not at.exception, [e.value for e in at.exception]
    return {chart.key or f"#{i}": json.loads(chart.proto.spec)
            for i, chart in enumerate(at.get("plotly_chart"))}


def _run_sweeps(at: AppTest) -> AppTest:
    """Press the button of a sweep that runs on request, if the view has one."""
    for button in at.button:
        if "sweep_button" in (button.key or ""):
            return button.click().run()
    return at


def every_chart(name: str) -> dict[str, dict]:
    """The spec of every chart that page ``name`` draws, over all its views, by key."""
    script, query, views = PAGES[name]
    at = open_app(script, query, timeout=300)
    charts = _charts(at)
    for view in views[1:]:
        at.segmented_control(key=f"{name}.view").set_value(view).run()
        charts |= _charts(_run_sweeps(at))
    return charts


@pytest.mark.parametrize("name", list(PAGES))
def test_every_chart_on_every_view_has_a_title(name: str) -> None:
    charts = every_chart(name)
    assert charts
    untitled = [key for key, spec in charts.items()
                if not plain(spec.get("layout", {}).get("title", {}).get("text"))]
    assert untitled == [], f"{name}: charts without a title: {untitled}"


def test_each_chart_comes_with_its_description_as_text() -> None:
    """Below every chart, a "Chart as text" expander holds the figure's name and description
    (escaped Markdown), built from the figure the browser receives."""
    at = open_app("pages/regression.py", {"steps": "100"}, timeout=300)
    assert not at.exception
    charts = at.get("plotly_chart")
    texts = [e for e in at.expander if e.label == TEXT_LABEL]
    assert len(texts) == len(charts) >= 2
    for chart, text in zip(charts, texts, strict=True):
        expected = describe_figure(json.loads(chart.proto.spec))
        shown = [m.value for m in text.markdown]
        assert shown == [f"**{escape_markdown(expected.name)}**",
                         escape_markdown(expected.description)], chart.key
    bands = describe_figure(json.loads(charts[0].proto.spec))
    assert charts[0].key == "regression.bands_fig"
    assert bands.description.startswith("Chart with ")
    assert "band, x from" in bands.description and "mean width" in bands.description
    # the script that hands them to a screen reader comes once per run, with the first chart,
    # and finds the charts by their containers' key
    assert f'[class*="st-key-{CONTAINER_KEY}-"]' in ARIA_SCRIPT
    assert [h.proto.unsafe_allow_javascript for h in texts[0].get("html")] == [True]
    assert all(not t.get("html") for t in texts[1:])
    at.run()  # the next run carries it again, once
    assert [h.proto.body for h in at.get("html")].count(ARIA_SCRIPT) == 1
