"""The Regression lab: predictive bands, aleatoric vs epistemic uncertainty (scenes S2–S4, S12).

``run_regression(config)`` draws a 1-D problem whose truth is known
(:mod:`labcore.experiments.regression.problem`), trains one network, an MC-dropout network or a
batched deep ensemble with the chosen loss (:mod:`labcore.experiments.regression.fit`), and
returns everything the page draws: the bands on a grid that reaches beyond the data, the truth
on the same grid, held-out metrics, a calibration curve, conformal intervals and the training
curves.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from labcore import calibration as cal
from labcore.budget import check_computation
from labcore.data.user_csv import UserData
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.cost import ADVICE, run_parts
from labcore.experiments.regression.fit import (
    EVAL_EVERY,
    MAX_KNOTS,
    SIGMA_CEILING,
    SIGMA_FLOOR,
    Fitted,
    Watch,
    bounded_log_var,
    fit,
    sample_predictions,
    variance_knots,
)
from labcore.experiments.regression.gp import GPBand, fit_gp
from labcore.experiments.regression.problem import (
    GRID_POINTS,
    TEST_POINTS,
    Problem,
    generated_problem,
    uploaded_problem,
)
from labcore.experiments.regression.quantile import (
    QuantileBand,
    fit_quantile_network,
    interval_band,
    predict_quantiles,
)
from labcore.models.train import Progress
from labcore.uncertainty.decomposition import variance_decomposition

LEVEL = 0.95  # the central-interval level of the coverage metrics and the conformal band

__all__ = [
    "EVAL_EVERY",
    "GRID_POINTS",
    "LEVEL",
    "MAX_KNOTS",
    "SIGMA_CEILING",
    "SIGMA_FLOOR",
    "TEST_POINTS",
    "Prediction",
    "RegressionConfig",
    "RegressionResult",
    "UploadedRegression",
    "bounded_log_var",
    "measure",
    "run_problem",
    "run_regression",
    "run_regression_upload",
    "variance_knots",
]


@dataclasses.dataclass(frozen=True)
class RegressionResult:
    """What one regression run produced (numpy arrays, y in the units of the data).

    Attributes:
        x_train, y_train: the training set as the model saw it (added points included).
        x_added, y_added: the added points alone (empty when none were added).
        x_val, y_val: held-out validation set (early stopping, σ of MSE models).
        x_cal, y_cal: the calibration set of the conformal band: a separate draw for generated
            data, used for nothing else; the validation set for a user's data (see the metric
            ``conformal_exact``).
        x_grid: (G,) inputs from −6 to 6, beyond the data range [−4, 4].
        true_mean, true_std: f(x) and σ(x) on the grid (None for a user's data: unknown).
        pred_mean, aleatoric_std, epistemic_std, total_std: the predictive mixture on the grid.
        member_means: (S, G) each ensemble member's or dropout sample's mean.
        member_vars: (S, G) each one's predicted variance σ²_s(x) (for an MSE model the one
            σ² measured on the validation points); their mean is the aleatoric variance.
        conformal_lower, conformal_upper: the split-conformal 95 % band on the grid.
        calibration_expected, calibration_observed: central-interval coverage on the test set.
        train_loss: (steps, M) loss per step; eval_steps, val_loss: (E,), (E, M).
        metrics: held-out test metrics (rmse, nll, crps, coverage_95, width_95,
            conformal_coverage_95, conformal_width_95, conformal_q, steps_run), and
            conformal_exact: 1.0 when the calibration points were used for nothing else (the
            coverage guarantee holds), 0.0 when they also set σ (MSE) or early stopping.
        data_range: where training inputs lie; gap: the empty interval or None.
        quantile: the quantile, CQR and constant-width conformal intervals at the config's
            interval level (None unless ``config.quantile_band``).
        gp: the Gaussian-process reference band (None unless ``config.gp_reference``).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_added: np.ndarray
    y_added: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_cal: np.ndarray
    y_cal: np.ndarray
    x_grid: np.ndarray
    true_mean: np.ndarray | None
    true_std: np.ndarray | None
    pred_mean: np.ndarray
    aleatoric_std: np.ndarray
    epistemic_std: np.ndarray
    total_std: np.ndarray
    member_means: np.ndarray
    conformal_lower: np.ndarray
    conformal_upper: np.ndarray
    calibration_expected: np.ndarray
    calibration_observed: np.ndarray
    train_loss: np.ndarray
    eval_steps: np.ndarray
    val_loss: np.ndarray
    metrics: Mapping[str, float]
    data_range: tuple[float, float]
    gap: tuple[float, float] | None
    quantile: QuantileBand | None = None
    gp: GPBand | None = None
    member_vars: np.ndarray | None = None



def run_regression(config: RegressionConfig, progress: Progress | None = None) -> RegressionResult:
    """Train the configured model and measure its uncertainty against the known truth.

    Args:
        config: the experiment.
        progress: ``progress(fraction, message)``, called every few training steps.

    Raises:
        ValueError: a bad config, or training diverged (the message says what to change).
    """
    return run_problem(config, generated_problem(config), progress)


@dataclasses.dataclass(frozen=True)
class UploadedRegression:
    """A run on a user's CSV: the model settings and the data; both form the cache key.

    The data settings of ``config`` (function, noise, points, gap, added points) are unused.
    """

    config: RegressionConfig
    data: UserData


def run_regression_upload(
    run: UploadedRegression, progress: Progress | None = None
) -> RegressionResult:
    """Like :func:`run_regression` on a user's data (60 % train, 20 % validation, 20 % test).

    The conformal band calibrates on the validation split (see
    :func:`labcore.experiments.regression.problem.uploaded_problem`).

    Raises:
        ValueError: the data have more than one input column, the run on them is estimated
            above the time limit (:mod:`labcore.budget`), or training diverged.
    """
    if run.data.x.shape[1] != 1:
        raise ValueError(
            f"Regression uses one input column. Got {run.data.x.shape[1]}: {run.data.columns}."
        )
    problem = uploaded_problem(run.data, run.config.seed)
    check_computation(run_parts(run.config, n_train=problem.train[0].size), ADVICE)
    return run_problem(run.config, problem, progress)


def run_problem(config: RegressionConfig, problem: Problem, progress: Progress | None = None,
                watch: Watch | None = None, watch_every: int | None = None) -> RegressionResult:
    """Train on ``problem`` as ``config`` says (:func:`labcore.experiments.regression.fit.fit`)
    and measure the predictive distribution (:func:`measure`).

    ``watch`` (with ``watch_every`` steps between looks) lets a live view see the model while
    it trains; it must leave the training untouched (see :data:`labcore.models.train.Snapshot`).
    """
    members = config.members if config.method == "ensemble" else 1
    training_end = 0.95 * members / (members + 1) if config.quantile_band else 0.95
    fitted = fit(config, problem, progress, (0.0, training_end), watch, watch_every)
    return measure(config, problem, fitted, progress, training_end)


class Prediction(NamedTuple):
    """The predictive mixture at some inputs, in the units of y (variances in y²).

    Attributes:
        mean, aleatoric, epistemic: (n,) mixture mean, mean variance and variance of the means.
        members: (S, n) each member's or dropout pass's mean.
        member_vars: (S, n) each member's or pass's variance (its aleatoric σ²).
    """

    mean: np.ndarray
    aleatoric: np.ndarray
    epistemic: np.ndarray
    members: np.ndarray
    member_vars: np.ndarray

    @property
    def std(self) -> np.ndarray:
        """(n,) √(aleatoric + epistemic)."""
        return np.sqrt(self.aleatoric + self.epistemic)


def _residual_variance(config: RegressionConfig, fitted: Fitted, y_val: np.ndarray
                       ) -> np.ndarray | None:
    """An MSE model's aleatoric variance: one σ² per member (one for all dropout passes) from
    the validation residuals, standardised; None for the heteroscedastic losses."""
    val_means, val_vars = sample_predictions(fitted.model, fitted.xv, config, fitted.knots)
    if val_vars is not None:
        return None
    y_val_std = (y_val - fitted.scaler.y_mu) / fitted.scaler.y_sd
    if config.method == "mc_dropout":
        resid_var = np.full(val_means.shape[0], np.mean((y_val_std - val_means.mean(0)) ** 2))
    else:
        resid_var = np.mean((y_val_std[None, :] - val_means) ** 2, axis=1)
    return np.maximum(resid_var, 1e-12)


def _predictor(config: RegressionConfig, fitted: Fitted, y_val: np.ndarray):
    """``predict(x) -> Prediction``: the trained networks read at inputs ``x``."""
    resid_var = _residual_variance(config, fitted, y_val)
    to_y, y_mu = fitted.scaler.y_sd, fitted.scaler.y_mu

    def predict(x_np: np.ndarray) -> Prediction:
        means, variances = fitted.predict(x_np, config)
        if variances is None:
            variances = np.broadcast_to(resid_var[:, None], means.shape)
        mean, alea, epi = variance_decomposition(means, variances)
        return Prediction(mean * to_y + y_mu, alea * to_y**2, epi * to_y**2, means * to_y + y_mu,
                          np.asarray(variances) * to_y**2)

    return predict


def measure(config: RegressionConfig, problem: Problem, fitted: Fitted,
            progress: Progress | None = None, training_end: float = 0.95) -> RegressionResult:
    """Read the trained networks on the grid, the test and the calibration set: the bands,
    the metrics, the conformal band, and the quantile and GP bands when asked.

    ``training_end`` is where the progress bar stood when the training ended (the quantile
    network's training fills the bar from there to 0.95).
    """
    (x_val, y_val), (x_test, y_test) = problem.val, problem.test
    predict = _predictor(config, fitted, y_val)
    x_grid = problem.x_grid
    grid, test = predict(x_grid), predict(x_test)
    x_cal, y_cal = problem.val if problem.cal is None else problem.cal
    calib = predict(x_cal)
    q = cal.split_conformal_scaled(y_cal - calib.mean, calib.std, 1 - LEVEL)
    t_mean, t_std, g_std = test.mean, test.std, grid.std
    lower, upper = cal.central_interval(t_mean, t_std, LEVEL)
    expected, observed = cal.regression_calibration_curve(t_mean, t_std, y_test)
    if math.isfinite(q):
        c_lower, c_upper = cal.conformal_interval(t_mean, q, t_std)
        g_c_lower, g_c_upper = cal.conformal_interval(grid.mean, q, g_std)
        conformal = (cal.interval_coverage(c_lower, c_upper, y_test),
                     float(np.mean(c_upper - c_lower)))
    else:  # fewer than 19 calibration points: no finite band reaches 95 % (rank > n)
        g_c_lower = g_c_upper = np.full_like(grid.mean, np.nan)
        conformal = (1.0, math.inf)
    metrics = {
        "rmse": float(np.sqrt(np.mean((t_mean - y_test) ** 2))),
        "nll": float(cal.regression_nll(t_mean, t_std, y_test)),
        "crps": float(cal.crps_gaussian(t_mean, t_std, y_test)),
        "coverage_95": cal.interval_coverage(lower, upper, y_test),
        "width_95": float(np.mean(upper - lower)),
        "conformal_coverage_95": conformal[0],
        "conformal_width_95": conformal[1],
        "conformal_q": float(q),
        # Exact when the calibration points set nothing else: a separate draw, or validation
        # points that neither set σ (MSE) nor chose the weights (early stopping).
        "conformal_exact": float(problem.cal is not None
                                 or (config.heteroscedastic and not config.early_stopping)),
        "steps_run": float(fitted.history.steps_run),
    }
    quantile = None
    if config.quantile_band:
        quantile = _quantile_band(config, problem, fitted, {"grid": grid, "test": test,
                                                            "cal": calib},
                                  progress, training_end)
    x_train, y_train = problem.training_set()
    gp = None
    if config.gp_reference:
        if progress is not None:
            progress(0.97, "Fitting the Gaussian-process reference")
        gp = fit_gp(x_train, y_train, x_grid, config.seed)
    if progress is not None:
        progress(1.0, "Done")
    history = fitted.history
    return RegressionResult(
        x_train=x_train, y_train=y_train, x_added=problem.added[0], y_added=problem.added[1],
        x_val=x_val, y_val=y_val, x_cal=x_cal, y_cal=y_cal, x_grid=x_grid,
        true_mean=problem.true_mean, true_std=problem.true_std,
        pred_mean=grid.mean, aleatoric_std=np.sqrt(grid.aleatoric),
        epistemic_std=np.sqrt(grid.epistemic), total_std=g_std, member_means=grid.members,
        conformal_lower=g_c_lower, conformal_upper=g_c_upper,
        calibration_expected=expected, calibration_observed=observed,
        train_loss=history.train_loss, eval_steps=history.eval_steps, val_loss=history.val_loss,
        metrics=metrics, data_range=problem.data_range, gap=problem.gap,
        quantile=quantile, gp=gp, member_vars=grid.member_vars,
    )


def _quantile_band(config: RegressionConfig, problem: Problem, fitted: Fitted,
                   gaussian: Mapping[str, Prediction], progress: Progress | None,
                   training_end: float) -> QuantileBand:
    """Train the quantile network and compare its interval, CQR's and the Gaussian band's at
    the config's interval level, on the grid, the calibration and the test set."""
    levels = (0.5 - config.interval_level / 2, 0.5 + config.interval_level / 2)
    scaler, device = fitted.scaler, fitted.xt.device
    q_model = fit_quantile_network(
        fitted.xt, fitted.yt, levels, hidden=config.hidden, n_layers=config.n_layers,
        steps=config.steps, lr=config.lr, batch_size=config.batch_size or None,
        seed=config.seed, progress=progress, progress_range=(training_end, 0.95))

    def quantiles(x_np: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = predict_quantiles(q_model, scaler.x(x_np, device))
        return lo * scaler.y_sd + scaler.y_mu, hi * scaler.y_sd + scaler.y_mu

    x_cal, y_cal = problem.val if problem.cal is None else problem.cal
    (x_test, y_test), x_grid = problem.test, problem.x_grid
    grid, calib, test = gaussian["grid"], gaussian["cal"], gaussian["test"]
    truth = None if problem.true_mean is None else (problem.true_mean, problem.true_std)
    return interval_band(
        config.interval_level, x_grid,
        {"quantile": quantiles(x_grid), "gaussian": (grid.mean, grid.std)},
        {"quantile": quantiles(x_cal), "gaussian": (calib.mean, calib.std)},
        y_cal, {"quantile": quantiles(x_test), "gaussian": (test.mean, test.std)}, y_test,
        truth, problem.data_range)
