"""Digits-C: six seeded corruptions of the 8×8 digits at severities 0–5.

The digits counterpart of ImageNet-C (Hendrycks & Dietterich 2019), used for the shift sweep of
Ovadia et al. 2019: the same test images, corrupted more and more, fed to models trained on
clean images. Severity 0 is the image itself; severities 1–5 use the parameters in
:data:`SEVERITY_LEVELS`.

Each corruption draws its random numbers once per seed and image — the noise pattern, the
dropped pixels, the direction of a shift, the sign of a rotation — and only scales them with
the severity. So a higher severity is the same change made bigger, the result is deterministic
given the seed, and row i of a batch does not depend on the other rows.

Example (contrast is deterministic: x' = m + c·(x − m) with m the image's mean):
    >>> image = np.r_[np.zeros(32), np.ones(32)][None]      # half black, half white, m = 0.5
    >>> corrupt(image, "contrast", 5)[0, [0, -1]].round(3)  # c = 0.45 → 0.5 ∓ 0.225
    array([0.275, 0.725], dtype=float32)

References:
    Hendrycks & Dietterich, "Benchmarking Neural Network Robustness to Common Corruptions and
    Perturbations", ICLR 2019.
    Ovadia et al., "Can You Trust Your Model's Uncertainty? Evaluating Predictive Uncertainty
    Under Dataset Shift", NeurIPS 2019.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from labcore.device import rng_for

CorruptionName = Literal[
    "gaussian_noise", "blur", "rotation", "translation", "contrast", "pixel_dropout"
]
CORRUPTIONS: tuple[CorruptionName, ...] = (
    "gaussian_noise", "blur", "rotation", "translation", "contrast", "pixel_dropout",
)
MAX_SEVERITY = 5

CORRUPTION_LABELS: dict[str, str] = {
    "gaussian_noise": "Gaussian noise",
    "blur": "Blur",
    "rotation": "Rotation",
    "translation": "Translation",
    "contrast": "Contrast reduction",
    "pixel_dropout": "Pixel dropout",
}

SEVERITY_LEVELS: dict[str, tuple[float, ...]] = {
    "gaussian_noise": (0.1, 0.2, 0.3, 0.4, 0.55),  # σ of the added noise (pixels in [0, 1])
    "blur": (0.4, 0.55, 0.7, 0.8, 0.95),  # σ of the Gaussian kernel, in pixels
    "rotation": (5.0, 10.0, 15.0, 20.0, 27.0),  # degrees, clockwise or anticlockwise
    "translation": (0.25, 0.5, 0.75, 1.0, 1.25),  # pixels, in a random direction
    "contrast": (0.85, 0.75, 0.65, 0.55, 0.45),  # c: distances from the image's mean are × c
    "pixel_dropout": (0.1, 0.2, 0.3, 0.45, 0.6),  # share of pixels set to black
}
"""The parameter of each corruption at severities 1, 2, 3, 4, 5."""

_UNITS = {
    "gaussian_noise": "noise σ = {:g}",
    "blur": "kernel σ = {:g} px",
    "rotation": "±{:g}°",
    "translation": "{:g} px",
    "contrast": "contrast × {:g}",
    "pixel_dropout": "{:.0%} of pixels dropped",
}
_BLUR_RADIUS = 3  # kernel taps −3…3: covers ±3.2σ at the largest σ = 0.95


def describe(name: CorruptionName, severity: int) -> str:
    """What a corruption does at a severity, e.g. ``describe("rotation", 2) == "±20°"``."""
    _check(name, severity)
    if severity == 0:
        return "clean"
    return _UNITS[name].format(SEVERITY_LEVELS[name][severity - 1])


def _check(name: str, severity: int) -> None:
    if name not in SEVERITY_LEVELS:
        options = ", ".join(CORRUPTIONS)
        raise ValueError(f"Corruption must be one of {options}. Got {name!r}.")
    whole = isinstance(severity, int | np.integer) and not isinstance(severity, bool)
    if not whole or not 0 <= severity <= MAX_SEVERITY:
        raise ValueError(
            f"Severity must be a whole number from 0 to {MAX_SEVERITY}. Got {severity!r}."
        )


def corrupt(
    x: np.ndarray,
    name: CorruptionName,
    severity: int,
    seed: int = 0,
    image_shape: tuple[int, int] = (8, 8),
) -> np.ndarray:
    """Corrupt flattened images; severity 0 returns an unchanged copy.

    With p the corruption's parameter at this severity (:data:`SEVERITY_LEVELS`) and per-image
    random draws made once per seed:

    - ``gaussian_noise``: x' = clip(x + p·z), z ~ N(0, 1) per pixel;
    - ``blur``: convolution with a normalised Gaussian kernel of σ = p pixels (zero padding);
    - ``rotation``: by ±p degrees about the centre (sign drawn per image), bilinear;
    - ``translation``: by p pixels in a direction drawn per image, bilinear, zeros shifted in;
    - ``contrast``: x' = m + p·(x − m), m the image's mean intensity;
    - ``pixel_dropout``: pixels whose draw u ~ U(0, 1) is below p become 0 (so the dropped
      pixels at one severity are also dropped at every higher one).

    Args:
        x: (n, h·w) images with pixels in [0, 1].
        name: one of :data:`CORRUPTIONS`.
        severity: 0 (clean) to 5.
        seed: seeds the random draws.
        image_shape: (h, w).

    Returns:
        (n, h·w) float32 images in [0, 1].

    Raises:
        ValueError: an unknown corruption, a severity outside 0–5, or x of the wrong shape.
    """
    _check(name, severity)
    h, w = image_shape
    images = np.asarray(x, dtype=np.float32)
    if images.ndim != 2 or images.shape[1] != h * w:
        raise ValueError(
            f"x must be an (n, {h * w}) array of flattened images. Got shape {images.shape}."
        )
    if severity == 0:
        return images.copy()
    p = SEVERITY_LEVELS[name][severity - 1]
    n = images.shape[0]
    rng = rng_for(seed, f"corruption-{name}")
    if name == "gaussian_noise":
        out = images + p * rng.standard_normal(images.shape).astype(np.float32)
    elif name == "pixel_dropout":
        out = np.where(rng.random(images.shape) < p, 0.0, images)
    elif name == "contrast":
        mean = images.mean(axis=1, keepdims=True)
        out = mean + p * (images - mean)
    elif name == "blur":
        out = _blur(images.reshape(n, 1, h, w), p).reshape(n, h * w)
    elif name == "rotation":
        angle = np.where(rng.random(n) < 0.5, -1.0, 1.0) * math.radians(p)
        out = _affine(images, image_shape, angle, np.zeros((n, 2)))
    else:  # translation
        direction = rng.uniform(0.0, 2 * math.pi, n)
        pixels = p * np.stack([np.cos(direction), np.sin(direction)], axis=1)
        out = _affine(images, image_shape, np.zeros(n), pixels)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of (n, 1, h, w) images, kernel taps −3…3, zero padding."""
    taps = torch.arange(-_BLUR_RADIUS, _BLUR_RADIUS + 1, dtype=torch.float32)
    kernel = torch.exp(-(taps**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    t = torch.as_tensor(images)
    t = F.conv2d(t, kernel.view(1, 1, 1, -1), padding=(0, _BLUR_RADIUS))
    t = F.conv2d(t, kernel.view(1, 1, -1, 1), padding=(_BLUR_RADIUS, 0))
    return t.numpy()


def _affine(
    images: np.ndarray, image_shape: tuple[int, int], angle: np.ndarray, shift_px: np.ndarray
) -> np.ndarray:
    """Rotate each image by ``angle`` (radians) and shift it by ``shift_px`` (x, y) pixels.

    ``grid_sample`` reads output pixel (u, v) from input position R(u, v) − shift in normalised
    coordinates (−1…1 across the image, so one pixel is 2/w), bilinear, zeros outside.
    """
    h, w = image_shape
    n = images.shape[0]
    a = torch.as_tensor(angle, dtype=torch.float32)
    cos, sin = torch.cos(a), torch.sin(a)
    tx = -torch.as_tensor(shift_px[:, 0], dtype=torch.float32) * 2.0 / w
    ty = -torch.as_tensor(shift_px[:, 1], dtype=torch.float32) * 2.0 / h
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    t = torch.as_tensor(images).reshape(n, 1, h, w)
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)
    moved = F.grid_sample(t, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return moved.reshape(n, h * w).numpy()


def corrupt_all(
    x: np.ndarray, seed: int = 0, image_shape: tuple[int, int] = (8, 8)
) -> np.ndarray:
    """Every corruption at every severity 1–5, stacked.

    Args:
        x: (n, h·w) clean images in [0, 1].
        seed: seeds the random draws (the same draws at every severity).
        image_shape: (h, w).

    Returns:
        (len(CORRUPTIONS), MAX_SEVERITY, n, h·w) float32; entry [c, s − 1] is
        ``corrupt(x, CORRUPTIONS[c], s, seed)``.
    """
    return np.stack([
        np.stack([corrupt(x, name, s, seed, image_shape) for s in range(1, MAX_SEVERITY + 1)])
        for name in CORRUPTIONS
    ])
