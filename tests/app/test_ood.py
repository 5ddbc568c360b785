"""The OOD page runs in Streamlit's AppTest: each view draws its charts, bad input is an error
message and never a traceback, and settings survive switching views.

Small networks (URL parameters ``hidden=32``, ``steps=100``, ``members=2``, ``mc_samples=5``)
keep each run to a few seconds; the science of these models is tested in
``tests/unit/test_ood_experiment.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SMALL = {"hidden": "32", "steps": "100", "members": "2", "mc_samples": "5"}


def _open(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/ood.py")
    at.query_params.update(SMALL | params)
    return at.run()


def _axis_titles(chart) -> list[str]:
    layout = json.loads(chart.proto.spec)["layout"]
    return [v["title"]["text"] for k, v in layout.items()
            if k.startswith(("xaxis", "yaxis")) and "title" in v and "text" in v["title"]]


def test_every_view_draws_its_charts_with_titled_axes():
    at = _open()
    assert not at.exception and not at.error
    assert at.title[0].value == "Out of distribution"
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the shift curves and the corruption gallery
    titles = _axis_titles(charts[0])
    assert "corruption severity (0 = clean)" in titles and "NLL (nats per image)" in titles
    assert len(at.caption) >= 3

    at.segmented_control(key="ood.view").set_value("detection").run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 3  # histogram, ROC, example images
    assert any("Convention" in m.value for m in at.markdown)
    assert "false-positive rate (share of OOD inputs accepted)" in _axis_titles(
        at.get("plotly_chart")[1])

    at.segmented_control(key="ood.view").set_value("toy").run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 2  # heatmaps and radial profiles
    assert "x₁ (standardised input)" in _axis_titles(at.get("plotly_chart")[0])


def test_each_view_shows_only_its_own_settings_and_keeps_the_others():
    at = _open()
    labels = {w.label for w in at.sidebar.toggle}
    assert "Deep ensemble" in labels
    assert not [s for s in at.sidebar.selectbox if s.label == "In-distribution digits"]
    at.segmented_control(key="ood.view").set_value("detection").run()
    digits = next(s for s in at.sidebar.selectbox if s.label == "In-distribution digits")
    # The shift switches are hidden here (the teacher link's own switch exists only while its
    # expander is open).
    assert [w.key for w in at.sidebar.toggle] == []
    digits.set_value("02468").run()
    assert not at.exception and not at.error
    at.segmented_control(key="ood.view").set_value("shift").run()
    at.segmented_control(key="ood.view").set_value("detection").run()
    digits = next(s for s in at.sidebar.selectbox if s.label == "In-distribution digits")
    assert digits.value == "02468"
    assert at.query_params["in_classes"] == "02468"  # the URL holds it too


def test_switching_every_method_off_is_an_error_message_not_a_traceback():
    at = _open(plain="false", ensemble="false")
    assert not at.exception and not at.error
    at.toggle(key="ood.temperature").set_value(False).run()
    assert not at.exception
    assert any("Methods must include at least one method" in e.value for e in at.error)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize(("param", "value"), [("members", "99"), ("toy_noise", "abc")])
def test_a_bad_link_value_is_reported_and_replaced(param, value):
    at = _open(**{param: value})
    assert not at.exception
    assert any(f"`{param}`" in e.value and value in e.value for e in at.error)
    assert len(at.get("plotly_chart")) == 2  # the page still runs with the fallback value


def test_a_method_s_settings_show_only_while_it_is_switched_on():
    at = _open(steps="100", members="2")
    shown = {w.key for kind in ("slider", "number_input") for w in getattr(at, kind)}
    assert "ood.members" in shown  # the ensemble is on by default
    assert not {"ood.dropout", "ood.mc_samples", "ood.views", "ood.tta_strength"} & shown
    at.toggle(key="ood.mc_dropout").set_value(True).run()
    shown = {w.key for kind in ("slider", "number_input") for w in getattr(at, kind)}
    assert {"ood.dropout", "ood.mc_samples"} <= shown
    at.segmented_control(key="ood.view").set_value("toy").run()  # the toy uses every model
    shown = {w.key for kind in ("slider", "number_input") for w in getattr(at, kind)}
    assert {"ood.members", "ood.dropout", "ood.mc_samples"} <= shown
