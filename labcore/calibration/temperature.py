"""Softmax with a temperature, and fitting the temperature (Guo et al. 2017).

Temperature scaling divides every logit by one scalar T > 0 before the softmax. It never changes
the predicted class, only how confident the prediction is: T > 1 softens, T < 1 sharpens.

References:
    Guo et al., "On Calibration of Modern Neural Networks", ICML 2017, Sec. 4.2.
"""

from __future__ import annotations

import math

import numpy as np

from labcore.calibration.classification import (
    N_BINS,
    BinStrategy,
    _check_labels,
    expected_calibration_error,
)
from labcore.checks import float_array

_LOG_T_BOUNDS = (math.log(0.01), math.log(100.0))  # temperature search range, on log T


def _check_temperature(temperature: float) -> None:
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0. Got {temperature!r}.")


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """log softmax(z/T) over the last axis, stable: z/T − max − log Σ exp(z/T − max).

    Args:
        logits: (..., K) finite scores.
        temperature: T > 0.

    Returns:
        Log-probabilities, same shape as ``logits``.
    """
    _check_temperature(temperature)
    z = float_array(logits, "logits")
    if z.ndim == 0:
        raise ValueError(f"logits must have at least one class on the last axis. Got {z.shape}.")
    z = z / temperature
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(z/T)_k = exp(z_k/T) / Σ_j exp(z_j/T) over the last axis, computed stably.

    Args:
        logits: (..., K) finite scores.
        temperature: T > 0; T > 1 softens, T < 1 sharpens.

    Returns:
        Probabilities, same shape as ``logits``, each row summing to 1.
    """
    return np.exp(log_softmax(logits, temperature))


def _logits_and_labels(logits: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    z = float_array(logits, "logits", ndim=2)
    return z, _check_labels(labels, z.shape[0], z.shape[1])


def _nll_at(z: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    log_p = log_softmax(z, temperature)
    return float(-np.mean(log_p[np.arange(labels.shape[0]), labels]))


def nll_at_temperatures(
    logits: np.ndarray, labels: np.ndarray, temperatures: np.ndarray
) -> np.ndarray:
    """NLL of softmax(logits/T) for each T in ``temperatures`` (for plotting NLL against T).

    Args:
        logits: (n, K) logits.
        labels: (n,) integer labels.
        temperatures: (G,) temperatures > 0.

    Returns:
        (G,) mean NLL in nats (exact log-softmax, no clipping).
    """
    z, labels = _logits_and_labels(logits, labels)
    temps = np.atleast_1d(np.asarray(temperatures, dtype=float))
    return np.array([_nll_at(z, labels, float(t)) for t in temps])


def _prefer_near_one(values: np.ndarray, log_temps: np.ndarray) -> int:
    """Index of the smallest value; among (near-)ties, the one whose T is closest to 1."""
    best = values.min()
    tied = np.flatnonzero(values <= best + 1e-12 * max(1.0, abs(best)))
    return int(tied[np.argmin(np.abs(log_temps[tied]))])


def _nll_derivatives(z: np.ndarray, z_label: np.ndarray, beta: float) -> tuple[float, ...]:
    """NLL(β) = mean(log Σ_k e^{β z_k} − β z_y) and its first two derivatives in β = 1/T.

    ``z`` must have each row's maximum at 0 (so e^{β z} ≤ 1 never overflows). With p the
    softmax of β z: NLL′ = mean(E_p[z] − z_y) and NLL″ = mean(Var_p[z]) ≥ 0 (convex in β).
    """
    e = np.exp(beta * z)
    total = e.sum(axis=1)
    p = e / total[:, None]
    mean_z = np.einsum("ij,ij->i", p, z)
    mean_z2 = np.einsum("ij,ij->i", p, z * z)
    nll = float(np.mean(np.log(total) - beta * z_label))
    return nll, float(np.mean(mean_z - z_label)), float(np.mean(mean_z2 - mean_z**2))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T > 0 minimising the NLL of softmax(logits/T) on held-out data.

    The NLL is convex in β = 1/T, so Newton's method on β (with backtracking, kept inside
    T ∈ [0.01, 100]) finds the global minimum in a handful of steps. When the NLL does not
    depend on T (e.g. all logits equal) the result is T = 1. Dividing by T > 0 never changes
    the argmax.

    Args:
        logits: (n, K) logits of a validation set.
        labels: (n,) integer labels.

    Returns:
        The fitted temperature, in [0.01, 100].

    References:
        Guo et al. 2017, Sec. 4.2 (temperature scaling).
    """
    z, labels = _logits_and_labels(logits, labels)
    z = z - z.max(axis=1, keepdims=True)  # the NLL is unchanged by a per-row shift
    z_label = z[np.arange(labels.shape[0]), labels]
    lo, hi = math.exp(-_LOG_T_BOUNDS[1]), math.exp(-_LOG_T_BOUNDS[0])  # bounds on β
    beta = 1.0
    nll, slope, curve = _nll_derivatives(z, z_label, beta)
    for _ in range(100):
        if abs(slope) <= 1e-12 * max(1.0, abs(nll)):
            break
        step = -slope / curve if curve > 1e-300 else (hi if slope < 0 else -hi)
        for _ in range(60):  # backtrack until the NLL does not increase
            candidate = min(max(beta + step, lo), hi)
            new = _nll_derivatives(z, z_label, candidate)
            if new[0] <= nll:
                break
            step /= 2
        else:
            break
        if abs(candidate - beta) <= 1e-12 * beta:
            break
        beta, (nll, slope, curve) = candidate, new
    return float(1.0 / beta)


def fit_temperature_ece(
    logits: np.ndarray,
    labels: np.ndarray,
    grid: np.ndarray | None = None,
    n_bins: int = N_BINS,
    strategy: BinStrategy = "uniform",
) -> float:
    """Temperature on a grid with the smallest top-label ECE of softmax(logits/T).

    ECE is not smooth in T, so this is a plain grid search; ties go to the T closest to 1.

    Args:
        logits: (n, K) logits of a validation set.
        labels: (n,) integer labels.
        grid: (G,) candidate temperatures > 0; default 121 log-spaced values in [0.05, 20].
        n_bins: bins for the ECE.
        strategy: equal-width (``"uniform"``) or equal-mass (``"quantile"``) bins; the ECE
            minimised is the one drawn with the same bins.

    Returns:
        The grid temperature with minimum ECE.
    """
    z, labels = _logits_and_labels(logits, labels)
    temps = np.geomspace(0.05, 20.0, 121) if grid is None else np.asarray(grid, dtype=float)
    if temps.ndim != 1 or temps.size == 0 or not np.all(np.isfinite(temps) & (temps > 0)):
        raise ValueError(f"grid must be a non-empty 1-D array of temperatures > 0. Got {temps}.")
    eces = np.array(
        [expected_calibration_error(softmax(z, float(t)), labels, n_bins, strategy)
         for t in temps]
    )
    return float(temps[_prefer_near_one(eces, np.log(temps))])
