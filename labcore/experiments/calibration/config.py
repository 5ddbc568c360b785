"""The Calibration lab's settings: one frozen, validated config (its fields carry limits).

Re-exported by :mod:`labcore.experiments.calibration`, where ``run_calibration`` uses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from labcore import calibration as cal
from labcore import fields
from labcore.budget import check_computation
from labcore.config import Config, param
from labcore.data.classification import DatasetName
from labcore.experiments.calibration import cost

SCORING_FIELDS = ("n_bins", "strategy")  # change how results are scored, never the training


@dataclasses.dataclass(frozen=True)
class CalibrationConfig(Config):
    """Everything that defines one Calibration-lab experiment.

    The default is chosen to show the lecture's story (Guo et al. 2017; Müller et al. 2019):
    two 128-unit layers trained without regularisation on 150 digits overfit, so plain CE is
    over-confident (seed 0: confidence 96.6 % vs accuracy 92.3 %, fitted T = 2.04) and
    temperature scaling more than halves its test ECE (0.044 → 0.019); ε = 0.01 curbs the
    over-confidence and leaves TS little to do (T = 0.87). On all 850 training images the
    network is more accurate and nearly calibrated, which would hide the effect.
    """

    dataset: DatasetName = param(
        "digits", label="Data", group="Data",
        help="8×8 handwritten digits (10 classes) or a 2-D toy whose classes overlap.",
        choices={"digits": "Digits (8×8 images, 10 classes)", "moons": "Two moons (2 classes)",
                 "circles": "Two circles (2 classes)", "blobs": "Three blobs (3 classes)",
                 "spirals": "Three spirals (3 classes)"},
    )
    train_size: int = param(
        150, label="Training images (digits)", group="Data", min=50, max=850, step=50,
        help="Digits the networks learn from (the same share of each class); the split's "
        "other training images join the test set. Few images and no regularisation make "
        "plain CE over-confident.",
    )
    n_points: int = fields.toy_points(1500, min=300, max=3000)
    toy_noise: float = fields.class_overlap(
        0.3, help="Jitter added to the toy's points; more overlap means more unavoidable mistakes.")
    smoothing: float = fields.label_smoothing(
        0.01, help="The smoothed model trains on targets 1 − ε for the true class and ε/(K − 1) "
        "for each other class; the plain model uses ε = 0. PyTorch's label_smoothing=α puts α/K "
        "on each other class: the same targets at ε = α(K − 1)/K.")
    hidden: int = fields.hidden_units(
        128, min=16, max=512, step=16, group="Model",
        help="Units in each hidden layer; wider networks tend to be more over-confident.")
    n_layers: int = fields.hidden_layers(2, group="Model")
    steps: int = fields.training_steps(
        400, min=50, max=3000, step=50,
        help="Adam steps on mini-batches of 128; training longer makes plain CE more sure.")
    lr: float = fields.learning_rate(0.003, max=0.03)
    seed: int = fields.seed()
    n_bins: int = fields.ece_bins(cal.N_BINS)
    strategy: cal.BinStrategy = param(
        "uniform", label="Binning", group="Scoring",
        help="Equal-width bins split [0, 1] evenly; equal-mass bins hold the same number of "
        "predictions each (adaptive ECE).",
        choices={"uniform": "Equal width", "quantile": "Equal mass (adaptive)"},
    )

    @classmethod
    def inactive_fields(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """The toy's size and noise only for 2-D toys; the training-set size only for digits."""
        if values.get("dataset", "digits") == "digits":
            return frozenset({"n_points", "toy_noise"})
        return frozenset({"train_size"})

    def check(self) -> None:
        super().check()
        # Plain CE and, when ε > 0, CE + ε: their trainings and held-out logits.
        check_computation(cost.run_parts(self), cost.ADVICE)


def training_config(config: CalibrationConfig) -> CalibrationConfig:
    """The config with the scoring fields at their defaults: the key of the training cache.

    Changing the bins re-scores cached logits; it must not retrain.
    """
    default = CalibrationConfig()
    return config.replace(**{name: getattr(default, name) for name in SCORING_FIELDS})
