"""Quantile regression and conformalised quantile regression (CQR) for the Regression lab.

A network trained with the pinball loss predicts the α/2 and 1 − α/2 quantiles of y given x,
so its interval widens where y is noisier without assuming a Gaussian. Its coverage is only
as good as the fit; CQR (Romano, Patterson & Candès 2019) repairs that on calibration points
used for nothing else: with scores E_i = max(q̂_lo(x_i) − y_i, y_i − q̂_hi(x_i)), the interval
[q̂_lo − Q, q̂_hi + Q], Q the ⌈(n+1)(1−α)⌉-th smallest score, covers a new point with
probability ≥ 1 − α. The plain split-conformal band μ ± q has one width everywhere.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from labcore import calibration as cal
from labcore.calibration.conformal_sets import conformal_quantile, min_calibration_points
from labcore.losses import pinball
from labcore.models.mlp import BatchedMLP
from labcore.models.train import Progress, TrainConfig, train

CENTRE = 0.25
"""The centre of the data range for the width ratios: within this fraction of its half-width
of its midpoint (|x| ≤ 1 for the generated data's range [−4, 4])."""
EDGE = 0.75
"""The edges of the data range: from this fraction of its half-width to its ends (3 ≤ |x| ≤ 4
for [−4, 4])."""


def cqr_scores(lower: np.ndarray, upper: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CQR conformity scores max(q̂_lo − y, y − q̂_hi): negative inside the interval.

    Example:
        >>> cqr_scores(np.array([0.0, 0.0]), np.array([2.0, 2.0]), np.array([1.5, 3.0]))
        array([-0.5,  1. ])
    """
    return np.maximum(np.asarray(lower) - y, np.asarray(y) - upper)


def cqr_correction(scores: np.ndarray, alpha: float) -> float:
    """Q, the ⌈(n+1)(1−α)⌉-th smallest of n calibration scores (Romano et al. 2019, eq. 7).

    Args:
        scores: (n,) :func:`cqr_scores` on calibration points not used for training.
        alpha: miscoverage in (0, 1); the interval level is 1 − α.

    Returns:
        Q in units of y; negative when the quantile interval is too wide.

    Raises:
        ValueError: fewer than :func:`min_calibration_points` points, where no finite Q can
            promise 1 − α.

    Example:
        >>> cqr_correction(np.arange(1.0, 20.0), 0.1)  # ⌈20 · 0.9⌉ = 18th smallest of 1..19
        18.0
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1). Got {alpha!r}.")
    scores = np.asarray(scores, dtype=float)
    n, need = scores.size, min_calibration_points(alpha)
    if n < need:  # the same rule as conformal_quantile's, said in the interval's terms
        raise ValueError(
            f"CQR at the {1 - alpha:.0%} level needs at least {need} calibration points "
            f"(⌈(n+1)(1−α)⌉ must not exceed n): use more points or a lower interval level. "
            f"Got {n}."
        )
    return conformal_quantile(scores, alpha)


def fit_quantile_network(
    x: torch.Tensor, y: torch.Tensor, levels: tuple[float, float], *, hidden: int,
    n_layers: int, steps: int, lr: float, batch_size: int | None, seed: int,
    progress: Progress | None = None, progress_range: tuple[float, float] = (0.0, 1.0),
) -> BatchedMLP:
    """Train one MLP whose two outputs are the ``levels`` quantiles of y, by the pinball loss.

    Args:
        x: (n, 1) standardised inputs; y: (n,) standardised targets.
        levels: (lower, upper) quantile levels, e.g. (0.05, 0.95).
        hidden, n_layers, steps, lr, batch_size, seed: the network and its training.

    Returns:
        The trained model (outputs (1, n, 2); read them with :func:`predict_quantiles`).
    """
    model = BatchedMLP(1, 1, 2, hidden=hidden, n_layers=n_layers, seed=seed + 7919,
                       device=x.device)

    def loss_fn(net: BatchedMLP, batch) -> torch.Tensor:
        return pinball(net(batch[0]), batch[1], list(levels), reduction="member")

    train(model, loss_fn, (x, y), TrainConfig(steps=steps, lr=lr, batch_size=batch_size,
                                               seed=seed),
          progress=progress, progress_range=progress_range, label="Training the quantile network")
    return model


def predict_quantiles(model: BatchedMLP, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The lower and upper quantile at each x, sorted so the two never cross.

    Sorting the outputs (the rearrangement of Chernozhukov et al. 2010) can only bring each
    quantile closer to the truth.
    """
    with torch.no_grad():
        out = torch.sort(model(x, dropout=False)[0], dim=-1).values
    out = out.cpu().numpy().astype(float)
    return out[:, 0], out[:, 1]


@dataclasses.dataclass(frozen=True)
class QuantileBand:
    """Three intervals at one level, on the grid, with their held-out coverage and width.

    Attributes:
        level: the interval level 1 − α, e.g. 0.9.
        lower, upper: (G,) the pinball network's quantiles α/2 and 1 − α/2.
        cqr_lower, cqr_upper: (G,) CQR: the quantiles moved out by Q (in by −Q if Q < 0).
        constant_lower, constant_upper: (G,) split conformal μ ± q: one width everywhere.
        cqr_q, constant_q: Q and q (units of y).
        n_calibration: calibration points behind Q and q.
        true_width: (G,) width of the true central interval of y given x (None if unknown).
        rows: method → (coverage on the test set, mean width there, width ratio edge/centre on
            the grid); the methods are "quantile", "cqr", "constant", "gaussian" and
            "truth" (the true interval; its coverage is 1 − α in expectation, NaN here).
    """

    level: float
    lower: np.ndarray
    upper: np.ndarray
    cqr_lower: np.ndarray
    cqr_upper: np.ndarray
    constant_lower: np.ndarray
    constant_upper: np.ndarray
    cqr_q: float
    constant_q: float
    n_calibration: int
    rows: dict[str, tuple[float, float, float]]
    true_width: np.ndarray | None = None


def width_ratio(x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                data_range: tuple[float, float] = (-4.0, 4.0)) -> float:
    """Mean interval width at the edges of the data range over its mean width at the centre.

    1 means one width everywhere. The edges are the outer quarter of each half of
    ``data_range`` (3 ≤ |x| ≤ 4 for [−4, 4]); the centre is the inner quarter (|x| ≤ 1).

    >>> x = np.array([-3.5, 0.0, 0.5, 3.5, 5.0])
    >>> width_ratio(x, np.zeros(5), np.array([4.0, 1.0, 1.0, 4.0, 9.0]))  # 4 at edges, 1 inside
    4.0
    """
    mid, half = (data_range[0] + data_range[1]) / 2, (data_range[1] - data_range[0]) / 2
    distance = np.abs(np.asarray(x) - mid) / half
    width = np.asarray(upper) - np.asarray(lower)
    edge, centre = (distance >= EDGE) & (distance <= 1), distance <= CENTRE
    return float(np.mean(width[edge]) / np.mean(width[centre]))


Interval = tuple[np.ndarray, np.ndarray]


def interval_band(
    level: float, x_grid: np.ndarray, grid: dict[str, Interval], cal_set: dict[str, Interval],
    y_cal: np.ndarray, test: dict[str, Interval], y_test: np.ndarray,
    truth: Interval | None = None, data_range: tuple[float, float] = (-4.0, 4.0),
) -> QuantileBand:
    """Calibrate CQR and the constant-width conformal band and measure all intervals.

    Args:
        level: 1 − α.
        x_grid: (G,) the grid.
        grid, cal_set, test: on the grid, the calibration and the test points, each with
            "quantile" → (q̂_lo, q̂_hi) and "gaussian" → (μ, σ) of the Gaussian model.
        y_cal, y_test: the calibration and test targets.
        truth: (f, σ) on the grid when known: the true central interval's width ratio.
        data_range: where the training inputs lie (see :func:`width_ratio`).

    Raises:
        ValueError: too few calibration points for the level (see :func:`cqr_correction`).
    """
    alpha = 1 - level
    big_q = cqr_correction(cqr_scores(*cal_set["quantile"], y_cal), alpha)
    small_q = cal.split_conformal_quantile(y_cal - cal_set["gaussian"][0], alpha)

    def intervals(where: dict[str, Interval]) -> dict[str, Interval]:
        (lo, hi), (mean, std) = where["quantile"], where["gaussian"]
        return {"quantile": (lo, hi), "cqr": (lo - big_q, hi + big_q),
                "constant": (mean - small_q, mean + small_q),
                "gaussian": cal.central_interval(mean, std, level)}

    on_grid, on_test = intervals(grid), intervals(test)
    rows = {name: (cal.interval_coverage(*on_test[name], y_test),
                   float(np.mean(on_test[name][1] - on_test[name][0])),
                   width_ratio(x_grid, *on_grid[name], data_range)) for name in on_grid}
    true_width = None
    if truth is not None:
        true_lo, true_hi = cal.central_interval(*truth, level)
        true_width = true_hi - true_lo
        rows["truth"] = (math.nan, math.nan,
                         width_ratio(x_grid, true_lo, true_hi, data_range))
    return QuantileBand(
        level=level, lower=on_grid["quantile"][0], upper=on_grid["quantile"][1],
        cqr_lower=on_grid["cqr"][0], cqr_upper=on_grid["cqr"][1],
        constant_lower=on_grid["constant"][0], constant_upper=on_grid["constant"][1],
        cqr_q=big_q, constant_q=small_q, n_calibration=int(np.size(y_cal)), rows=rows,
        true_width=true_width,
    )
