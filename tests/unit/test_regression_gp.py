"""Tests for the Gaussian-process reference band (labcore.experiments.regression.gp)."""

from __future__ import annotations

import numpy as np
import pytest

from labcore.data.regression import make_regression
from labcore.experiments.regression import intervals, report
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.gp import GP_MAX_POINTS, fit_gp
from labcore.experiments.regression.run import run_regression

GRID = np.linspace(-6, 6, 241)


@pytest.fixture(scope="module")
def big_constant_noise():
    """500 points of y = 2 sin(1.5x) + 0.3ε on [−4, 4], and the GP fitted on them."""
    data = make_regression("sine", "constant", 1.0, 500, 0, "train")
    return data, fit_gp(data.x, data.y, GRID, seed=0)


def test_the_gp_learns_the_true_noise_level_on_a_large_constant_noise_sample(big_constant_noise):
    # True σ² = 0.09. The ML estimate of a noise variance from 500 residuals has relative
    # standard error ≈ √(2/500) ≈ 6 %; bound ±25 % on σ². Measured 0.0963 (7 % high).
    _, gp = big_constant_noise
    assert gp.noise_std**2 == pytest.approx(0.09, rel=0.25), gp.kernel


def test_the_gp_epistemic_std_grows_outside_the_data(big_constant_noise):
    # Theory: the latent posterior variance tends to the prior variance away from the data
    # and is small among 500 points. Measured: mean for |x| ≥ 5 is 31.8 times the mean inside
    # [−4, 4]. Bounds: at least 5 times, and below the noise level inside.
    _, gp = big_constant_noise
    inside, far = np.abs(GRID) <= 4, np.abs(GRID) >= 5
    assert gp.std[far].mean() >= 5 * gp.std[inside].mean(), (gp.std[far].mean(),
                                                             gp.std[inside].mean())
    assert gp.std[inside].max() < gp.noise_std
    # The posterior mean follows f among the points: largest miss 0.112 (bound 0.2, below the
    # noise σ = 0.3).
    truth = 2 * np.sin(1.5 * GRID[inside])
    assert np.max(np.abs(gp.mean[inside] - truth)) < 0.2


def test_the_gp_refuses_too_many_points_and_the_config_says_so():
    x = np.linspace(-4, 4, GP_MAX_POINTS + 1)
    with pytest.raises(ValueError, match=r"at most 500 training points.* Got 501\."):
        fit_gp(x, np.sin(x), GRID, seed=0)
    with pytest.raises(ValueError, match=r"at most 500 training points.* Got 600\."):
        RegressionConfig(n_points=600, gp_reference=True)


@pytest.mark.science
def test_the_gp_preset_opens_its_band_in_the_gap_and_beyond():
    # The preset "Bayesian yardstick: a GP beside the ensemble" (sine, gap 2.5, 100 points).
    # Measured (seed 0, 300 steps while building): GP epistemic σ 0.096 among the points,
    # 0.53 in the gap, 1.08 beyond; noise σ 0.305 vs true 0.3. Bounds: 2× and 3×, noise ±30 %.
    r = run_regression(report.PRESETS[report.GP_PRESET])
    assert r.gp is not None
    x = r.x_grid
    gap = np.abs(x) < 1.25
    among = (np.abs(x) <= 4) & ~gap
    beyond = np.abs(x) > 4
    g = r.gp.std
    assert g[gap].mean() >= 2 * g[among].mean(), (g[gap].mean(), g[among].mean())
    assert g[beyond].mean() >= 3 * g[among].mean(), (g[beyond].mean(), g[among].mean())
    assert r.gp.noise_std == pytest.approx(0.3, rel=0.3)
    notice = intervals.gp_notice(r)
    assert f"one noise σ = {r.gp.noise_std:.3g}" in notice and "opens up beyond the data" in notice
