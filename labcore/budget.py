"""How long a computation will take, estimated before it starts, and the limit per click.

One Streamlit process serves a whole classroom, so nothing one click starts may hold a core
for minutes. Every run function and sweep is checked as a whole before it starts: its parts —
each :class:`Training` (optimiser steps, with its validation passes), each :class:`Forward`
(predictions after training: test-time views, MC-dropout passes, grids) and any other work in
seconds — are summed by :func:`computation_seconds`, and :func:`check_computation` refuses a
sum above :data:`SECONDS_LIMIT` with a message saying what to reduce, exactly like an
out-of-range value. Configs do it in their ``check()``; sweeps and runs that train several
configs at their start.

The estimate is CPU time with one torch thread (the lab's default). Its constants were fitted
to CPU times measured on the 2-core machine this lab is served from, with other work running
(:mod:`benchmarks.bench_budget` re-measures a grid of every page's configs and reports
estimate ÷ measured). Per optimiser step: a fixed overhead, one per layer, one per mini-batch
draw, the loss's own; per member and row: the multiply-adds of the forward and backward pass
(6 FLOP per weight) at :data:`FLOP_PER_SECOND`, the element-wise work on every hidden unit
(ReLU, bias, the thin first and last layers: :data:`UNIT_S`), random masks under dropout;
per member and weight: Adam's update. A forward pass costs 2 FLOP per weight per row plus its
element-wise work. On a GPU runs are faster, so the limit only errs on the safe side.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from typing import Literal

from labcore.errors import SettingError

SECONDS_LIMIT = 20.0

STEP_OVERHEAD_S = 1.9e-4
"""Per optimiser step: the Python loop, the optimiser call, the loss's bookkeeping."""
LAYER_S = 3.0e-5
"""Per layer and step: its kernels in the forward and backward pass and in Adam."""
MINIBATCH_S = 3.5e-5
"""Per step that draws a mini-batch (the index, the gathered rows)."""
FLOP_PER_SECOND = 9.0e10
"""Multiply-adds of the layers' matrix products (a FLOP each)."""
CACHED_UNITS = 2**18
"""Activations of one layer (all rows and members) that stay in the core's cache (1 MB)."""
LARGE_UNIT_S = 5.0e-9
"""Extra per hidden unit beyond :data:`CACHED_UNITS` in one layer: read from main memory."""
DROPOUT_UNIT_S = 6.0e-9
"""Per hidden unit, row and member with dropout on: drawing and applying the mask."""
PARAMETER_S = 1.6e-9
"""Per weight and member in a training step: Adam's update and the gradient buffers."""
FORWARD_FLOP_PER_SECOND = 1.5e11
"""Multiply-adds of a forward pass without gradients (many rows at once)."""
OUTPUT_S = 1.0e-8
"""Per output, row and member of a forward pass: turning logits into probabilities, scores
and numpy arrays."""

LossKind = Literal["plain", "gaussian", "ce", "uanll"]
LOSS_STEP_S: dict[str, float] = {"plain": 0.0, "gaussian": 1.5e-4, "ce": 0.0, "uanll": 6.5e-5}
"""A loss's own overhead per step (the variance head's bounded log-variance, UANLL's σ)."""
LOSS_ROW_S: dict[str, float] = {"plain": 3e-8, "gaussian": 2.1e-7, "ce": 9e-8, "uanll": 5e-7}
"""A loss's element-wise work per row and member in a step."""


def _layer_sizes(dims: Sequence[int]) -> tuple[int, int, int]:
    """(weights, parameters, hidden units) of an MLP with layer widths ``dims``."""
    weights = sum(a * b for a, b in itertools.pairwise(dims))
    return weights, weights + sum(dims[1:]), sum(dims[1:-1])


def _large_units(dims: Sequence[int], rows: int) -> int:
    """Hidden activations beyond :data:`CACHED_UNITS` in each layer of ``rows`` rows."""
    return sum(max(0, rows * width - CACHED_UNITS) for width in dims[1:-1])


@dataclasses.dataclass(frozen=True)
class Forward:
    """Forward passes without gradients: ``rows`` inputs through ``members`` networks.

    Attributes:
        rows: inputs, counting every view and every MC-dropout pass.
        members: networks each input goes through (an ensemble's members; 1 for MC dropout,
            whose passes are rows).
        dims: layer widths from input to output, e.g. (64, 512, 11).
        dropout: masks drawn on every hidden unit (MC dropout).
    """

    rows: int
    members: int
    dims: tuple[int, ...]
    dropout: bool = False

    def seconds(self) -> float:
        """Estimated CPU seconds."""
        weights, _, units = _layer_sizes(self.dims)
        per_row = (2.0 * weights / FORWARD_FLOP_PER_SECOND
                   + self.dropout * DROPOUT_UNIT_S * units + OUTPUT_S * self.dims[-1])
        rows = self.members * self.rows
        return rows * per_row + LARGE_UNIT_S * _large_units(self.dims, rows)


@dataclasses.dataclass(frozen=True)
class Training:
    """``steps`` Adam steps of ``members`` MLPs trained together, with their validation passes.

    Attributes:
        steps: Adam steps.
        members: networks trained together (ensemble members, or several models).
        rows: samples per step (the batch, or the whole training set when full-batch).
        dims: layer widths from input to output, e.g. (1, 64, 64, 2).
        minibatch: each step draws a mini-batch from a larger set.
        dropout: dropout masks on every hidden unit while training.
        loss: "plain" (MSE, pinball, Brier), "gaussian" (a variance head), "ce" or "uanll".
        evals: validation passes during training; eval_rows: rows of each.
    """

    steps: int
    members: int
    rows: int
    dims: tuple[int, ...]
    minibatch: bool = False
    dropout: bool = False
    loss: LossKind = "plain"
    evals: int = 0
    eval_rows: int = 0

    def seconds(self) -> float:
        """Estimated CPU seconds."""
        weights, params, units = _layer_sizes(self.dims)
        per_step = (STEP_OVERHEAD_S + LAYER_S * (len(self.dims) - 1)
                    + MINIBATCH_S * self.minibatch + LOSS_STEP_S[self.loss])
        per_row = (6.0 * weights / FLOP_PER_SECOND + self.dropout * DROPOUT_UNIT_S * units
                   + LOSS_ROW_S[self.loss])
        step = (per_step + self.members * (self.rows * per_row + PARAMETER_S * params)
                + LARGE_UNIT_S * _large_units(self.dims, self.members * self.rows))
        validation = Forward(self.evals * self.eval_rows, self.members, self.dims).seconds()
        return self.steps * step + validation


Part = Training | Forward | float
"""One part of a computation: a training, forward passes, or other work in seconds."""


def computation_seconds(parts: Iterable[Part]) -> float:
    """Estimated CPU seconds of a whole computation: the sum of its parts."""
    return sum(part if isinstance(part, int | float) else part.seconds() for part in parts)


def mlp_training_seconds(steps: int, members: int, rows: int, dims: Sequence[int]) -> float:
    """Estimated seconds to train ``members`` MLPs with layer widths ``dims`` for ``steps``
    full-batch steps of a plain loss, without validation: ``Training(...).seconds()``.

    Args:
        steps: Adam steps.
        members: networks trained together (ensemble members, or several models).
        rows: samples per step (the batch, or the whole training set when full-batch).
        dims: layer widths from input to output, e.g. (1, 64, 64, 2).
    """
    return Training(steps, members, rows, tuple(dims)).seconds()


def check_training_time(seconds: float, advice: str, what: str = "These settings") -> None:
    """Refuse a computation whose estimated time exceeds :data:`SECONDS_LIMIT`.

    Raises:
        SettingError: "<what> would train for about N s …; <advice>. Got about N s."
    """
    if seconds > SECONDS_LIMIT:
        raise SettingError(
            f"{what} would train for about {seconds:.0f} s, longer than the "
            f"{SECONDS_LIMIT:.0f} s one run may take on a shared classroom server; {advice}. "
            f"Got about {seconds:.0f} s."
        )


def check_computation(parts: Iterable[Part], advice: str, what: str = "These settings"
                      ) -> float:
    """Estimate a whole computation (:func:`computation_seconds`) and refuse it when the sum
    exceeds :data:`SECONDS_LIMIT`; call it before the first part starts.

    Args:
        parts: every training, forward pass and other work the computation will do.
        advice: what to reduce, e.g. "use fewer training steps or hidden units".
        what: the subject of the message, e.g. "This sweep (6 trainings)".

    Returns:
        The estimate in seconds.

    Raises:
        SettingError: "<what> would train for about N s …; <advice>. Got about N s."
    """
    seconds = computation_seconds(parts)
    check_training_time(seconds, advice, what)
    return seconds
