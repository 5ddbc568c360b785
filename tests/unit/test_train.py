"""Tests for labcore.train: a batched ensemble trains exactly like independent networks."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from labcore.losses import gaussian_nll, mse
from labcore.models.mlp import BatchedMLP
from labcore.models.train import TrainConfig, TrainingDiverged, train


def _nll_loss(model: nn.Module, batch) -> torch.Tensor:
    out = model(batch[0])
    return gaussian_nll(out[..., 0], out[..., 1], batch[1], reduction="member")


def _mse_loss(model: nn.Module, batch) -> torch.Tensor:
    return mse(model(batch[0])[..., 0], batch[1], reduction="member")


class _Single(nn.Module):
    """One plain network seen as an ensemble of one: outputs (1, n, out), so losses are (1,)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).unsqueeze(0)


def _sine_data(n: int = 64, dtype: torch.dtype = torch.float64):
    gen = torch.Generator().manual_seed(0)
    x = torch.linspace(-2, 2, n, dtype=dtype)[:, None]
    y = torch.sin(2 * x[:, 0]) + 0.3 * torch.randn(n, generator=gen, dtype=dtype)
    return x, y


# --- the batched ensemble is M independent networks -------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 16], ids=["full-batch", "mini-batch"])
def test_batched_ensemble_equals_independently_trained_members(batch_size):
    # float64 throughout: in float32 the batched and the plain matmuls round differently and
    # 300 Adam steps amplify that to ~1e-2 for some members, hiding what this test checks.
    x, y = _sine_data()
    model = BatchedMLP(3, in_dim=1, out_dim=2, hidden=16, n_layers=2, seed=0)
    singles = [_Single(model.member(i).double()) for i in range(3)]  # copies BEFORE training
    model.double()
    config = TrainConfig(steps=300, lr=1e-2, batch_size=batch_size, eval_every=25, seed=3)
    history = train(model, _nll_loss, (x, y), config)
    together = model(x)
    for i, single in enumerate(singles):
        alone = train(single, _nll_loss, (x, y), config)
        torch.testing.assert_close(single(x)[0], together[i], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(alone.train_loss[:, 0], history.train_loss[:, i], rtol=1e-8)
    # and the members really did learn something (loss fell from its starting value)
    assert np.all(history.train_loss[-1] < history.train_loss[0] - 0.5)


def test_same_seed_gives_identical_history_and_weights():
    x, y = _sine_data(dtype=torch.float32)
    runs = []
    for _ in range(2):
        model = BatchedMLP(2, in_dim=1, out_dim=2, hidden=16, seed=4)
        config = TrainConfig(steps=60, batch_size=8, eval_every=10, seed=5)
        runs.append((train(model, _nll_loss, (x, y), config), model))
    (h1, m1), (h2, m2) = runs
    np.testing.assert_array_equal(h1.train_loss, h2.train_loss)
    for p1, p2 in zip(m1.parameters(), m2.parameters(), strict=True):
        assert torch.equal(p1, p2)
    other = BatchedMLP(2, in_dim=1, out_dim=2, hidden=16, seed=4)
    h3 = train(other, _nll_loss, (x, y), TrainConfig(steps=60, batch_size=8, eval_every=10, seed=6))
    assert not np.array_equal(h1.train_loss, h3.train_loss)  # another batch order


def test_mini_batches_visit_every_sample_once_per_epoch():
    seen: list[list[int]] = []

    def loss_fn(model: nn.Module, batch) -> torch.Tensor:
        seen.append(batch[1].tolist())
        return model(batch[0]).mean(dim=(1, 2))

    x = torch.zeros(12, 1)
    index = torch.arange(12)
    train(BatchedMLP(1, 1, 1, hidden=4), loss_fn, (x, index), TrainConfig(steps=6, batch_size=4))
    assert all(len(b) == 4 for b in seen)
    for epoch in (seen[0:3], seen[3:6]):  # 12 samples / 4 per batch = 3 steps per epoch
        assert sorted(i for batch in epoch for i in batch) == list(range(12))
    assert seen[0:3] != seen[3:6]  # reshuffled


def test_history_shapes_without_validation():
    x, y = _sine_data(n=16, dtype=torch.float32)
    history = train(BatchedMLP(3, 1, 2, hidden=8), _nll_loss, (x, y), TrainConfig(steps=30))
    assert history.train_loss.shape == (30, 3)
    assert history.val_loss.shape == (0, 3)
    assert history.steps_run == 30
    np.testing.assert_array_equal(history.best_step, [30, 30, 30])


# --- early stopping ---------------------------------------------------------------------------


def test_early_stopping_keeps_each_members_best_validation_weights():
    # Train towards y = 2 but validate against y = 1 at the same x: the output climbs from ≈0
    # to 2, so the validation MSE (out − 1)² falls until the output passes 1, then rises.
    x = torch.linspace(-1, 1, 32, dtype=torch.float64)[:, None]
    y_train = torch.full((32,), 2.0, dtype=torch.float64)
    y_val = torch.ones(32, dtype=torch.float64)
    model = BatchedMLP(3, in_dim=1, out_dim=1, hidden=16, seed=1).double()
    patience, every = 4, 5
    config = TrainConfig(steps=2000, lr=1e-2, eval_every=every, patience=patience)
    history = train(model, _mse_loss, (x, y_train), config, val_data=(x, y_val))

    best_index = history.val_loss.argmin(axis=0)
    np.testing.assert_array_equal(history.best_step, history.eval_steps[best_index])
    assert np.all(history.val_loss[-1] > history.val_loss.min(axis=0))  # it did rise
    assert np.all(history.best_step < history.steps_run)
    # The run stops at the first evaluation where every member has gone `patience` evaluations
    # without improving, i.e. exactly `patience` evaluations after the latest member's best.
    assert history.steps_run == history.best_step.max() + patience * every
    assert history.steps_run < config.steps
    # The restored weights reproduce each member's best recorded validation loss.
    with torch.no_grad():
        restored = _mse_loss(model, (x, y_val)).numpy()
    np.testing.assert_allclose(restored, history.val_loss.min(axis=0), rtol=1e-12)


def _scripted_val_loss(table: list[list[float]]):
    """A validation 'loss' that plays back one row of ``table`` per evaluation."""
    calls = iter(table)

    def val_loss_fn(model: nn.Module, batch) -> torch.Tensor:
        return torch.tensor(next(calls), dtype=torch.float32)

    return val_loss_fn


def test_a_member_out_of_patience_keeps_its_best_even_if_others_train_on():
    # Member 0 alone: best 1.0 at evaluation 3, then two worse ones → stops at step 5 keeping
    # step 3. Member 1 keeps improving, so the batched run continues; member 0's 0.5 at step 6
    # comes after it should have stopped and must not replace its kept weights.
    member0 = [3.0, 2.0, 1.0, 2.0, 3.0, 0.5, 0.4, 0.3, 0.2, 0.1]
    member1 = [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    x, y = _sine_data(n=8, dtype=torch.float32)
    config = TrainConfig(steps=10, eval_every=1, patience=2)

    def run(table: list[list[float]]):
        """Train one member per column of ``table`` with that column as its validation loss."""
        model = BatchedMLP(len(table[0]), 1, 2, hidden=4)
        val_loss_fn = _scripted_val_loss(table)
        return train(model, _nll_loss, (x, y), config, val_data=(x, y), val_loss_fn=val_loss_fn)

    alone = run([[v] for v in member0])
    assert alone.steps_run == 5 and alone.best_step[0] == 3
    together = run([[a, b] for a, b in zip(member0, member1, strict=True)])
    assert together.best_step[0] == 3


# --- divergence -------------------------------------------------------------------------------


def test_huge_learning_rate_raises_training_diverged():
    x, y = _sine_data(dtype=torch.float32)
    model = BatchedMLP(3, in_dim=1, out_dim=2, hidden=16, seed=0)
    with pytest.raises(TrainingDiverged, match=r"learning rate \(10000\).*Got loss = ") as info:
        train(model, _nll_loss, (x, y), TrainConfig(steps=200, lr=1e4, eval_every=10))
    assert isinstance(info.value, ValueError)
    assert "try 1000 or lower" in str(info.value)


def test_nan_loss_reports_the_step_it_first_appeared():
    step = 0

    def loss_fn(model: nn.Module, batch) -> torch.Tensor:
        nonlocal step
        step += 1
        loss = _nll_loss(model, batch)
        return loss * float("nan") if step >= 3 else loss

    x, y = _sine_data(n=16, dtype=torch.float32)
    expected = (
        "Training diverged at step 3: the loss became NaN. The learning rate (0.01) is probably "
        "too high for this model and data; try 0.001 or lower, or fewer hidden units. "
        "Got loss = nan."
    )
    with pytest.raises(TrainingDiverged, match=re.escape(expected)):
        train(BatchedMLP(2, 1, 2, hidden=8), loss_fn, (x, y), TrainConfig(steps=50, eval_every=5))


def test_non_finite_validation_loss_raises():
    x, y = _sine_data(n=16, dtype=torch.float32)

    def val_loss_fn(model: nn.Module, batch) -> torch.Tensor:
        return torch.tensor([0.5, float("inf")])

    with pytest.raises(TrainingDiverged, match=r"at step 5: the loss became infinite"):
        train(
            BatchedMLP(2, 1, 2, hidden=8),
            _nll_loss,
            (x, y),
            TrainConfig(steps=50, eval_every=5),
            val_data=(x, y),
            val_loss_fn=val_loss_fn,
        )


# --- progress ---------------------------------------------------------------------------------


@pytest.mark.parametrize("span", [(0.0, 1.0), (0.2, 0.6)])
def test_progress_fractions_increase_to_the_end_of_the_range(span):
    calls: list[tuple[float, str]] = []
    x, y = _sine_data(n=16, dtype=torch.float32)
    train(
        BatchedMLP(1, 1, 2, hidden=8),
        _nll_loss,
        (x, y),
        TrainConfig(steps=100, eval_every=10),
        progress=lambda f, m: calls.append((f, m)),
        progress_range=span,
        label="Fitting",
    )
    lo, hi = span
    fractions = [f for f, _ in calls]
    assert fractions == pytest.approx([lo + (hi - lo) * k / 10 for k in range(1, 11)])
    assert fractions[-1] == pytest.approx(hi)
    assert [m for _, m in calls] == [f"Fitting: step {10 * k} of 100" for k in range(1, 11)]


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, r"steps must be at least 1\. Got 0\."),
        ({"lr": 0.0}, r"lr must be a positive number\. Got 0\.0\."),
        ({"lr": float("nan")}, r"lr must be a positive number\. Got nan\."),
        ({"lr": float("inf")}, r"lr must be a positive number\. Got inf\."),
        ({"weight_decay": -1.0}, r"weight_decay must be at least 0\. Got -1\.0\."),
        ({"batch_size": 0}, r"batch_size must be at least 1 or None\. Got 0\."),
        ({"eval_every": 0}, r"eval_every must be at least 1\. Got 0\."),
        ({"patience": 0}, r"patience must be at least 1 or None\. Got 0\."),
    ],
)
def test_train_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_data_tensors_must_share_their_first_dimension():
    with pytest.raises(ValueError, match=r"data tensors must share their first dimension\. Got"):
        train(BatchedMLP(1, 1, 2), _nll_loss, (torch.zeros(5, 1), torch.zeros(4)), TrainConfig())


# --- GPU --------------------------------------------------------------------------------------


@pytest.mark.gpu
def test_batched_ensemble_on_cuda_matches_cpu():
    x, y = _sine_data()
    results = []
    for dev in ("cpu", "cuda"):
        model = BatchedMLP(3, in_dim=1, out_dim=2, hidden=16, seed=0).double().to(dev)
        train(model, _nll_loss, (x.to(dev), y.to(dev)), TrainConfig(steps=200, eval_every=25))
        results.append(model(x.to(dev)).cpu())
    # float64 on both; different kernels round differently, amplified over 200 Adam steps.
    torch.testing.assert_close(results[1], results[0], rtol=1e-6, atol=1e-8)


def test_flushed_denormals_reads_subnormals_as_zero_inside_the_block_only():
    from labcore.models.train import flushed_denormals

    tiny = torch.tensor([1e-40], dtype=torch.float32)  # below float32's smallest normal 1.18e-38
    assert 0.0 < tiny.item() < torch.finfo(torch.float32).tiny
    with flushed_denormals():
        if not torch.set_flush_denormal(True):
            pytest.skip("this CPU cannot flush subnormals (no SSE3)")
        assert (tiny * 1.0).item() == 0.0
    assert (tiny * 1.0).item() == pytest.approx(1e-40, rel=1e-3)


def test_flushing_denormals_leaves_a_trained_network_the_same_to_the_bit(monkeypatch):
    # Four hidden layers of 256 on 20 points: the Regression config whose training slowed down
    # most on subnormal numbers (at 1,000 steps 1.6 s unflushed against 0.73 s, on a 2-core
    # AVX-512 Xeon: the slow path is taken here; at 400 steps it was not yet).
    import contextlib

    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.run import run_regression
    from labcore.models import train as training

    config = RegressionConfig(method="none", hidden=256, n_layers=4, steps=1000)
    flushed = run_regression(config)
    monkeypatch.setattr(training, "flushed_denormals", contextlib.nullcontext)
    kept = run_regression(config)
    assert np.array_equal(flushed.member_means, kept.member_means)
    assert np.array_equal(flushed.train_loss, kept.train_loss)
