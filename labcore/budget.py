"""How long a training run will take, estimated before it starts, and the limit per run.

One Streamlit process serves a whole classroom, so no single run may hold a core for minutes.
Configs call :func:`check_training_time` in their ``check()``: settings whose estimate exceeds
the limit are refused with a message saying what to reduce, exactly like an out-of-range value.

The estimate is for the CPU with one torch thread (the lab's default): per Adam step a fixed
overhead plus the multiply-adds of the forward and backward pass (≈ 6 FLOP per weight per row)
at the rate measured here (about 50 GFLOP/s for 256-unit layers, less for small ones; the
estimate uses 40). On a GPU runs are faster, so the limit only errs on the safe side.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

SECONDS_LIMIT = 20.0
STEP_OVERHEAD_S = 5e-4
FLOP_PER_SECOND = 4e10


def mlp_training_seconds(steps: int, members: int, rows: int, dims: Sequence[int]) -> float:
    """Estimated seconds to train ``members`` MLPs with layer widths ``dims`` for ``steps``.

    Args:
        steps: Adam steps.
        members: networks trained together (ensemble members, or several models).
        rows: samples per step (the batch, or the whole training set when full-batch).
        dims: layer widths from input to output, e.g. (1, 64, 64, 2).
    """
    weights = sum(a * b for a, b in itertools.pairwise(dims))
    return steps * (STEP_OVERHEAD_S + 6.0 * members * rows * weights / FLOP_PER_SECOND)


def check_training_time(seconds: float, advice: str) -> None:
    """Refuse settings whose estimated training time exceeds :data:`SECONDS_LIMIT`.

    Raises:
        ValueError: "These settings would train for about N s …; <advice>. Got about N s."
    """
    if seconds > SECONDS_LIMIT:
        raise ValueError(
            f"These settings would train for about {seconds:.0f} s, longer than the "
            f"{SECONDS_LIMIT:.0f} s one run may take on a shared classroom server; {advice}. "
            f"Got about {seconds:.0f} s."
        )
