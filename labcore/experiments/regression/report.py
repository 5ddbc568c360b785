"""Presets, tables and downloads of the Regression lab (numbers the page shows, computed here)."""

from __future__ import annotations

import math

import numpy as np

from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.drag_report import (
    MIN_SETTLE_POINTS,
    UNSETTLED,
    noise_to_misses,
)
from labcore.experiments.regression.run import RegressionResult

BETA_NLL_PRESET = "β-NLL: plain NLL calls its own misses noise (Seitzer et al. 2022)"
"""A quiet step (σ(x) from 0.009 to 0.06): no network fits the jump exactly, and plain NLL
explains its misses around it with a large σ there and fits the mean less; β-NLL with β = 1
weighs those points back in and fits them better (the "MSE vs NLL" view). (On a smooth sine
plain NLL's misses showed only while training ended mid-spike: with training that ends settled
they appear on some seeds only.)"""

PRESETS: dict[str, RegressionConfig] = {
    "S2 · Cubic, 20 points (Lakshminarayanan et al. 2017)": RegressionConfig(),
    "S2 · Noise growing with |x|": RegressionConfig(
        function="sine", noise_shape="growing", n_points=300, method="none"),
    "S3 · A gap in the data": RegressionConfig(
        function="sine", gap_width=2.5, n_points=200, steps=2000),
    "S3 · Add points inside the gap": RegressionConfig(
        function="sine", gap_width=2.5, n_points=200, steps=2000, add_where="gap", add_n=50),
    "S4 · MC dropout on a gap": RegressionConfig(
        function="sine", gap_width=2.5, n_points=200, steps=2000, method="mc_dropout",
        dropout=0.1),
    BETA_NLL_PRESET: RegressionConfig(
        function="step", noise_shape="bump", noise_scale=0.1, n_points=300, method="none",
        loss="beta_nll", beta=1.0),
    "S12 · Noise on the inputs x": RegressionConfig(
        function="sine", n_points=300, x_noise=0.3, method="none"),
    "CQR adapts to noise growing with |x|": RegressionConfig(
        function="sine", noise_shape="growing", n_points=300, method="none",
        quantile_band=True),
    "Bayesian yardstick: a Gaussian process beside the ensemble": RegressionConfig(
        function="sine", gap_width=2.5, n_points=200, steps=2000, gp_reference=True),
}
CQR_PRESET = "CQR adapts to noise growing with |x|"
GP_PRESET = "Bayesian yardstick: a Gaussian process beside the ensemble"


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
        **_quantile_columns(result),
        **({} if result.gp is None else {"gp_mean": result.gp.mean, "gp_epistemic_std":
                                         result.gp.std}),
    }


def _quantile_columns(result: RegressionResult) -> dict[str, np.ndarray]:
    q = result.quantile
    if q is None:
        return {}
    return {"quantile_lower": q.lower, "quantile_upper": q.upper, "cqr_lower": q.cqr_lower,
            "cqr_upper": q.cqr_upper, "constant_conformal_lower": q.constant_lower,
            "constant_conformal_upper": q.constant_upper}


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


def fmt(value: float) -> str:
    """A σ for a sentence: three significant digits (units of y)."""
    return f"{value:.3g}"


WIDER = 1.5
"""A band "opens up" in a region when its mean σ there is at least this many times its mean σ
among the training points."""


def grid_regions(result: RegressionResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    inside, gap, beyond = grid_regions(result)
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
        gap = result.gap
        if gap is not None and not np.any((result.x_train > gap[0]) & (result.x_train < gap[1])):
            aleatoric = aleatoric[:-1] + (", and across the empty gap each network goes "
                                          "from the level at one edge to that at the other.")
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
    numbers = ", ".join(f"{fmt(v)} {name.rstrip(',')}" for name, v in regions.items())
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
            f"{fmt(inside)} among the points, {numbers}.")


OFF = 2.0
"""The learned aleatoric σ is "off" the truth when its mean among the points is more than this
many times the true mean σ there, or less than its inverse; the σ(x) caption then says why."""


def noise_diagnosis(result: RegressionResult, config: RegressionConfig) -> str:
    """Why the learned aleatoric σ is off, read from the run ("" when nothing is to be said).

    At the training points the learned σ relates to the truth through the points' misses
    |y − μ|: σ/true σ ≈ (σ / misses) · (misses / true σ). A settled Gaussian NLL makes the
    first factor about 1 (:func:`~labcore.experiments.regression.drag_report.noise_to_misses`);
    the second is about 1 when the curve follows f(x) without chasing the noise.

    - Not settled (any data, the truth unknown too): with at least
      :data:`~labcore.experiments.regression.drag_report.MIN_SETTLE_POINTS` points, σ is more than
      :data:`~labcore.experiments.regression.drag_report.UNSETTLED` times their misses: more steps.
    - Where the truth is known and the mean σ among the points is more than :data:`OFF` times
      the true one, or less than its inverse, the larger factor is named: σ above its misses
      (not settled: more steps), misses above the noise (the curve misses f(x): the networks
      call their own misfit noise) or misses below the noise (the curve chases the points: the
      networks fit part of the noise itself: more points).
    """
    if not config.heteroscedastic:
        return ""
    settle = noise_to_misses(result)
    n_points = result.x_train.size
    more_steps = (" the networks have not finished learning the noise — use more training "
                  f"steps than {config.steps:,}.")
    if settle > UNSETTLED and n_points >= MIN_SETTLE_POINTS:
        return (f" The learned σ is {settle:.1f}× the spread of the training points' misses:"
                + more_steps)
    if result.true_std is None:
        return ""
    inside = grid_regions(result)[0]
    ratio = float(np.mean(result.aleatoric_std[inside]) / np.mean(result.true_std[inside]))
    if 1 / OFF <= ratio <= OFF:
        return ""
    x = result.x_train
    misses = float(np.sqrt(np.mean((result.y_train - np.interp(x, result.x_grid,
                                                                 result.pred_mean)) ** 2)))
    noise = float(np.sqrt(np.mean(np.interp(x, result.x_grid, result.true_std) ** 2)))
    spread = misses / noise
    head = (f" It is {ratio:.2g}× the true noise; at the {n_points:,} training points σ is "
            f"{settle:.2g}× the spread of their misses, and the misses are {spread:.2g}× their "
            "true noise:")
    if ratio > OFF and settle >= spread:
        return head + more_steps
    if ratio > OFF:
        miss = float(np.mean(np.abs(result.pred_mean - result.true_mean)[inside]))
        return (head + f" the fitted curve misses f(x) by {fmt(miss)} on average there, and "
                "the networks call their own misfit noise, so the band shows how far the curve "
                "is from f(x), not only the noise in y — more points or more training steps pin "
                "the curve down where it can follow f(x).")
    if spread <= settle:
        return (head + " the curve passes closer to the points than their noise allows — the "
                "networks fit part of the noise itself; add points.")
    return head + more_steps


def sigma_notice(result: RegressionResult, config: RegressionConfig) -> str:
    """The caption under σ(x): how far the learned aleatoric σ is from the truth in the data,
    and why when it is far off (:func:`noise_diagnosis`)."""
    if result.true_std is None:
        return ("Notice: the truth of your data is unknown, so only the learned σ(x) are drawn: "
                "aleatoric (the noise the network sees in y) and epistemic (the spread between "
                "the networks)." + noise_diagnosis(result, config))
    b = band_summary(result)
    n = f"{result.x_train.size:,} training points"
    inside = grid_regions(result)[0]
    error = float(np.mean(np.abs(result.aleatoric_std[inside] - result.true_std[inside])
                          / result.true_std[inside]))
    kind = "learned aleatoric σ(x)" if config.heteroscedastic else "MSE's one σ"
    return (f"Notice: among the points the {kind} is {error:.0%} off the true σ(x) on "
            f"average ({n}); its mean there is {fmt(b['aleatoric_inside'])} against a true "
            f"{fmt(b['true_inside'])}." + noise_diagnosis(result, config))


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
    aleatoric = f"the aleatoric σ there went from {fmt(a0)} to {fmt(a1)}"
    if not math.isnan(truth):
        aleatoric += (f": it estimates the true noise, {fmt(truth)}, which no number of points "
                      "can remove")
    return (f"Notice: {where}, the mean epistemic σ {change}, from {fmt(e0)} to {fmt(e1)}; "
            f"{aleatoric}.")



MISCALIBRATED = 0.05
"""A calibration curve is "off" when some level's observed coverage is this far from it."""
GAP_PRESET = "S3 · A gap in the data"


def calibration_notice(result: RegressionResult) -> str:
    """The caption of the calibration curve: the level furthest from the diagonal, and which way.

    Below the diagonal the central intervals hold fewer test points than they claim (too
    narrow, overconfident); above it, more (too wide).
    """
    expected, observed = result.calibration_expected, result.calibration_observed
    worst = int(np.argmax(np.abs(observed - expected)))
    level, seen = float(expected[worst]), float(observed[worst])
    gap = seen - level
    where = f"the central {level:.0%} interval holds {seen:.1%} of the 1,000 test points"
    if abs(gap) < MISCALIBRATED:
        return (f"Notice: the curve stays within {abs(gap):.1%} of the diagonal at every level "
                f"(furthest: {where}), so these intervals are about right; the preset "
                f"\"{GAP_PRESET}\" shows intervals that are too narrow (points below the line).")
    kind = ("below the diagonal: too narrow (overconfident)" if gap < 0
            else "above the diagonal: too wide (underconfident)")
    return f"Notice: {where} — {kind}; the largest gap of the curve, {gap:+.1%}."


def live_notice(frames: list, index: int) -> str:
    """The caption of a "Train live" replay: the loss and the epistemic σ at the chosen frame.

    Args:
        frames: the run's :class:`~labcore.experiments.regression.live.LiveFrame` list.
        index: the frame shown.
    """
    first, shown, last = frames[0], frames[index], frames[-1]
    inside, _, beyond = grid_regions(shown.scene)
    loss = (f"step {shown.step} of {shown.total_steps}: training loss {shown.train_loss[-1]:.3g} "
            f"(step {first.step}: {first.train_loss[-1]:.3g})")
    if not np.any(shown.epistemic_std > 0):
        spread = "one network has no epistemic band"
    else:
        spread = (f"mean epistemic σ {fmt(float(np.mean(shown.epistemic_std[inside])))} among "
                  f"the points, {fmt(float(np.mean(shown.epistemic_std[beyond])))} beyond the "
                  "data")
    end = ("" if last.step == last.total_steps else
           f" The frames end at step {last.step}: stopped, or ended by early stopping.")
    return f"Notice: {loss}; {spread}.{end} Drag the slider to replay the training."
