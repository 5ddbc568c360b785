"""The Regression page (scenes S2–S4, S12) in Streamlit's AppTest.

Runs use short trainings set through the URL (``steps=200``), the way a teacher's link would.
"""

from __future__ import annotations

import base64
import json

import numpy as np
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

from labcore.experiments.regression import intervals, report
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression

KEY = "regression"
FAST = {"steps": "200"}


def open_page(query: dict[str, str] | None = None) -> AppTest:
    return open_app("pages/regression.py", {**FAST, **(query or {})}, timeout=120)


def charts(at: AppTest) -> dict[str, dict]:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def trace_y(traces: list[dict], name: str | None = None) -> np.ndarray:
    """The y values of the trace called ``name`` (or of the only trace), decoded.

    Plotly writes numpy arrays as ``{"dtype": "f8", "bdata": <base64>}``.
    """
    (trace,) = [t for t in traces if name is None or t.get("name") == name]
    y = trace["y"]
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.asarray(y, dtype=float)


def widget(at: AppTest, name: str):
    key = f"{KEY}.{name}"
    for kind in ("selectbox", "slider", "select_slider", "toggle", "number_input"):
        for w in getattr(at, kind):
            if w.key == key:
                return w
    raise KeyError(key)


def test_default_page_draws_bands_and_sigma_with_titled_axes_and_metrics():
    at = open_page()
    assert not at.exception and not at.error
    figures = charts(at)
    assert set(figures) == {f"{KEY}.bands_fig", f"{KEY}.sigma_fig"}
    bands = figures[f"{KEY}.bands_fig"]
    assert bands["layout"]["xaxis"]["title"]["text"].startswith("x (input")
    names = {t.get("name") for t in bands["data"]}
    assert {"predicted mean", "training data", "true mean f(x)"} <= names
    table = at.table[0].value
    assert list(table.index) == ["RMSE", "Gaussian NLL", "CRPS", "95 % coverage",
                                 "95 % interval width", "Conformal coverage", "Conformal width"]
    # The captions state this run's numbers, as the report computes them.
    config = RegressionConfig(steps=200)
    result = run_regression(config)
    captions = [c.value for c in at.caption]
    assert report.bands_notice(result, config) in captions
    assert report.sigma_notice(result, config) in captions


def test_the_maths_is_built_only_when_its_expander_is_opened():
    at = open_page()
    assert "The maths behind this page" in [e.label for e in at.expander]
    assert not at.get("latex")  # closed: nothing to send or render
    at.session_state[f"{KEY}.maths"] = True  # what opening it in the browser does
    at.run()
    formulas = [f.proto.body for f in at.get("latex")]
    assert len(formulas) == 3 and r"\log\sigma" in formulas[0]


def test_changing_a_widget_reruns_and_writes_the_url():
    at = open_page()
    widget(at, "method").set_value("none").run()
    assert not at.exception and not at.error
    assert at.query_params["method"] == "none"
    # One network has no spread between members: the epistemic σ is exactly zero, so its
    # ±2σ band is drawn with both edges on the predicted mean.
    figures = charts(at)
    bands = figures[f"{KEY}.bands_fig"]["data"]
    mean = trace_y(bands, name="predicted mean")
    upper, lower = (trace_y([t]) for t in bands if t.get("legendgroup") == "epistemic")
    assert np.array_equal(upper, mean) and np.array_equal(lower, mean)
    epistemic_std = trace_y(figures[f"{KEY}.sigma_fig"]["data"], name="predicted epistemic σ(x)")
    assert epistemic_std.size == mean.size and not epistemic_std.any()


def test_a_link_reproduces_its_settings():
    at = open_page({"function": "sine", "n_points": "50", "loss": "mse"})
    assert not at.exception and not at.error
    assert widget(at, "function").value == "sine"
    assert widget(at, "n_points").value == 50
    assert widget(at, "loss").value == "mse"


def test_a_bad_link_value_is_an_error_not_a_traceback():
    at = open_page({"n_points": "99999"})
    assert not at.exception
    assert any("Got 99999" in e.value for e in at.error)
    assert widget(at, "n_points").value == 20  # fell back to the default
    assert f"{KEY}.bands_fig" in charts(at)


def test_settings_over_the_time_limit_are_refused_with_what_to_reduce():
    at = open_page({"n_points": "2000", "hidden": "256", "n_layers": "4", "steps": "5000"})
    assert not at.exception
    assert any("would train for about" in e.value for e in at.error)


def test_every_view_renders():
    at = open_page({"function": "sine", "gap_width": "2.5", "n_points": "60",
                    "add_where": "gap", "add_n": "30"})
    def view(name: str) -> None:
        at.segmented_control(key=f"{KEY}.view").set_value(name).run()

    view("mse_vs_nll")
    assert not at.exception and not at.error
    assert f"{KEY}.compare_fig" in charts(at)
    view("more_data")
    assert not at.exception and not at.error
    assert f"{KEY}.before_after_fig" in charts(at)
    assert any(c.value.startswith("Notice: inside the gap, the mean epistemic σ")
               for c in at.caption)
    before_after = charts(at)[f"{KEY}.before_after_fig"]
    assert any(t.get("name") == "added points" for t in before_after["data"])
    view("calibration")
    assert not at.exception and not at.error
    assert {f"{KEY}.calibration_fig", f"{KEY}.training_fig"} <= set(charts(at))


def test_the_size_sweep_runs_on_its_button():
    at = open_page({"steps": "100", "members": "2"})
    at.segmented_control(key=f"{KEY}.view").set_value("more_data").run()
    assert f"{KEY}.sweep_fig" not in charts(at)
    at.button(key=f"{KEY}.sweep_button").click().run()
    assert not at.exception and not at.error
    sweep = charts(at)[f"{KEY}.sweep_fig"]
    assert sweep["layout"]["xaxis"]["type"] == "log"
    notice = next(c.value for c in at.caption if c.value.startswith("Notice: epistemic σ"))
    assert "a deep ensemble's members agree more" in notice  # the default method


def test_quiz_mode_holds_the_result_until_the_student_commits():
    at = open_page({"quiz": "1"})
    at.segmented_control(key=f"{KEY}.view").set_value("mse_vs_nll").run()
    assert f"{KEY}.compare_fig" not in charts(at)
    at.radio(key=f"{KEY}.quiz.mse.answer").set_value("The NLL model's").run()
    at.button(key=f"{KEY}.quiz.mse.reveal").click().run()
    assert not at.exception
    assert f"{KEY}.compare_fig" in charts(at)


def test_quantile_cqr_and_gp_controls_add_their_traces_table_and_captions():
    at = open_page({"function": "sine", "noise_shape": "growing", "n_points": "100",
                    "method": "none"})
    with_key = {w.key for w in at.toggle}
    assert f"{KEY}.quantile_band" in with_key and f"{KEY}.gp_reference" in with_key
    assert f"{KEY}.interval_level" not in {w.key for w in at.slider}  # hidden while off
    widget(at, "quantile_band").set_value(True).run()
    widget(at, "gp_reference").set_value(True).run()
    assert not at.exception and not at.error
    assert at.query_params["quantile_band"] == "true" and at.query_params["gp_reference"] == "true"
    assert widget(at, "interval_level").value == 0.9
    figures = charts(at)
    assert f"{KEY}.width_fig" in figures
    names = {t.get("name") for t in figures[f"{KEY}.bands_fig"]["data"]}
    assert {"CQR 90% band (quantiles + conformal)",
            "constant-width conformal 90% band (μ ± q)",
            "Gaussian process: epistemic ±2σ (the Bayesian yardstick)"} <= names
    sigma_names = {t.get("name") for t in figures[f"{KEY}.sigma_fig"]["data"]}
    assert "Gaussian process: epistemic σ(x)" in sigma_names
    width = figures[f"{KEY}.width_fig"]["layout"]
    assert width["yaxis"]["title"]["text"] == "interval width (units of y)"
    # The table and captions are the report's, for the same config.
    config = RegressionConfig(steps=200, function="sine", noise_shape="growing", n_points=100,
                              method="none", quantile_band=True, gp_reference=True)
    result = run_regression(config)
    tables = [t.value for t in at.table]
    assert any(list(t.index) == ["Quantile network", "CQR", "Constant-width conformal",
                                 "Gaussian μ ± z·σ", "True interval"] for t in tables)
    captions = [c.value for c in at.caption]
    assert intervals.interval_notice(result) in captions
    assert intervals.gp_notice(result) in captions


def test_a_level_the_calibration_set_cannot_promise_is_an_error_not_a_traceback():
    at = open_page({"quantile_band": "true", "interval_level": "0.99"})
    assert not at.exception
    assert any("needs at least 99 calibration points" in e.value
               and "Got interval_level = 0.99" in e.value for e in at.error)


# --- "Drag data in" (issue #14 item 2): the edits live in the URL ------------------------------
# AppTest cannot draw a box on a chart (a plotly selection is not settable from a test), so the
# selection handler is tested with Streamlit-shaped events in tests/unit/test_regression_regions.py
# and in the browser in tests/e2e/test_drag_data.py; here the URL side and the buttons.


def trace_x(traces: list[dict], name: str) -> np.ndarray:
    (trace,) = [t for t in traces if t.get("name") == name]
    x = trace["x"]
    if isinstance(x, dict):
        return np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"]))
    return np.asarray(x, dtype=float)


def test_a_link_with_added_regions_and_dropped_points_reproduces_the_training_data():
    from labcore.experiments.regression import drag_report

    edits = {"add_regions": "-3.5:-2:20,1:2.5:15", "drop_points": "3,17"}
    at = open_page(edits)
    assert not at.exception and not at.error
    assert widget_text(at, "add_regions") == edits["add_regions"]
    config = RegressionConfig(steps=200, **edits)
    result = run_regression(config)
    bands = charts(at)[f"{KEY}.bands_fig"]["data"]
    np.testing.assert_array_equal(trace_x(bands, "training data"), result.x_train)
    np.testing.assert_array_equal(trace_x(bands, "added points"), result.x_added)
    assert result.x_train.size == 20 - 2 + 35
    captions = [c.value for c in at.caption]
    assert "Training points: 53 (20 generated − 2 dropped + 35 added by dragging)." in captions
    before = run_regression(config.replace(add_regions=""))
    rows = drag_report.region_summary(before, result, config.add_regions)
    assert drag_report.drag_notice(rows, config.members) in captions


def widget_text(at: AppTest, name: str) -> str:
    (box,) = [w for w in at.text_input if w.key == f"{KEY}.{name}"]
    return box.value


def test_undo_and_reset_edit_the_url():
    at = open_page({"add_regions": "-3.5:-2:20,1:2.5:15", "drop_points": "3"})
    (undo,) = [b for b in at.button if b.key == f"{KEY}.drag_undo"]
    undo.click().run()
    assert not at.exception and not at.error
    assert at.query_params["add_regions"] == "-3.5:-2:20"  # the last region went first
    assert at.query_params["drop_points"] == "3"
    (reset,) = [b for b in at.button if b.key == f"{KEY}.drag_reset"]
    reset.click().run()
    assert not at.exception and not at.error
    assert "add_regions" not in at.query_params and "drop_points" not in at.query_params
    assert "Training points: 20 (20 generated)." in [c.value for c in at.caption]
    (undo,) = [b for b in at.button if b.key == f"{KEY}.drag_undo"]
    undo.click().run()  # this session remembers the edits before the reset
    assert at.query_params["add_regions"] == "-3.5:-2:20"


def test_a_bad_region_in_a_link_is_an_error_and_the_rest_of_the_link_applies():
    at = open_page({"add_regions": "3:1:20", "function": "sine"})
    assert not at.exception
    # (The page puts an invisible word joiner after a colon that could start ":100:", an emoji.)
    shown = [e.value.replace("\u2060", "") for e in at.error]
    assert any("from below to" in e and "Got 3:1:20." in e for e in shown)
    # The field's default is empty: the message says so rather than quoting an empty value.
    assert any("Left it empty, as the default settings have it." in e.value for e in at.error)
    assert not any(", ," in e.value for e in at.error)
    assert widget(at, "function").value == "sine"
    assert "Training points: 20 (20 generated)." in [c.value for c in at.caption]


# --- what the bands chart does (look, add, remove) and the keyboard's ranges --------------------


def bands_chart(at: AppTest) -> tuple[list[str], object]:
    """The bands chart's selection modes (names) and its figure's drag mode."""
    from streamlit.proto.PlotlyChart_pb2 import PlotlyChart

    (chart,) = [c for c in at.get("plotly_chart") if c.key == f"{KEY}.bands_fig"]
    modes = sorted(PlotlyChart.SelectionMode.Name(m) for m in chart.proto.selection_mode)
    return modes, json.loads(chart.proto.spec)["layout"].get("dragmode")


def test_the_chart_only_looks_by_default_and_edits_in_the_mode_picked():
    at = open_page()
    # Look: no selection, no drag action (a finger scrolls the page); no "Points per drag".
    assert at.segmented_control(key=f"{KEY}.chart_mode").value == "look"
    assert bands_chart(at) == ([], False)
    assert f"{KEY}.drag_n" not in {w.key for w in at.number_input}
    # Add points: a drag draws a box (or lasso) selection; the link says so.
    at.segmented_control(key=f"{KEY}.chart_mode").set_value("add").run()
    assert not at.exception and not at.error
    assert at.query_params["chart"] == "add"
    assert bands_chart(at) == (["BOX", "LASSO"], "select")
    assert widget(at, "drag_n").value == 20
    # Remove points: a click selects a point (a drag pans); the box tool is in the toolbar.
    at.segmented_control(key=f"{KEY}.chart_mode").set_value("remove").run()
    assert at.query_params["chart"] == "remove"
    assert bands_chart(at) == (["BOX", "LASSO", "POINTS"], "pan")
    assert "add_regions" not in at.query_params and "drop_points" not in at.query_params
    # The other charts are to look at: no drag action either.
    others = [json.loads(c.proto.spec)["layout"].get("dragmode") for c in at.get("plotly_chart")
              if c.key != f"{KEY}.bands_fig"]
    assert others and all(mode is False for mode in others)


def range_form(at: AppTest, x0: float, x1: float, button: str, n: int | None = None) -> None:
    """Type a range into the form and press Add or Remove."""
    if n is not None:
        at.number_input(key=f"{KEY}.range_n").set_value(n)
    at.number_input(key=f"{KEY}.range_from").set_value(x0)
    at.number_input(key=f"{KEY}.range_to").set_value(x1)
    (submit,) = [b for b in at.button if b.label == button and "range_form" in b.key]
    submit.click().run()


def test_the_range_form_adds_and_removes_points_through_the_link():
    from labcore.data.regression import make_regression

    at = open_page()
    range_form(at, -0.5, 0.5, "Add", n=15)
    assert not at.exception and not at.error
    assert at.query_params["add_regions"] == "-0.5:0.5:15"
    captions = [c.value for c in at.caption]
    assert "Training points: 35 (20 generated + 15 added by dragging)." in captions
    # Remove: every generated point with x in [−1, 1] (the seed-0 cubic draw, made here).
    generated = make_regression("cubic", "constant", 1.0, 20, 0, "train").x
    inside = [i for i, x in enumerate(generated) if -1 <= x <= 1]
    assert 0 < len(inside) < 15
    range_form(at, -1.0, 1.0, "Remove")
    assert not at.exception and not at.error
    assert at.query_params["drop_points"] == ",".join(map(str, inside))
    assert at.query_params["add_regions"] == "-0.5:0.5:15"  # the added points stay
    n = len(inside)
    assert (f"Training points: {35 - n} (20 generated − {n} dropped + 15 added by dragging)."
            in [c.value for c in at.caption])
    # Undo takes the removal back first.
    (undo,) = [b for b in at.button if b.key == f"{KEY}.drag_undo"]
    undo.click().run()
    assert "drop_points" not in at.query_params and at.query_params["add_regions"]


def test_a_bad_range_is_an_error_beside_the_form_and_edits_nothing():
    from labcore.data.regression import make_regression

    at = open_page()
    range_form(at, 1.0, -1.0, "Add")
    assert not at.exception
    assert any("Got from 1 to -1." in e.value for e in at.error)
    assert "add_regions" not in at.query_params
    assert f"{KEY}.bands_fig" in {c.key for c in at.get("plotly_chart")}  # the page goes on
    # A range with no generated point in it: nothing to remove, and the page says so.
    generated = make_regression("cubic", "constant", 1.0, 20, 0, "train").x
    lo, hi = 4.5, 5.5
    assert not np.any((generated >= lo) & (generated <= hi))  # beyond the data [−4, 4]
    range_form(at, lo, hi, "Remove")
    assert any("No training point is left to remove" in e.value for e in at.error)
    assert "drop_points" not in at.query_params
    # A good range clears the message.
    range_form(at, -0.5, 0.5, "Add", n=5)
    assert not at.error and at.query_params["add_regions"] == "-0.5:0.5:5"


def test_removing_every_point_is_refused_with_the_at_least_5_rule_not_a_traceback():
    at = open_page()
    range_form(at, -6.0, 6.0, "Remove")  # all 20 generated points
    assert not at.exception
    assert any("At least 5 generated training points must remain" in e.value for e in at.error)
