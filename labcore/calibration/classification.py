"""Calibration of classifiers: reliability bins, ECE/MCE, class-wise ECE, NLL and Brier score.

Numpy in, numpy or float out; nothing loops over samples in Python. ``probs`` is always an (n, K)
array of class probabilities and ``labels`` an (n,) array of integer classes in [0, K).

Example (two uniform bins, hand-checkable):
    >>> bins = reliability_bins([0.2, 0.4, 0.7, 0.9], [0, 1, 1, 1], n_bins=2)
    >>> bins.counts.tolist(), bins.mean_confidence.tolist(), bins.accuracy.tolist()
    ([2, 2], [0.30000000000000004, 0.8], [0.5, 1.0])
    >>> round(bins.ece, 6)  # 2/4·|0.5 − 0.3| + 2/4·|1 − 0.8|
    0.2

References:
    Naeini, Cooper & Hauskrecht, "Obtaining Well Calibrated Probabilities Using Bayesian
    Binning", AAAI 2015.
    Guo et al., "On Calibration of Modern Neural Networks", ICML 2017.
    Kull et al., "Beyond temperature scaling: Obtaining well-calibrated multiclass
    probabilities with Dirichlet calibration", NeurIPS 2019.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from labcore.checks import float_array

BinStrategy = Literal["uniform", "quantile"]

N_BINS = 15
"""Bins of a reliability diagram and its ECE unless a caller chooses: 15 equal-width bins, as
in Guo et al. 2017, and every figure and table of the lab that does not say otherwise."""

_PROB_TOLERANCE = 1e-6  # slack for float32 rounding when checking that values lie in [0, 1]
_SUM_TOLERANCE = 1e-3  # how far a row of probabilities may sum away from 1
_NLL_FLOOR = 1e-12  # probabilities are clipped here before the log


@dataclasses.dataclass(frozen=True)
class ReliabilityBins:
    """Per-bin summary behind a reliability diagram.

    Bin b holds the confidences c with ``edges[b] < c <= edges[b+1]`` (the first bin also holds
    ``c == edges[0]``). Empty bins have ``counts == 0`` and NaN ``mean_confidence`` and
    ``accuracy``.

    Attributes:
        edges: (n_bins + 1,) non-decreasing bin edges from 0 to 1.
        counts: (n_bins,) number of samples in each bin.
        mean_confidence: (n_bins,) mean confidence in each bin (NaN when empty).
        accuracy: (n_bins,) fraction correct in each bin (NaN when empty).
    """

    edges: np.ndarray
    counts: np.ndarray
    mean_confidence: np.ndarray
    accuracy: np.ndarray

    @property
    def weight(self) -> np.ndarray:
        """(n_bins,) share of the samples in each bin, n_b / N."""
        return self.counts / self.counts.sum()

    @property
    def gap(self) -> np.ndarray:
        """(n_bins,) |accuracy − mean confidence| per bin (NaN when empty)."""
        return np.abs(self.accuracy - self.mean_confidence)

    @property
    def ece(self) -> float:
        """Expected calibration error Σ_b n_b/N · |acc_b − conf_b| (empty bins add 0)."""
        return float(np.sum(np.where(self.counts > 0, self.weight * self.gap, 0.0)))

    @property
    def mce(self) -> float:
        """Maximum calibration error max_b |acc_b − conf_b| over non-empty bins."""
        return float(np.max(self.gap[self.counts > 0]))


def _check_labels(labels: object, n: int, n_classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match. Got shape {labels.shape}.")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers. Got dtype {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(
            f"labels must lie in [0, {n_classes - 1}]. Got {labels.min()} to {labels.max()}."
        )
    return labels.astype(np.int64)


def _check_probs_labels(probs: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate (n, K) probabilities (rows summing to 1 within 1e-3) and (n,) labels.

    The probabilities come back clipped into [0, 1] (the check tolerates ±1e-6 outside it).
    """
    probs = float_array(probs, "probs", ndim=2)
    low, high = probs.min(), probs.max()
    if low < -_PROB_TOLERANCE or high > 1 + _PROB_TOLERANCE:
        raise ValueError(
            f"probs must be probabilities in [0, 1]. Got values from {low:g} to {high:g}."
        )
    sums = probs.sum(axis=1)
    worst = sums[np.argmax(np.abs(sums - 1))]
    if abs(worst - 1) > _SUM_TOLERANCE:
        raise ValueError(f"probs rows must sum to 1. Got a row summing to {worst:g}.")
    labels = _check_labels(labels, probs.shape[0], probs.shape[1])
    return np.clip(probs, 0.0, 1.0), labels


def _check_n_bins(n_bins: int) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer ≥ 1. Got {n_bins!r}.")


def _uniform_bin_index(values: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin b of B equal-width bins holds edges[b] < v <= edges[b+1]; v = 0 joins the first bin.

    Args:
        values: values in [0, 1], any shape.
        n_bins: number of bins B.

    Returns:
        ``(index, edges)``: bin indices in [0, B − 1] of the shape of ``values``, and the
        (B + 1,) edges 0, 1/B, …, 1.
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.searchsorted(edges, values, side="left") - 1
    return np.clip(index, 0, n_bins - 1), edges


def _quantile_bin_index(values: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-mass bins: the value of sorted rank r goes to bin ⌊r·n_bins/N⌋.

    Tied values all take the bin of the first of them, so a value always maps to one bin. With
    distinct values the counts are ⌊N/n_bins⌋ or ⌈N/n_bins⌉. Edges are the largest value of
    the bins below (so bins stay (lower, upper]), with edges[0] = 0 and edges[-1] = 1.
    """
    n = values.shape[0]
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first_rank = np.searchsorted(ordered, ordered, side="left")
    index = np.empty(n, dtype=np.int64)
    index[order] = first_rank * n_bins // n
    bin_max = np.full(n_bins, -np.inf)
    np.maximum.at(bin_max, index, values)
    inner = np.maximum.accumulate(bin_max)[:-1]
    edges = np.concatenate([[0.0], np.maximum(inner, 0.0), [1.0]])
    return index, edges


def reliability_bins(
    confidences: np.ndarray,
    correct: np.ndarray,
    n_bins: int = N_BINS,
    strategy: BinStrategy = "uniform",
) -> ReliabilityBins:
    """Group predictions by confidence and compare each group's accuracy with its confidence.

    ``"uniform"`` uses equal-width bins ((b−1)/B, b/B]; a confidence of exactly 0 goes to the
    first bin and 1.0 to the last. ``"quantile"`` uses equal-mass bins (counts differ by at most
    1 when the confidences are distinct; tied confidences share a bin).

    Args:
        confidences: (n,) confidences in [0, 1], usually max_k p_k.
        correct: (n,) booleans or 0/1: whether each prediction was right.
        n_bins: number of bins B ≥ 1.
        strategy: ``"uniform"`` (equal width) or ``"quantile"`` (equal mass).

    Returns:
        A :class:`ReliabilityBins`; empty bins have count 0 and NaN means.

    Raises:
        ValueError: shapes disagree, confidences outside [0, 1], ``correct`` not 0/1, bad
            ``n_bins`` or ``strategy``.

    References:
        Guo et al. 2017, Sec. 2; Nixon et al., "Measuring Calibration in Deep Learning", 2019
        (equal-mass bins).
    """
    conf = float_array(confidences, "confidences", ndim=1)
    if conf.min() < -_PROB_TOLERANCE or conf.max() > 1 + _PROB_TOLERANCE:
        raise ValueError(
            f"confidences must be in [0, 1]. Got values from {conf.min():g} to {conf.max():g}."
        )
    conf = np.clip(conf, 0.0, 1.0)
    hits = np.asarray(correct, dtype=float)
    if hits.shape != conf.shape:
        raise ValueError(
            f"correct must have the same shape as confidences {conf.shape}. Got {hits.shape}."
        )
    if not np.all((hits == 0) | (hits == 1)):
        raise ValueError(f"correct must hold only 0/1 or booleans. Got {np.unique(hits)[:5]}.")
    return _bin_statistics(conf, hits == 1, n_bins, strategy)


def _bin_statistics(
    conf: np.ndarray, hits: np.ndarray, n_bins: int, strategy: BinStrategy
) -> ReliabilityBins:
    """:func:`reliability_bins` on inputs already checked: conf in [0, 1], hits boolean."""
    _check_n_bins(n_bins)
    if strategy == "uniform":
        index, edges = _uniform_bin_index(conf, n_bins)
    elif strategy == "quantile":
        index, edges = _quantile_bin_index(conf, n_bins)
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile'. Got {strategy!r}.")
    counts = np.bincount(index, minlength=n_bins)
    conf_sums = np.bincount(index, weights=conf, minlength=n_bins)
    hit_sums = np.bincount(index, weights=hits, minlength=n_bins)
    filled = np.maximum(counts, 1)  # empty bins: divide by 1, then NaN below
    mean_conf = np.where(counts > 0, conf_sums / filled, np.nan)
    accuracy = np.where(counts > 0, hit_sums / filled, np.nan)
    return ReliabilityBins(edges, counts, mean_conf, accuracy)


def _top_label_bins(
    probs: object, labels: object, n_bins: int, strategy: BinStrategy
) -> ReliabilityBins:
    """Reliability bins of confidence max_k p_k against correctness [argmax_k p_k == label].

    Ties in the top probability go to the lowest class index, as ``argmax`` does.
    """
    probs, labels = _check_probs_labels(probs, labels)
    return _bin_statistics(probs.max(axis=1), probs.argmax(axis=1) == labels, n_bins, strategy)


def expected_calibration_error(
    probs: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS, strategy: BinStrategy = "uniform"
) -> float:
    """Top-label expected calibration error, ECE = Σ_b n_b/N · |acc_b − conf_b|.

    Confidence is max_k p_k, a prediction is correct when argmax_k p_k equals the label
    (ties go to the lowest class index, as ``argmax`` does). Bin b holds n_b of the N
    predictions; acc_b is their fraction correct and conf_b their mean confidence. Uniform bins
    are (lower, upper], with confidence 0 in the first bin and 1.0 in the last; empty bins
    add 0.

    Example (both confidences in the upper of two bins: acc 1/2, conf (0.9 + 0.6)/2):
        >>> expected_calibration_error([[0.9, 0.1], [0.6, 0.4]], [0, 1], n_bins=2)
        0.25

    Args:
        probs: (n, K) probabilities, each row summing to 1 (within 1e-3).
        labels: (n,) integer labels in [0, K).
        n_bins: number of bins B ≥ 1.
        strategy: ``"uniform"`` (the usual 15 equal-width bins) or ``"quantile"`` (equal-mass
            bins, sometimes called adaptive ECE).

    Returns:
        ECE in [0, 1].

    Raises:
        ValueError: ``probs`` not a finite (n, K) array of probabilities with rows summing to
            1, ``labels`` not (n,) integers in [0, K), bad ``n_bins`` or ``strategy``.

    References:
        Naeini et al. 2015, Sec. 3; Guo et al. 2017, Eq. (3).
    """
    return _top_label_bins(probs, labels, n_bins, strategy).ece


def maximum_calibration_error(
    probs: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS, strategy: BinStrategy = "uniform"
) -> float:
    """Top-label maximum calibration error, MCE = max_b |acc_b − conf_b| over non-empty bins.

    Args and conventions as :func:`expected_calibration_error`; MCE ≥ ECE always.

    References:
        Guo et al. 2017, Eq. (5).
    """
    return _top_label_bins(probs, labels, n_bins, strategy).mce


def classwise_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS) -> float:
    """Class-wise ECE: the mean over classes of each class's one-vs-rest ECE.

        classwise-ECE = (1/K) Σ_k Σ_b n_{k,b}/N · |acc_{k,b} − conf_{k,b}|

    where bin b of class k groups the samples by p_k (equal-width (lower, upper] bins),
    conf_{k,b} is their mean p_k and acc_{k,b} the fraction whose label is k.

    Args:
        probs: (n, K) probabilities.
        labels: (n,) integer labels.
        n_bins: number of equal-width bins per class.

    Returns:
        Class-wise ECE in [0, 1].

    References:
        Kull et al. 2019, Sec. 3.
    """
    probs, labels = _check_probs_labels(probs, labels)
    _check_n_bins(n_bins)
    n, k = probs.shape
    is_class = (labels[:, None] == np.arange(k)).astype(float)
    index, _ = _uniform_bin_index(probs, n_bins)
    flat = (index + n_bins * np.arange(k)).ravel()  # (class, bin) pairs as one index
    conf_sum = np.bincount(flat, probs.ravel(), k * n_bins)
    hit_sum = np.bincount(flat, is_class.ravel(), k * n_bins)
    # n_b/N · |acc_b − conf_b| = |Σ hits − Σ conf| / N within a bin.
    return float(np.abs(hit_sum - conf_sum).sum() / (n * k))


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood −(1/n) Σ_i log p_{i, y_i}, with p clipped at 1e-12.

    Args:
        probs: (n, K) probabilities.
        labels: (n,) integer labels.

    Returns:
        NLL in nats, in [0, −log 1e-12 ≈ 27.6].
    """
    probs, labels = _check_probs_labels(probs, labels)
    picked = probs[np.arange(labels.shape[0]), labels]
    return float(-np.mean(np.log(np.maximum(picked, _NLL_FLOOR))))


def brier_score(probs: np.ndarray, labels: np.ndarray) -> float:
    """Multiclass Brier score (1/n) Σ_i Σ_k (p_ik − y_ik)², y one-hot.

    Convention: summed over classes, averaged over samples (Brier's original 1950 form), so it
    ranges over [0, 2]; some libraries divide by K or score only the true class.

    Args:
        probs: (n, K) probabilities.
        labels: (n,) integer labels.

    Returns:
        Brier score in [0, 2].

    References:
        Brier, "Verification of forecasts expressed in terms of probability", 1950.
    """
    probs, labels = _check_probs_labels(probs, labels)
    one_hot = labels[:, None] == np.arange(probs.shape[1])
    return float(np.mean(np.sum((probs - one_hot) ** 2, axis=1)))
