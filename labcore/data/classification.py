"""Classification data: 2-D toys, scikit-learn's bundled 8×8 digits, label noise, TTA views.

Everything is generated or shipped with scikit-learn; nothing is downloaded. Splits are
stratified and seeded; label noise touches only the training labels and records exactly which
samples it flipped, so a page can show them.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from labcore.data.splits import stratified_split
from labcore.device import rng_for, stream_seed

ToyName = Literal["moons", "circles", "blobs", "spirals"]
DatasetName = Literal["digits", "moons", "circles", "blobs", "spirals"]
NoiseKind = Literal["symmetric", "asymmetric"]

DIGIT_PAIRS: tuple[tuple[int, int], ...] = ((1, 7), (3, 8), (4, 9), (5, 6))
"""Look-alike digits swapped by asymmetric noise (the lecture's airplane↔bird, cat↔dog)."""
IMAGE_SHAPE = (8, 8)


@dataclasses.dataclass(frozen=True)
class ClassificationData:
    """A train / validation / test split with clean labels everywhere.

    Attributes:
        x_train, x_val, x_test: (n, d) float32 features (digits: 64 pixels in [0, 1]).
        y_train, y_val, y_test: (n,) int labels.
        n_classes: K.
        image_shape: (8, 8) for digits, None for 2-D points.
        name: the dataset's name.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    image_shape: tuple[int, int] | None
    name: str


@functools.lru_cache(maxsize=1)
def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 bundled 8×8 digits as (n, 8, 8) float32 in [0, 1] and (n,) int labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    images.setflags(write=False)
    labels = bunch.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def _split(
    x: np.ndarray, y: np.ndarray, seed: int, val_fraction: float, test_fraction: float
) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_val, y_val, x_test, y_test)`` of a seeded stratified split."""
    parts = stratified_split(y, rng_for(seed, "split"), val_fraction, test_fraction)
    return tuple(a[idx] for idx in parts for a in (x, y))


def load_digits_split(
    seed: int = 0,
    classes: tuple[int, ...] | None = None,
    val_fraction: float = 0.2,
    test_fraction: float = 0.3,
) -> ClassificationData:
    """Digits split into train / validation / clean test, optionally keeping some classes.

    Args:
        seed: seeds the split.
        classes: keep only these digits, relabelled 0..len−1 in the order given (e.g. (0, 1, 2,
            3, 4) for an in-distribution subset); None keeps all ten.
        val_fraction, test_fraction: shares of each class.
    """
    images, labels = load_digits_arrays()
    x = images.reshape(len(images), -1)
    y = labels
    if classes is not None:
        if len(set(classes)) < 2 or any(not 0 <= c <= 9 for c in classes):
            raise ValueError(f"classes must be at least two distinct digits 0–9. Got {classes}.")
        keep = np.isin(y, classes)
        remap = {c: i for i, c in enumerate(classes)}
        x, y = x[keep], np.array([remap[c] for c in y[keep]], dtype=np.int64)
    parts = _split(x, y, seed, val_fraction, test_fraction)
    n_classes = 10 if classes is None else len(classes)
    return ClassificationData(*parts, n_classes=n_classes, image_shape=IMAGE_SHAPE, name="digits")


def make_toy(name: ToyName, n: int = 600, noise: float = 0.2, seed: int = 0) -> ClassificationData:
    """A 2-D toy problem split 60 / 20 / 20, features standardised to about unit scale.

    Args:
        name: "moons", "circles" (two classes), "blobs" (three), "spirals" (three arms).
        n: total points before the split.
        noise: how much the classes overlap (standard deviation of the added jitter).
        seed: seeds the points and the split.
    """
    from sklearn import datasets

    if n < 30:
        raise ValueError(f"n must be at least 30. Got {n}.")
    if not 0 <= noise <= 2:
        raise ValueError(f"noise must be between 0 and 2. Got {noise}.")
    rs = stream_seed(seed, f"toy-{name}")
    if name == "moons":
        x, y = datasets.make_moons(n, noise=noise, random_state=rs)
    elif name == "circles":
        x, y = datasets.make_circles(n, noise=noise / 2, factor=0.5, random_state=rs)
    elif name == "blobs":
        centers = [(-2.0, -1.0), (2.0, -1.0), (0.0, 2.2)]
        x, y = datasets.make_blobs(n, centers=centers, cluster_std=0.6 + 2 * noise,
                                   random_state=rs)
    elif name == "spirals":
        x, y = _spirals(n, noise, rng_for(seed, "spirals"))
    else:
        raise ValueError(f"name must be moons, circles, blobs or spirals. Got {name!r}.")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    parts = _split(x.astype(np.float32), y.astype(np.int64), seed, 0.2, 0.2)
    return ClassificationData(*parts, n_classes=int(y.max()) + 1, image_shape=None, name=name)


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    arms = 3
    y = np.arange(n) % arms
    t = rng.uniform(0.15, 1.0, n)
    angle = 3.5 * math.pi * t + y * 2 * math.pi / arms
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return x + noise * 0.25 * rng.standard_normal(x.shape), y


def load_dataset(name: DatasetName, seed: int = 0, n: int = 600, noise: float = 0.2
                 ) -> ClassificationData:
    """Digits or a toy by name (``n`` and ``noise`` apply to toys only)."""
    if name == "digits":
        return load_digits_split(seed)
    return make_toy(name, n=n, noise=noise, seed=seed)


def noise_pairs(data: ClassificationData) -> tuple[tuple[int, int], ...]:
    """The class pairs asymmetric noise swaps: look-alike digits, or (0, 1) for toys."""
    if data.name == "digits" and data.n_classes == 10:
        return DIGIT_PAIRS
    return ((0, 1),)


def add_label_noise(
    labels: np.ndarray,
    rate: float,
    kind: NoiseKind,
    n_classes: int,
    seed: int,
    pairs: tuple[tuple[int, int], ...] = DIGIT_PAIRS,
) -> tuple[np.ndarray, np.ndarray]:
    """Flip exactly round(rate · n_c) labels of each affected class c.

    Symmetric noise moves a flipped label to one of the other K − 1 classes uniformly at random;
    asymmetric noise swaps the classes of each pair both ways (1 → 7 and 7 → 1) and leaves
    classes outside the pairs untouched.

    Args:
        labels: (n,) clean training labels.
        rate: share of each affected class to flip, in [0, 0.5].
        kind: "symmetric" or "asymmetric".
        n_classes: K.
        seed: seeds which samples flip.
        pairs: the swapped pairs for asymmetric noise.

    Returns:
        ``(noisy_labels, flipped)`` with ``flipped`` a boolean mask of the changed samples.
    """
    if not 0.0 <= rate <= 0.5:
        raise ValueError(f"Noise rate must be between 0 and 0.5. Got {rate}.")
    if kind not in ("symmetric", "asymmetric"):
        raise ValueError(f"Noise kind must be 'symmetric' or 'asymmetric'. Got {kind!r}.")
    labels = np.asarray(labels, dtype=np.int64)
    rng = rng_for(seed, f"label-noise-{kind}")
    noisy = labels.copy()
    partner = {a: b for a, b in pairs} | {b: a for a, b in pairs}
    affected = range(n_classes) if kind == "symmetric" else sorted(partner)
    for c in affected:
        idx = np.flatnonzero(labels == c)
        chosen = rng.choice(idx, size=round(rate * idx.size), replace=False)
        if kind == "asymmetric":
            noisy[chosen] = partner[c]
        else:
            shift = rng.integers(1, n_classes, size=chosen.size)
            noisy[chosen] = (c + shift) % n_classes
    return noisy, noisy != labels


def augment_views(
    x: np.ndarray,
    n_views: int,
    seed: int,
    image_shape: tuple[int, int] | None,
    strength: float = 1.0,
) -> np.ndarray:
    """V test-time views of each input; view 0 is the input itself.

    Digits: a random shift (up to ±1 pixel), rotation (up to ±12°) and pixel noise (σ = 0.05),
    all scaled by ``strength``, clipped to [0, 1]. 2-D points: Gaussian jitter of σ = 0.1 ×
    ``strength``.

    Args:
        x: (n, d) inputs.
        n_views: V ≥ 1.
        seed: seeds the augmentations.
        image_shape: (8, 8) for digits, None for points.
        strength: scales every augmentation (0 gives V copies of the input).

    Returns:
        (V, n, d) float32 views.
    """
    if n_views < 1:
        raise ValueError(f"Number of views must be at least 1. Got {n_views}.")
    gen = torch.Generator().manual_seed(stream_seed(seed, "tta"))
    base = torch.as_tensor(x, dtype=torch.float32)
    extra = n_views - 1
    if extra == 0:
        return base[None].numpy()
    n = base.shape[0]
    if image_shape is None:
        jitter = 0.1 * strength * torch.randn(extra, n, base.shape[1], generator=gen)
        views = base[None] + jitter
    else:
        h, w = image_shape
        images = base.reshape(1, n, 1, h, w).expand(extra, -1, -1, -1, -1).reshape(-1, 1, h, w)
        m = images.shape[0]
        angle = (torch.rand(m, generator=gen) * 2 - 1) * math.radians(12) * strength
        shift = (torch.rand(m, 2, generator=gen) * 2 - 1) * (2.0 / w) * strength
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                             torch.stack([sin, cos, shift[:, 1]], 1)], 1)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        moved = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                              align_corners=False)
        moved = moved + 0.05 * strength * torch.randn(moved.shape, generator=gen)
        views = moved.clamp(0, 1).reshape(extra, n, h * w)
    return torch.cat([base[None], views], dim=0).numpy()
