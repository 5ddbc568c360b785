"""Calibration engine speed: ECE at the lab's scale vs a loop and torchmetrics, the T fit.

The page's run and its temperature slider are timed in ``bench_pages``.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.common import Row, per_call_time
from labcore import calibration as cal

N_ECE, N_FIT, K, N_BINS = 1_000, 50_000, 10, 15
T_TRUE = 1.5  # the fit's data: calibrated logits made over-confident by 1/T_TRUE
CALLS = 200  # ECE calls per timing: one call at this scale takes well under a millisecond


def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits z ~ N(0, 2²) and labels drawn from softmax(z): a calibrated model's output."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(n, K))
    cdf = np.cumsum(cal.softmax(z), axis=1)
    labels = np.minimum((rng.uniform(size=(n, 1)) > cdf).sum(axis=1), K - 1)
    return z, labels


def ece_loop(probs: np.ndarray, labels: np.ndarray, n_bins: int = N_BINS) -> float:
    """Top-label ECE the straightforward way: one boolean mask per bin, (lower, upper]."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece = 0.0
    for b in range(n_bins):
        inside = (conf > edges[b]) & (conf <= edges[b + 1])
        if b == 0:
            inside |= conf == 0.0
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    return float(ece)


def _ece_rows(repeats: int) -> list[Row]:
    from torchmetrics.functional.classification import multiclass_calibration_error

    z, labels = _calibrated(N_ECE, seed=0)
    probs = cal.softmax(z)
    if probs.max() >= 1.0:
        raise RuntimeError("torchmetrics bins a confidence of 1.0 differently; keep below it.")
    probs_t, labels_t = torch.from_numpy(probs), torch.from_numpy(labels)

    def labcore_ece() -> float:
        return cal.expected_calibration_error(probs, labels, n_bins=N_BINS)

    def torchmetrics_ece() -> float:
        return multiclass_calibration_error(probs_t, labels_t, num_classes=K, n_bins=N_BINS,
                                            norm="l1").item()

    values = {"labcore": labcore_ece(), "loop": ece_loop(probs, labels),
              "torchmetrics": torchmetrics_ece()}
    t_lab = per_call_time(labcore_ece, CALLS, repeats)
    t_loop = per_call_time(lambda: ece_loop(probs, labels), CALLS, repeats)
    t_tm = per_call_time(torchmetrics_ece, CALLS, repeats)
    worst = max(abs(v - values["labcore"]) for v in values.values())
    shown = ", ".join(f"{k} {v:.7f}" for k, v in values.items())
    size = f"{N_ECE:,} × {K}"
    return [
        Row(f"ECE, {size} (labcore)", t_lab, "s", note=f"top-label, {N_BINS} equal-width "
            f"bins, float64, input checks included; mean of {CALLS} calls"),
        Row(f"ECE, {size}: per-bin loop / labcore", t_loop / t_lab, "×",
            note=f"{t_loop * 1e3:.3f} ms vs {t_lab * 1e3:.3f} ms"),
        Row(f"ECE, {size}: torchmetrics / labcore", t_tm / t_lab, "×",
            note=f"MulticlassCalibrationError (L1, {N_BINS} bins): {t_tm * 1e3:.3f} ms vs "
            f"{t_lab * 1e3:.3f} ms"),
        Row(f"ECE, {size}: largest |difference| × 1e6", worst * 1e6, "", "≤ 10",
            worst <= 1e-5, f"{shown} (torchmetrics bins in float32)"),
    ]


def _fit_rows(repeats: int) -> list[Row]:
    z, labels = _calibrated(N_FIT, seed=1)
    logits = z * T_TRUE
    t_fit = per_call_time(lambda: cal.fit_temperature(logits, labels), 1, repeats)
    fitted = cal.fit_temperature(logits, labels)
    return [Row(f"fit_temperature, {N_FIT:,} × {K}", t_fit, "s", "≤ 0.3 s", t_fit <= 0.3,
                f"minimises the NLL; true T = {T_TRUE}, fitted T = {fitted:.3f}")]


def run(quick: bool = False) -> list[Row]:
    repeats = 3 if quick else 7
    return _ece_rows(repeats) + _fit_rows(repeats)
