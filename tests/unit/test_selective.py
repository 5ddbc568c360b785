"""Selective prediction (scene S8): hand-made curves, AURC against a naive loop, ties, oracle."""

from __future__ import annotations

import numpy as np
import pytest

from labcore.uncertainty.selective import (
    accepted_subset,
    accuracy_coverage_curve,
    aurc,
    oracle_accuracy,
)


def test_hand_example():
    # Sorted by score: right, right, wrong, right.
    curve = accuracy_coverage_curve([0.9, 0.8, 0.6, 0.3], [1, 1, 0, 1])
    assert curve.coverage.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert curve.accuracy == pytest.approx([1.0, 1.0, 2 / 3, 3 / 4])
    assert curve.thresholds.tolist() == [0.9, 0.8, 0.6, 0.3]
    assert aurc([0.9, 0.8, 0.6, 0.3], [1, 1, 0, 1]) == pytest.approx((0 + 0 + 1 / 3 + 1 / 4) / 4)


def test_aurc_is_the_mean_risk_of_the_top_k_for_distinct_scores():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=300)
    correct = rng.random(300) < 1 / (1 + np.exp(-2 * scores))  # higher score, more often right
    order = np.argsort(-scores)
    naive = np.mean([1 - correct[order[:k]].mean() for k in range(1, 301)])  # Geifman et al.
    assert aurc(scores, correct) == pytest.approx(naive, rel=1e-12)


def test_tied_scores_are_accepted_together():
    # Two tied at 0.5 (one right, one wrong): one point at coverage 2/3, not two.
    curve = accuracy_coverage_curve([0.9, 0.5, 0.5], [1, 0, 1])
    assert curve.coverage == pytest.approx([1 / 3, 1.0])
    assert curve.accuracy == pytest.approx([1.0, 2 / 3])
    # Reordering the tied samples changes nothing.
    assert aurc([0.9, 0.5, 0.5], [1, 1, 0]) == aurc([0.9, 0.5, 0.5], [1, 0, 1])


def test_scores_without_ranking_give_the_error_rate():
    correct = np.array([1, 0, 1, 1, 0, 1, 1, 1])  # error rate 2/8
    assert aurc(np.full(8, 0.7), correct) == pytest.approx(0.25)


def test_a_perfect_score_reaches_the_oracle():
    # n = 10 with e = 3 errors ranked last: risk(top k) = (k − 7)/k for k = 8, 9, 10.
    correct = np.array([1] * 7 + [0] * 3)
    scores = np.linspace(1.0, 0.1, 10)
    assert aurc(scores, correct) == pytest.approx((1 / 8 + 2 / 9 + 3 / 10) / 10)
    curve = accuracy_coverage_curve(scores, correct)
    assert curve.accuracy == pytest.approx(oracle_accuracy(curve.coverage, 0.7))


def test_aurc_does_not_change_under_a_monotonic_transform():
    rng = np.random.default_rng(1)
    scores = rng.uniform(0.01, 1, 200)
    correct = rng.random(200) < scores
    assert aurc(np.log(scores), correct) == pytest.approx(aurc(scores, correct), rel=1e-12)


def test_accepted_subset_hand_values():
    subset = accepted_subset([0.9, 0.8, 0.6, 0.3], [1, 1, 0, 1], threshold=0.6)
    assert (subset.n_accepted, subset.coverage) == (3, 0.75)
    assert subset.accuracy == pytest.approx(2 / 3)
    nothing = accepted_subset([0.9, 0.8], [1, 1], threshold=0.95)
    assert nothing.n_accepted == 0 and nothing.coverage == 0.0
    assert np.isnan(nothing.accuracy)


def test_oracle_accuracy_hand_values():
    assert oracle_accuracy(np.array([0.5, 0.8, 1.0]), 0.8).tolist() == [1.0, 1.0, 0.8]
    with pytest.raises(ValueError, match=r"coverage must be in \(0, 1\]\. Got values from 0"):
        oracle_accuracy(np.array([0.0, 0.5]), 0.8)


def test_bad_input_is_rejected_with_a_message():
    with pytest.raises(ValueError, match=r"correct must have the same shape as scores \(2,\)"):
        aurc([0.1, 0.2], [1])
    with pytest.raises(ValueError, match=r"correct must hold only 0/1 or booleans"):
        aurc([0.1, 0.2], [1, 2])
    with pytest.raises(ValueError, match=r"scores must contain only finite numbers\. Got nan\."):
        aurc([0.1, np.nan], [1, 0])
    with pytest.raises(ValueError, match=r"scores must be a non-empty 1-D array"):
        accuracy_coverage_curve([], [])
