"""The settings several labs share, declared once: config fields with their label and help.

Each function returns a :func:`labcore.config.param` field. The label (what the widget says)
and the type of limit are the same in every lab; the default, and any limit the labs choose
differently, are arguments. A limit every lab agrees on (seeds 0–9999, 1–4 hidden layers) is
the argument's default, so it is written here only. A lab may pass ``help`` to say what the
setting means in its own experiment; otherwise the shared sentence is shown.

Every field made here names its factory in its metadata (:data:`SHARED`), so a test can check
that no lab declares one of these settings again by hand.

Example:
    >>> from labcore.config import Config, spec_of
    >>> @dataclasses.dataclass(frozen=True)
    ... class Lab(Config):
    ...     hidden: int = hidden_units(64, min=8, max=256, step=8)
    ...     seed: int = seed()
    >>> spec = Lab.field_specs()["hidden"]
    >>> spec.label, spec.min, spec.max, spec.step, spec.group
    ('Hidden units', 8, 256, 8, 'Training')
    >>> [f.metadata[SHARED] for f in dataclasses.fields(Lab)]
    ['hidden_units', 'seed']
    >>> try:
    ...     Lab(hidden=4)
    ... except ValueError as error:
    ...     print(error)
    Hidden units (hidden) must be between 8 and 256. Got 4.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from labcore.config import param

SHARED = "shared"
"""Metadata key of a field made here; its value is the factory's name, e.g. ``"seed"``."""


def _shared(factory: str, default: Any, **spec: Any) -> Any:
    """``param(default, **spec)``, with ``factory`` written under :data:`SHARED`."""
    made = param(default, **spec)
    return dataclasses.field(default=made.default, metadata={**made.metadata, SHARED: factory})


# Model


def hidden_units(
    default: int, *, min: int, max: int, step: int, group: str = "Training",
    help: str = "Units in each hidden layer.",
) -> Any:
    """Width of every hidden layer of the lab's networks."""
    return _shared("hidden_units", default, label="Hidden units", group=group, min=min, max=max,
                   step=step, help=help)


def hidden_layers(
    default: int, *, min: int = 1, max: int = 4, group: str = "Training",
    help: str = "Depth of each network.",
) -> Any:
    """How many hidden layers each network has."""
    return _shared("hidden_layers", default, label="Hidden layers", group=group, min=min,
                   max=max, help=help)


EPISTEMIC_METHODS = {"none": "None (one network)", "mc_dropout": "MC dropout",
                     "ensemble": "Deep ensemble"}
"""Epistemic method → how its option reads."""


def epistemic_method(
    default: str, order: tuple[str, ...], *, group: str = "Model",
    help: str = "How the model expresses what it does not know: not at all, by keeping dropout "
    "on at test time (MC dropout), or by training several networks (deep ensemble).",
) -> Any:
    """Which epistemic method the lab uses; ``order`` is the options' order on screen (that of
    the field's ``Literal``), from :data:`EPISTEMIC_METHODS`."""
    return _shared("epistemic_method", default, label="Epistemic method", group=group,
                   choices={name: EPISTEMIC_METHODS[name] for name in order}, help=help)


def ensemble_members(
    default: int = 5, *, min: int = 2, max: int = 10, group: str = "Model",
    help: str = "Networks in the deep ensemble, trained together in one batched pass.",
) -> Any:
    """M, the networks of a deep ensemble."""
    return _shared("ensemble_members", default, label="Ensemble members M", group=group, min=min,
                   max=max, help=help)


def dropout_rate(
    default: float, *, min: float = 0.05, max: float = 0.5, step: float = 0.05,
    group: str = "Model", help: str = "Probability of dropping a hidden unit (MC dropout only).",
) -> Any:
    """The dropout probability of an MC-dropout network."""
    return _shared("dropout_rate", default, label="Dropout rate", group=group, min=min, max=max,
                   step=step, help=help)


def mc_samples(
    default: int, *, max: int, min: int = 5, step: int = 5, group: str = "Model",
    help: str = "Forward passes with dropout on at test time (MC dropout only).",
) -> Any:
    """T, the forward passes of MC dropout at test time."""
    return _shared("mc_samples", default, label="MC samples T", group=group, min=min, max=max,
                   step=step, help=help)


def label_smoothing(
    default: float, *, min: float = 0.0, max: float = 0.3, step: float = 0.01,
    group: str = "Model",
    help: str = "Targets become 1−ε on the labelled class and ε/(N−1) on each other class. "
    "PyTorch's label_smoothing=α puts α/N on each other class: the same targets at "
    "ε = α(N−1)/N.",
) -> Any:
    """ε of label smoothing (the lecture's convention: ε/(N−1) on each other class)."""
    return _shared("label_smoothing", default, label="Label smoothing ε", group=group, min=min,
                   max=max, step=step, help=help)


# Training


def training_steps(
    default: int, *, min: int, max: int, step: int, group: str = "Training",
    help: str = "Adam steps, one mini-batch each.",
) -> Any:
    """How many optimiser steps each network takes."""
    return _shared("training_steps", default, label="Training steps", group=group, min=min,
                   max=max, step=step, help=help)


def learning_rate(
    default: float, *, max: float, min: float = 0.0001, group: str = "Training",
    help: str = "Adam's step size. Too high and training diverges; the page then says so.",
) -> Any:
    """Adam's (largest) step size, on a log scale."""
    return _shared("learning_rate", default, label="Learning rate", group=group, min=min, max=max,
                   log=True, help=help)


def batch_size(
    default: int, *, max: int, step: int, min: int = 0, group: str = "Training",
    help: str = "Samples per step; 0 uses the whole training set in every step (full batch).",
) -> Any:
    """Samples per training step, 0 for the full batch."""
    return _shared("batch_size", default, label="Batch size", group=group, min=min, max=max,
                   step=step, help=help)


def seed(
    default: int = 0, *, min: int = 0, max: int = 9999, group: str = "Training",
    help: str = "The same seed and settings give the same data, networks and result.",
) -> Any:
    """The seed of everything random in one run: data, initial weights, mini-batches."""
    return _shared("seed", default, label="Seed", group=group, min=min, max=max, help=help)


# Scoring


def ece_bins(
    default: int, *, min: int = 5, max: int = 30, group: str = "Scoring",
    help: str = "Number of confidence bins of the reliability diagrams and the ECE.",
) -> Any:
    """Bins of a reliability diagram and its ECE (the usual default is
    :data:`labcore.calibration.N_BINS`)."""
    return _shared("ece_bins", default, label="ECE bins", group=group, min=min, max=max,
                   help=help)


# Data of the 2-D toys


def toy_points(
    default: int, *, min: int, max: int, step: int = 100, label: str = "Points (2-D toys)",
    group: str = "Data",
    help: str = "Points in a 2-D toy before the 60/20/20 train/validation/test split.",
) -> Any:
    """Size of a 2-D toy data set before it is split."""
    return _shared("toy_points", default, label=label, group=group, min=min, max=max, step=step,
                   help=help)


def class_overlap(
    default: float, *, min: float = 0.0, max: float = 1.0, step: float = 0.05,
    label: str = "Class overlap (2-D toys)", group: str = "Data",
    help: str = "How much the classes of a 2-D toy overlap (jitter added to the points).",
) -> Any:
    """The jitter added to a 2-D toy's points: how much its classes overlap."""
    return _shared("class_overlap", default, label=label, group=group, min=min, max=max,
                   step=step, help=help)
