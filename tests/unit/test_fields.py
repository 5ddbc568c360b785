"""Tests for labcore.fields: the shared settings keep one label, and each lab its own limits."""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import get_args

import pytest

from labcore import calibration as cal
from labcore import fields
from labcore.config import Config
from labcore.experiments.calibration import methods
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.calibration.run import four_panels
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.ood.config import ModelSettings, ToyData
from labcore.experiments.regression.config import RegressionConfig

LABS: tuple[type[Config], ...] = (ClassificationConfig, RegressionConfig, CalibrationConfig,
                                  ModelSettings)


def _field(cls: type[Config], name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


@pytest.mark.parametrize(
    ("made", "label", "factory"),
    [
        (fields.hidden_units(64, min=8, max=256, step=8), "Hidden units", "hidden_units"),
        (fields.hidden_layers(2), "Hidden layers", "hidden_layers"),
        (fields.training_steps(400, min=50, max=3000, step=50), "Training steps",
         "training_steps"),
        (fields.learning_rate(0.01, max=1.0), "Learning rate", "learning_rate"),
        (fields.batch_size(0, max=1000, step=10), "Batch size", "batch_size"),
        (fields.ensemble_members(), "Ensemble members M", "ensemble_members"),
        (fields.dropout_rate(0.1), "Dropout rate", "dropout_rate"),
        (fields.mc_samples(20, max=100), "MC samples T", "mc_samples"),
        (fields.label_smoothing(0.0), "Label smoothing ε", "label_smoothing"),
        (fields.epistemic_method("none", ("none", "ensemble")), "Epistemic method",
         "epistemic_method"),
        (fields.seed(), "Seed", "seed"),
        (fields.ece_bins(15), "ECE bins", "ece_bins"),
        (fields.toy_points(600, min=100, max=2000), "Points (2-D toys)", "toy_points"),
        (fields.class_overlap(0.2), "Class overlap (2-D toys)", "class_overlap"),
    ],
)
def test_a_factory_gives_its_label_and_names_itself(made, label, factory):
    assert made.metadata["spec"].label == label
    assert made.metadata[fields.SHARED] == factory


def test_the_labels_the_labs_show_come_from_the_factories():
    for cls in LABS:
        specs = cls.field_specs()
        assert specs["hidden"].label == "Hidden units"
        assert specs["steps"].label == "Training steps"
        assert specs["seed"].label == "Seed"


# Each field's default and (min, max, step) per lab, as each lab's sidebar has always offered them.
_C, _R, _K, _O = ClassificationConfig, RegressionConfig, CalibrationConfig, ModelSettings
_LIMITS: dict[str, dict[type[Config], tuple]] = {
    "hidden": {_C: (512, (16, 512, 16)), _R: (64, (8, 256, 8)), _K: (128, (16, 512, 16)),
               _O: (128, (16, 256, 16))},
    "steps": {_C: (400, (50, 3000, 50)), _R: (500, (100, 5000, 100)), _K: (400, (50, 3000, 50)),
              _O: (400, (100, 2000, 100))},
    "lr": {_C: (0.003, (0.0001, 0.1, None)), _R: (0.01, (0.0001, 1.0, None)),
           _K: (0.003, (0.0001, 0.03, None))},
    "n_layers": {_C: (1, (1, 4, None)), _R: (2, (1, 4, None)), _K: (2, (1, 4, None))},
    "mc_samples": {_C: (20, (5, 100, 5)), _R: (50, (5, 200, 5)), _O: (20, (5, 100, 5))},
    "dropout": {_C: (0.1, (0.05, 0.5, 0.05)), _R: (0.1, (0.05, 0.5, 0.05)),
                _O: (0.2, (0.05, 0.5, 0.05))},
    "members": {_C: (5, (2, 10, None)), _O: (5, (2, 10, None))},
    "batch_size": {_C: (128, (0, 1024, 32)), _R: (0, (0, 1000, 10))},
    "n_points": {_C: (600, (100, 2000, 100)), _K: (1500, (300, 3000, 100)),
                 ToyData: (600, (100, 2000, 100))},
    "toy_noise": {_K: (0.3, (0.0, 1.0, 0.05))},
    "n_bins": {_K: (15, (5, 30, None))},
    "seed": {MLEConfig: (0, (0, 2**31 - 1, None))},
}


@pytest.mark.parametrize(
    ("cls", "name", "default", "limits"),
    [(cls, name, default, limits)
     for name, per_lab in _LIMITS.items() for cls, (default, limits) in per_lab.items()],
)
def test_each_lab_keeps_its_own_default_and_limits(cls, name, default, limits):
    spec = cls.field_specs()[name]
    assert getattr(cls(), name) == default
    assert (spec.min, spec.max, spec.step) == limits


def test_groups_labels_and_log_scale_stay_where_each_lab_had_them():
    assert CalibrationConfig.field_specs()["hidden"].group == "Model"
    assert ClassificationConfig.field_specs()["hidden"].group == "Training"
    assert ModelSettings.field_specs()["members"].group == "Models"
    assert RegressionConfig.field_specs()["members"].group == "Model"
    assert MLEConfig.field_specs()["seed"].group == "Data"
    assert ToyData.field_specs()["toy_noise"].label == "Toy noise"
    assert ToyData.field_specs()["n_points"].label == "Toy points"
    assert all(cls.field_specs()["lr"].log for cls in (ClassificationConfig, RegressionConfig,
                                                       CalibrationConfig))


def test_a_seed_is_0_to_9999_in_every_lab_that_trains_networks():
    for cls in LABS:
        spec = cls.field_specs()["seed"]
        assert (spec.min, spec.max, spec.group) == (0, 9999, "Training")
        assert spec.help == "The same seed and settings give the same data, networks and result."


def test_a_lab_keeps_its_own_help_where_it_says_more():
    assert CalibrationConfig.field_specs()["hidden"].help == (
        "Units in each hidden layer; wider networks tend to be more over-confident.")
    assert ModelSettings.field_specs()["dropout"].help == (
        "Probability of dropping a hidden unit, in training and (MC dropout) at test time.")
    assert RegressionConfig.field_specs()["dropout"].help == (
        "Probability of dropping a hidden unit (MC dropout only).")


def test_the_epistemic_options_keep_each_labs_order():
    for cls in (ClassificationConfig, RegressionConfig):
        choices = cls.field_specs()["method"].choices
        assert tuple(choices) == get_args(cls.field_type("method"))
        assert choices["mc_dropout"] == "MC dropout"
    assert tuple(RegressionConfig.field_specs()["method"].choices) == (
        "none", "mc_dropout", "ensemble")


def test_a_shared_field_rejects_a_value_with_its_shared_label():
    with pytest.raises(ValueError, match=re.escape(
            "Hidden units (hidden) must be between 8 and 256. Got 4.")):
        RegressionConfig(hidden=4)
    with pytest.raises(ValueError, match=re.escape(
            "Seed (seed) must be between 0 and 9999. Got 10000.")):
        ModelSettings(seed=10_000)


def test_n_bins_is_15_and_the_default_of_every_ece_function():
    assert cal.N_BINS == 15  # Guo et al. 2017's 15 equal-width bins
    for function in (cal.reliability_bins, cal.expected_calibration_error,
                     cal.maximum_calibration_error, cal.classwise_ece, cal.fit_temperature_ece,
                     cal.shootout, cal.size_curve, methods.calibrator_view, methods.size_view):
        assert inspect.signature(function).parameters["n_bins"].default == cal.N_BINS
    assert CalibrationConfig().n_bins == cal.N_BINS
    assert inspect.signature(four_panels).parameters["n_bins"].default == cal.N_BINS
