"""The Calibration page (scene S9) in Streamlit's AppTest: views, the temperature slider, errors.

The page is opened through ``app.py`` with small settings in the URL (50 steps, 16 hidden
units) so each training takes a fraction of a second. ``train_classifier`` is wrapped to count
trainings: moving the temperature slider must not add any.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from labcore.calibration.conformal_sets import SCORES
from labcore.experiments.calibration import methods, report
from labcore.experiments.calibration import run as calx
from labcore.experiments.calibration.sweep import SWEEP_VALUES

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/calibration.py"
SMALL = {"steps": "50", "hidden": "16"}
SMALL_CONFIG = calx.CalibrationConfig(steps=50, hidden=16)


@pytest.fixture
def trainings(monkeypatch) -> list:
    """Every call of ``train_classifier`` made by the Calibration engine, in order."""
    calls: list = []
    real = calx.train_classifier

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(calx, "train_classifier", counting)
    return calls


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in {**SMALL, **query}.items():
        at.query_params[name] = value
    at.switch_page(PAGE)
    return at.run()


def show(at: AppTest, view: str) -> AppTest:
    at.segmented_control(key="calibration.view").set_value(view)
    return at.run()


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def trace_names(spec: dict) -> list[str]:
    return [t.get("name", "") for t in spec["data"]]


def table(at: AppTest, index: int):
    return at.dataframe[index].value


def test_four_models_view(trainings) -> None:
    at = open_page()
    assert not at.exception
    assert not at.error
    assert len(trainings) == 2  # plain CE and CE + label smoothing
    assert [spec.smoothing for spec in trainings] == [0.0, calx.CalibrationConfig().smoothing]
    (spec,) = chart_specs(at)
    names = trace_names(spec)
    assert names.count("accuracy of the predictions in the bin") == 4  # the 2×2 grid
    assert names.count("predictions per bin (lower panels)") == 4
    metrics = table(at, 0)
    assert len(metrics) == 4
    assert metrics["T"].iloc[0] == 1.0 and metrics["T"].iloc[2] == 1.0
    # Temperature scaling never changes a prediction, so accuracy is equal within each row.
    assert metrics["accuracy"].iloc[0] == metrics["accuracy"].iloc[1]
    assert metrics["accuracy"].iloc[2] == metrics["accuracy"].iloc[3]
    # The notice states the numbers of the same config in the engine, which the table shows.
    (notice,) = [c.value for c in at.caption if c.value.startswith("Notice:")]
    raw, scaled = calx.four_panels(calx.run_calibration(SMALL_CONFIG))[:2]
    assert metrics["mean confidence"].iloc[0] == pytest.approx(raw.mean_confidence, abs=5e-5)
    assert f"{100 * raw.mean_confidence:.1f} %" in notice
    assert f"{100 * raw.accuracy:.1f} %" in notice
    assert f"T = {scaled.temperature:.2f}" in notice
    # 50 steps of a 16-unit network are not over-confident: the notice says so (measured
    # confidence 27 % vs accuracy 58 %) and names the preset that shows it.
    assert raw.mean_confidence < raw.accuracy
    assert "not over-confident" in notice and report.PRESET_DEFAULT in notice


def test_temperature_slider_rescores_without_retraining(trainings) -> None:
    at = show(open_page(), "temperature")
    assert not at.exception
    assert len(trainings) == 2
    at.slider(key="calibration.temperature").set_value(2.0).run()
    assert not at.exception
    assert len(trainings) == 2  # the slider re-scores cached logits
    compare = table(at, 0).set_index("metric")
    assert list(compare.columns) == ["T = 1", "T = 2.00"]
    assert compare.loc["accuracy", "T = 1"] == compare.loc["accuracy", "T = 2.00"]
    # T > 1 lowers every sample's top probability, so the mean confidence must fall.
    assert compare.loc["mean confidence", "T = 2.00"] < compare.loc["mean confidence", "T = 1"]
    (spec,) = chart_specs(at)
    assert "T = 2.00" in spec["layout"]["annotations"][0]["text"]
    ece_rows = table(at, 1)
    # Every test digit once: the split's 539 test images plus the 899 − 150 training images
    # the default's 150-image training set leaves out.
    assert ece_rows["predictions"].sum() == 539 + 899 - 150
    assert any("ECE = " in m.value and " × " in m.value for m in at.markdown)


def test_fitted_t_button_moves_the_slider(trainings) -> None:
    at = show(open_page(), "temperature")
    button = at.button(key="calibration.t_fit")
    fitted = float(button.label.removeprefix("Fitted T = "))
    button.click().run()
    assert not at.exception
    assert at.slider(key="calibration.temperature").value == pytest.approx(fitted)
    assert len(trainings) == 2


def test_other_views_run_without_training_again(trainings) -> None:
    at = open_page()
    at = show(at, "nll_or_ece")
    assert not at.exception
    names = trace_names(chart_specs(at)[0])
    assert "validation set (fits T)" in names and "test set (what we report)" in names
    at = show(at, "many_eces")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert len(table(at, 0)) == 6
    assert len(trainings) == 2


def test_sweep_runs_only_on_its_button(trainings) -> None:
    at = show(open_page(), "sweeps")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 0
    assert len(trainings) == 2
    at.button(key="calibration.sweep_button.smoothing").click().run()
    assert not at.exception
    assert len(trainings) == 2 + len(SWEEP_VALUES["smoothing"])
    (spec,) = chart_specs(at)
    assert "ECE after temperature scaling" in trace_names(spec)
    at.run()  # a rerun is a cache hit
    assert len(trainings) == 2 + len(SWEEP_VALUES["smoothing"])


def test_a_bad_link_value_is_an_error_not_a_traceback(trainings) -> None:
    at = open_page(smoothing="0.9")
    assert not at.exception
    assert any("smoothing" in e.value and "Got 0.9" in e.value for e in at.error)
    # The form falls back to the default ε.
    assert at.slider(key="calibration.smoothing").value == pytest.approx(
        calx.CalibrationConfig().smoothing)


def test_toy_data_shows_the_toy_settings(trainings) -> None:
    at = open_page(dataset="moons", n_points="300")
    assert not at.exception
    assert not at.error
    assert at.slider(key="calibration.n_points").value == 300
    assert len(trainings) == 2
    assert len(chart_specs(at)) == 1


def array(values) -> np.ndarray:
    """A trace's numbers: plotly writes numpy arrays as ``{"dtype": …, "bdata": <base64>}``."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values)


def axis_titles(spec: dict, axis: str) -> list[str]:
    layout = spec["layout"]
    return [layout[k].get("title", {}).get("text", "") for k in layout if k.startswith(axis)]


def test_calibrator_shootout_view(trainings) -> None:
    at = open_page(view="calibrators", cal_size="40")
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(trainings) == 2  # fitted on the cached logits: no training
    assert at.slider(key="calibration.cal_size").value == 40
    shoot_spec, size_spec = chart_specs(at)
    names = trace_names(shoot_spec)
    assert names.count("accuracy of the predictions in the bin") == 7  # raw + 6 calibrators
    assert any("confidence" in t for t in axis_titles(shoot_spec, "xaxis"))
    assert any("calibration points" in t for t in axis_titles(size_spec, "xaxis"))
    assert any("ECE" in t for t in axis_titles(size_spec, "yaxis"))
    # The same config in the engine gives the numbers the page shows.
    run = calx.run_calibration(SMALL_CONFIG)
    view = methods.calibrator_view(run, "plain", 40, 15, 0)
    table_ = table(at, 0)
    assert len(table_) == 7
    expected = [round(r.ece, 4) for r in (view.shootout.uncalibrated, *view.shootout.rows)]
    assert table_["test ECE"].tolist() == pytest.approx(expected)
    # Temperature scaling divides all logits by one T > 0: it changes no prediction.
    ts_row = table_[table_["calibrator"] == view.shootout.row("temperature").display]
    assert ts_row["predictions changed"].iloc[0] == 0
    captions = [c.value for c in at.caption]
    assert methods.shootout_caption(view) in captions
    before = len(trainings)  # the page's 2 and the engine's 2 just above
    at.slider(key="calibration.cal_size").set_value(100).run()
    assert not at.exception
    assert at.query_params["cal_size"] == "100"  # the view's setting is in the link
    assert len(trainings) == before  # a new size refits the calibrators only


def test_conformal_view(trainings) -> None:
    at = open_page(view="conformal", score="aps")
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(trainings) == 2
    coverage_spec, sizes_spec, digits_spec = chart_specs(at)
    names = trace_names(coverage_spec)
    assert all(SCORES[s] in names for s in ("lac", "aps", "raps"))
    assert "target: coverage = 1 − α" in names
    assert "target coverage 1 − α" in axis_titles(coverage_spec, "xaxis")
    assert trace_names(sizes_spec) == ["set holds the true label", "set misses the true label"]
    assert all(t["type"] == "heatmap" for t in digits_spec["data"])
    # n = 359 validation points, α = 0.1: q̂ is the ⌈360 × 0.9⌉ = 324th smallest score, and
    # α = 0.1 needs n ≥ 1/α − 1 = 9 points.
    assert any("324th smallest" in m.value and "n ≥ 9" in m.value and "n = 359" in m.value
               for m in at.markdown)
    run = calx.run_calibration(SMALL_CONFIG)
    view = methods.conformal_view(run, "plain", 0.1, "aps", config=SMALL_CONFIG, seed=0)
    captions = [c.value for c in at.caption]
    assert methods.conformal_caption(view) in captions
    assert f"coverage {view.coverage:.3f}" in methods.conformal_caption(view)
    # The set-size histogram counts every test point once.
    covered, missed = (array(t["y"]) for t in sizes_spec["data"])
    assert covered.sum() + missed.sum() == len(run.y_test)
    # Coverage is the share of test labels inside their set: the covered bars over all bars.
    assert covered.sum() / len(run.y_test) == pytest.approx(view.coverage)


def test_conformal_view_says_when_every_set_holds_one_class_and_offers_a_lower_alpha() -> None:
    # The default model (400 steps) is right more often than 1 − α = 0.9 on the test digits:
    # at α = 0.1 LAC gives every digit one class or none, and the panel would show only those.
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["view"] = "conformal"
    at.switch_page(PAGE)
    at.run()
    assert not at.exception and not at.error
    config = calx.CalibrationConfig()
    run = calx.run_calibration(config)
    view = methods.conformal_view(run, "plain", 0.1, "lac", config=config, seed=config.seed)
    assert view.max_size == 1 and view.accuracy > 0.9
    captions = [c.value for c in at.caption]
    caption = methods.largest_sets_caption(view)
    assert caption in captions
    assert f"the model's top class is right on {view.accuracy:.3f} of the test digits" in caption
    assert "every set holds at most one class at α = 0.1" in chart_specs(at)[2]["layout"][
        "title"]["text"]
    # The button sets α to the suggested value: the sets and the caption follow, and the link.
    (button,) = [b for b in at.button if b.label.startswith("Lower α to")]
    assert button.label == f"Lower α to {view.larger_alpha:g}"
    button.click().run()
    assert not at.exception
    assert at.query_params["alpha"] == f"{view.larger_alpha:g}"
    lower = methods.conformal_view(run, "plain", view.larger_alpha, "lac", config=config,
                                   seed=config.seed)
    assert lower.max_size >= 2
    assert methods.largest_sets_caption(lower) in [c.value for c in at.caption]
    assert not [b for b in at.button if b.label.startswith("Lower α to")]


def test_conformal_view_with_too_few_points_says_what_to_change(trainings) -> None:
    # α = 0.002 with n = 359: ⌈360 × 0.998⌉ = 360 > 359, so no threshold exists.
    at = open_page(view="conformal", alpha="0.002")
    assert not at.exception
    (error,) = at.error
    assert "Too few calibration points for α = 0.002" in error.value
    assert "raise α to at least 0.003" in error.value  # 1/(359 + 1) rounded up to 0.001
    assert error.value.endswith("Got n = 359.")
    assert chart_specs(at) == []
