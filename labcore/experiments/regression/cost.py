"""What a Regression run costs, part by part, for :mod:`labcore.budget`'s check.

:func:`run_parts` lists the trainings and forward passes of one ``run_regression`` call;
the config's ``check()``, the size sweep, the loss comparison and the page's before/after runs
sum them (:func:`labcore.budget.check_computation`) before anything trains. This module reads
the config's fields only (no import of the run, which imports the config).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labcore.budget import Forward, Part, Training, check_computation

if TYPE_CHECKING:
    from labcore.experiments.regression.config import RegressionConfig

# The run's sizes (labcore.experiments.regression.run; a unit test keeps them equal).
GRID_POINTS = 400
TEST_POINTS = 1000
EVAL_EVERY = 25
MAX_KNOTS = 256
GP_SECONDS = 0.05
GP_SECONDS_PER_POINT3 = 1.3e-8
"""The Gaussian-process reference's fit: its optimiser's O(n³) steps, with restarts (measured
0.06 s at 100 points, 0.36 s at 300, 1.6 s at 500)."""

ADVICE = ("use fewer training steps, hidden units, layers, ensemble members, MC samples or "
          "points, or a batch size")


def run_parts(config: RegressionConfig, *, n_points: int | None = None, loss: str | None = None,
              n_train: int | None = None) -> list[Part]:
    """The trainings and forward passes of ``run_regression`` on ``config``.

    Args:
        config: the settings.
        n_points: generated points instead of ``config.n_points`` (the size sweep).
        loss: another loss than ``config.loss`` (the loss comparison).
        n_train: training rows instead of the config's (a user's data).
    """
    n_points = config.n_points if n_points is None else n_points
    loss = config.loss if loss is None else loss
    if n_train is None:
        n_train = config.n_train - config.n_points + n_points
    n_train = max(1, n_train)
    n_cal = max(20, n_points // 2)
    mc = config.method == "mc_dropout"
    members = config.members if config.method == "ensemble" else 1
    heteroscedastic = loss != "mse"
    hidden = (config.hidden,) * config.n_layers
    dims = (1, *hidden, 2 if heteroscedastic else 1)
    minibatch = 0 < config.batch_size < n_train
    rows = config.batch_size if minibatch else n_train
    parts: list[Part] = [Training(
        config.steps, members, rows, dims, minibatch=minibatch, dropout=mc,
        loss="gaussian" if heteroscedastic else "plain",
        evals=config.steps // EVAL_EVERY, eval_rows=n_cal)]
    # Predictions on the validation, grid, test and calibration inputs (each with the
    # variance's knots), and the check of the fit on the training set.
    knots = min(MAX_KNOTS, n_train) if heteroscedastic else 0
    queried = 2 * n_cal + GRID_POINTS + TEST_POINTS + 4 * knots
    if mc:
        parts.append(Forward(queried * config.mc_samples, 1, dims, dropout=True))
    else:
        parts.append(Forward(queried, members, dims))
    parts.append(Forward(n_train, members, dims))
    if config.quantile_band:
        quantile_dims = (1, *hidden, 2)
        parts += [Training(config.steps, 1, rows, quantile_dims, minibatch=minibatch),
                  Forward(n_cal + GRID_POINTS + TEST_POINTS, 1, quantile_dims)]
    if config.gp_reference:
        parts.append(GP_SECONDS + GP_SECONDS_PER_POINT3 * n_train**3)
    return parts


def check_before_after(after: RegressionConfig, before: RegressionConfig) -> None:
    """Refuse a before/after comparison (the page's added or dragged points) whose two runs
    are estimated together above the time limit, before either trains.

    Raises:
        ValueError: "Before and after (2 trainings) would train for about N s …".
    """
    check_computation(run_parts(after) + run_parts(before), ADVICE,
                      "Before and after (2 trainings)")
