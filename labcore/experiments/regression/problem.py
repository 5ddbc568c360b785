"""The data of one Regression run: the splits, the plotting grid, and the truth when known.

:func:`generated_problem` draws them from the config's function and noise (added points and
regions dragged in on the chart included); :func:`uploaded_problem` splits a user's CSV.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from labcore.data.regression import GRID_RANGE, X_RANGE, make_regression, true_mean, true_std
from labcore.data.splits import shuffled_split
from labcore.data.user_csv import UserData
from labcore.device import rng_for
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.regions import data_range as edited_range
from labcore.experiments.regression.regions import (
    keep_points,
    parse_regions,
    region_points,
    region_stream,
)

GRID_POINTS = 400
TEST_POINTS = 1000


@dataclasses.dataclass(frozen=True)
class Problem:
    """The data of one run: splits as (x, y), the grid, and the truth when it is known.

    ``cal`` is the conformal calibration set; None calibrates on the validation set.
    """

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    cal: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray]
    added: tuple[np.ndarray, np.ndarray]
    x_grid: np.ndarray
    true_mean: np.ndarray | None
    true_std: np.ndarray | None
    data_range: tuple[float, float]
    gap: tuple[float, float] | None

    def training_set(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) the networks train on: the drawn points, then the added ones."""
        x_add, y_add = self.added
        return np.concatenate([self.train[0], x_add]), np.concatenate([self.train[1], y_add])


def added_validation(config: RegressionConfig, val: tuple[np.ndarray, np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The validation set with held-out points where points were added: half as many as each
    region (or "Add points") adds, at least 1, drawn the same way from their own streams.

    The validation points choose each network's weights
    (:func:`labcore.experiments.regression.fit.restore_best`), so they must come from where
    the training points do: without them a region dragged in beyond the data would have no
    say in when its fit is best.
    """
    args = (config.function, config.noise_shape, config.noise_scale)
    xs, ys = [val[0]], [val[1]]
    draws = []
    if config.add_where != "nowhere" and config.add_n > 0:
        draws.append((config.add_n, "added validation",
                      config.gap if config.add_where == "gap" else X_RANGE))
    regions = parse_regions(config.add_regions)
    draws += [(r.n, f"validation {region_stream(regions, i)}", (r.x0, r.x1))
              for i, r in enumerate(regions)]
    for n, stream, region in draws:
        extra = make_regression(*args, max(1, n // 2), config.seed, stream,
                                x_noise=config.x_noise, region=region)
        xs.append(extra.x)
        ys.append(extra.y)
    return np.concatenate(xs), np.concatenate(ys)


def generated_problem(config: RegressionConfig) -> Problem:
    """The config's data: train, validation, calibration and test draws of its function and
    noise, the points it adds, and the truth on a grid reaching beyond the data."""
    common = dict(gap=config.gap, x_noise=config.x_noise)
    args = (config.function, config.noise_shape, config.noise_scale)
    train_set = make_regression(*args, config.n_points, config.seed, "train", **common)
    n_held_out = config.n_calibration
    val_set = make_regression(*args, n_held_out, config.seed, "val", **common)
    cal_set = make_regression(*args, n_held_out, config.seed, "calibration", **common)
    test_set = make_regression(*args, TEST_POINTS, config.seed, "test", **common)
    if config.add_where == "nowhere" or config.add_n == 0:
        added = (np.empty(0), np.empty(0))
    else:
        region = config.gap if config.add_where == "gap" else X_RANGE
        extra = make_regression(
            *args, config.add_n, config.seed, "added", x_noise=config.x_noise, region=region
        )
        added = (extra.x, extra.y)
    dragged = region_points(config)  # the regions added on the chart (regions.py)
    added = (np.concatenate([added[0], dragged[0]]), np.concatenate([added[1], dragged[1]]))
    x_grid = np.linspace(*GRID_RANGE, GRID_POINTS)
    return Problem(
        train=keep_points(train_set.x, train_set.y, config.drop_points),
        val=added_validation(config, (val_set.x, val_set.y)),
        cal=(cal_set.x, cal_set.y), test=(test_set.x, test_set.y), added=added, x_grid=x_grid,
        true_mean=true_mean(config.function, x_grid),
        true_std=true_std(config.function, config.noise_shape, config.noise_scale, x_grid),
        data_range=edited_range(X_RANGE, config.add_regions), gap=config.gap,
    )


def uploaded_problem(data: UserData, seed: int) -> Problem:
    """A user's (x, y) shuffled with the seed and split 60 / 20 / 20; the truth is unknown.

    The conformal band calibrates on the validation split (a user's rows are too precious to
    set a fourth split aside), so its coverage is only approximate when the validation split
    also set σ (MSE) or early stopping.
    """
    x, y = data.x[:, 0], np.asarray(data.y, dtype=float)
    train, val, test = shuffled_split(x.size, rng_for(seed, "upload-split"), 0.2, 0.2,
                                      min_size=3)
    lo, hi = float(x.min()), float(x.max())
    pad = 0.25 * (hi - lo)
    return Problem(
        train=(x[train], y[train]), val=(x[val], y[val]), cal=None, test=(x[test], y[test]),
        added=(np.empty(0), np.empty(0)),
        x_grid=np.linspace(lo - pad, hi + pad, GRID_POINTS), true_mean=None, true_std=None,
        data_range=(lo, hi), gap=None,
    )
