"""More checks of labcore.calibration, for what tests/unit/test_calibration.py leaves open.

ECE on rows with confidence exactly 1 and probabilities exactly 0, many empty bins, equal-mass
(adaptive) ECE by hand, the full top-label pipeline against scikit-learn on a binary problem,
the ECE-grid temperature, and property tests (hypothesis) for any valid input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.calibration import calibration_curve

from labcore.calibration import (
    classwise_ece,
    expected_calibration_error,
    fit_temperature,
    fit_temperature_ece,
    maximum_calibration_error,
    reliability_bins,
    softmax,
)

# --- hand cases at the edges ------------------------------------------------------------------


def test_ece_with_confidence_exactly_one():
    # Three one-hot rows: every confidence is exactly 1.0, so all sit in the last bin, where
    # 2 of 3 are right: ECE = 3/3 · |2/3 − 1| = 1/3, and that bin is also the worst one.
    probs = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    labels = np.array([0, 1, 1])
    assert expected_calibration_error(probs, labels) == pytest.approx(1 / 3)
    assert maximum_calibration_error(probs, labels) == pytest.approx(1 / 3)
    bins = reliability_bins(probs.max(axis=1), probs.argmax(axis=1) == labels, n_bins=15)
    assert bins.counts.tolist() == [0] * 14 + [3]


def test_classwise_ece_with_probabilities_exactly_zero_and_one():
    # probs [[1, 0], [0, 1]], both labelled 0, one bin per half of [0, 1]:
    #   class 0: p = 1 (is class 0) → top bin, gap 0; p = 0 (is class 0) → first bin, gap 1.
    #   class 1: p = 0 (not class 1) → first bin, gap 0; p = 1 (not class 1) → top bin, gap 1.
    # Each class: 1/2 · 1; mean over the two classes: 1/2.
    probs = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert classwise_ece(probs, np.array([0, 0]), n_bins=2) == pytest.approx(0.5)


@pytest.mark.parametrize("n_bins", [10, 15, 30])
def test_empty_bins_add_nothing(n_bins):
    # Two predictions far apart: 0.95 (right) and 0.55 (wrong). Whatever the number of bins,
    # each sits alone in its bin and every other bin is empty:
    # ECE = 1/2 · |1 − 0.95| + 1/2 · |0 − 0.55| = 0.3, MCE = 0.55.
    probs = np.array([[0.95, 0.05], [0.55, 0.45]])
    labels = np.array([0, 1])
    assert expected_calibration_error(probs, labels, n_bins) == pytest.approx(0.3)
    assert maximum_calibration_error(probs, labels, n_bins) == pytest.approx(0.55)


def test_adaptive_ece_hand_case_disagrees_with_equal_width():
    # Confidences .6 (wrong), .7, .8, .9 (right). Two equal-mass bins {.6, .7} and {.8, .9}:
    #   gaps |1/2 − .65| = .15 and |1 − .85| = .15 → adaptive ECE = .15.
    # Two equal-width bins put all four in (.5, 1]: accuracy 3/4 = mean confidence .75 → 0.
    probs = np.array([[0.6, 0.4], [0.7, 0.3], [0.8, 0.2], [0.9, 0.1]])
    labels = np.array([1, 0, 0, 0])
    assert expected_calibration_error(probs, labels, 2, "quantile") == pytest.approx(0.15)
    assert expected_calibration_error(probs, labels, 2, "uniform") == pytest.approx(0.0)


def test_adaptive_bins_hold_equal_counts():
    # 1,000 distinct confidences in 15 equal-mass bins: 1000 = 15 · 66 + 10, so ten bins hold
    # 67 and five hold 66.
    conf = np.random.default_rng(0).uniform(size=1000)
    bins = reliability_bins(conf, conf > 0.5, n_bins=15, strategy="quantile")
    assert sorted(bins.counts.tolist()) == [66] * 5 + [67] * 10


def test_binary_top_label_ece_matches_sklearn_calibration_curve():
    # With two classes and p(class 1) > 0.5 everywhere, the top-label confidence is p1 and a
    # prediction is right exactly when y = 1, so the top-label bins are sklearn's bins of p1.
    rng = np.random.default_rng(3)
    p1 = rng.uniform(0.5, 1.0, size=4000)
    y = (rng.uniform(size=4000) < p1**2).astype(int)
    prob_true, prob_pred = calibration_curve(y, p1, n_bins=15, strategy="uniform")
    counts = np.histogram(p1, bins=np.linspace(0, 1, 16))[0]
    weights = counts[counts > 0] / p1.size
    expected = float(np.sum(weights * np.abs(prob_true - prob_pred)))
    probs = np.stack([1 - p1, p1], axis=1)
    assert expected_calibration_error(probs, y) == pytest.approx(expected, abs=1e-12)


# --- temperature ------------------------------------------------------------------------------


def test_fit_temperature_ece_with_all_equal_logits_keeps_t_near_one():
    # Uniform probabilities at every T: the ECE does not depend on T, ties go to T closest to 1.
    t = fit_temperature_ece(np.zeros((12, 4)), np.arange(12) % 4)
    assert t == pytest.approx(1.0)


def test_one_bin_ece_temperature_matches_mean_confidence_to_accuracy():
    # With one bin, ECE(T) = |accuracy − mean confidence(T)|. Mean confidence falls
    # continuously from 1 (T → 0) to 1/K (T → ∞) and accuracy lies in between, so some T
    # makes it 0; a fine grid gets within a few thousandths (measured: 0.0009 at T = 2.96).
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2.0, size=(3000, 5))
    cdf = np.cumsum(softmax(z), axis=1)
    labels = np.minimum((rng.uniform(size=(3000, 1)) > cdf).sum(axis=1), 4)
    grid = np.geomspace(0.2, 5.0, 400)
    t = fit_temperature_ece(z * 3.0, labels, grid=grid, n_bins=1)
    probs = softmax(z * 3.0, t)
    accuracy = np.mean(probs.argmax(axis=1) == labels)
    assert abs(accuracy - probs.max(axis=1).mean()) < 0.005
    assert expected_calibration_error(probs, labels, n_bins=1) < 0.005


@settings(max_examples=40, deadline=None)
@given(
    logits=arrays(float, st.tuples(st.integers(1, 25), st.integers(2, 5)),
                  elements=st.floats(-40, 40, allow_nan=False)),
    seed=st.integers(0, 1000),
)
def test_fit_temperature_is_positive_and_keeps_the_argmax(logits, seed):
    labels = np.random.default_rng(seed).integers(0, logits.shape[1], size=logits.shape[0])
    t = fit_temperature(logits, labels)
    assert math.isfinite(t) and t > 0
    # Dividing by T > 0 keeps the order of the logits; rows whose top two logits tie (to
    # rounding) may break the tie either way, so they are left out.
    top2 = np.sort(logits, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-9 * (1 + np.abs(top2[:, 1]))
    assert np.array_equal(softmax(logits, t).argmax(axis=1)[clear], logits.argmax(axis=1)[clear])


# --- properties for any valid input -----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    raw=arrays(float, st.tuples(st.integers(1, 40), st.integers(2, 6)),
               elements=st.one_of(st.just(0.0), st.floats(0, 1, allow_nan=False))),
    seed=st.integers(0, 1000),
    n_bins=st.integers(1, 20),
)
def test_ece_is_in_unit_interval_and_below_mce_for_any_probabilities(raw, seed, n_bins):
    # Rows of any non-negative numbers, normalised; an all-zero row becomes one-hot. Exact
    # zeros and ones are common, so the edge bins are exercised.
    rows = raw.copy()
    empty = rows.sum(axis=1) == 0
    rows[empty, 0] = 1.0
    probs = rows / rows.sum(axis=1, keepdims=True)
    labels = np.random.default_rng(seed).integers(0, probs.shape[1], size=probs.shape[0])
    for strategy in ("uniform", "quantile"):
        ece = expected_calibration_error(probs, labels, n_bins, strategy)
        mce = maximum_calibration_error(probs, labels, n_bins, strategy)
        assert 0.0 <= ece <= 1.0
        assert mce >= ece - 1e-12
    assert 0.0 <= classwise_ece(probs, labels, n_bins) <= 1.0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_probabilities_are_refused_by_name(bad):
    probs = np.array([[0.5, 0.5], [bad, 0.5]])
    with pytest.raises(ValueError, match=r"probs must contain only finite numbers\. Got"):
        expected_calibration_error(probs, np.array([0, 1]))
