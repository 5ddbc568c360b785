"""When a training stops: divergence (:class:`LossLog`) and each member's early stopping with
its best weights (:class:`EarlyStopping`), the parts of :func:`labcore.models.train.train`
that watch the losses.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from labcore.errors import SettingError


class TrainingDiverged(SettingError):
    """The loss became NaN or infinite, or exploded; the message says what to change."""


BLOW_UP = 100.0
"""The loss has exploded when its recent mean exceeds ``first + BLOW_UP · (|first| + 1)``,
where ``first`` is the loss of the first step. A finite but exploded loss happens when a too
high learning rate throws the weights far away while a clamp (e.g. on the log-variance) keeps
the loss itself finite; no training that is working ever grows its loss a hundredfold."""


def divergence_message(step: int, value: float, lr: float) -> str:
    """What a user reads when the loss became NaN, infinite or huge at ``step``."""
    kind = "NaN" if math.isnan(value) else "infinite" if math.isinf(value) else "huge"
    return (
        f"Training diverged at step {step}: the loss became {kind}. The learning rate "
        f"({lr:g}) is probably too high for this model and data; try {lr / 10:g} or lower, "
        f"or fewer hidden units. Got loss = {value}."
    )


class LossLog:
    """The (M,) training loss of every step, checked for divergence since the last check."""

    def __init__(self) -> None:
        self._losses: list[torch.Tensor] = []
        self._checked = 0

    def __len__(self) -> int:
        return len(self._losses)

    def append(self, loss: torch.Tensor) -> None:
        """Record one step's (M,) loss (detached; stays on its device until read)."""
        self._losses.append(loss.detach() if loss.requires_grad else loss)

    def numpy(self) -> np.ndarray:
        """(steps, M) every loss so far."""
        return torch.stack(self._losses).cpu().numpy()

    def check(self, step: int, lr: float) -> None:
        """Raise :class:`TrainingDiverged` if a loss since the last check is NaN or infinite,
        or their mean has exploded (:data:`BLOW_UP`) above the first step's loss.

        Reading the losses waits for the device, so the loop checks only every few steps.
        """
        recent = torch.stack(self._losses[self._checked :])
        if not torch.isfinite(recent).all():
            flat = recent.cpu().numpy()
            bad_row = int(np.argmax(~np.isfinite(flat).all(axis=1)))
            value = float(flat[bad_row][~np.isfinite(flat[bad_row])][0])
            raise TrainingDiverged(divergence_message(self._checked + bad_row + 1, value, lr))
        first = self._losses[0].float()
        recent_mean = recent.float().mean(dim=0)
        exploded = recent_mean > first + BLOW_UP * (first.abs() + 1)
        if bool(exploded.any()):
            raise TrainingDiverged(divergence_message(step, float(recent_mean[exploded][0]), lr))
        self._checked = len(self._losses)


def trainable(model: nn.Module) -> list[nn.Parameter]:
    """The parameters of ``model`` that train."""
    return [p for p in model.parameters() if p.requires_grad]


def _per_member(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(M,) ``mask`` shaped to broadcast over a parameter ``like`` (M, ...)."""
    return mask.view(-1, *([1] * (like.dim() - 1)))


class EarlyStopping:
    """Each member's best validation loss so far, the step and the weights it had then, and
    how many evaluations ago that was; the members' own early stopping and their weights'
    restoring, in one object.

    A member stops when ``patience`` evaluations in a row have not beaten its best; later
    improvements (while others train on) no longer count for it. Training stops when every
    member has stopped. :meth:`restore` then gives a stopped member its best weights, and one
    that trained to the end too if its last validation loss is worse than its best by more
    than ``margin`` (``patience`` None: only restoring, no stopping).

    Example (one member, patience 2; the losses 3, 2, 2.5, 2.1 at steps 10 to 40):
        >>> model = nn.Linear(1, 1)
        >>> stopping = EarlyStopping(patience=2)
        >>> [stopping.update(s, torch.tensor([v]), model) for s, v in
        ...  [(10, 3.0), (20, 2.0), (30, 2.5), (40, 2.1)]]
        [False, False, False, True]
        >>> stopping.best_step.tolist(), stopping.best_val.tolist()
        ([20.0], [2.0])
    """

    def __init__(self, patience: int | None, margin: float = 0.0) -> None:
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be at least 1 or None. Got {patience}.")
        self.patience = patience
        self.margin = margin
        self.best_val: torch.Tensor | None = None  # (M,)
        self.best_step: torch.Tensor | None = None  # (M,), of the validation loss's dtype
        self.since_best: torch.Tensor | None = None  # (M,) evaluations since the best
        self.stopped: torch.Tensor | None = None  # (M,) bool
        self.last_val: torch.Tensor | None = None
        self.last_step = 0
        self._weights: list[torch.Tensor] = []  # each trainable parameter at the best step

    def update(self, step: int, val_loss: torch.Tensor, model: nn.Module) -> bool:
        """Take the (M,) validation loss after ``step``; True when every member has stopped."""
        params = trainable(model)
        if self.best_val is None:
            self.best_val = val_loss.clone()
            self._weights = [p.detach().clone() for p in params]
            self.best_step = torch.full_like(val_loss, step)
            self.since_best = torch.zeros_like(val_loss)
            self.stopped = torch.zeros_like(val_loss, dtype=torch.bool)
        else:
            improved = (val_loss < self.best_val) & ~self.stopped
            self.best_val = torch.where(improved, val_loss, self.best_val)
            self.best_step = torch.where(improved, torch.full_like(val_loss, step),
                                         self.best_step)
            self.since_best = torch.where(improved, torch.zeros_like(val_loss),
                                          self.since_best + 1)
            for saved, p in zip(self._weights, params, strict=True):
                saved.copy_(torch.where(_per_member(improved, p), p.detach(), saved))
        self.last_val, self.last_step = val_loss, step
        if self.patience is None:
            return False
        self.stopped = self.stopped | (self.since_best >= self.patience)
        return bool(self.stopped.all())

    def restore(self, model: nn.Module) -> bool:
        """Give back best weights to the members that stopped or ended worse than their best
        by more than ``margin``; the others keep their last ones, and :attr:`best_step` then
        says the last step for them. Returns whether any member's weights changed."""
        if self.best_val is None:
            return False
        restore = self.stopped | (self.last_val > self.best_val + self.margin)
        self.best_step = torch.where(restore, self.best_step,
                                     torch.full_like(self.best_step, self.last_step))
        with torch.no_grad():
            for saved, p in zip(self._weights, trainable(model), strict=True):
                p.copy_(torch.where(_per_member(restore, p), saved, p))
        return bool(restore.any())
