"""The Regression lab: predictive bands, aleatoric vs epistemic uncertainty (scenes S2–S4, S12).

``run_regression(config)`` draws a 1-D problem whose truth is known, trains one network, an
MC-dropout network or a batched deep ensemble with the chosen loss, and returns everything the
page draws: the bands on a grid that reaches beyond the data, the truth on the same grid,
held-out metrics, a calibration curve, conformal intervals and the training curves.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from labcore import calibration as cal
from labcore.budget import check_computation
from labcore.data.regression import (
    GRID_RANGE,
    X_RANGE,
    make_regression,
    true_mean,
    true_std,
)
from labcore.data.splits import shuffled_split
from labcore.data.user_csv import UserData
from labcore.device import default_device, rng_for
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.cost import ADVICE, run_parts
from labcore.experiments.regression.gp import GPBand, fit_gp
from labcore.experiments.regression.quantile import (
    QuantileBand,
    fit_quantile_network,
    interval_band,
    predict_quantiles,
)
from labcore.experiments.regression.regions import data_range as edited_range
from labcore.experiments.regression.regions import (
    keep_points,
    parse_regions,
    region_points,
    region_stream,
)
from labcore.losses import beta_nll, gaussian_nll, mse
from labcore.models.mlp import BatchedMLP
from labcore.models.train import Progress, Snapshot, TrainConfig, TrainingDiverged, train
from labcore.uncertainty.decomposition import variance_decomposition

GRID_POINTS = 400
TEST_POINTS = 1000
LEVEL = 0.95  # the central-interval level of the coverage metrics and the conformal band
EVAL_EVERY = 25
PATIENCE = 20  # evaluations without a better validation loss before a member stops
LR_SCHEDULE = "cosine"
ADAM_BETA2 = 0.99
RESTORE_BEST = True


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


@dataclasses.dataclass(frozen=True)
class _Scaler:
    """Standardises x and y with training statistics (networks train on unit scales)."""

    x_mu: float
    x_sd: float
    y_mu: float
    y_sd: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> _Scaler:
        x_sd = float(np.std(x)) or 1.0
        y_sd = float(np.std(y)) or 1.0
        return cls(float(np.mean(x)), x_sd, float(np.mean(y)), y_sd)

    def x(self, x: np.ndarray, device: torch.device) -> torch.Tensor:
        scaled = (x - self.x_mu) / self.x_sd
        return torch.as_tensor(scaled, dtype=torch.float32, device=device)[:, None]

    def y(self, y: np.ndarray, device: torch.device) -> torch.Tensor:
        return torch.as_tensor((y - self.y_mu) / self.y_sd, dtype=torch.float32, device=device)


SIGMA_FLOOR = 1e-3
"""The smallest aleatoric σ, in units of sd(y_train): σ² ≥ 10⁻⁶ (Lakshminarayanan et al. 2017)."""
SIGMA_CEILING = 2.0
"""The largest aleatoric σ, in units of sd(y_train). Var(y) = Var f + E[σ²(x)], so the noise's
root mean square over the data is at most sd(y); twice that leaves room for noise that is
concentrated in one region (a bump, or noise growing with |x|)."""


def bounded_log_var(raw: torch.Tensor) -> torch.Tensor:
    """log σ² of the variance head: a softplus with a floor and a smooth data-scaled ceiling.

    ``σ² = σ²_min + (σ²_max − σ²_min) · tanh(softplus(raw) / (σ²_max − σ²_min))`` with
    σ_min = SIGMA_FLOOR and σ_max = SIGMA_CEILING (standardised units, so the ceiling is
    SIGMA_CEILING · sd(y_train)). Below the ceiling σ² ≈ σ²_min + softplus(raw) (the deep
    ensembles' parametrisation, Lakshminarayanan et al. 2017), which grows only linearly in a
    raw output that a ReLU network extrapolates linearly; ``exp(raw)`` grows exponentially
    there. The tanh bends smoothly into the ceiling, so near it the gradient stays non-zero
    (a clamp's is exactly zero beyond it, and a network stuck there could not come back).

    >>> v = bounded_log_var(torch.tensor([-30.0, 0.0, 30.0])).exp()
    >>> [round(float(x), 4) for x in v]  # floor 1e-6; 4·tanh(log 2 / 4) = 0.6863; ceiling 4
    [0.0, 0.6863, 4.0]
    """
    span = SIGMA_CEILING**2 - SIGMA_FLOOR**2
    return torch.log(SIGMA_FLOOR**2 + span * torch.tanh(F.softplus(raw) / span))


def _heads(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    mean = out[..., 0]
    if out.shape[-1] == 1:
        return mean, None
    return mean, bounded_log_var(out[..., 1])


VARIANCE_PRIOR = 100.0
"""Strength of the L2 penalty on the variance head's output weights: each member's mean loss
gets ``VARIANCE_PRIOR / n · Σ w²`` for n training points (a fixed Gaussian prior on those
weights against the sum of n points' losses, so it matters less the more points there are).

A noise level is a second moment: it takes several points to measure, while one point is
enough to pin the mean. Without the penalty the variance head can dip at a single point that
the mean passes through, and the Gaussian NLL rewards that without bound (σ → 0 there; 0.3 →
0.01 at the edge of the gap preset's data), so the band collapses where the data are sparse.
The penalty keeps σ(x) smooth, so it pools the squared misses of neighbouring points; the mean
head is not penalised. Separate, stronger regularisation of the variance than of the mean is
the recipe of Sluijterman et al. (2023), "Optimal training of mean variance estimation neural
networks"."""


def _loss_fn(config: RegressionConfig, n_train: int | None = None):
    """The loss per member; with ``n_train`` the heteroscedastic losses add the variance
    penalty (:data:`VARIANCE_PRIOR`), without it they are the plain loss (the validation loss:
    how well the model predicts held-out points, nothing else)."""
    decay = 0.0 if n_train is None else VARIANCE_PRIOR / n_train

    def loss_fn(model: BatchedMLP, batch) -> torch.Tensor:
        mean, log_var = _heads(model(batch[0]))
        if config.loss == "mse":
            return mse(mean, batch[1], reduction="member")
        if config.loss == "beta_nll":
            loss = beta_nll(mean, log_var, batch[1], beta=config.beta, reduction="member")
        else:
            loss = gaussian_nll(mean, log_var, batch[1], reduction="member")
        return loss + decay * (model.weights[-1][:, :, 1] ** 2).sum(dim=1)

    return loss_fn


MAX_KNOTS = 256
"""The most training inputs the variance is read at (see :func:`variance_knots`)."""


def variance_knots(x_train: torch.Tensor, at_most: int = MAX_KNOTS) -> torch.Tensor:
    """(K, 1) sorted, distinct training inputs at which the variance head is read.

    Every input when there are at most ``at_most``; otherwise the two ends, both edges of the
    ``at_most // 4`` widest empty intervals (so no gap is bridged over a point it lacks) and
    evenly spaced ranks for the rest, so that a large set costs no more than ``at_most`` rows.

    >>> variance_knots(torch.tensor([[3.0], [0.0], [1.0], [1.0]]))[:, 0].tolist()
    [0.0, 1.0, 3.0]
    >>> x = torch.cat([torch.linspace(0, 1, 50), torch.linspace(5, 6, 50)])[:, None]
    >>> k = variance_knots(x, at_most=8)[:, 0]
    >>> len(k) <= 8, float(k[0]), float(k[-1]), 1.0 in k.tolist(), 5.0 in k.tolist()
    (True, 0.0, 6.0, True, True)
    """
    xs = torch.unique(x_train[:, 0])  # sorted
    k = xs.numel()
    if k <= at_most:
        return xs[:, None]
    widest = torch.topk(xs[1:] - xs[:-1], at_most // 4).indices
    keep = {0, k - 1, *widest.tolist(), *(widest + 1).tolist()}
    spare = at_most - len(keep)
    if spare > 0:
        keep.update(torch.linspace(0, k - 1, spare).round().long().tolist())
    return xs[sorted(keep)][:, None]


def _interp_rows(x: torch.Tensor, knots: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Each row of ``values`` (S, K), given at ``knots`` (K,), joined by straight lines and
    read at ``x`` (n,); beyond the first or last knot it keeps that knot's value."""
    if knots.numel() == 1:
        return values[:, :1].expand(-1, x.numel())
    right = torch.searchsorted(knots, x.clamp(knots[0], knots[-1])).clamp(1, knots.numel() - 1)
    left = right - 1
    span = knots[right] - knots[left]
    w = ((x.clamp(knots[0], knots[-1]) - knots[left]) / span).clamp(0.0, 1.0)
    return values[:, left] * (1 - w) + values[:, right] * w


def _sample_predictions(
    model: BatchedMLP, x: torch.Tensor, config: RegressionConfig,
    knots: torch.Tensor,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(S, n) standardised means and variances (None for MSE models) of S members or passes.

    The variance is what each member or pass learned at the training inputs ``knots``
    (:func:`variance_knots`), joined by straight lines in log σ² and held at the first and last
    input beyond them. A noise level is only measured where there are points: beyond the data
    each member keeps the level it learned at the nearest edge, and across an empty interval (a
    gap) it goes straight from one edge's level to the other's, while the mean extrapolates in
    both. Among dense points this is the network's own σ(x) to within the points' spacing.
    """
    n = x.shape[0]
    heteroscedastic = config.heteroscedastic
    both = torch.cat([x, knots]) if heteroscedastic else x
    with torch.no_grad():
        if config.method == "mc_dropout":
            rows = both.repeat(config.mc_samples, 1)
            out = model(rows, dropout=True)[0].reshape(config.mc_samples, both.shape[0], -1)
        else:
            out = model(both, dropout=False)
        mean, _ = _heads(out[:, :n])
        log_var = None
        if heteroscedastic:
            _, at_knots = _heads(out[:, n:])
            log_var = _interp_rows(x[:, 0], knots[:, 0], at_knots)
    var = None if log_var is None else torch.exp(log_var).cpu().numpy().astype(float)
    return mean.cpu().numpy().astype(float), var


def _check_fit(model: BatchedMLP, xt: torch.Tensor, yt: torch.Tensor,
               config: RegressionConfig) -> None:
    """Refuse a model whose training fit is 10× worse than predicting the mean of y.

    y is standardised, so always predicting its mean has a mean squared error of 1; a training
    MSE above 100 means the weights were thrown away by too large steps even if the loss
    stayed finite (the variance ceiling can keep a Gaussian NLL finite while μ explodes).
    """
    with torch.no_grad():
        mean, _ = _heads(model(xt, dropout=False))
        worst = float(((mean - yt) ** 2).mean(dim=1).max())
    if not worst <= 100.0:
        raise TrainingDiverged(
            f"Training diverged: the fitted curve is far from the training data (mean squared "
            f"error {worst:.3g} in standardised units, where predicting the average gives 1). "
            f"The learning rate ({config.lr:g}) is probably too high; try {config.lr / 10:g} "
            f"or lower. Got lr = {config.lr:g}."
        )


@dataclasses.dataclass(frozen=True)
class _Problem:
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


def _added_validation(config: RegressionConfig, val: tuple[np.ndarray, np.ndarray]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The validation set with held-out points where points were added: half as many as each
    region (or "Add points") adds, at least 1, drawn the same way from their own streams.

    The validation points choose each network's weights (:func:`_restore_best`), so they must
    come from where the training points do: without them a region dragged in beyond the data
    would have no say in when its fit is best.
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


def _generated_problem(config: RegressionConfig) -> _Problem:
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
    return _Problem(
        train=keep_points(train_set.x, train_set.y, config.drop_points),
        val=_added_validation(config, (val_set.x, val_set.y)),
        cal=(cal_set.x, cal_set.y), test=(test_set.x, test_set.y), added=added, x_grid=x_grid,
        true_mean=true_mean(config.function, x_grid),
        true_std=true_std(config.function, config.noise_shape, config.noise_scale, x_grid),
        data_range=edited_range(X_RANGE, config.add_regions), gap=config.gap,
    )


def _uploaded_problem(data: UserData, seed: int) -> _Problem:
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
    return _Problem(
        train=(x[train], y[train]), val=(x[val], y[val]), cal=None, test=(x[test], y[test]),
        added=(np.empty(0), np.empty(0)),
        x_grid=np.linspace(lo - pad, hi + pad, GRID_POINTS), true_mean=None, true_std=None,
        data_range=(lo, hi), gap=None,
    )


def run_regression(config: RegressionConfig, progress: Progress | None = None) -> RegressionResult:
    """Train the configured model and measure its uncertainty against the known truth.

    Args:
        config: the experiment.
        progress: ``progress(fraction, message)``, called every few training steps.

    Raises:
        ValueError: a bad config, or training diverged (the message says what to change).
    """
    return _fit(config, _generated_problem(config), progress)


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

    The conformal band calibrates on the validation split (see :func:`_uploaded_problem`).

    Raises:
        ValueError: the data have more than one input column, the run on them is estimated
            above the time limit (:mod:`labcore.budget`), or training diverged.
    """
    if run.data.x.shape[1] != 1:
        raise ValueError(
            f"Regression uses one input column. Got {run.data.x.shape[1]}: {run.data.columns}."
        )
    problem = _uploaded_problem(run.data, run.config.seed)
    check_computation(run_parts(run.config, n_train=problem.train[0].size), ADVICE)
    return _fit(run.config, problem, progress)


def _restore_best(config: RegressionConfig, problem: _Problem) -> bool:
    """Whether the validation points may hand a network back its best weights.

    For a Gaussian-NLL model: trained to the end on few points, it fits some of the noise
    itself and then claims a σ far too small (on the default's 20 points a validation NLL of
    1.5–145 nats per point at step 500 against −0.85 to −0.14 at its best, steps 25–125).
    Not on a user's data without early stopping, whose validation split is also the conformal
    calibration set (it would no longer be exact).
    """
    return (RESTORE_BEST and config.loss == "gaussian_nll"
            and (problem.cal is not None or config.early_stopping))


def _restore_margin(n_val: int) -> float:
    """How much worse than its best the last validation NLL may be and still be kept: twice
    its standard error for a calibrated Gaussian, where each point's NLL ½·log 2πσ² + z²/2 has
    standard deviation sd(z²)/2 = √2/2, so the mean over n points has √(1/(2n)).

    >>> round(_restore_margin(50), 3)  # 2·√(1/100)
    0.2
    """
    return 2.0 * math.sqrt(1.0 / (2.0 * n_val))


Watch = Callable[["_Scaler", torch.Tensor, torch.Tensor, np.ndarray], Snapshot]
"""``watch(scaler, x_train, y_train, x_grid) -> snapshot``: builds the training loop's snapshot
hook once the data are standardised (a live view, :mod:`labcore.experiments.regression.live`)."""


def _fit(config: RegressionConfig, problem: _Problem, progress: Progress | None,
         watch: Watch | None = None, watch_every: int | None = None) -> RegressionResult:
    """Train on ``problem`` as ``config`` says and measure the predictive distribution.

    ``watch`` (with ``watch_every`` steps between looks) lets a live view see the model while
    it trains; it must leave the training untouched (see :data:`labcore.models.train.Snapshot`).
    """
    device = default_device()
    (x_val, y_val), (x_test, y_test) = problem.val, problem.test
    x_add, y_add = problem.added
    x_train = np.concatenate([problem.train[0], x_add])
    y_train = np.concatenate([problem.train[1], y_add])
    scaler = _Scaler.fit(x_train, y_train)
    xt, yt = scaler.x(x_train, device), scaler.y(y_train, device)
    xv, yv = scaler.x(x_val, device), scaler.y(y_val, device)

    members = config.members if config.method == "ensemble" else 1
    model = BatchedMLP(
        members, 1, 2 if config.heteroscedastic else 1, hidden=config.hidden,
        n_layers=config.n_layers, dropout=config.dropout if config.method == "mc_dropout" else 0.0,
        seed=config.seed, device=device,
    )
    train_config = TrainConfig(
        steps=config.steps, lr=config.lr, batch_size=config.batch_size or None,
        eval_every=EVAL_EVERY, patience=PATIENCE if config.early_stopping else None,
        seed=config.seed, lr_schedule=LR_SCHEDULE, adam_beta2=ADAM_BETA2,
        restore_best=_restore_best(config, problem), restore_margin=_restore_margin(yv.numel()),
    )
    what = {"ensemble": f"{members} networks", "mc_dropout": "dropout network"}
    main_end = 0.95 * members / (members + 1) if config.quantile_band else 0.95
    history = train(
        model, _loss_fn(config, xt.shape[0]), (xt, yt), train_config, val_data=(xv, yv),
        val_loss_fn=_loss_fn(config),
        progress=progress, progress_range=(0.0, main_end),
        label=f"Training {what.get(config.method, 'one network')}",
        snapshot=None if watch is None else watch(scaler, xt, yt, problem.x_grid),
        snapshot_every=watch_every,
    )

    _check_fit(model, xt, yt, config)
    limits = variance_knots(xt)
    # Aleatoric variance of an MSE model: one σ² per member from held-out residuals.
    val_means, val_vars = _sample_predictions(model, xv, config, limits)
    if val_vars is None:
        y_val_std = (y_val - scaler.y_mu) / scaler.y_sd
        if config.method == "mc_dropout":
            resid_var = np.full(val_means.shape[0], np.mean((y_val_std - val_means.mean(0)) ** 2))
        else:
            resid_var = np.mean((y_val_std[None, :] - val_means) ** 2, axis=1)
        resid_var = np.maximum(resid_var, 1e-12)

    def predict(x_np: np.ndarray) -> tuple[np.ndarray, ...]:
        means, variances = _sample_predictions(model, scaler.x(x_np, device), config,
                                               limits)
        if variances is None:
            variances = np.broadcast_to(resid_var[:, None], means.shape)
        mean, alea, epi = variance_decomposition(means, variances)
        to_y = scaler.y_sd
        return mean * to_y + scaler.y_mu, alea * to_y**2, epi * to_y**2, means * to_y + scaler.y_mu

    x_grid = problem.x_grid
    g_mean, g_alea, g_epi, g_members = predict(x_grid)
    t_mean, t_alea, t_epi, _ = predict(x_test)
    g_std, t_std = np.sqrt(g_alea + g_epi), np.sqrt(t_alea + t_epi)

    x_cal, y_cal = problem.val if problem.cal is None else problem.cal
    c_mean, c_alea, c_epi, _ = predict(x_cal)
    q = cal.split_conformal_scaled(y_cal - c_mean, np.sqrt(c_alea + c_epi), 1 - LEVEL)
    lower, upper = cal.central_interval(t_mean, t_std, LEVEL)
    expected, observed = cal.regression_calibration_curve(t_mean, t_std, y_test)
    if math.isfinite(q):
        c_lower, c_upper = cal.conformal_interval(t_mean, q, t_std)
        g_c_lower, g_c_upper = cal.conformal_interval(g_mean, q, g_std)
        conformal = (cal.interval_coverage(c_lower, c_upper, y_test),
                     float(np.mean(c_upper - c_lower)))
    else:  # fewer than 19 calibration points: no finite band reaches 95 % (rank > n)
        g_c_lower = g_c_upper = np.full_like(g_mean, np.nan)
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
        "steps_run": float(history.steps_run),
    }
    quantile = None
    if config.quantile_band:
        levels = (0.5 - config.interval_level / 2, 0.5 + config.interval_level / 2)
        q_model = fit_quantile_network(
            xt, yt, levels, hidden=config.hidden, n_layers=config.n_layers, steps=config.steps,
            lr=config.lr, batch_size=config.batch_size or None, seed=config.seed,
            progress=progress, progress_range=(main_end, 0.95))

        def quantiles(x_np: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            lo, hi = predict_quantiles(q_model, scaler.x(x_np, device))
            return lo * scaler.y_sd + scaler.y_mu, hi * scaler.y_sd + scaler.y_mu

        truth = None if problem.true_mean is None else (problem.true_mean, problem.true_std)
        quantile = interval_band(
            config.interval_level, x_grid,
            {"quantile": quantiles(x_grid), "gaussian": (g_mean, g_std)},
            {"quantile": quantiles(x_cal), "gaussian": (c_mean, np.sqrt(c_alea + c_epi))},
            y_cal, {"quantile": quantiles(x_test), "gaussian": (t_mean, t_std)}, y_test,
            truth, problem.data_range)
    gp = None
    if config.gp_reference:
        if progress is not None:
            progress(0.97, "Fitting the Gaussian-process reference")
        gp = fit_gp(x_train, y_train, x_grid, config.seed)
    if progress is not None:
        progress(1.0, "Done")
    return RegressionResult(
        x_train=x_train, y_train=y_train, x_added=x_add, y_added=y_add,
        x_val=x_val, y_val=y_val, x_cal=x_cal, y_cal=y_cal, x_grid=x_grid,
        true_mean=problem.true_mean, true_std=problem.true_std,
        pred_mean=g_mean, aleatoric_std=np.sqrt(g_alea), epistemic_std=np.sqrt(g_epi),
        total_std=g_std, member_means=g_members,
        conformal_lower=g_c_lower, conformal_upper=g_c_upper,
        calibration_expected=expected, calibration_observed=observed,
        train_loss=history.train_loss, eval_steps=history.eval_steps, val_loss=history.val_loss,
        metrics=metrics, data_range=problem.data_range, gap=problem.gap,
        quantile=quantile, gp=gp,
    )
