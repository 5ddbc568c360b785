"""What-if figures (:mod:`labcore.plots.whatif`): the strips over seeds and each lab's A/B figure.

The strips are drawn from hand-made spreads, so every value can be read off the test; the A/B
figures from real, small runs (few steps), and their traces are checked against the results'
own arrays: a band's upper edge is ``pred_mean + 1.96 · total_std`` of that run, a reliability
curve is the bins :func:`rescore` gives with that run's config, and so on.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest

from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.calibration.run import rescore, run_calibration
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import run_classification
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import run_mle
from labcore.experiments.ood.config import ShiftConfig
from labcore.experiments.ood.sweep import run_shift
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression
from labcore.plots import spread as strips
from labcore.plots import whatif as plots
from labcore.plots._spec import axis_keys
from labcore.plots.describe import FALLBACK_NAME, describe_figure
from labcore.whatif import Number, Spread


def ys(values: Any) -> np.ndarray:
    """A trace's values as floats (None → NaN)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def by_name(fig: go.Figure, name: str) -> list[Any]:
    return [t for t in fig.data if t.name == name]


def check_conventions(fig: go.Figure, labels: tuple[str, str] = ("A", "B")) -> None:
    """A title, a title on every visible axis, at most 420 px high, legend names naming A and
    B, a text alternative, and a spec plotly's validating constructor leaves unchanged."""
    layout = fig.layout.to_plotly_json()
    assert fig.layout.title.text
    assert fig.layout.height <= 420
    for letter in "xy":
        for key in axis_keys(layout, letter):
            axis = layout[key]
            if axis.get("visible") is False:
                continue
            assert axis.get("title", {}).get("text"), key
    names = [t.name for t in fig.data if t.showlegend is not False and t.name]
    for label in labels:
        assert any(n.startswith(f"{label}: ") for n in names), (label, names)
    assert describe_figure(fig).name not in ("", FALLBACK_NAME)
    sent = json.loads(fig.to_json())
    assert json.loads(go.Figure(sent).to_json()) == sent


# --- the strips over seeds ---------------------------------------------------------------------

ECE = Number("ece", "ECE", 0.05, "lower")
COVERAGE = Number("coverage", "coverage of the 95 % band", 0.9, "target", 2, target=0.95)
NLL = Number("nll", "NLL", 1.2, "lower", unit=" nats")
ACC = Number("acc", "accuracy", 0.8, "higher")
SEEDS = np.array([3, 4, 5, 6, 7])


def spreads(offset: float = 0.0) -> list[Spread]:
    return [Spread(ECE, SEEDS, np.array([0.05, 0.07, 0.04, 0.06, 0.08]) + offset),
            Spread(COVERAGE, SEEDS, np.array([0.90, 0.96, 0.93, 0.97, 0.91]) + offset),
            Spread(NLL, SEEDS, np.array([1.2, 1.1, 1.5, 1.3, 1.4]) + offset),
            Spread(ACC, SEEDS, np.array([0.8, 0.82, 0.79, 0.85, 0.81]) + offset)]


def test_one_setting_strips_carry_the_values_and_mark_the_current_seed() -> None:
    a = spreads()[:2]
    fig = strips.spread_figure(a)
    check_conventions(fig, labels=())
    assert "over 5 seeds" in fig.layout.title.text
    dots = by_name(fig, "one dot per seed")
    marked = by_name(fig, "this seed (seed 3)")
    assert len(dots) == len(marked) == 2  # one per panel, one row of two panels
    for spread, dot, mark, axis in zip(a, dots, marked, ("y", "y2"), strict=True):
        assert dot.yaxis == mark.yaxis == axis
        np.testing.assert_allclose(ys(dot.y), spread.values)
        assert list(dot.customdata) == SEEDS.tolist()  # hover: the seed of each dot
        assert "seed %{customdata}" in dot.hovertemplate
        assert list(mark.y) == [spread.values[0]]
        assert mark.marker.symbol == "diamond" and mark.marker.size > dot.marker.size
        assert mark.x[0] == dot.x[0]  # the diamond sits on the current seed's dot
    assert [m.showlegend for m in marked] == [True, False]
    target = by_name(fig, "target (dashed line)")
    assert len(target) == 1 and list(target[0].y) == [0.95, 0.95] and target[0].yaxis == "y2"
    assert target[0].line.dash == "dash"
    assert fig.layout.yaxis.title.text == "ECE"
    assert fig.layout.xaxis.ticktext == ("these settings",)


def test_a_unit_joins_the_axis_title_and_a_missing_value_is_left_out() -> None:
    nll = Spread(NLL, SEEDS, np.array([1.2, np.nan, 1.5, np.inf, 1.4]))
    fig = strips.spread_figure([nll])
    assert fig.layout.yaxis.title.text == "NLL (nats)"
    dot = by_name(fig, "one dot per seed")[0]
    assert list(dot.y) == [1.2, None, 1.5, None, 1.4]
    assert "nats" in dot.hovertemplate


def test_a_and_b_stand_side_by_side_and_lines_join_the_same_seed() -> None:
    a, b = spreads(), spreads(0.01)
    b[2] = Spread(NLL, SEEDS, np.array([1.0, 1.6, 1.1, 1.2, 1.3]))
    fig = strips.spread_figure(a, b)
    check_conventions(fig)
    assert fig.layout.title.text.startswith("A and B over 5 seeds")
    assert "yaxis4" in fig.layout and "yaxis5" not in fig.layout  # four numbers in one row
    dots_a, dots_b = by_name(fig, "A: one dot per seed"), by_name(fig, "B: one dot per seed")
    pairs = by_name(fig, "the same seed in A and B")
    assert len(dots_a) == len(dots_b) == len(pairs) == 4
    for k in range(4):
        np.testing.assert_allclose(ys(dots_a[k].y), a[k].values)
        np.testing.assert_allclose(ys(dots_b[k].y), b[k].values)
        assert dots_a[k].marker.color.startswith(_rgb(plots.A_COLOUR))
        assert dots_b[k].marker.color.startswith(_rgb(plots.B_COLOUR))
        # segment i runs from A's dot of seed i to B's dot of seed i, then a break
        x, y = list(pairs[k].x), list(pairs[k].y)
        assert len(x) == 3 * SEEDS.size and x[2::3] == [None] * SEEDS.size
        assert x[0::3] == list(dots_a[k].x) and x[1::3] == list(dots_b[k].x)
        np.testing.assert_allclose(ys(y[0::3]), a[k].values)
        np.testing.assert_allclose(ys(y[1::3]), b[k].values)
        assert all(xa < 0.5 < xb for xa, xb in zip(x[0::3], x[1::3], strict=True))
    marked_b = [t for t in fig.data if t.name == "this seed (seed 3)" and t.marker.color
                == plots.B_COLOUR]
    assert [list(t.y) for t in marked_b] == [[s.values[0]] for s in b]
    assert fig.layout.xaxis.ticktext == ("A", "B")


def test_more_than_four_numbers_take_two_rows_titled_at_the_bottom() -> None:
    five = [*spreads(), Spread(dataclasses.replace(ECE, key="mce", label="MCE"), SEEDS,
                               np.linspace(0.1, 0.2, 5))]
    fig = strips.spread_figure(five, five, labels=("small", "large"))
    layout = fig.layout
    assert layout.height <= 420
    assert layout.yaxis.domain[0] > layout.yaxis4.domain[1]  # panel 4 sits below panel 1
    # three columns: panels 1–2 have a panel below them, 3 (above an empty one) does not
    titled = [bool(layout[f"xaxis{i if i > 1 else ''}"].title.text) for i in range(1, 6)]
    assert titled == [False, False, True, True, True]
    assert layout.xaxis6.visible is False and layout.yaxis6.visible is False
    assert all(layout[f"yaxis{i if i > 1 else ''}"].title.text for i in range(1, 6))
    names = {t.name for t in fig.data if t.showlegend is not False}
    assert {"small: one dot per seed", "large: one dot per seed",
            "the same seed in small and large"} <= names


def test_b_must_have_the_same_numbers() -> None:
    with pytest.raises(ValueError, match="same headline numbers"):
        strips.spread_figure(spreads()[:2], spreads()[1:3])
    with pytest.raises(ValueError, match="at least one"):
        strips.spread_figure([])


def test_the_jitter_is_fixed_and_stays_inside_its_strip() -> None:
    offsets = strips.jitter(20)
    assert np.array_equal(offsets, strips.jitter(20))
    assert np.all(np.abs(offsets) <= strips.JITTER / 2) and np.unique(offsets).size == 20


def _rgb(colour: str) -> str:
    return "rgba(" + ", ".join(str(int(colour[i:i + 2], 16)) for i in (1, 3, 5))


# --- each lab's A/B figure, from real small runs -----------------------------------------------

@pytest.fixture(scope="module")
def regression() -> tuple:
    a = RegressionConfig(steps=100, members=2)
    b = a.replace(loss="mse")  # the same data and truth, one σ for all x
    return a, run_regression(a), b, run_regression(b)


def test_regression_bands_are_mean_plus_minus_1_96_total_sigma_of_each_run(regression) -> None:
    config_a, a, config_b, b = regression
    fig = plots.regression_ab(config_a, a, config_b, b)
    check_conventions(fig)
    for label, result in (("A", a), ("B", b)):
        [lower] = by_name(fig, f"{label}: 95 % band (mean ± 1.96σ, aleatoric + epistemic)")
        upper = fig.data[fig.data.index(lower) - 1]  # the band's unnamed edge, filled to
        assert lower.fill == "tonexty" and upper.showlegend is False
        np.testing.assert_allclose(ys(upper.y), result.pred_mean + 1.96 * result.total_std)
        np.testing.assert_allclose(ys(lower.y), result.pred_mean - 1.96 * result.total_std)
        [mean] = by_name(fig, f"{label}: predicted mean")
        np.testing.assert_allclose(ys(mean.y), result.pred_mean)
        [data] = by_name(fig, f"{label}: training data")
        np.testing.assert_allclose(ys(data.y), result.y_train)
    assert by_name(fig, "A: training data")[0].marker.symbol == "circle"
    assert by_name(fig, "B: training data")[0].marker.symbol == "x"
    [truth] = by_name(fig, "true mean f(x)")  # A and B share the data: one truth, black
    np.testing.assert_allclose(ys(truth.y), a.true_mean)
    assert truth.line.color == plots.palette.TRUTH
    description = describe_figure(fig).description
    assert "A: 95 % band" in description and "mean width" in description


def test_regression_draws_each_truth_when_a_and_b_differ(regression) -> None:
    config_a, a = regression[:2]
    config_c = config_a.replace(noise_shape="growing")
    c = run_regression(config_c)
    assert not np.allclose(c.true_std, a.true_std)
    fig = plots.regression_ab(config_a, a, config_c, c)
    check_conventions(fig)
    assert not by_name(fig, "true mean f(x)")
    assert len(by_name(fig, "A: true mean f(x)")) == len(by_name(fig, "B: true mean f(x)")) == 1
    edges_b = [t for t in fig.data if t.legendgroup == "truth95B"]
    np.testing.assert_allclose(ys(edges_b[1].y), c.true_mean + 1.96 * c.true_std)
    assert [t.line.color for t in edges_b] == [plots.B_COLOUR] * 2


def test_labels_rename_a_and_b(regression) -> None:
    config_a, a, config_b, b = regression
    fig = plots.regression_ab(config_a, a, config_b, b, labels=("NLL", "MSE"))
    check_conventions(fig, labels=("NLL", "MSE"))
    assert by_name(fig, "MSE: predicted mean")


@pytest.fixture(scope="module")
def calibration() -> tuple:
    a = CalibrationConfig(steps=50, hidden=16, smoothing=0.1)
    b = CalibrationConfig(steps=50, hidden=16, smoothing=0.0, n_bins=10, strategy="quantile")
    return a, run_calibration(a), b, run_calibration(b)


def test_calibration_panels_are_each_runs_raw_reliability_with_its_own_bins(calibration) -> None:
    config_a, a, config_b, b = calibration
    fig = plots.calibration_ab(config_a, a, config_b, b)
    check_conventions(fig)
    curves = [t for t in fig.data if t.mode == "lines+markers"]
    assert [(t.name[:2], t.xaxis) for t in curves] == [("A:", "x"), ("A:", "x"), ("B:", "x2")]
    expected = [(a, "plain", config_a), (a, "smoothed", config_a), (b, "plain", config_b)]
    for curve, (run, kind, config) in zip(curves, expected, strict=True):
        scores = rescore(run, kind, 1.0, config.n_bins, config.strategy)
        filled = scores.bins.counts > 0
        np.testing.assert_allclose(ys(curve.x), scores.bins.mean_confidence[filled])
        np.testing.assert_allclose(ys(curve.y), scores.bins.accuracy[filled])
        assert list(curve.customdata) == scores.bins.counts[filled].tolist()
        assert f"ECE {scores.ece:.3f}" in curve.name
    assert [c.line.dash for c in curves] == ["solid", "dash", "solid"]  # smoothed dashed
    assert curves[0].line.color == plots.A_COLOUR and curves[2].line.color == plots.B_COLOUR
    titles = [n.text for n in fig.layout.annotations]
    assert titles[0].startswith("A: 15 equal-width bins")
    assert titles[1].startswith("B: 10 equal-mass bins")
    assert len(by_name(fig, "perfect calibration (accuracy = confidence)")) == 2


@pytest.fixture(scope="module")
def classification() -> tuple:
    a = ClassificationConfig(dataset="moons", steps=50, hidden=32, n_views=4)
    b = a.replace(method="ensemble", members=2)
    return a, run_classification(a.model_config()), b, run_classification(b.model_config())


def test_classification_overlays_each_runs_accuracy_coverage_curves(classification) -> None:
    config_a, a, config_b, b = classification
    fig = plots.classification_ab(config_a, a, config_b, b)
    check_conventions(fig)
    for label, result, colour in (("A", a, plots.A_COLOUR), ("B", b, plots.B_COLOUR)):
        lines = [t for t in fig.data if t.name.startswith(f"{label}: ")]
        assert len(lines) == len(result.curves) >= 1
        for line, curve in zip(lines, result.curves.values(), strict=True):
            np.testing.assert_allclose(ys(line.x), curve.coverage)
            np.testing.assert_allclose(ys(line.y), curve.accuracy)
            assert line.line.color == colour
    assert len(b.curves) > len(a.curves)  # the ensemble adds "members agree"
    assert fig.layout.xaxis.tickformat == fig.layout.yaxis.tickformat == ".0%"


@pytest.fixture(scope="module")
def shift() -> tuple:
    a = ShiftConfig(steps=100, hidden=16, members=2, ensemble=False)
    b = a.replace(ensemble=True)
    return a, run_shift(a), b, run_shift(b)


def test_ood_draws_each_method_of_a_solid_and_of_b_dashed(shift) -> None:
    config_a, a, config_b, b = shift
    fig = plots.ood_ab(config_a, a, config_b, b)
    check_conventions(fig)
    for label, result, dash in (("A", a, "solid"), ("B", b, "dash")):
        for i, method in enumerate(result.methods):
            accuracy, ece = by_name(fig, f"{label}: {plots.METHOD_LABELS[method]}")
            assert (accuracy.xaxis, ece.xaxis) == ("x", "x2")
            np.testing.assert_allclose(ys(accuracy.y), result.accuracy[i].mean(axis=0))
            np.testing.assert_allclose(ys(ece.y), result.ece[i].mean(axis=0))
            assert list(accuracy.x) == list(range(6))
            assert accuracy.line.dash == dash
            assert accuracy.line.color == plots.palette.METHODS[method]
    assert fig.layout.xaxis2.matches == "x"  # one severity axis


def test_home_overlays_the_nll_curves_with_each_estimate_and_the_truth() -> None:
    config_a, config_b = MLEConfig(n_samples=5), MLEConfig(n_samples=200)
    a, b = run_mle(config_a), run_mle(config_b)
    fig = plots.home_ab(config_a, a, config_b, b)
    check_conventions(fig)
    for label, result in (("A", a), ("B", b)):
        [curve] = by_name(fig, f"{label}: mean NLL (n = {result.sample.size})")
        np.testing.assert_allclose(ys(curve.y), result.mean_nll)
        [estimate] = [t for t in fig.data if t.name.startswith(f"{label}: estimate")]
        assert list(estimate.x) == [result.closed_form] * 2
        [star] = by_name(fig, f"{label}: lowest NLL on the grid")
        assert (star.x[0], star.y[0]) == (result.grid_minimiser, result.mean_nll.min())
    truth = [t for t in fig.data if t.name.startswith("true μ")]
    assert len(truth) == 1 and list(truth[0].x) == [1.0, 1.0]  # one truth, shared
    assert "xaxis2" not in fig.layout


def test_home_puts_two_distributions_side_by_side() -> None:
    config_a, config_b = MLEConfig(), MLEConfig(distribution="bernoulli")
    fig = plots.home_ab(config_a, run_mle(config_a), config_b, run_mle(config_b))
    check_conventions(fig)
    assert fig.layout.xaxis.title.text.startswith("μ")
    assert fig.layout.xaxis2.title.text.startswith("λ")
    assert len([t for t in fig.data if "true" in t.name]) == 2
