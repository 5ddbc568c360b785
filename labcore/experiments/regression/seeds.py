"""One Regression config over N seeds ("Repeat × N"): the seeds' networks trained together.

:func:`run_regression_seeds` returns what
:func:`~labcore.experiments.regression.run.run_regression` returns for
``config.replace(seed=config.seed + k)``, k = 0 … N − 1, to the bit. Where it can, it trains
the seeds as one batched network: each seed's data and networks are built as
:func:`~labcore.experiments.regression.fit.fit` builds them, the members of all seeds are
stacked along the member dimension (:meth:`~labcore.models.mlp.BatchedMLP.stacked`), each
member sees its own seed's standardised data, and one training loop trains them all. Members
never interact (the loop minimises the sum of their losses, so each gets the gradient it would
get alone; Adam is elementwise; validation, restoring and early stopping are per member), so
every seed ends with its own run's weights, given two corrections for CPU kernels that round
by position or batch size (:class:`AdamPaths`, :class:`OutputByMember`). Each seed's networks
and history are then split off and measured by
:func:`~labcore.experiments.regression.run.measure` as in its own run.

The seeds train together on the CPU for a method without dropout ("none" or "ensemble"), on
the full batch, when every seed's training and validation sets have the same sizes. MC dropout draws
the masks of all members from one generator, and mini-batches come in each seed's own order,
so those configs run seed after seed. The time limit covers the whole repeat: N runs of the
config, as if they ran one after another (:func:`check_repeat`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from labcore.budget import check_computation
from labcore.device import default_device
from labcore.errors import SettingError
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.cost import ADVICE, run_parts
from labcore.experiments.regression.fit import (
    Fitted,
    build_model,
    check_fit,
    loss_fn,
    standardised,
    train_config,
    variance_knots,
)
from labcore.experiments.regression.problem import Problem, generated_problem
from labcore.experiments.regression.run import RegressionResult, measure, run_regression
from labcore.models.mlp import BatchedMLP
from labcore.models.train import (
    EarlyStopping,
    FlatAdam,
    LossFn,
    Progress,
    TrainConfig,
    TrainHistory,
    TrainingDiverged,
    make_adam,
    step_lr,
    train,
)

MAX_SEEDS = 20
TRAINING_SHARE = 0.9
"""The part of the progress bar the stacked training fills (the seeds' measuring the rest)."""
QUANTILE_TRAINING_SHARE = 0.5
"""The same with the quantile band, whose networks each seed trains while it is measured."""

__all__ = ["MAX_SEEDS", "check_repeat", "run_regression_seeds", "stackable"]


def check_repeat(config: RegressionConfig, n: int) -> float:
    """Refuse a repeat over ``n`` seeds before anything trains: ``n`` outside 1 … 20, or ``n``
    runs of ``config`` estimated together above the time limit (:mod:`labcore.budget`).

    Returns:
        The estimate in seconds.

    Raises:
        ValueError: "The number of seeds must be …", or "Repeating over N seeds would train
            for about … s …".
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SEEDS:
        raise SettingError(f"The number of seeds must be a whole number from 1 to "
                           f"{MAX_SEEDS}. Got {n!r}.")
    return check_computation(run_parts(config) * n, f"use fewer seeds, or {ADVICE}",
                             f"Repeating over {n} seeds")


def stackable(config: RegressionConfig, problems: Sequence[Problem]) -> bool:
    """Whether the seeds of ``problems`` can train as one batched network and each end as in
    its own run: no dropout, the full batch every step, training and validation sets of one
    size, on the CPU (whose kernels' rounding :class:`AdamPaths` and :class:`OutputByMember`
    match; a GPU's batched products may round differently for another batch size, so there
    the seeds run one by one)."""
    sizes = {(p.training_set()[0].size, p.val[0].size) for p in problems}
    if (config.method not in ("none", "ensemble") or len(sizes) != 1
            or default_device().type != "cpu"):
        return False
    n_train = next(iter(sizes))[0]
    return config.batch_size == 0 or config.batch_size >= n_train


def _part(progress: Progress | None, lo: float, hi: float, prefix: str) -> Progress | None:
    """``progress`` with its fractions mapped into [lo, hi] and its messages prefixed."""
    if progress is None:
        return None

    def report(fraction: float, message: str) -> None:
        progress(lo + (hi - lo) * fraction, f"{prefix}{message}")

    return report


def run_regression_seeds(config: RegressionConfig, n: int, progress: Progress | None = None
                         ) -> tuple[RegressionResult, ...]:
    """The results of ``run_regression(config.replace(seed=config.seed + k))`` for k = 0 …
    ``n`` − 1, trained together where :func:`stackable` allows.

    Args:
        config: the experiment of the first seed.
        n: how many seeds, 1 to :data:`MAX_SEEDS`.
        progress: ``progress(fraction, message)`` across the whole repeat, every few steps.

    Raises:
        ValueError: ``n`` out of range, the repeat is estimated above the time limit, a seed
            would pass the seed's limit (9999), or a seed's training diverged (the first such
            seed's own run's message).
    """
    check_repeat(config, n)
    configs = [config.replace(seed=config.seed + k) for k in range(n)]
    problems = [generated_problem(c) for c in configs]
    if stackable(config, problems):
        stacked = _run_stacked(configs, problems, progress)
        if stacked is not None:
            return stacked
    results = []
    for k, c in enumerate(configs):
        results.append(run_regression(c, _part(progress, k / n, (k + 1) / n,
                                               f"Seed {k + 1} of {n}: ")))
    return tuple(results)


class _Unstackable(RuntimeError):
    """The training loop no longer works as :class:`AdamPaths` relies on."""


def _run_stacked(configs: list[RegressionConfig], problems: list[Problem],
                 progress: Progress | None, what: str = "seeds"
                 ) -> tuple[RegressionResult, ...] | None:
    """Train every seed's networks as one batched network, then measure each seed.

    ``what`` names the configs in the progress message ("Training 3 seeds × 5 networks
    together"). Returns None when the training diverged: the seeds then run one by one, so
    that the first seed that diverges says so with its own run's message (a seed whose members
    all stopped early trains on here with the others, and may diverge only here).
    """
    config, n = configs[0], len(configs)
    device = default_device()
    data = [standardised(p, device) for p in problems]
    models = [build_model(c, device) for c in configs]
    m = models[0].members
    # One network per seed: torch multiplies a single member's matrices with other kernels
    # than a batch of them where a side is one wide, so the stacked model does that too.
    stack = OutputByMember if m == 1 else BatchedMLP
    model = stack.stacked(models)
    n_train, n_val = data[0][1][0].shape[0], data[0][2][0].shape[0]
    # (n·m, rows, 1) inputs and (n·m, rows) targets: each member its own seed's data.
    xt = torch.cat([x.unsqueeze(0).expand(m, -1, -1) for _, (x, _), _ in data])
    yt = torch.cat([y.unsqueeze(0).expand(m, -1) for _, (_, y), _ in data])
    xv = torch.cat([x.unsqueeze(0).expand(m, -1, -1) for _, _, (x, _) in data])
    yv = torch.cat([y.unsqueeze(0).expand(m, -1) for _, _, (_, y) in data])
    settings = dataclasses.replace(train_config(config, problems[0], n_val), batch_size=None)
    share = QUANTILE_TRAINING_SHARE if config.quantile_band else TRAINING_SHARE
    networks = f"{m} network{'s' if m > 1 else ''}"
    paths = AdamPaths(model, n, settings)
    try:
        history = train(model, paths.wrap(loss_fn(config, n_train), training=True), (xt, yt),
                        settings, val_data=(xv, yv), val_loss_fn=paths.wrap(loss_fn(config)),
                        progress=progress, progress_range=(0.0, share),
                        label=f"Training {n} {what} × {networks} together")
    except (TrainingDiverged, _Unstackable):
        return None
    paths.sync()
    fitted = []
    for k, (scaler, (x, y), (x_v, y_v)) in enumerate(data):
        part = model.select(k * m, (k + 1) * m)
        check_fit(part, x, y, configs[k])
        fitted.append(Fitted(part, scaler, _seed_history(history, slice(k * m, (k + 1) * m),
                                                         settings.patience),
                             x, y, x_v, y_v, variance_knots(x)))
    step = (1.0 - share) / n
    return tuple(
        measure(c, p, f, _part(progress, share + k * step, share + (k + 1) * step,
                               f"Seed {k + 1} of {n}: "), 0.0)
        for k, (c, p, f) in enumerate(zip(configs, problems, fitted, strict=True)))


class OutputByMember(BatchedMLP):
    """A stacked model of one-network seeds whose first and last layers run member by member
    (a batch of one each), the way a one-member model runs them.

    Where a product has a side one wide — the last layer's single output, and the first
    layer's weight gradient, (1 × rows) · (rows × hidden) for the one input feature — torch
    multiplies a batch of one with another kernel than a larger batch, and on some CPUs the two
    round differently (the single output on the machines this was first built on; the first
    layer's gradient also on an AVX-512 Xeon, by 1 ulp, which 500 steps carry into the
    predictions). Running those layers member by member makes autograd's backward do the
    same. The hidden-to-hidden layers run batched (their products round the same for any
    batch). No dropout (the stacked seeds have none)."""

    def forward(self, x: torch.Tensor, dropout: bool | None = None) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.members, -1, -1)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if i in (0, last):
                x = torch.cat([torch.baddbmm(b_k.unsqueeze(0), x_k.unsqueeze(0), w_k.unsqueeze(0))
                               for b_k, x_k, w_k in zip(b.unbind(0), x.unbind(0), w.unbind(0),
                                                         strict=True)])
            else:
                x = torch.baddbmm(b, x, w)
            if i < last:
                x = torch.relu(x)
        return x


class AdamPaths:
    """Makes the stacked training's Adam steps those of each seed's own training, to the bit.

    :func:`~labcore.models.train.train` puts a model's parameters into one flat buffer and
    takes one fused Adam step over it. The CPU kernel updates a tensor in vectors from its
    start, in chunks of one cache line, and its last few elements one at a time, and the two
    ways may round differently (by 1 ulp, which training then amplifies). A seed's own run
    updates the last ``S mod CHUNK`` of its S parameters one at a time (CHUNK = 16 floats);
    in the stacked buffer they lie inside whole vectors, and the stacked buffer's own last
    elements are ones their seed updated in vectors. This object shadows exactly those
    elements (fewer than CHUNK per seed, and fewer than CHUNK more), steps the shadows with a
    second fused Adam of the same settings, each seed's group as a tensor of its own (so the
    kernel treats it as the last chunk of that seed's run) and the rest padded to a whole
    chunk (updated in vectors), and writes them over the main step's results.

    A training step is corrected when the model is next read: at the next training call or
    validation (:meth:`wrap`), which ``train`` makes after every step, and by :meth:`sync`
    after training, so validation, early stopping and restoring see exact weights.
    """

    def __init__(self, model: BatchedMLP, n: int, settings: TrainConfig) -> None:
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.settings = settings
        first = self.params[0]
        chunk = 64 // first.element_size()
        m = model.members // n
        per_seed = [p[0].numel() * m for p in self.params]  # each parameter's size per seed
        start = np.cumsum([0, *per_seed])
        single = int(start[-1])
        self.total = single * n

        def stacked_position(k: int, j: int) -> int:  # seed k's element j of its own buffer
            i = int(np.searchsorted(start, j, side="right")) - 1
            return int(n * start[i] + k * per_seed[i] + j - start[i])

        groups = ([[stacked_position(k, j) for j in range(single - single % chunk, single)]
                   for k in range(n)] if single % chunk else [])
        mapped = {pos for group in groups for pos in group}
        vector = [pos for pos in range(self.total - self.total % chunk, self.total)
                  if pos not in mapped]
        sizes = [len(g) for g in groups] + ([chunk] if vector else [])
        if vector:
            groups.append(vector)  # padded to a whole chunk with zeros
        self.optimiser = None
        self.steps_started = self.steps_corrected = 0
        if not groups:
            return
        positions = [pos for g in groups for pos in g]
        slots = [sum(sizes[:i]) + j for i, g in enumerate(groups) for j in range(len(g))]
        device = first.device
        self.index = torch.tensor(positions, dtype=torch.long, device=device)
        self.slots = torch.tensor(slots, dtype=torch.long, device=device)
        with torch.no_grad():
            flat = torch.cat([p.detach().reshape(-1) for p in self.params])
            self.values = torch.zeros(sum(sizes), dtype=first.dtype, device=device)
            self.values[self.slots] = flat[self.index]
        self.grads = torch.zeros_like(self.values)
        shadows = []
        for begin, size in zip(np.cumsum([0, *sizes[:-1]]).tolist(), sizes, strict=True):
            shadow = nn.Parameter(self.values[begin : begin + size])  # views: one gather
            shadow.grad = self.grads[begin : begin + size]
            shadows.append(shadow)
        # Adam's fused kernel over the shadows, called directly: torch.optim.Adam's step wraps
        # the same call in Python bookkeeping for each of its tensors (a sixth of a 20-seed
        # repeat's time).
        self.optimiser = (FlatAdam if FlatAdam.supported(shadows) else make_adam)(
            shadows, settings.lr, settings.weight_decay, settings.adam_beta2)
        self._flat: tuple[torch.Tensor, torch.Tensor] | None = None

    def _buffers(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The flat parameter and gradient buffers ``train`` made (its parameters are views of
        consecutive slices of them), checked once."""
        if self._flat is None:
            first = self.params[0]
            flat = torch.as_strided(first.data, (self.total,), (1,), first.storage_offset())
            grad = torch.as_strided(first.grad, (self.total,), (1,),
                                    first.grad.storage_offset())
            offset = 0
            for p in self.params:
                if (p.data_ptr() != flat[offset:].data_ptr()
                        or p.grad.data_ptr() != grad[offset:].data_ptr()):
                    raise _Unstackable("The training keeps the parameters in separate "
                                       "buffers; AdamPaths cannot correct its steps.")
                offset += p.numel()
            self._flat = flat, grad
        return self._flat

    def sync(self) -> None:
        """Correct the last step taken, if it is not yet corrected."""
        if self.optimiser is None or self.steps_corrected == self.steps_started:
            return
        flat, grad = self._buffers()
        if self.settings.lr_schedule != "constant":
            for group in self.optimiser.param_groups:
                group["lr"] = step_lr(self.settings, self.steps_started)
        with torch.no_grad():
            self.grads[self.slots] = grad[self.index]
            self.optimiser.step()
            flat[self.index] = self.values[self.slots]
        self.steps_corrected = self.steps_started

    def wrap(self, member_loss: LossFn, training: bool = False) -> LossFn:
        """``member_loss`` that first corrects the last step; a training loss also counts the
        step it starts."""

        def start() -> None:
            self.sync()
            if training:
                self.steps_started += 1

        def loss(model: nn.Module, batch) -> torch.Tensor:
            start()
            return member_loss(model, batch)

        lean_for = getattr(member_loss, "lean_for", None)
        if lean_for is not None:  # the step with its gradient by hand (see train), the same way

            def lean(model: nn.Module):
                step = lean_for(model)
                if step is None:
                    return None

                def corrected(batch) -> torch.Tensor:
                    start()
                    return step(batch)

                return corrected

            loss.lean_for = lean
        return loss


def _seed_history(history: TrainHistory, members: slice, patience: int | None) -> TrainHistory:
    """One seed's part of the stacked training's history, as its own training would have
    recorded it: its members' columns, cut where its own run would have stopped early.

    A seed's run stops at the first validation after which all its members have stopped
    (:class:`~labcore.models.train.EarlyStopping`); its stopped members trained on with the
    others, but the weights they end with are their best ones, as in their own run.
    """
    val_loss = history.val_loss[:, members]
    evals = len(history.eval_steps)
    if patience is not None:
        stopping, no_weights = EarlyStopping(patience), nn.Module()
        for e, step in enumerate(history.eval_steps):
            # the float32 losses the training compared, exactly (stored as float64)
            losses = torch.as_tensor(val_loss[e], dtype=torch.float32)
            if stopping.update(int(step), losses, no_weights):
                evals = e + 1
                break
    steps = (int(history.eval_steps[evals - 1]) if evals < len(history.eval_steps)
             else history.steps_run)
    return TrainHistory(
        train_loss=history.train_loss[:steps, members], eval_steps=history.eval_steps[:evals],
        val_loss=val_loss[:evals], best_step=history.best_step[members], steps_run=steps,
    )

