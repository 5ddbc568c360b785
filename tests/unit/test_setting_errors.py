"""Errors that know whose they are (labcore.errors): what the user can fix is a SettingError.

Every config class of the engine, read from URL text with a bad value, raises a SettingError
(not just a ValueError), so the pages show its message instead of a bug report; the engine's
other user-facing checks (the time budget, typed ranges, uploaded files) do too, and internal
checks stay plain ValueError.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import typing
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labcore
from labcore.budget import SECONDS_LIMIT, check_computation
from labcore.checks import float_array
from labcore.config import Config, FieldError, param
from labcore.data.user_csv import check_size, prepare, read_csv_bytes
from labcore.errors import FileError, SettingError
from labcore.experiments.classification.upload import check_upload
from labcore.experiments.regression.chart_edits import add_range
from labcore.models.train import TrainingDiverged


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _engine_configs() -> list[type[Config]]:
    """Every Config subclass in labcore, found by importing every labcore module."""
    for module in pkgutil.walk_packages(labcore.__path__, "labcore."):
        importlib.import_module(module.name)
    found = {c for c in _subclasses(Config) if c.__module__.startswith("labcore.")}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


CONFIGS = _engine_configs()
_TRUE_FALSE = {"true", "1", "yes", "on", "false", "0", "no", "off"}
_WORDS = st.text(alphabet="abcxyz!?* ", min_size=1, max_size=8).filter(
    lambda t: t.strip().lower() not in _TRUE_FALSE)


def _bad_text(cls: type[Config], name: str) -> st.SearchStrategy[str] | None:
    """Text that no value of the field accepts: words, numbers out of range, wrong kinds.
    None for free-text fields (their rules are the page's own parsers')."""
    spec, tp = cls.field_specs()[name], cls.field_type(name)
    if typing.get_origin(tp) is typing.Literal:
        allowed = {str(a) for a in typing.get_args(tp)}
        return st.text(max_size=10).filter(lambda t: t.strip() not in allowed)
    if tp is bool:
        return _WORDS
    if tp is int:
        out = []
        if spec.max is not None:
            out.append(st.integers(int(spec.max) + 1, int(spec.max) + 10**6).map(str))
        if spec.min is not None:
            out.append(st.integers(int(spec.min) - 10**6, int(spec.min) - 1).map(str))
        return st.one_of(_WORDS, st.just("1.5"), st.just("inf"), *out)
    if tp is float:
        out = []
        if spec.max is not None:
            out.append(st.floats(spec.max, 1e12, exclude_min=True).map(repr))
        if spec.min is not None:
            out.append(st.floats(-1e12, spec.min, exclude_max=True).map(repr))
        return st.one_of(_WORDS, st.sampled_from(["nan", "inf", "-inf"]), *out)
    return None


def test_every_config_of_the_engine_is_found():
    names = {c.__name__ for c in CONFIGS}
    assert {"RegressionConfig", "ClassificationConfig", "CalibrationConfig", "OODLabConfig",
            "MLEConfig"} <= names


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_bad_value_in_any_config_is_a_setting_error_naming_its_field(cls, data):
    names = [f.name for f in dataclasses.fields(cls) if _bad_text(cls, f.name) is not None]
    name = data.draw(st.sampled_from(names))
    text = data.draw(_bad_text(cls, name))
    with pytest.raises(SettingError, match="Got") as caught:
        cls.from_strings({name: text})
    assert isinstance(caught.value, FieldError) and caught.value.field == name


@dataclasses.dataclass(frozen=True)
class _Rule(Config):
    """A toy config with a rule across fields, written as the pages' configs write them."""

    low: int = param(1, label="Low", help="The low end.", min=0, max=10)
    high: int = param(5, label="High", help="The high end.", min=0, max=10)

    def check(self) -> None:
        super().check()
        if self.low >= self.high:
            raise ValueError(f"Low must be below High. Got {self.low} and {self.high}.")


def test_a_rule_across_fields_is_a_setting_error_with_the_same_message():
    with pytest.raises(SettingError, match=r"^Low must be below High\. Got 7 and 5\.$") as caught:
        _Rule.from_strings({"low": "7"})
    assert caught.value.field is None and not isinstance(caught.value, FieldError)
    assert isinstance(caught.value.__cause__, ValueError)  # the rule's own error, chained


def test_the_time_budget_is_a_setting_error():
    with pytest.raises(SettingError, match=r"use fewer steps\. Got about"):
        check_computation([SECONDS_LIMIT + 1.0], "use fewer steps")


def test_a_typed_range_off_the_chart_is_a_setting_error():
    with pytest.raises(SettingError, match=r"'From x' must be below 'To x'\. Got from 1 to 0\."):
        add_range("", 1.0, 0.0, 10)


def test_a_diverged_training_is_a_setting_error():
    assert issubclass(TrainingDiverged, SettingError)


def test_what_is_wrong_with_an_uploaded_file_is_a_file_error():
    with pytest.raises(FileError, match=r"Got big\.csv"):
        check_size(10_000_000, "big.csv")
    with pytest.raises(FileError, match="must be a text CSV"):
        read_csv_bytes(b"\x00\x01\x02" * 100, "x.csv")
    frame = read_csv_bytes(b"x,y\n" + b"".join(b"%d,%d\n" % (i, i % 2) for i in range(40)))
    with pytest.raises(FileError, match="is not in the file"):
        prepare(frame, ["x"], "label", "classification")
    with pytest.raises(FileError, match="needs at least two classes"):
        prepare(frame.assign(y=0), ["x"], "y", "classification")
    with pytest.raises(FileError, match="uses two input columns"):
        check_upload(prepare(frame, ["x"], "y", "classification"))


def test_the_labs_own_checks_stay_plain_value_errors():
    with pytest.raises(ValueError) as caught:
        float_array(np.array([1.0, np.nan]), "scores", ndim=1)
    assert not isinstance(caught.value, SettingError)
