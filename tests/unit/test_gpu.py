"""The training and uncertainty paths on CUDA; skipped where no CUDA device exists."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression
from labcore.models.mlp import BatchedMLP

pytestmark = pytest.mark.gpu


@pytest.fixture
def on_cuda(monkeypatch):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    monkeypatch.setenv("LAB_DEVICE", "cuda")


def test_batched_mlp_matches_on_cpu_and_cuda(on_cuda):
    model = BatchedMLP(3, 1, 2, hidden=16, seed=4)
    x = torch.linspace(-1, 1, 11)[:, None]
    expected = model(x).detach()
    got = model.to("cuda")(x.to("cuda")).detach().cpu()
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("method", ["ensemble", "mc_dropout"])
def test_regression_runs_on_cuda(on_cuda, method):
    result = run_regression(RegressionConfig(steps=200, method=method))
    assert np.all(np.isfinite(result.total_std))
    np.testing.assert_allclose(result.total_std**2,
                               result.aleatoric_std**2 + result.epistemic_std**2, rtol=1e-5)
