"""The OOD lab's settings: one frozen config per experiment, and the page's union of them.

:class:`ModelSettings` are the networks every OOD experiment trains; :class:`ShiftConfig` (the
shift sweep), :class:`OODConfig` (detection on digits) and :class:`ToyOODConfig` (the 2-D toy)
add their own fields to them. :class:`OODLabConfig` is all three in one, the settings form of the
OOD page; its :meth:`~OODLabConfig.shift_config`, :meth:`~OODLabConfig.detection_config` and
:meth:`~OODLabConfig.toy_config` give each experiment only its own fields, so each result is
cached on what it depends on.
"""

# Config field types are kept as objects (no ``from __future__ import annotations``), so
# ``typing.get_type_hints`` needs no module globals: it still works on a config class after
# Streamlit's file watcher has dropped this module from ``sys.modules``.

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from labcore import fields
from labcore.budget import check_computation
from labcore.config import Config, param
from labcore.errors import SettingError
from labcore.experiments.ood import cost


@dataclasses.dataclass(frozen=True)
class ModelSettings(Config):
    """The settings every OOD experiment shares: how its networks are built and trained.

    Each experiment's config checks its own time as a whole (:mod:`.cost`): the models it
    trains and everything it predicts."""

    members: int = fields.ensemble_members(group="Models")
    dropout: float = fields.dropout_rate(
        0.2, group="Models",
        help="Probability of dropping a hidden unit, in training and (MC dropout) at test time.")
    mc_samples: int = fields.mc_samples(
        20, max=100, group="Models",
        help="Forward passes with dropout on at test time; their softmax outputs are averaged.")
    hidden: int = fields.hidden_units(
        128, min=16, max=256, step=16,
        help="Units in each of the two hidden layers of every network.")
    steps: int = fields.training_steps(
        400, min=100, max=2000, step=100,
        help="Adam steps of 128 training images (or points) each.")
    seed: int = fields.seed()


MethodName = Literal["plain", "temperature", "mc_dropout", "ensemble", "uanll", "tta"]
METHODS: tuple[MethodName, ...] = ("plain", "temperature", "mc_dropout", "ensemble", "uanll",
                                   "tta")


def _method_field(default: bool, label: str, help: str) -> bool:
    return param(default, label=label, group="Experiment", help=help)


@dataclasses.dataclass(frozen=True)
class ShiftMethods(Config):
    """Which methods the shift sweep compares (one switch each)."""

    plain: bool = _method_field(
        True, "Plain network", "One network trained with cross-entropy, used as it is.")
    temperature: bool = _method_field(
        True, "Temperature scaling",
        "The plain network's logits divided by one T fitted on clean validation images.")
    mc_dropout: bool = _method_field(
        False, "MC dropout", "A dropout network; the mean of T passes with dropout kept on.")
    ensemble: bool = _method_field(
        True, "Deep ensemble", "The mean prediction of M networks trained from different starts.")
    uanll: bool = _method_field(
        False, "UANLL", "A network trained with the uncertainty-aware NLL; its softmax is used.")
    tta: bool = _method_field(
        False, "Test-time augmentation",
        "The plain network's softmax averaged over V shifted, rotated, noisy views of each image.")


@dataclasses.dataclass(frozen=True)
class ShiftConfig(ModelSettings, ShiftMethods):
    """The shift sweep: which methods to compare, and how their models are built."""

    views: int = param(
        8, label="TTA views V", group="Models", min=2, max=16,
        help="Views per image for test-time augmentation (view 1 is the image itself).")
    tta_strength: float = param(
        0.5, label="TTA strength", group="Models", min=0.1, max=1.0, step=0.1,
        help="Scales the views' random shift (1 = up to ±1 pixel), rotation (±12°) and noise. "
        "The networks never saw such changes in training, so strong views hurt.")

    @classmethod
    def inactive_fields(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """A method's settings only while its switch is on: members for the ensemble, dropout
        and T for MC dropout, views and strength for test-time augmentation."""
        inactive = set()
        if not values.get("ensemble", True):
            inactive.add("members")
        if not values.get("mc_dropout", True):
            inactive.update(("dropout", "mc_samples"))
        if not values.get("tta", True):
            inactive.update(("views", "tta_strength"))
        return frozenset(inactive)

    def check(self) -> None:
        super().check()
        if not self.methods:
            raise SettingError("Methods must include at least one method: switch one on under "
                             "Experiment. Got none.")
        check_computation(cost.shift_parts(self), cost.ADVICE + ", or fewer methods or views")

    @property
    def methods(self) -> tuple[MethodName, ...]:
        """The switched-on methods, in the order of :data:`METHODS`."""
        return tuple(m for m in METHODS if getattr(self, m))


FOOLING_AIM = 0.999
"""How sure the attack makes the plain network of each fooling image before it stops: well past
the 99 % (:data:`~labcore.experiments.ood.fooling.TARGET_CONFIDENCE`) the page claims, since
an image stops as soon as it crosses the aim. Stopping at 99 % left the least sure image at
0.9901–0.9906 on seeds 0–4; aiming at 99.9 % leaves every image ≥ 0.9990 there, after at
most 51 of the 300 steps (about 10 on average, against 8)."""

IN_CLASSES = {
    "01234": "0 1 2 3 4 (5–9 held out)",
    "56789": "5 6 7 8 9 (0–4 held out)",
    "02468": "Even digits (odd held out)",
    "13579": "Odd digits (even held out)",
    "0123456": "0 to 6 (7, 8, 9 held out)",
}


@dataclasses.dataclass(frozen=True)
class DetectionData(Config):
    """Which digits are in-distribution, and how many fooling images to make."""

    in_classes: Literal["01234", "56789", "02468", "13579", "0123456"] = param(
        "01234", label="In-distribution digits", group="Experiment", choices=IN_CLASSES,
        help="The networks train on these digits only; the other digits are one OOD set.")
    n_fooling: int = param(
        60, label="Fooling images", group="Experiment", min=10, max=200, step=10,
        help="Noise images pushed by gradient ascent until the plain network is "
        f"≥ {FOOLING_AIM:.1%} sure.")


@dataclasses.dataclass(frozen=True)
class OODConfig(ModelSettings, DetectionData):
    """OOD detection on digits: which digits are in-distribution, and the models' settings."""

    def check(self) -> None:
        super().check()
        check_computation(cost.detection_parts(self), cost.ADVICE + " or fooling images")

    @property
    def classes(self) -> tuple[int, ...]:
        """The in-distribution digits, e.g. (0, 1, 2, 3, 4)."""
        return tuple(int(c) for c in self.in_classes)


@dataclasses.dataclass(frozen=True)
class ToyData(Config):
    """Which 2-D toy, how noisy, how many points."""

    toy: Literal["moons", "circles", "blobs", "spirals"] = param(
        "moons", label="2-D toy", group="Experiment",
        choices={"moons": "Two moons", "circles": "Circles", "blobs": "Three blobs",
                 "spirals": "Three spirals"},
        help="The 2-D problem the networks learn; the heatmaps reach well beyond its points.")
    toy_noise: float = fields.class_overlap(0.2, label="Toy noise", group="Experiment")
    n_points: int = fields.toy_points(600, min=100, max=2000, label="Toy points",
                                      group="Experiment")


@dataclasses.dataclass(frozen=True)
class ToyOODConfig(ModelSettings, ToyData):
    """Scores over the plane of a 2-D toy, far beyond its data."""

    def check(self) -> None:
        super().check()
        check_computation(cost.toy_parts(self), cost.ADVICE + " or toy points")


C = TypeVar("C", bound=Config)


def _project(cls: type[C], config: Config) -> C:
    return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True)
class OODLabConfig(ShiftConfig, OODConfig, ToyOODConfig):
    """Every setting of the OOD page: the union of the three experiments' fields.

    The order of the bases puts every "Experiment" field (the toy's, the detection's, the
    shift's switches) before the shared model settings, so each view's form starts with what
    its experiment is about.
    """

    def shift_config(self) -> ShiftConfig:
        """The shift sweep's config (its fields only)."""
        return _project(ShiftConfig, self)

    def detection_config(self) -> OODConfig:
        """The detection experiment's config (its fields only)."""
        return _project(OODConfig, self)

    def toy_config(self) -> ToyOODConfig:
        """The 2-D toy's config (its fields only)."""
        return _project(ToyOODConfig, self)

    @classmethod
    def inactive_fields(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """None for the page as a whole: which fields matter depends on the view (each view's
        own config says so, see :meth:`hidden_for`)."""
        return frozenset()

    @classmethod
    def hidden_for(cls, part: type[Config]) -> frozenset[str]:
        """Names of the fields ``part`` does not use (the page hides them in its view)."""
        own = {f.name for f in dataclasses.fields(part)}
        return frozenset(f.name for f in dataclasses.fields(cls) if f.name not in own)
