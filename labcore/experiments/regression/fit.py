"""Train the Regression lab's networks on a problem, and read them.

:func:`fit` standardises the data (:class:`Scaler`), builds one network, an MC-dropout
network or a batched deep ensemble, and trains it with the config's loss, handing back the
weights the validation points choose (:func:`restore_best`). :func:`sample_predictions` reads
the trained members' means and variances; :mod:`labcore.experiments.regression.run` turns
them into bands and metrics, and :mod:`labcore.experiments.regression.live` into frames while
the networks train.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from labcore.device import default_device
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.problem import Problem
from labcore.losses import beta_nll, constant, gaussian_nll, mse
from labcore.models.mlp import BatchedMLP
from labcore.models.train import (
    LossFn,
    Progress,
    Snapshot,
    TrainConfig,
    TrainHistory,
    TrainingDiverged,
    train,
)

EVAL_EVERY = 25
PATIENCE = 20  # evaluations without a better validation loss before a member stops
LR_SCHEDULE = "cosine"
ADAM_BETA2 = 0.99
RESTORE_BEST = True


@dataclasses.dataclass(frozen=True)
class Scaler:
    """Standardises x and y with training statistics (networks train on unit scales)."""

    x_mu: float
    x_sd: float
    y_mu: float
    y_sd: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> Scaler:
        x_sd = float(np.std(x)) or 1.0
        y_sd = float(np.std(y)) or 1.0
        return cls(float(np.mean(x)), x_sd, float(np.mean(y)), y_sd)

    def x(self, x: np.ndarray, device: torch.device) -> torch.Tensor:
        """(n, 1) standardised inputs on ``device``."""
        scaled = (x - self.x_mu) / self.x_sd
        return torch.as_tensor(scaled, dtype=torch.float32, device=device)[:, None]

    def y(self, y: np.ndarray, device: torch.device) -> torch.Tensor:
        """(n,) standardised targets on ``device``."""
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
    span = constant(SIGMA_CEILING**2 - SIGMA_FLOOR**2, raw.dtype)
    floor = constant(SIGMA_FLOOR**2, raw.dtype)
    return torch.log(floor + span * torch.tanh(F.softplus(raw) / span))


def heads(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The mean and the log-variance (None for an MSE model) of the networks' outputs."""
    if out.shape[-1] == 1:
        return out[..., 0], None
    mean, raw = out.unbind(-1)  # one node whose backward stacks, not two that scatter
    return mean, bounded_log_var(raw)


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


def loss_fn(config: RegressionConfig, n_train: int | None = None) -> LossFn:
    """The loss per member; with ``n_train`` the heteroscedastic losses add the variance
    penalty (:data:`VARIANCE_PRIOR`), without it they are the plain loss (the validation loss:
    how well the model predicts held-out points, nothing else)."""
    decay = 0.0 if n_train is None else VARIANCE_PRIOR / n_train

    def member_loss(model: BatchedMLP, batch) -> torch.Tensor:
        mean, log_var = heads(model(batch[0]))
        if config.loss == "mse":
            return mse(mean, batch[1], reduction="member")
        if config.loss == "beta_nll":
            loss = beta_nll(mean, log_var, batch[1], beta=config.beta, reduction="member")
        else:
            loss = gaussian_nll(mean, log_var, batch[1], reduction="member")
        w = model.weights[-1][:, :, 1]
        return loss + constant(decay, w.dtype) * (w * w).sum(dim=1)

    if n_train is not None:  # a training loss: the same step, its gradient by hand
        from labcore.experiments.regression.lean import lean_step

        member_loss.lean_for = lambda model: lean_step(model, config.loss, config.beta, decay)
    return member_loss


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


def interp_rows(x: torch.Tensor, knots: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Each row of ``values`` (S, K), given at ``knots`` (K,), joined by straight lines and
    read at ``x`` (n,); beyond the first or last knot it keeps that knot's value."""
    if knots.numel() == 1:
        return values[:, :1].expand(-1, x.numel())
    right = torch.searchsorted(knots, x.clamp(knots[0], knots[-1])).clamp(1, knots.numel() - 1)
    left = right - 1
    span = knots[right] - knots[left]
    w = ((x.clamp(knots[0], knots[-1]) - knots[left]) / span).clamp(0.0, 1.0)
    return values[:, left] * (1 - w) + values[:, right] * w


def sample_predictions(
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
        mean, _ = heads(out[:, :n])
        log_var = None
        if heteroscedastic:
            _, at_knots = heads(out[:, n:])
            log_var = interp_rows(x[:, 0], knots[:, 0], at_knots)
    var = None if log_var is None else torch.exp(log_var).cpu().numpy().astype(float)
    return mean.cpu().numpy().astype(float), var


def check_fit(model: BatchedMLP, xt: torch.Tensor, yt: torch.Tensor,
              config: RegressionConfig) -> None:
    """Refuse a model whose training fit is 10× worse than predicting the mean of y.

    y is standardised, so always predicting its mean has a mean squared error of 1; a training
    MSE above 100 means the weights were thrown away by too large steps even if the loss
    stayed finite (the variance ceiling can keep a Gaussian NLL finite while μ explodes).
    """
    with torch.no_grad():
        mean, _ = heads(model(xt, dropout=False))
        worst = float(((mean - yt) ** 2).mean(dim=1).max())
    if not worst <= 100.0:
        raise TrainingDiverged(
            f"Training diverged: the fitted curve is far from the training data (mean squared "
            f"error {worst:.3g} in standardised units, where predicting the average gives 1). "
            f"The learning rate ({config.lr:g}) is probably too high; try {config.lr / 10:g} "
            f"or lower. Got lr = {config.lr:g}."
        )


def restore_best(config: RegressionConfig, problem: Problem) -> bool:
    """Whether the validation points may hand a network back its best weights.

    For a Gaussian-NLL model: trained to the end on few points, it fits some of the noise
    itself and then claims a σ far too small (on the default's 20 points a validation NLL of
    1.5–145 nats per point at step 500 against −0.85 to −0.14 at its best, steps 25–125).
    Not on a user's data without early stopping, whose validation split is also the conformal
    calibration set (it would no longer be exact).
    """
    return (RESTORE_BEST and config.loss == "gaussian_nll"
            and (problem.cal is not None or config.early_stopping))


def restore_margin(n_val: int) -> float:
    """How much worse than its best the last validation NLL may be and still be kept: twice
    its standard error for a calibrated Gaussian, where each point's NLL ½·log 2πσ² + z²/2 has
    standard deviation sd(z²)/2 = √2/2, so the mean over n points has √(1/(2n)).

    >>> round(restore_margin(50), 3)  # 2·√(1/100)
    0.2
    """
    return 2.0 * math.sqrt(1.0 / (2.0 * n_val))


Watch = Callable[["Scaler", torch.Tensor, torch.Tensor, np.ndarray], Snapshot]
"""``watch(scaler, x_train, y_train, x_grid) -> snapshot``: builds the training loop's snapshot
hook once the data are standardised (a live view, :mod:`labcore.experiments.regression.live`)."""


@dataclasses.dataclass(frozen=True)
class Fitted:
    """Trained networks and the standardised data they were trained and validated on.

    Attributes:
        model: the M members (M = 1 but for an ensemble), in eval mode.
        scaler: the training set's standardisation.
        history: the training loop's losses and the steps each member kept.
        xt, yt: (n, 1) and (n,) standardised training inputs and targets.
        xv, yv: the same for the validation set.
        knots: (K, 1) where the variance is read (:func:`variance_knots` of ``xt``).
    """

    model: BatchedMLP
    scaler: Scaler
    history: TrainHistory
    xt: torch.Tensor
    yt: torch.Tensor
    xv: torch.Tensor
    yv: torch.Tensor
    knots: torch.Tensor

    def predict(self, x: np.ndarray, config: RegressionConfig
                ) -> tuple[np.ndarray, np.ndarray | None]:
        """:func:`sample_predictions` at inputs ``x`` in the units of the data (still
        standardised outputs)."""
        return sample_predictions(self.model, self.scaler.x(x, self.xt.device), config,
                                  self.knots)


def build_model(config: RegressionConfig, device: torch.device) -> BatchedMLP:
    """The config's untrained network(s): members for an ensemble, dropout for MC dropout, a
    variance head for the heteroscedastic losses."""
    return BatchedMLP(
        config.members if config.method == "ensemble" else 1, 1,
        2 if config.heteroscedastic else 1, hidden=config.hidden, n_layers=config.n_layers,
        dropout=config.dropout if config.method == "mc_dropout" else 0.0, seed=config.seed,
        device=device,
    )


def train_config(config: RegressionConfig, problem: Problem, n_val: int) -> TrainConfig:
    """How the lab trains: the config's steps, rate and batches; a cosine schedule; early
    stopping when asked; best weights handed back as :func:`restore_best` says."""
    return TrainConfig(
        steps=config.steps, lr=config.lr, batch_size=config.batch_size or None,
        eval_every=EVAL_EVERY, patience=PATIENCE if config.early_stopping else None,
        seed=config.seed, lr_schedule=LR_SCHEDULE, adam_beta2=ADAM_BETA2,
        restore_best=restore_best(config, problem), restore_margin=restore_margin(n_val),
    )


def standardised(problem: Problem, device: torch.device
                 ) -> tuple[Scaler, tuple[torch.Tensor, torch.Tensor],
                            tuple[torch.Tensor, torch.Tensor]]:
    """The training set's :class:`Scaler` (added points included), and the standardised
    training and validation sets on ``device``: ``(scaler, (xt, yt), (xv, yv))`` with
    (n, 1) inputs and (n,) targets, as :func:`fit` trains on them."""
    x_train, y_train = problem.training_set()
    x_val, y_val = problem.val
    scaler = Scaler.fit(x_train, y_train)
    return (scaler, (scaler.x(x_train, device), scaler.y(y_train, device)),
            (scaler.x(x_val, device), scaler.y(y_val, device)))


def fit(config: RegressionConfig, problem: Problem, progress: Progress | None = None,
        progress_range: tuple[float, float] = (0.0, 1.0), watch: Watch | None = None,
        watch_every: int | None = None) -> Fitted:
    """Train the config's networks on ``problem``'s training set (added points included).

    Args:
        config: the model and training settings.
        problem: the data.
        progress: ``progress(fraction, message)``, every few steps.
        progress_range: the slice of the progress bar the training fills.
        watch: lets a live view see the model while it trains; it must leave the training
            untouched (see :data:`labcore.models.train.Snapshot`).
        watch_every: steps between the live view's looks.

    Raises:
        TrainingDiverged: the loss became NaN or infinite, or the fit is far off the data.
    """
    device = default_device()
    scaler, (xt, yt), (xv, yv) = standardised(problem, device)
    model = build_model(config, device)
    what = {"ensemble": f"{model.members} networks", "mc_dropout": "dropout network"}
    history = train(
        model, loss_fn(config, xt.shape[0]), (xt, yt), train_config(config, problem, yv.numel()),
        val_data=(xv, yv), val_loss_fn=loss_fn(config),
        progress=progress, progress_range=progress_range,
        label=f"Training {what.get(config.method, 'one network')}",
        snapshot=None if watch is None else watch(scaler, xt, yt, problem.x_grid),
        snapshot_every=watch_every,
    )
    check_fit(model, xt, yt, config)
    return Fitted(model, scaler, history, xt, yt, xv, yv, variance_knots(xt))
