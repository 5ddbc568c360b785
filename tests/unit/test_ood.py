"""Tests for labcore.ood: detection metrics against scikit-learn and scores against theory."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics

from labcore import ood


def _tied_scores(seed: int, n_in: int = 300, n_out: int = 200):
    """Scores rounded to one decimal, so many ties within and across the two groups."""
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(1.0, 1.0, n_in), 1), np.round(rng.normal(0.0, 1.0, n_out), 1)


def _sklearn_labels(scores_in, scores_out):
    y = np.concatenate([np.ones(len(scores_in)), np.zeros(len(scores_out))])
    return y, np.concatenate([scores_in, scores_out])


# --- AUROC, ROC, AUPR -------------------------------------------------------------------------


def test_auroc_hand_case_with_a_tie():
    # Pairs (in, out): 3>2, 3>1, 2=2 (counts ½), 2>1 -> (1 + 1 + ½ + 1) / 4.
    assert ood.auroc([3.0, 2.0], [2.0, 1.0]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert ood.auroc([5.0, 6.0], [1.0, 2.0]) == 1.0
    assert ood.auroc([1.0, 2.0], [5.0, 6.0]) == 0.0
    assert ood.auroc([1.0, 1.0], [1.0]) == 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_and_aupr_match_sklearn_with_ties(seed):
    scores_in, scores_out = _tied_scores(seed)
    y, s = _sklearn_labels(scores_in, scores_out)
    assert ood.auroc(scores_in, scores_out) == pytest.approx(metrics.roc_auc_score(y, s))
    assert ood.aupr(scores_in, scores_out) == pytest.approx(metrics.average_precision_score(y, s))


def test_roc_curve_matches_sklearn_and_its_area_is_the_auroc():
    scores_in, scores_out = _tied_scores(3)
    fpr, tpr = ood.roc_curve(scores_in, scores_out)
    y, s = _sklearn_labels(scores_in, scores_out)
    sk_fpr, sk_tpr, _ = metrics.roc_curve(y, s, drop_intermediate=False)
    assert fpr == pytest.approx(sk_fpr)
    assert tpr == pytest.approx(sk_tpr)
    assert np.trapezoid(tpr, fpr) == pytest.approx(ood.auroc(scores_in, scores_out))


def test_aupr_hand_cases():
    assert ood.aupr([3.0], [2.0, 1.0]) == 1.0  # the positive is ranked first
    assert ood.aupr([1.0], [2.0]) == 0.5  # recall 1 reached at precision ½
    # Ranking in, out, in: AP = ½·1 + ½·(2/3).
    assert ood.aupr([3.0, 1.0], [2.0]) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


# --- FPR at TPR -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tpr", "expected"),
    [
        (0.2, 0 / 4),  # k = 1: threshold 5, no OOD score ≥ 5
        (0.4, 2 / 4),  # k = 2: threshold 4 (tied in-scores keep 3/5 ≥ 0.4); OOD 4, 4 pass
        (0.6, 2 / 4),  # k = 3: threshold 4
        (0.7, 3 / 4),  # k = ⌈3.5⌉ = 4: threshold 3; OOD 4, 4, 3 pass (tie at 3 counts)
        (1.0, 3 / 4),  # k = 5: threshold 2; OOD 4, 4, 3 pass
    ],
)
def test_fpr_at_tpr_hand_case_with_ties(tpr, expected):
    scores_in = np.array([5.0, 4.0, 4.0, 3.0, 2.0])
    scores_out = np.array([4.0, 4.0, 3.0, 1.0])
    assert ood.fpr_at_tpr(scores_in, scores_out, tpr) == pytest.approx(expected)


def test_fpr_at_tpr_is_not_fooled_by_float_rounding():
    # 0.95·20 = 19 exactly: the threshold is the 19th largest in-score (1.0), not the 20th.
    assert ood.fpr_at_tpr(np.arange(20.0), np.array([0.5, 1.5]), 0.95) == 0.5


@settings(max_examples=60, deadline=None)
@given(
    scores_in=st.lists(st.integers(0, 8), min_size=1, max_size=30),
    scores_out=st.lists(st.integers(0, 8), min_size=1, max_size=30),
    tpr=st.floats(0.01, 1.0),
)
def test_fpr_at_tpr_matches_a_brute_force_threshold_search(scores_in, scores_out, tpr):
    s_in, s_out = np.array(scores_in, float), np.array(scores_out, float)
    # Largest t (among the in-scores, where the kept fraction changes) keeping ≥ tpr of s_in.
    keeps = [t for t in s_in if np.mean(s_in >= t) >= tpr - 1e-9]
    expected = np.mean(s_out >= max(keeps))
    assert ood.fpr_at_tpr(s_in, s_out, tpr) == pytest.approx(expected)


def test_threshold_at_tpr_hand_values():
    # Ten in-scores 0.1 … 1.0: keeping 80 % (8 of 10) means accepting score ≥ 0.3, the 8th
    # largest; OOD scores 0.25, 0.35 and 0.95 then give 2 false positives of 3.
    scores_in = np.arange(1, 11) / 10
    assert ood.threshold_at_tpr(scores_in, tpr=0.8) == pytest.approx(0.3)
    assert ood.fpr_at_tpr(scores_in, [0.25, 0.35, 0.95], tpr=0.8) == pytest.approx(2 / 3)
    assert ood.threshold_at_tpr(scores_in, tpr=1.0) == pytest.approx(0.1)  # keep all: the minimum
    assert ood.threshold_at_tpr(scores_in, tpr=0.05) == pytest.approx(1.0)  # k = ⌈0.5⌉ = 1
    with pytest.raises(ValueError, match=r"tpr must be in \(0, 1\]\. Got 1\.5"):
        ood.threshold_at_tpr(scores_in, tpr=1.5)


def test_detection_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="scores_in must be a non-empty 1-D array"):
        ood.auroc([], [1.0])
    with pytest.raises(ValueError, match="scores_out must contain only finite numbers"):
        ood.aupr([1.0], [math.nan])
    with pytest.raises(ValueError, match=r"tpr must be in \(0, 1\]"):
        ood.fpr_at_tpr([1.0], [0.0], tpr=0.0)


# --- scores from logits -----------------------------------------------------------------------


def test_scores_hand_values():
    logits = np.array([[0.0, math.log(3)], [0.0, 0.0]])
    assert ood.max_softmax(logits) == pytest.approx([3 / 4, 1 / 2])
    assert ood.max_logit(logits) == pytest.approx([math.log(3), 0.0])
    h0 = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert ood.neg_entropy(logits) == pytest.approx([-h0, -math.log(2)])
    # log(e^0 + e^{ln 3}) = log 4; log(1 + 1) = log 2.
    assert ood.neg_energy(logits) == pytest.approx([math.log(4), math.log(2)])


def test_neg_energy_matches_torch_and_is_stable():
    rng = np.random.default_rng(4)
    logits = rng.normal(scale=4, size=(40, 6))
    for t in (0.5, 1.0, 3.0):
        ref = t * torch.logsumexp(torch.tensor(logits) / t, dim=1)
        assert ood.neg_energy(logits, t) == pytest.approx(ref.numpy())
    assert ood.neg_energy(np.array([[1000.0, 1000.0]])) == pytest.approx([1000 + math.log(2)])
    bounds = ood.max_logit(logits)
    energy = ood.neg_energy(logits, 2.0)
    assert np.all((bounds <= energy) & (energy <= bounds + 2.0 * math.log(6)))


def test_scores_shift_or_stay_when_a_constant_is_added_to_all_logits():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(25, 4))
    c = 7.5
    assert ood.max_softmax(logits + c) == pytest.approx(ood.max_softmax(logits))
    assert ood.neg_entropy(logits + c, 2.0) == pytest.approx(ood.neg_entropy(logits, 2.0))
    assert ood.max_logit(logits + c) == pytest.approx(ood.max_logit(logits) + c)
    assert ood.neg_energy(logits + c, 2.0) == pytest.approx(ood.neg_energy(logits, 2.0) + c)


def test_temperature_softens_max_softmax_and_entropy():
    logits = np.random.default_rng(6).normal(scale=3, size=(25, 5))
    assert np.all(ood.max_softmax(logits, 4.0) <= ood.max_softmax(logits) + 1e-12)
    assert np.all(ood.neg_entropy(logits, 4.0) <= ood.neg_entropy(logits) + 1e-12)
    assert np.all(ood.neg_entropy(logits) >= -math.log(5) - 1e-12)


def test_scores_reject_bad_logits():
    with pytest.raises(ValueError, match=r"logits must be a non-empty \(n, K\) array"):
        ood.max_logit(np.zeros(3))
    with pytest.raises(ValueError, match="logits must contain only finite numbers"):
        ood.neg_energy(np.array([[math.inf, 0.0]]))
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        ood.max_softmax(np.zeros((1, 2)), temperature=0.0)
