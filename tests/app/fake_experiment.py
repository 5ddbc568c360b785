"""A tiny fake experiment for testing labui: one field of each kind and a run that counts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

import numpy as np

from labcore.config import Config, param

CALLS = {"run_fake": 0}  # how many times run_fake really computed


@dataclasses.dataclass(frozen=True)
class FakeConfig(Config):
    """Settings of the fake experiment."""

    # how many points to make; a slider (5 … 2000 in steps of 5)
    n: int = param(
        20, label="Points", help="How many points.", min=5, max=2000, step=5, group="Data"
    )
    # noise level; a plain float slider
    noise: float = param(
        0.1, label="Noise", help="How noisy.", min=0.0, max=1.0, step=0.05, group="Data"
    )
    # learning rate; a log-scale select slider
    lr: float = param(
        0.01,
        label="Learning rate",
        help="Step size.",
        min=1e-4,
        max=1.0,
        log=True,
        group="Training",
    )
    # whether dropout is on; a toggle
    dropout: bool = param(False, label="Dropout", help="Switch dropout on.", group="Training")
    # which loss; a select box with display names
    loss: Literal["mse", "nll"] = param(
        "mse",
        label="Loss",
        help="What to minimise.",
        choices={"mse": "Mean squared error", "nll": "Gaussian NLL"},
        group="Training",
    )
    # random seed; a number input (the range is too wide for a slider)
    seed: int = param(0, label="Seed", help="Same seed, same result.", min=0, max=1_000_000)

    def check(self) -> None:
        """The Gaussian NLL needs at least 10 points (a cross-field rule)."""
        super().check()
        if self.loss == "nll" and self.n < 10:
            raise ValueError(f"Points (n) must be at least 10 with the Gaussian NLL. Got {self.n}.")


@dataclasses.dataclass(frozen=True)
class FakeResult:
    """What the fake run returns: ``n`` numbers."""

    values: np.ndarray
    mean: float


def run_fake(
    config: FakeConfig, progress: Callable[[float, str], None] | None = None
) -> FakeResult:
    """Count the call, report progress twice and return ``lr * arange(n)``."""
    CALLS["run_fake"] += 1
    if progress is not None:
        progress(0.5, "halfway")
        progress(1.0, "done")
    values = config.lr * np.arange(config.n, dtype=float)
    return FakeResult(values=values, mean=float(values.mean()))


PRESETS = {
    "Big data": FakeConfig(n=500, noise=0.3),
    "Fast learner": FakeConfig(lr=0.003, dropout=True, loss="nll"),
}
