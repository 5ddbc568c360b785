"""The training loop's snapshot hook (live views): a watched training ends where an unwatched
one does, and each snapshot sees the model and the losses of the steps taken so far."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from labcore.models.mlp import BatchedMLP
from labcore.models.train import TrainConfig, train


def _problem(dropout: float) -> tuple[BatchedMLP, list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    x = torch.linspace(-2, 2, 40).unsqueeze(1)
    y = torch.sin(2 * x) + 0.1 * torch.randn(x.shape, generator=gen)
    return BatchedMLP(3, 1, 1, hidden=16, dropout=dropout, seed=1), [x, y]


def _mse(model: torch.nn.Module, batch: list[torch.Tensor]) -> torch.Tensor:
    x, y = batch
    return ((model(x) - y) ** 2).mean(dim=(1, 2))


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_a_watched_training_ends_with_the_same_weights(dropout: float) -> None:
    # With dropout the training draws masks from torch's global generator: a snapshot that
    # drew random numbers, or left the model in eval mode, would change every later step.
    config = TrainConfig(steps=120, lr=1e-2, eval_every=25, batch_size=16, seed=3)
    runs = []
    for watch in (False, True):
        torch.manual_seed(11)
        model, data = _problem(dropout)
        frames: list[tuple[int, bool, tuple[int, ...]]] = []

        def look(step: int, m: torch.nn.Module, loss: np.ndarray,
                 frames: list = frames, x: torch.Tensor = data[0]) -> None:
            m(x)  # a prediction on the inputs, as a live chart makes
            frames.append((step, m.training, loss.shape))

        history = train(model, _mse, data, config, snapshot=look if watch else None,
                        snapshot_every=10)
        runs.append(([p.detach().clone() for p in model.parameters()], history, frames))
    (plain, h0, _), (watched, h1, frames) = runs
    assert all(torch.equal(a, b) for a, b in zip(plain, watched, strict=True))
    np.testing.assert_array_equal(h0.train_loss, h1.train_loss)
    # Every 10 steps and after the last one (120 is a multiple: no extra frame).
    assert [s for s, _, _ in frames] == list(range(10, 121, 10))
    assert not any(training for _, training, _ in frames)  # eval mode inside the snapshot
    assert [shape for _, _, shape in frames] == [(s, 3) for s in range(10, 121, 10)]


def test_the_last_step_is_always_shown() -> None:
    model, data = _problem(0.0)
    steps: list[int] = []
    train(model, _mse, data, TrainConfig(steps=45, eval_every=25),
          snapshot=lambda step, m, loss: steps.append(step))
    assert steps == [25, 45]


def test_snapshot_every_must_be_positive() -> None:
    model, data = _problem(0.0)
    with pytest.raises(ValueError, match="Got 0"):
        train(model, _mse, data, TrainConfig(steps=5), snapshot=lambda *a: None,
              snapshot_every=0)
