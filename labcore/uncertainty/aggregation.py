"""Turn V test-time-augmented views of a sample into one class (the lecture's scene S7).

A model sees V views of each test sample (view 0 is the input itself, the others are small
shifts, rotations or jitter). Each view v gives class probabilities p_v, a class
c_v = argmax_k p_vk, a confidence co_v = max_k p_vk and, for UANLL models, a certainty
ce_v = 1/(1 + σ_v²). This module combines them:

* ``mean``      argmax_k (1/V) Σ_v p_vk                   (mean of softmax)
* ``mode``      argmax_k Σ_v 1{c_v = k}                   (majority vote)
* weighted      argmax_k Σ_v w_v 1{c_v = k}               (bin count with weights w_v: co_v,
                                                            ce_v, or hard flags 1{co_v ≥ t})

**Ties** are broken the same way everywhere: among the tied classes, the one predicted by the
earliest view wins (view 0 is the unaugmented input, so its class wins whenever it is tied for
first); if no view predicted any of the tied classes (possible only for ``mean``), the lowest
class index wins. **All-zero weights** (no view passed the threshold) fall back to the mode —
never silently to class 0 — and the returned ``fell_back`` mask says where that happened.

Example (the lecture's sample 14, classes [7, 7, 7, 4, 4], threshold t = 0.34):
    >>> classes = np.array([[7], [7], [7], [4], [4]])
    >>> co = np.array([[0.3575], [0.3309], [0.3409], [0.3105], [0.2684]])
    >>> aggregate_mode(classes, 10).classes.tolist()
    [7]
    >>> hard_flags(co, 0.34)[:, 0].tolist()
    [1.0, 0.0, 1.0, 0.0, 0.0]
    >>> aggregate_weighted(classes, hard_flags(co, 0.34), 10).classes.tolist()
    [7]

References:
    Wang et al., "Aleatoric uncertainty estimation with test-time augmentation for medical
    image segmentation with convolutional neural networks", Neurocomputing 2019.
    Shanmugam et al., "Better Aggregation in Test-Time Augmentation", ICCV 2021.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from labcore.checks import float_array

AggregationName = Literal["mean", "mode", "confidence", "certainty", "flags_co", "flags_ce"]

AGGREGATION_LABELS: dict[str, str] = {
    "mean": "Mean of softmax",
    "mode": "Mode of per-view classes",
    "confidence": "Votes weighted by confidence co_s",
    "certainty": "Votes weighted by certainty ce_s",
    "flags_co": "Votes of views with co_h = 1",
    "flags_ce": "Votes of views with ce_h = 1",
}

_TIE_RTOL = 1e-9  # scores this close (relative to the largest) count as tied


@dataclasses.dataclass(frozen=True)
class Aggregate:
    """The class each sample ends up with.

    Attributes:
        classes: (n,) final classes.
        fell_back: (n,) True where every weight was zero and the mode was used instead.
    """

    classes: np.ndarray
    fell_back: np.ndarray


def _check_classes(view_classes: object, n_classes: int) -> np.ndarray:
    classes = np.asarray(view_classes)
    if classes.ndim != 2 or classes.size == 0:
        raise ValueError(
            f"view_classes must be a non-empty (V, n) array. Got shape {classes.shape}."
        )
    if classes.dtype.kind not in "iu":
        raise ValueError(f"view_classes must be integers. Got dtype {classes.dtype}.")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2. Got {n_classes}.")
    if classes.min() < 0 or classes.max() >= n_classes:
        raise ValueError(
            f"view_classes must lie in 0..{n_classes - 1}. Got {classes.min()} to {classes.max()}."
        )
    return classes.astype(np.int64)


def _first_view(view_classes: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, K) the first view index that predicted class k for sample i (V when none did)."""
    n_views, n = view_classes.shape
    first = np.full((n, n_classes), n_views, dtype=np.int64)
    # Write the views from last to first so the earliest one is what remains.
    for v in range(n_views - 1, -1, -1):
        first[np.arange(n), view_classes[v]] = v
    return first


def break_ties(scores: np.ndarray, view_classes: np.ndarray) -> np.ndarray:
    """argmax_k of each row of ``scores``, ties going to the class of the earliest view.

    Classes whose score is within a relative 1e-9 of the row's maximum count as tied. Among
    them, the one that the earliest view predicted wins; if no view predicted any of them, the
    lowest class index wins.

    Args:
        scores: (n, K) per-class totals (mean probabilities, vote counts or weighted votes).
        view_classes: (V, n) each view's class.

    Returns:
        (n,) chosen classes.

    Example:
        >>> break_ties(np.array([[1.0, 1.0, 0.0]]), np.array([[1], [0]])).tolist()
        [1]
    """
    scores = np.asarray(scores, dtype=float)
    top = scores.max(axis=1, keepdims=True)
    tied = scores >= top - _TIE_RTOL * np.maximum(np.abs(top), 1.0)
    first = _first_view(view_classes, scores.shape[1])
    # Rank tied classes by (first view, class index); untied classes rank last.
    n_classes = scores.shape[1]
    rank = np.where(tied, first * n_classes + np.arange(n_classes), np.iinfo(np.int64).max)
    return rank.argmin(axis=1)


def hard_flags(scores: np.ndarray, threshold: float) -> np.ndarray:
    """1{score ≥ t} as floats (the lecture's co_h and ce_h).

    Args:
        scores: confidences or certainties, any shape.
        threshold: t.

    Returns:
        0.0/1.0 array of the same shape.
    """
    return (np.asarray(scores, dtype=float) >= threshold).astype(float)


def aggregate_mean(view_probs: np.ndarray) -> Aggregate:
    """argmax of the mean softmax over views, (1/V) Σ_v p_v.

    Args:
        view_probs: (V, n, K) probabilities of each view.
    """
    probs = float_array(view_probs, "view_probs", ndim=3, layout="(V, n, K)")
    classes = break_ties(probs.mean(axis=0), probs.argmax(axis=2))
    return Aggregate(classes, np.zeros(classes.shape, dtype=bool))


def aggregate_mode(view_classes: np.ndarray, n_classes: int) -> Aggregate:
    """The most frequent per-view class (majority vote).

    Args:
        view_classes: (V, n) each view's class.
        n_classes: K.
    """
    classes = _check_classes(view_classes, n_classes)
    return aggregate_weighted(classes, np.ones(classes.shape), n_classes)


def aggregate_weighted(
    view_classes: np.ndarray, weights: np.ndarray, n_classes: int
) -> Aggregate:
    """Bin count weighted per view: argmax_k Σ_v w_v 1{c_v = k}.

    With w_v = co_v this is a confidence-weighted vote, with w_v = ce_v a certainty-weighted
    vote, and with w_v = 1{co_v ≥ t} only the views that pass the threshold vote. A sample
    whose weights are all zero falls back to the plain mode (and is marked in ``fell_back``).

    Args:
        view_classes: (V, n) each view's class.
        weights: (V, n) non-negative weights.
        n_classes: K.

    Raises:
        ValueError: shapes differ, or a weight is negative or not finite.
    """
    classes = _check_classes(view_classes, n_classes)
    w = float_array(weights, "weights")
    if w.shape != classes.shape:
        raise ValueError(
            f"weights must have the same shape as view_classes {classes.shape}. Got {w.shape}."
        )
    if w.min() < 0:
        raise ValueError(f"weights must be finite and ≥ 0. Got a minimum of {w.min():g}.")
    one_hot = np.eye(n_classes)[classes]  # (V, n, K)
    votes = np.einsum("vn,vnk->nk", w, one_hot)
    counts = one_hot.sum(axis=0)
    fell_back = w.sum(axis=0) == 0
    votes[fell_back] = counts[fell_back]
    return Aggregate(break_ties(votes, classes), fell_back)


def aggregate_views(
    view_probs: np.ndarray,
    view_certainty: np.ndarray | None,
    t_co: float,
    t_ce: float,
) -> dict[str, Aggregate]:
    """Every aggregation of :data:`AGGREGATION_LABELS` for one set of views.

    Args:
        view_probs: (V, n, K) probabilities of each view.
        view_certainty: (V, n) UANLL certainties 1/(1 + σ²), or None for models without s
            (then the certainty-based aggregations are left out).
        t_co: threshold on confidence for the co_h flags.
        t_ce: threshold on certainty for the ce_h flags.

    Returns:
        Aggregation name → :class:`Aggregate`.
    """
    probs = np.asarray(view_probs, dtype=float)
    n_classes = probs.shape[2]
    classes = probs.argmax(axis=2)
    confidence = probs.max(axis=2)
    out = {
        "mean": aggregate_mean(probs),
        "mode": aggregate_mode(classes, n_classes),
        "confidence": aggregate_weighted(classes, confidence, n_classes),
    }
    if view_certainty is not None:
        out["certainty"] = aggregate_weighted(classes, view_certainty, n_classes)
    out["flags_co"] = aggregate_weighted(classes, hard_flags(confidence, t_co), n_classes)
    if view_certainty is not None:
        out["flags_ce"] = aggregate_weighted(classes, hard_flags(view_certainty, t_ce), n_classes)
    return out
