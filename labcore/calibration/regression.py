"""Calibration of Gaussian regression: NLL, CRPS, interval coverage, conformal intervals.

Numpy in, numpy or float out. ``mean``, ``std`` and ``y`` always mean the predicted mean μ, the
predicted standard deviation σ > 0 and the observed target; they are broadcast against each
other, so one σ for every point (a homoscedastic model) is a scalar.

The normal CDF uses ``math.erfc`` (exact to double precision) and the quantile function uses
``statistics.NormalDist``; there is no SciPy at run time.
"""

from __future__ import annotations

import math
import statistics
from typing import Literal

import numpy as np

from labcore.calibration.conformal_sets import conformal_quantile, min_calibration_points
from labcore.checks import float_array

Reduction = Literal["mean", "none"]

_erfc = np.vectorize(math.erfc, otypes=[float])
_inv_cdf = np.vectorize(statistics.NormalDist().inv_cdf, otypes=[float])


def _broadcast(**named: object) -> list[np.ndarray]:
    arrays = [float_array(value, name) for name, value in named.items()]
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        names = " and ".join(named)
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{names} must have matching shapes. Got {shapes}.") from None


def _check_std(std: np.ndarray, name: str = "std") -> None:
    if std.min() <= 0:
        raise ValueError(f"{name} must be > 0. Got {std.min():g}.")


def _reduce(values: np.ndarray, reduction: Reduction) -> float | np.ndarray:
    if reduction == "mean":
        return float(values.mean())
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be 'mean' or 'none'. Got {reduction!r}.")


def _check_level(level: float, name: str = "level") -> None:
    if not 0 < level < 1:
        raise ValueError(f"{name} must be in (0, 1). Got {level!r}.")


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF Φ(z) = ½·erfc(−z/√2), accurate in both tails.

    Args:
        z: any shape.

    Returns:
        Φ(z), same shape as ``z``.
    """
    return 0.5 * _erfc(-np.asarray(z, dtype=float) / math.sqrt(2.0))


def normal_ppf(q: np.ndarray) -> np.ndarray:
    """Standard normal quantile Φ⁻¹(q) for q in (0, 1) (``statistics.NormalDist.inv_cdf``).

    Args:
        q: probabilities in (0, 1), any (small) shape.

    Returns:
        Φ⁻¹(q), same shape as ``q``.
    """
    q = np.asarray(q, dtype=float)
    if not np.all((q > 0) & (q < 1)):
        raise ValueError(f"q must be in (0, 1). Got {q[~((q > 0) & (q < 1))][0]}.")
    return _inv_cdf(q)


def regression_nll(
    mean: np.ndarray, std: np.ndarray, y: np.ndarray, reduction: Reduction = "mean"
) -> float | np.ndarray:
    """Held-out NLL of a Gaussian prediction N(μ, σ²): ½·(log 2π + log σ² + (y − μ)²/σ²).

    The metric that scores a regressor's predictive distribution, with the constant included;
    the training loss with the same formula is :func:`labcore.losses.gaussian_nll`, which
    takes log σ² (what a network predicts) instead of σ.

    Args:
        mean: predicted means μ.
        std: predicted standard deviations σ > 0.
        y: targets.
        reduction: ``"mean"`` for a float, ``"none"`` for the per-sample values.

    Returns:
        Mean NLL in nats, or the broadcast per-sample array.
    """
    mean, std, y = _broadcast(mean=mean, std=std, y=y)
    _check_std(std)
    per_sample = 0.5 * (math.log(2 * math.pi) + 2 * np.log(std) + ((y - mean) / std) ** 2)
    return _reduce(per_sample, reduction)


def crps_gaussian(
    mean: np.ndarray, std: np.ndarray, y: np.ndarray, reduction: Reduction = "mean"
) -> float | np.ndarray:
    """Continuous ranked probability score of N(μ, σ²) at y, in closed form.

        CRPS = σ·[z·(2Φ(z) − 1) + 2φ(z) − 1/√π],   z = (y − μ)/σ,

    which equals ∫ (F(t) − 1{t ≥ y})² dt. Lower is better; it has the units of y and tends to
    |y − μ| as σ → 0. Arguments as for :func:`regression_nll`; returns the mean CRPS, or the
    broadcast per-sample array with ``reduction="none"``.

    References:
        Gneiting & Raftery, "Strictly Proper Scoring Rules, Prediction, and Estimation",
        JASA 2007, Eq. (21).
    """
    mean, std, y = _broadcast(mean=mean, std=std, y=y)
    _check_std(std)
    z = (y - mean) / std
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    per_sample = std * (z * (2 * normal_cdf(z) - 1) + 2 * pdf - 1 / math.sqrt(math.pi))
    return _reduce(per_sample, reduction)


def probability_integral_transform(mean: np.ndarray, std: np.ndarray, y: np.ndarray) -> np.ndarray:
    """PIT values Φ((y − μ)/σ); uniform on [0, 1] when the predictive distributions are right.

    Args:
        mean: predicted means μ.
        std: predicted standard deviations σ > 0.
        y: targets.

    Returns:
        PIT values in [0, 1], broadcast shape.
    """
    mean, std, y = _broadcast(mean=mean, std=std, y=y)
    _check_std(std)
    return normal_cdf((y - mean) / std)


def interval_coverage(lower: np.ndarray, upper: np.ndarray, y: np.ndarray) -> float:
    """Fraction of targets inside their interval, (1/n) Σ_i 1{lower_i ≤ y_i ≤ upper_i}.

    Args:
        lower: interval lower ends.
        upper: interval upper ends, ≥ ``lower``.
        y: targets.

    Returns:
        Empirical coverage in [0, 1].
    """
    lower, upper, y = _broadcast(lower=lower, upper=upper, y=y)
    if np.any(lower > upper):
        worst = int(np.argmax(lower - upper))
        raise ValueError(
            f"lower must be ≤ upper. Got lower {lower.flat[worst]:g} > upper {upper.flat[worst]:g}."
        )
    return float(np.mean((lower <= y) & (y <= upper)))


def central_interval(
    mean: np.ndarray, std: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Central interval μ ± z·σ of N(μ, σ²) with probability ``level``, z = Φ⁻¹((1 + level)/2).

    Args:
        mean: predicted means μ.
        std: predicted standard deviations σ > 0.
        level: coverage probability in (0, 1), e.g. 0.95 gives z ≈ 1.96.

    Returns:
        ``(lower, upper)``, broadcast shape.
    """
    _check_level(level)
    mean, std = _broadcast(mean=mean, std=std)
    _check_std(std)
    half = float(normal_ppf(0.5 + level / 2)) * std
    return mean - half, mean + half


def regression_calibration_curve(
    mean: np.ndarray,
    std: np.ndarray,
    y: np.ndarray,
    levels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected against observed coverage of central Gaussian intervals.

    For each level p, observed(p) = (1/n) Σ_i 1{|y_i − μ_i| ≤ Φ⁻¹((1 + p)/2)·σ_i}. A calibrated
    model lies on the diagonal; below it the intervals are too narrow (overconfident).

    Args:
        mean: predicted means μ.
        std: predicted standard deviations σ > 0.
        y: targets.
        levels: (L,) levels in (0, 1); default 0.05, 0.10, …, 0.95.

    Returns:
        ``(expected, observed)``, each of shape (L,).

    References:
        Kuleshov et al., "Accurate Uncertainties for Deep Learning Using Calibrated
        Regression", ICML 2018 (here with central rather than one-sided intervals).
    """
    mean, std, y = _broadcast(mean=mean, std=std, y=y)
    _check_std(std)
    expected = np.linspace(0.05, 0.95, 19) if levels is None else float_array(levels, "levels")
    if expected.ndim != 1 or not np.all((expected > 0) & (expected < 1)):
        raise ValueError(f"levels must be a 1-D array of values in (0, 1). Got {expected}.")
    half_widths = normal_ppf(0.5 + expected / 2)
    scores = np.abs(y - mean).ravel() / std.ravel()
    observed = np.mean(scores[None, :] <= half_widths[:, None], axis=1)
    return expected, observed


def _conformal_rank_value(scores: np.ndarray, alpha: float) -> float:
    """The ⌈(n+1)(1−α)⌉-th smallest score, or inf when that rank exceeds n."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1). Got {alpha!r}.")
    if scores.size < min_calibration_points(alpha):
        return math.inf
    return conformal_quantile(scores, alpha)


def split_conformal_quantile(residuals_cal: np.ndarray, alpha: float) -> float:
    """Split-conformal half-width q from calibration residuals y − ŷ.

    q is the ⌈(n+1)(1−α)⌉-th smallest |residual| of the n calibration points (inf when that
    rank exceeds n). For a new exchangeable point, ŷ ± q covers y with probability in
    [1−α, 1−α + 1/(n+1)) (the upper bound needs continuous residuals).

    Args:
        residuals_cal: (n,) residuals y − ŷ on a calibration set not used for training.
        alpha: miscoverage in (0, 1), e.g. 0.1 for 90 % intervals.

    Returns:
        The half-width q ≥ 0 (possibly inf).

    References:
        Vovk, Gammerman & Shafer, "Algorithmic Learning in a Random World", 2005;
        Lei et al., "Distribution-Free Predictive Inference for Regression", JASA 2018.
    """
    residuals = float_array(residuals_cal, "residuals_cal")
    if residuals.ndim != 1:
        raise ValueError(f"residuals_cal must be 1-D. Got shape {residuals.shape}.")
    return _conformal_rank_value(np.abs(residuals), alpha)


def split_conformal_scaled(residuals_cal: np.ndarray, std_cal: np.ndarray, alpha: float) -> float:
    """Normalised split-conformal multiplier q from scores |y − ŷ|/σ(x).

    Same rank rule as :func:`split_conformal_quantile`, applied to the scaled scores; the
    interval ŷ ± q·σ(x) then widens where the model predicts more noise, with the same
    marginal coverage guarantee.

    Args:
        residuals_cal: (n,) residuals y − ŷ on a calibration set.
        std_cal: (n,) predicted σ > 0 on the same points.
        alpha: miscoverage in (0, 1).

    Returns:
        The multiplier q ≥ 0 (possibly inf); use with ``conformal_interval(pred, q, scale=std)``.

    References:
        Lei et al. 2018, Sec. 5.2 (locally weighted conformal); Papadopoulos et al. 2002.
    """
    residuals = float_array(residuals_cal, "residuals_cal")
    std = float_array(std_cal, "std_cal")
    if residuals.ndim != 1 or std.shape != residuals.shape:
        raise ValueError(
            f"residuals_cal and std_cal must be 1-D with the same shape. Got {residuals.shape} "
            f"and {std.shape}."
        )
    _check_std(std, "std_cal")
    return _conformal_rank_value(np.abs(residuals) / std, alpha)


def conformal_interval(
    pred: np.ndarray, q: float, scale: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Conformal interval ŷ ± q (or ŷ ± q·σ(x) when ``scale`` is given).

    Args:
        pred: point predictions ŷ.
        q: half-width from :func:`split_conformal_quantile`, or multiplier from
            :func:`split_conformal_scaled`; ≥ 0, may be inf.
        scale: predicted σ(x) > 0 for the scaled variant, broadcast against ``pred``.

    Returns:
        ``(lower, upper)`` arrays.
    """
    if math.isnan(q) or q < 0:
        raise ValueError(f"q must be ≥ 0. Got {q!r}.")
    pred = float_array(pred, "pred")
    if scale is None:
        return pred - q, pred + q
    pred, scale = _broadcast(pred=pred, scale=scale)
    _check_std(scale, "scale")
    return pred - q * scale, pred + q * scale
