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
    _as_array,
    _check_labels,
    expected_calibration_error,
)

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
    z = np.asarray(logits, dtype=float)
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"logits must have at least one class on the last axis. Got {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"logits must contain only finite numbers. Got {z[~np.isfinite(z)][0]}.")
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
    z = _as_array(logits, "logits", 2)
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


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T > 0 minimising the NLL of softmax(logits/T) on held-out data.

    Searches u = log T in [log 0.01, log 100]: a 41-point grid brackets the minimum, then
    golden-section search refines it on the exact NLL. The NLL is convex in 1/T, hence unimodal
    in log T, so the bracket holds the global minimum. When the NLL does not depend on T (e.g.
    all logits equal) the result is T = 1. Dividing by T > 0 never changes the argmax.

    Args:
        logits: (n, K) logits of a validation set.
        labels: (n,) integer labels.

    Returns:
        The fitted temperature, in [0.01, 100].

    References:
        Guo et al. 2017, Sec. 4.2 (temperature scaling).
    """
    z, labels = _logits_and_labels(logits, labels)
    grid = np.linspace(*_LOG_T_BOUNDS, 41)
    values = np.array([_nll_at(z, labels, math.exp(u)) for u in grid])
    i = _prefer_near_one(values, grid)
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    a, b = lo + (1 - ratio) * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll_at(z, labels, math.exp(a)), _nll_at(z, labels, math.exp(b))
    for _ in range(60):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = lo + (1 - ratio) * (hi - lo)
            fa = _nll_at(z, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll_at(z, labels, math.exp(b))
    u, fu = (a, fa) if fa <= fb else (b, fb)
    return float(math.exp(u)) if fu < values[i] else float(math.exp(grid[i]))


def fit_temperature_ece(
    logits: np.ndarray,
    labels: np.ndarray,
    grid: np.ndarray | None = None,
    n_bins: int = 15,
) -> float:
    """Temperature on a grid with the smallest top-label ECE of softmax(logits/T).

    ECE is not smooth in T, so this is a plain grid search; ties go to the T closest to 1.

    Args:
        logits: (n, K) logits of a validation set.
        labels: (n,) integer labels.
        grid: (G,) candidate temperatures > 0; default 121 log-spaced values in [0.05, 20].
        n_bins: equal-width bins for the ECE.

    Returns:
        The grid temperature with minimum ECE.
    """
    z, labels = _logits_and_labels(logits, labels)
    temps = np.geomspace(0.05, 20.0, 121) if grid is None else np.asarray(grid, dtype=float)
    if temps.ndim != 1 or temps.size == 0 or not np.all(np.isfinite(temps) & (temps > 0)):
        raise ValueError(f"grid must be a non-empty 1-D array of temperatures > 0. Got {temps}.")
    eces = np.array(
        [expected_calibration_error(softmax(z, float(t)), labels, n_bins) for t in temps]
    )
    return float(temps[_prefer_near_one(eces, np.log(temps))])
