"""The one training loop every experiment uses.

Adam (fused where the device supports it), full-batch or mini-batch, a progress callback every
few steps, early stopping on a validation loss, and divergence detection. The loop is written
for models whose parameters carry a leading member dimension M (``labcore.models.mlp.BatchedMLP``):
``loss_fn`` returns one loss per member, the loop minimises their sum — so each member's
gradient is exactly the gradient it would get alone — and early stopping keeps each member's
own best weights.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import torch
from torch import nn

Progress = Callable[[float, str], None]
LossFn = Callable[[nn.Module, Sequence[torch.Tensor]], torch.Tensor]
Snapshot = Callable[[int, nn.Module, np.ndarray], None]
"""``snapshot(step, model, train_loss)``: a look at the model while it trains (live views);
``train_loss`` is the (step, M) loss so far. Called in eval mode under ``torch.no_grad()``; it
must not draw random numbers from torch's global generator (MC dropout samples with a generator
of its own), so a training watched live ends exactly where an unwatched one does."""


T = TypeVar("T")


def evenly_spaced(items: Sequence[T], at_most: int) -> list[T]:
    """At most ``at_most`` of ``items``, evenly spaced, always with the first and the last:
    the snapshots a live view keeps for replay.

    >>> evenly_spaced(list(range(10)), 4)
    [0, 3, 6, 9]
    """
    if at_most < 2:
        raise ValueError(f"at_most must be at least 2. Got {at_most}.")
    if len(items) <= at_most:
        return list(items)
    picks = np.unique(np.round(np.linspace(0, len(items) - 1, at_most)).astype(int))
    return [items[i] for i in picks]


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite, or exploded; the message says what to change."""


BLOW_UP = 100.0
"""The loss has exploded when its recent mean exceeds ``first + BLOW_UP · (|first| + 1)``,
where ``first`` is the loss of the first step. A finite but exploded loss happens when a too
high learning rate throws the weights far away while a clamp (e.g. on the log-variance) keeps
the loss itself finite; no training that is working ever grows its loss a hundredfold."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Attributes:
        steps: optimiser steps (one step = one mini-batch, or the whole set when full-batch).
        lr: Adam's learning rate.
        weight_decay: L2 penalty added by Adam.
        batch_size: samples per step; ``None`` trains on the full batch every step.
        eval_every: steps between progress reports, divergence checks and validation.
        patience: stop a member after this many evaluations without a better validation loss;
            ``None`` trains for all ``steps``.
        seed: seeds the mini-batch order.
    """

    steps: int = 1000
    lr: float = 1e-2
    weight_decay: float = 0.0
    batch_size: int | None = None
    eval_every: int = 25
    patience: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1. Got {self.steps}.")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number. Got {self.lr}.")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be at least 0. Got {self.weight_decay}.")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1 or None. Got {self.batch_size}.")
        if self.eval_every < 1:
            raise ValueError(f"eval_every must be at least 1. Got {self.eval_every}.")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be at least 1 or None. Got {self.patience}.")


@dataclasses.dataclass(frozen=True)
class TrainHistory:
    """What happened during training (numpy, per member).

    Attributes:
        train_loss: (steps_run, M) training loss at every step.
        eval_steps: (E,) the step after which each validation was taken.
        val_loss: (E, M) validation loss, or an empty (0, M) array without validation data.
        best_step: (M,) the step whose weights each member kept (last step without validation).
        steps_run: steps actually taken (fewer than asked when every member stopped early).
    """

    train_loss: np.ndarray
    eval_steps: np.ndarray
    val_loss: np.ndarray
    best_step: np.ndarray
    steps_run: int


def warm_up() -> None:
    """Build one optimizer and take one step, so the first real training does not pay for it.

    torch imports its compiler machinery the first time an optimizer is built (seconds on a
    small machine); a server calls this once at start-up instead of in a student's first run.
    """
    weight = nn.Parameter(torch.zeros(1))
    optimiser = make_adam([weight], lr=1e-3, weight_decay=0.0)
    (weight**2).sum().backward()
    optimiser.step()


def make_adam(params: Sequence[nn.Parameter], lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam, fused into one kernel where this torch build supports it for the device."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def _divergence_message(step: int, value: float, lr: float) -> str:
    kind = "NaN" if math.isnan(value) else "infinite" if math.isinf(value) else "huge"
    return (
        f"Training diverged at step {step}: the loss became {kind}. The learning rate "
        f"({lr:g}) is probably too high for this model and data; try {lr / 10:g} or lower, "
        f"or fewer hidden units. Got loss = {value}."
    )


def train(
    model: nn.Module,
    loss_fn: LossFn,
    data: Sequence[torch.Tensor],
    config: TrainConfig,
    *,
    val_data: Sequence[torch.Tensor] | None = None,
    val_loss_fn: LossFn | None = None,
    progress: Progress | None = None,
    progress_range: tuple[float, float] = (0.0, 1.0),
    label: str = "Training",
    snapshot: Snapshot | None = None,
    snapshot_every: int | None = None,
) -> TrainHistory:
    """Train ``model`` in place and return its history.

    Args:
        model: parameters with a leading member dimension M (a plain model is M = 1 when its
            ``loss_fn`` returns shape (1,)).
        loss_fn: ``loss_fn(model, batch) -> (M,)`` loss per member; ``batch`` holds the rows of
            each tensor in ``data`` for this step.
        data: training tensors, indexed together along dimension 0.
        config: steps, learning rate, batching, early stopping.
        val_data: validation tensors; enables early stopping when ``config.patience`` is set.
        val_loss_fn: loss used on ``val_data`` (default ``loss_fn``), evaluated without dropout.
        progress: called as ``progress(fraction, message)`` every ``eval_every`` steps.
        progress_range: the slice of the caller's progress bar this training fills.
        label: what the progress message calls this training.
        snapshot: called every ``snapshot_every`` steps (default ``config.eval_every``) and
            after the last step, in eval mode without gradients (see :data:`Snapshot`).
        snapshot_every: steps between snapshots.

    Raises:
        TrainingDiverged: the loss became NaN or infinite (a ``ValueError``).
    """
    if snapshot_every is not None and snapshot_every < 1:
        raise ValueError(f"snapshot_every must be at least 1 or None. Got {snapshot_every}.")
    n = data[0].shape[0]
    if any(t.shape[0] != n for t in data):
        shapes = [tuple(t.shape) for t in data]
        raise ValueError(f"data tensors must share their first dimension. Got {shapes}.")
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = make_adam(params, config.lr, config.weight_decay)
    val_loss_fn = val_loss_fn or loss_fn
    device = data[0].device
    batch_gen = torch.Generator().manual_seed(config.seed)

    losses: list[torch.Tensor] = []
    eval_steps: list[int] = []
    val_losses: list[np.ndarray] = []
    best_val: torch.Tensor | None = None
    best_params: list[torch.Tensor] | None = None
    best_step: torch.Tensor | None = None
    since_best: torch.Tensor | None = None
    stopped: torch.Tensor | None = None
    checked = 0
    order: torch.Tensor | None = None
    cursor = n
    lo, hi = progress_range

    model.train()
    for step in range(1, config.steps + 1):
        if config.batch_size is None or config.batch_size >= n:
            batch = data
        else:
            if cursor + config.batch_size > n:
                order = torch.randperm(n, generator=batch_gen).to(device)
                cursor = 0
            idx = order[cursor : cursor + config.batch_size]
            cursor += config.batch_size
            batch = [t[idx] for t in data]
        loss_members = loss_fn(model, batch)
        optimiser.zero_grad(set_to_none=True)
        loss_members.sum().backward()
        optimiser.step()
        losses.append(loss_members.detach())

        if step % config.eval_every == 0 or step == config.steps:
            recent = torch.stack(losses[checked:])
            if not torch.isfinite(recent).all():
                flat = recent.cpu().numpy()
                bad_row = int(np.argmax(~np.isfinite(flat).all(axis=1)))
                value = float(flat[bad_row][~np.isfinite(flat[bad_row])][0])
                raise TrainingDiverged(_divergence_message(checked + bad_row + 1, value, config.lr))
            first = losses[0].float()
            recent_mean = recent.float().mean(dim=0)
            exploded = recent_mean > first + BLOW_UP * (first.abs() + 1)
            if bool(exploded.any()):
                value = float(recent_mean[exploded][0])
                raise TrainingDiverged(_divergence_message(step, value, config.lr))
            checked = len(losses)
            stop = False
            if val_data is not None:
                model.eval()
                with torch.no_grad():
                    val = val_loss_fn(model, val_data).detach()
                model.train()
                if not torch.isfinite(val).all():
                    bad = float(val[~torch.isfinite(val)][0])
                    raise TrainingDiverged(_divergence_message(step, bad, config.lr))
                eval_steps.append(step)
                val_losses.append(val.cpu().numpy())
                if config.patience is not None:
                    if best_val is None:
                        best_val = val.clone()
                        best_params = [p.detach().clone() for p in params]
                        best_step = torch.full_like(val, step)
                        since_best = torch.zeros_like(val)
                        stopped = torch.zeros_like(val, dtype=torch.bool)
                    else:
                        # A member out of patience has stopped: later improvements (while
                        # the others train on) must not replace the weights it kept.
                        improved = (val < best_val) & ~stopped
                        best_val = torch.where(improved, val, best_val)
                        best_step = torch.where(improved, torch.full_like(val, step), best_step)
                        since_best = torch.where(improved, torch.zeros_like(val), since_best + 1)
                        for saved, p in zip(best_params, params, strict=True):
                            mask = improved.view(-1, *([1] * (p.dim() - 1)))
                            saved.copy_(torch.where(mask, p.detach(), saved))
                    stopped = stopped | (since_best >= config.patience)
                    stop = bool(stopped.all())
            if progress is not None:
                frac = lo + (hi - lo) * step / config.steps
                progress(frac, f"{label}: step {step} of {config.steps}")
        else:
            stop = False
        if snapshot is not None and (step % (snapshot_every or config.eval_every) == 0
                                     or step == config.steps or stop):
            model.eval()
            with torch.no_grad():
                snapshot(step, model, torch.stack(losses).cpu().numpy())
            model.train()
        if stop:
            break

    if best_params is not None:
        with torch.no_grad():
            for saved, p in zip(best_params, params, strict=True):
                p.copy_(saved)
    model.eval()
    train_loss = torch.stack(losses).cpu().numpy()
    m = train_loss.shape[1] if train_loss.ndim == 2 else 1
    return TrainHistory(
        train_loss=train_loss.reshape(len(losses), m),
        eval_steps=np.asarray(eval_steps, dtype=int),
        val_loss=np.asarray(val_losses, dtype=float).reshape(len(val_losses), m),
        best_step=(
            best_step.cpu().numpy().astype(int)
            if best_step is not None
            else np.full(m, len(losses), dtype=int)
        ),
        steps_run=len(losses),
    )
