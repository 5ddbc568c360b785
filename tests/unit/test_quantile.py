"""Tests for the pinball loss, quantile regression and CQR (labcore.losses,
labcore.experiments.regression.quantile), checked by hand, against scikit-learn's
``QuantileRegressor`` and against what conformal theory guarantees."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.linear_model import QuantileRegressor

from labcore.experiments.regression import intervals, report
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.quantile import (
    cqr_correction,
    cqr_scores,
    min_calibration_points,
    width_ratio,
)
from labcore.experiments.regression.run import run_regression
from labcore.losses import pinball

# --- the pinball loss -------------------------------------------------------------------------


def test_pinball_by_hand():
    # y = 3 above q = 1 at τ = 0.25: 0.25·2 = 0.5; y = 0 below q = 1: (1 − 0.25)·1 = 0.75.
    pred = torch.tensor([[1.0], [1.0]])
    y = torch.tensor([3.0, 0.0])
    assert float(pinball(pred, y, [0.25], reduction="none")[0]) == pytest.approx(0.5)
    assert float(pinball(pred, y, [0.25], reduction="none")[1]) == pytest.approx(0.75)
    assert float(pinball(pred, y, [0.25])) == pytest.approx((0.5 + 0.75) / 2)
    # Two levels are averaged: y = 1 between q_0.1 = 0 and q_0.9 = 2 costs 0.1 at each.
    assert float(pinball(torch.tensor([[0.0, 2.0]]), torch.tensor([1.0]), [0.1, 0.9])) \
        == pytest.approx(0.1)


def test_pinball_matches_its_definition_with_the_indicator():
    # ρ_τ(u) = u·(τ − 1{u < 0}), written independently of max(τu, (τ − 1)u), in float64.
    gen = torch.Generator().manual_seed(0)
    pred = torch.randn(3, 50, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(3, 50, generator=gen, dtype=torch.float64)
    tau = [0.05, 0.95]
    expected = np.zeros((3, 50))
    for m in range(3):
        for i in range(50):
            for k, t in enumerate(tau):
                u = float(y[m, i] - pred[m, i, k])
                expected[m, i] += u * (t - (u < 0)) / len(tau)
    np.testing.assert_allclose(pinball(pred, y, tau, reduction="none").numpy(), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(pinball(pred, y, tau, reduction="member").numpy(),
                               expected.mean(axis=1), rtol=1e-12)


def test_a_constant_minimising_the_pinball_loss_is_the_empirical_quantile():
    # The defining property: argmin_q Σ ρ_τ(y_i − q) is the τ-quantile of the y_i.
    y = torch.tensor(np.random.default_rng(1).standard_normal(101))
    candidates = torch.linspace(-3, 3, 6001, dtype=torch.float64)
    losses = torch.stack([pinball(c.reshape(1, 1).expand(101, 1), y, [0.8]) for c in candidates])
    best = float(candidates[int(torch.argmin(losses))])
    # with 101 points the 0.8-quantile is the 81st smallest value (index 80)
    assert best == pytest.approx(float(np.sort(y.numpy())[80]), abs=1e-3)


def test_pinball_rejects_levels_outside_zero_one():
    with pytest.raises(ValueError, match=r"levels in \(0, 1\).* Got \[0.5, 1.0\]\."):
        pinball(torch.zeros(4, 2), torch.zeros(4), [0.5, 1.0])


def test_a_linear_model_trained_with_pinball_matches_sklearns_quantile_regressor():
    # y = 1 + 2x + (1 + 0.5x)ε on x ∈ [0, 4]: every conditional quantile is linear in x.
    # The same linear model fitted two ways: scikit-learn's exact linear program (HiGHS), and
    # Adam on our pinball loss (x centred at 2; the step decays 100-fold over 3,000 steps).
    # Measured: slopes differ by < 4e-5, predictions at x = 0 and 4 by < 2e-4, and our loss
    # is above sklearn's exact minimum by < 4e-7 (relative). Bounds: 0.01, 0.02, 1e-4.
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 4, 2000)
    y = 1 + 2 * x + (1 + 0.5 * x) * rng.standard_normal(2000)
    xt, yt = torch.tensor(x - 2)[:, None], torch.tensor(y)
    ends = torch.tensor([[-2.0], [2.0]], dtype=torch.float64)  # x = 0 and x = 4
    for tau in (0.05, 0.5, 0.95):
        sk = QuantileRegressor(quantile=tau, alpha=0.0, solver="highs").fit(x[:, None], y)
        torch.manual_seed(0)
        model = torch.nn.Linear(1, 1).double()
        optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
        schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=0.01 ** (1 / 3000))
        for _ in range(3000):
            optimiser.zero_grad()
            pinball(model(xt), yt, [tau]).backward()
            optimiser.step()
            schedule.step()
        with torch.no_grad():
            ours = float(pinball(model(xt), yt, [tau]))
            at_ends = model(ends)[:, 0].numpy()
            slope = float(model.weight)
        theirs = float(pinball(torch.tensor(sk.predict(x[:, None]))[:, None], yt, [tau]))
        assert slope == pytest.approx(sk.coef_[0], abs=0.01), (tau, slope, sk.coef_[0])
        np.testing.assert_allclose(at_ends, sk.predict(np.array([[0.0], [4.0]])), atol=0.02)
        # sklearn's is the exact minimum: ours cannot be below it
        assert theirs * (1 - 1e-9) <= ours <= theirs * (1 + 1e-4), (tau, ours, theirs)


# --- CQR ---------------------------------------------------------------------------------------


def test_cqr_scores_and_correction_by_hand():
    np.testing.assert_array_equal(
        cqr_scores(np.array([0.0, 0.0, 0.0]), np.array([2.0, 2.0, 2.0]),
                   np.array([1.0, -0.5, 2.25])),
        [-1.0, 0.5, 0.25])
    # n = 19, α = 0.1: rank ⌈20·0.9⌉ = 18, so Q is the 18th smallest of 1..19.
    assert cqr_correction(np.arange(19.0, 0.0, -1.0), 0.1) == 18.0
    # n = 9 is the fewest for α = 0.1: ⌈10·0.9⌉ = 9 ≤ 9, the largest score.
    assert cqr_correction(np.arange(9.0), 0.1) == 8.0
    assert [min_calibration_points(a) for a in (0.1, 0.05, 0.2, 0.01)] == [9, 19, 4, 99]


def test_cqr_refuses_too_few_calibration_points():
    # n = 8 at α = 0.1: ⌈9·0.9⌉ = 9 > 8, no finite correction promises 90 %.
    with pytest.raises(ValueError, match=r"at least 9 calibration points.* Got 8\."):
        cqr_correction(np.zeros(8), 0.1)


def test_cqr_marginal_coverage_holds_over_many_calibration_draws():
    # Theory (Romano et al. 2019, Thm 1): for exchangeable data, whatever the quantile model,
    # P(y ∈ [q̂_lo − Q, q̂_hi + Q]) ∈ [1 − α, 1 − α + 1/(n+1)). A deliberately wrong model —
    # a constant-width band around a wrong slope, on noise growing with |x| — and 2,000
    # draws of n = 50 calibration and 200 test points: the mean coverage has standard error
    # ≈ √(0.09/51/2000) ≈ 0.001. Bounds: 0.9 − 0.004 and 0.9 + 1/51 + 0.004.
    rng = np.random.default_rng(0)
    alpha, n, m, draws = 0.1, 50, 200, 2000
    coverages = []
    for _ in range(draws):
        x = rng.uniform(-4, 4, n + m)
        y = np.sin(x) + (0.1 + 0.3 * np.abs(x)) * rng.standard_normal(n + m)
        lower, upper = 0.5 * x - 0.3, 0.5 * x + 0.3
        big_q = cqr_correction(cqr_scores(lower[:n], upper[:n], y[:n]), alpha)
        inside = (lower[n:] - big_q <= y[n:]) & (y[n:] <= upper[n:] + big_q)
        coverages.append(inside.mean())
    mean = float(np.mean(coverages))
    assert 0.9 - 0.004 <= mean <= 0.9 + 1 / (n + 1) + 0.004, mean


def test_width_ratio_is_one_for_a_constant_band():
    x = np.linspace(-6, 6, 400)
    assert width_ratio(x, x - 0.7, x + 0.7) == pytest.approx(1.0)
    # width 1 + |x|: mean over 3 ≤ |x| ≤ 4 is 4.5, over |x| ≤ 1 is 1.5 (uniform grid): 3
    assert width_ratio(x, np.zeros(400), 1 + np.abs(x)) == pytest.approx(3.0, rel=0.02)


def test_config_refuses_a_level_its_calibration_set_cannot_promise():
    # 20 training points give 20 calibration points; 99 % needs 99.
    with pytest.raises(ValueError, match=r"needs at least 99 calibration points.* "
                                         r"Got interval_level = 0.99\."):
        RegressionConfig(quantile_band=True, interval_level=0.99)
    RegressionConfig(quantile_band=True, interval_level=0.95)  # 19 ≤ 20
    RegressionConfig(interval_level=0.99)  # no quantile band: nothing to calibrate
    assert "interval_level" in RegressionConfig.inactive_fields({"quantile_band": False})
    assert "interval_level" not in RegressionConfig.inactive_fields({"quantile_band": True})


def test_a_fast_run_has_all_intervals_with_consistent_numbers():
    config = RegressionConfig(function="sine", noise_shape="growing", n_points=100,
                              method="none", steps=150, quantile_band=True, interval_level=0.8)
    r = run_regression(config)
    q = r.quantile
    assert q.level == 0.8 and q.n_calibration == 50
    assert np.all(q.lower <= q.upper)  # sorted: the quantiles never cross
    np.testing.assert_allclose(q.cqr_lower, q.lower - q.cqr_q)
    np.testing.assert_allclose(q.cqr_upper, q.upper + q.cqr_q)
    np.testing.assert_allclose(q.constant_upper - q.constant_lower, 2 * q.constant_q)
    assert q.rows["constant"][2] == pytest.approx(1.0)
    # Q recomputed from the calibration points, by interpolating the band on the grid
    lo, hi = np.interp(r.x_cal, r.x_grid, q.lower), np.interp(r.x_cal, r.x_grid, q.upper)
    scores = np.sort(np.maximum(lo - r.y_cal, r.y_cal - hi))
    assert q.cqr_q == pytest.approx(scores[math.ceil(51 * 0.8) - 1], abs=0.02)
    assert math.isnan(q.rows["truth"][0]) and q.true_width is not None
    table = intervals.interval_table(r)
    assert table["method"] == ["quantile", "cqr", "constant", "gaussian", "truth"]
    assert r.quantile is not None and r.gp is None


# --- science: the CQR preset ------------------------------------------------------------------


@pytest.mark.science
def test_cqr_adapts_to_growing_noise_where_the_constant_band_cannot():
    # The preset "CQR adapts to noise growing with |x|" (sine, σ(x) = 0.3(0.25 + 0.375|x|),
    # 300 points, 90 %), seeds 0–4. Measured: CQR width edge/centre 2.40, 3.29, 3.80, 2.67,
    # 3.53 (true interval 3.59); constant band 1.00; coverage CQR 0.892, 0.911, 0.881,
    # 0.902, 0.807 (mean 0.879), constant 0.899, 0.895, 0.908, 0.905, 0.881.
    # Bounds: CQR ratio ≥ 2 at every seed; constant ratio 1; mean coverage ≥ 0.9 − 4·0.012
    # (a coverage given its 150 calibration points has sd ≈ √(0.09/151) ≈ 0.024, plus 0.0095
    # from 1,000 test points: 0.026 per seed, 0.012 for the mean of five).
    config = report.PRESETS[report.CQR_PRESET]
    assert config.quantile_band and config.interval_level == 0.9
    results = [run_regression(config.replace(seed=s)) for s in range(5)]
    cqr = np.array([r.quantile.rows["cqr"] for r in results])
    constant = np.array([r.quantile.rows["constant"] for r in results])
    assert np.all(cqr[:, 2] >= 2.0), f"CQR width ratios {cqr[:, 2]}"
    np.testing.assert_allclose(constant[:, 2], 1.0, rtol=1e-9)
    assert cqr[:, 0].mean() >= 0.9 - 4 * 0.012, f"CQR coverages {cqr[:, 0]}"
    assert constant[:, 0].mean() >= 0.9 - 4 * 0.012, f"constant coverages {constant[:, 0]}"
    notice = intervals.interval_notice(results[0])
    assert f"CQR covers {cqr[0, 0]:.1%}" in notice and "it follows σ(x)" in notice
