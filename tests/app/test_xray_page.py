"""The uncertainty X-ray on the Regression page (issue #27): in the URL, under the chart, its
numbers from the page's own run, a click on the chart picks x, and the script reproduces it."""

from __future__ import annotations

import json

import pytest
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression
from labcore.experiments.regression.xray import xray, xray_notice
from labui import data_editor

FAST = {"steps": "200"}


def open_page(query: dict[str, str]) -> AppTest:
    return open_app("pages/regression.py", {**FAST, **query}, timeout=120)


def _split(at: AppTest) -> dict[str, float]:
    (table,) = [t for t in at.table if "variance (y²)" in t.value.columns]
    return {part.split(":")[0]: float(v) for part, v in table.value["variance (y²)"].items()}


def test_the_xray_link_shows_the_split_of_the_pages_own_run():
    at = open_page({"chart": "xray", "xray": "-5"})
    assert not at.exception and not at.error
    ray = xray(run_regression(RegressionConfig(steps=200)), -5.0)
    split = _split(at)
    assert split["aleatoric"] == pytest.approx(ray.aleatoric_var, rel=1e-3)
    assert split["epistemic"] == pytest.approx(ray.epistemic_var, rel=1e-3)
    assert split["total (their sum)"] == pytest.approx(ray.total_var, rel=1e-3)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "Uncertainty X-ray at x = -5 (beyond the data)" in titles
    notices = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(xray_notice(ray) in text for text in notices)


def test_moving_the_slider_moves_the_xray_and_the_url():
    at = open_page({"chart": "xray"})
    at.slider(key=data_editor.XRAY_X).set_value(2.5).run()
    assert at.query_params["xray"] in ("2.5", ["2.5"])
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "Uncertainty X-ray at x = 2.5 (among the data)" in titles


def test_without_xray_mode_there_is_no_xray():
    at = open_page({})
    assert not [t for t in at.table if "variance (y²)" in t.value.columns]


def test_a_bad_xray_value_in_the_link_is_named_and_the_page_carries_on():
    at = open_page({"chart": "xray", "xray": "99"})
    assert not at.exception
    assert any("Ignored the link's value for `xray`" in e.value for e in at.error)
    assert _split(at)  # the X-ray at its default x


def test_a_click_on_the_chart_picks_the_xray_x(monkeypatch):
    state = {f"{data_editor.KEY}.bands_fig": {"selection": {"points": [{"x": 1.23456,
                                                                         "y": 2.0}]}}}
    monkeypatch.setattr(data_editor.st, "session_state", state)
    data_editor.on_xray_pick()
    assert state[data_editor.XRAY_X] == 1.23
    state[f"{data_editor.KEY}.bands_fig"] = {"selection": {"points": []}}
    data_editor.on_xray_pick()  # a click on nothing keeps x
    assert state[data_editor.XRAY_X] == 1.23


def test_the_script_carries_the_xray_when_it_is_on(monkeypatch):
    state = {f"{data_editor.KEY}.chart_mode": "xray", data_editor.XRAY_X: -4.5}
    monkeypatch.setattr(data_editor.st, "session_state", state)
    then, uses = data_editor.xray_script()
    assert then[0].startswith("ray = xray(result, -4.5)")
    assert "labcore.experiments.regression.xray:xray" in uses
    state[f"{data_editor.KEY}.chart_mode"] = "look"
    assert data_editor.xray_script() == ([], [])
