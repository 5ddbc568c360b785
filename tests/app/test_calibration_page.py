"""The Calibration page (scene S9) in Streamlit's AppTest: views, the temperature slider, errors.

The page is opened through ``app.py`` with small settings in the URL (50 steps, 16 hidden
units) so each training takes a fraction of a second. ``train_classifier`` is wrapped to count
trainings: moving the temperature slider must not add any.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from labcore.experiments.calibration import run as calx
from labcore.experiments.calibration.sweep import SWEEP_VALUES

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/calibration.py"
SMALL = {"steps": "50", "hidden": "16"}


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
    assert [spec.smoothing for spec in trainings] == [0.0, 0.1]
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
    assert len(at.caption) >= 2


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
    assert ece_rows["predictions"].sum() == 539  # every digit of the test set, once
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
    assert at.slider(key="calibration.smoothing").value == pytest.approx(0.1)


def test_toy_data_shows_the_toy_settings(trainings) -> None:
    at = open_page(dataset="moons", n_points="300")
    assert not at.exception
    assert not at.error
    assert at.slider(key="calibration.n_points").value == 300
    assert len(trainings) == 2
    assert len(chart_specs(at)) == 1
