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
    TemperatureCurves,
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


# --- "Notice:" lines, built from the measured numbers ----------------------------------------

MIN_GAP = 0.02
"""Confidence − accuracy (2 points) from which a caption calls a model over- or under-confident."""


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.1f} %"


def _points(gap: float) -> str:
    return f"{100 * gap:+.1f} points"


def _gap(scores: Scores) -> float:
    return scores.mean_confidence - scores.accuracy


def overconfidence_sentence(name: str, raw: Scores, scaled: Scores) -> str:
    """Is the raw model over-confident, and does temperature scaling at least halve its ECE?

    Args:
        name: the model's name, e.g. "Plain CE".
        raw: the model scored at T = 1.
        scaled: the same model at its fitted temperature.
    """
    says = (f"{name} says {_pct(raw.mean_confidence)} on average but is right "
            f"{_pct(raw.accuracy)} of the time")
    change = f"ECE from {raw.ece:.3f} to {scaled.ece:.3f}"
    if _gap(raw) >= MIN_GAP and scaled.ece <= raw.ece / 2:
        return f"{says}; temperature scaling at T = {scaled.temperature:.2f} brings its {change}."
    if _gap(raw) >= MIN_GAP:
        return (f"{says}, but temperature scaling at T = {scaled.temperature:.2f} takes its "
                f"{change}, less than half off; the preset “{PRESET_DEFAULT}” shows it halved.")
    return (f"At these settings {name} is not over-confident (it says "
            f"{_pct(raw.mean_confidence)} and is right {_pct(raw.accuracy)} of the time), so "
            f"temperature scaling (T = {scaled.temperature:.2f}) has little to fix: {change}. "
            f"The preset “{PRESET_DEFAULT}” shows an over-confident model.")


def smoothing_sentence(smoothing: float, plain_raw: Scores, plain_scaled: Scores,
                       smooth_raw: Scores, smooth_scaled: Scores) -> str:
    """Does label smoothing curb plain CE's over-confidence, and what is left for TS?

    The Müller et al. (2019) interaction is read from two numbers: after smoothing the
    fitted T is closer to 1 (|log T| smaller) and temperature scaling lowers the test NLL by
    less than it does for plain CE.

    Args:
        smoothing: the ε of the smoothed model (0: both rows are plain CE).
        plain_raw, plain_scaled: plain CE at T = 1 and at its fitted T.
        smooth_raw, smooth_scaled: the smoothed model at T = 1 and at its fitted T.
    """
    if smoothing == 0:
        return (f"ε = 0, so both rows show plain CE; the preset “{PRESET_SMOOTHING}” adds "
                "label smoothing.")
    label = f"Label smoothing (ε = {smoothing:g})"
    gap_p, gap_s = _gap(plain_raw), _gap(smooth_raw)
    t_p, t_s = plain_scaled.temperature, smooth_scaled.temperature
    if gap_s <= -MIN_GAP and -gap_s > abs(gap_p):
        return (f"{label} overshoots: it says {_pct(smooth_raw.mean_confidence)} but is right "
                f"{_pct(smooth_raw.accuracy)} of the time (under-confident), so its fitted "
                f"T = {t_s:.2f} is below 1 and sharpens it (ECE {smooth_raw.ece:.3f} → "
                f"{smooth_scaled.ece:.3f}); the preset “{PRESET_SMOOTHING}” uses a gentler ε.")
    if gap_p >= MIN_GAP and abs(gap_s) < gap_p and smooth_raw.ece < plain_raw.ece:
        sentence = (f"{label} curbs the over-confidence: confidence − accuracy "
                    f"{_points(gap_p)} → {_points(gap_s)}, raw ECE {plain_raw.ece:.3f} → "
                    f"{smooth_raw.ece:.3f}.")
        gain_p = plain_raw.nll - plain_scaled.nll
        gain_s = smooth_raw.nll - smooth_scaled.nll
        numbers = (f"fitted T {t_s:.2f} (plain CE: {t_p:.2f}); TS lowers the test NLL by "
                   f"{gain_s:.3f} nats (plain CE: {gain_p:.3f})")
        if abs(np.log(t_s)) < abs(np.log(t_p)) and gain_s < gain_p:
            return f"{sentence} After it, TS has less to do (Müller et al. 2019): {numbers}."
        return f"{sentence} Here TS still gains as much after smoothing: {numbers}."
    return (f"{label} does not curb over-confidence at these settings (confidence − accuracy "
            f"{_points(gap_p)} → {_points(gap_s)}, raw ECE {plain_raw.ece:.3f} → "
            f"{smooth_raw.ece:.3f}); the preset “{PRESET_SMOOTHING}” shows it.")


def four_models_notice(panels: tuple[Scores, ...], smoothing: float,
                       plain_name: str = "Plain CE") -> str:
    """The "Notice:" line of the 2×2 grid of :func:`~run.four_panels`, from its numbers.

    Args:
        panels: (plain raw, plain scaled, smoothed raw, smoothed scaled).
        smoothing: ε of the smoothed model.
        plain_name: what the caption calls the plain model.
    """
    plain_raw, plain_scaled, smooth_raw, smooth_scaled = panels
    return " ".join((
        "Notice:",
        overconfidence_sentence(plain_name, plain_raw, plain_scaled),
        smoothing_sentence(smoothing, plain_raw, plain_scaled, smooth_raw, smooth_scaled),
        "Temperature scaling never changes a prediction: each row keeps its accuracy "
        f"({_pct(plain_raw.accuracy)} and {_pct(smooth_raw.accuracy)}).",
    ))


def slider_notice(raw: Scores, scores: Scores, fitted: float) -> str:
    """What the slider's T did to this model: confidence, accuracy and ECE against T = 1.

    Args:
        raw: the model at T = 1.
        scores: the same model at the slider's T.
        fitted: the T fitted on validation (NLL).
    """
    if abs(scores.temperature - 1.0) < 1e-9:
        verb = "soften" if fitted > 1 else "sharpen"
        return (f"Notice: at T = 1 the model says {_pct(raw.mean_confidence)} on average and is "
                f"right {_pct(raw.accuracy)} of the time (ECE {raw.ece:.3f}); its fitted "
                f"T = {fitted:.2f} would {verb} it. Move the slider or press the button.")
    verb = "lowers" if scores.temperature > 1 else "raises"
    return (f"Notice: T = {scores.temperature:.2f} {verb} the mean confidence from "
            f"{_pct(raw.mean_confidence)} to {_pct(scores.mean_confidence)} while the accuracy "
            f"stays {_pct(scores.accuracy)}; the ECE goes from {raw.ece:.3f} to "
            f"{scores.ece:.3f}. The T fitted on validation is {fitted:.2f}.")


def _local_minima(values: np.ndarray) -> int:
    inner = (values[1:-1] < values[:-2]) & (values[1:-1] < values[2:])
    return int(inner.sum()) + int(values[0] < values[1]) + int(values[-1] < values[-2])


def curves_notice(curves: TemperatureCurves, at_nll: Scores, at_ece: Scores) -> str:
    """Where NLL and ECE put their minimum over T, and what each choice gives on the test set.

    Args:
        curves: :func:`~run.temperature_curves` of one model.
        at_nll, at_ece: the model on the test set at ``curves.t_nll`` and ``curves.t_ece``.
    """

    def minima(values: np.ndarray) -> str:
        n = _local_minima(values)
        return f"{n} local minimum" if n == 1 else f"{n} local minima"

    return (f"Notice: on the validation set the NLL is lowest at T = {curves.t_nll:.2f} and the "
            f"ECE at T = {curves.t_ece:.2f}. On the test set the NLL's T gives ECE "
            f"{at_nll.ece:.3f} and NLL {at_nll.nll:.3f} nats, the ECE's T gives ECE "
            f"{at_ece.ece:.3f} and NLL {at_ece.nll:.3f}. Over the grid of T the validation NLL "
            f"has {minima(curves.val_nll)}, the validation ECE {minima(curves.val_ece)}: ECE "
            "jumps as predictions cross bin edges.")


def binning_notice(width: Scores, mass: Scores) -> str:
    """How equal-width and equal-mass bins share out the same predictions.

    Args:
        width: the predictions scored with equal-width bins.
        mass: the same predictions with equal-mass bins.
    """
    w, m = width.bins, mass.bins
    total = int(w.counts.sum())
    return (f"Notice: with {w.counts.size} equal-width bins, {_pct(w.counts[-1] / total)} of "
            f"the predictions fall in the top bin (confidence above {w.edges[-2]:.2f}) and "
            f"{int((w.counts == 0).sum())} of {w.counts.size} bins are empty; with "
            f"{m.counts.size} equal-mass bins each holds about {total // m.counts.size}, and "
            f"the lowest takes every confidence up to {m.edges[1]:.2f}.")


def sweep_notice(sweep: SweepResult) -> str:
    """The "Notice:" line of a sweep, from its numbers.

    ε: where the raw ECE is smallest, how the largest ε ends up and the ECE left after
    scaling. Steps and width: how confidence − accuracy and the fitted T change from the first
    to the last value; if they do not grow, the caption says so.
    """
    v, gap, t = sweep.values, sweep.mean_confidence - sweep.accuracy, sweep.temperature
    after = f"After temperature scaling every model's ECE is at most {sweep.ece_scaled.max():.3f}."
    if sweep.parameter == "smoothing":
        best = int(np.argmin(sweep.ece))
        if best == 0:
            lead = (f"Notice: no ε lowers plain CE's raw ECE here ({sweep.ece[0]:.3f} at "
                    f"ε = {v[0]:g}); the preset “{PRESET_SMOOTHING}” shows smoothing help.")
        else:
            lead = (f"Notice: the raw ECE is smallest at ε = {v[best]:g} ({sweep.ece[best]:.3f}; "
                    f"ε = {v[0]:g}: {sweep.ece[0]:.3f}).")
        end = (f" At ε = {v[-1]:g} the model says {_pct(sweep.mean_confidence[-1])} but is right "
               f"{_pct(sweep.accuracy[-1])} of the time (raw ECE {sweep.ece[-1]:.3f})"
               + (": under-confident." if gap[-1] <= -MIN_GAP else "."))
        return f"{lead}{end} {after}"
    unit = "steps" if sweep.parameter == "steps" else "hidden units"
    change = (f"confidence − accuracy goes from {_points(gap[0])} at {v[0]:g} {unit} to "
              f"{_points(gap[-1])} at {v[-1]:g}, the fitted T from {t[0]:.2f} to {t[-1]:.2f}, "
              f"the accuracy from {_pct(sweep.accuracy[0])} to {_pct(sweep.accuracy[-1])}")
    what = "training longer" if sweep.parameter == "steps" else "a wider network"
    if gap[-1] > gap[0] and t[-1] > t[0]:
        return f"Notice: {change}: {what} makes plain CE more over-confident. {after}"
    return (f"Notice: here {what} does not make plain CE more over-confident ({change}); the "
            f"preset “{PRESET_DEFAULT}” shows it. {after}")


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
