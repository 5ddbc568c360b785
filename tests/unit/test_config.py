"""Tests for labcore.config: limits on fields, text round trips, and RegressionConfig's rule."""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

import pytest

from labcore.config import Config, param
from labcore.experiments.regression.config import RegressionConfig


@dataclasses.dataclass(frozen=True)
class Toy(Config):
    n: int = param(20, label="Points", help="How many.", min=5, max=100)
    rate: float = param(0.1, label="Rate", help="A fraction.", min=0.0, max=1.0)
    low: float = param(1.0, label="Low", help="Only a lower limit.", min=0.5)
    high: int = param(3, label="High", help="Only an upper limit.", max=10)
    flag: bool = param(True, label="Flag", help="On or off.")
    kind: Literal["a", "b"] = param(
        "a", label="Kind", help="A choice.", choices={"a": "A", "b": "B"}
    )
    name: str = param("x", label="Name", help="Free text.")


def _raises(message: str):
    return pytest.raises(ValueError, match=re.escape(message))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n": 3}, "Points (n) must be between 5 and 100. Got 3."),
        ({"n": 101}, "Points (n) must be between 5 and 100. Got 101."),
        ({"rate": 1.5}, "Rate (rate) must be between 0 and 1. Got 1.5."),
        ({"low": 0.1}, "Low (low) must be at least 0.5. Got 0.1."),
        ({"high": 11}, "High (high) must be at most 10. Got 11."),
    ],
)
def test_out_of_range_values_raise(changes, message):
    with _raises(message):
        Toy(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n": 2.0}, "Points (n) must be a whole number. Got 2.0."),
        ({"n": True}, "Points (n) must be a whole number. Got True."),
        ({"n": "7"}, "Points (n) must be a whole number. Got '7'."),
        ({"rate": "0.5"}, "Rate (rate) must be a number. Got '0.5'."),
        ({"rate": False}, "Rate (rate) must be a number. Got False."),
        ({"flag": 1}, "Flag (flag) must be true or false. Got 1."),
        ({"kind": "c"}, "Kind (kind) must be one of 'a', 'b'. Got 'c'."),
    ],
)
def test_wrong_types_and_bad_choices_raise(changes, message):
    with _raises(message):
        Toy(**changes)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_raise(value):
    with _raises(f"Low (low) must be a finite number. Got {value}."):
        Toy(low=value)


def test_boundaries_are_allowed_and_an_int_is_a_valid_float():
    Toy(n=5, rate=0.0, low=0.5, high=10)
    Toy(n=100, rate=1)


def test_replace_validates_and_the_config_is_frozen():
    with _raises("Points (n) must be between 5 and 100. Got 1."):
        Toy().replace(n=1)
    assert Toy().replace(n=50).n == 50
    with pytest.raises(dataclasses.FrozenInstanceError):
        Toy().n = 50  # type: ignore[misc]


def test_strings_round_trip_for_every_field_type():
    config = Toy(n=42, rate=0.1 + 0.2, low=2.5e10, high=-3, flag=False, kind="b", name="a b=c")
    texts = config.to_strings()
    assert texts == {
        "n": "42",
        "rate": repr(0.1 + 0.2),
        "low": "25000000000.0",
        "high": "-3",
        "flag": "false",
        "kind": "b",
        "name": "a b=c",
    }
    assert Toy.from_strings(texts) == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "Points (n) must be a whole number. Got 'abc'."),
        ("2.5", "Points (n) must be a whole number. Got '2.5'."),
        ("nan", "Points (n) must be a whole number. Got 'nan'."),
        ("3", "Points (n) must be between 5 and 100. Got 3."),
    ],
)
def test_from_strings_rejects_bad_whole_numbers(text, message):
    with _raises(message):
        Toy.from_strings({"n": text})


def test_from_strings_reads_forms_a_url_may_carry():
    assert Toy.from_strings({"n": " 10 "}).n == 10
    assert Toy.from_strings({"n": "1e1"}).n == 10  # a whole number written as a float
    assert Toy.from_strings({"flag": "no"}).flag is False
    assert Toy.from_strings({"flag": "ON"}).flag is True
    with _raises("Flag (flag) must be true or false. Got 'maybe'."):
        Toy.from_strings({"flag": "maybe"})
    with _raises("Rate (rate) must be a number. Got 'half'."):
        Toy.from_strings({"rate": "half"})
    with _raises("Rate (rate) must be a finite number. Got nan."):
        Toy.from_strings({"rate": "nan"})
    with _raises("Kind (kind) must be one of 'a', 'b'. Got 'z'."):
        Toy.from_strings({"kind": "z"})


def test_from_strings_ignores_unknown_keys_and_keeps_the_base():
    base = Toy(n=30, name="kept")
    config = Toy.from_strings({"rate": "0.25", "unknown": "1"}, base=base)
    assert config == Toy(n=30, rate=0.25, name="kept")


def test_diff_strings_lists_only_changed_fields():
    assert Toy().diff_strings() == {}
    assert Toy(n=42, flag=False).diff_strings() == {"n": "42", "flag": "false"}
    assert Toy(n=20).diff_strings() == {}  # set, but equal to the default


def test_field_specs_follow_declaration_order():
    specs = Toy.field_specs()
    assert list(specs) == ["n", "rate", "low", "high", "flag", "kind", "name"]
    assert (specs["n"].label, specs["n"].min, specs["n"].max) == ("Points", 5, 100)
    assert specs["kind"].choices == {"a": "A", "b": "B"}


# --- RegressionConfig -------------------------------------------------------------------------


def test_regression_config_needs_a_gap_to_add_points_in_it():
    with pytest.raises(ValueError, match=r"needs a gap.*Got gap_width = 0\.0\."):
        RegressionConfig(add_where="gap", gap_width=0.0)
    config = RegressionConfig(add_where="gap", gap_width=2.0)
    assert config.gap == (-1.0, 1.0)
    assert RegressionConfig().gap is None


def test_regression_config_round_trips_through_strings():
    config = RegressionConfig(function="sine", noise_scale=0.7, n_points=135, loss="beta_nll",
                              early_stopping=False, add_where="everywhere", seed=17)
    assert RegressionConfig.from_strings(config.to_strings()) == config
    assert RegressionConfig.from_strings(config.diff_strings()) == config
