"""Presets, tables and downloads of the Regression lab (numbers the page shows, computed here)."""

from __future__ import annotations

import math

import numpy as np

from labcore.experiments.regression.run import RegressionConfig, RegressionResult
from labcore.experiments.regression.sweep import SizeSweepResult

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
     "share inside the split-conformal band (guaranteed ≥ 95 % on average: its calibration "
     "points were used for nothing else)"),
    ("Conformal width", "conformal_width_95", ".3f",
     "mean width of the conformal band (units of y; ∞ when fewer than 19 calibration points: "
     "no finite band can promise 95 %)"),
)
"""The metrics table: (metric, key in ``RegressionResult.metrics``, format, meaning)."""

APPROXIMATE_CONFORMAL = (
    "share inside the split-conformal band — approximate: it is calibrated on the validation "
    "points, which also set σ (MSE) or early stopping, so the 95 % guarantee does not hold")


def metrics_rows(result: RegressionResult) -> list[dict[str, str]]:
    """The held-out metrics as table rows: metric, value (∞ where infinite), what it means.

    The conformal coverage says "approximate" when its calibration points also fitted the
    model (``metrics["conformal_exact"] == 0``: a user's data with MSE or early stopping).
    """
    m = result.metrics
    rows = []
    for label, key, fmt, meaning in METRIC_ROWS:
        if key == "conformal_coverage_95" and not m["conformal_exact"]:
            meaning = APPROXIMATE_CONFORMAL
        rows.append({"metric": label, "value": "∞" if np.isposinf(m[key]) else f"{m[key]:{fmt}}",
                     "meaning": meaning})
    return rows


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
    ``aleatoric_after`` and ``true_std`` (the mean true σ there; NaN when unknown), units of y.
    """
    x = before.x_grid
    region = before.gap if before.gap is not None else before.data_range
    inside = (x > region[0]) & (x < region[1])
    truth = math.nan if before.true_std is None else float(np.mean(before.true_std[inside]))
    return {
        "epistemic_before": float(np.mean(before.epistemic_std[inside])),
        "epistemic_after": float(np.mean(after.epistemic_std[inside])),
        "aleatoric_before": float(np.mean(before.aleatoric_std[inside])),
        "aleatoric_after": float(np.mean(after.aleatoric_std[inside])),
        "true_std": truth,
    }


def _num(value: float) -> str:
    """A σ for a sentence: three significant digits (units of y)."""
    return f"{value:.3g}"


WIDER = 1.5
"""A band "opens up" in a region when its mean σ there is at least this many times its mean σ
among the training points."""


def _regions(result: RegressionResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid masks: among the points (data range minus gap), in the gap, beyond the data."""
    x = result.x_grid
    lo, hi = result.data_range
    in_range = (x >= lo) & (x <= hi)
    gap = np.zeros_like(in_range)
    if result.gap is not None:
        gap = (x > result.gap[0]) & (x < result.gap[1])
    return in_range & ~gap, gap, ~in_range


def band_summary(result: RegressionResult) -> dict[str, float]:
    """Mean σ per region of the grid: among the points, in the gap, beyond the data.

    "Among the points" is the data range minus the gap; "beyond" is the grid outside the data
    range. Keys: ``epistemic_inside``, ``epistemic_gap`` (NaN without a gap),
    ``epistemic_beyond``, ``aleatoric_inside``, ``aleatoric_beyond``, ``aleatoric_edge`` (the
    larger of the aleatoric σ at the two ends of the training inputs), ``true_inside`` and
    ``true_beyond`` (NaN when the truth is unknown); units of y.
    """
    x = result.x_grid
    inside, gap, beyond = _regions(result)
    ends = [int(np.argmin(np.abs(x - v))) for v in (result.x_train.min(), result.x_train.max())]

    def mean(values: np.ndarray | None, where: np.ndarray) -> float:
        return math.nan if values is None or not where.any() else float(np.mean(values[where]))

    return {
        "epistemic_inside": mean(result.epistemic_std, inside),
        "epistemic_gap": mean(result.epistemic_std, gap),
        "epistemic_beyond": mean(result.epistemic_std, beyond),
        "aleatoric_inside": mean(result.aleatoric_std, inside),
        "aleatoric_beyond": mean(result.aleatoric_std, beyond),
        "aleatoric_edge": float(np.max(result.aleatoric_std[ends])),
        "true_inside": mean(result.true_std, inside),
        "true_beyond": mean(result.true_std, beyond),
    }


def bands_notice(result: RegressionResult, config: RegressionConfig) -> str:
    """The caption under the bands: what the aleatoric and epistemic bands do, with numbers.

    Every comparison is read from :func:`band_summary`, so the sentence says only what this
    run shows: a band "opens up" in a region only where its mean σ is at least WIDER times its
    mean σ among the points.
    """
    b = band_summary(result)
    if config.heteroscedastic:
        aleatoric = ("the aleatoric band is the noise σ(x) the network learned from y where "
                     "there is data; beyond the data, where no point shows the noise, it stays "
                     "at the level it learned at the data's edge.")
    else:
        aleatoric = ("the aleatoric band has one width everywhere: MSE learns no σ(x), so σ "
                     "comes from held-out residuals.")
    if result.member_means.shape[0] == 1:
        return (f"Notice: {aleatoric} One network has no epistemic band: choose MC dropout or "
                "a deep ensemble to see how unsure the model itself is.")
    inside = b["epistemic_inside"]
    regions = {"beyond the data": b["epistemic_beyond"]}
    if not math.isnan(b["epistemic_gap"]):
        gap = "in the gap, where points were added," if result.x_added.size else "in the gap"
        regions = {gap: b["epistemic_gap"], **regions}
    numbers = ", ".join(f"{_num(v)} {name.rstrip(',')}" for name, v in regions.items())
    wider = [name for name, v in regions.items() if v >= WIDER * inside]
    narrow = [name for name in regions if name not in wider]
    if not narrow:
        epistemic = f"is thin among the points and opens up {' and '.join(wider)} (grey)"
    elif not wider:
        epistemic = f"is not clearly wider {' or '.join(narrow)} than among the points here"
    else:
        epistemic = (f"opens up {' and '.join(wider)} (grey), but is not clearly wider "
                     f"{' or '.join(narrow)} than among the points here")
    return (f"Notice: {aleatoric} The epistemic band {epistemic} — mean epistemic σ "
            f"{_num(inside)} among the points, {numbers}.")


def sigma_notice(result: RegressionResult, config: RegressionConfig) -> str:
    """The caption under σ(x): how far the learned aleatoric σ is from the truth in the data."""
    if result.true_std is None:
        return ("Notice: the truth of your data is unknown, so only the learned σ(x) are drawn: "
                "aleatoric (the noise the network sees in y) and epistemic (the spread between "
                "the networks).")
    b = band_summary(result)
    n = f"{result.x_train.size:,} training points"
    inside = _regions(result)[0]
    error = float(np.mean(np.abs(result.aleatoric_std[inside] - result.true_std[inside])
                          / result.true_std[inside]))
    kind = "learned aleatoric σ(x)" if config.heteroscedastic else "MSE's one σ"
    return (f"Notice: among the points the {kind} is {error:.0%} off the true σ(x) on "
            f"average ({n}); its mean there is {_num(b['aleatoric_inside'])} against a true "
            f"{_num(b['true_inside'])}.")


def more_data_notice(summary: dict[str, float], where: str) -> str:
    """The caption of "Would more data help?": the two σ where points were added, before → after.

    Args:
        summary: :func:`gap_summary` of the runs before and after adding points.
        where: the region, e.g. "inside the gap".
    """
    e0, e1 = summary["epistemic_before"], summary["epistemic_after"]
    a0, a1 = summary["aleatoric_before"], summary["aleatoric_after"]
    change = f"shrank {e0 / e1:.1f}-fold" if e1 < e0 else "did not shrink"
    truth = summary["true_std"]
    aleatoric = f"the aleatoric σ there went from {_num(a0)} to {_num(a1)}"
    if not math.isnan(truth):
        aleatoric += (f": it estimates the true noise, {_num(truth)}, which no number of points "
                      "can remove")
    return (f"Notice: {where}, the mean epistemic σ {change}, from {_num(e0)} to {_num(e1)}; "
            f"{aleatoric}.")


def sweep_notice(sweep: SizeSweepResult) -> str:
    """The caption of the size sweep: what the numbers did, and what holds for which method.

    A deep ensemble's spread falls towards 0 as n grows; MC dropout at a fixed rate keeps a
    spread from its masks however many points there are, so it does not.
    """
    e0, e1 = float(sweep.epistemic_std[0]), float(sweep.epistemic_std[-1])
    n0, n1 = int(sweep.sizes[0]), int(sweep.sizes[-1])
    every = bool(np.all(np.diff(sweep.epistemic_std) < 0))
    if e1 < e0:
        moved = f"fell {e0 / e1:.1f}-fold{'' if every else ' overall (not at every step)'}"
    else:
        moved = "did not fall"
    epistemic = (f"epistemic σ {moved}, from {_num(e0)} at n = {n0:,} to {_num(e1)} at "
                 f"n = {n1:,}")
    if sweep.method == "mc_dropout":
        why = ("MC dropout at a fixed rate does not fall towards 0 the way an ensemble does: "
               "its spread comes from the random dropout masks, which stay however many points "
               "there are")
    else:
        why = ("a deep ensemble's members agree more as the data pin the curve down, so its "
               "spread falls towards 0 as n grows")
    a1 = float(sweep.aleatoric_std[-1])
    return (f"Notice: {epistemic}; {why}. Aleatoric σ at n = {n1:,}: {_num(a1)} against the "
            f"true noise {_num(sweep.true_std)} — more data cannot remove noise that is in y "
            "itself.")


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
