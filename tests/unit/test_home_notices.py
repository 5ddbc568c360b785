"""Home's "Notice:" lines state this sample's numbers, checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from labcore.experiments.home import report
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import run_mle


def test_gaussian_notices_name_the_sample_mean_and_the_true_mean() -> None:
    result = run_mle(MLEConfig(distribution="gaussian", n_samples=30, seed=4))
    mean = float(np.mean(result.sample))
    assert f"μ = {mean:.2f}" in report.data_notice(result)
    assert f"true μ = {result.true_param:.2f}" in report.data_notice(result)
    assert f"lowest at μ = {mean:.2f}, the sample mean" in report.nll_notice(result)


@pytest.mark.parametrize("n", [20, 21])
def test_laplace_notice_names_the_middle_observations(n: int) -> None:
    result = run_mle(MLEConfig(distribution="laplace", n_samples=n, seed=2))
    ordered = np.sort(result.sample)
    text = report.nll_notice(result)
    if n % 2:
        assert f"lowest at μ = {ordered[n // 2]:.2f}, the sample median" in text
    else:
        assert f"{ordered[n // 2 - 1]:.2f} and {ordered[n // 2]:.2f}" in text
        assert f"median {np.median(ordered):.2f}" in text
        # The grid's NLL is flat (within rounding) between the two middle observations.
        inside = (result.grid >= ordered[n // 2 - 1]) & (result.grid <= ordered[n // 2])
        assert np.ptp(result.mean_nll[inside]) < 1e-9


def test_bernoulli_notice_states_the_fraction_of_ones() -> None:
    result = run_mle(MLEConfig(distribution="bernoulli", n_samples=40, true_p=0.7, seed=1))
    fraction = float(np.mean(result.sample == 1))
    assert f"fraction of ones ({fraction:.2f})" in report.data_notice(result)
    assert f"λ = {fraction:.2f}" in report.nll_notice(result)
