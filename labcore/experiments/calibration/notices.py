"""The Calibration lab's "Notice:" lines, each built from the measured numbers it names.

Every sentence here reads its claim from the scores on screen (over-confidence from
confidence − accuracy, what temperature scaling and label smoothing changed, where the NLL and
ECE curves bottom out, what the binning did, what a sweep showed) and, where the current
settings do not show the lecture's effect, says so and names the preset that does
(:mod:`~labcore.experiments.calibration.report` holds the presets and tables).
"""

from __future__ import annotations

import numpy as np

from labcore.experiments.calibration.report import PRESET_DEFAULT, PRESET_SMOOTHING
from labcore.experiments.calibration.run import Scores, TemperatureCurves
from labcore.experiments.calibration.sweep import SweepResult

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
