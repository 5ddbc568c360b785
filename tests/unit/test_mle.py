"""Scene S1 engine: each NLL against torch.distributions, each loss against torch.nn.functional."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from labcore.experiments.home import run as mle
from labcore.experiments.home.config import MLEConfig

DISTRIBUTIONS = ["gaussian", "laplace", "bernoulli", "categorical"]


def _t(values: np.ndarray | float) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values), dtype=torch.float64)


def _torch_log_prob(config: MLEConfig, sample: np.ndarray, theta: float) -> torch.Tensor:
    """log p(y | θ) from torch.distributions, an implementation independent of labcore."""
    if config.distribution == "gaussian":
        dist = torch.distributions.Normal(_t(theta), _t(config.scale))
        return dist.log_prob(_t(sample))
    if config.distribution == "laplace":
        dist = torch.distributions.Laplace(_t(theta), _t(config.scale))
        return dist.log_prob(_t(sample))
    if config.distribution == "bernoulli":
        return torch.distributions.Bernoulli(probs=_t(theta)).log_prob(_t(sample))
    probs = _t([theta, (1 - theta) * 2 / 3, (1 - theta) / 3])
    return torch.distributions.Categorical(probs=probs).log_prob(torch.as_tensor(sample))


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("theta", [0.2, 0.5, 0.83])
def test_per_sample_nll_matches_torch_distributions(distribution: str, theta: float) -> None:
    config = MLEConfig(distribution=distribution, n_samples=50, scale=1.7, seed=3)
    sample = mle.sample_data(config)
    expected = -_torch_log_prob(config, sample, theta).numpy()
    np.testing.assert_allclose(mle.per_sample_nll(config, sample, theta), expected, rtol=1e-12)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_grid_rows_equal_scalar_evaluations(distribution: str) -> None:
    config = MLEConfig(distribution=distribution, n_samples=15, seed=1)
    sample = mle.sample_data(config)
    thetas = np.array([0.1, 0.4, 0.9])
    grid_values = mle.per_sample_nll(config, sample, thetas)
    assert grid_values.shape == (3, 15)
    for row, theta in zip(grid_values, thetas, strict=True):
        np.testing.assert_allclose(row, mle.per_sample_nll(config, sample, float(theta)))


def test_gaussian_nll_is_scaled_mse_plus_constant() -> None:
    sigma, mu = 0.7, 1.3
    config = MLEConfig(distribution="gaussian", scale=sigma, n_samples=40, seed=5)
    sample = mle.sample_data(config)
    mse = F.mse_loss(torch.full((40,), mu, dtype=torch.float64), _t(sample)).item()
    nll = mle.nll_at(config, sample, mu)
    assert nll - 0.5 * math.log(2 * math.pi * sigma**2) == pytest.approx(mse / (2 * sigma**2))


def test_laplace_nll_is_scaled_mae_plus_constant() -> None:
    b, mu = 2.5, -0.4
    config = MLEConfig(distribution="laplace", scale=b, n_samples=40, seed=5)
    sample = mle.sample_data(config)
    mae = F.l1_loss(torch.full((40,), mu, dtype=torch.float64), _t(sample)).item()
    assert mle.nll_at(config, sample, mu) - math.log(2 * b) == pytest.approx(mae / b)


def test_bernoulli_nll_is_bce() -> None:
    lam = 0.35
    config = MLEConfig(distribution="bernoulli", n_samples=60, true_p=0.6, seed=2)
    sample = mle.sample_data(config)
    bce = F.binary_cross_entropy(torch.full((60,), lam, dtype=torch.float64), _t(sample)).item()
    assert mle.nll_at(config, sample, lam) == pytest.approx(bce)


def test_categorical_nll_is_cross_entropy() -> None:
    p0 = 0.45
    config = MLEConfig(distribution="categorical", n_samples=60, true_p=0.2, seed=2)
    sample = mle.sample_data(config)
    logits = torch.log(_t([p0, (1 - p0) * 2 / 3, (1 - p0) / 3])).expand(60, 3)
    ce = F.cross_entropy(logits, torch.as_tensor(sample)).item()
    assert mle.nll_at(config, sample, p0) == pytest.approx(ce)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_result_curves_obey_nll_equals_a_loss_plus_c(distribution: str) -> None:
    config = MLEConfig(distribution=distribution, scale=0.6, n_samples=30, seed=4)
    result = mle.run_mle(config)
    a, c = result.loss_scale, result.loss_offset
    np.testing.assert_allclose(result.mean_nll, a * result.mean_loss + c, rtol=1e-10)


def test_loss_relation_constants() -> None:
    sigma = 0.6
    gauss = MLEConfig(distribution="gaussian", scale=sigma)
    assert mle.loss_relation(gauss) == pytest.approx(
        (1 / (2 * sigma**2), 0.5 * math.log(2 * math.pi * sigma**2))
    )
    assert mle.loss_relation(MLEConfig(distribution="laplace", scale=2.0)) == pytest.approx(
        (0.5, math.log(4.0))
    )
    assert mle.loss_relation(MLEConfig(distribution="bernoulli")) == (1.0, 0.0)


@pytest.mark.parametrize(
    ("distribution", "closed_form"),
    [
        ("gaussian", np.mean),
        ("laplace", np.median),
        ("bernoulli", lambda s: np.mean(s == 1)),
        ("categorical", lambda s: np.mean(s == 0)),
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grid_minimiser_within_one_step_of_closed_form(
    distribution: str, closed_form, seed: int
) -> None:
    # Odd n: the Laplace NLL has a unique minimiser, the middle observation.
    config = MLEConfig(distribution=distribution, n_samples=31, seed=seed, scale=1.3)
    result = mle.run_mle(config)
    step = float(np.max(np.diff(result.grid)))
    assert result.closed_form == pytest.approx(float(closed_form(result.sample)))
    assert abs(result.grid_minimiser - result.closed_form) <= step + 1e-12


def test_laplace_even_n_minimiser_lies_between_the_middle_values() -> None:
    config = MLEConfig(distribution="laplace", n_samples=10, seed=7)
    result = mle.run_mle(config)
    middle = np.sort(result.sample)[4:6]
    step = float(np.max(np.diff(result.grid)))
    assert middle[0] - step <= result.grid_minimiser <= middle[1] + step
    assert result.closed_form == pytest.approx(middle.mean())


def test_bernoulli_all_zeros_minimiser_is_at_the_grid_edge() -> None:
    # λ = 0.01 and n = 5: with seed 0 every draw is 0, so the fraction of ones is 0.
    config = MLEConfig(distribution="bernoulli", n_samples=5, true_p=0.01, seed=0)
    result = mle.run_mle(config)
    assert result.sample.tolist() == [0, 0, 0, 0, 0]
    assert result.closed_form == 0.0
    assert result.grid_minimiser == result.grid[0]


def test_same_seed_same_sample_and_other_seed_differs() -> None:
    config = MLEConfig(distribution="gaussian", n_samples=25, seed=11)
    np.testing.assert_array_equal(mle.sample_data(config), mle.sample_data(config))
    other = mle.sample_data(config.replace(seed=12))
    assert not np.array_equal(mle.sample_data(config), other)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_sample_shape_and_values(distribution: str) -> None:
    sample = mle.sample_data(MLEConfig(distribution=distribution, n_samples=17))
    assert sample.shape == (17,)
    if distribution == "bernoulli":
        assert set(sample.tolist()) <= {0, 1}
    if distribution == "categorical":
        assert set(sample.tolist()) <= {0, 1, 2}


def test_sample_frequencies_follow_true_probabilities() -> None:
    # 200 draws: the standard error of a frequency is at most 0.035, so 0.15 is > 4 SE.
    config = MLEConfig(distribution="categorical", n_samples=200, true_p=0.4, seed=0)
    result = mle.run_mle(config)
    np.testing.assert_allclose(result.frequencies, [0.4, 0.4, 0.2], atol=0.15)
    assert result.frequencies.sum() == pytest.approx(1.0)


def test_categorical_probs_path() -> None:
    np.testing.assert_allclose(mle.categorical_probs(0.4), [0.4, 0.4, 0.2])
    assert mle.categorical_probs(np.array([0.1, 0.9])).shape == (2, 3)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_point_density_is_normalised(distribution: str) -> None:
    config = MLEConfig(distribution=distribution, n_samples=20, scale=0.5)
    result = mle.run_mle(config)
    point = mle.point_at(config, result, 0.3)
    if config.is_location:  # a pdf on a grid of data ± 2 scales holds most of its mass
        mass = float(np.sum(point.density) * mle.LOCATION_STEP)
        assert 0.9 < mass <= 1.0 + 1e-6
    else:
        assert point.density.sum() == pytest.approx(1.0)
    assert point.mean_nll == pytest.approx(mle.nll_at(config, result.sample, 0.3))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_samples": 0}, r"Sample size \(n_samples\) must be between 1 and 200\. Got 0\."),
        ({"n_samples": 201}, r"Sample size \(n_samples\) must be between 1 and 200\. Got 201\."),
        ({"distribution": "poisson"}, r"Distribution \(distribution\) must be one of .*"),
        ({"true_p": 1.0}, r"\(true_p\) must be between 0\.01 and 0\.99\. Got 1\.0\."),
        ({"scale": 0.0}, r"\(scale\) must be between 0\.1 and 5\. Got 0\.0\."),
        ({"true_mu": float("nan")}, r"\(true_mu\) must be a finite number\. Got nan\."),
        ({"seed": -1}, r"Seed \(seed\) must be between 0 and .*\. Got -1\."),
    ],
)
def test_bad_config_raises(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MLEConfig(**changes)


@pytest.mark.parametrize(
    ("distribution", "theta", "message"),
    [
        ("bernoulli", 0.0, r"λ must be strictly between 0 and 1\. Got 0\.0\."),
        ("categorical", 1.5, r"p₀ must be strictly between 0 and 1\. Got 1\.5\."),
        ("gaussian", float("inf"), r"μ must be a finite number\. Got inf\."),
    ],
)
def test_bad_theta_raises(distribution: str, theta: float, message: str) -> None:
    config = MLEConfig(distribution=distribution)
    with pytest.raises(ValueError, match=message):
        mle.nll_at(config, mle.sample_data(config), theta)


def test_empty_sample_raises() -> None:
    with pytest.raises(ValueError, match=r"sample must be a non-empty 1-D array\. Got shape"):
        mle.nll_at(MLEConfig(), np.array([]), 0.5)
