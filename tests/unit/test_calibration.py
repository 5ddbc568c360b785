"""Tests for labcore.calibration (classification and temperature scaling).

Expected values are derived by hand in the assertion, come from an independent implementation
(scikit-learn, torchmetrics, torch, SciPy) or are properties theory guarantees.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize_scalar
from sklearn.calibration import calibration_curve
from sklearn.metrics import log_loss
from torchmetrics.classification import MulticlassCalibrationError

from labcore.calibration import (
    brier_score,
    classwise_ece,
    expected_calibration_error,
    fit_temperature,
    fit_temperature_ece,
    maximum_calibration_error,
    nll,
    nll_at_temperatures,
    reliability_bins,
    softmax,
)

# Five 3-class predictions, all labelled 0. With 2 bins (0, .5] and (.5, 1]:
#   high bin: confidences .7 (right), .76 (right), .75 (wrong: argmax is class 1)
#   low bin:  confidences .4 (right), .45 (wrong: argmax is class 1)
FIVE_PROBS = np.array(
    [
        [0.70, 0.20, 0.10],
        [0.76, 0.14, 0.10],
        [0.15, 0.75, 0.10],
        [0.40, 0.35, 0.25],
        [0.30, 0.45, 0.25],
    ]
)
FIVE_LABELS = np.zeros(5, dtype=int)
HIGH_GAP = abs(2 / 3 - (0.7 + 0.76 + 0.75) / 3)
LOW_GAP = abs(1 / 2 - (0.4 + 0.45) / 2)


def _random_probs(seed: int, n: int, k: int, sharpness: float = 2.0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=sharpness, size=(n, k))
    probs = softmax(logits)
    labels = rng.integers(0, k, size=n)
    return probs, labels


def _labels_from(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample one label per row from softmax(z) (inverse-CDF sampling)."""
    cdf = np.cumsum(softmax(z), axis=1)
    labels = (rng.uniform(size=(z.shape[0], 1)) > cdf).sum(axis=1)
    return np.minimum(labels, z.shape[1] - 1)


# --- softmax ----------------------------------------------------------------------------------


def test_softmax_hand_values_and_temperature():
    assert softmax(np.array([0.0, math.log(3)])) == pytest.approx([1 / 4, 3 / 4])
    # exp(ln 4 / 2) = 2, so T = 2 gives [1, 2] / 3.
    assert softmax(np.array([0.0, math.log(4)]), temperature=2.0) == pytest.approx([1 / 3, 2 / 3])


def test_softmax_is_stable_and_matches_torch():
    big = softmax(np.array([[1000.0, 1001.0]]))
    assert big[0] == pytest.approx([1 / (1 + math.e), math.e / (1 + math.e)])
    logits = np.random.default_rng(0).normal(scale=5, size=(30, 7))
    expected = torch.softmax(torch.tensor(logits) / 0.7, dim=-1).numpy()
    assert softmax(logits, 0.7) == pytest.approx(expected, abs=1e-14)


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.inf])
def test_softmax_rejects_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        softmax(np.zeros((2, 3)), temperature)


# --- reliability bins -------------------------------------------------------------------------


def test_reliability_bins_hand_case():
    bins = reliability_bins([0.2, 0.4, 0.7, 0.9], [0, 1, 1, 1], n_bins=2)
    assert bins.edges == pytest.approx([0.0, 0.5, 1.0])
    assert bins.counts.tolist() == [2, 2]
    assert bins.mean_confidence == pytest.approx([(0.2 + 0.4) / 2, (0.7 + 0.9) / 2])
    assert bins.accuracy == pytest.approx([1 / 2, 1.0])
    assert bins.ece == pytest.approx(2 / 4 * abs(0.5 - 0.3) + 2 / 4 * abs(1.0 - 0.8))


def test_uniform_bins_are_lower_open_upper_closed():
    # Five bins of width 0.2: 0 -> first bin, 0.2 -> first (upper edge), 0.2 + 1e-9 -> second,
    # 1.0 -> last. The empty bins have count 0 and NaN means.
    bins = reliability_bins([0.0, 0.2, 0.2 + 1e-9, 1.0], [1, 1, 0, 1], n_bins=5)
    assert bins.counts.tolist() == [2, 1, 0, 0, 1]
    assert np.isnan(bins.mean_confidence[2]) and np.isnan(bins.accuracy[3])
    assert bins.accuracy[[0, 1, 4]] == pytest.approx([1.0, 0.0, 1.0])


def test_uniform_bins_match_sklearn_calibration_curve_on_a_binary_problem():
    rng = np.random.default_rng(1)
    p = rng.beta(2, 2, size=2000)
    y = (rng.uniform(size=2000) < p**1.5).astype(int)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    bins = reliability_bins(p, y, n_bins=10)
    filled = bins.counts > 0
    assert bins.accuracy[filled] == pytest.approx(prob_true)
    assert bins.mean_confidence[filled] == pytest.approx(prob_pred)


@settings(max_examples=60, deadline=None)
@given(
    values=arrays(
        float,
        st.integers(1, 60),
        elements=st.floats(0, 1, allow_nan=False),
        unique=True,
    ),
    n_bins=st.integers(1, 20),
)
def test_quantile_bins_have_equal_mass_for_distinct_values(values, n_bins):
    bins = reliability_bins(values, np.ones(values.size), n_bins=n_bins, strategy="quantile")
    assert bins.counts.sum() == values.size
    assert bins.counts.max() - bins.counts.min() <= 1
    assert np.all(np.diff(bins.edges) >= 0)
    assert (bins.edges[0], bins.edges[-1]) == (0.0, 1.0)


def test_quantile_bins_hand_case_with_ties():
    # Six values in three bins of two; the tie at 0.5 straddles ranks 2 and 3, so both copies
    # join the bin of the first one and the edges stay (lower, upper].
    values = np.array([0.9, 0.1, 0.5, 0.2, 0.5, 0.8])
    bins = reliability_bins(values, np.ones(6), n_bins=3, strategy="quantile")
    assert bins.counts.tolist() == [2, 2, 2]
    assert bins.edges == pytest.approx([0.0, 0.2, 0.5, 1.0])
    assert bins.mean_confidence == pytest.approx([0.15, 0.5, 0.85])
    tied = reliability_bins([0.1, 0.5, 0.5, 0.5, 0.9], np.ones(5), n_bins=5, strategy="quantile")
    assert tied.counts.tolist() == [1, 3, 0, 0, 1]


def test_reliability_bins_reject_bad_input():
    with pytest.raises(ValueError, match="n_bins must be an integer ≥ 1"):
        reliability_bins([0.5], [1], n_bins=0)
    with pytest.raises(ValueError, match="strategy must be 'uniform' or 'quantile'"):
        reliability_bins([0.5], [1], strategy="equal")
    with pytest.raises(ValueError, match="confidences must be in"):
        reliability_bins([1.5], [1])
    with pytest.raises(ValueError, match="correct must have the same shape"):
        reliability_bins([0.5, 0.6], [1])
    with pytest.raises(ValueError, match="correct must hold only 0/1"):
        reliability_bins([0.5], [2])


# --- ECE, MCE, class-wise ECE -----------------------------------------------------------------


def test_ece_and_mce_hand_case():
    ece = expected_calibration_error(FIVE_PROBS, FIVE_LABELS, n_bins=2)
    assert ece == pytest.approx(3 / 5 * HIGH_GAP + 2 / 5 * LOW_GAP)
    mce = maximum_calibration_error(FIVE_PROBS, FIVE_LABELS, n_bins=2)
    assert mce == pytest.approx(max(HIGH_GAP, LOW_GAP))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ece_and_mce_match_torchmetrics(seed):
    probs, labels = _random_probs(seed, 3000, 5)
    assert probs.max() < 1
    preds, target = torch.tensor(probs), torch.tensor(labels)
    tm_ece = MulticlassCalibrationError(num_classes=5, n_bins=15, norm="l1")(preds, target)
    tm_mce = MulticlassCalibrationError(num_classes=5, n_bins=15, norm="max")(preds, target)
    assert expected_calibration_error(probs, labels) == pytest.approx(tm_ece.item(), abs=1e-6)
    assert maximum_calibration_error(probs, labels) == pytest.approx(tm_mce.item(), abs=1e-6)


def _classwise_ece_loop(probs, labels, n_bins):
    n, k = probs.shape
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for c in range(k):
        for b in range(n_bins):
            lo, hi = edges[b], edges[b + 1]
            inside = (probs[:, c] > lo) & (probs[:, c] <= hi)
            if b == 0:
                inside |= probs[:, c] == 0
            if inside.any():
                gap = abs(np.mean(labels[inside] == c) - probs[inside, c].mean())
                total += inside.sum() / n * gap
    return total / k


def test_classwise_ece_matches_a_loop_and_a_hand_case():
    probs, labels = _random_probs(3, 500, 4)
    assert classwise_ece(probs, labels, n_bins=10) == pytest.approx(
        _classwise_ece_loop(probs, labels, 10)
    )
    # Two samples, one bin: class 0 has mean p .75 and frequency 1/2; class 1 has .25 and 1/2.
    two = np.array([[0.9, 0.1], [0.6, 0.4]])
    assert classwise_ece(two, np.array([0, 1]), n_bins=1) == pytest.approx(
        (abs(0.5 - 0.75) + abs(0.5 - 0.25)) / 2
    )


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 80), k=st.integers(2, 6))
def test_ece_properties(seed, n, k):
    probs, labels = _random_probs(seed, n, k, sharpness=3.0)
    ece = expected_calibration_error(probs, labels)
    mce = maximum_calibration_error(probs, labels)
    assert 0 <= ece <= 1
    assert mce >= ece - 1e-12
    assert 0 <= classwise_ece(probs, labels) <= 1
    assert 0 <= expected_calibration_error(probs, labels, strategy="quantile") <= 1


GOOD_PROBS = np.array([[0.5, 0.5], [0.2, 0.8], [1.0, 0.0], [0.3, 0.7]])
GOOD_LABELS = np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("probs", "labels", "message"),
    [
        ([[0.5, 0.4]], [0], r"probs rows must sum to 1\. Got a row summing to 0\.9\."),
        (GOOD_PROBS * [[1.0], [1.0], [1.0], [1.01]], GOOD_LABELS, "summing to 1.01"),
        (GOOD_PROBS - [[0, 0], [0, 0], [0, 0], [0.31, -0.31]], GOOD_LABELS,
         r"probs must be probabilities in \[0, 1\]\. Got values from -0\.01 to 1\.01\."),
        (np.where(np.arange(8).reshape(4, 2) == 7, np.nan, GOOD_PROBS), GOOD_LABELS,
         r"probs must contain only finite numbers\. Got nan\."),
        (np.where(np.arange(8).reshape(4, 2) == 6, -np.inf, GOOD_PROBS), GOOD_LABELS,
         r"probs must contain only finite numbers\. Got -inf\."),
        ([0.5, 0.5], [0], r"probs must be a 2-D array\. Got shape \(2,\)\."),
        (np.zeros((0, 3)), [], r"probs must not be empty\. Got shape \(0, 3\)\."),
        (GOOD_PROBS, [0, 1, 2, 1], r"labels must lie in \[0, 1\]\. Got 0 to 2\."),
        ([[0.5, 0.5]], [0, 1], r"labels must have shape \(1,\)"),
        ([[0.5, 0.5]], [0.0], "labels must be integers"),
    ],
)
def test_ece_rejects_bad_input(probs, labels, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(probs, labels)


def test_ece_accepts_read_only_input_without_a_warning(recwarn):
    probs, labels = FIVE_PROBS.copy(), FIVE_LABELS.copy()
    probs.setflags(write=False)
    labels.setflags(write=False)
    ece = expected_calibration_error(probs, labels, n_bins=2)
    assert ece == pytest.approx(3 / 5 * HIGH_GAP + 2 / 5 * LOW_GAP)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


# --- NLL and Brier ----------------------------------------------------------------------------


def test_nll_hand_case_clipping_and_sklearn():
    probs = np.array([[0.5, 0.5], [0.9, 0.1]])
    assert nll(probs, np.array([0, 0])) == pytest.approx(-(math.log(0.5) + math.log(0.9)) / 2)
    assert nll(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(-math.log(1e-12))
    many, labels = _random_probs(4, 300, 4)
    assert nll(many, labels) == pytest.approx(log_loss(labels, many, labels=range(4)))


def test_brier_score_hand_cases_and_a_loop():
    assert brier_score(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(1 + 1)
    assert brier_score(np.array([[0.5, 0.5]]), np.array([0])) == pytest.approx(0.25 + 0.25)
    probs, labels = _random_probs(5, 100, 3)
    loop = np.mean(
        [sum((probs[i, c] - (labels[i] == c)) ** 2 for c in range(3)) for i in range(100)]
    )
    assert brier_score(probs, labels) == pytest.approx(loop)


# --- temperature scaling ----------------------------------------------------------------------


@pytest.mark.parametrize("t_true", [0.5, 2.5])
def test_fit_temperature_recovers_a_known_temperature(t_true):
    rng = np.random.default_rng(6)
    z = rng.normal(scale=2.0, size=(20_000, 10))
    labels = _labels_from(z, rng)
    t_fit = fit_temperature(z * t_true, labels)
    assert t_fit == pytest.approx(t_true, rel=0.05)
    calibrated = softmax(z * t_true, t_fit)
    assert np.array_equal(calibrated.argmax(axis=1), (z * t_true).argmax(axis=1))


def test_fit_temperature_matches_scipy_on_torch_cross_entropy():
    rng = np.random.default_rng(7)
    z = rng.normal(scale=3.0, size=(2000, 4))
    labels = _labels_from(z / 1.7, rng)
    logits_t, labels_t = torch.tensor(z), torch.tensor(labels)

    def objective(log_t: float) -> float:
        scaled = logits_t / math.exp(log_t)
        return torch.nn.functional.cross_entropy(scaled, labels_t).item()

    ref = minimize_scalar(objective, bounds=(math.log(0.01), math.log(100)), method="bounded")
    t_fit = fit_temperature(z, labels)
    assert t_fit == pytest.approx(math.exp(ref.x), rel=1e-3)
    assert nll_at_temperatures(z, labels, [t_fit])[0] <= ref.fun + 1e-9


def test_fit_temperature_edge_cases():
    # All logits equal: NLL = log K for every T, so T stays 1 and nothing fails.
    t_flat = fit_temperature(np.zeros((10, 3)), np.arange(10) % 3)
    assert t_flat == pytest.approx(1.0)
    # Confident logits but labels split 50/50: the best softmax is [.5, .5], i.e. T -> ∞.
    assert fit_temperature(np.array([[10.0, 0.0], [10.0, 0.0]]), np.array([0, 1])) > 10
    # Always right: sharper is always better, T -> 0.
    assert fit_temperature(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1])) < 0.1


def test_fit_temperature_ece_undoes_overconfidence():
    rng = np.random.default_rng(8)
    z = rng.normal(scale=2.0, size=(10_000, 10))
    labels = _labels_from(z, rng)
    t_fit = fit_temperature_ece(z * 2.0, labels)
    assert t_fit == pytest.approx(2.0, rel=0.1)
    assert expected_calibration_error(softmax(z * 2.0, t_fit), labels) < (
        expected_calibration_error(softmax(z * 2.0), labels)
    )
    grid = np.array([0.5, 1.0, 2.0, 4.0])
    eces = [expected_calibration_error(softmax(z * 2.0, t), labels) for t in grid]
    assert fit_temperature_ece(z * 2.0, labels, grid=grid) == grid[int(np.argmin(eces))]


def test_nll_at_temperatures_matches_torch():
    rng = np.random.default_rng(9)
    z = rng.normal(size=(50, 3))
    labels = rng.integers(0, 3, size=50)
    got = nll_at_temperatures(z, labels, [0.5, 1.0, 3.0])
    for t, value in zip([0.5, 1.0, 3.0], got, strict=True):
        ref = torch.nn.functional.cross_entropy(torch.tensor(z) / t, torch.tensor(labels))
        assert value == pytest.approx(ref.item())


def test_temperature_fits_reject_bad_input():
    with pytest.raises(ValueError, match="logits must be a 2-D array"):
        fit_temperature(np.zeros(3), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="logits must contain only finite numbers"):
        fit_temperature(np.array([[math.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match="grid must be a non-empty 1-D array"):
        fit_temperature_ece(np.zeros((2, 2)), np.array([0, 1]), grid=np.array([1.0, -1.0]))
