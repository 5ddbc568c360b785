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

from labui import present  # noqa: E402

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
    return [h.proto.body for h in at.get("html")]


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
    assert trace["line"]["width"] == pytest.approx(2 * present.LINE_SCALE)
    assert trace["marker"]["size"] == pytest.approx(5 * present.MARKER_SCALE)
    assert spec["layout"]["font"]["size"] == pytest.approx(12 * present.FONT_SCALE)
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
    assert chart_spec(at)["data"][0]["line"]["width"] == pytest.approx(2 * present.LINE_SCALE)


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


# --- the pieces, without a page ---------------------------------------------------------------


def test_presentation_figure_scales_a_copy() -> None:
    fig = go.Figure(
        [go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"width": 0}, name="band edge"),
         go.Scatter(x=[0, 1], y=[1, 2], mode="lines+markers", name="mean"),
         go.Scatter(x=[0, 1], y=[2, 3], mode="markers", marker={"size": [4, 8]})],
        layout={"height": 400, "annotations": [{"text": "panel", "font": {"size": 16}}]},
    )
    big = present.presentation_figure(fig)
    assert big.data[0].line.width == 0  # an invisible edge stays invisible
    assert big.data[1].line.width == pytest.approx(2 * 1.75)  # plotly's default 2 px
    assert big.data[1].marker.size == pytest.approx(6 * 1.4)  # plotly's default 6 px
    assert tuple(big.data[2].marker.size) == (4, 8)  # per-point sizes carry data: kept
    assert big.layout.font.size == pytest.approx(12 * 1.6)
    assert big.layout.annotations[0].font.size == pytest.approx(16 * 1.6)
    assert big.layout.height == 480
    assert fig.data[1].line.width is None and fig.layout.font.size is None  # unchanged


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
