"""Presets, tables and downloads of the Regression lab (numbers the page shows, computed here)."""

from __future__ import annotations

import numpy as np

from labcore.experiments.regression.run import RegressionConfig, RegressionResult, SizeSweepResult

PRESETS: dict[str, RegressionConfig] = {
    "S2 · Cubic, 20 points (Lakshminarayanan et al. 2017)": RegressionConfig(),
    "S2 · Noise growing with |x|": RegressionConfig(
        function="sine", noise_shape="growing", n_points=300, method="none"),
    "S3 · A gap in the data": RegressionConfig(
        function="sine", gap_width=2.5, n_points=100, steps=2000),
    "S3 · Add points inside the gap": RegressionConfig(
        function="sine", gap_width=2.5, n_points=100, steps=2000, add_where="gap", add_n=50),
    "S4 · MC dropout on a gap": RegressionConfig(
        function="sine", gap_width=2.5, n_points=100, steps=2000, method="mc_dropout",
        dropout=0.1),
    "β-NLL: a noisy bump": RegressionConfig(
        function="sine", noise_shape="bump", n_points=300, loss="beta_nll", beta=0.5),
    "S12 · Noise on the inputs x": RegressionConfig(
        function="sine", n_points=300, x_noise=0.3, method="none"),
}


METRIC_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("RMSE", "rmse", ".3f",
     "root mean squared error of the predicted mean (units of y; lower is better)"),
    ("Gaussian NLL", "nll", ".3f",
     "mean of ½·log 2π + log σ + (y−μ)²/(2σ²), with the ½·log 2π constant (nats)"),
    ("CRPS", "crps", ".3f",
     "continuous ranked probability score (units of y; lower is better)"),
    ("95 % coverage", "coverage_95", ".1%",
     "share of test points inside μ ± 1.96σ (should be near 95 %)"),
    ("95 % interval width", "width_95", ".3f",
     "mean width of μ ± 1.96σ (units of y; narrower is better at equal coverage)"),
    ("Conformal coverage", "conformal_coverage_95", ".1%",
     "share inside the split-conformal band (guaranteed ≥ 95 % on average)"),
    ("Conformal width", "conformal_width_95", ".3f",
     "mean width of the conformal band (units of y; ∞ when fewer than 19 validation points: "
     "no finite band can promise 95 %)"),
)
"""The metrics table: (metric, key in ``RegressionResult.metrics``, format, meaning)."""


def metrics_rows(result: RegressionResult) -> list[dict[str, str]]:
    """The held-out metrics as table rows: metric, value (∞ where infinite), what it means."""
    m = result.metrics
    return [{"metric": label, "value": "∞" if np.isposinf(m[key]) else f"{m[key]:{fmt}}",
             "meaning": meaning}
            for label, key, fmt, meaning in METRIC_ROWS]


def grid_table(result: RegressionResult) -> dict[str, np.ndarray]:
    """Columns for a CSV download: everything the band figure draws, on the grid."""
    truth = {} if result.true_mean is None else {
        "true_mean": result.true_mean, "true_std": result.true_std}
    return {
        "x": result.x_grid,
        **truth,
        "pred_mean": result.pred_mean,
        "aleatoric_std": result.aleatoric_std,
        "epistemic_std": result.epistemic_std,
        "total_std": result.total_std,
        "conformal_lower": result.conformal_lower,
        "conformal_upper": result.conformal_upper,
    }


def sweep_table(sweep: SizeSweepResult) -> dict[str, np.ndarray]:
    """Columns of the size sweep: n, mean aleatoric σ, mean epistemic σ, RMSE."""
    return {
        "n_points": sweep.sizes,
        "mean_aleatoric_std": sweep.aleatoric_std,
        "mean_epistemic_std": sweep.epistemic_std,
        "true_mean_std": np.full(sweep.sizes.shape, sweep.true_std),
        "test_rmse": sweep.rmse,
    }


def gap_summary(before: RegressionResult, after: RegressionResult) -> dict[str, float]:
    """Mean epistemic and aleatoric σ inside the gap (or the whole data range) before and after.

    Returns a mapping with keys ``epistemic_before``, ``epistemic_after``, ``aleatoric_before``,
    ``aleatoric_after`` (units of y).
    """
    x = before.x_grid
    region = before.gap if before.gap is not None else before.data_range
    inside = (x > region[0]) & (x < region[1])
    return {
        "epistemic_before": float(np.mean(before.epistemic_std[inside])),
        "epistemic_after": float(np.mean(after.epistemic_std[inside])),
        "aleatoric_before": float(np.mean(before.aleatoric_std[inside])),
        "aleatoric_after": float(np.mean(after.aleatoric_std[inside])),
    }


def loss_comparison(config: RegressionConfig) -> dict[str, RegressionConfig]:
    """The "MSE vs NLL" view's three models: the same data and networks, one loss each.

    β-NLL keeps the config's β when it already trains with β-NLL, else the field's default.

    Returns:
        Display name → config, in the order the view shows them.
    """
    beta = config.beta if config.loss == "beta_nll" else RegressionConfig().beta
    return {
        "MSE: one σ from held-out residuals": config.replace(loss="mse"),
        "Gaussian NLL: σ(x) learned": config.replace(loss="gaussian_nll"),
        f"β-NLL (β = {beta:g}): σ(x) learned, mean kept": config.replace(loss="beta_nll",
                                                                        beta=beta),
    }
