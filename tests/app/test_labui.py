"""labui on a fixture page: widgets from config specs, URL state, presets, caching, errors."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots
from streamlit.testing.v1 import AppTest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import fake_experiment  # noqa: E402
from fake_experiment import FakeConfig  # noqa: E402

from labcore.experiments.home.config import MLEConfig  # noqa: E402
from labcore.experiments.home.run import point_at, run_mle  # noqa: E402
from labcore.plots import home as home_plots  # noqa: E402
from labui.errors import VALUE_HINT, escape_markdown  # noqa: E402
from labui.figures import figure_name, figure_table  # noqa: E402
from labui.progress import Throttle, clamp_fraction  # noqa: E402
from labui.widgets import format_number, help_text, log_grid  # noqa: E402

PAGE = str(HERE / "fixture_page.py")


def run_page(**query: str) -> AppTest:
    """Run the fixture page in a fresh session whose URL has ``query``."""
    at = AppTest.from_file(PAGE, default_timeout=30)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def config_of(at: AppTest) -> FakeConfig:
    return at.session_state["config"]


def keys(widgets) -> list[str]:
    return [w.key for w in widgets]


# --- widgets ---------------------------------------------------------------------------------


def test_widgets_follow_the_specs() -> None:
    at = run_page()
    assert not at.exception
    assert not at.error
    n = at.slider(key="fx.n")
    assert (n.label, n.min, n.max, n.step, n.value) == ("Points", 5, 2000, 5, 20)
    assert n.help == "How many points. Allowed: 5 – 2000."
    noise = at.slider(key="fx.noise")
    assert (noise.min, noise.max, noise.step, noise.value) == (0.0, 1.0, 0.05, 0.1)
    lr = at.select_slider(key="fx.lr")
    assert lr.label == "Learning rate"
    assert lr.options[:4] == ["0.0001", "0.0002", "0.0005", "0.001"]
    assert lr.options[-1] == "1"
    assert lr.value == 0.01
    loss = at.selectbox(key="fx.loss")
    assert loss.options == ["Mean squared error", "Gaussian NLL"]  # display names …
    assert loss.value == "mse"  # … values stored
    assert at.toggle(key="fx.dropout").value is False
    seed = at.number_input(key="fx.seed")  # 1,000,000 steps: too many for a slider
    assert (seed.min, seed.max, seed.value) == (0, 1_000_000, 0)
    assert [h.value for h in at.sidebar.subheader] == ["Data", "Training", "Settings"]
    assert config_of(at) == FakeConfig()
    assert at.query_params == {}  # defaults leave the URL clean


def test_changing_a_widget_reruns_with_the_new_config_and_url() -> None:
    at = run_page()
    at.slider(key="fx.n").set_value(100).run()
    at.select_slider(key="fx.lr").set_value(0.002).run()
    at.selectbox(key="fx.loss").set_value("nll").run()
    assert not at.exception
    assert config_of(at) == FakeConfig(n=100, lr=0.002, loss="nll")
    assert at.query_params == {"n": "100", "lr": "0.002", "loss": "nll"}
    at.slider(key="fx.n").set_value(20).run()  # back to the default: the parameter goes
    assert at.query_params == {"lr": "0.002", "loss": "nll"}


def test_cross_field_rule_from_widgets_is_an_error_not_a_crash() -> None:
    at = run_page()
    at.selectbox(key="fx.loss").set_value("nll").run()
    at.slider(key="fx.n").set_value(5).run()
    assert not at.exception
    assert "Points (n) must be at least 10 with the Gaussian NLL. Got 5." in at.error[0].value
    assert VALUE_HINT in at.error[0].value
    assert not at.metric  # the page stopped before using the result


# --- URL state -------------------------------------------------------------------------------


def test_url_reproduces_the_settings() -> None:
    at = run_page(n="30", lr="0.002", dropout="true", loss="nll", seed="7")
    assert not at.exception
    assert not at.error
    assert config_of(at) == FakeConfig(n=30, lr=0.002, dropout=True, loss="nll", seed=7)
    assert at.slider(key="fx.n").value == 30
    assert at.select_slider(key="fx.lr").value == 0.002
    assert at.toggle(key="fx.dropout").value is True
    assert at.selectbox(key="fx.loss").value == "nll"
    assert at.number_input(key="fx.seed").value == 7
    assert at.query_params == {
        "n": "30",
        "lr": "0.002",
        "dropout": "true",
        "loss": "nll",
        "seed": "7",
    }


def test_url_value_off_the_log_grid_is_kept_exactly() -> None:
    at = run_page(lr="0.0033")
    assert not at.error
    lr = at.select_slider(key="fx.lr")
    assert lr.value == 0.0033
    assert "0.0033" in lr.options and "0.005" in lr.options
    assert config_of(at).lr == 0.0033
    assert at.query_params["lr"] == "0.0033"


def test_a_shared_link_reproduces_what_the_widgets_set() -> None:
    teacher = run_page()
    teacher.slider(key="fx.noise").set_value(0.25).run()
    teacher.toggle(key="fx.dropout").set_value(True).run()
    student = run_page(**teacher.query_params)
    assert config_of(student) == config_of(teacher) == FakeConfig(noise=0.25, dropout=True)


def test_a_new_url_in_the_same_session_is_read_again() -> None:
    at = run_page(n="30")
    at.query_params["n"] = "40"
    at.run()
    assert config_of(at).n == 40
    assert at.slider(key="fx.n").value == 40


@pytest.mark.parametrize(
    ("name", "text", "got"),
    [
        ("n", "5000", "Got 5000."),
        ("n", "abc", "Got 'abc'."),
        ("n", "7.5", "Got '7.5'."),
        ("lr", "abc", "Got 'abc'."),
        ("lr", "5", "Got 5.0."),
        ("dropout", "maybe", "Got 'maybe'."),
        ("loss", "huber", "Got 'huber'."),
    ],
)
def test_bad_url_value_shows_an_error_and_falls_back(name: str, text: str, got: str) -> None:
    at = run_page(**{name: text, "noise": "0.5"})
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert f"`{name}`" in message and got in message
    assert config_of(at) == FakeConfig(noise=0.5)  # that field only falls back
    assert at.metric  # the page still rendered
    assert at.query_params == {"noise": "0.5"}  # the bad value left the URL


def test_range_error_says_what_is_allowed() -> None:
    at = run_page(n="5000")
    assert "Points (n) must be between 5 and 2000. Got 5000." in at.error[0].value
    assert "Using the default value, 20, instead." in at.error[0].value


def test_unknown_preset_in_url_is_reported_and_ignored() -> None:
    at = run_page(preset="Nope", n="25")
    assert not at.exception
    assert "Got 'Nope'." in at.error[0].value
    assert config_of(at) == FakeConfig(n=25)
    assert at.query_params == {"n": "25"}


def test_user_text_in_errors_is_escaped() -> None:
    at = run_page(loss="[x](http://example.com)")
    # No link, and no autolink either: an invisible word joiner follows the colon.
    assert "\\[x\\](http:\u2060//example.com)" in at.error[0].value


def test_hidden_fields_have_no_widget_and_keep_the_url_value() -> None:
    at = run_page(hide="n,dropout", n="30", dropout="true")
    assert not at.exception
    assert "fx.n" not in keys(at.slider)
    assert "fx.dropout" not in keys(at.toggle)
    assert "fx.noise" in keys(at.slider)
    assert config_of(at) == FakeConfig(n=30, dropout=True)
    at.slider(key="fx.noise").set_value(0.5).run()  # hidden values survive reruns
    assert config_of(at) == FakeConfig(n=30, dropout=True, noise=0.5)
    assert at.query_params["hide"] == "n,dropout"  # non-config keys stay


def test_teacher_link_carries_settings_hidden_controls_and_quiz_mode() -> None:
    at = run_page(n="30")
    assert at.sidebar.expander[0].label == "Teacher link"
    assert not at.get("code")  # closed: the link is not built, and no browser renders it
    at.session_state["fx.teacher"] = True  # what opening the expander does
    at.run()
    at.multiselect(key="fx.teacher.hide").set_value(["preset", "n"]).run()
    at.toggle(key="fx.teacher.quiz").set_value(True).run()
    link = at.get("code")[0].proto.code_text
    query = parse_qs(urlsplit(link).query)
    assert query == {"n": ["30"], "hide": ["preset,n"], "quiz": ["1"]}
    student = run_page(**{name: values[0] for name, values in query.items()})
    assert not student.exception and not student.error
    assert "fx.n" not in keys(student.slider)
    assert "Preset" not in [box.label for box in student.selectbox]
    assert config_of(student).n == 30


def test_settings_survive_a_visit_to_another_page(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("import streamlit as st\nst.write('other')\n")
    (tmp_path / "main.py").write_text(
        "import streamlit as st\n"
        f"pages = [st.Page({PAGE!r}, default=True), st.Page({str(tmp_path / 'other.py')!r})]\n"
        "st.navigation(pages).run()\n"
    )
    at = AppTest.from_file(str(tmp_path / "main.py"), default_timeout=30).run()
    at.slider(key="fx.n").set_value(100).run()
    at.switch_page(str(tmp_path / "other.py"))
    at.query_params.clear()  # the browser drops the query on navigation
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert config_of(at) == FakeConfig(n=100)
    assert at.query_params == {"n": "100"}  # the URL describes the settings again


# --- presets ---------------------------------------------------------------------------------


def test_choosing_a_preset_sets_the_widgets_and_the_url() -> None:
    at = run_page()
    at.selectbox(key="fx._preset").set_value("Fast learner").run()
    assert not at.exception
    assert config_of(at) == fake_experiment.PRESETS["Fast learner"]
    assert at.select_slider(key="fx.lr").value == 0.003  # off the grid, added as an option
    assert at.toggle(key="fx.dropout").value is True
    assert at.query_params == {"preset": "Fast learner"}
    at.toggle(key="fx.dropout").set_value(False).run()
    assert at.query_params == {"preset": "Fast learner", "dropout": "false"}
    assert at.caption[0].value == "Changed from the preset: Dropout."
    link = run_page(**at.query_params)  # preset + change reproduces
    assert config_of(link) == config_of(at)
    assert link.selectbox(key="fx._preset").value == "Fast learner"


def test_custom_keeps_the_settings_and_drops_the_preset() -> None:
    at = run_page(preset="Big data")
    assert config_of(at) == fake_experiment.PRESETS["Big data"]
    at.selectbox(key="fx._preset").set_value("").run()
    assert config_of(at) == fake_experiment.PRESETS["Big data"]
    assert at.query_params == {"n": "500", "noise": "0.3"}


# --- caching, progress and errors ------------------------------------------------------------


def test_run_cached_computes_once_per_config() -> None:
    fake_experiment.CALLS["run_fake"] = 0
    at = run_page()
    at.run()  # same config, same session: cache hit (its progress bar is not replayed)
    assert not at.exception
    run_page()  # same config, another session: cache hit
    assert fake_experiment.CALLS["run_fake"] == 1
    at.slider(key="fx.n").set_value(25).run()
    assert fake_experiment.CALLS["run_fake"] == 2
    assert at.metric[0].value == f"{0.01 * 12:.4f}"  # mean of 0.01 · (0 … 24)


def test_guard_shows_a_setting_error_with_the_hint() -> None:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["fail"] = "value"
    at.run()
    assert not at.exception
    assert at.error[0].value == (
        "Widgets (w) must be \\<b\\>fun\\</b\\>. Got 3.\n\n" + VALUE_HINT
    )  # HTML in a message is shown as text
    assert not at.metric


def _file_error_page() -> None:
    from labcore.errors import FileError
    from labui.errors import show_error

    show_error(FileError("Column 'y' must hold numbers only. Got 1 values that are not "
                         "numbers, for example '*many*'."))


def test_a_file_error_ends_with_what_to_do_with_the_file_not_a_setting() -> None:
    at = AppTest.from_function(_file_error_page, default_timeout=30).run()
    assert not at.exception
    assert at.error[0].value == (
        "Column 'y' must hold numbers only. Got 1 values that are not numbers, for example "
        "'\\*many\\*'.\n\nFix the file and upload it again."
    )  # the file's own text is shown literally; no "setting named above" where none is named
    assert VALUE_HINT not in at.error[0].value


def test_guard_shows_other_errors_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["fail"] = "runtime"
    with caplog.at_level(logging.ERROR, logger="labui.errors"):
        at.run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Something went wrong in the lab (report ")
    assert "Traceback" not in message and "boom" not in message
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
    assert not at.metric


def test_download_buttons_have_stable_keys() -> None:
    at = run_page()
    assert keys(at.get("download_button")) == ["download.fake.csv", "download.fake.html"]


# --- pure helpers ----------------------------------------------------------------------------


def test_log_grid_is_1_2_5_with_both_ends() -> None:
    assert log_grid(0.001, 0.03) == [0.001, 0.002, 0.005, 0.01, 0.02, 0.03]
    assert log_grid(5, 2000) == [5, 10, 20, 50, 100, 200, 500, 1000, 2000]
    with pytest.raises(ValueError, match="0 < low"):
        log_grid(0, 1)


def test_format_number() -> None:
    assert [format_number(v) for v in (0.001, 1e-5, 2000.0, 0.25)] == [
        "0.001",
        "1e-5",
        "2000",
        "0.25",
    ]


def test_help_text_states_the_range() -> None:
    specs = FakeConfig.field_specs()
    assert help_text(specs["lr"]) == "Step size. Allowed: 0.0001 – 1."
    assert help_text(specs["dropout"]) == "Switch dropout on."


def test_throttle_draws_every_percent_or_every_tenth_of_a_second() -> None:
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    assert [throttle.should_draw(f) for f in (0.0, 0.005, 0.009, 0.01, 0.015)] == [
        True,
        False,
        False,
        True,
        False,
    ]
    now[0] = 0.1
    assert throttle.should_draw(0.015)  # time passed
    assert throttle.should_draw(1.0)  # the end is always drawn


def test_clamp_fraction() -> None:
    assert [clamp_fraction(f) for f in (-0.5, 0.3, 1.7, float("nan"))] == [0.0, 0.3, 1.0, 0.0]


def test_escape_markdown() -> None:
    assert escape_markdown("a*b* [l](u) <i> $x$") == "a\\*b\\* \\[l\\](u) \\<i\\> \\$x\\$"
    assert escape_markdown("__now__ n_points") == "\\_\\_now\\_\\_ n_points"
    assert escape_markdown("www.a.example me@a.example") == (
        "www\u2060.a.example me@\u2060a.example")


# --- a chart's data as CSV -------------------------------------------------------------------


def _records(fig: go.Figure) -> list[dict]:
    table = figure_table(fig)
    return table.astype(object).where(table.notna(), None).to_dict("records")


def test_figure_table_of_a_line_with_error_bars_and_a_band() -> None:
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[3.0, 4.0], mode="lines", line={"width": 0}, showlegend=False),
        go.Scatter(x=[0, 1], y=[1.0, 2.0], mode="lines", fill="tonexty", name="band ±2σ"),
        go.Scatter(x=[0, 1], y=[2.0, 3.0], name="mean",
                   error_y={"type": "data", "array": [0.5, 1.0]}),
        go.Scatter(x=[None], y=[None], mode="markers", name="legend only"),
    ])
    assert _records(fig) == [
        # the band: its two edges, lower = min and upper = max at each x, no centre
        {"trace": "band ±2σ", "x": 0, "y": None, "lower": 1.0, "upper": 3.0},
        {"trace": "band ±2σ", "x": 1, "y": None, "lower": 2.0, "upper": 4.0},
        # error bars: y − 0.5, y + 0.5 and y − 1, y + 1
        {"trace": "mean", "x": 0, "y": 2.0, "lower": 1.5, "upper": 2.5},
        {"trace": "mean", "x": 1, "y": 3.0, "lower": 2.0, "upper": 4.0},
    ]


def test_figure_table_of_a_heatmap_in_a_second_panel() -> None:
    fig = make_subplots(rows=1, cols=2)
    fig.add_trace(go.Bar(x=["a", "b"], y=[5, 7], name="count"), row=1, col=1)
    fig.add_trace(go.Heatmap(x=[10, 20], y=["lo", "hi"], z=[[1, 2], [3, 4]], name="map"),
                  row=1, col=2)
    assert _records(fig) == [
        {"trace": "count", "subplot": 1, "x": "a", "y": 5, "z": None},
        {"trace": "count", "subplot": 1, "x": "b", "y": 7, "z": None},
        # one row per cell: z[row][col] at (x[col], y[row])
        {"trace": "map", "subplot": 2, "x": 10, "y": "lo", "z": 1},
        {"trace": "map", "subplot": 2, "x": 20, "y": "lo", "z": 2},
        {"trace": "map", "subplot": 2, "x": 10, "y": "hi", "z": 3},
        {"trace": "map", "subplot": 2, "x": 20, "y": "hi", "z": 4},
    ]
    text = figure_table(fig).to_csv(index=False)
    assert text.splitlines()[0] == "trace,subplot,x,y,z"


def test_figure_table_of_a_lab_figure_holds_its_sample() -> None:
    config = MLEConfig(n_samples=20)
    result = run_mle(config)
    point = point_at(config, result, result.closed_form)
    table = figure_table(home_plots.sample_figure(result, point, point))
    histogram = table[table["trace"] == "data, histogram (n = 20)"]
    np.testing.assert_array_equal(histogram["x"].to_numpy(float), result.sample)
    ticks = table[table["trace"] == "each observation yᵢ"]
    assert ticks["y"].tolist() == [0.0] * 20
    assert figure_table(go.Figure()).empty


def test_figure_files_are_named_after_the_key() -> None:
    assert figure_name("regression.bands_fig") == "regression_bands"
    assert figure_name("ood.sweep_fig.width") == "ood_sweep_fig_width"
