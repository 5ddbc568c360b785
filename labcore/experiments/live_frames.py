"""Train live's frame rules, the same for every lab's live runner.

A live runner hands the training loop a snapshot hook (:data:`labcore.models.train.Snapshot`)
that turns each look at the model into a small frozen frame and passes it to ``on_frame``:

- **When**: every ``every`` steps and after the last step (the training loop's rule);
  :func:`frame_interval` spaces a run's frames so that it shows a bounded number of them, and
  :func:`resolve_every` checks a caller's own spacing.
- **The kept weights**: when the validation points hand members back earlier weights, the
  loop looks once more with the last step's number, so that the last frame shows the weights
  the model keeps. That frame replaces the one at the same step (:func:`record_frame`), so a
  replay has one frame per step and ends on the kept weights.
- **What every frame carries**: its step, the steps asked for, and the loss of every step so
  far, averaged over the members (:func:`frame_hook`).
- **Replay**: :func:`keep_frames` thins a run's frames evenly, keeping the first and the last.

How often a page may redraw (pacing) is the page's business: ``labui.live.RedrawPacer``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import numpy as np
from torch import nn

from labcore.models.train import Snapshot, evenly_spaced


class Frame(Protocol):
    """What every lab's live frame has."""

    @property
    def step(self) -> int: ...  # steps taken so far

    @property
    def total_steps(self) -> int: ...  # steps the run was asked for

    @property
    def train_loss(self) -> np.ndarray: ...  # (step,) loss so far, mean over members


F = TypeVar("F", bound=Frame)
T = TypeVar("T")
MakeFrame = Callable[[int, nn.Module, np.ndarray], T]
"""``make_frame(step, model, train_loss) -> frame``, with ``train_loss`` (step,) the members'
mean loss of every step so far; called in eval mode without gradients."""


def frame_interval(steps: int, frames: int, at_least: int = 1) -> int:
    """Steps between frames: ``⌈steps / frames⌉``, so that a run shows at most ``frames`` of
    them (and the last step), but never fewer than ``at_least`` steps apart.

    >>> frame_interval(500, 40, at_least=20), frame_interval(2000, 40, at_least=20)
    (20, 50)
    >>> frame_interval(400, 25), frame_interval(50, 25)
    (16, 2)
    """
    return max(at_least, math.ceil(steps / frames))


def resolve_every(frame_every: int | None, default: int) -> int:
    """The caller's ``frame_every``, or ``default`` when None; refuses fewer than 1 step.

    >>> resolve_every(None, 16), resolve_every(5, 16)
    (16, 5)
    """
    every = default if frame_every is None else frame_every
    if every < 1:
        raise ValueError(f"frame_every must be at least 1 or None. Got {every}.")
    return every


def member_mean(train_loss: np.ndarray) -> np.ndarray:
    """(steps,) the mean over members of a (steps, M) loss (a (steps,) loss as it is).

    >>> member_mean(np.array([[1.0, 3.0], [2.0, 4.0]])).tolist()
    [2.0, 3.0]
    """
    return train_loss.reshape(train_loss.shape[0], -1).mean(axis=1)


def frame_hook(make_frame: MakeFrame[T], on_frame: Callable[[T], None]) -> Snapshot:
    """The training loop's snapshot hook that makes a frame of each look and hands it on."""

    def snapshot(step: int, model: nn.Module, train_loss: np.ndarray) -> None:
        on_frame(make_frame(step, model, member_mean(train_loss)))

    return snapshot


def record_frame(frames: list[F], frame: F) -> None:
    """Append ``frame`` to a run's ``frames``, or replace the last one when it has the same
    step: the weights the model keeps, shown where the training ended.

    >>> from types import SimpleNamespace as Look
    >>> frames = []
    >>> for step, weights in [(20, "a"), (40, "b"), (40, "kept")]:
    ...     record_frame(frames, Look(step=step, weights=weights))
    >>> [(f.step, f.weights) for f in frames]
    [(20, 'a'), (40, 'kept')]
    """
    if frames and frames[-1].step == frame.step:
        frames[-1] = frame
    else:
        frames.append(frame)


def keep_frames(frames: Sequence[T], at_most: int) -> list[T]:
    """At most ``at_most`` frames, evenly spaced, always with the first and the last.

    >>> keep_frames(list(range(10)), 4)  # any sequence works
    [0, 3, 6, 9]
    """
    return evenly_spaced(frames, at_most)
