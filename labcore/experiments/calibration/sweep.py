"""Sweeps of the Calibration lab: retrain at several values of one setting and score each.

:func:`run_sweep` retrains at each value of one setting; :func:`run_smoothing_sweep` (ECE
against label smoothing ε), :func:`run_length_sweep` and :func:`run_width_sweep`
(over-confidence against training length and model size) name its three uses. Each point
is one training through :func:`labcore.experiments.calibration.run.train_model`, scored on the test
set before and after temperature scaling fitted on the validation set.

References:
    Guo et al., "On Calibration of Modern Neural Networks", ICML 2017 (Fig. 2: depth, width
    and training length against miscalibration).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from labcore.budget import check_computation
from labcore.calibration import N_BINS
from labcore.experiments.calibration.config import CalibrationConfig, training_config
from labcore.experiments.calibration.cost import ADVICE, sweep_parts
from labcore.experiments.calibration.run import (
    classifier_spec,
    load_data,
    score_logits,
    train_model,
)
from labcore.models.train import Progress

SweepParameter = Literal["smoothing", "steps", "hidden"]
SWEEP_VALUES: dict[str, tuple[float, ...]] = {
    "smoothing": (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3),
    "steps": (50, 100, 200, 400, 800, 1600),
    "hidden": (16, 32, 64, 128, 256, 512),
}
SWEEP_SYMBOLS = {"smoothing": "ε", "steps": "steps", "hidden": "hidden units"}
SWEEP_BINS = N_BINS  # sweeps score with the page's default ECE: top-label, equal-width bins


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


def run_sweep(config: CalibrationConfig, parameter: SweepParameter,
              progress: Progress | None = None,
              values: tuple[float, ...] | None = None) -> SweepResult:
    """Retrain once per value of ``parameter`` (same data and seed) and score each model.

    Every model is scored on the test set before and after temperature scaling fitted on the
    validation set. Length and width sweeps train plain CE (ε = 0), see :func:`sweep_config`.

    Args:
        config: the page's settings (ε, the swept field and the scoring fields are ignored).
        parameter: "smoothing" (ε), "steps" (training length) or "hidden" (width).
        progress: ``progress(fraction, message)``, called every few training steps.
        values: the values to train with; None: ``SWEEP_VALUES[parameter]``.

    Raises:
        ValueError: an unknown parameter, an empty ``values``, all its trainings together
            estimated above the time limit (:mod:`labcore.budget`), or a training that diverged.
    """
    if parameter not in SWEEP_VALUES:
        raise ValueError(f"parameter must be one of {sorted(SWEEP_VALUES)}. Got {parameter!r}.")
    values = SWEEP_VALUES[parameter] if values is None else values
    if not values:
        raise ValueError(f"values must name at least one setting to try. Got {values}.")
    base = sweep_config(config, parameter)
    check_computation(sweep_parts(base, parameter, values), ADVICE,
                      f"This sweep ({len(values)} trainings)")
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
    """ECE against label smoothing ε: :func:`run_sweep` over ε."""
    return run_sweep(config, "smoothing", progress, values)


def run_length_sweep(config: CalibrationConfig, progress: Progress | None = None,
                     values: tuple[float, ...] = SWEEP_VALUES["steps"]) -> SweepResult:
    """Over-confidence against training length: :func:`run_sweep` over Adam steps, plain CE."""
    return run_sweep(config, "steps", progress, values)


def run_width_sweep(config: CalibrationConfig, progress: Progress | None = None,
                    values: tuple[float, ...] = SWEEP_VALUES["hidden"]) -> SweepResult:
    """Over-confidence against model size: :func:`run_sweep` over hidden units, plain CE."""
    return run_sweep(config, "hidden", progress, values)
