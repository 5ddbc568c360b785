"""The Regression lab: predictive bands, aleatoric vs epistemic uncertainty (scenes S2–S4, S12).

``run_regression(config)`` draws a 1-D problem whose truth is known, trains one network, an
MC-dropout network or a batched deep ensemble with the chosen loss, and returns everything the
page draws: the bands on a grid that reaches beyond the data, the truth on the same grid,
held-out metrics, a calibration curve, conformal intervals and the training curves.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import torch

from labcore import calibration as cal
from labcore.config import Config, param
from labcore.data import GRID_RANGE, X_RANGE, make_regression, true_mean, true_std
from labcore.device import default_device
from labcore.losses import LOG_VAR_MAX, LOG_VAR_MIN, beta_nll, gaussian_nll, mse
from labcore.models import BatchedMLP
from labcore.train import Progress, TrainConfig, TrainingDiverged, train
from labcore.uncertainty import variance_decomposition

GRID_POINTS = 400
TEST_POINTS = 1000
LEVEL = 0.95  # the central-interval level of the coverage metrics and the conformal band
EVAL_EVERY = 25
PATIENCE = 20  # evaluations without a better validation loss before a member stops
SWEEP_SIZES = (20, 50, 100, 200, 500, 1000)


@dataclasses.dataclass(frozen=True)
class RegressionConfig(Config):
    """Everything that defines one Regression-lab experiment."""

    function: Literal["cubic", "sine", "linear", "step"] = param(
        "cubic", label="True function", group="Data",
        help="The curve the data comes from. Cubic is the example of Lakshminarayanan et al. 2017.",
        choices={"cubic": "Cubic  y = x³", "sine": "Sine  y = 2 sin(1.5x)",
                 "linear": "Linear  y = 0.8x + 1", "step": "Step  y = ±1.5"},
    )
    noise_shape: Literal["constant", "growing", "bump"] = param(
        "constant", label="Noise shape σ(x)", group="Data",
        help="How the true noise varies with x: the same everywhere (homoscedastic) or not.",
        choices={"constant": "Constant", "growing": "Growing with |x|",
                 "bump": "A bump near x = 1.5"},
    )
    noise_scale: float = param(
        1.0, label="Noise level", group="Data", min=0.1, max=3.0, step=0.1,
        help="Multiplies the function's natural noise σ0 (cubic: σ0 = 3, sine and step: 0.3).",
    )
    n_points: int = param(
        20, label="Training points", group="Data", min=5, max=2000, step=5,
        help="How many (x, y) pairs the model trains on, drawn uniformly on [−4, 4].",
    )
    gap_width: float = param(
        0.0, label="Gap width", group="Data", min=0.0, max=4.0, step=0.5,
        help="An interval around x = 0 with no training data (0 = no gap).",
    )
    x_noise: float = param(
        0.0, label="Noise on inputs x", group="Data", min=0.0, max=1.0, step=0.05,
        help="Standard deviation of noise added to the inputs the model sees (errors in x).",
    )
    loss: Literal["mse", "gaussian_nll", "beta_nll"] = param(
        "gaussian_nll", label="Loss", group="Model",
        help="MSE learns only the mean (one σ from held-out residuals); Gaussian NLL also "
        "learns σ(x); β-NLL reweights NLL so the mean is not neglected where σ is large.",
        choices={"mse": "MSE (homoscedastic)", "gaussian_nll": "Gaussian NLL (heteroscedastic)",
                 "beta_nll": "β-NLL (heteroscedastic)"},
    )
    beta: float = param(
        0.5, label="β (β-NLL only)", group="Model", min=0.0, max=1.0, step=0.1,
        help="0 is the plain Gaussian NLL; 1 gives the mean the same gradient as MSE.",
    )
    method: Literal["none", "mc_dropout", "ensemble"] = param(
        "ensemble", label="Epistemic method", group="Model",
        help="How the model expresses what it does not know: not at all, by keeping dropout on "
        "at test time (MC dropout), or by training several networks (deep ensemble).",
        choices={"none": "None (one network)", "mc_dropout": "MC dropout",
                 "ensemble": "Deep ensemble"},
    )
    n_members: int = param(
        5, label="Ensemble members M", group="Model", min=2, max=10,
        help="Networks in the deep ensemble, trained together in one batched pass.",
    )
    dropout: float = param(
        0.1, label="Dropout rate", group="Model", min=0.05, max=0.5, step=0.05,
        help="Probability of dropping a hidden unit (MC dropout only).",
    )
    mc_samples: int = param(
        50, label="MC samples T", group="Model", min=5, max=200, step=5,
        help="Forward passes with dropout on at test time (MC dropout only).",
    )
    hidden: int = param(
        64, label="Hidden units", group="Training", min=8, max=256, step=8,
        help="Units in each hidden layer.",
    )
    n_layers: int = param(
        2, label="Hidden layers", group="Training", min=1, max=4, help="Depth of each network."
    )
    steps: int = param(
        1000, label="Training steps", group="Training", min=100, max=5000, step=100,
        help="Adam steps (full batch unless a batch size is set).",
    )
    lr: float = param(
        0.01, label="Learning rate", group="Training", min=0.0001, max=1.0, log=True,
        help="Adam's step size. Too high and training diverges; the page then says so.",
    )
    batch_size: int = param(
        0, label="Batch size", group="Training", min=0, max=1000, step=10,
        help="Samples per step; 0 uses every training point in every step (full batch).",
    )
    early_stopping: bool = param(
        False, label="Early stopping", group="Training",
        help="Keep each network's weights from its best validation loss; stop when it stalls.",
    )
    add_where: Literal["nowhere", "gap", "everywhere"] = param(
        "nowhere", label="Add points", group="Add data",
        help="Add extra training points inside the gap or across the whole range (scene S3).",
        choices={"nowhere": "Nowhere", "gap": "Inside the gap", "everywhere": "Everywhere"},
    )
    add_n: int = param(
        50, label="Points to add", group="Add data", min=0, max=1000, step=10,
        help="How many extra points to add.",
    )
    seed: int = param(
        0, label="Seed", group="Training", min=0, max=9999,
        help="The same seed and settings give the same data and the same result.",
    )

    def check(self) -> None:
        super().check()
        if self.add_where == "gap" and self.gap_width == 0:
            raise ValueError(
                "Adding points inside the gap needs a gap: set Gap width above 0 or add points "
                f"everywhere. Got gap_width = {self.gap_width}."
            )

    @property
    def gap(self) -> tuple[float, float] | None:
        """The interval with no training data, or None."""
        return (-self.gap_width / 2, self.gap_width / 2) if self.gap_width > 0 else None

    @property
    def heteroscedastic(self) -> bool:
        """Whether the network predicts σ(x) itself."""
        return self.loss != "mse"


@dataclasses.dataclass(frozen=True)
class RegressionResult:
    """What one regression run produced (numpy arrays, y in the units of the data).

    Attributes:
        x_train, y_train: the training set as the model saw it (added points included).
        x_added, y_added: the added points alone (empty when none were added).
        x_val, y_val: held-out validation set (early stopping, σ of MSE models, conformal).
        x_grid: (G,) inputs from −6 to 6, beyond the data range [−4, 4].
        true_mean, true_std: f(x) and σ(x) on the grid.
        pred_mean, aleatoric_std, epistemic_std, total_std: the predictive mixture on the grid.
        member_means: (S, G) each ensemble member's or dropout sample's mean.
        conformal_lower, conformal_upper: the split-conformal 95 % band on the grid.
        calibration_expected, calibration_observed: central-interval coverage on the test set.
        train_loss: (steps, M) loss per step; eval_steps, val_loss: (E,), (E, M).
        metrics: held-out test metrics (rmse, nll, crps, coverage_95, width_95,
            conformal_coverage_95, conformal_width_95, conformal_q, steps_run).
        data_range: where training inputs lie; gap: the empty interval or None.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_added: np.ndarray
    y_added: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_grid: np.ndarray
    true_mean: np.ndarray
    true_std: np.ndarray
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


def _heads(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    mean = out[..., 0]
    if out.shape[-1] == 1:
        return mean, None
    return mean, out[..., 1].clamp(LOG_VAR_MIN, LOG_VAR_MAX)


def _loss_fn(config: RegressionConfig):
    def loss_fn(model: BatchedMLP, batch) -> torch.Tensor:
        mean, log_var = _heads(model(batch[0]))
        if config.loss == "mse":
            return mse(mean, batch[1], reduction="member")
        if config.loss == "beta_nll":
            return beta_nll(mean, log_var, batch[1], beta=config.beta, reduction="member")
        return gaussian_nll(mean, log_var, batch[1], reduction="member")

    return loss_fn


def _sample_predictions(
    model: BatchedMLP, x: torch.Tensor, config: RegressionConfig
) -> tuple[np.ndarray, np.ndarray | None]:
    """(S, n) standardised means and variances (None for MSE models) of S members or passes."""
    with torch.no_grad():
        if config.method == "mc_dropout":
            torch_x = x.repeat(config.mc_samples, 1)
            out = model(torch_x, dropout=True)[0].reshape(config.mc_samples, x.shape[0], -1)
        else:
            out = model(x, dropout=False)
        mean, log_var = _heads(out)
    var = None if log_var is None else torch.exp(log_var).cpu().numpy().astype(float)
    return mean.cpu().numpy().astype(float), var


def _check_fit(model: BatchedMLP, xt: torch.Tensor, yt: torch.Tensor,
               config: RegressionConfig) -> None:
    """Refuse a model whose training fit is 10× worse than predicting the mean of y.

    y is standardised, so always predicting its mean has a mean squared error of 1; a training
    MSE above 100 means the weights were thrown away by too large steps even if the loss
    stayed finite (the log-variance clamp can keep a Gaussian NLL finite while μ explodes).
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


def _draw_data(config: RegressionConfig):
    common = dict(gap=config.gap, x_noise=config.x_noise)
    args = (config.function, config.noise_shape, config.noise_scale)
    train_set = make_regression(*args, config.n_points, config.seed, "train", **common)
    val_set = make_regression(*args, max(20, config.n_points // 2), config.seed, "val", **common)
    test_set = make_regression(*args, TEST_POINTS, config.seed, "test", **common)
    if config.add_where == "nowhere" or config.add_n == 0:
        added = (np.empty(0), np.empty(0))
    else:
        region = config.gap if config.add_where == "gap" else X_RANGE
        extra = make_regression(
            *args, config.add_n, config.seed, "added", x_noise=config.x_noise, region=region
        )
        added = (extra.x, extra.y)
    return train_set, val_set, test_set, added


def run_regression(config: RegressionConfig, progress: Progress | None = None) -> RegressionResult:
    """Train the configured model and measure its uncertainty against the known truth.

    Args:
        config: the experiment.
        progress: ``progress(fraction, message)``, called every few training steps.

    Raises:
        ValueError: a bad config, or training diverged (the message says what to change).
    """
    device = default_device()
    train_set, val_set, test_set, (x_add, y_add) = _draw_data(config)
    x_train = np.concatenate([train_set.x, x_add])
    y_train = np.concatenate([train_set.y, y_add])
    scaler = _Scaler.fit(x_train, y_train)
    xt, yt = scaler.x(x_train, device), scaler.y(y_train, device)
    xv, yv = scaler.x(val_set.x, device), scaler.y(val_set.y, device)

    n_members = config.n_members if config.method == "ensemble" else 1
    model = BatchedMLP(
        n_members, 1, 2 if config.heteroscedastic else 1, hidden=config.hidden,
        n_layers=config.n_layers, dropout=config.dropout if config.method == "mc_dropout" else 0.0,
        seed=config.seed, device=device,
    )
    train_config = TrainConfig(
        steps=config.steps, lr=config.lr, batch_size=config.batch_size or None,
        eval_every=EVAL_EVERY, patience=PATIENCE if config.early_stopping else None,
        seed=config.seed,
    )
    what = {"ensemble": f"{n_members} networks", "mc_dropout": "dropout network"}
    history = train(
        model, _loss_fn(config), (xt, yt), train_config, val_data=(xv, yv),
        progress=progress, progress_range=(0.0, 0.95),
        label=f"Training {what.get(config.method, 'one network')}",
    )

    _check_fit(model, xt, yt, config)
    # Aleatoric variance of an MSE model: one σ² per member from held-out residuals.
    val_means, val_vars = _sample_predictions(model, xv, config)
    if val_vars is None:
        y_val_std = (val_set.y - scaler.y_mu) / scaler.y_sd
        if config.method == "mc_dropout":
            resid_var = np.full(val_means.shape[0], np.mean((y_val_std - val_means.mean(0)) ** 2))
        else:
            resid_var = np.mean((y_val_std[None, :] - val_means) ** 2, axis=1)
        resid_var = np.maximum(resid_var, 1e-12)

    def predict(x_np: np.ndarray) -> tuple[np.ndarray, ...]:
        means, variances = _sample_predictions(model, scaler.x(x_np, device), config)
        if variances is None:
            variances = np.broadcast_to(resid_var[:, None], means.shape)
        mean, alea, epi = variance_decomposition(means, variances)
        to_y = scaler.y_sd
        return mean * to_y + scaler.y_mu, alea * to_y**2, epi * to_y**2, means * to_y + scaler.y_mu

    x_grid = np.linspace(*GRID_RANGE, GRID_POINTS)
    g_mean, g_alea, g_epi, g_members = predict(x_grid)
    v_mean, v_alea, v_epi, _ = predict(val_set.x)
    t_mean, t_alea, t_epi, _ = predict(test_set.x)
    g_std, v_std, t_std = (
        np.sqrt(a + e) for a, e in ((g_alea, g_epi), (v_alea, v_epi), (t_alea, t_epi))
    )

    q = cal.split_conformal_scaled(val_set.y - v_mean, v_std, 1 - LEVEL)
    lower, upper = cal.central_interval(t_mean, t_std, LEVEL)
    c_lower, c_upper = cal.conformal_interval(t_mean, q, t_std)
    expected, observed = cal.regression_calibration_curve(t_mean, t_std, test_set.y)
    g_c_lower, g_c_upper = cal.conformal_interval(g_mean, q, g_std)
    metrics = {
        "rmse": float(np.sqrt(np.mean((t_mean - test_set.y) ** 2))),
        "nll": float(cal.gaussian_nll(t_mean, t_std, test_set.y)),
        "crps": float(cal.crps_gaussian(t_mean, t_std, test_set.y)),
        "coverage_95": cal.interval_coverage(lower, upper, test_set.y),
        "width_95": float(np.mean(upper - lower)),
        "conformal_coverage_95": cal.interval_coverage(c_lower, c_upper, test_set.y),
        "conformal_width_95": float(np.mean(c_upper - c_lower)),
        "conformal_q": float(q),
        "steps_run": float(history.steps_run),
    }
    if progress is not None:
        progress(1.0, "Done")
    return RegressionResult(
        x_train=x_train, y_train=y_train, x_added=x_add, y_added=y_add,
        x_val=val_set.x, y_val=val_set.y, x_grid=x_grid,
        true_mean=true_mean(config.function, x_grid),
        true_std=true_std(config.function, config.noise_shape, config.noise_scale, x_grid),
        pred_mean=g_mean, aleatoric_std=np.sqrt(g_alea), epistemic_std=np.sqrt(g_epi),
        total_std=g_std, member_means=g_members,
        conformal_lower=g_c_lower, conformal_upper=g_c_upper,
        calibration_expected=expected, calibration_observed=observed,
        train_loss=history.train_loss, eval_steps=history.eval_steps, val_loss=history.val_loss,
        metrics=metrics, data_range=X_RANGE, gap=config.gap,
    )


@dataclasses.dataclass(frozen=True)
class SizeSweepResult:
    """Mean aleatoric and epistemic σ inside the data range against training-set size.

    Attributes:
        sizes: (K,) training-set sizes.
        aleatoric_std, epistemic_std: (K,) mean over grid points in [−4, 4].
        true_std: mean true σ(x) over the same grid points (what aleatoric σ should approach).
        rmse: (K,) held-out RMSE of each run.
    """

    sizes: np.ndarray
    aleatoric_std: np.ndarray
    epistemic_std: np.ndarray
    true_std: float
    rmse: np.ndarray


def sweep_config(config: RegressionConfig) -> RegressionConfig:
    """The config the size sweep uses: no added points, and an ensemble if no method is set."""
    method = "ensemble" if config.method == "none" else config.method
    return config.replace(add_where="nowhere", method=method)


def run_size_sweep(
    config: RegressionConfig,
    progress: Progress | None = None,
    sizes: tuple[int, ...] = SWEEP_SIZES,
) -> SizeSweepResult:
    """Retrain at each training-set size and average the two kinds of σ over the data range.

    Epistemic σ should fall towards 0 as n grows (more data pins the function down); aleatoric
    σ should settle at the true noise (more data does not make y less noisy).
    """
    if not sizes or any(n < 5 for n in sizes):
        raise ValueError(f"sizes must be a non-empty tuple of numbers ≥ 5. Got {sizes}.")
    base = sweep_config(config)
    alea, epi, rmse = [], [], []
    true_mean_std = math.nan
    for i, n in enumerate(sizes):
        def sub(frac: float, msg: str, i: int = i, n: int = n) -> None:
            if progress is not None:
                progress((i + frac) / len(sizes), f"n = {n} ({i + 1} of {len(sizes)}): {msg}")

        result = run_regression(base.replace(n_points=n), progress=sub)
        inside = (result.x_grid >= X_RANGE[0]) & (result.x_grid <= X_RANGE[1])
        alea.append(float(np.mean(result.aleatoric_std[inside])))
        epi.append(float(np.mean(result.epistemic_std[inside])))
        rmse.append(result.metrics["rmse"])
        true_mean_std = float(np.mean(result.true_std[inside]))
    return SizeSweepResult(
        sizes=np.asarray(sizes), aleatoric_std=np.asarray(alea), epistemic_std=np.asarray(epi),
        true_std=true_mean_std, rmse=np.asarray(rmse),
    )
