"""What a Calibration run or sweep costs, part by part, for :mod:`labcore.budget`'s check.

:func:`model_parts` is one classifier's training and its validation and test logits;
``run_calibration`` trains one or two (plain CE, and CE with ε when ε > 0), a sweep one per
value. The config's ``check()`` and the sweeps sum them before anything trains. This module
reads the config's fields only (no import of the config module, which imports this one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labcore.budget import Forward, Part, Training

if TYPE_CHECKING:
    from labcore.experiments.calibration.config import CalibrationConfig

DIGITS = (899, 359, 539)  # digits' seeded 50 / 20 / 30 split before train_size is applied
TOY_CLASSES = {"moons": 2, "circles": 2, "blobs": 3, "spirals": 3}
BATCH = 128  # labcore.models.classifier.ClassifierSpec's default batch size

ADVICE = "use fewer training steps, hidden units or layers"


def model_parts(config: CalibrationConfig, *, steps: int | None = None,
                hidden: int | None = None) -> list[Part]:
    """One classifier's training on ``config``'s data, with its held-out logits.

    Args:
        config: the settings.
        steps, hidden: other values than the config's (the sweeps).
    """
    steps = config.steps if steps is None else int(steps)
    hidden = config.hidden if hidden is None else int(hidden)
    if config.dataset == "digits":
        n_train, n_val, n_test = config.train_size, DIGITS[1], sum(DIGITS) - DIGITS[1]
        d_in, k = 64, 10
    else:
        n_val = int(0.2 * config.n_points)
        n_train, n_test = config.n_points - 2 * n_val, n_val
        d_in, k = 2, TOY_CLASSES.get(config.dataset, 3)
    dims = (d_in, *(hidden,) * config.n_layers, k)
    minibatch = n_train > BATCH
    training = Training(steps, 1, BATCH if minibatch else n_train, dims, minibatch=minibatch,
                        loss="ce", evals=steps // max(1, steps // 40), eval_rows=n_val)
    return [training, Forward(n_val + n_test, 1, dims)]


def run_parts(config: CalibrationConfig) -> list[Part]:
    """``run_calibration``: plain CE, and CE with ε when ε > 0."""
    return model_parts(config) * (2 if config.smoothing > 0 else 1)


def sweep_parts(config: CalibrationConfig, parameter: str, values: tuple[float, ...]
                ) -> list[Part]:
    """A sweep: one model per value of ``parameter`` ("smoothing", "steps" or "hidden")."""
    parts: list[Part] = []
    for value in values:
        parts += model_parts(config, **({} if parameter == "smoothing" else {parameter: value}))
    return parts
