"""The one training loop every experiment uses.

Adam (fused where the device supports it), full-batch or mini-batch, a progress callback every
few steps, early stopping on a validation loss, and divergence detection. The loop is written
for models whose parameters carry a leading member dimension M (``labcore.models.mlp.BatchedMLP``):
``loss_fn`` returns one loss per member, the loop minimises their sum — so each member's
gradient is exactly the gradient it would get alone — and early stopping keeps each member's
own best weights.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Literal, TypeVar

import numpy as np
import torch
from torch import nn

from labcore.models.adam import FlatAdam, make_adam
from labcore.models.stopping import (
    EarlyStopping,
    LossLog,
    TrainingDiverged,
    divergence_message,
    trainable,
)

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
        restore_best: with validation data, end with each member's weights from its best
            validation loss (among the evaluations every ``eval_every`` steps) even when
            ``patience`` is None; early stopping (a patience) always does.
        restore_margin: with ``restore_best`` and no patience, a member whose last validation
            loss is within this margin of its best keeps its last weights (the held-out data do
            not show it worse by more than their own noise).
        seed: seeds the mini-batch order.
        lr_schedule: ``"constant"`` keeps ``lr`` for every step; ``"cosine"`` lowers it along
            half a cosine, ``lr · (1 + cos(π·(t − 1)/steps)) / 2`` at step t, so that the last
            steps are nearly zero-sized and training ends settled (see :func:`step_lr`).
        adam_beta2: Adam's decay rate of its running mean of squared gradients (torch's
            default 0.999 averages over about 1,000 steps; 0.99 over about 100).
    """

    steps: int = 1000
    lr: float = 1e-2
    weight_decay: float = 0.0
    batch_size: int | None = None
    eval_every: int = 25
    patience: int | None = None
    seed: int = 0
    lr_schedule: Literal["constant", "cosine"] = "constant"
    adam_beta2: float = 0.999
    restore_best: bool = False
    restore_margin: float = 0.0

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
        if not self.restore_margin >= 0.0:
            raise ValueError(f"restore_margin must be at least 0. Got {self.restore_margin}.")
        if not 0.0 <= self.adam_beta2 < 1.0:
            raise ValueError(f"adam_beta2 must be in [0, 1). Got {self.adam_beta2}.")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine'. "
                             f"Got {self.lr_schedule!r}.")


def step_lr(config: TrainConfig, step: int) -> float:
    """The learning rate of step ``step`` (1 to ``config.steps``) under ``config.lr_schedule``.

    Adam moves every weight by about ``lr`` per step whatever the gradient's size, so at a
    fixed ``lr`` a loss whose curvature keeps growing as it trains (a Gaussian NLL, whose
    curvature in the mean is 1/σ²) never settles: it overshoots and spikes again and again, and
    the last step lands wherever the latest spike left it. The cosine schedule takes ever
    smaller steps towards the end, so training ends in a settled state.

    >>> c = TrainConfig(steps=4, lr=1.0, lr_schedule="cosine")
    >>> [round(step_lr(c, t), 4) for t in range(1, 5)]  # (1 + cos(π·k/4)) / 2, k = 0..3
    [1.0, 0.8536, 0.5, 0.1464]
    >>> step_lr(TrainConfig(steps=4, lr=0.5), 3)
    0.5
    """
    if config.lr_schedule == "constant":
        return config.lr
    return config.lr * (1.0 + math.cos(math.pi * (step - 1) / config.steps)) / 2.0


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


def flatten_parameters(params: Sequence[nn.Parameter]) -> nn.Parameter | None:
    """Put ``params`` into one flat buffer and their gradients into another, for a lean step.

    Each parameter becomes a view of a slice of one flat tensor, and its ``.grad`` a view of
    the same slice of one flat gradient; the returned flat parameter carries both. Backward
    then accumulates every gradient in place into the flat gradient (zeroed with one call per
    step), and one optimiser step over the flat parameter updates them all: a handful of
    operator calls a step instead of a few for every parameter. Adam is elementwise, so the
    result is the one it would have given for the parameters one by one.

    Returns None (and changes nothing) when the parameters do not share a dtype and device.

    >>> a, b = nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(1, 2))
    >>> flat = flatten_parameters([a, b])
    >>> flat.data.add_(1.0)[0].item(), b.tolist()  # the parameters are views of the buffer
    (2.0, [[1.0, 1.0]])
    >>> (a.sum() + 3 * b.sum()).backward(); flat.grad.tolist()
    [1.0, 1.0, 3.0, 3.0]
    """
    params = list(params)
    if not params or len({(p.dtype, p.device) for p in params}) > 1:
        return None
    flat = nn.Parameter(torch.cat([p.detach().reshape(-1) for p in params]))
    flat.grad = torch.zeros_like(flat)
    start = 0
    for p in params:
        end = start + p.numel()
        p.data = flat.data[start:end].view_as(p)
        p.grad = flat.grad[start:end].view_as(p)
        start = end
    return flat


def batch_indices(n: int, batch_size: int, seed: int,
                  device: torch.device | str = "cpu") -> Iterator[torch.Tensor]:
    """Endless mini-batches of ``batch_size`` row indices out of ``n``, reshuffled every epoch.

    Each epoch is one permutation drawn from a generator seeded with ``seed`` (not torch's
    global one), cut into ``n // batch_size`` batches; the ``n % batch_size`` rows at its end
    sit this epoch out (the next one draws a fresh permutation). So every row comes at most
    once per epoch, and exactly once when ``batch_size`` divides ``n``.

    >>> batches = batch_indices(6, 2, seed=0)
    >>> epoch = [next(batches).tolist() for _ in range(3)]
    >>> sorted(i for batch in epoch for i in batch)
    [0, 1, 2, 3, 4, 5]
    """
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


def batches(data: Sequence[torch.Tensor], batch_size: int | None,
            seed: int) -> Iterator[Sequence[torch.Tensor]]:
    """Endless training batches: ``data`` itself every step when full-batch (``batch_size``
    None or at least the number of rows), else the rows of :func:`batch_indices`."""
    n = data[0].shape[0]
    if batch_size is None or batch_size >= n:
        while True:
            yield data
    for idx in batch_indices(n, batch_size, seed, data[0].device):
        yield [t[idx] for t in data]


@contextlib.contextmanager
def flushed_denormals() -> Iterator[None]:
    """Treat subnormal floats as zero on this thread's CPU (flush-to-zero and denormals-are-zero)
    inside the block, and let them be again after it.

    As a network settles, values a step computes can fall below float32's smallest normal
    number (1.2e-38), where every operation on them takes the CPU's slow path: a Regression
    network of four hidden layers of 256 trained for 5,000 steps took 13.9 s, and 3.5 s flushed.
    Flushed, those values are 0 instead of about 1e-40, far below what changes a weight. Every
    lab's default and the label-noise sweep gave the same results to the bit both ways, and so
    did that deep network at 1,000 steps (``tests/unit/test_train.py``); at 5,000 steps its
    predictions were the same to the bit, and its logged training loss differed by at most 5e-5
    at a step. TensorFlow flushes subnormals on its CPU threads the same way. The setting
    belongs to the calling thread, which with the lab's one torch thread is the one that
    computes; CUDA is not affected.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def _look(snapshot: Snapshot, step: int, model: nn.Module, log: LossLog) -> None:
    """Call ``snapshot`` in eval mode without gradients, then return to training mode."""
    model.eval()
    with torch.no_grad():
        snapshot(step, model, log.numpy())
    model.train()


def _validate(model: nn.Module, val_loss_fn: LossFn, val_data: Sequence[torch.Tensor],
              step: int, lr: float) -> torch.Tensor:
    """The (M,) validation loss, without dropout or gradients; raises if not finite."""
    model.eval()
    with torch.no_grad():
        val = val_loss_fn(model, val_data).detach()
    model.train()
    if not torch.isfinite(val).all():
        bad = float(val[~torch.isfinite(val)][0])
        raise TrainingDiverged(divergence_message(step, bad, lr))
    return val


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

    Every step: one Adam step on one batch (:func:`batches`). Every ``config.eval_every``
    steps and after the last: the divergence check (:meth:`LossLog.check`), the validation
    loss and early stopping (:class:`EarlyStopping`), and a progress report.

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
            after the last step, in eval mode without gradients (see :data:`Snapshot`); once
            more, with the last step's number, when validation hands members back earlier
            weights, so that the last call sees the weights the model keeps.
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
    flat = flatten_parameters(trainable(model))
    optimiser: torch.optim.Adam | FlatAdam
    if flat is not None and FlatAdam.supported(flat):
        optimiser = FlatAdam(flat, config.lr, config.weight_decay, config.adam_beta2)
    else:
        optimiser = make_adam([flat] if flat is not None else trainable(model), config.lr,
                              config.weight_decay, config.adam_beta2)
    val_loss_fn = val_loss_fn or loss_fn
    stopping = None
    if val_data is not None and (config.patience is not None or config.restore_best):
        margin = config.restore_margin if config.patience is None else 0.0
        stopping = EarlyStopping(config.patience, margin)
    log = LossLog()
    eval_steps: list[int] = []
    val_losses: list[np.ndarray] = []
    lo, hi = progress_range
    look_every = snapshot_every or config.eval_every
    ones: torch.Tensor | None = None

    model.train()
    # A loss may come with its gradient written by hand (``loss_fn.lean_for(model)``: a
    # ``step(batch) -> loss`` that overwrites every ``.grad``, or None where it does not apply).
    lean_for = getattr(loss_fn, "lean_for", None)
    lean = lean_for(model) if lean_for is not None and flat is not None else None
    with flushed_denormals():  # identical results, without the CPU's slow path
        for step, batch in zip(range(1, config.steps + 1),
                               batches(data, config.batch_size, config.seed), strict=False):
            if config.lr_schedule != "constant":
                optimiser.param_groups[0]["lr"] = step_lr(config, step)
            if lean is not None:
                loss_members = lean(batch)
            else:
                loss_members = loss_fn(model, batch)
                if flat is not None:
                    flat.grad.zero_()  # one call; backward accumulates into the views in place
                else:
                    optimiser.zero_grad(set_to_none=True)  # a torch.optim.Adam
                if ones is None or ones.shape != loss_members.shape:
                    ones = torch.ones_like(loss_members)
                # The gradient of the members' sum, without a sum node: one for every member.
                loss_members.backward(ones)
            optimiser.step()
            log.append(loss_members)

            stop = False
            if step % config.eval_every == 0 or step == config.steps:
                log.check(step, config.lr)
                if val_data is not None:
                    val = _validate(model, val_loss_fn, val_data, step, config.lr)
                    eval_steps.append(step)
                    val_losses.append(val.cpu().numpy())
                    if stopping is not None:
                        stop = stopping.update(step, val, model)
                if progress is not None:
                    progress(lo + (hi - lo) * step / config.steps,
                             f"{label}: step {step} of {config.steps}")
            if snapshot is not None and (step % look_every == 0 or step == config.steps or stop):
                _look(snapshot, step, model, log)
            if stop:
                break

    # A live view ends on the weights the model keeps.
    if stopping is not None and stopping.restore(model) and snapshot is not None:
        _look(snapshot, len(log), model, log)
    model.eval()
    train_loss = log.numpy()
    m = train_loss.shape[1] if train_loss.ndim == 2 else 1
    kept = stopping.best_step if stopping is not None else None
    return TrainHistory(
        train_loss=train_loss.reshape(len(log), m),
        eval_steps=np.asarray(eval_steps, dtype=int),
        val_loss=np.asarray(val_losses, dtype=float).reshape(len(val_losses), m),
        best_step=(kept.cpu().numpy().astype(int) if kept is not None
                   else np.full(m, len(log), dtype=int)),
        steps_run=len(log),
    )
