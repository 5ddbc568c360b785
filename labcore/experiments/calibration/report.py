"""Presets and tables of the Calibration lab (numbers the page shows, computed here).

The lecture's ECE table — bin, predictions, average predicted probability, accuracy,
difference — comes from :func:`ece_table`, and :func:`ece_sum_text` writes out the weighted sum
ECE = Σ_b n_b/N · |acc_b − conf_b| with this model's numbers. :func:`ece_variants` scores one
model's predictions with the ECEs different papers and libraries use.
"""

from __future__ import annotations

import math

import numpy as np

from labcore import calibration as cal
from labcore.calibration.conformal_sets import CoverageCurve, min_calibration_points
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.calibration.run import (
    T_MAX,
    T_MIN,
    CalibrationRun,
    ModelKind,
    Scores,
)
from labcore.experiments.calibration.sweep import SweepResult

PRESET_DEFAULT = ("S9 · Plain CE over-confident, TS fixes it; smoothing ε = 0.01 curbs it "
                  "(the default)")
# The default's second network is the label-smoothing example (LS curbs over-confidence; TS
# then gains little): one preset shows both, the captions name it for either.
PRESET_SMOOTHING = PRESET_DEFAULT
PRESET_TOO_MUCH = "S9 · Too much smoothing (ε = 0.1): under-confident, fitted T < 1"
PRESET_MORE_DATA = "All 850 training images: more accurate, less over-confident"
PRESET_ADAPTIVE = "Equal-mass bins (adaptive ECE) on the default models"

PRESETS: dict[str, CalibrationConfig] = {
    PRESET_DEFAULT: CalibrationConfig(),
    PRESET_TOO_MUCH: CalibrationConfig(smoothing=0.1),
    PRESET_MORE_DATA: CalibrationConfig(train_size=850),
    PRESET_ADAPTIVE: CalibrationConfig(strategy="quantile"),
}
"""Each name states what its numbers show; ``tests/unit/test_calibration_science.py`` checks
the claims on these configs themselves."""

SWEEP_LABELS = {
    "smoothing": "label smoothing ε",
    "steps": "training steps (log scale)",
    "hidden": "hidden units per layer (log scale)",
}


def slider_temperature(temperature: float) -> float:
    """A temperature as the slider can show it: clipped to [T_MIN, T_MAX], 2 decimals."""
    return round(min(max(float(temperature), T_MIN), T_MAX), 2)


def metrics_rows(panels: tuple[Scores, ...]) -> list[dict[str, object]]:
    """One table row per scored model: T, accuracy, mean confidence, ECE, MCE, NLL, Brier."""
    return [
        {
            "model": s.name,
            "T": round(s.temperature, 3),
            "accuracy": round(s.accuracy, 4),
            "mean confidence": round(s.mean_confidence, 4),
            "ECE": round(s.ece, 4),
            "MCE": round(s.mce, 4),
            "NLL (nats)": round(s.nll, 4),
            "Brier (0–2)": round(s.brier, 4),
        }
        for s in panels
    ]


def fit_rows(run: CalibrationRun) -> list[dict[str, object]]:
    """Per model: the temperature fitted on validation and the validation NLL before/after."""
    return [
        {"model": m.name, "fitted T": round(m.temperature, 3),
         "validation NLL at T = 1": round(m.val_nll, 4),
         "validation NLL at fitted T": round(m.val_nll_scaled, 4),
         "validation samples": len(run.y_val)}
        for m in (run.plain, run.smoothed)
    ]


def comparison_rows(raw: Scores, scaled: Scores) -> list[dict[str, object]]:
    """Each metric at T = 1 next to the same metric at the chosen T (test set)."""
    names = {
        "accuracy": "accuracy", "mean_confidence": "mean confidence", "ece": "ECE",
        "mce": "MCE", "nll": "NLL (nats)", "brier": "Brier (0–2)",
    }
    return [
        {"metric": label, "T = 1": round(getattr(raw, field), 4),
         f"T = {scaled.temperature:.2f}": round(getattr(scaled, field), 4)}
        for field, label in names.items()
    ]


def _bin_range(edges: np.ndarray, b: int) -> str:
    opening = "[" if b == 0 else "("
    return f"{opening}{edges[b]:.3f}, {edges[b + 1]:.3f}]"


def ece_table(scores: Scores) -> list[dict[str, object]]:
    """The lecture's ECE table, one row per non-empty bin.

    Columns: bin (1-based), confidence range, predictions n_b, average predicted probability
    conf_b, accuracy acc_b, difference |acc_b − conf_b|, weight n_b/N and the bin's
    contribution n_b/N · |acc_b − conf_b|. The contributions add up to the ECE; empty bins
    add nothing and are left out.
    """
    bins = scores.bins
    total = int(bins.counts.sum())
    rows = []
    for b in np.flatnonzero(bins.counts > 0):
        weight = bins.counts[b] / total
        rows.append({
            "bin": int(b) + 1,
            "confidence range": _bin_range(bins.edges, int(b)),
            "predictions": int(bins.counts[b]),
            "avg. predicted probability": round(float(bins.mean_confidence[b]), 4),
            "accuracy": round(float(bins.accuracy[b]), 4),
            "difference": round(float(bins.gap[b]), 4),
            "weight n_b/N": round(float(weight), 4),
            "contribution": round(float(weight * bins.gap[b]), 4),
        })
    return rows


def ece_sum_text(scores: Scores) -> str:
    """The weighted sum written out: "ECE = 3/539 × 0.1203 + … = 0.0231".

    Each term is n_b/N × |acc_b − conf_b| of one non-empty bin, the difference rounded to four
    decimals; the total is the exact ECE, rounded to four decimals.
    """
    bins = scores.bins
    total = int(bins.counts.sum())
    terms = [f"{int(bins.counts[b])}/{total} × {bins.gap[b]:.4f}"
             for b in np.flatnonzero(bins.counts > 0)]
    return f"ECE = {' + '.join(terms)} = {scores.ece:.4f}"


def ece_variants(run: CalibrationRun, kind: ModelKind, temperature: float = 1.0
                 ) -> list[dict[str, object]]:
    """One model's test predictions scored with six common ECE definitions.

    Top-label ECE with 10 or 15 bins of equal width or equal mass, and class-wise ECE with 10
    or 15 equal-width bins. Same predictions, different numbers: why libraries disagree.
    """
    model = run.model(kind)
    probs = cal.softmax(model.test_logits, temperature)
    labels = run.y_test
    used_by = {
        ("top-label", "equal width", 15): "Guo et al. 2017; torchmetrics' default",
        ("top-label", "equal width", 10): "the lecture's example table",
        ("top-label", "equal mass", 15): "adaptive ECE (Nixon et al. 2019)",
        ("top-label", "equal mass", 10): "adaptive ECE with fewer bins",
        ("class-wise", "equal width", 15): "class-wise ECE (Kull et al. 2019)",
        ("class-wise", "equal width", 10): "class-wise ECE with fewer bins",
    }
    rows = []
    for (what, binning, n_bins), source in used_by.items():
        if what == "class-wise":
            value = cal.classwise_ece(probs, labels, n_bins)
        else:
            strategy = "uniform" if binning == "equal width" else "quantile"
            value = cal.expected_calibration_error(probs, labels, n_bins, strategy)
        rows.append({"scores": what, "binning": binning, "bins": n_bins,
                     "ECE": round(value, 4), "used by": source})
    return rows


def variants_spread(rows: list[dict[str, object]]) -> str:
    """One sentence on how far apart the ECE variants are (largest over smallest)."""
    values = [float(r["ECE"]) for r in rows]  # type: ignore[arg-type]
    low, high = min(values), max(values)
    if low == 0:
        return f"The ECEs range from 0 to {high:.4f}."
    return f"The ECEs range from {low:.4f} to {high:.4f}: the largest is {high / low:.1f}× the " \
           "smallest, for the same predictions."


def sweep_table(sweep: SweepResult) -> dict[str, np.ndarray]:
    """Columns of a sweep for a CSV download (test set; ECE with 15 equal-width bins)."""
    return {
        sweep.parameter: sweep.values,
        "test_accuracy": sweep.accuracy,
        "test_mean_confidence": sweep.mean_confidence,
        "overconfidence": sweep.mean_confidence - sweep.accuracy,
        "test_ece_raw": sweep.ece,
        "test_ece_temperature_scaled": sweep.ece_scaled,
        "test_nll_raw": sweep.nll,
        "test_nll_temperature_scaled": sweep.nll_scaled,
        "fitted_temperature": sweep.temperature,
    }


# --- conformal sets: the finite-sample requirement and the download ---------------------------


def conformal_requirement(n_cal: int, alpha: float) -> tuple[bool, str]:
    """Whether ``n_cal`` calibration points are enough for α, written out with the numbers.

    Split conformal uses the ⌈(n + 1)(1 − α)⌉-th smallest of the n calibration scores as its
    threshold, so it needs ⌈(n + 1)(1 − α)⌉ ≤ n, i.e. n ≥ 1/α − 1.

    Args:
        n_cal: calibration points (the validation set).
        alpha: the miscoverage level in (0, 1).

    Returns:
        (enough, sentence); when not enough, the sentence says what to change and ends
        "Got n.".

    Example:
        >>> print(conformal_requirement(359, 0.1)[1])  # doctest: +NORMALIZE_WHITESPACE
        q̂ is the ⌈(n + 1)(1 − α)⌉ = 324th smallest of n calibration scores, so α = 0.1 needs
        n ≥ 9 calibration points; you have n = 359.
        >>> conformal_requirement(359, 0.002)[0]
        False
    """
    need = min_calibration_points(alpha)
    rank = math.ceil((n_cal + 1) * (1 - alpha) - 1e-9)  # as conformal_sets computes it
    if n_cal >= need:
        return True, (f"q̂ is the ⌈(n + 1)(1 − α)⌉ = {rank}th smallest of n calibration "
                      f"scores, so α = {alpha:g} needs n ≥ {need} calibration points; you have "
                      f"n = {n_cal}.")
    smallest = math.ceil(1000 / (n_cal + 1)) / 1000
    return False, (f"Too few calibration points for α = {alpha:g}: split conformal takes the "
                   f"⌈(n + 1)(1 − α)⌉ = {rank}th smallest of n calibration scores, so it "
                   f"needs at least {need}; raise α to at least {smallest:g} (or use a larger "
                   f"2-D toy, whose validation set grows with it). Got n = {n_cal}.")


def coverage_table(curve: CoverageCurve) -> dict[str, np.ndarray]:
    """Columns of the coverage curve for a CSV download: α, target, coverage and size per score."""
    columns = {"alpha": curve.alphas, "target_coverage": curve.target,
               "upper_bound": curve.upper_bound}
    for score in curve.scores:
        columns[f"coverage_{score}"] = curve.coverage[score]
        columns[f"mean_set_size_{score}"] = curve.mean_size[score]
    return columns
