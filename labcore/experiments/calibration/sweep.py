"""Sweeps of the Calibration lab: retrain at several values of one setting and score each.

:func:`run_smoothing_sweep` (ECE against label smoothing ε), :func:`run_length_sweep` and
:func:`run_width_sweep` (over-confidence against training length and model size). Each point
is one training through :func:`labcore.experiments.calibration.train_model`, scored on the test
set before and after temperature scaling fitted on the validation set.

References:
    Guo et al., "On Calibration of Modern Neural Networks", ICML 2017 (Fig. 2: depth, width
    and training length against miscalibration).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from labcore.experiments.calibration.run import (
    CalibrationConfig,
    classifier_spec,
    load_data,
    score_logits,
    train_model,
    training_config,
)
from labcore.models.train import Progress

SweepParameter = Literal["smoothing", "steps", "hidden"]
SWEEP_VALUES: dict[str, tuple[float, ...]] = {
    "smoothing": (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3),
    "steps": (50, 100, 200, 400, 800, 1600),
    "hidden": (16, 32, 64, 128, 256, 512),
}
SWEEP_SYMBOLS = {"smoothing": "ε", "steps": "steps", "hidden": "hidden units"}
SWEEP_BINS = 15  # sweeps score with the page's default ECE: top-label, 15 equal-width bins


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """Calibration of models retrained at several values of one setting (test set, 15 bins).

    Attributes:
        parameter: "smoothing" (ε), "steps" (training length) or "hidden" (width).
        values: (P,) the values tried.
        accuracy, mean_confidence: (P,) on the test set; confidence − accuracy > 0 is
            over-confidence.
        ece: (P,) test ECE of the raw model.
        ece_scaled: (P,) test ECE after temperature scaling fitted on validation.
        nll, nll_scaled: (P,) test NLL before and after temperature scaling (nats).
        temperature: (P,) the fitted T (> 1: the raw model was over-confident).
    """

    parameter: SweepParameter
    values: np.ndarray
    accuracy: np.ndarray
    mean_confidence: np.ndarray
    ece: np.ndarray
    ece_scaled: np.ndarray
    nll: np.ndarray
    nll_scaled: np.ndarray
    temperature: np.ndarray


def sweep_config(config: CalibrationConfig, parameter: SweepParameter) -> CalibrationConfig:
    """The config a sweep depends on: training fields only, the swept one and ε at defaults.

    Length and width sweeps train plain CE (ε = 0); the ε sweep sets ε itself.
    """
    default = CalibrationConfig()
    base = training_config(config).replace(smoothing=0.0)
    if parameter == "smoothing":
        return base
    return base.replace(**{parameter: getattr(default, parameter)})


def _sweep(config: CalibrationConfig, parameter: SweepParameter, values: tuple[float, ...],
           progress: Progress | None) -> SweepResult:
    """Train once per value of ``parameter`` (same data and seed) and score each model.

    Raises:
        ValueError: an unknown parameter, an empty ``values``, or a training that diverged.
    """
    if parameter not in SWEEP_VALUES:
        raise ValueError(f"parameter must be one of {sorted(SWEEP_VALUES)}. Got {parameter!r}.")
    if not values:
        raise ValueError(f"values must name at least one setting to try. Got {values}.")
    base = sweep_config(config, parameter)
    data = load_data(base)
    rows = []
    for i, value in enumerate(values):
        changes = {parameter: float(value) if parameter == "smoothing" else int(value)}
        spec = classifier_spec(base, **changes)
        label = f"{SWEEP_SYMBOLS[parameter]} = {value:g} ({i + 1} of {len(values)})"
        kind = "plain" if spec.smoothing == 0 else "smoothed"
        share = (i / len(values), (i + 1) / len(values))
        model = train_model(data, spec, kind, progress, share, label)
        raw = score_logits(model.test_logits, data.y_test, 1.0, SWEEP_BINS)
        scaled = score_logits(model.test_logits, data.y_test, model.temperature, SWEEP_BINS)
        rows.append((raw.accuracy, raw.mean_confidence, raw.ece, scaled.ece, raw.nll,
                     scaled.nll, model.temperature))
    if progress is not None:
        progress(1.0, "Done")
    columns = np.asarray(rows, dtype=float).T
    return SweepResult(parameter, np.asarray(values, dtype=float), *columns)


def run_smoothing_sweep(config: CalibrationConfig, progress: Progress | None = None,
                        values: tuple[float, ...] = SWEEP_VALUES["smoothing"]) -> SweepResult:
    """Retrain at each label-smoothing ε and score the test set before and after scaling.

    Args:
        config: the page's settings (ε and the scoring fields are ignored).
        progress: ``progress(fraction, message)``, called every few training steps.
        values: the ε values to train with.
    """
    return _sweep(config, "smoothing", values, progress)


def run_length_sweep(config: CalibrationConfig, progress: Progress | None = None,
                     values: tuple[float, ...] = SWEEP_VALUES["steps"]) -> SweepResult:
    """Retrain plain CE for each number of Adam steps: longer training, surer predictions.

    Args:
        config: the page's settings (ε, steps and the scoring fields are ignored).
        progress: ``progress(fraction, message)``, called every few training steps.
        values: the step counts to train for.
    """
    return _sweep(config, "steps", values, progress)


def run_width_sweep(config: CalibrationConfig, progress: Progress | None = None,
                    values: tuple[float, ...] = SWEEP_VALUES["hidden"]) -> SweepResult:
    """Retrain plain CE at each hidden-layer width: bigger networks, surer predictions.

    Args:
        config: the page's settings (ε, width and the scoring fields are ignored).
        progress: ``progress(fraction, message)``, called every few training steps.
        values: the hidden-layer widths to train.
    """
    return _sweep(config, "hidden", values, progress)
