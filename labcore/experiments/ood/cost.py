"""What each OOD experiment costs, part by part, for :mod:`labcore.budget`'s check.

Every experiment trains the models it needs (:func:`model_trainings`) and then queries them:
the shift sweep on 6 corruptions × 5 severities of the test digits (:func:`shift_parts`), the
detection experiment on four OOD sets after making fooling images (:func:`detection_parts`),
the 2-D toy on a 101 × 101 grid (:func:`toy_parts`). Each config's ``check()`` sums its parts
before anything trains. This module reads the configs' fields only (no imports of the runs,
which define the configs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labcore.budget import Forward, Part, Training

DIGITS = (899, 359, 539)  # digits' seeded 50 / 20 / 30 split
PIXELS, CLASSES = 64, 10
TOY_CLASSES = {"moons": 2, "circles": 2, "blobs": 3, "spirals": 3}
BATCH = 128  # labcore.models.classifier.ClassifierSpec's default batch size
CORRUPTED_SETS = 6 * 5  # corruptions × severities
CORRUPT_S_PER_IMAGE = 1.5e-6
"""Making one corrupted test digit (labcore.data.corruptions.corrupt_all)."""
N_NOISE = 300  # uniform-noise images of the detection experiment
FOOLING_STEPS = 30
"""Gradient steps a fooling image typically takes to reach 99 % (at most 300)."""
GRID = 101 * 101  # the toy's score maps

ADVICE = "use fewer training steps, hidden units, ensemble members or MC samples"


def _digits(k: int = CLASSES) -> tuple[int, int, int, int, int]:
    """(train, validation, test, inputs, classes) of the digits of ``k`` classes."""
    share = k / CLASSES
    return (round(DIGITS[0] * share), round(DIGITS[1] * share), round(DIGITS[2] * share),
            PIXELS, k)


def _toy(config: Any) -> tuple[int, int, int, int, int]:
    """(train, validation, test, inputs, classes) of the config's 2-D toy (60 / 20 / 20)."""
    n_val = int(0.2 * config.n_points)
    return config.n_points - 2 * n_val, n_val, n_val, 2, TOY_CLASSES.get(config.toy, 3)


def _dims(config: Any, d_in: int, k: int, name: str) -> tuple[int, ...]:
    return (d_in, config.hidden, config.hidden, k + (name == "uanll"))


def model_trainings(config: Any, names: Sequence[str], n_train: int, n_val: int, d_in: int,
                    k: int) -> list[Part]:
    """Training each named model ("plain", "mc_dropout", "ensemble", "uanll") on the data."""
    parts: list[Part] = []
    minibatch = n_train > BATCH
    for name in names:
        parts.append(Training(
            config.steps, config.members if name == "ensemble" else 1,
            BATCH if minibatch else n_train, _dims(config, d_in, k, name), minibatch=minibatch,
            dropout=name == "mc_dropout", loss="uanll" if name == "uanll" else "ce",
            evals=config.steps // max(1, config.steps // 40), eval_rows=n_val))
    return parts


def _query(config: Any, name: str, rows: int, d_in: int, k: int) -> Forward:
    """One model's predictions on ``rows`` inputs, as its method queries it."""
    dims = _dims(config, d_in, k, name)
    if name == "mc_dropout":
        return Forward(rows * config.mc_samples, 1, dims, dropout=True)
    return Forward(rows, config.members if name == "ensemble" else 1, dims)


_MODEL_OF = {"plain": "plain", "temperature": "plain", "tta": "plain",
             "mc_dropout": "mc_dropout", "ensemble": "ensemble", "uanll": "uanll"}


def shift_parts(config: Any) -> list[Part]:
    """``run_shift``: the needed models, then every method on the clean and corrupted sets."""
    n_train, n_val, n_test, d_in, k = _digits()
    methods = config.methods
    needed = list(dict.fromkeys(_MODEL_OF[m] for m in methods))
    parts = model_trainings(config, needed, n_train, n_val, d_in, k)
    parts.append(CORRUPT_S_PER_IMAGE * CORRUPTED_SETS * n_test)
    rows = (1 + CORRUPTED_SETS) * n_test
    if "temperature" in methods:
        parts.append(_query(config, "plain", n_val, d_in, k))
    for method in methods:
        views = config.views if method == "tta" else 1
        parts.append(_query(config, _MODEL_OF[method], rows * views, d_in, k))
    return parts


def detection_parts(config: Any) -> list[Part]:
    """``run_ood``: four models on the in-distribution digits, fooling images, every score."""
    n_train, n_val, n_test, d_in, k = _digits(len(config.in_classes))
    names = ("plain", "ensemble", "mc_dropout", "uanll")
    parts = model_trainings(config, names, n_train, n_val, d_in, k)
    n_fooling = config.n_fooling
    parts.append(Training(FOOLING_STEPS, 1, n_fooling, _dims(config, d_in, k, "plain")))
    held_out = DIGITS[2] - n_test
    scored = 2 * n_test + held_out + N_NOISE + n_fooling
    parts += [_query(config, name, scored + n_test + n_fooling, d_in, k) for name in names]
    return parts


def toy_parts(config: Any) -> list[Part]:
    """``run_toy_ood``: four models on the toy, each scored on the grid and the test set."""
    n_train, n_val, n_test, d_in, k = _toy(config)
    names = ("plain", "ensemble", "mc_dropout", "uanll")
    parts = model_trainings(config, names, n_train, n_val, d_in, k)
    parts += [_query(config, name, GRID + n_test, d_in, k) for name in names]
    return parts
