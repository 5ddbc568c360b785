"""Tests for labcore.calibration.regression: Gaussian scores, coverage and conformal intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from labcore import calibration as calib

# --- normal CDF and quantile ------------------------------------------------------------------


def test_normal_cdf_and_ppf_match_scipy():
    z = np.linspace(-30, 8, 400)
    assert calib.normal_cdf(z) == pytest.approx(stats.norm.cdf(z), rel=1e-12, abs=0)
    q = np.array([1e-10, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999])
    assert calib.normal_ppf(q) == pytest.approx(stats.norm.ppf(q), rel=1e-9)
    with pytest.raises(ValueError, match=r"q must be in \(0, 1\)"):
        calib.normal_ppf([0.5, 1.0])


# --- Gaussian NLL and CRPS --------------------------------------------------------------------


def test_regression_nll_hand_case_and_torch():
    # μ = y, σ = 1: only the constant ½·log 2π is left; σ = 2, y − μ = 2: add log 2 + ½.
    assert calib.regression_nll(0.0, 1.0, 0.0) == pytest.approx(0.5 * math.log(2 * math.pi))
    expected = 0.5 * math.log(2 * math.pi) + math.log(2) + 0.5 * (2 / 2) ** 2
    assert calib.regression_nll(1.0, 2.0, 3.0) == pytest.approx(expected)
    rng = np.random.default_rng(0)
    mean, std, y = rng.normal(size=50), rng.uniform(0.2, 3, 50), rng.normal(size=50)
    ref = torch.nn.GaussianNLLLoss(full=True)(
        torch.tensor(mean), torch.tensor(y), torch.tensor(std**2)
    )
    assert calib.regression_nll(mean, std, y) == pytest.approx(ref.item())
    per_sample = calib.regression_nll(mean, std, y, reduction="none")
    assert per_sample == pytest.approx(-stats.norm.logpdf(y, mean, std))


def test_regression_nll_broadcasts_a_single_std():
    y = np.array([0.0, 1.0, -2.0])
    assert calib.regression_nll(np.zeros(3), 0.5, y) == pytest.approx(
        calib.regression_nll(np.zeros(3), [0.5] * 3, y)
    )


def _crps_by_quadrature(mean: float, std: float, y: float) -> float:
    def below(t):
        return stats.norm.cdf(t, mean, std) ** 2

    def above(t):
        return (1 - stats.norm.cdf(t, mean, std)) ** 2

    return integrate.quad(below, -np.inf, y)[0] + integrate.quad(above, y, np.inf)[0]


@pytest.mark.parametrize(("mean", "std", "y"), [(0, 1, 0), (1.5, 0.3, 2.0), (-2, 4, 5)])
def test_crps_matches_its_integral_definition(mean, std, y):
    assert calib.crps_gaussian(mean, std, y) == pytest.approx(
        _crps_by_quadrature(mean, std, y), rel=1e-7
    )


def test_crps_hand_value_and_limits():
    # z = 0: σ·(2φ(0) − 1/√π) = σ·(√2 − 1)/√π.
    assert calib.crps_gaussian(0.0, 2.0, 0.0) == pytest.approx(
        2 * (math.sqrt(2) - 1) / math.sqrt(math.pi)
    )
    # σ -> 0: the forecast is a point mass, CRPS -> |y − μ|.
    assert calib.crps_gaussian(1.0, 1e-9, 4.0) == pytest.approx(3.0)
    per_sample = calib.crps_gaussian(np.zeros(4), 1.0, np.arange(4.0), reduction="none")
    assert per_sample.shape == (4,)
    assert np.all(np.diff(per_sample) > 0)  # further from μ, worse score


def test_gaussian_scores_reject_bad_input():
    with pytest.raises(ValueError, match="std must be > 0"):
        calib.regression_nll([0.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="mean and std and y must have matching shapes"):
        calib.crps_gaussian(np.zeros(3), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'none'"):
        calib.crps_gaussian(0.0, 1.0, 0.0, reduction="sum")
    with pytest.raises(ValueError, match="y must contain only finite numbers"):
        calib.regression_nll(0.0, 1.0, math.nan)


# --- coverage and calibration curve -----------------------------------------------------------


def test_interval_coverage_counts_endpoints_as_inside():
    assert calib.interval_coverage([0, 0, 0], [1, 1, 1], [0.0, 1.0, 2.0]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="lower must be ≤ upper"):
        calib.interval_coverage([1.0], [0.0], [0.5])


def test_central_interval_uses_the_normal_quantile():
    lower, upper = calib.central_interval(np.array([0.0, 10.0]), np.array([1.0, 2.0]), 0.95)
    z = stats.norm.ppf(0.975)
    assert lower == pytest.approx([-z, 10 - 2 * z])
    assert upper == pytest.approx([z, 10 + 2 * z])
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
            calib.central_interval(0.0, 1.0, bad)


def test_calibration_curve_is_diagonal_for_the_true_distribution():
    rng = np.random.default_rng(1)
    mean = rng.normal(size=20_000)
    std = rng.uniform(0.5, 2.0, size=20_000)
    y = rng.normal(mean, std)
    expected, observed = calib.regression_calibration_curve(mean, std, y)
    assert expected == pytest.approx(np.linspace(0.05, 0.95, 19))
    assert observed == pytest.approx(expected, abs=0.015)
    _, narrow = calib.regression_calibration_curve(mean, std / 2, y)
    assert np.all(narrow < expected)  # intervals too narrow: overconfident
    pit = calib.probability_integral_transform(mean, std, y)
    assert np.histogram(pit, bins=10, range=(0, 1))[0] / 20_000 == pytest.approx(
        np.full(10, 0.1), abs=0.01
    )


def test_calibration_curve_agrees_with_interval_coverage_level_by_level():
    rng = np.random.default_rng(2)
    mean, std = rng.normal(size=300), rng.uniform(0.1, 1.0, 300)
    y = rng.standard_t(3, size=300)
    levels = np.array([0.1, 0.5, 0.9])
    _, observed = calib.regression_calibration_curve(mean, std, y, levels)
    for level, got in zip(levels, observed, strict=True):
        band = calib.central_interval(mean, std, level)
        assert got == pytest.approx(calib.interval_coverage(*band, y))
    with pytest.raises(ValueError, match="levels must be a 1-D array of values in"):
        calib.regression_calibration_curve(mean, std, y, np.array([0.5, 1.0]))


# --- conformal --------------------------------------------------------------------------------


def test_split_conformal_quantile_hand_cases():
    residuals = np.array([-5.0, 1.0, -2.0, 4.0, 3.0])  # |r| sorted: 1, 2, 3, 4, 5; n = 5
    assert calib.split_conformal_quantile(residuals, 0.5) == 3.0  # rank ⌈6·0.5⌉ = 3
    assert calib.split_conformal_quantile(residuals, 0.2) == 5.0  # rank ⌈6·0.8⌉ = ⌈4.8⌉ = 5
    assert calib.split_conformal_quantile(residuals, 0.1) == math.inf  # rank ⌈5.4⌉ = 6 > n
    # (n+1)(1−α) = 20·0.95 = 19 exactly: rank 19, not 20, despite float rounding.
    assert calib.split_conformal_quantile(np.arange(1.0, 20.0), 0.05) == 19.0
    lower, upper = calib.conformal_interval(np.array([0.0, 1.0]), 3.0)
    assert lower.tolist() == [-3.0, -2.0] and upper.tolist() == [3.0, 4.0]


def test_split_conformal_scaled_hand_case():
    residuals, std = np.array([2.0, -1.0, 6.0, 0.5]), np.array([1.0, 1.0, 2.0, 0.25])
    # Scores |r|/σ = 2, 1, 3, 2; n = 4, α = 0.4: rank ⌈5·0.6⌉ = 3 -> sorted [1, 2, 2, 3][2] = 2.
    q = calib.split_conformal_scaled(residuals, std, 0.4)
    assert q == 2.0
    lower, upper = calib.conformal_interval(np.array([0.0, 0.0]), q, scale=np.array([1.0, 3.0]))
    assert lower.tolist() == [-2.0, -6.0] and upper.tolist() == [2.0, 6.0]


def test_split_conformal_coverage_guarantee_over_many_seeds():
    alpha, n_cal, n_test, repeats = 0.1, 50, 200, 2000
    rng = np.random.default_rng(3)
    cal = rng.standard_normal((repeats, n_cal))
    test = rng.standard_normal((repeats, n_test))
    q = np.array([calib.split_conformal_quantile(row, alpha) for row in cal])
    coverage = np.mean(np.abs(test) <= q[:, None])
    # Theory: 1 − α ≤ coverage < 1 − α + 1/(n+1); exactly ⌈51·0.9⌉/51 = 46/51 here.
    assert coverage >= 1 - alpha - 0.005
    assert coverage <= 1 - alpha + 1 / (n_cal + 1) + 0.005
    assert coverage == pytest.approx(46 / 51, abs=0.005)


def test_scaled_conformal_follows_the_noise_level():
    rng = np.random.default_rng(4)
    x_cal, x_test = rng.uniform(0, 1, 4000), rng.uniform(0, 1, 4000)
    sigma_cal, sigma_test = 0.1 + x_cal, 0.1 + x_test  # the model knows σ(x)
    y_cal, y_test = rng.normal(0, sigma_cal), rng.normal(0, sigma_test)
    q_plain = calib.split_conformal_quantile(y_cal, 0.1)
    q_scaled = calib.split_conformal_scaled(y_cal, sigma_cal, 0.1)
    noisy = x_test > 0.8
    plain = calib.interval_coverage(*calib.conformal_interval(np.zeros(4000), q_plain), y_test)
    scaled_band = calib.conformal_interval(np.zeros(4000), q_scaled, scale=sigma_test)
    assert plain == pytest.approx(0.9, abs=0.02)
    assert calib.interval_coverage(*scaled_band, y_test) == pytest.approx(0.9, abs=0.02)
    # Constant-width bands under-cover the noisy region; σ-scaled bands keep ≈ 90 % there.
    lower, upper = calib.conformal_interval(np.zeros(noisy.sum()), q_plain)
    assert calib.interval_coverage(lower, upper, y_test[noisy]) < 0.8
    scaled_noisy = calib.interval_coverage(
        scaled_band[0][noisy], scaled_band[1][noisy], y_test[noisy]
    )
    assert scaled_noisy == pytest.approx(0.9, abs=0.03)


def test_conformal_rejects_bad_input():
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        calib.split_conformal_quantile(np.ones(5), 1.0)
    with pytest.raises(ValueError, match="residuals_cal must be 1-D"):
        calib.split_conformal_quantile(np.ones((2, 2)), 0.1)
    with pytest.raises(ValueError, match="residuals_cal and std_cal must be 1-D with the same"):
        calib.split_conformal_scaled(np.ones(3), np.ones(4), 0.1)
    with pytest.raises(ValueError, match="std_cal must be > 0"):
        calib.split_conformal_scaled(np.ones(2), np.array([1.0, 0.0]), 0.1)
    with pytest.raises(ValueError, match="q must be ≥ 0"):
        calib.conformal_interval(np.zeros(2), -1.0)
