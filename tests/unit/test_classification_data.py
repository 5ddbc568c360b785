"""The shared classification data: splits, label noise (exact counts, pairs only), TTA views."""

from __future__ import annotations

import numpy as np
import pytest

from labcore.data.classification import (
    DIGIT_PAIRS,
    add_label_noise,
    augment_views,
    load_digits_split,
    make_toy,
    noise_pairs,
)
from labcore.data.splits import shuffled_split, stratified_split
from labcore.device import rng_for


@pytest.fixture(scope="module")
def digits():
    return load_digits_split(seed=0)


def test_digits_split_sizes_and_clean_labels(digits):
    # 1,797 images: per class round(0.3 n_c) test, round(0.2 n_c) validation, the rest train.
    assert (len(digits.y_train), len(digits.y_val), len(digits.y_test)) == (899, 359, 539)
    assert digits.x_train.shape == (899, 64) and digits.image_shape == (8, 8)
    assert digits.x_train.min() >= 0.0 and digits.x_train.max() <= 1.0
    assert sorted(np.unique(digits.y_test).tolist()) == list(range(10))


@pytest.mark.parametrize("first", ["test", "val"])
def test_stratified_split_cuts_every_class_alike(first):
    # 5 rows of class 0 and 10 of class 1, 20 % each to validation and test:
    # round(0.2·5) = 1 and round(0.2·10) = 2 rows of each class go to each held-out split.
    y = np.array([0] * 5 + [1] * 10)
    train, val, test = stratified_split(y, rng_for(0, "split"), 0.2, 0.2, first=first)
    assert [np.bincount(y[part]).tolist() for part in (train, val, test)] == [
        [3, 6], [1, 2], [1, 2]]
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(15))


def test_shuffled_split_sizes_and_minimum():
    # 10 rows: round(0.2·10) = 2 each, raised to the minimum 3; the other 4 train.
    train, val, test = shuffled_split(10, rng_for(0, "split"), 0.2, 0.2, min_size=3)
    assert (len(train), len(val), len(test)) == (4, 3, 3)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(10))


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.4, 0.5])
def test_symmetric_noise_flips_exactly_the_rate_of_every_class(digits, rate):
    noisy, flipped = add_label_noise(digits.y_train, rate, "symmetric", 10, seed=3)
    assert np.array_equal(flipped, noisy != digits.y_train)
    for c in range(10):
        n_c = int(np.sum(digits.y_train == c))
        assert int(flipped[digits.y_train == c].sum()) == round(rate * n_c)
    assert np.all((noisy >= 0) & (noisy < 10))


def test_asymmetric_noise_swaps_only_within_the_pairs(digits):
    noisy, flipped = add_label_noise(digits.y_train, 0.4, "asymmetric", 10, seed=3)
    partner = {a: b for a, b in DIGIT_PAIRS} | {b: a for a, b in DIGIT_PAIRS}
    clean = digits.y_train
    assert all(noisy[i] == partner[clean[i]] for i in np.flatnonzero(flipped))
    for c in range(10):
        n_c = int(np.sum(clean == c))
        expected = round(0.4 * n_c) if c in partner else 0  # 0 and 2 have no look-alike
        assert int(flipped[clean == c].sum()) == expected
    # Both directions: some 1 → 7 and some 7 → 1.
    assert np.any((clean == 1) & (noisy == 7)) and np.any((clean == 7) & (noisy == 1))


def test_toys_swap_classes_zero_and_one():
    blobs = make_toy("blobs", n=300, seed=0)
    assert noise_pairs(blobs) == ((0, 1),)
    noisy, flipped = add_label_noise(blobs.y_train, 0.5, "asymmetric", 3, 0, noise_pairs(blobs))
    assert not flipped[blobs.y_train == 2].any()
    assert set(noisy[flipped & (blobs.y_train == 0)].tolist()) == {1}


def test_noise_is_deterministic_and_leaves_its_input_alone(digits):
    before = digits.y_train.copy()
    a = add_label_noise(digits.y_train, 0.3, "symmetric", 10, seed=5)
    b = add_label_noise(digits.y_train, 0.3, "symmetric", 10, seed=5)
    c = add_label_noise(digits.y_train, 0.3, "symmetric", 10, seed=6)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[1], c[1])
    assert np.array_equal(digits.y_train, before)


def test_validation_and_test_labels_are_never_noised():
    # The lab's pipeline flips training labels only; the clean split is the same before and
    # after a run with 50 % noise.
    from labcore.experiments.classification.config import ClassificationConfig
    from labcore.experiments.classification.run import run_classification

    config = ClassificationConfig(dataset="moons", label_noise=0.5, steps=50, n_views=2,
                                  train_copies=0)
    data = make_toy("moons", n=config.n_points, noise=config.toy_noise, seed=config.seed)
    result = run_classification(config)
    assert np.array_equal(result.y_test, data.y_test)
    assert np.array_equal(result.y_train, data.y_train)
    assert int(result.flipped.sum()) == 2 * round(0.5 * np.sum(data.y_train == 0))


def test_noise_settings_are_checked():
    with pytest.raises(ValueError, match=r"Noise rate must be between 0 and 0\.5\. Got 0\.6\."):
        add_label_noise(np.zeros(10, dtype=int), 0.6, "symmetric", 2, 0)
    with pytest.raises(ValueError, match=r"Noise kind must be 'symmetric' or 'asymmetric'"):
        add_label_noise(np.zeros(10, dtype=int), 0.1, "pairs", 2, 0)


def test_digit_views_start_with_the_input_and_stay_in_range(digits):
    x = digits.x_test[:50]
    views = augment_views(x, 6, seed=1, image_shape=(8, 8))
    assert views.shape == (6, 50, 64) and views.dtype == np.float32
    assert np.array_equal(views[0], x)
    assert views.min() >= 0.0 and views.max() <= 1.0
    assert not np.allclose(views[1], x)
    assert np.array_equal(views, augment_views(x, 6, seed=1, image_shape=(8, 8)))
    assert not np.array_equal(views, augment_views(x, 6, seed=2, image_shape=(8, 8)))


def test_zero_strength_views_are_copies_of_the_input(digits):
    x = digits.x_test[:20]
    views = augment_views(x, 4, seed=1, image_shape=(8, 8), strength=0.0)
    # The identity warp samples every pixel at its centre: the image comes back unchanged.
    np.testing.assert_allclose(views, np.broadcast_to(x, views.shape), atol=1e-6)


def test_point_views_are_jittered_with_sigma_one_tenth_of_strength():
    x = make_toy("moons", n=600, seed=0).x_train  # 360 points
    views = augment_views(x, 11, seed=0, image_shape=None, strength=2.0)
    jitter = views[1:] - x[None]
    # 10 · 360 · 2 = 7,200 draws of N(0, 0.2²): the sample std is within 2 % of 0.2
    # (its standard error is 0.2/√14400 ≈ 0.0017). Measured 0.2001.
    assert jitter.std() == pytest.approx(0.2, rel=0.02)
    assert np.array_equal(views[0], x)


def test_a_single_view_is_the_input():
    x = np.random.default_rng(0).random((5, 2)).astype(np.float32)
    assert np.array_equal(augment_views(x, 1, 0, None)[0], x)
    with pytest.raises(ValueError, match=r"Number of views must be at least 1\. Got 0\."):
        augment_views(x, 0, 0, None)
