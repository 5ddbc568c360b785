"""View aggregation (scene S7): hand-made view sets, ties, the all-zero fallback, a naive loop."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from labcore.uncertainty.aggregation import (
    aggregate_mean,
    aggregate_mode,
    aggregate_views,
    aggregate_weighted,
    break_ties,
    hard_flags,
)

# The lecture's slide: test sample 14, five views, threshold t = 0.34.
LECTURE_CLASSES = np.array([[7], [7], [7], [4], [4]])
LECTURE_CO = np.array([[0.3575], [0.3309], [0.3409], [0.3105], [0.2684]])
LECTURE_CE = np.array([[0.4999], [0.4999], [0.4998], [0.4999], [0.4999]])


def test_the_lecture_slide():
    assert hard_flags(LECTURE_CO, 0.34)[:, 0].tolist() == [1, 0, 1, 0, 0]
    assert hard_flags(LECTURE_CE, 0.34)[:, 0].tolist() == [1, 1, 1, 1, 1]
    assert aggregate_mode(LECTURE_CLASSES, 10).classes.tolist() == [7]
    # Confidence votes: 7 gets 0.3575 + 0.3309 + 0.3409 = 1.0293, 4 gets 0.5789.
    assert aggregate_weighted(LECTURE_CLASSES, LECTURE_CO, 10).classes.tolist() == [7]
    flagged = aggregate_weighted(LECTURE_CLASSES, hard_flags(LECTURE_CO, 0.34), 10)
    assert flagged.classes.tolist() == [7]
    assert flagged.fell_back.tolist() == [False]


def test_hard_flags_count_a_score_equal_to_the_threshold():
    assert hard_flags(np.array([0.2, 0.5, 0.7]), 0.5).tolist() == [0.0, 1.0, 1.0]


def test_mean_of_softmax_can_disagree_with_the_mode():
    # View 0 says class 0 (0.6), view 1 says class 1 (0.5): mean = [0.35, 0.45, 0.20] → 1.
    probs = np.array([[[0.6, 0.4, 0.0]], [[0.1, 0.5, 0.4]]])
    assert aggregate_mean(probs).classes.tolist() == [1]
    # The mode is a 1–1 tie between classes 0 and 1: view 0's class wins.
    assert aggregate_mode(probs.argmax(axis=2), 3).classes.tolist() == [0]


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        ([2, 1, 1, 2], 2),  # tie 2:2, view 0 said 2 — not the lowest index (1)
        ([1, 2, 2, 1], 1),
        ([0, 1, 2, 2, 1], 1),  # tie between 1 and 2; the earliest of them is view 1 (class 1)
        ([3, 3, 5], 3),  # no tie
    ],
)
def test_mode_ties_go_to_the_earliest_view(classes, expected):
    assert aggregate_mode(np.array(classes)[:, None], 6).classes.tolist() == [expected]


def test_mean_ties_go_to_the_earliest_view_not_the_lowest_class():
    a = np.array([[0.6, 0.4, 0.0]])
    b = np.array([[0.4, 0.6, 0.0]])
    assert aggregate_mean(np.stack([a, b])).classes.tolist() == [0]  # mean [0.5, 0.5, 0]
    assert aggregate_mean(np.stack([b, a])).classes.tolist() == [1]


def test_mean_tie_no_view_predicted_goes_to_the_lowest_class():
    # Scores tie between classes 1 and 2, but the views predicted class 0 only.
    assert break_ties(np.array([[0.2, 0.4, 0.4]]), np.array([[0], [0]])).tolist() == [1]


def test_confidence_weights_can_overrule_the_majority():
    classes = np.array([[0], [1], [1]])
    weights = np.array([[0.9], [0.3], [0.4]])  # class 0: 0.9 > class 1: 0.3 + 0.4 = 0.7
    assert aggregate_weighted(classes, weights, 2).classes.tolist() == [0]
    assert aggregate_mode(classes, 2).classes.tolist() == [1]


def test_weighted_tie_goes_to_the_earliest_view():
    classes = np.array([[4], [2]])
    assert aggregate_weighted(classes, np.array([[0.5], [0.5]]), 5).classes.tolist() == [4]


def test_all_zero_weights_fall_back_to_the_mode_not_class_zero():
    # Sample 0: no view passes (all weights 0) → mode of [3, 5, 5] = 5.
    # Sample 1: only view 0 passes → its class 2, although the mode would be 1.
    classes = np.array([[3, 2], [5, 1], [5, 1]])
    weights = np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    result = aggregate_weighted(classes, weights, 6)
    assert result.classes.tolist() == [5, 2]
    assert result.fell_back.tolist() == [True, False]


def _naive(classes: np.ndarray, weights: np.ndarray) -> list[int]:
    """A loop over samples: weighted Counter, mode when all weights are 0, earliest view wins."""
    out = []
    for i in range(classes.shape[1]):
        col, w = classes[:, i].tolist(), weights[:, i].tolist()
        if sum(w) == 0:
            w = [1.0] * len(col)
        votes: Counter = Counter()
        for c, wv in zip(col, w, strict=True):
            votes[c] += wv
        best = max(votes.values())
        tied = {c for c, v in votes.items() if abs(v - best) <= 1e-9 * max(best, 1.0)}
        out.append(next(c for c in col if c in tied))
    return out


def test_weighted_vote_matches_a_naive_loop_with_many_ties():
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 4, size=(6, 500))
    weights = rng.choice([0.0, 0.5, 1.0], size=(6, 500))  # coarse weights make many ties
    weights[:, :50] = 0.0  # and some all-zero columns
    result = aggregate_weighted(classes, weights, 4)
    assert result.classes.tolist() == _naive(classes, weights)
    assert result.fell_back[:50].all()


def test_aggregate_views_names_and_certainty_only_when_given():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), size=(5, 20))
    without = aggregate_views(probs, None, 0.5, 0.5)
    assert list(without) == ["mean", "mode", "confidence", "flags_co"]
    certainty = rng.uniform(0, 1, size=(5, 20))
    with_s = aggregate_views(probs, certainty, 0.5, 0.5)
    assert list(with_s) == ["mean", "mode", "confidence", "certainty", "flags_co", "flags_ce"]
    expected = aggregate_weighted(probs.argmax(axis=2), hard_flags(certainty, 0.5), 3)
    assert with_s["flags_ce"].classes.tolist() == expected.classes.tolist()


def test_bad_input_is_rejected_with_a_message():
    with pytest.raises(ValueError, match=r"weights must be finite and ≥ 0\. Got a minimum of -1"):
        aggregate_weighted(np.array([[0], [1]]), np.array([[1.0], [-1.0]]), 2)
    with pytest.raises(ValueError, match=r"weights must have the same shape"):
        aggregate_weighted(np.array([[0], [1]]), np.array([[1.0]]), 2)
    with pytest.raises(ValueError, match=r"view_classes must lie in 0\.\.1\. Got 0 to 2\."):
        aggregate_mode(np.array([[0], [2]]), 2)
    with pytest.raises(ValueError, match=r"view_probs must be a non-empty \(V, n, K\) array"):
        aggregate_mean(np.ones((2, 3)))
