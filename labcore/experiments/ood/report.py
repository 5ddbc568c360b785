"""Presets, tables and downloads of the OOD lab (numbers the page shows, computed here)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from labcore.data.corruptions import CORRUPTION_LABELS, SEVERITY_LEVELS, describe
from labcore.experiments.ood.models import MODEL_LABELS
from labcore.experiments.ood.run import (
    DETECTORS,
    OOD_SETS,
    OODLabConfig,
    OODResult,
    ShiftResult,
    ToyOODResult,
)
from labcore.experiments.ood.shift import METHOD_LABELS, METRICS

DetectionMetric = Literal["auroc", "fpr95", "aupr"]
DETECTION_METRICS: dict[str, str] = {
    "auroc": "AUROC (higher is better, 0.5 = chance)",
    "fpr95": "FPR at 95 % TPR (lower is better)",
    "aupr": "AUPR, in-distribution positive (higher is better)",
}
METRIC_LABELS: dict[str, str] = {
    "accuracy": "accuracy",
    "ece": "ECE",
    "nll": "NLL (nats)",
    "confidence": "mean confidence",
}
CONVENTION = (
    "**Convention.** Every score is higher for inputs that look more like the training data. "
    "In-distribution test digits are the *positives*: an input is flagged as OOD when its score "
    "falls below a threshold. AUROC is the chance that a random in-distribution digit scores "
    "higher than a random OOD input (ties count ½); FPR at 95 % TPR is the share of OOD inputs "
    "still accepted when the threshold keeps 95 % of in-distribution digits; AUPR is the "
    "average precision of finding in-distribution digits."
)

PRESETS: dict[str, OODLabConfig] = {
    "S10 · Shift: plain, temperature scaling, ensemble": OODLabConfig(),
    "S10 · Shift: all six methods": OODLabConfig(mc_dropout=True, uanll=True, tta=True),
    "S4 · Shift: MC dropout vs deep ensemble": OODLabConfig(
        plain=False, temperature=False, mc_dropout=True),
    "S10 · Detection: even digits in, odd digits out": OODLabConfig(in_classes="02468"),
    "S4 · Toy: three spirals": OODLabConfig(toy="spirals"),
    "S4 · Toy: three blobs, 10 ensemble members": OODLabConfig(toy="blobs", members=10),
}


def corruption_rows() -> list[dict[str, str]]:
    """What each corruption does at severities 1–5 (one row per corruption)."""
    return [
        {"corruption": CORRUPTION_LABELS[name]}
        | {f"severity {s}": describe(name, s) for s in range(1, len(levels) + 1)}
        for name, levels in SEVERITY_LEVELS.items()
    ]


def shift_rows(result: ShiftResult, corruption: str = "mean") -> list[dict[str, str]]:
    """Per method: each metric as "clean → severity 5" (mean or one corruption)."""
    rows = []
    curves = {m: result.curve(m, corruption) for m in METRICS}
    for i, method in enumerate(result.methods):
        row = {"method": METHOD_LABELS[method]}
        for m in METRICS:
            fmt = "{:.3f}" if m == "nll" else "{:.1%}"
            clean, worst = curves[m][i, 0], curves[m][i, -1]
            row[METRIC_LABELS[m]] = f"{fmt.format(clean)} → {fmt.format(worst)}"
        rows.append(row)
    return rows


def shift_table(result: ShiftResult) -> dict[str, np.ndarray]:
    """Long-format columns for a CSV: method, corruption, severity and the four metrics."""
    n_m, n_c, n_s = result.accuracy.shape
    method, corruption, severity = np.meshgrid(
        np.array(result.methods), np.array(result.corruptions), result.severities, indexing="ij")
    return {
        "method": method.ravel(), "corruption": corruption.ravel(),
        "severity": severity.ravel(),
    } | {m: getattr(result, m).reshape(n_m * n_c * n_s) for m in METRICS}


def detection_rows(result: OODResult, metric: DetectionMetric = "auroc") -> list[dict[str, str]]:
    """The table detector × OOD set of one metric, as formatted rows."""
    if metric not in DETECTION_METRICS:
        raise ValueError(f"Metric must be one of {', '.join(DETECTION_METRICS)}. Got {metric!r}.")
    values = getattr(result, metric)
    return [
        {"detector (score · model)": DETECTORS[d][2]}
        | {OOD_SETS[s]: f"{values[i, j]:.3f}" for j, s in enumerate(result.ood_sets)}
        for i, d in enumerate(result.detectors)
    ]


def detection_table(result: OODResult) -> dict[str, np.ndarray]:
    """Long-format columns for a CSV: detector, OOD set, AUROC, FPR at 95 % TPR, AUPR."""
    d, s = np.meshgrid(np.array(result.detectors), np.array(result.ood_sets), indexing="ij")
    return {"detector": d.ravel(), "ood_set": s.ravel(), "auroc": result.auroc.ravel(),
            "fpr_at_95_tpr": result.fpr95.ravel(), "aupr": result.aupr.ravel()}


def fooling_rows(result: OODResult) -> list[dict[str, str]]:
    """Per model: accuracy on in-distribution test digits, mean top-class confidence on the
    fooling images, and the share of them it puts in their target class."""
    return [
        {
            "model": MODEL_LABELS[name],
            "test accuracy": f"{result.accuracy[name]:.1%}",
            "confidence on fooling images": f"{np.mean(result.fooling_confidence[name]):.1%}",
            "fooled (target digit)": f"{np.mean(result.fooling_agrees[name]):.0%}",
        }
        for name in result.accuracy
    ]


def best_detector(result: OODResult, ood_set: str) -> tuple[str, float]:
    """The detector with the highest AUROC on one OOD set, and that AUROC."""
    j = result.ood_sets.index(ood_set)
    i = int(np.argmax(result.auroc[:, j]))
    return DETECTORS[result.detectors[i]][2], float(result.auroc[i, j])


def hardest_set(result: OODResult) -> str:
    """The OOD set whose best AUROC over all detectors is lowest (display name)."""
    j = int(np.argmin(result.auroc.max(axis=0)))
    return OOD_SETS[result.ood_sets[j]]


def toy_summary(result: ToyOODResult) -> str:
    """Plain confidence and ensemble mutual information near the data and far beyond it."""
    near_mi, far_mi = -result.near_mean["ensemble_mi"], -result.far_mean["ensemble_mi"]
    ratio = f"{far_mi / near_mi:.0f}× its" if near_mi > 0 else "against"
    return (
        f"Between 2R and 3R from the centre the plain network's max softmax averages "
        f"{result.far_mean['plain_msp']:.1%} (within R: {result.near_mean['plain_msp']:.1%}); "
        f"the ensemble's mutual information averages {far_mi:.3f} nats there, {ratio} "
        f"{near_mi:.3f} nats within R."
    )


def toy_accuracy_text(result: ToyOODResult) -> str:
    """One line with every model's test accuracy on the toy."""
    parts = [f"{MODEL_LABELS[k]} {v:.0%}" for k, v in result.accuracy.items()]
    return "Test accuracy on the toy: " + ", ".join(parts) + "."
