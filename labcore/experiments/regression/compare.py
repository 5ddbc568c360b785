"""The Regression page's "MSE vs NLL" view: the same data and networks trained with each loss,
and the caption that compares how their σ(x) varies and how well each fits the mean."""

from __future__ import annotations

import math

import numpy as np

from labcore.budget import check_computation
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.cost import ADVICE, run_parts
from labcore.experiments.regression.report import BETA_NLL_PRESET, fmt, grid_regions
from labcore.experiments.regression.run import RegressionResult


def loss_comparison(config: RegressionConfig) -> dict[str, RegressionConfig]:
    """The "MSE vs NLL" view's three models: the same data and networks, one loss each.

    β-NLL keeps the config's β when it already trains with β-NLL, else the field's default.

    Returns:
        Display name → config, in the order the view shows them.

    Raises:
        ValueError: the two models besides the config's own (already trained) are estimated
            together above the time limit (:mod:`labcore.budget`).
    """
    others = [loss for loss in ("mse", "gaussian_nll", "beta_nll") if loss != config.loss]
    check_computation([part for loss in others for part in run_parts(config, loss=loss)],
                      ADVICE, f"The loss comparison ({len(others)} more trainings)")
    beta = config.beta if config.loss == "beta_nll" else RegressionConfig().beta
    return {
        "MSE: one σ from held-out residuals": config.replace(loss="mse"),
        "Gaussian NLL: σ(x) learned": config.replace(loss="gaussian_nll"),
        f"β-NLL (β = {beta:g}): σ(x) learned, mean kept": config.replace(loss="beta_nll",
                                                                        beta=beta),
    }


VARIES = 1.5
"""A σ(x) "varies" across the data when its 90th percentile there is at least this many times
its 10th percentile."""
NOISE_PRESET = "S2 · Noise growing with |x|"


def _spread(std: np.ndarray | None, where: np.ndarray) -> float:
    """90th over 10th percentile of a σ(x) on the grid points ``where`` (1.0 = constant)."""
    if std is None:
        return math.nan
    lo, hi = np.percentile(std[where], [10, 90])
    return float(hi / lo) if lo > 0 else math.inf


def loss_comparison_notice(runs: dict[str, RegressionResult]) -> str:
    """The caption of "MSE vs NLL": how much each learned σ(x) varies, and the test RMSE.

    Args:
        runs: :func:`loss_comparison`'s three models (MSE, Gaussian NLL, β-NLL), trained.
    """
    (_, mse), (_, nll), (beta_name, beta) = runs.items()
    inside = grid_regions(nll)[0]
    r_nll, r_beta = _spread(nll.aleatoric_std, inside), _spread(beta.aleatoric_std, inside)
    r_true = _spread(nll.true_std, inside)
    beta_label = beta_name.split(":")[0]
    shape = (f"MSE's noise band has one width everywhere (1.0×); among the points the learned "
             f"aleatoric σ(x) varies {r_nll:.1f}× for the Gaussian NLL and {r_beta:.1f}× for "
             f"{beta_label}, 90th over 10th percentile")
    if math.isnan(r_true):
        shape += "."
    elif r_true < VARIES:
        shape += (f"; the true σ(x) is about the same everywhere here, {r_true:.1f}×, so one "
                  f"width is right too (the preset \"{NOISE_PRESET}\" has σ(x) that varies).")
    else:
        shape += f"; the true σ(x) varies {r_true:.1f}×."
    e_mse, e_nll, e_beta = (r.metrics["rmse"] for r in (mse, nll, beta))
    rmse = (f"Test RMSE: {e_mse:.3g} (MSE), {e_nll:.3g} (Gaussian NLL), {e_beta:.3g} "
            f"({beta_label})")
    absent = (f"so the neglected mean that β-NLL repairs does not show on these settings; the "
              f"preset \"{BETA_NLL_PRESET}\" shows it.")
    if e_nll >= CLEARLY_BETTER * e_beta:
        rmse += (f": plain NLL's is {e_nll / e_beta:.1f}× {beta_label}'s. Plain NLL divides "
                 "each miss by σ², so where it calls the data noisy it fits the mean less; "
                 f"{beta_label} weighs those points back in.")
        m = mean_fit_summary(nll, beta)
        if not math.isnan(m["true_std"]):
            rmse += (f" Where plain NLL's mean is furthest off f(x) (the worst tenth of the "
                     f"range) it misses by {fmt(m['nll_miss'])} and claims σ = "
                     f"{fmt(m['nll_std'])} against a true {fmt(m['true_std'])}: it calls its "
                     f"own miss noise; {beta_label} misses by {fmt(m['beta_miss'])} there.")
    elif e_beta >= CLEARLY_BETTER * e_nll:
        rmse += (f": {beta_label} fits the mean worse than plain NLL here, {absent}")
    else:
        rmse += (f": plain NLL fits the mean about as well as {beta_label} here (within "
                 f"{CLEARLY_BETTER - 1:.0%}), {absent}")
    return f"Notice: same data, same networks. {shape} {rmse}"


CLEARLY_BETTER = 1.15
"""β-NLL "fits the mean better" when plain NLL's test RMSE is at least this many times its own."""


def mean_fit_summary(nll: RegressionResult, beta: RegressionResult) -> dict[str, float]:
    """Where plain NLL's mean is furthest off the true f(x): its miss, its σ, the true σ.

    The region is the worst tenth of the grid points among the training points (data range
    minus gap), ranked by plain NLL's |μ(x) − f(x)|; all values are means over it, units of y.

    Args:
        nll: the Gaussian-NLL run.
        beta: the β-NLL run on the same data.

    Returns:
        ``nll_miss``, ``beta_miss`` (mean |μ − f|), ``nll_std``, ``beta_std`` (mean learned
        aleatoric σ) and ``true_std``; all NaN when the truth is unknown.
    """
    keys = ("nll_miss", "beta_miss", "nll_std", "beta_std", "true_std")
    if nll.true_mean is None:
        return dict.fromkeys(keys, math.nan)
    inside = np.flatnonzero(grid_regions(nll)[0])
    miss = np.abs(nll.pred_mean[inside] - nll.true_mean[inside])
    worst = inside[np.argsort(miss)[-max(1, inside.size // 10):]]
    values = (np.abs(nll.pred_mean - nll.true_mean), np.abs(beta.pred_mean - beta.true_mean),
              nll.aleatoric_std, beta.aleatoric_std, nll.true_std)
    return {k: float(np.mean(v[worst])) for k, v in zip(keys, values, strict=True)}
