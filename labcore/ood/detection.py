"""Out-of-distribution detection: scores from logits and detection metrics.

Convention everywhere: a higher score means "more in-distribution", and in-distribution is the
positive class. A detector flags an input as OOD when its score falls below a threshold.

Example (hand-checkable):
    >>> auroc([3.0, 2.0], [2.0, 1.0])  # pairs (in, out): 3>2, 3>1, 2=2 (½), 2>1
    0.875

References:
    Hendrycks & Gimpel, "A Baseline for Detecting Misclassified and Out-of-Distribution
    Examples in Neural Networks", ICLR 2017 (max softmax, AUROC, AUPR).
    Liu et al., "Energy-based Out-of-distribution Detection", NeurIPS 2020 (energy score).
"""

from __future__ import annotations

import math

import numpy as np

from labcore.calibration.temperature import log_softmax
from labcore.checks import float_array

_RANK_SLACK = 1e-9  # absorbs float error in tpr·n before taking the ceiling


def _scores(values: object, name: str) -> np.ndarray:
    """(n,) finite scores, checked by :func:`labcore.checks.float_array`."""
    return float_array(values, name, ndim=1, layout="1-D")


def _logits(values: object) -> np.ndarray:
    """(n, K) finite logits, checked by :func:`labcore.checks.float_array`."""
    return float_array(values, "logits", ndim=2, layout="(n, K)")


def auroc(scores_in: np.ndarray, scores_out: np.ndarray) -> float:
    """Area under the ROC curve, in-distribution positive.

        AUROC = P(s_in > s_out) + ½·P(s_in = s_out)

    computed as the Mann–Whitney U statistic from average ranks of the pooled scores:
    U = R_in − n_in(n_in + 1)/2, AUROC = U / (n_in·n_out).

    Args:
        scores_in: (n_in,) scores of in-distribution inputs.
        scores_out: (n_out,) scores of OOD inputs.

    Returns:
        AUROC in [0, 1]; 0.5 is chance, 1 separates perfectly.

    References:
        Mann & Whitney 1947; Hanley & McNeil, Radiology 1982.
    """
    s_in, s_out = _scores(scores_in, "scores_in"), _scores(scores_out, "scores_out")
    _, inverse, counts = np.unique(
        np.concatenate([s_in, s_out]), return_inverse=True, return_counts=True
    )
    average_rank = np.cumsum(counts) - (counts - 1) / 2  # 1-based mean rank of each tie group
    n_in, n_out = s_in.size, s_out.size
    u = average_rank[inverse[:n_in]].sum() - n_in * (n_in + 1) / 2
    return float(u / (n_in * n_out))


def threshold_at_tpr(scores_in: np.ndarray, tpr: float = 0.95) -> float:
    """The threshold that keeps ``tpr`` of in-distribution inputs (score ≥ t is accepted).

    t* is the largest t with (1/n_in)·#{s_in ≥ t} ≥ tpr: the k-th largest in-distribution
    score for k = ⌈tpr·n_in⌉. When in-scores tie at t*, more than ``tpr`` of them are kept.

    Args:
        scores_in: (n_in,) scores of in-distribution inputs.
        tpr: target true-positive rate in (0, 1].

    Returns:
        t*, one of the in-distribution scores.

    Example (hand-checkable):
        >>> threshold_at_tpr([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], tpr=0.8)
        0.3
    """
    s_in = _scores(scores_in, "scores_in")
    if not 0 < tpr <= 1:
        raise ValueError(f"tpr must be in (0, 1]. Got {tpr!r}.")
    k = max(1, math.ceil(tpr * s_in.size - _RANK_SLACK))
    return float(np.sort(s_in)[s_in.size - k])  # k-th largest


def fpr_at_tpr(scores_in: np.ndarray, scores_out: np.ndarray, tpr: float = 0.95) -> float:
    """False-positive rate of OOD inputs at the threshold that keeps ``tpr`` of in-distribution.

    The threshold t* is :func:`threshold_at_tpr`, the k-th largest in-distribution score for
    k = ⌈tpr·n_in⌉. Inputs with score ≥ t* are accepted as in-distribution — ties at t*
    included, on both sides — so the result is (1/n_out)·#{s_out ≥ t*}, and the achieved TPR
    can exceed ``tpr`` when in-scores tie at t*.

    Args:
        scores_in: (n_in,) scores of in-distribution inputs.
        scores_out: (n_out,) scores of OOD inputs.
        tpr: target true-positive rate in (0, 1].

    Returns:
        FPR in [0, 1]; lower is better.

    References:
        Liang et al., "Enhancing the Reliability of Out-of-distribution Image Detection in
        Neural Networks" (ODIN), ICLR 2018 (FPR at 95 % TPR).
    """
    s_in, s_out = _scores(scores_in, "scores_in"), _scores(scores_out, "scores_out")
    return float(np.mean(s_out >= threshold_at_tpr(s_in, tpr)))


def _counts_at_thresholds(
    scores_in: np.ndarray, scores_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives when accepting score ≥ t, for each distinct t (descending)."""
    s_in, s_out = _scores(scores_in, "scores_in"), _scores(scores_out, "scores_out")
    pooled = np.concatenate([s_in, s_out])
    positive = np.concatenate([np.ones(s_in.size), np.zeros(s_out.size)])
    order = np.argsort(-pooled, kind="stable")
    ordered = pooled[order]
    group_end = np.flatnonzero(np.append(ordered[1:] != ordered[:-1], True))
    tp = np.cumsum(positive[order])[group_end]
    fp = (group_end + 1) - tp
    return tp, fp


def roc_curve(scores_in: np.ndarray, scores_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC curve with in-distribution positive, one point per distinct threshold.

    Args:
        scores_in: (n_in,) scores of in-distribution inputs.
        scores_out: (n_out,) scores of OOD inputs.

    Returns:
        ``(fpr, tpr)``, each starting at 0 and ending at 1; its trapezoid area is the AUROC.
    """
    tp, fp = _counts_at_thresholds(scores_in, scores_out)
    return np.concatenate([[0.0], fp / fp[-1]]), np.concatenate([[0.0], tp / tp[-1]])


def aupr(scores_in: np.ndarray, scores_out: np.ndarray) -> float:
    """Area under the precision–recall curve as average precision, in-distribution positive.

        AP = Σ_t (R_t − R_{t−1})·P_t

    over distinct thresholds t in decreasing order, with P_t and R_t the precision and recall of
    accepting score ≥ t (no interpolation; equals scikit-learn's ``average_precision_score``).

    Args:
        scores_in: (n_in,) scores of in-distribution inputs.
        scores_out: (n_out,) scores of OOD inputs.

    Returns:
        AP in (0, 1]; chance level is n_in / (n_in + n_out).
    """
    tp, fp = _counts_at_thresholds(scores_in, scores_out)
    precision = tp / (tp + fp)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def max_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Maximum softmax probability max_k softmax(z/T)_k (Hendrycks & Gimpel 2017).

    Args:
        logits: (n, K) logits.
        temperature: T > 0.

    Returns:
        (n,) scores in [1/K, 1]; unchanged when a constant is added to every logit.
    """
    return np.exp(log_softmax(_logits(logits), temperature).max(axis=1))


def max_logit(logits: np.ndarray) -> np.ndarray:
    """Maximum logit max_k z_k (Hendrycks et al., "Scaling OOD Detection...", ICML 2022).

    Args:
        logits: (n, K) logits.

    Returns:
        (n,) scores; adding a constant c to every logit adds c.
    """
    return _logits(logits).max(axis=1)


def neg_entropy(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Negative predictive entropy Σ_k p_k log p_k of p = softmax(z/T), in nats.

    Args:
        logits: (n, K) logits.
        temperature: T > 0.

    Returns:
        (n,) scores in [−log K, 0]; unchanged when a constant is added to every logit.
    """
    log_p = log_softmax(_logits(logits), temperature)
    return np.sum(np.exp(log_p) * log_p, axis=1)


def neg_energy(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Negative free energy −E(z) = T·log Σ_k exp(z_k/T), computed stably (Liu et al. 2020).

    Uses T·logsumexp(z/T) = max_k z_k + T·log Σ_k exp((z_k − max z)/T).

    Args:
        logits: (n, K) logits.
        temperature: T > 0.

    Returns:
        (n,) scores; adding a constant c to every logit adds c. Between max_k z_k and
        max_k z_k + T·log K.
    """
    z = _logits(logits)
    log_p = log_softmax(z, temperature)
    # log p_k = z_k/T − logsumexp(z/T) for every k, so logsumexp(z/T) = z_j/T − log p_j at argmax.
    top = np.argmax(z, axis=1)
    rows = np.arange(z.shape[0])
    return z[rows, top] - temperature * log_p[rows, top]
