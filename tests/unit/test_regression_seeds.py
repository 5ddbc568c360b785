"""Repeat × N: one Regression config over N seeds, the seeds' networks trained together.

Each seed's result must be the one its own ``run_regression`` gives (the stacked training is
exact to the bit on CPU; the comparison allows rtol 1e-5, atol 1e-6), the stacked path must
really be the one taken where it applies, and the repeat is refused as a whole.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from labcore.device import default_device
from labcore.experiments.regression import seeds as seeds_module
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import RegressionResult, run_regression
from labcore.experiments.regression.seeds import MAX_SEEDS, run_regression_seeds
from labcore.models.mlp import BatchedMLP

RTOL, ATOL = 1e-5, 1e-6


def assert_same(a: object, b: object, where: str) -> None:
    """Every field of two results (nested dataclasses, mappings, arrays) equal to tolerance."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape, where
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=where)
    elif isinstance(a, float):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=where)
    elif isinstance(a, tuple) and a and isinstance(a[0], np.ndarray):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def repeat_matches_single_runs(config: RegressionConfig, n: int) -> list[str]:
    """Run the repeat, compare each seed with its own run, and return the progress messages."""
    messages: list[str] = []
    fractions: list[float] = []

    def progress(fraction: float, message: str) -> None:
        fractions.append(fraction)
        messages.append(message)

    results = run_regression_seeds(config, n, progress)
    assert len(results) == n
    for k, result in enumerate(results):
        assert isinstance(result, RegressionResult)
        single = run_regression(config.replace(seed=config.seed + k))
        assert_same(result, single, f"seed {config.seed + k}")
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    return messages


@pytest.fixture
def no_single_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repeat may not fall back to running the seeds one by one (the reference runs in
    these tests call the run module's own ``run_regression``). The seeds train together on
    the CPU only."""
    if default_device().type != "cpu":
        pytest.skip("the seeds train together on the CPU only")

    def refuse(*args, **kwargs):
        raise AssertionError("run_regression_seeds fell back to single runs")

    monkeypatch.setattr(seeds_module, "run_regression", refuse)


def test_default_config_trained_together_equals_single_runs(no_single_runs: None) -> None:
    """The page's default (a 5-network Gaussian-NLL ensemble, best weights restored)."""
    messages = repeat_matches_single_runs(RegressionConfig(seed=3), 3)
    assert "Training 3 seeds × 5 networks together: step 500 of 500" in messages


@pytest.mark.parametrize("config", [
    RegressionConfig(loss="mse", method="none", steps=200),
    RegressionConfig(loss="mse", method="ensemble", members=3, steps=200, hidden=24),
    RegressionConfig(loss="beta_nll", method="none", steps=200, n_layers=3, hidden=16),
    RegressionConfig(steps=200, gap_width=2.0, add_where="gap", add_n=20, x_noise=0.2),
], ids=["mse-none", "mse-ensemble", "beta-none", "gap-added"])
def test_small_configs_trained_together_equal_single_runs(config: RegressionConfig,
                                                          no_single_runs: None) -> None:
    messages = repeat_matches_single_runs(config, 3)
    assert any("Training 3 seeds × " in m and "together" in m for m in messages)


def test_early_stopping_cuts_each_seed_where_its_own_run_stops(no_single_runs: None) -> None:
    """Each seed's history ends where its own run stopped, though the others trained on."""
    config = RegressionConfig(loss="mse", method="none", steps=1000, early_stopping=True)
    repeat_matches_single_runs(config, 3)
    steps = [r.metrics["steps_run"] for r in run_regression_seeds(config, 3)]
    assert len(set(steps)) > 1 and max(steps) < 1000  # the seeds stop at different steps


def test_extras_are_measured_per_seed(no_single_runs: None) -> None:
    """The quantile network and the GP reference are fitted per seed after the training."""
    config = RegressionConfig(steps=100, n_points=60, quantile_band=True, gp_reference=True)
    repeat_matches_single_runs(config, 2)


@pytest.mark.parametrize("config", [
    RegressionConfig(method="mc_dropout", steps=100),
    RegressionConfig(steps=100, batch_size=10),
], ids=["mc-dropout", "mini-batch"])
def test_configs_that_cannot_stack_run_seed_by_seed(config: RegressionConfig) -> None:
    messages = repeat_matches_single_runs(config, 2)
    assert any(m.startswith("Seed 1 of 2: ") for m in messages)
    assert any(m.startswith("Seed 2 of 2: ") for m in messages)
    assert not any("together" in m for m in messages)


def test_divergence_says_which_seed_as_its_own_run_does() -> None:
    config = RegressionConfig(steps=100, lr=0.5)
    with pytest.raises(ValueError, match="Training diverged") as single:
        run_regression(config)
    with pytest.raises(ValueError, match="Training diverged") as repeat:
        run_regression_seeds(config, 2)
    assert str(repeat.value) == str(single.value)


@pytest.mark.parametrize("n", [0, MAX_SEEDS + 1, -1])
def test_number_of_seeds_out_of_range_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match=f"Got {n}"):
        run_regression_seeds(RegressionConfig(), n)


def test_oversized_repeat_is_refused_as_a_whole() -> None:
    config = RegressionConfig(steps=5000, hidden=256)  # one run alone is within the limit
    with pytest.raises(ValueError, match=r"Repeating over 20 seeds would train .*fewer seeds"):
        run_regression_seeds(config, 20)


def test_stacked_and_select_round_trip() -> None:
    a = BatchedMLP(2, 1, 2, hidden=8, seed=0)
    b = BatchedMLP(3, 1, 2, hidden=8, seed=1)
    stacked = BatchedMLP.stacked([a, b])
    x = torch.linspace(-1, 1, 7)[:, None]
    with torch.no_grad():
        out = stacked(x, dropout=False)
        assert torch.equal(out[:2], a(x, dropout=False))
        assert torch.equal(out[2:], b(x, dropout=False))
        back = stacked.select(2, 5)
        assert type(back) is BatchedMLP and back.members == 3
        assert torch.equal(back(x, dropout=False), b(x, dropout=False))
    back.weights[0].data.add_(1.0)  # copies: the stacked model keeps its weights
    assert torch.equal(stacked.weights[0][2:], b.weights[0])
    with pytest.raises(ValueError, match="Got"):
        BatchedMLP.stacked([a, BatchedMLP(1, 1, 2, hidden=16)])
    with pytest.raises(ValueError, match="Got"):
        stacked.select(3, 3)
