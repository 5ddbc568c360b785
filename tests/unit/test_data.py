"""Tests for labcore.data: seeded 1-D regression draws whose truth is known."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from labcore.data.regression import make_regression, sample_x, true_mean, true_std
from labcore.device import rng_for


def test_same_seed_and_stream_give_the_same_draw():
    a = make_regression("sine", "growing", 1.0, 50, seed=3, stream="train", x_noise=0.2)
    b = make_regression("sine", "growing", 1.0, 50, seed=3, stream="train", x_noise=0.2)
    for field in ("x", "y", "x_clean"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_streams_and_seeds_are_independent_draws():
    base = make_regression("sine", "constant", 1.0, 50, seed=3, stream="train")
    other_stream = make_regression("sine", "constant", 1.0, 50, seed=3, stream="val")
    other_seed = make_regression("sine", "constant", 1.0, 50, seed=4, stream="train")
    assert not np.any(np.isin(base.x, other_stream.x))
    assert not np.any(np.isin(base.x, other_seed.x))


def test_inputs_are_sorted_uniform_on_minus_four_to_four():
    n = 20_000
    data = make_regression("linear", "constant", 1.0, n, seed=0, stream="train")
    assert np.all(np.diff(data.x) >= 0)
    assert data.x.min() >= -4.0 and data.x.max() <= 4.0
    # U(−4, 4) has mean 0 and std 8/√12; 4 standard errors of the mean: 4·(8/√12)/√n ≈ 0.065.
    assert abs(data.x.mean()) < 4 * (8 / math.sqrt(12)) / math.sqrt(n)
    np.testing.assert_array_equal(data.x, data.x_clean)


def test_no_training_input_inside_the_gap_and_both_sides_filled():
    n = 5000
    data = make_regression("sine", "constant", 1.0, n, seed=1, stream="train", gap=(-1.25, 1.25))
    assert not np.any((data.x > -1.25) & (data.x < 1.25))
    assert data.x.min() >= -4.0 and data.x.max() <= 4.0
    # Both sides are 2.75 long, so each gets half the points: Binomial(n, ½)/n has standard
    # error √(¼/n) ≈ 0.0071; allow 4 of them.
    assert abs(np.mean(data.x < 0) - 0.5) < 4 * math.sqrt(0.25 / n)


def test_a_region_restricts_the_inputs():
    data = make_regression("sine", "constant", 1.0, 500, seed=2, stream="added", region=(-1, 1))
    assert data.x.min() >= -1.0 and data.x.max() <= 1.0


def test_a_gap_that_leaves_no_room_raises():
    with pytest.raises(ValueError, match=r"The gap must leave room for data inside .* Got gap"):
        sample_x(10, rng_for(0, "x"), gap=(-2.0, 2.0), region=(-1.0, 1.0))


def test_label_noise_has_the_stated_standard_deviation():
    # sine has σ0 = 0.3; noise_scale 1 and a constant shape give σ = 0.3 everywhere.
    # The sample std of n normal draws has standard error σ/√(2(n−1)) ≈ 0.3/632 ≈ 0.00047;
    # 4 standard errors ≈ 0.0019 (0.6 % of σ).
    n = 200_000
    data = make_regression("sine", "constant", 1.0, n, seed=0, stream="train")
    residual = data.y - 2.0 * np.sin(1.5 * data.x)
    assert abs(residual.std() - 0.3) < 4 * 0.3 / math.sqrt(2 * (n - 1))
    assert abs(residual.mean()) < 4 * 0.3 / math.sqrt(n)


def test_heteroscedastic_noise_divided_by_true_std_is_standard_normal():
    n = 200_000
    data = make_regression("cubic", "growing", 2.0, n, seed=5, stream="train")
    z = (data.y - data.x**3) / true_std("cubic", "growing", 2.0, data.x)
    assert abs(z.std() - 1.0) < 4 / math.sqrt(2 * (n - 1))  # same standard error as above, σ = 1


def test_input_noise_shifts_x_but_not_the_clean_relation():
    n = 200_000
    data = make_regression("linear", "constant", 1.0, n, seed=0, stream="train", x_noise=0.4)
    shift = data.x - data.x_clean
    assert abs(shift.std() - 0.4) < 4 * 0.4 / math.sqrt(2 * (n - 1))
    # y comes from the clean x: linear has σ0 = 0.5.
    residual = data.y - (0.8 * data.x_clean + 1.0)
    assert abs(residual.std() - 0.5) < 4 * 0.5 / math.sqrt(2 * (n - 1))


def test_true_functions_by_hand():
    np.testing.assert_allclose(true_mean("cubic", [2.0, -1.0]), [8.0, -1.0])
    np.testing.assert_allclose(true_mean("sine", [math.pi / 3]), [2.0])  # 2·sin(π/2)
    np.testing.assert_allclose(true_mean("linear", [1.0]), [1.8])
    np.testing.assert_allclose(true_mean("step", [-1.0, 1.0]), [-1.5, 1.5])


def test_growing_noise_matches_its_formula_at_zero_and_four():
    # σ(x) = scale · σ0 · (0.25 + 0.375|x|); cubic has σ0 = 3, so with scale 2:
    # x = 0 → 2·3·0.25 = 1.5; |x| = 4 → 2·3·(0.25 + 1.5) = 10.5.
    growing = true_std("cubic", "growing", 2.0, [0.0, 4.0, -4.0])
    np.testing.assert_allclose(growing, [1.5, 10.5, 10.5])
    np.testing.assert_allclose(true_std("sine", "constant", 0.5, [-3.0, 3.0]), [0.15, 0.15])
    # bump: σ0·(0.3 + 1.7·e^0) = 0.3·2.0 at its centre x = 1.5
    np.testing.assert_allclose(true_std("sine", "bump", 1.0, [1.5]), [0.6])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"function": "quartic"},
            "function must be one of ['cubic', 'linear', 'sine', 'step']. Got 'quartic'.",
        ),
        (
            {"noise_shape": "wavy"},
            "noise_shape must be one of ['bump', 'constant', 'growing']. Got 'wavy'.",
        ),
        ({"n": 0}, "n must be at least 1. Got 0."),
    ],
)
def test_invalid_arguments_raise(kwargs, message):
    args = {
        "function": "sine",
        "noise_shape": "constant",
        "noise_scale": 1.0,
        "n": 10,
        "seed": 0,
        "stream": "train",
    } | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        make_regression(**args)
