"""Calibrators fitted on validation logits (compared in :mod:`labcore.calibration.comparison`).

Each calibrator is a small frozen object with ``.probs(logits) -> (n, K)`` probabilities whose
rows sum to 1. All of them are fitted on the same held-out (validation) logits z ∈ R^K:

- temperature: softmax(z / T), one scalar (Guo et al. 2017); never changes the argmax.
- vector: softmax(w ⊙ z + b), 2K numbers (Guo et al. 2017); may change the argmax.
- matrix: softmax(W z + b), K² + K numbers (Guo et al. 2017).
  Vector and matrix scaling carry a weak L2 penalty toward the uncalibrated model (w = 1 or
  W = I, b = 0) that keeps them finite when the calibration set is separable.
- histogram: per class k, equal-width bins of p_k = softmax(z)_k; each bin predicts the
  fraction of its validation points whose label is k (Zadrozny & Elkan 2001); rows renormalised.
- isotonic: per class k, a non-decreasing step function of p_k fitted to 1[y = k] by
  scikit-learn's ``IsotonicRegression`` (Zadrozny & Elkan 2002); rows renormalised.
- platt: per class k, σ(a_k z_k + b_k) fitted with Platt's smoothed targets (Platt 1999), one
  vs rest; rows renormalised.

The one-vs-rest calibrators renormalise each row to sum to 1; a row that is all zeros becomes
uniform (scikit-learn's ``CalibratedClassifierCV`` does the same).

Example (temperature scaling only rescales the logits, so it keeps the predicted class):
    >>> z = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0], [1.0, 0.0]])
    >>> cal = fit_calibrator("temperature", z, np.array([0, 1, 1, 0]))
    >>> bool(np.all(cal.probs(z).argmax(axis=1) == z.argmax(axis=1)))
    True

References:
    Platt, "Probabilistic outputs for support vector machines", 1999.
    Zadrozny & Elkan, "Obtaining calibrated probability estimates from decision trees and
    naive Bayesian classifiers", ICML 2001; "Transforming classifier scores into accurate
    multiclass probability estimates", KDD 2002.
    Guo et al., "On Calibration of Modern Neural Networks", ICML 2017, Sec. 4.2.
    Kull et al., "Beyond temperature scaling: Obtaining well-calibrated multiclass
    probabilities with Dirichlet calibration", NeurIPS 2019.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np
from sklearn.isotonic import IsotonicRegression

from labcore.calibration.classification import (
    N_BINS,
    _check_labels,
    _uniform_bin_index,
)
from labcore.calibration.temperature import fit_temperature, softmax
from labcore.checks import float_array

CalibratorName = Literal["temperature", "vector", "matrix", "histogram", "isotonic", "platt"]

CALIBRATORS: dict[str, str] = {
    "temperature": "Temperature scaling",
    "vector": "Vector scaling",
    "matrix": "Matrix scaling",
    "histogram": "Histogram binning",
    "isotonic": "Isotonic regression",
    "platt": "Platt scaling (one-vs-rest)",
}
UNCALIBRATED = "Uncalibrated (softmax of the raw logits)"

AFFINE_REG = 1e-3  # default L2 weight pulling vector/matrix scaling toward the raw model
_MAX_ITER = 500  # L-BFGS iterations; unregularised fits on separable data stop here


class Calibrator(Protocol):
    """Anything with ``probs(logits) -> (n, K)`` probabilities."""

    def probs(self, logits: np.ndarray) -> np.ndarray: ...


def _logits(logits: object, n_classes: int | None = None) -> np.ndarray:
    z = float_array(logits, "logits", ndim=2)
    if n_classes is not None and z.shape[1] != n_classes:
        raise ValueError(f"logits must have {n_classes} columns, one per class the calibrator "
                         f"was fitted on. Got {z.shape[1]}.")
    return z


def _renormalise(p: np.ndarray) -> np.ndarray:
    """Rows divided by their sum; an all-zero row becomes uniform."""
    total = p.sum(axis=1, keepdims=True)
    uniform = np.full_like(p, 1.0 / p.shape[1])
    return np.divide(p, total, out=uniform, where=total > 0)


@dataclasses.dataclass(frozen=True)
class TemperatureScaling:
    """softmax(z / T) with one T > 0 for all classes."""

    temperature: float

    def probs(self, logits: np.ndarray) -> np.ndarray:
        return softmax(_logits(logits), self.temperature)


@dataclasses.dataclass(frozen=True)
class VectorScaling:
    """softmax(w ⊙ z + b): a scale w_k and a shift b_k per class, (K,) each."""

    w: np.ndarray
    b: np.ndarray

    def probs(self, logits: np.ndarray) -> np.ndarray:
        return softmax(_logits(logits, self.w.shape[0]) * self.w + self.b)


@dataclasses.dataclass(frozen=True)
class MatrixScaling:
    """softmax(W z + b) with W (K, K) and b (K,)."""

    weight: np.ndarray
    b: np.ndarray

    def probs(self, logits: np.ndarray) -> np.ndarray:
        return softmax(np.einsum("nj,kj->nk", _logits(logits, self.b.shape[0]), self.weight)
                       + self.b)


@dataclasses.dataclass(frozen=True)
class HistogramBinning:
    """Per class k: bin p_k = softmax(z)_k into equal-width bins, predict the bin's frequency.

    Attributes:
        values: (K, n_bins) fraction of the fitting points in each bin whose label is k; an empty
            bin holds its midpoint (no evidence: the bin's own confidence).
    """

    values: np.ndarray

    def probs(self, logits: np.ndarray) -> np.ndarray:
        n_classes, n_bins = self.values.shape
        p = softmax(_logits(logits, n_classes))
        index, _ = _uniform_bin_index(p, n_bins)
        return _renormalise(self.values[np.arange(n_classes), index])


@dataclasses.dataclass(frozen=True)
class IsotonicCalibration:
    """Per class k: a non-decreasing piecewise-linear map of p_k = softmax(z)_k.

    Attributes:
        knots_x, knots_y: one (m_k,) array each per class, scikit-learn's
            ``X_thresholds_`` and ``y_thresholds_``; inputs outside the knots are clipped, as
            ``IsotonicRegression(out_of_bounds="clip")`` predicts.
    """

    knots_x: tuple[np.ndarray, ...]
    knots_y: tuple[np.ndarray, ...]

    def probs(self, logits: np.ndarray) -> np.ndarray:
        p = softmax(_logits(logits, len(self.knots_x)))
        mapped = np.stack([np.interp(p[:, k], x, y) for k, (x, y)
                           in enumerate(zip(self.knots_x, self.knots_y, strict=True))], axis=1)
        return _renormalise(mapped)


@dataclasses.dataclass(frozen=True)
class PlattScaling:
    """Per class k: σ(a_k z_k + b_k) on the class's own logit, one vs rest; (K,) a and b."""

    a: np.ndarray
    b: np.ndarray

    def probs(self, logits: np.ndarray) -> np.ndarray:
        t = _logits(logits, self.a.shape[0]) * self.a + self.b
        return _renormalise(np.exp(-np.logaddexp(0.0, -t)))  # σ(t), stable for large |t|


# --- fitting ----------------------------------------------------------------------------------


def _lbfgs(loss_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
           start: np.ndarray, max_iter: int = _MAX_ITER, memory: int = 10) -> np.ndarray:
    """Minimise a smooth convex loss with L-BFGS (two-loop recursion, Armijo backtracking).

    Plain numpy on purpose: scipy's L-BFGS-B calls a threaded BLAS on every iteration, which
    on a busy 2-core machine cost ~5 ms per step for a 20-parameter problem. Stops when the
    largest gradient entry is below 1e-8, the loss stops decreasing (relative change below
    1e-11) or after ``max_iter`` iterations.
    """
    x = np.asarray(start, dtype=float).copy()
    f, g = loss_grad(x)
    history: list[tuple[np.ndarray, np.ndarray, float]] = []
    for _ in range(max_iter):
        if np.max(np.abs(g)) <= 1e-8:
            break
        q, alphas = g.copy(), []
        for s, y, rho in reversed(history):
            alphas.append(rho * np.dot(s, q))
            q -= alphas[-1] * y
        if history:
            s, y, _ = history[-1]
            q *= np.dot(s, y) / np.dot(y, y)
        for (s, y, rho), alpha in zip(history, reversed(alphas), strict=True):
            q += s * (alpha - rho * np.dot(y, q))
        direction = -q
        slope = np.dot(g, direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            history.clear()
            direction, slope = -g, -np.dot(g, g)
        step = 1.0
        while True:
            x_new = x + step * direction
            f_new, g_new = loss_grad(x_new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-12:
                break
            step /= 2
        if f_new > f:
            break
        s, y = x_new - x, g_new - g
        if np.dot(s, y) > 1e-12:
            history = [*history[-memory + 1:], (s, y, 1.0 / np.dot(s, y))]
        done = f - f_new <= 1e-11 * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if done:
            break
    return x


def _nll_grad(scaled: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean NLL of softmax(scaled) and its gradient (p − onehot)/n with respect to ``scaled``."""
    n = labels.shape[0]
    shifted = scaled - scaled.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1)
    value = float(np.mean(np.log(total) - shifted[np.arange(n), labels]))
    grad = e / total[:, None]
    grad[np.arange(n), labels] -= 1.0
    return value, grad / n


def fit_vector_scaling(logits: np.ndarray, labels: np.ndarray, reg: float = AFFINE_REG
                       ) -> VectorScaling:
    """w, b minimising mean NLL of softmax(w ⊙ z + b) + reg·(‖w − 1‖² + ‖b‖²).

    The penalty pulls toward the uncalibrated model (w = 1, b = 0) and keeps the fit finite
    when the calibration set is separable, where unregularised vector scaling drives w to
    infinity. ``reg = 0`` is Guo et al.'s vector scaling. Convex; L-BFGS from w = 1, b = 0.
    """
    z, labels = _fit_inputs(logits, labels)
    _check_reg(reg)
    k = z.shape[1]

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:k], theta[k:]
        value, g = _nll_grad(z * w + b, labels)
        value += reg * (np.sum((w - 1) ** 2) + np.sum(b**2))
        return value, np.concatenate([(g * z).sum(0) + 2 * reg * (w - 1), g.sum(0) + 2 * reg * b])

    theta = _lbfgs(loss_grad, np.concatenate([np.ones(k), np.zeros(k)]))
    return VectorScaling(w=theta[:k], b=theta[k:])


def fit_matrix_scaling(logits: np.ndarray, labels: np.ndarray, reg: float = AFFINE_REG
                       ) -> MatrixScaling:
    """W, b minimising mean NLL of softmax(W z + b) + reg·(‖W − I‖² + ‖b‖²).

    The L2 penalty pulls W toward the identity and b toward 0 (the uncalibrated model); it
    keeps the K² + K parameters finite when the calibration set is separable. ``reg = 0`` is
    Guo et al.'s matrix scaling. Convex; L-BFGS from W = I, b = 0.
    """
    z, labels = _fit_inputs(logits, labels)
    _check_reg(reg)
    k = z.shape[1]
    eye = np.eye(k)

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weight, b = theta[: k * k].reshape(k, k), theta[k * k:]
        value, g = _nll_grad(np.einsum("nj,kj->nk", z, weight) + b, labels)
        value += reg * (np.sum((weight - eye) ** 2) + np.sum(b**2))
        grad_w = np.einsum("nk,nj->kj", g, z) + 2 * reg * (weight - eye)
        return value, np.concatenate([grad_w.ravel(), g.sum(0) + 2 * reg * b])

    theta = _lbfgs(loss_grad, np.concatenate([eye.ravel(), np.zeros(k)]))
    return MatrixScaling(weight=theta[: k * k].reshape(k, k), b=theta[k * k:])


def _check_reg(reg: float) -> None:
    if not (np.isfinite(reg) and reg >= 0):
        raise ValueError(f"reg must be a finite number ≥ 0. Got {reg!r}.")


def fit_histogram_binning(logits: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS
                          ) -> HistogramBinning:
    """Per class k, equal-width (lower, upper] bins of p_k; each bin's frequency of label k.

    Bins follow the lab's ECE convention (:func:`labcore.calibration.reliability_bins`): 0
    joins the first bin, 1 the last. An empty bin keeps its midpoint.
    """
    z, labels = _fit_inputs(logits, labels)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer ≥ 1. Got {n_bins!r}.")
    k = z.shape[1]
    p = softmax(z)
    index, edges = _uniform_bin_index(p, n_bins)
    flat = (index + n_bins * np.arange(k)).ravel()  # (class, bin) pairs as one index
    counts = np.bincount(flat, minlength=k * n_bins).reshape(k, n_bins)
    hits = np.bincount(flat, (labels[:, None] == np.arange(k)).ravel(),
                       minlength=k * n_bins).reshape(k, n_bins)
    mid = np.broadcast_to((edges[:-1] + edges[1:]) / 2, (k, n_bins))
    return HistogramBinning(values=np.where(counts > 0, hits / np.maximum(counts, 1), mid))


def fit_isotonic(logits: np.ndarray, labels: np.ndarray) -> IsotonicCalibration:
    """Per class k, scikit-learn's ``IsotonicRegression`` of 1[y = k] on p_k = softmax(z)_k."""
    z, labels = _fit_inputs(logits, labels)
    p = softmax(z)
    xs, ys = [], []
    for k in range(z.shape[1]):
        iso = IsotonicRegression(out_of_bounds="clip").fit(p[:, k], labels == k)
        xs.append(np.asarray(iso.X_thresholds_, dtype=float))
        ys.append(np.asarray(iso.y_thresholds_, dtype=float))
    return IsotonicCalibration(knots_x=tuple(xs), knots_y=tuple(ys))


def _platt_loss(z: np.ndarray, target: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(K,) mean binary cross-entropy of σ(a_k z_k + b_k) against soft targets, per class."""
    t = z * a + b
    return np.mean(np.logaddexp(0.0, t) - target * t, axis=0)


def fit_platt(logits: np.ndarray, labels: np.ndarray) -> PlattScaling:
    """Per class k, a_k and b_k of σ(a_k z_k + b_k) by logistic regression on Platt's targets.

    Targets are (N₊ + 1)/(N₊ + 2) for the N₊ points of class k and 1/(N₋ + 2) for the N₋
    others (Platt 1999, Sec. 2.2; scikit-learn's ``method="sigmoid"`` does the same), so the
    fit stays finite when a class is separable. The K one-vs-rest problems are independent and
    strictly convex; Newton's method with backtracking solves all of them at once (2×2 steps).
    """
    z, labels = _fit_inputs(logits, labels)
    n, k = z.shape
    positive = labels[:, None] == np.arange(k)
    n_pos = positive.sum(axis=0)
    target = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n - n_pos + 2.0))
    a, b = np.zeros(k), np.log((n - n_pos + 1.0) / (n_pos + 1.0)) * -1.0  # Platt's start
    loss = _platt_loss(z, target, a, b)
    for _ in range(100):
        p = np.exp(-np.logaddexp(0.0, -(z * a + b)))  # σ(a z + b), stable
        r, w = p - target, p * (1 - p)
        g_a, g_b = np.mean(r * z, axis=0), np.mean(r, axis=0)
        if np.max(np.abs(g_a) + np.abs(g_b)) < 1e-10:
            break
        h_aa, h_ab, h_bb = np.mean(w * z * z, axis=0), np.mean(w * z, axis=0), np.mean(w, axis=0)
        det = np.maximum(h_aa * h_bb - h_ab**2, 1e-300)
        step_a, step_b = -(h_bb * g_a - h_ab * g_b) / det, -(h_aa * g_b - h_ab * g_a) / det
        scale = np.ones(k)
        for _ in range(40):  # halve each class's step until its loss does not increase
            new = _platt_loss(z, target, a + scale * step_a, b + scale * step_b)
            worse = new > loss + 1e-15
            if not worse.any():
                break
            scale = np.where(worse, scale / 2, scale)
        scale = np.where(new > loss, 0.0, scale)  # a class that cannot improve keeps its fit
        a, b = a + scale * step_a, b + scale * step_b
        loss = np.minimum(new, loss)
    return PlattScaling(a=a, b=b)


def _fit_inputs(logits: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    z = _logits(logits)
    return z, _check_labels(labels, z.shape[0], z.shape[1])


def fit_calibrator(name: str, val_logits: np.ndarray, val_labels: np.ndarray, *,
                   n_bins: int = N_BINS, seed: int = 0) -> Calibrator:
    """Fit one calibrator (a key of :data:`CALIBRATORS`) on validation logits and labels.

    Vector and matrix scaling use the default penalty :data:`AFFINE_REG` toward the raw model.

    Args:
        name: "temperature", "vector", "matrix", "histogram", "isotonic" or "platt".
        val_logits: (n, K) logits of the held-out set the calibrator is fitted on.
        val_labels: (n,) integer labels in [0, K).
        n_bins: bins per class of histogram binning (ignored by the others).
        seed: unused by the current calibrators (all fits are deterministic); kept so that a
            randomised calibrator can be added without changing callers.

    Returns:
        A frozen object with ``probs(logits) -> (n, K)`` probabilities.

    Raises:
        ValueError: an unknown ``name``, bad logits or labels.
    """
    del seed  # every fit here is deterministic
    if name == "temperature":
        return TemperatureScaling(fit_temperature(val_logits, val_labels))
    if name == "vector":
        return fit_vector_scaling(val_logits, val_labels)
    if name == "matrix":
        return fit_matrix_scaling(val_logits, val_labels)
    if name == "histogram":
        return fit_histogram_binning(val_logits, val_labels, n_bins)
    if name == "isotonic":
        return fit_isotonic(val_logits, val_labels)
    if name == "platt":
        return fit_platt(val_logits, val_labels)
    raise ValueError(f"Calibrator must be one of {', '.join(map(repr, CALIBRATORS))}. "
                     f"Got {name!r}.")
