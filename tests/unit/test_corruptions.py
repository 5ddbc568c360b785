"""Tests for labcore.corruptions: identity at 0, growth with severity, range, determinism, and
hand-derived effects of each corruption."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from labcore.data.classification import load_digits_split
from labcore.data.corruptions import (
    CORRUPTIONS,
    MAX_SEVERITY,
    SEVERITY_LEVELS,
    corrupt,
    corrupt_all,
    describe,
)

RANDOM = ("gaussian_noise", "rotation", "translation", "pixel_dropout")
DETERMINISTIC = ("blur", "contrast")


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits_split(0).x_test[:100]


def _blob() -> np.ndarray:
    """One 8×8 image: a bright 2×2 square in the middle (rows and columns 3–4)."""
    image = np.zeros((8, 8), dtype=np.float32)
    image[3:5, 3:5] = 1.0
    return image.reshape(1, 64)


def _centroid(image: np.ndarray) -> np.ndarray:
    """(column, row) centre of mass of one flattened 8×8 image."""
    grid = image.reshape(8, 8)
    rows, cols = np.mgrid[0:8, 0:8]
    return np.array([(grid * cols).sum(), (grid * rows).sum()]) / grid.sum()


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_severity_zero_is_an_unchanged_copy(digits, name):
    before = digits.copy()
    out = corrupt(digits, name, 0, seed=3)
    assert np.array_equal(out, digits)
    out += 1.0
    assert np.array_equal(digits, before)  # a copy, not the caller's array


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_each_corruption_moves_images_further_as_severity_grows(digits, name):
    # Mean L2 distance to the clean image over 100 test digits, seed 0. Measured, e.g.
    # Gaussian noise 0, 0.64, 1.23, 1.78, 2.27, 2.88; blur 0, 0.28, 0.90, 1.34, 1.54, 1.78.
    distance = [np.linalg.norm(corrupt(digits, name, s, seed=0) - digits, axis=1).mean()
                for s in range(MAX_SEVERITY + 1)]
    assert np.all(np.diff(distance) > 0), distance


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_outputs_stay_in_the_unit_interval(digits, name):
    extremes = np.vstack([np.zeros((5, 64)), np.ones((5, 64)), digits])
    for severity in range(1, MAX_SEVERITY + 1):
        out = corrupt(extremes, name, severity, seed=1)
        assert out.dtype == np.float32 and out.shape == extremes.shape
        assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("name", RANDOM)
def test_random_corruptions_are_fixed_by_the_seed(digits, name):
    assert np.array_equal(corrupt(digits, name, 3, seed=7), corrupt(digits, name, 3, seed=7))
    assert not np.array_equal(corrupt(digits, name, 3, seed=7), corrupt(digits, name, 3, seed=8))


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_deterministic_corruptions_ignore_the_seed(digits, name):
    assert np.array_equal(corrupt(digits, name, 4, seed=1), corrupt(digits, name, 4, seed=2))


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_an_image_is_corrupted_the_same_way_whatever_the_batch(digits, name):
    # Row i's random draws do not depend on how many rows follow it.
    assert np.array_equal(corrupt(digits[:10], name, 2, seed=5),
                          corrupt(digits, name, 2, seed=5)[:10])


def test_corrupt_all_stacks_every_corruption_and_severity(digits):
    stacked = corrupt_all(digits[:4], seed=2)
    assert stacked.shape == (len(CORRUPTIONS), MAX_SEVERITY, 4, 64)
    assert np.array_equal(stacked[2, 3], corrupt(digits[:4], CORRUPTIONS[2], 4, seed=2))


def test_contrast_pulls_pixels_towards_the_image_mean_by_c():
    # Half black, half white: mean 0.5; severity 3 has c = 0.65, so 0.5 ∓ 0.65·0.5.
    image = np.r_[np.zeros(32), np.ones(32)][None]
    out = corrupt(image, "contrast", 3)
    assert SEVERITY_LEVELS["contrast"][2] == 0.65
    assert out[0, :32] == pytest.approx(np.full(32, 0.5 - 0.325))
    assert out[0, 32:] == pytest.approx(np.full(32, 0.5 + 0.325))


def test_pixel_dropout_drops_the_stated_share_and_nests_across_severities():
    ones = np.ones((200, 64))
    dropped = [corrupt(ones, "pixel_dropout", s, seed=0) == 0 for s in range(1, 6)]
    for s, mask in enumerate(dropped, start=1):
        p = SEVERITY_LEVELS["pixel_dropout"][s - 1]
        # 12,800 Bernoulli(p) pixels: 4 standard errors is at most 4·√(0.25/12800) = 0.018.
        assert mask.mean() == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / mask.size))
    for lower, higher in itertools.pairwise(dropped):
        assert np.all(higher[lower])  # a pixel dropped at severity s stays dropped above s


def test_gaussian_noise_has_the_stated_standard_deviation():
    grey = np.full((200, 64), 0.5)
    out = corrupt(grey, "gaussian_noise", 1, seed=0)  # σ = 0.1: clipping needs 5σ, rare
    # Relative standard error of a standard deviation from 12,800 draws: 1/√(2·12800) = 0.6 %.
    assert np.std(out - grey) == pytest.approx(0.1, rel=0.03)


def test_blur_spreads_one_pixel_into_the_outer_product_of_a_gaussian_kernel():
    image = np.zeros((8, 8), dtype=np.float32)
    image[3, 3] = 1.0
    sigma = SEVERITY_LEVELS["blur"][4]
    taps = np.exp(-np.arange(-3, 4) ** 2 / (2 * sigma**2))
    kernel = np.outer(taps, taps) / taps.sum() ** 2  # separable, normalised to sum 1
    out = corrupt(image.reshape(1, 64), "blur", 5).reshape(8, 8)
    assert out[0:7, 0:7] == pytest.approx(kernel, abs=1e-6)
    assert out.sum() == pytest.approx(1.0, abs=1e-5)  # nothing reaches the border


@pytest.mark.parametrize("severity", range(1, MAX_SEVERITY + 1))
def test_translation_moves_the_centre_of_mass_by_the_stated_pixels(severity):
    # Bilinear interpolation reproduces linear functions, so the first moment of a blob that
    # stays inside the image moves exactly by the shift: |Δ centre| = p pixels.
    blob = np.repeat(_blob(), 6, axis=0)
    out = corrupt(blob, "translation", severity, seed=4)
    p = SEVERITY_LEVELS["translation"][severity - 1]
    for row in out:
        assert row.sum() == pytest.approx(4.0, abs=1e-4)
        assert np.linalg.norm(_centroid(row) - _centroid(blob[0])) == pytest.approx(p, abs=1e-4)


def test_rotation_about_the_centre_keeps_a_centred_blob_centred():
    out = corrupt(np.repeat(_blob(), 4, axis=0), "rotation", 5, seed=0)
    for row in out:
        assert _centroid(row) == pytest.approx([3.5, 3.5], abs=1e-5)


def test_describe_names_each_level():
    assert describe("rotation", 2) == "±10°"
    assert describe("pixel_dropout", 5) == "60% of pixels dropped"
    assert describe("gaussian_noise", 0) == "clean"


def test_bad_arguments_are_rejected_with_a_message():
    x = np.zeros((2, 64))
    with pytest.raises(ValueError, match=r"Severity must be a whole number from 0 to 5\. Got 6\."):
        corrupt(x, "blur", 6)
    with pytest.raises(ValueError, match=r"Got 2\.5"):
        corrupt(x, "blur", 2.5)
    with pytest.raises(ValueError, match="Got True"):
        corrupt(x, "blur", True)
    with pytest.raises(ValueError, match=r"Corruption must be one of .* Got 'fog'"):
        corrupt(x, "fog", 1)
    with pytest.raises(ValueError, match=r"x must be an \(n, 64\) array .* Got shape \(2, 63\)"):
        corrupt(np.zeros((2, 63)), "blur", 1)
