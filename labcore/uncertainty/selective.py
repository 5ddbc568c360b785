"""Selective prediction: reject the least trustworthy predictions and watch accuracy rise.

A score s_i ("higher = more trustworthy": confidence, certainty, view agreement, −entropy) and
whether each prediction was correct are all we need. Accepting the predictions with s_i ≥ τ
gives a coverage (the share accepted) and an accuracy on the accepted subset; sweeping τ from
the top score down traces the accuracy–coverage curve (scene S8).

Tied scores are accepted or rejected together: the curve has one point per distinct score, so
it does not depend on how tied samples happen to be ordered.

Example (hand-checkable; scores 0.9, 0.8, 0.6, 0.3 with the 0.6 prediction wrong):
    >>> curve = accuracy_coverage_curve([0.9, 0.8, 0.6, 0.3], [1, 1, 0, 1])
    >>> curve.coverage.tolist(), curve.accuracy.tolist()
    ([0.25, 0.5, 0.75, 1.0], [1.0, 1.0, 0.6666666666666666, 0.75])
    >>> round(aurc([0.9, 0.8, 0.6, 0.3], [1, 1, 0, 1]), 6)  # (0 + 0 + 1/3 + 1/4) / 4
    0.145833

References:
    El-Yaniv & Wiener, "On the Foundations of Noise-free Selective Classification", JMLR 2010.
    Geifman, Uziel & El-Yaniv, "Bias-Reduced Uncertainty Estimation for Deep Neural
    Classifiers", ICLR 2019 (AURC).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from labcore.checks import float_array


@dataclasses.dataclass(frozen=True)
class SelectiveCurve:
    """Accuracy on the accepted subset at each distinct threshold, from strict to lenient.

    Attributes:
        thresholds: (J,) distinct scores τ_j, descending; the subset is {i : s_i ≥ τ_j}.
        coverage: (J,) share of samples accepted, increasing to 1.
        accuracy: (J,) accuracy on the accepted samples.
    """

    thresholds: np.ndarray
    coverage: np.ndarray
    accuracy: np.ndarray

    @property
    def risk(self) -> np.ndarray:
        """(J,) error rate on the accepted samples, 1 − accuracy."""
        return 1.0 - self.accuracy


@dataclasses.dataclass(frozen=True)
class AcceptedSubset:
    """What accepting the predictions with score ≥ t leaves.

    Attributes:
        threshold: t.
        n_accepted: how many samples have score ≥ t.
        coverage: n_accepted / n.
        accuracy: accuracy on the accepted samples (NaN when none is accepted).
    """

    threshold: float
    n_accepted: int
    coverage: float
    accuracy: float


def _check(scores: object, correct: object) -> tuple[np.ndarray, np.ndarray]:
    s = float_array(scores, "scores", ndim=1, layout="1-D")
    hits = np.asarray(correct, dtype=float)
    if hits.shape != s.shape:
        raise ValueError(f"correct must have the same shape as scores {s.shape}. Got {hits.shape}.")
    if not np.all((hits == 0) | (hits == 1)):
        raise ValueError(f"correct must hold only 0/1 or booleans. Got {np.unique(hits)[:5]}.")
    return s, hits


def accuracy_coverage_curve(scores: np.ndarray, correct: np.ndarray) -> SelectiveCurve:
    """Accuracy of the accepted subset {s_i ≥ τ} for every distinct score τ.

    Args:
        scores: (n,) higher = more trustworthy.
        correct: (n,) 0/1 or booleans: whether each prediction was right.

    Returns:
        A :class:`SelectiveCurve`; its last point has coverage 1 and the overall accuracy.

    Raises:
        ValueError: shapes differ, empty input, non-finite scores, ``correct`` not 0/1.
    """
    s, hits = _check(scores, correct)
    order = np.argsort(-s, kind="stable")
    s_sorted, hits_sorted = s[order], hits[order]
    # The last index of each run of equal scores closes one accepted subset.
    ends = np.flatnonzero(np.append(s_sorted[1:] != s_sorted[:-1], True))
    accepted = ends + 1
    right = np.cumsum(hits_sorted)[ends]
    return SelectiveCurve(
        thresholds=s_sorted[ends], coverage=accepted / s.size, accuracy=right / accepted
    )


def aurc(scores: np.ndarray, correct: np.ndarray) -> float:
    """Area under the risk–coverage curve, AURC = Σ_j (c_j − c_{j−1}) · risk_j with c_0 = 0.

    With distinct scores this is Geifman et al.'s (1/n) Σ_{k=1}^{n} risk(top k); tied scores
    share the risk of the subset that accepts them all. Lower is better: 0 when every
    prediction is right; the error rate itself when the scores carry no ranking (all tied).

    Args:
        scores: (n,) higher = more trustworthy.
        correct: (n,) 0/1 or booleans.
    """
    curve = accuracy_coverage_curve(scores, correct)
    widths = np.diff(np.concatenate([[0.0], curve.coverage]))
    return float(np.sum(widths * curve.risk))


def accepted_subset(scores: np.ndarray, correct: np.ndarray, threshold: float) -> AcceptedSubset:
    """Coverage and accuracy when only predictions with score ≥ ``threshold`` are kept.

    Args:
        scores: (n,) higher = more trustworthy.
        correct: (n,) 0/1 or booleans.
        threshold: t; a prediction is accepted when s_i ≥ t.
    """
    s, hits = _check(scores, correct)
    keep = s >= threshold
    n_kept = int(keep.sum())
    accuracy = float(hits[keep].mean()) if n_kept else float("nan")
    return AcceptedSubset(float(threshold), n_kept, n_kept / s.size, accuracy)


def oracle_accuracy(coverage: np.ndarray, accuracy: float) -> np.ndarray:
    """The best accuracy any score could reach at each coverage: min(1, accuracy / coverage).

    A perfect score ranks every right prediction above every wrong one, so until the right
    ones run out (coverage = overall accuracy) the accepted subset is error-free.

    Args:
        coverage: coverages in (0, 1].
        accuracy: the overall accuracy (coverage 1).
    """
    c = np.asarray(coverage, dtype=float)
    if np.any(c <= 0) or np.any(c > 1):
        raise ValueError(f"coverage must be in (0, 1]. Got values from {c.min():g} to {c.max():g}.")
    return np.minimum(1.0, accuracy / c)
