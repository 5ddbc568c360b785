"""labcore.checks: the one check of input arrays, and the messages it gives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labcore.checks import float_array


def test_a_good_array_comes_back_as_floats():
    out = float_array([1, 2], "scores", ndim=1)
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]


def test_messages_name_the_argument_and_what_was_given():
    with pytest.raises(ValueError, match=r"^scores must be a 1-D array\. Got shape \(1, 2\)\.$"):
        float_array([[1.0, 2.0]], "scores", ndim=1)
    with pytest.raises(ValueError, match=r"^scores must not be empty\. Got shape \(0,\)\.$"):
        float_array([], "scores")
    with pytest.raises(ValueError, match=r"^scores must contain only finite numbers\. Got inf\.$"):
        float_array([1.0, math.inf], "scores")
    assert math.isnan(float_array([math.nan], "scores", check_finite=False)[0])


def test_a_layout_names_the_shape_for_both_shape_errors():
    rule = r"^logits must be a non-empty \(S, n, K\) array\. Got shape "
    with pytest.raises(ValueError, match=rule + r"\(2, 3\)\.$"):
        float_array(np.zeros((2, 3)), "logits", ndim=3, layout="(S, n, K)")
    with pytest.raises(ValueError, match=rule + r"\(2, 0, 3\)\.$"):
        float_array(np.zeros((2, 0, 3)), "logits", ndim=3, layout="(S, n, K)")
