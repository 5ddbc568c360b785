"""Property tests over every experiment config (hypothesis).

For every page's config: any mix of values, in range or not, of the right type or not, either
builds a config or raises ``ValueError`` whose message ends in "Got …" — never another
exception; URL text goes through the same rules; and valid configs (with the training length
held at its minimum, so the property can be checked many times) run to finite results.
"""

from __future__ import annotations

import dataclasses
import math
import typing

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labcore.config import Config
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.calibration.run import run_calibration
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import run_classification
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import run_mle
from labcore.experiments.ood.config import OODLabConfig
from labcore.experiments.ood.run import run_shift
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression

CONFIGS = [RegressionConfig, ClassificationConfig, CalibrationConfig, OODLabConfig, MLEConfig]


def _valid(cls: type[Config], name: str) -> st.SearchStrategy:
    spec, tp = cls.field_specs()[name], cls.field_type(name)
    if typing.get_origin(tp) is typing.Literal:
        return st.sampled_from(typing.get_args(tp))
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(int(spec.min), int(spec.max))
    return st.floats(spec.min, spec.max, allow_nan=False)


def _anything(cls: type[Config], name: str) -> st.SearchStrategy:
    """Valid values, out-of-range numbers, wrong types, NaN and infinities."""
    return st.one_of(
        _valid(cls, name),
        st.integers(-10**9, 10**9),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
        st.booleans(),
        st.none(),
    )


def _values(cls: type[Config], strategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({f.name: strategy(cls, f.name) for f in dataclasses.fields(cls)})


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_values_build_a_config_or_raise_a_value_error_that_says_got(cls, data):
    values = data.draw(_values(cls, _anything))
    try:
        config = cls(**values)
    except ValueError as error:
        assert "Got" in str(error)
    else:
        assert config == cls(**config.to_dict())  # and it is a valid, reproducible key


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_url_text_goes_through_the_same_rules(cls, data):
    names = [f.name for f in dataclasses.fields(cls)]
    text = data.draw(st.dictionaries(st.sampled_from(names),
                                     st.one_of(st.text(max_size=10),
                                               st.integers(-10**6, 10**6).map(str),
                                               st.floats().map(repr)),
                                     max_size=4))
    try:
        config = cls.from_strings(text)
    except ValueError as error:
        assert "Got" in str(error)
    else:
        assert cls.from_strings(config.to_strings()) == config  # round trip


def _finite_arrays(result) -> list[str]:
    """Names of float arrays in a result that hold NaN or ±inf, except documented gaps."""
    bad = []
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if (isinstance(value, np.ndarray) and value.dtype.kind == "f"
                and not np.all(np.isfinite(value))):
            bad.append(field.name)
    return bad


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_regression_configs_run_to_finite_results(data):
    values = data.draw(_values(RegressionConfig, _valid))
    values.update(steps=100, n_points=min(values["n_points"], 200), add_n=min(values["add_n"], 50),
                  hidden=min(values["hidden"], 64), mc_samples=min(values["mc_samples"], 20))
    if values["add_where"] == "gap" and values["gap_width"] == 0:
        values["gap_width"] = 1.0
    try:
        result = run_regression(RegressionConfig(**values))
    except ValueError as error:  # e.g. a learning rate that makes training diverge
        assert "Got" in str(error)
        return
    # The conformal band is NaN (not drawn) when too few validation points exist for 95 %.
    assert set(_finite_arrays(result)) <= {"conformal_lower", "conformal_upper"}
    assert all(math.isfinite(v) or k == "conformal_width_95" for k, v in result.metrics.items())


@pytest.mark.parametrize(
    ("cls", "run", "cheap"),
    [
        (ClassificationConfig, run_classification,
         dict(steps=50, hidden=32, members=2, mc_samples=5, n_views=2, train_copies=0,
              n_points=200)),
        (CalibrationConfig, run_calibration, dict(steps=50, hidden=32, n_points=300)),
        (MLEConfig, lambda c, progress=None: run_mle(c), {}),
    ],
    ids=["classification", "calibration", "mle"],
)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_configs_of_the_other_pages_run_without_surprises(cls, run, cheap, data):
    values = data.draw(_values(cls, _valid))
    values.update({k: v for k, v in cheap.items() if k in values})
    try:
        result = run(cls(**values))
    except ValueError as error:
        assert "Got" in str(error)
        return
    assert result is not None


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_shift_configs_run(data):
    values = data.draw(_values(OODLabConfig, _valid))
    values.update(steps=100, hidden=32, members=2, mc_samples=5, views=2)
    try:
        config = OODLabConfig(**values).shift_config()
        result = run_shift(config)
    except ValueError as error:  # e.g. every method switched off
        assert "Got" in str(error)
        return
    assert result is not None
