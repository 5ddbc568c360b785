"""Split-conformal prediction sets for classification: LAC, APS and RAPS scores.

A score s(x, y) says how badly class y fits x under the model's probabilities p(x). Fit on n
calibration points: q̂ is the ⌈(n + 1)(1 − α)⌉-th smallest calibration score. The set of a
test point is every class whose score is at most q̂,

    C(x) = {k : s(x, k) ≤ q̂},

and for exchangeable data P(y ∈ C(x)) ≥ 1 − α, whatever the model (and, with continuous
scores, ≤ 1 − α + 1/(n + 1)). It needs ⌈(n + 1)(1 − α)⌉ ≤ n, i.e. n ≥ 1/α − 1 points.

Scores (p sorted in decreasing order; o(k) the 1-based rank of class k, ties by class index):

- LAC (least ambiguous set-valued classifier): s = 1 − p_k, so C = {k : p_k ≥ 1 − q̂}.
- APS (adaptive prediction sets): s = Σ_{j ranked above k} p_j + U·p_k with U ~ Uniform(0, 1)
  (one U per point, seeded), or + p_k when not randomised.
- RAPS (regularised APS): the APS score + λ·max(0, o(k) − k_reg), which penalises long tails.

Sets can be empty (when even the top class scores above q̂: randomised APS at large α); the
guarantee holds all the same.

Example (q̂ of five scores at α = 0.2 is the ⌈6 · 0.8⌉ = 5th smallest):
    >>> float(conformal_quantile([0.1, 0.5, 0.2, 0.4, 0.3], alpha=0.2))
    0.5
    >>> min_calibration_points(0.1)
    9

References:
    Vovk, Gammerman & Shafer, "Algorithmic Learning in a Random World", 2005.
    Sadinle, Lei & Wasserman, "Least ambiguous set-valued classifiers with bounded error
    levels", JASA 2019 (LAC).
    Romano, Sesia & Candès, "Classification with valid and adaptive coverage", NeurIPS 2020
    (APS).
    Angelopoulos, Bates, Malik & Jordan, "Uncertainty sets for image classifiers using
    conformal prediction", ICLR 2021 (RAPS).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from labcore.calibration.classification import _check_labels
from labcore.checks import float_array
from labcore.device import rng_for

ScoreName = Literal["lac", "aps", "raps"]
SCORES: dict[str, str] = {
    "lac": "LAC (1 − probability of the class)",
    "aps": "APS (probability mass down to the class)",
    "raps": "RAPS (APS + a penalty on low-ranked classes)",
}
DEFAULT_ALPHAS = np.round(np.arange(0.02, 0.305, 0.02), 2)  # α grid of the coverage curve
_SUM_TOLERANCE = 1e-3


def _check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, int | float | np.floating) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a number strictly between 0 and 1. Got {alpha!r}.")
    return float(alpha)


def _rank(n: int, alpha: float) -> int:
    """⌈(n + 1)(1 − α)⌉, computed so that float rounding in 1 − α cannot add 1."""
    return math.ceil((n + 1) * (1 - alpha) - 1e-9)


def min_calibration_points(alpha: float) -> int:
    """The fewest calibration points n with ⌈(n + 1)(1 − α)⌉ ≤ n (i.e. n ≥ 1/α − 1).

    Example:
        >>> [min_calibration_points(a) for a in (0.5, 0.2, 0.05, 0.01)]
        [1, 4, 19, 99]
    """
    alpha = _check_alpha(alpha)
    n = max(1, math.floor(1 / alpha) - 2)
    while _rank(n, alpha) > n:
        n += 1
    return n


def conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """q̂: the ⌈(n + 1)(1 − α)⌉-th smallest of n calibration scores.

    Args:
        scores: (n,) calibration scores.
        alpha: miscoverage level in (0, 1); the sets aim at coverage 1 − α.

    Returns:
        q̂.

    Raises:
        ValueError: fewer than :func:`min_calibration_points` scores (the message says how
            many are needed), or bad inputs.
    """
    alpha = _check_alpha(alpha)
    values = float_array(scores, "scores", ndim=1)
    n = values.shape[0]
    k = _rank(n, alpha)
    if k > n:
        raise ValueError(f"Split conformal needs at least {min_calibration_points(alpha)} "
                         f"calibration points for α = {alpha:g} (so that ⌈(n + 1)(1 − α)⌉ ≤ n); "
                         f"use more points or a larger α. Got {n}.")
    return float(np.partition(values, k - 1)[k - 1])


def _check_probs(probs: object, name: str) -> np.ndarray:
    p = float_array(probs, name, ndim=2)
    if p.min() < -1e-6 or p.max() > 1 + 1e-6:
        raise ValueError(f"{name} must be probabilities in [0, 1]. Got values from "
                         f"{p.min():g} to {p.max():g}.")
    sums = p.sum(axis=1)
    worst = sums[np.argmax(np.abs(sums - 1))]
    if abs(worst - 1) > _SUM_TOLERANCE:
        raise ValueError(f"{name} rows must sum to 1. Got a row summing to {worst:g}.")
    return np.clip(p, 0.0, 1.0)


def class_scores(probs: np.ndarray, score: ScoreName, *, u: np.ndarray | None = None,
                 lam: float = 0.01, k_reg: int = 1) -> np.ndarray:
    """The conformity score s(x, k) of every class k of every point (higher = fits worse).

    Args:
        probs: (n, K) class probabilities.
        score: "lac", "aps" or "raps".
        u: (n,) uniforms in [0, 1] for randomised APS/RAPS; None is the non-randomised score
            (U = 1: the mass down to and including the class).
        lam: RAPS penalty λ ≥ 0 per rank beyond ``k_reg``.
        k_reg: RAPS: ranks up to k_reg are not penalised (≥ 0).

    Returns:
        (n, K) scores.

    Example (p = (0.5, 0.3, 0.2); APS without randomisation is the mass down to the class):
        >>> class_scores(np.array([[0.5, 0.3, 0.2]]), "aps").round(3).tolist()
        [[0.5, 0.8, 1.0]]
    """
    p = np.asarray(probs, dtype=float)
    if score == "lac":
        return 1.0 - p
    if score not in ("aps", "raps"):
        raise ValueError(f"score must be one of {', '.join(map(repr, SCORES))}. Got {score!r}.")
    n, k = p.shape
    order = np.argsort(-p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    above = np.cumsum(ranked, axis=1) - ranked  # mass of the classes ranked higher
    weight = np.ones((n, 1)) if u is None else np.asarray(u, dtype=float).reshape(n, 1)
    sorted_scores = above + weight * ranked
    if score == "raps":
        if not (np.isfinite(lam) and lam >= 0):
            raise ValueError(f"lam (the RAPS penalty λ) must be ≥ 0. Got {lam!r}.")
        if isinstance(k_reg, bool) or not isinstance(k_reg, int | np.integer) or k_reg < 0:
            raise ValueError(f"k_reg must be an integer ≥ 0. Got {k_reg!r}.")
        sorted_scores = sorted_scores + lam * np.maximum(0, np.arange(1, k + 1) - k_reg)
    scores = np.empty_like(sorted_scores)
    np.put_along_axis(scores, order, sorted_scores, axis=1)
    return scores


@dataclasses.dataclass(frozen=True)
class ConformalSets:
    """Split-conformal prediction sets of a test set.

    Attributes:
        mask: (n_test, K) booleans, True where the class is in the point's set.
        qhat: the threshold q̂ (⌈(n + 1)(1 − α)⌉-th smallest calibration score).
        sizes: (n_test,) number of classes in each set.
        test_scores: (n_test, K) score of every class of every test point.
        cal_scores: (n_cal,) score of the true class of every calibration point.
        alpha: the miscoverage level; the target coverage is 1 − α.
        score: "lac", "aps" or "raps".
        n_cal: calibration points used.
        rank: ⌈(n_cal + 1)(1 − α)⌉, the rank of q̂ among the calibration scores.
    """

    mask: np.ndarray
    qhat: float
    sizes: np.ndarray
    test_scores: np.ndarray
    cal_scores: np.ndarray
    alpha: float
    score: str
    n_cal: int
    rank: int

    @property
    def mean_size(self) -> float:
        """Average number of classes per set."""
        return float(self.sizes.mean())

    @property
    def upper_bound(self) -> float:
        """1 − α + 1/(n + 1): the most coverage continuous scores give on average."""
        return 1 - self.alpha + 1 / (self.n_cal + 1)

    def covered(self, test_labels: np.ndarray) -> np.ndarray:
        """(n_test,) booleans: whether each point's set holds its true label."""
        labels = _check_labels(test_labels, self.mask.shape[0], self.mask.shape[1])
        return self.mask[np.arange(labels.shape[0]), labels]

    def coverage(self, test_labels: np.ndarray) -> float:
        """Fraction of test points whose set holds the true label (target: ≥ 1 − α)."""
        return float(self.covered(test_labels).mean())


def _uniforms(seed: int, stream: str, n: int, randomized: bool) -> np.ndarray | None:
    return rng_for(seed, stream).uniform(size=n) if randomized else None


def _scored(cal_probs: object, cal_labels: object, test_probs: object, score: str,
            lam: float, k_reg: int, randomized: bool, seed: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """(n_cal,) true-class calibration scores and (n_test, K) test scores of every class."""
    pc = _check_probs(cal_probs, "cal_probs")
    yc = _check_labels(cal_labels, pc.shape[0], pc.shape[1])
    pt = _check_probs(test_probs, "test_probs")
    if pt.shape[1] != pc.shape[1]:
        raise ValueError(f"test_probs must have the {pc.shape[1]} classes of cal_probs. "
                         f"Got {pt.shape[1]}.")
    cal_all = class_scores(pc, score, u=_uniforms(seed, "conformal-cal", pc.shape[0], randomized),
                           lam=lam, k_reg=k_reg)
    test = class_scores(pt, score, u=_uniforms(seed, "conformal-test", pt.shape[0], randomized),
                        lam=lam, k_reg=k_reg)
    return cal_all[np.arange(yc.shape[0]), yc], test


def prediction_sets(cal_probs: np.ndarray, cal_labels: np.ndarray, test_probs: np.ndarray, *,
                    alpha: float, score: ScoreName, lam: float = 0.01, k_reg: int = 1,
                    randomized: bool = True, seed: int = 0) -> ConformalSets:
    """Split-conformal prediction sets C(x) = {k : s(x, k) ≤ q̂} for every test point.

    Args:
        cal_probs: (n_cal, K) probabilities of the calibration points.
        cal_labels: (n_cal,) their labels.
        test_probs: (n_test, K) probabilities of the test points.
        alpha: miscoverage level in (0, 1); the sets cover the label with probability ≥ 1 − α.
        score: "lac", "aps" or "raps".
        lam: RAPS penalty λ per rank beyond ``k_reg``.
        k_reg: RAPS: the number of top ranks not penalised.
        randomized: APS/RAPS with U ~ Uniform(0, 1) (exact coverage on average); False uses
            U = 1 (never smaller sets than randomised, slightly over-covers).
        seed: seeds the uniforms (one stream for calibration, one for test).

    Returns:
        A :class:`ConformalSets`.

    Raises:
        ValueError: too few calibration points for α (the message says how many), bad
            probabilities, labels or options.
    """
    alpha = _check_alpha(alpha)
    cal, test = _scored(cal_probs, cal_labels, test_probs, score, lam, k_reg, randomized, seed)
    qhat = conformal_quantile(cal, alpha)
    mask = test <= qhat
    return ConformalSets(mask=mask, qhat=qhat, sizes=mask.sum(axis=1), test_scores=test,
                         cal_scores=cal, alpha=alpha, score=score, n_cal=cal.shape[0],
                         rank=_rank(cal.shape[0], alpha))


@dataclasses.dataclass(frozen=True)
class CoverageCurve:
    """Empirical coverage and mean set size on the test set against α, per score.

    Attributes:
        alphas: (A,) miscoverage levels; α with too few calibration points are left out.
        scores: the scores compared.
        coverage: score → (A,) fraction of test labels inside their sets.
        mean_size: score → (A,) average set size.
        n_cal: calibration points.
        n_test: test points.
    """

    alphas: np.ndarray
    scores: tuple[str, ...]
    coverage: dict[str, np.ndarray]
    mean_size: dict[str, np.ndarray]
    n_cal: int
    n_test: int

    @property
    def target(self) -> np.ndarray:
        """(A,) the target coverage 1 − α."""
        return 1 - self.alphas

    @property
    def upper_bound(self) -> np.ndarray:
        """(A,) 1 − α + 1/(n + 1), the most coverage continuous scores give on average."""
        return 1 - self.alphas + 1 / (self.n_cal + 1)


def coverage_curve(cal_probs: np.ndarray, cal_labels: np.ndarray, test_probs: np.ndarray,
                   test_labels: np.ndarray, *, alphas: Sequence[float] = tuple(DEFAULT_ALPHAS),
                   scores: Sequence[str] = tuple(SCORES), lam: float = 0.01, k_reg: int = 1,
                   randomized: bool = True, seed: int = 0) -> CoverageCurve:
    """Coverage and mean set size of each score over a grid of α (one calibration, many q̂).

    Args:
        cal_probs, cal_labels, test_probs: as :func:`prediction_sets`.
        test_labels: (n_test,) labels of the test points.
        alphas: miscoverage levels in (0, 1); those needing more calibration points than there
            are are dropped.
        scores: which of "lac", "aps", "raps".
        lam, k_reg, randomized, seed: as :func:`prediction_sets`.

    Returns:
        A :class:`CoverageCurve`.
    """
    unknown = [name for name in scores if name not in SCORES]
    if unknown or not scores:
        raise ValueError(f"scores must be some of {', '.join(map(repr, SCORES))}. "
                         f"Got {list(scores)!r}.")
    grid = np.array(sorted({_check_alpha(float(a)) for a in alphas}))
    coverage, mean_size = {}, {}
    n_cal = n_test = 0
    for name in scores:
        cal, test = _scored(cal_probs, cal_labels, test_probs, name, lam, k_reg, randomized,
                            seed)
        n_cal, n_test = cal.shape[0], test.shape[0]
        labels = _check_labels(test_labels, n_test, test.shape[1])
        grid = grid[[_rank(n_cal, a) <= n_cal for a in grid]]  # the same n for every score
        if grid.size == 0:
            raise ValueError(f"alphas must hold a level that {n_cal} calibration points allow "
                             f"(α ≥ {1 / (n_cal + 1):.3g}). Got {list(alphas)}.")
        qhats = np.sort(cal)[[_rank(n_cal, a) - 1 for a in grid]]
        true = test[np.arange(n_test), labels]
        coverage[name] = np.mean(true[None, :] <= qhats[:, None], axis=1)
        mean_size[name] = np.mean(np.sum(test[None] <= qhats[:, None, None], axis=2), axis=1)
    return CoverageCurve(alphas=grid, scores=tuple(scores), coverage=coverage,
                         mean_size=mean_size, n_cal=n_cal, n_test=n_test)
