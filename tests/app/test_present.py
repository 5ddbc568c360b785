"""Presentation mode on a fixture page: ?present=1, the sidebar toggle, the controls row, the
stylesheet, larger figures, notices as callouts, and the quiz and teacher link alongside."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import plotly.graph_objects as go
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from labcore.plots._spec import axis_key, figure, grid, merge, on_axes, scatter  # noqa: E402
from labui import figures, present, present_figures  # noqa: E402

PAGE = str(HERE / "present_page.py")
ROOT = HERE.parents[1]


@pytest.fixture
def page_configs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``st.set_page_config`` call's arguments (the page scripts run in this process)."""
    calls: list[dict[str, Any]] = []
    real = st.set_page_config

    def record(**kwargs: Any) -> None:
        calls.append(kwargs)
        real(**kwargs)

    monkeypatch.setattr(st, "set_page_config", record)
    return calls


def run_page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def chart_spec(at: AppTest) -> dict[str, Any]:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def main_keys(at: AppTest) -> list[str]:
    return [w.key for w in (*at.main.slider, *at.main.select_slider, *at.main.toggle,
                            *at.main.selectbox, *at.main.number_input)]


def styles(at: AppTest) -> list[str]:
    """The page's raw HTML other than the charts' accessibility script (labui.figures)."""
    return [h.proto.body for h in at.get("html") if h.proto.body != figures.ARIA_SCRIPT]


def test_without_present_the_page_is_unchanged(page_configs: list[dict[str, Any]]) -> None:
    at = run_page()
    assert not at.exception
    assert at.sidebar.toggle(key=present.TOGGLE_KEY).value is False
    assert "fx.n" in [s.key for s in at.sidebar.slider]  # settings in the sidebar
    assert not main_keys(at)
    assert styles(at) == []
    assert [c.value for c in at.caption] == ["Notice: the mean is 0.0950."]  # 0.01 · 9.5
    assert not at.info
    trace = chart_spec(at)["data"][0]
    assert (trace["line"]["width"], trace["marker"]["size"]) == (2, 5)
    assert page_configs[-1]["initial_sidebar_state"] is None
    assert "figure_csv.fx.values_fig" in [b.key for b in at.get("download_button")]


def test_present_1_restyles_the_page(page_configs: list[dict[str, Any]]) -> None:
    at = run_page(present="1")
    assert not at.exception
    assert at.sidebar.toggle(key=present.TOGGLE_KEY).value is True
    assert page_configs[-1]["initial_sidebar_state"] == "collapsed"
    assert styles(at) == [present.PRESENT_CSS]
    # every setting moved to one row in the main area, without group subheaders
    assert {"fx.n", "fx.noise", "fx.lr", "fx.dropout", "fx.loss", "fx.seed"} <= set(main_keys(at))
    assert not at.sidebar.slider
    assert not at.subheader
    # the notice is a callout; the figure has larger text, thicker lines, bigger markers
    assert [i.value for i in at.info] == ["Notice: the mean is 0.0950."]
    assert not at.caption
    spec = chart_spec(at)
    trace = spec["data"][0]
    assert trace["line"]["width"] == pytest.approx(2 * present_figures.LINE_SCALE)
    assert trace["marker"]["size"] == pytest.approx(5 * present_figures.MARKER_SCALE)
    assert spec["layout"]["font"]["size"] == pytest.approx(12 * present_figures.FONT_SCALE)
    # the sidebar is collapsed once, when the presentation starts, not on every rerun
    at.slider(key="fx.n").set_value(40).run()
    assert page_configs[-1]["initial_sidebar_state"] is None
    assert at.query_params == {"present": "1", "n": "40"}
    assert [i.value for i in at.info] == ["Notice: the mean is 0.1950."]  # 0.01 · 19.5


def test_the_toggle_ends_the_presentation_and_leaves_the_url() -> None:
    at = run_page(present="1")
    at.sidebar.toggle(key=present.TOGGLE_KEY).set_value(False).run()
    assert not at.exception
    assert "present" not in at.query_params
    assert styles(at) == []
    assert "fx.n" in [s.key for s in at.sidebar.slider]
    at.sidebar.toggle(key=present.TOGGLE_KEY).set_value(True).run()
    assert at.query_params == {"present": "1"}
    assert "fx.n" in main_keys(at)


def test_present_with_hidden_controls_and_the_quiz(page_configs: list[dict[str, Any]]) -> None:
    at = run_page(present="1", hide="n,dropout,seed", quiz="1", n="30")
    assert not at.exception and not at.error
    shown = main_keys(at)
    assert "fx.noise" in shown and "fx.lr" in shown and "fx.loss" in shown
    assert not {"fx.n", "fx.dropout", "fx.seed"} & set(shown)  # the teacher hid them
    # the quiz holds the result back, in presentation mode as outside it
    assert not at.get("plotly_chart")
    assert not at.info
    at.radio(key="fx.quiz.answer").set_value("Yes").run()
    at.button(key="fx.quiz.reveal").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("✓ Right: *Yes*.")
    assert [i.value for i in at.info] == ["Notice: the mean is 0.1450."]  # 0.01 · 14.5
    assert chart_spec(at)["data"][0]["line"]["width"] == pytest.approx(
        2 * present_figures.LINE_SCALE)


def test_teacher_link_can_open_in_presentation_mode() -> None:
    at = run_page(n="30")
    at.session_state["fx.teacher"] = True  # what opening the expander does
    at.run()
    at.multiselect(key="fx.teacher.hide").set_value(["seed"]).run()
    at.toggle(key="fx.teacher.present").set_value(True).run()
    link = at.get("code")[0].proto.code_text
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert query == {"n": "30", "hide": "seed", "present": "1"}
    student = run_page(**query)
    assert not student.exception
    assert "fx.seed" not in main_keys(student)
    assert "fx.n" in main_keys(student)
    assert student.slider(key="fx.n").value == 30


# --- the lab's pages on a projector (geometry in a browser: tests/e2e/test_projector.py) -------

APP = str(ROOT / "app.py")
SMALL = {"steps": "100", "hidden": "32", "members": "2", "mc_samples": "5", "present": "1"}


def run_app_page(page: str | None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if page is not None:
        at.switch_page(page)
    at.query_params.update(query)
    return at.run()


def _columns(chart: Any) -> int:
    layout = json.loads(chart.proto.spec)["layout"]
    return len({tuple(v["domain"]) for k, v in layout.items()
                if k.startswith("xaxis") and v.get("visible", True)})


@pytest.mark.parametrize("page", ["pages/ood.py", "pages/calibration.py"])
def test_a_four_panel_grid_is_one_row_on_a_projector(page: str) -> None:
    # A 2×2 grid is taller than a 1280×720 projector can show under the page's controls.
    at = run_app_page(page, **SMALL)
    assert not at.exception and not at.error
    assert _columns(at.get("plotly_chart")[0]) == 4
    plain = run_app_page(page, **{k: v for k, v in SMALL.items() if k != "present"})
    assert _columns(plain.get("plotly_chart")[0]) == 2


def test_home_on_a_projector_has_the_settings_row_and_wide_charts() -> None:
    at = run_app_page(None, present="1")
    assert not at.exception and not at.error
    # the settings folded in the row above the charts, as on every page, not in a side column
    assert "Settings" in [e.label for e in at.main.expander]
    assert "home.distribution" in main_keys(at)
    assert "download.home_scene.py" in [b.key for b in at.sidebar.get("download_button")]
    assert at.metric[0].label.startswith("Mean NLL")
    plain = run_app_page(None)
    assert "Settings" not in [e.label for e in plain.main.expander]
    assert "download.home_scene.py" not in [b.key for b in plain.sidebar.get("download_button")]


# --- the pieces, without a page ---------------------------------------------------------------


def test_presentation_figure_scales_a_copy() -> None:
    fig = go.Figure(
        [go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"width": 0}, name="band edge"),
         go.Scatter(x=[0, 1], y=[1, 2], mode="lines+markers", name="mean"),
         go.Scatter(x=[0, 1], y=[2, 3], mode="markers", marker={"size": [4, 8]})],
        layout={"height": 400, "annotations": [{"text": "panel", "font": {"size": 16}}]},
    )
    big = present_figures.presentation_figure(fig)
    assert big.data[0].line.width == 0  # an invisible edge stays invisible
    assert big.data[1].line.width == pytest.approx(2 * 1.75)  # plotly's default 2 px
    assert big.data[1].marker.size == pytest.approx(6 * 1.4)  # plotly's default 6 px
    assert tuple(big.data[2].marker.size) == (4, 8)  # per-point sizes carry data: kept
    assert big.layout.font.size == pytest.approx(12 * 1.6)
    assert big.layout.annotations[0].font.size == pytest.approx(16 * 1.6)
    assert big.layout.height == 420  # 400 · 1.2, cut to what fits a 1280×720 projector
    assert present_figures.MAX_HEIGHT == 420
    assert fig.data[1].line.width is None and fig.layout.font.size is None  # unchanged


def _grid_figure(cols: int, title: str, panel: str, y_title: str, x_title: str,
                 height: int) -> go.Figure:
    """A figure as the lab builds them: subplot titles, axis titles, a legend below."""
    layout = grid(1, cols, [panel] * cols)
    for k in range(1, cols + 1):
        merge(layout, {axis_key("x", k): {"title": {"text": x_title}},
                       axis_key("y", k): {"title": {"text": y_title}}})
    merge(layout, {"title": {"text": title}, "height": height,
                   "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
                   "legend": {"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0}})
    return figure([on_axes(scatter([0, 1], [0, 1], name=f"method {k}"), k)
                   for k in range(1, cols + 1)], layout)


def _px(text: str, size: float) -> float:
    """The estimate presentation_figure fits texts with (longest line, tags dropped)."""
    return present_figures._text_width(text, size)


def test_a_figure_taller_than_a_projector_is_cut_but_a_gallery_is_not() -> None:
    tall = present_figures.presentation_figure(go.Figure(layout={"height": 950}))
    assert tall.layout.height == present_figures.MAX_HEIGHT
    gallery = go.Figure(go.Heatmap(z=[[0, 1], [1, 0]]), layout={"height": 700})
    fitted = present_figures.presentation_figure
    assert fitted(gallery).layout.height == 840  # pictures keep their size
    with present_figures.height_limit(500):  # a page with little above its first chart
        assert fitted(go.Figure(layout={"height": 950})).layout.height == 500
        assert fitted(go.Figure(layout={"height": 400})).layout.height == 480
    assert fitted(go.Figure(layout={"height": 950})).layout.height == 420


def test_titles_fit_the_chart_and_stay_clear_of_each_other() -> None:
    # The OOD figure's title ran into its subplot titles; Home's was cut off at the right.
    fig = _grid_figure(2, "Clean → heavily shifted test digits, averaged over the six corruptions",
                       "Expected calibration error", "ECE (top-label, 15 bins)",
                       "corruption severity (0 = clean)", 680)
    big = present_figures.presentation_figure(fig)
    layout = big.to_plotly_json()["layout"]
    title = layout["title"]
    assert (title["yref"], title["y"], title["yanchor"]) == ("container", 1, "top")
    title_size = title.get("font", {}).get("size", round(12 * 1.6 * 1.4))
    assert _px(title["text"], title_size) <= present_figures.REFERENCE_WIDTH * 0.95
    # the top margin holds the title and, under it, the subplot titles
    panel = layout["annotations"][0]
    title_h = len(title["text"].split("<br>")) * title_size * 1.3
    panel_h = len(panel["text"].split("<br>")) * panel["font"]["size"] * 1.3
    assert layout["margin"]["t"] >= present_figures.TITLE_PAD + title_h + panel_h
    assert big.layout.height == present_figures.MAX_HEIGHT
    # the original is untouched
    assert fig.layout.title.y is None and fig.layout.margin.t == 60


def test_narrow_panels_get_smaller_or_wrapped_titles_and_one_y_title_per_row() -> None:
    # Four reliability diagrams side by side: long panel and axis titles.
    fig = _grid_figure(4, "", "CE + label smoothing (ε = 0.01) · temperature-scaled (T = 0.87)"
                       "<br><sup>ECE 0.019 · accuracy 93.6% · mean confidence 92.7%</sup>",
                       "accuracy in the bin",
                       "confidence = max softmax probability (equal-width bins)", 520)
    layout = present_figures.presentation_figure(fig).to_plotly_json()["layout"]
    assert layout["font"]["size"] == pytest.approx(12 * present_figures.WIDE_FONT_SCALE)
    plot_width = present_figures.REFERENCE_WIDTH - 60 - 20
    for note in layout["annotations"]:
        x0, x1 = next(layout[axis_key("x", k)]["domain"] for k in range(1, 5)
                      if abs(sum(layout[axis_key("x", k)]["domain"]) / 2 - note["x"]) < 0.01)
        assert _px(note["text"], note["font"]["size"]) <= (x1 - x0) * plot_width
        assert "(ε = 0.01)" in note["text"].replace("<br>", " ")  # not broken inside (…)
    x_title = layout["xaxis"]["title"]
    assert "<br>" in x_title["text"]
    assert [layout[axis_key("y", k)]["title"]["text"] for k in range(1, 5)] == [
        "accuracy in the bin", "", "", ""]


def test_a_legend_below_the_plot_clears_the_larger_axis_title() -> None:
    fig = _grid_figure(1, "t", "", "y", "x (input; grey = no training data)", 480)
    layout = present_figures.presentation_figure(fig).to_plotly_json()["layout"]
    legend, margin = layout["legend"], layout["margin"]
    assert legend["font"]["size"] == pytest.approx(12 * present_figures.LEGEND_SCALE)
    plot = layout["height"] - margin["t"] - margin["b"]
    below = -legend["y"] * plot  # px from the plot's bottom edge to the legend's top
    assert below >= 1.4 * 12 * 1.6 + 12 * 1.6 * 1.3  # tick labels and the x-axis title
    assert margin["b"] >= below + 12 * present_figures.LEGEND_SCALE  # the legend's line fits too


def test_side_by_side_fits_titles_to_a_share_of_the_width() -> None:
    text = "The sample and the fitted density, with a longer ending"
    fig = go.Figure(layout={"title": {"text": text, "x": 0.05}, "height": 420})
    alone = present_figures.presentation_figure(fig).layout.title
    assert alone.text == text and alone.font.size is None  # fits a full-width chart
    with present_figures.side_by_side(2):
        half = present_figures.presentation_figure(fig).layout.title
    size = half.font.size
    assert _px(half.text, size) <= present_figures.REFERENCE_WIDTH / 2 * 0.95


def test_presentation_figures_are_figures_plotly_accepts_unchanged() -> None:
    fig = _grid_figure(4, "A title", "a long panel title that has to be wrapped somewhere",
                       "y", "a long x-axis title that needs two lines", 520)
    sent = json.loads(present_figures.presentation_figure(fig).to_json())
    assert json.loads(go.Figure(sent).to_json()) == sent


def test_the_only_raw_html_is_the_constant_stylesheet() -> None:
    tree = ast.parse((ROOT / "labui" / "present.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "html"]
    assert len(calls) == 1
    (argument,) = calls[0].args
    assert isinstance(argument, ast.Name) and argument.id == "PRESENT_CSS"
    css = present.PRESENT_CSS
    assert css.startswith("<style>") and css.endswith("</style>")
    assert css.count("<") == 2  # nothing but the style tag
