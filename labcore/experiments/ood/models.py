"""The four models of the OOD lab, trained once per experiment and queried many times.

Every OOD experiment compares the same kinds of network: a plain cross-entropy network, an MC
dropout network, a deep ensemble and a UANLL network. Their settings are the fields of
:class:`ModelSettings`, a base of the shift sweep's, the detection experiment's and the 2-D
toy's configs, so the three agree; :func:`train_models` trains the ones an
experiment needs and :func:`predict` queries one the way its method prescribes (T dropout
passes for MC dropout, all members for an ensemble).
"""

import dataclasses
from typing import Literal

import numpy as np

from labcore.data.classification import ClassificationData
from labcore.experiments.ood.config import ModelSettings
from labcore.models.classifier import (
    ClassifierOutput,
    ClassifierSpec,
    TrainedClassifier,
    train_classifier,
)
from labcore.models.train import Progress

ModelName = Literal["plain", "mc_dropout", "ensemble", "uanll"]
MODEL_LABELS: dict[str, str] = {
    "plain": "plain network",
    "mc_dropout": "MC dropout",
    "ensemble": "deep ensemble",
    "uanll": "UANLL network",
}


def model_spec(name: ModelName, config: ModelSettings) -> ClassifierSpec:
    """The :class:`ClassifierSpec` of one model from the shared settings.

    Args:
        name: "plain", "mc_dropout", "ensemble" or "uanll".
        config: any OOD config.
    """
    base = ClassifierSpec(hidden=config.hidden, steps=config.steps, seed=config.seed)
    if name == "plain":
        return base
    if name == "mc_dropout":
        return dataclasses.replace(base, dropout=config.dropout)
    if name == "ensemble":
        return dataclasses.replace(base, members=config.members)
    if name == "uanll":
        return dataclasses.replace(base, loss="uanll")
    raise ValueError(f"Model must be one of {', '.join(MODEL_LABELS)}. Got {name!r}.")


def train_models(
    names: tuple[ModelName, ...],
    config: ModelSettings,
    data: ClassificationData,
    progress: Progress | None = None,
    progress_range: tuple[float, float] = (0.0, 1.0),
) -> dict[str, TrainedClassifier]:
    """Train each named model once on ``data`` (the progress bar is shared by cost).

    Args:
        names: the models to train, in order.
        config: any OOD config.
        data: train and validation splits.
        progress: ``progress(fraction, message)``.
        progress_range: the slice of the caller's bar that training fills.

    Returns:
        Model name → trained classifier.
    """
    specs = {name: model_spec(name, config) for name in names}
    cost = {name: 1.0 + 0.4 * (spec.members - 1) for name, spec in specs.items()}
    total = sum(cost.values())
    lo, hi = progress_range
    done = 0.0
    models = {}
    for name, spec in specs.items():
        start = lo + (hi - lo) * done / total
        done += cost[name]
        models[name] = train_classifier(
            spec, data.x_train, data.y_train, data.x_val, data.y_val, data.n_classes,
            progress=progress, progress_range=(start, lo + (hi - lo) * done / total),
            label=f"Training the {MODEL_LABELS[name]}",
        )
    return models


def predict(
    name: ModelName, model: TrainedClassifier, x: np.ndarray, mc_samples: int
) -> ClassifierOutput:
    """(S, n, K) logits of a model as its method uses it: T dropout passes or all members."""
    return model.predict(x, mc_samples=mc_samples if name == "mc_dropout" else 0)
