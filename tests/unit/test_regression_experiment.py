"""Tests for labcore.experiments.regression: fast checks of the result, then science tests.

The science tests train real models with fixed seeds and check what theory predicts; each
tolerance says how it was chosen and what was measured (2-core CPU, torch 2.14).
"""

from __future__ import annotations

import numpy as np
import pytest

from labcore.data.regression import true_mean, true_std
from labcore.experiments.regression.run import RegressionConfig, run_regression, run_size_sweep

FAST = RegressionConfig(steps=200)  # cubic, 20 points, a 5-member ensemble


@pytest.fixture(scope="module")
def fast_result():
    return run_regression(FAST)


# --- fast checks ------------------------------------------------------------------------------


def test_result_arrays_have_the_grid_shape_and_are_finite(fast_result):
    r = fast_result
    assert r.x_grid.shape == (400,)
    assert r.x_grid[0] == -6.0 and r.x_grid[-1] == 6.0
    for name in (
        "pred_mean",
        "aleatoric_std",
        "epistemic_std",
        "total_std",
        "true_mean",
        "true_std",
        "conformal_lower",
        "conformal_upper",
    ):
        values = getattr(r, name)
        assert values.shape == (400,), name
        assert np.all(np.isfinite(values)), name
    assert r.member_means.shape == (FAST.members, 400)
    assert np.all(r.conformal_lower <= r.conformal_upper)
    assert r.train_loss.shape[1] == FAST.members
    assert r.val_loss.shape == (len(r.eval_steps), FAST.members)


def test_truth_on_the_grid_is_the_data_modules_truth(fast_result):
    r = fast_result
    np.testing.assert_array_equal(r.true_mean, true_mean("cubic", r.x_grid))
    np.testing.assert_array_equal(r.true_std, true_std("cubic", "constant", 1.0, r.x_grid))


def test_total_variance_is_aleatoric_plus_epistemic(fast_result):
    r = fast_result
    np.testing.assert_allclose(r.total_std**2, r.aleatoric_std**2 + r.epistemic_std**2, rtol=1e-10)
    # the epistemic part is the spread of the members' means (population variance)
    np.testing.assert_allclose(r.epistemic_std, r.member_means.std(axis=0), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(r.pred_mean, r.member_means.mean(axis=0), rtol=1e-10)


def test_metrics_are_in_range(fast_result):
    m = fast_result.metrics
    for name in ("coverage_95", "conformal_coverage_95"):
        assert 0.0 <= m[name] <= 1.0
    assert m["rmse"] > 0 and m["width_95"] > 0 and m["conformal_width_95"] > 0
    assert 1 <= m["steps_run"] <= FAST.steps
    r = fast_result
    assert np.all((r.calibration_observed >= 0) & (r.calibration_observed <= 1))
    assert r.calibration_expected.shape == r.calibration_observed.shape


def test_same_config_gives_an_identical_result(fast_result):
    again = run_regression(FAST)
    for name in (
        "x_train",
        "y_train",
        "pred_mean",
        "aleatoric_std",
        "epistemic_std",
        "conformal_lower",
        "train_loss",
        "val_loss",
    ):
        np.testing.assert_array_equal(getattr(again, name), getattr(fast_result, name))
    assert again.metrics == fast_result.metrics


def test_a_different_seed_draws_different_data(fast_result):
    other = run_regression(FAST.replace(seed=1))
    assert not np.any(np.isin(other.x_train, fast_result.x_train))


def test_method_none_has_no_epistemic_uncertainty():
    r = run_regression(RegressionConfig(steps=200, method="none"))
    assert r.member_means.shape == (1, 400)
    np.testing.assert_array_equal(r.epistemic_std, np.zeros(400))
    np.testing.assert_allclose(r.total_std, r.aleatoric_std, rtol=1e-12)


def test_mc_dropout_has_one_row_per_pass_and_some_spread():
    r = run_regression(RegressionConfig(steps=200, method="mc_dropout", mc_samples=10))
    assert r.member_means.shape == (10, 400)
    assert np.all(r.epistemic_std > 0)


def test_mse_models_have_one_noise_level_everywhere():
    r = run_regression(RegressionConfig(steps=200, loss="mse"))
    np.testing.assert_allclose(r.aleatoric_std, r.aleatoric_std[0], rtol=1e-10)


def test_gap_and_added_points():
    config = RegressionConfig(steps=100, method="none", gap_width=2.0, add_where="gap", add_n=30)
    r = run_regression(config)
    assert r.gap == (-1.0, 1.0)
    assert len(r.x_train) == config.n_points + 30 and len(r.x_added) == 30
    assert np.all((r.x_added >= -1.0) & (r.x_added <= 1.0))
    original = r.x_train[: config.n_points]
    assert not np.any((original > -1.0) & (original < 1.0))


def test_progress_ends_at_one_with_done():
    calls: list[tuple[float, str]] = []
    config = RegressionConfig(steps=100, method="none")
    run_regression(config, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert calls[-1] == (1.0, "Done")
    assert calls[0][1].startswith("Training one network: step 25 of 100")


def test_too_few_points_raises():
    with pytest.raises(ValueError, match=r"Training points \(n_points\) must be .* Got 3\."):
        RegressionConfig(n_points=3)


def test_learning_rate_too_high_is_reported_not_silently_returned():
    config = RegressionConfig(
        lr=1.0,
        hidden=256,
        n_layers=4,
        loss="gaussian_nll",
        method="none",
        function="sine",
        steps=100,
        seed=0,
    )
    try:
        result = run_regression(config)
    except ValueError as error:
        assert "learning rate" in str(error) and "Got" in str(error)
        return
    # A run that returns must beat the constant prediction 0, whose RMSE on this data is
    # √(E[f²] + σ²) ≈ √(2 + 0.09) ≈ 1.45.
    assert result.metrics["rmse"] < 1.45


# --- science ----------------------------------------------------------------------------------


def _mean_relative_error(result, limit: float = 3.5) -> float:
    inside = np.abs(result.x_grid) <= limit
    truth = result.true_std[inside]
    return float(np.mean(np.abs(result.aleatoric_std[inside] - truth) / truth))


@pytest.mark.science
def test_heteroscedastic_nll_recovers_the_true_noise_and_mse_cannot():
    # σ(x) = 0.3·(0.25 + 0.375|x|) grows 6-fold from x = 0 to |x| = 4. With 1000 points a
    # Gaussian-NLL network follows it: measured mean relative error 8.1 % (seed 0; 4.4–8.1 %
    # over seeds 0–2, 5–9 % for linear and for ensembles); bound 20 % as the task states.
    # An MSE model has one σ for all x, so it cannot: measured 62 % (61–65 % over seeds 0–3);
    # bound 40 %.
    base = RegressionConfig(
        function="sine", noise_shape="growing", n_points=1000, method="none", seed=0
    )
    assert _mean_relative_error(run_regression(base.replace(loss="gaussian_nll"))) < 0.20
    assert _mean_relative_error(run_regression(base.replace(loss="mse"))) > 0.40


# Sine with a gap of width 2.5 around 0 and 100 points; early stopping off and 2000 steps so
# every member fits its data (with early stopping on, some members stop while the ensemble
# still disagrees inside the data and the contrast is much weaker: ratio 0.9–2.8).
GAP = RegressionConfig(
    function="sine",
    gap_width=2.5,
    n_points=100,
    method="ensemble",
    early_stopping=False,
    steps=2000,
    seed=0,
)


@pytest.fixture(scope="module")
def gap_results():
    return {
        "nowhere": run_regression(GAP),
        "gap": run_regression(GAP.replace(add_where="gap", add_n=50)),
    }


def _mean_epistemic(result, lo: float, hi: float) -> float:
    where = (np.abs(result.x_grid) > lo) & (np.abs(result.x_grid) < hi)
    return float(np.mean(result.epistemic_std[where]))


@pytest.mark.science
def test_epistemic_uncertainty_is_larger_in_the_gap_than_in_the_data(gap_results):
    # Measured ratio (mean epistemic σ for |x| < 1) / (for 2 < |x| < 4): 6.4 for seed 0
    # (4.8–6.4 over seeds 0–4). Bound 2, with margin, as "clearly larger".
    r = gap_results["nowhere"]
    assert _mean_epistemic(r, -1.0, 1.0) >= 2.0 * _mean_epistemic(r, 2.0, 4.0)


@pytest.mark.science
def test_adding_points_in_the_gap_lowers_epistemic_uncertainty_there(gap_results):
    # 50 points added inside the gap: mean epistemic σ for |x| < 1 fell from 0.289 to 0.065
    # (ratio 0.23; 0.12–0.23 over seeds 0–2). Bound: at most half.
    without = _mean_epistemic(gap_results["nowhere"], -1.0, 1.0)
    with_added = _mean_epistemic(gap_results["gap"], -1.0, 1.0)
    assert with_added <= 0.5 * without


@pytest.mark.science
def test_size_sweep_epistemic_falls_and_aleatoric_settles_at_the_truth():
    # Theory: epistemic σ shrinks like 1/√n (about √50 ≈ 7× from n = 20 to 1000); aleatoric σ
    # tends to the true σ = 0.3. Measured (seed 0): epistemic 0.241, 0.067, 0.010; aleatoric at
    # n = 1000: 0.292 (2.7 % off; 0.3–3.2 % over seeds 0–2). Bounds: strictly falling, at least
    # 3× overall, aleatoric within 25 % of the truth. Early stopping on (each member keeps its
    # best validation weights), as when these values were measured.
    sweep = run_size_sweep(
        RegressionConfig(function="sine", steps=500, members=3, seed=0, early_stopping=True),
        sizes=(20, 200, 1000),
    )
    np.testing.assert_array_equal(sweep.sizes, [20, 200, 1000])
    assert np.all(np.diff(sweep.epistemic_std) < 0)
    assert sweep.epistemic_std[0] >= 3 * sweep.epistemic_std[-1]
    assert sweep.true_std == pytest.approx(0.3)
    assert abs(sweep.aleatoric_std[-1] - sweep.true_std) < 0.25 * sweep.true_std


@pytest.mark.science
def test_split_conformal_coverage_holds_over_seeds():
    # Split conformal on n_cal = 100 validation points (not used for training: early stopping
    # off). Given the calibration set, coverage is Beta(96, 5) (k = ⌈101·0.95⌉ = 96): mean
    # 0.9505, std 0.0215; 1000 test points add binomial std √(0.95·0.05/1000) = 0.0069; total
    # 0.0226 per seed, 0.0101 for the mean of 5 seeds. Bound: mean ≥ 0.95 − 3·0.0101 = 0.92.
    # Measured: 0.932, 0.950, 0.956, 0.931, 0.920 (mean 0.938); the plain Gaussian 95 %
    # intervals of the same models covered only 0.80 on average.
    coverages = [
        run_regression(
            RegressionConfig(
                function="sine",
                noise_shape="growing",
                n_points=200,
                method="none",
                early_stopping=False,
                steps=500,
                seed=seed,
            )
        ).metrics["conformal_coverage_95"]
        for seed in range(5)
    ]
    assert np.mean(coverages) >= 0.95 - 3 * 0.0101
    assert min(coverages) >= 0.95 - 3 * 0.0226
