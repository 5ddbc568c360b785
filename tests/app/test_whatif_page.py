"""The "A/B · seeds" view (labui/whatif.py) in Streamlit's AppTest: pin A, change B, swap,
clear, shared links, the lecture's comparisons, the repeat over seeds, the quiz and the script.

Every number the view shows is checked against the lab's own headline numbers
(``labcore.experiments.<lab>.whatif.WHATIF.headline``) of runs this file trains itself, with
the same configs. Trainings are counted from the "computing …" lines ``labui.run`` logs at
INFO for every results-cache miss (what the classroom tests count).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

from labcore.config import Config
from labcore.experiments.calibration.whatif import WHATIF as CALIBRATION
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.whatif import WHATIF as CLASSIFICATION
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.whatif import WHATIF as HOME
from labcore.experiments.ood.config import OODLabConfig
from labcore.experiments.ood.whatif import WHATIF as OOD
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.whatif import WHATIF as REGRESSION
from labcore.script import whatif_script
from labcore.whatif import Number, WhatIf
from labui.whatif import encode

ROOT = Path(__file__).resolve().parents[2]
FAST = {"steps": "200"}  # a short Regression training, set through the link
REGRESSION_PAGE = "pages/regression.py"
INFO = "Pin the current settings as A"


# --- helpers ---------------------------------------------------------------------------------


def cheap(cls: type[Config]) -> dict[str, str]:
    """Query parameters that set the size fields of ``cls`` to their smallest allowed value."""
    specs = cls.field_specs()
    return {name: f"{specs[name].min:g}" for name in ("steps", "hidden", "n_layers",
                                                      "members", "mc_samples", "n_views",
                                                      "train_copies") if name in specs}


def headline(whatif: WhatIf, config: Config) -> tuple[Number, ...]:
    """The lab's headline numbers of ``config``, from a run trained here, outside the app."""
    return whatif.headline(config, whatif.run(whatif.trained(config)))


def texts(numbers: tuple[Number, ...]) -> list[str]:
    return [n.text() for n in numbers]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def ab_table(at: AppTest) -> pd.DataFrame:
    """The view's table: the one data frame with A and B columns (or, with no A, a value)."""
    frames = [d.value for d in at.dataframe if {"number", "better"} <= set(d.value.columns)]
    assert len(frames) == 1, [list(d.value.columns) for d in at.dataframe]
    return frames[0]


def chart(at: AppTest, key: str) -> dict[str, Any] | None:
    for c in at.get("plotly_chart"):
        if c.key == key:
            return json.loads(c.proto.spec)
    return None


def legend_names(spec: dict[str, Any]) -> list[str]:
    return [t.get("name", "") for t in spec["data"]]


def bullets(at: AppTest) -> list[str]:
    """The "in words" lines under the table (one Markdown list), Markdown escapes removed."""
    lines = []
    for md in at.markdown:
        if md.value.startswith("- "):
            lines += [line[2:].replace("\\", "") for line in md.value.splitlines()]
    return lines


def assert_compares(at: AppTest, whatif: WhatIf, a: Config, b: Config, key: str) -> tuple:
    """A and B are both on the page: the A/B chart names both, and the table's A and B
    columns are the headline numbers of A and B trained here. Returns (numbers_a, numbers_b)."""
    spec = chart(at, key)
    assert spec is not None, [c.key for c in at.get("plotly_chart")]
    names = legend_names(spec)
    assert any(n.startswith("A: ") for n in names), names
    assert any(n.startswith("B: ") for n in names), names
    numbers_a, numbers_b = headline(whatif, a), headline(whatif, b)
    table = ab_table(at)
    assert list(table["number"]) == [n.label for n in numbers_a]
    assert list(table["A"]) == texts(numbers_a)
    assert list(table["B"]) == texts(numbers_b)
    return numbers_a, numbers_b


def lab_widget(at: AppTest, key: str):
    for kind in ("selectbox", "slider", "select_slider", "toggle", "number_input"):
        for w in getattr(at, kind):
            if w.key == key:
                return w
    raise KeyError(key)


class TrainingLog(logging.Handler):
    """The run functions ``labui.run`` computed (its "computing <fn>" INFO lines)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name == "labui.run" and message.startswith("computing "):
            self.names.append(message.removeprefix("computing "))

    def count(self, fn: str) -> int:
        return sum(name.startswith(fn + "(") for name in self.names)


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> Iterator[TrainingLog]:
    """Every training the app runs from now on (``LAB_LOG_LEVEL=INFO``, read on each run)."""
    monkeypatch.setenv("LAB_LOG_LEVEL", "INFO")
    log = TrainingLog()
    logger = logging.getLogger("labui.run")
    parent = logging.getLogger("labui")
    level = parent.level
    logger.addHandler(log)
    try:
        yield log
    finally:
        logger.removeHandler(log)
        parent.setLevel(level)


RUN_REGRESSION = "labcore.experiments.regression.run.run_regression"


def open_regression(query: dict[str, str] | None = None) -> AppTest:
    return open_app(REGRESSION_PAGE, {**FAST, "view": "compare", **(query or {})}, timeout=120)


# --- pin, change B, swap, clear ----------------------------------------------------------------


@pytest.mark.parametrize("pin", ["regression.whatif.pin", "regression.whatif.pin_side"])
def test_pin_then_change_a_setting_compares_a_and_b(pin: str, trainings: TrainingLog) -> None:
    if pin.endswith("pin_side"):  # the sidebar's button, from the page's first view
        at = open_app(REGRESSION_PAGE, FAST, timeout=120)
        assert chart(at, "regression.bands_fig") is not None
    else:
        at = open_regression()
        assert any(i.value.startswith(INFO) for i in at.info)
    assert_clean(at)
    assert "a" not in at.query_params
    assert trainings.count(RUN_REGRESSION) == 1  # the page's run; the view reuses it

    at.button(key=pin).click().run()
    assert_clean(at)
    assert at.query_params["a"] == "steps=200"  # A: the settings the link gave
    assert at.query_params["view"] == "compare"
    assert trainings.count(RUN_REGRESSION) == 1  # A is B's cached run

    # B: the sidebar's loss changed through its widget (not the URL).
    lab_widget(at, "regression.loss").set_value("mse").run()
    assert_clean(at)
    assert at.query_params["loss"] == "mse" and at.query_params["a"] == "steps=200"
    assert trainings.count(RUN_REGRESSION) == 2  # B only: A came from the cache
    a, b = RegressionConfig(steps=200), RegressionConfig(steps=200, loss="mse")
    numbers_a, numbers_b = assert_compares(at, REGRESSION, a, b, "regression.ab_fig")
    assert "Loss (A: " in " ".join(c.value for c in at.caption)  # what differs, in words

    # The NLL sentence names the better one as the numbers say (lower is better).
    nll_a, nll_b = numbers_a[0], numbers_b[0]
    assert nll_a.key == "nll"
    (line,) = [s for s in bullets(at) if "test NLL" in s]
    if nll_a.same(nll_a.value, nll_b.value):
        assert line.startswith("A and B have the same test NLL"), line
    else:
        best = "B" if nll_b.value < nll_a.value else "A"
        way = "lower" if nll_b.value < nll_a.value else "higher"
        assert f"B's test NLL is {abs(nll_b.value - nll_a.value):.3f} nats {way}" in line, line
        assert line.endswith(f"{best} is better."), line


def test_changing_b_never_retrains_a(trainings: TrainingLog) -> None:
    at = open_regression()
    at.button(key="regression.whatif.pin").click().run()
    start = trainings.count(RUN_REGRESSION)
    table_a = None
    for name, value in [("loss", "mse"), ("method", "none"), ("n_points", 50)]:
        lab_widget(at, f"regression.{name}").set_value(value).run()
        assert_clean(at)
        start += 1
        assert trainings.count(RUN_REGRESSION) == start, (name, trainings.names)
        column = list(ab_table(at)["A"])
        assert table_a is None or column == table_a  # A's numbers never move
        table_a = column
    at.run()  # a rerun with nothing changed trains nothing
    assert trainings.count(RUN_REGRESSION) == start
    # Back to A's own settings: B is A's cached result, nothing trains.
    for name, value in [("loss", "gaussian_nll"), ("method", "ensemble"), ("n_points", 20)]:
        lab_widget(at, f"regression.{name}").set_value(value)
    at.run()
    assert_clean(at)
    assert trainings.count(RUN_REGRESSION) == start
    table = ab_table(at)
    assert list(table["A"]) == list(table["B"]) == table_a
    assert any("A and B have the same settings" in c.value for c in at.caption)


def test_swap_exchanges_a_and_b_in_the_url_the_sidebar_and_the_table(
        trainings: TrainingLog) -> None:
    at = open_regression()
    at.button(key="regression.whatif.pin").click().run()
    lab_widget(at, "regression.loss").set_value("mse").run()
    before = ab_table(at)
    trained = trainings.count(RUN_REGRESSION)

    at.button(key="regression.whatif.swap").click().run()
    assert_clean(at)
    assert at.query_params["a"] == encode(RegressionConfig(steps=200, loss="mse"))
    assert at.query_params["a"] == "loss=mse&steps=200"  # the old B, in the link's words
    assert lab_widget(at, "regression.loss").value == "gaussian_nll"  # the old A's loss
    assert "loss" not in at.query_params  # B is the default loss again
    after = ab_table(at)
    assert list(after["A"]) == list(before["B"]) and list(after["B"]) == list(before["A"])
    assert trainings.count(RUN_REGRESSION) == trained  # both were cached


def test_clear_ends_the_comparison() -> None:
    at = open_regression({"a": "loss=mse"})
    assert chart(at, "regression.ab_fig") is not None
    at.button(key="regression.whatif.clear").click().run()
    assert_clean(at)
    assert "a" not in at.query_params
    assert any(i.value.startswith(INFO) for i in at.info)
    assert chart(at, "regression.ab_fig") is None
    assert "Pin" in at.button(key="regression.whatif.pin").label
    # The table now lists the current settings' numbers alone.
    numbers = headline(REGRESSION, RegressionConfig(steps=200))
    assert list(ab_table(at)["value"]) == texts(numbers)


# --- links -------------------------------------------------------------------------------------


def test_a_shared_link_shows_a_and_b_without_a_click(trainings: TrainingLog) -> None:
    at = open_regression({"a": "loss=mse"})  # ?view=compare&a=loss%3Dmse&steps=200
    assert_clean(at)
    assert not any(i.value.startswith(INFO) for i in at.info)
    assert_compares(at, REGRESSION, RegressionConfig(loss="mse"), RegressionConfig(steps=200),
                    "regression.ab_fig")
    assert trainings.count(RUN_REGRESSION) == 2  # B (the page's run) and A, once each
    assert lab_widget(at, "regression.loss").value == "gaussian_nll"  # the link's B


@pytest.mark.parametrize(("a", "named"), [
    ("loss=nope", "Loss (loss) must be one of"),
    ("stepz=5", "must name fields of this page"),
    ("steps=99999", "Training steps (steps)"),
    ("n_points=2000&hidden=256&n_layers=4&steps=5000", "would train for about"),
])
def test_a_bad_a_in_a_link_is_an_error_and_b_still_shows(a: str, named: str) -> None:
    at = open_regression({"a": a})
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith("Ignored the link's A settings (a).") and "Got" in errors[0]
    assert named in errors[0]
    assert chart(at, "regression.ab_fig") is None
    numbers = headline(REGRESSION, RegressionConfig(steps=200))
    assert list(ab_table(at)["value"]) == texts(numbers)  # B's numbers, alone


def test_on_home_the_sidebar_pin_opens_the_section_and_a_is_the_defaults() -> None:
    at = open_app(None, {})
    assert chart(at, "home.ab_fig") is None  # behind a closed expander
    at.button(key="home.whatif.pin_side").click().run()
    assert_clean(at)
    assert at.query_params["a"] == "default" == encode(MLEConfig())
    at.slider(key="home.n_samples").set_value(5).run()
    assert_clean(at)
    assert_compares(at, HOME, MLEConfig(), MLEConfig(n_samples=5), "home.ab_fig")


# --- the lecture's comparisons, one click --------------------------------------------------------


def test_a_lecture_comparison_sets_both_a_and_b_in_one_click(trainings: TrainingLog) -> None:
    at = open_app(None, {"view": "compare"})
    assert_clean(at)
    (name,) = HOME.comparisons
    a, b = HOME.comparisons[name]
    button = at.button(key="home.whatif.pair0")
    assert button.label == name
    button.click().run()
    assert_clean(at)
    assert at.query_params["a"] == encode(a) == "n_samples=1"
    assert at.query_params["n_samples"] == str(b.n_samples)  # the link describes B …
    assert at.slider(key="home.n_samples").value == b.n_samples  # … and so does the form
    for field, value in b.to_dict().items():
        widget = next((w for kind in ("slider", "selectbox", "number_input")
                       for w in getattr(at, kind) if w.key == f"home.{field}"), None)
        if widget is not None:
            assert widget.value == pytest.approx(value), field
    assert_compares(at, HOME, a, b, "home.ab_fig")
    assert trainings.count("labcore.experiments.home.run.run_mle") == 3  # start, A, B


# --- repeat over seeds -------------------------------------------------------------------------


def dots(spec: dict[str, Any], who: str = "") -> list[list[float]]:
    """The "one dot per seed" values of each panel, in panel order (A's or B's with ``who``)."""
    name = f"{who}: one dot per seed" if who else "one dot per seed"
    return [t["y"] for t in spec["data"] if t.get("name") == name]


def test_repeat_over_seeds_shows_each_seeds_numbers_and_who_wins_how_often() -> None:
    at = open_app(None, {"view": "compare", "repeat": "3"})
    assert_clean(at)
    assert at.number_input(key="home.whatif.repeat").value == 3
    seeds = (0, 1, 2)  # the current seed (MLEConfig's default, 0), then the next two
    alone = [headline(HOME, MLEConfig(seed=s)) for s in seeds]
    spec = chart(at, "home.spread_fig")
    assert spec is not None
    assert dots(spec) == [[n[i].value for n in alone] for i in range(3)]
    assert spec["layout"]["title"]["text"] == "The headline numbers over 3 seeds"

    name = next(iter(HOME.comparisons))
    a, b = HOME.comparisons[name]
    at.button(key="home.whatif.pair0").click().run()
    assert_clean(at)
    assert at.number_input(key="home.whatif.repeat").value == 3  # the repeat stays
    per_a = [headline(HOME, a.replace(seed=s)) for s in seeds]
    per_b = [headline(HOME, b.replace(seed=s)) for s in seeds]
    spec = chart(at, "home.spread_fig")
    assert dots(spec, "A") == [[n[i].value for n in per_a] for i in range(3)]
    assert dots(spec, "B") == [[n[i].value for n in per_b] for i in range(3)]

    # "B has the lower error … on k of 3 paired seeds (A on j)": k and j counted here.
    error = per_a[0][1]
    assert error.key == "error" and error.better == "lower"
    b_wins = sum(not error.same(na[1].value, nb[1].value) and nb[1].value < na[1].value
                 for na, nb in zip(per_a, per_b, strict=True))
    a_wins = sum(not error.same(na[1].value, nb[1].value) and na[1].value < nb[1].value
                 for na, nb in zip(per_a, per_b, strict=True))
    said = " ".join(bullets(at) + [c.value.replace("\\", "") for c in at.caption])
    if b_wins == a_wins:
        assert f"each have the lower {error.label} on {b_wins} of 3 paired seeds" in said, said
    else:
        leader, k, j = ("B", b_wins, a_wins) if b_wins > a_wins else ("A", a_wins, b_wins)
        trailer = "A" if leader == "B" else "B"
        match = re.search(rf"(A|B) has the lower {re.escape(error.label)} on (\d+) of 3 paired "
                          rf"seeds \((A|B) on (\d+)", said)
        assert match, said
        assert match.groups() == (leader, str(k), trailer, str(j))


# --- quiz ----------------------------------------------------------------------------------------


def test_in_quiz_mode_the_comparison_waits_for_the_prediction() -> None:
    at = open_regression({"quiz": "1", "a": "loss=mse"})
    assert_clean(at)
    assert chart(at, "regression.ab_fig") is None  # nothing given away yet
    assert not any({"A", "B"} <= set(d.value.columns) for d in at.dataframe)
    # one quiz per pair of settings: its key names the pair, then the number asked about
    (radio,) = [r for r in at.radio if str(r.key).startswith("regression.whatif.quiz.")
                and str(r.key).endswith(".nll.answer")]
    assert list(radio.options) == ["A", "B"]
    assert "Which will have the lower test NLL: A or B?" in " ".join(m.value for m in at.markdown)
    a, b = RegressionConfig(loss="mse"), RegressionConfig(steps=200)
    nll_a, nll_b = headline(REGRESSION, a)[0], headline(REGRESSION, b)[0]
    assert not nll_a.same(nll_a.value, nll_b.value)  # else the quiz asks about another number
    right = "B" if nll_b.value < nll_a.value else "A"
    wrong = "A" if right == "B" else "B"

    radio.set_value(wrong).run()
    at.button(key=str(radio.key).removesuffix(".answer") + ".reveal").click().run()
    assert not at.exception
    assert chart(at, "regression.ab_fig") is not None
    feedback = [e.value for e in at.error]
    assert len(feedback) == 1 and feedback[0].startswith(
        f"✗ Not quite — you said *{wrong}*; the answer is *{right}*."), feedback
    assert f"A has {nll_a.text()}, B has {nll_b.text()}." in feedback[0]
    assert_compares(at, REGRESSION, a, b, "regression.ab_fig")

    # another pair is another question: after a swap the class predicts again
    at.button(key="regression.whatif.swap").click().run()
    assert chart(at, "regression.ab_fig") is None
    assert [r for r in at.radio if str(r.key).endswith(".nll.answer") and r.key != radio.key]


# --- every page --------------------------------------------------------------------------------


PAGES = {
    # name: (page path, lab key, the lab's WhatIf, a cheap start)
    "home": (None, "home", HOME, {}),
    "regression": (REGRESSION_PAGE, "regression", REGRESSION, FAST),
    "classification": ("pages/classification.py", "classification", CLASSIFICATION,
                       cheap(ClassificationConfig)),
    "calibration": ("pages/calibration.py", "calibration", CALIBRATION, {}),
    "ood": ("pages/ood.py", "ood", OOD, cheap(OODLabConfig)),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_has_the_view_and_compares_a_lecture_pair(name: str) -> None:
    path, key, whatif, start = PAGES[name]
    at = open_app(path, {**start, "view": "compare"}, timeout=180)
    assert_clean(at)
    if path is not None:  # the lab pages: the last entry of the View picker
        view = next(w for kind in ("selectbox", "radio", "segmented_control", "pills")
                    for w in at.get(kind) if getattr(w, "key", None) == f"{key}.view")
        assert view.value == "compare"
        assert list(view.options)[-1] == "A/B · seeds"
    assert "Pin as A" in at.button(key=f"{key}.whatif.pin_side").label
    pairs = list(whatif.comparisons)
    pick = len(pairs) - 1  # the last lecture pair (the cheapest where there are several)
    at.button(key=f"{key}.whatif.pair{pick}").click().run()
    assert_clean(at)
    a, b = whatif.comparisons[pairs[pick]]
    assert at.query_params["a"] == encode(a)
    assert_compares(at, whatif, a, b, f"{key}.ab_fig")
    (script,) = [d for d in at.get("download_button") if d.key == f"{key}.whatif_script"]
    assert script.proto.label == "⬇ Python script (A and B)"


# --- the script ---------------------------------------------------------------------------------


def test_the_script_prints_the_numbers_the_table_shows(tmp_path: Path) -> None:
    at = open_app(None, {"view": "compare"})
    at.button(key="home.whatif.pair0").click().run()
    assert_clean(at)
    (button,) = [d for d in at.get("download_button") if d.key == "home.whatif_script"]
    assert button.proto.label == "⬇ Python script (A and B)"
    a, b = HOME.comparisons[next(iter(HOME.comparisons))]
    table = ab_table(at)

    script = tmp_path / "home_whatif.py"
    script.write_text(whatif_script("home", b, a, 1), encoding="utf-8")
    # As its docstring says: run from the lab's folder, or with that folder on PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "OMP_", "MKL_"))}
    env.update(PYTHONPATH=str(ROOT), LAB_DEVICE="cpu")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = {}
    for line in done.stdout.splitlines():
        match = re.match(r"(A|B), seed (\d+): (.*)$", line)
        if match:
            printed[match.group(1)] = match.group(3)
    assert set(printed) == {"A", "B"}, done.stdout
    for who in ("A", "B"):
        expected = "; ".join(f"{label} {value}" for label, value
                             in zip(table["number"], table[who], strict=True))
        assert printed[who] == expected


# --- teacher link ------------------------------------------------------------------------------


def test_the_teacher_link_carries_the_comparison_and_the_seeds() -> None:
    at = open_regression({"a": "loss=mse", "repeat": "2"})
    assert_clean(at)
    at.session_state["regression.teacher"] = True  # what opening the expander does
    at.run()
    at.toggle(key="regression.teacher.quiz").set_value(True).run()
    links = [c.value for c in at.code if "?" in c.value]
    assert len(links) == 1, links
    query = dict(p.split("=", 1) for p in links[0].split("?", 1)[1].split("&"))
    # the students' page opens on the same A, B, seeds and view, predicting first
    assert query["a"] == "loss%3Dmse" and query["repeat"] == "2" and query["quiz"] == "1"
    assert query["view"] == "compare" and query["steps"] == "200"
