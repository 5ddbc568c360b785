"""Calibration-lab speed: ECE at scale vs a loop and torchmetrics, T fit, slider redraw."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from benchmarks.common import Row, median_time
from labcore import calibration as cal

N_ECE, N_FIT, K, N_BINS = 1_000_000, 50_000, 10, 15
T_TRUE = 1.5  # the fit's data: calibrated logits made over-confident by 1/T_TRUE


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
    assert probs.max() < 1.0  # torchmetrics bins 1.0 differently; keep below it
    probs_t, labels_t = torch.from_numpy(probs), torch.from_numpy(labels)

    def torchmetrics_ece() -> float:
        return multiclass_calibration_error(probs_t, labels_t, num_classes=K, n_bins=N_BINS,
                                            norm="l1").item()

    values = {
        "labcore": cal.expected_calibration_error(probs, labels, N_BINS),
        "loop": ece_loop(probs, labels),
        "torchmetrics": torchmetrics_ece(),
    }
    t_lab = median_time(lambda: cal.expected_calibration_error(probs, labels, N_BINS), repeats)
    t_loop = median_time(lambda: ece_loop(probs, labels), repeats)
    t_tm = median_time(torchmetrics_ece, repeats)
    worst = max(abs(v - values["labcore"]) for v in values.values())
    shown = ", ".join(f"{k} {v:.7f}" for k, v in values.items())
    return [
        Row("ECE, 1,000,000 × 10 (labcore)", t_lab, "s", "≤ 0.1", t_lab <= 0.1,
            f"top-label, {N_BINS} equal-width bins, float64, input checks included"),
        Row("ECE: per-bin loop / labcore", t_loop / t_lab, "×", "", None,
            f"{t_loop:.3f} s vs {t_lab:.3f} s"),
        Row("ECE: torchmetrics / labcore", t_tm / t_lab, "×", "", None,
            f"MulticlassCalibrationError (L1, {N_BINS} bins): {t_tm:.3f} s vs {t_lab:.3f} s"),
        Row("ECE: largest |difference| × 1e6", worst * 1e6, "", "≤ 10", worst <= 1e-5,
            f"{shown} (torchmetrics bins in float32)"),
    ]


def _fit_rows(repeats: int) -> list[Row]:
    z, labels = _calibrated(N_FIT, seed=1)
    logits = z * T_TRUE
    t_fit = median_time(lambda: cal.fit_temperature(logits, labels), repeats)
    fitted = cal.fit_temperature(logits, labels)
    return [Row("fit_temperature, 50,000 × 10", t_fit, "s", "≤ 0.3", t_fit <= 0.3,
                f"NLL fit on log T; true T = {T_TRUE}, fitted T = {fitted:.3f}")]


def _page_rows(repeats: int) -> list[Row]:
    """A default run end to end, then the slider's redraw from its cached logits."""
    from labcore.experiments.calibration import report
    from labcore.experiments.calibration.run import CalibrationConfig, rescore, run_calibration
    from labcore.plots import calibration as plots

    config = CalibrationConfig()
    t_run = median_time(lambda: run_calibration(config), repeats, warmup=0)
    run = run_calibration(config)
    temperatures = itertools.cycle(np.round(np.linspace(0.5, 3.0, 26), 2))

    def redraw() -> None:
        t = float(next(temperatures))
        scores = rescore(run, "plain", t, config.n_bins, config.strategy)
        raw = rescore(run, "plain", 1.0, config.n_bins, config.strategy)
        report.comparison_rows(raw, scores)
        report.ece_table(scores)
        report.ece_sum_text(scores)
        plots.reliability_figure([scores], cols=1, strategy=config.strategy).to_json()

    t_redraw = median_time(redraw, max(repeats, 5), warmup=2)
    return [
        Row("Calibration default, end to end", t_run, "s", "", None,
            "digits, plain CE + ε = 0.1, 400 steps each, temperatures fitted, no cache"),
        Row("Temperature slider redraw (server side)", t_redraw, "s", "≤ 0.2", t_redraw <= 0.2,
            "2 × rescore + ECE table + reliability figure to JSON, from cached logits"),
    ]


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    return _ece_rows(repeats) + _fit_rows(repeats) + _page_rows(repeats)
