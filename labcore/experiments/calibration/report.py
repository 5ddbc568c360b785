"""Presets and tables of the Calibration lab (numbers the page shows, computed here).

The lecture's ECE table — bin, predictions, average predicted probability, accuracy,
difference — comes from :func:`ece_table`, and :func:`ece_sum_text` writes out the weighted sum
ECE = Σ_b n_b/N · |acc_b − conf_b| with this model's numbers. :func:`ece_variants` scores one
model's predictions with the ECEs different papers and libraries use.
"""

from __future__ import annotations

import numpy as np

from labcore import calibration as cal
from labcore.experiments.calibration.run import (
    T_MAX,
    T_MIN,
    CalibrationConfig,
    CalibrationRun,
    ModelKind,
    Scores,
)
from labcore.experiments.calibration.sweep import SweepResult

PRESETS: dict[str, CalibrationConfig] = {
    "S9 · Digits, ε = 0.1 (the lecture's example)": CalibrationConfig(),
    "S9 · Digits trained long: over-confident": CalibrationConfig(steps=1600),
    "S9 · Digits, gentle smoothing ε = 0.02": CalibrationConfig(smoothing=0.02),
    "Two moons with overlapping classes": CalibrationConfig(dataset="moons", toy_noise=0.3),
    "Three spirals, trained long": CalibrationConfig(dataset="spirals", steps=1600),
    "Equal-mass bins (adaptive ECE)": CalibrationConfig(strategy="quantile"),
}

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
