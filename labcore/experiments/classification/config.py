"""The Classification lab's settings: one frozen, validated config (its fields carry limits).

Re-exported by :mod:`labcore.experiments.classification`, where ``run_classification`` uses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from labcore import fields
from labcore.budget import check_computation
from labcore.config import Config, param
from labcore.data.classification import DatasetName
from labcore.experiments.classification import cost
from labcore.models.classifier import ClassifierSpec

DATASET_CHOICES = {
    "digits": "Digits (8×8 images, 10 classes)",
    "moons": "Two moons (2-D)",
    "circles": "Circles (2-D)",
    "blobs": "Three blobs (2-D)",
    "spirals": "Three spirals (2-D)",
}


@dataclasses.dataclass(frozen=True)
class ClassificationConfig(Config):
    """Everything that defines one Classification-lab experiment."""

    dataset: DatasetName = param(
        "digits", label="Dataset", group="Data", choices=DATASET_CHOICES,
        help="scikit-learn's bundled 8×8 handwritten digits, or a 2-D toy you can see whole.",
    )
    n_points: int = fields.toy_points(600, min=100, max=2000)
    toy_noise: float = fields.class_overlap(0.2)
    label_noise: float = param(
        0.4, label="Label noise rate", group="Data", min=0.0, max=0.5, step=0.05,
        help="Share of each affected class whose training label is flipped. Validation and "
        "test labels stay clean.",
    )
    noise_kind: Literal["asymmetric", "symmetric"] = param(
        "asymmetric", label="Label noise kind", group="Data",
        choices={"asymmetric": "Asymmetric: look-alike pairs swapped (1↔7, 3↔8, 4↔9, 5↔6)",
                 "symmetric": "Symmetric: to any other class"},
        help="Asymmetric noise swaps classes in pairs, like the lecture's cat↔dog; on toys the "
        "pair is classes 0↔1.",
    )
    loss: Literal["uanll", "ce", "brier"] = param(
        "uanll", label="Loss", group="Model",
        choices={"uanll": "UANLL (square loss of the softmax + learned σ)",
                 "ce": "Cross-entropy",
                 "brier": "Brier score (square loss of the softmax on one-hot targets)"},
        help="UANLL also predicts s = log σ² per sample, which gives each prediction a "
        "certainty 1/(1+σ²).",
    )
    smoothing: float = fields.label_smoothing(0.0)
    method: Literal["none", "ensemble", "mc_dropout"] = fields.epistemic_method(
        "none", ("none", "ensemble", "mc_dropout"),
        help="Several networks (ensemble) or dropout kept on at test time add how unsure the "
        "model itself is (mutual information).")
    members: int = fields.ensemble_members()
    dropout: float = fields.dropout_rate(0.1)
    mc_samples: int = fields.mc_samples(20, max=100)
    hidden: int = fields.hidden_units(512, min=16, max=512, step=16)
    n_layers: int = fields.hidden_layers(1)
    steps: int = fields.training_steps(400, min=50, max=3000, step=50)
    lr: float = fields.learning_rate(0.003, max=0.1)
    batch_size: int = fields.batch_size(128, max=1024, step=32)
    n_views: int = param(
        32, label="Views per sample V", group="Test-time augmentation", min=1, max=32,
        help="View 0 is the input itself; the others are shifted, rotated and noised "
        "(digits) or jittered (2-D points).",
    )
    aug_strength: float = param(
        0.5, label="Augmentation strength", group="Test-time augmentation", min=0.0, max=3.0,
        step=0.1, help="Scales every augmentation; at 1, digits get up to ±1 px shift, ±12° "
        "rotation and pixel noise 0.05, points a jitter of 0.1.",
    )
    train_copies: int = param(
        5, label="Augmented copies in training", group="Test-time augmentation", min=0,
        max=5, help="Augmented copies of every training sample (same label, same "
        "augmentation as the views), so the views do not look new to the model.",
    )
    t_co: float = param(
        0.5, label="Confidence threshold t_co", group="Decision thresholds", min=0.0, max=1.0,
        step=0.01, help="A view's co_h = 1 when its confidence co_s ≥ t_co.",
    )
    t_ce: float = param(
        0.95, label="Certainty threshold t_ce", group="Decision thresholds", min=0.0, max=1.0,
        step=0.01, help="A view's ce_h = 1 when its UANLL certainty ce_s ≥ t_ce. With softmax "
        "outputs ce_s = 1/(1+σ²) lives between 1/(1+2/N) and 1 (0.83–1 for the 10 digits, "
        "0.5–1 for 2 classes). The default 0.95 lies inside the digits' band, at the certainty "
        "of a 50/50 split between two digits, 1/(1+0.5/N) = 0.952 for N = 10.",
    )
    seed: int = fields.seed()

    @classmethod
    def inactive_fields(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """Toy settings only for 2-D toys, the kind of noise only when labels are flipped,
        members only for ensembles, dropout and T only for MC dropout, the certainty threshold
        only for UANLL (only it predicts a certainty)."""
        method = values.get("method")
        inactive = set()
        if values.get("dataset") == "digits":
            inactive.update(("n_points", "toy_noise"))
        if values.get("label_noise") == 0:
            inactive.add("noise_kind")
        if method != "ensemble":
            inactive.add("members")
        if method != "mc_dropout":
            inactive.update(("dropout", "mc_samples"))
        if values.get("loss") != "uanll":
            inactive.add("t_ce")
        return frozenset(inactive)

    def check(self) -> None:
        super().check()
        # The training, the test-time views and the decision map, as a whole.
        check_computation(cost.run_parts(self), cost.ADVICE)

    @property
    def is_toy(self) -> bool:
        """Whether the data are 2-D points (a decision map can be drawn)."""
        return self.dataset != "digits"

    def model_config(self) -> ClassificationConfig:
        """This config with the thresholds at their defaults: all that training depends on.

        The page caches the training run on this, so moving a threshold never retrains.
        """
        default = type(self)()
        return self.replace(t_co=default.t_co, t_ce=default.t_ce)

    def spec(self) -> ClassifierSpec:
        """The classifier this config trains."""
        return ClassifierSpec(
            loss=self.loss, smoothing=self.smoothing, hidden=self.hidden, n_layers=self.n_layers,
            members=self.members if self.method == "ensemble" else 1,
            dropout=self.dropout if self.method == "mc_dropout" else 0.0,
            steps=self.steps, lr=self.lr, batch_size=self.batch_size or None, seed=self.seed,
        )
