"""Regression requests that differ only in their seed train as one batch
(labcore.experiments.regression.together), and each gets exactly what its own run gives: the
pickled results are compared byte for byte (pickle protocol 4, which writes every array's values
in C order; protocol 5 also records an array's memory layout, and some of the batch's arrays
are views of the stacked ones)."""

from __future__ import annotations

import pickle

import pytest

from labcore.device import default_device
from labcore.experiments.regression import together as together_module
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import RegressionResult, run_regression
from labcore.experiments.regression.together import (
    MAX_TOGETHER,
    run_regression_together,
    together_key,
)

cpu_only = pytest.mark.skipif(default_device().type != "cpu",
                              reason="requests train stacked on the CPU only")


@pytest.fixture
def no_single_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch may not fall back to running the configs one by one."""

    def refuse(*args, **kwargs):
        raise AssertionError("run_regression_together fell back to single runs")

    monkeypatch.setattr(together_module, "run_regression", refuse)


@cpu_only
@pytest.mark.parametrize("config", [
    RegressionConfig(noise_scale=2.0),  # the class's instruction: the default at noise 2
    RegressionConfig(loss="mse", method="none", steps=150, hidden=16),
], ids=["default-noise-2", "mse-one-network"])
def test_each_request_gets_exactly_its_own_runs_result(config, no_single_runs):
    # the students' own seeds and noise levels, in the order they arrived
    configs = [config.replace(seed=s, noise_scale=n) for s, n in ((111, 2.0), (3, 2.0), (57, 0.5))]
    messages: list[str] = []
    outcomes = run_regression_together(configs, lambda f, m: messages.append(m))
    assert any("Training 3 requests × " in m and "together" in m for m in messages)
    for c, outcome in zip(configs, outcomes, strict=True):
        assert isinstance(outcome, RegressionResult)
        alone = pickle.dumps(run_regression(c), protocol=4)
        assert pickle.dumps(outcome, protocol=4) == alone, f"seed {c.seed}"


def test_one_request_is_its_own_run():
    config = RegressionConfig(steps=100, hidden=8, seed=42)
    (outcome,) = run_regression_together([config])
    assert pickle.dumps(outcome, protocol=4) == pickle.dumps(run_regression(config), protocol=4)


def test_a_failed_batch_runs_each_alone_and_returns_each_error_in_its_place(
        monkeypatch: pytest.MonkeyPatch):
    """When the stacked training diverges, each config runs alone; a config whose own run
    raises gets its error back, the others their results."""
    config = RegressionConfig(steps=100, hidden=8)
    # as if the stacked training diverged
    monkeypatch.setattr(together_module, "_run_stacked", lambda *args, **kwargs: None)
    real = together_module.run_regression

    def run(c, progress=None):
        if c.seed == 2:
            raise ValueError("Training diverged at step 7. Got a loss of inf.")
        return real(c, progress)

    monkeypatch.setattr(together_module, "run_regression", run)
    outcomes = run_regression_together([config.replace(seed=s) for s in (1, 2, 3)])
    assert isinstance(outcomes[1], ValueError) and "diverged" in str(outcomes[1])
    for k in (0, 2):
        assert pickle.dumps(outcomes[k], protocol=4) == pickle.dumps(
            real(config.replace(seed=k + 1)), protocol=4)


def test_only_the_seed_and_the_noise_may_differ():
    assert together_key(RegressionConfig(seed=1)) == together_key(
        RegressionConfig(seed=9, noise_scale=2.0))
    assert together_key(RegressionConfig()) != together_key(RegressionConfig(n_points=40))
    assert together_key(RegressionConfig()) != together_key(RegressionConfig(loss="mse"))
    with pytest.raises(ValueError, match="Got 2 different settings and 0 config"):
        run_regression_together([RegressionConfig(), RegressionConfig(n_points=40)])


@pytest.mark.parametrize("config", [
    RegressionConfig(method="mc_dropout"), RegressionConfig(batch_size=10)],
    ids=["mc-dropout", "mini-batches"])
def test_configs_that_do_not_stack_train_alone(config):
    assert together_key(config) is None
    with pytest.raises(ValueError, match="1 config\\(s\\) that train alone"):
        run_regression_together([config])


def test_a_batch_holds_1_to_20_configs():
    with pytest.raises(ValueError, match="Got 0"):
        run_regression_together([])
    with pytest.raises(ValueError, match=f"Got {MAX_TOGETHER + 1}"):
        run_regression_together([RegressionConfig(seed=s) for s in range(MAX_TOGETHER + 1)])
