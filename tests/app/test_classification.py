"""The Classification page (scenes S5–S8, S11) in Streamlit's AppTest: inspector, views, errors."""

from __future__ import annotations

import base64
import json
from collections import Counter

import numpy as np
import plotly.colors
import pytest
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

import labcore.experiments.classification.run as engine
from labcore.experiments.classification import flips, report
from labcore.experiments.classification.report import PRESETS

KEY = "classification"
TOY_PRESET = "S5 · UANLL on two moons, with an ensemble (decision map)"


def open_page(query: dict[str, str] | None = None) -> AppTest:
    return open_app("pages/classification.py", query or {}, timeout=120)


def chart_keys(at: AppTest) -> list[str]:
    return [chart.key for chart in at.get("plotly_chart")]


def chart_title(at: AppTest, key: str) -> str:
    chart = next(c for c in at.get("plotly_chart") if c.key == key)
    return json.loads(chart.proto.spec)["layout"]["title"]["text"]


def sample_input(at: AppTest):
    return next(n for n in at.number_input if n.key.startswith(f"{KEY}.sample."))


def show(at: AppTest, view: str) -> None:
    at.segmented_control(key=f"{KEY}.view").set_value(view).run()


def test_the_page_leads_with_the_flipped_label_chart() -> None:
    at = open_page()
    assert not at.exception and not at.error
    assert chart_keys(at) == [f"{KEY}.flip_fig"]
    result = engine.run_classification(engine.ClassificationConfig())
    m = result.metrics
    # By default the histogram draws the score that reads the training label; the caption
    # says so, gives its AUROC and those of the input-only scores (UANLL: certainty too).
    assert at.segmented_control(key=f"{KEY}.flip_score").value == "given_label"
    assert "p(given label" in chart_title(at, f"{KEY}.flip_fig")
    caption = next(c.value for c in at.caption if "reads the training label" in c.value)
    assert caption == flips.flip_notice(result, "given_label")
    for key in ("given_label", "confidence", "certainty"):
        assert f"{m[f'flip_auroc_{key}']:.3f}" in caption
    table = at.dataframe[0].value
    assert table["reads the training label?"].tolist() == ["yes", "yes", "no", "no"]
    # Under the metrics: what TTA did, from the same numbers (it helps at the default).
    tta = report.tta_notice(result, engine.ClassificationConfig())
    assert tta.startswith("Notice: averaging the softmax") and any(c.value == tta
                                                                  for c in at.caption)


def test_the_flipped_view_switches_to_an_input_only_score() -> None:
    at = open_page()
    at.segmented_control(key=f"{KEY}.flip_score").set_value("certainty").run()
    assert not at.exception and not at.error
    assert at.query_params["flip_score"] == "certainty"
    assert "certainty" in chart_title(at, f"{KEY}.flip_fig")
    assert any(c.value.startswith("Notice: UANLL certainty 1/(1+σ²) does not read the training "
                                  "label") for c in at.caption)


def test_the_inspector_reproduces_the_lecture_table() -> None:
    at = open_page({"view": "inspector"})
    assert not at.exception and not at.error
    assert chart_keys(at) == [f"{KEY}.digit_fig", f"{KEY}.views_fig"]
    assert sample_input(at).value == 14  # the lecture's test sample
    views, whole = (frame.value for frame in at.dataframe)
    assert list(views.columns) == ["view", "predicted class", "co_s", "co_h", "ce_s", "ce_h"]
    assert len(views) == 32  # the default V
    finals = at.table[0].value
    assert len(finals) == 6 and len(whole) == 7  # six aggregations (+ view 0 alone)
    # The mode of the table's per-view classes; a tie goes to the class of the earliest view.
    classes = views["predicted class"].tolist()
    counts = Counter(classes)
    mode = next(c for c in classes if counts[c] == max(counts.values()))
    assert finals.loc["Mode of per-view classes", "final class"] == str(mode)
    assert "Test sample 14" in chart_title(at, f"{KEY}.digit_fig")
    assert any("t_co = 0.50" in m.value for m in at.markdown)


def test_the_inspector_follows_the_index_and_the_split() -> None:
    at = open_page({"view": "inspector"})
    sample_input(at).set_value(3).run()
    assert "Test sample 3" in chart_title(at, f"{KEY}.digit_fig")
    assert at.query_params["sample"] == "3"
    at.segmented_control(key=f"{KEY}.split").set_value("train").run()
    assert not at.exception and not at.error
    assert sample_input(at).max == 898  # 899 training images
    assert any("**Training label:**" in m.value for m in at.markdown)


def test_moving_a_threshold_does_not_retrain(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = engine.train_classifier

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "train_classifier", counted)
    at = open_page({"view": "inspector"})
    assert len(calls) == 1
    at.slider(key=f"{KEY}.t_co").set_value(0.0).run()
    assert not at.exception
    assert len(calls) == 1  # served from the cache
    assert set(at.dataframe[0].value["co_h"]) == {1}  # every co_s ≥ 0


def test_a_bad_link_value_is_reported_and_the_default_used() -> None:
    at = open_page({"label_noise": "0.9"})
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("label_noise" in e and "Got 0.9" in e for e in errors), errors
    assert at.slider(key=f"{KEY}.label_noise").value == pytest.approx(0.4)
    assert chart_keys(at) == [f"{KEY}.flip_fig"]  # the page still ran with the default


def test_reject_and_noise_views() -> None:
    at = open_page({"steps": "100"})  # a short main training (the sweep trains its own)
    show(at, "reject")
    assert not at.exception and not at.error
    assert chart_keys(at) == [f"{KEY}.coverage_fig"]
    rules = at.dataframe[0].value["keep the predictions with"].tolist()
    assert rules[0] == "everything (no rejection)" and len(rules) == 4
    show(at, "map")
    assert "needs 2-D points" in at.info[0].value
    show(at, "noise")
    assert not at.exception and not at.error
    assert chart_keys(at) == [f"{KEY}.sweep_fig"]
    assert len(at.dataframe[0].value) == 9  # 3 losses × 3 noise rates


def test_the_toy_preset_draws_the_maps() -> None:
    at = open_page()
    at.sidebar.selectbox(key=f"{KEY}._preset").set_value(TOY_PRESET).run()
    assert not at.exception and not at.error
    assert at.selectbox(key=f"{KEY}.dataset").value == PRESETS[TOY_PRESET].dataset
    assert chart_keys(at) == [f"{KEY}.flip_fig"]
    show(at, "inspector")
    assert chart_keys(at) == [f"{KEY}.point_fig", f"{KEY}.point_zoom_fig"]
    show(at, "map")
    assert chart_keys(at) == [f"{KEY}.conf_map", f"{KEY}.sigma_map", f"{KEY}.entropy_maps"]


def test_the_sigma_map_keeps_its_own_colour_scale() -> None:
    # Streamlit's chart theme swaps colours #000001…#000040 (its placeholders) for theme
    # colours; Magma starts at #000004. The chart is sent without the theme and with Magma's
    # own first stop, so the lowest σ is drawn black-purple, not pink.
    at = open_page({"view": "map", "preset": TOY_PRESET})
    chart = next(c for c in at.get("plotly_chart") if c.key == f"{KEY}.sigma_map")
    assert chart.proto.theme == ""
    heat = next(t for t in json.loads(chart.proto.spec)["data"] if t["type"] == "heatmap")
    assert heat["colorscale"][0] == [0.0, plotly.colors.sequential.Magma[0]]
    assert plotly.colors.sequential.Magma[0] == "#000004"


def test_the_entropy_maps_each_have_their_own_range() -> None:
    at = open_page({"view": "map", "preset": TOY_PRESET})
    chart = next(c for c in at.get("plotly_chart") if c.key == f"{KEY}.entropy_maps")
    heats = [t for t in json.loads(chart.proto.spec)["data"] if t["type"] == "heatmap"]
    aleatoric, epistemic = heats
    assert aleatoric["zmax"] == pytest.approx(np.log(2))  # two moons: log K nats
    z = epistemic["z"]  # plotly's typed-array encoding: base64 bytes, dtype, shape
    values = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
    assert epistemic["zmax"] == pytest.approx(values.max())
    assert epistemic["zmax"] < 0.5 * aleatoric["zmax"]  # on log K it would look empty
