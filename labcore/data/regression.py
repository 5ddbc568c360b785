"""Seeded datasets whose truth is known.

1-D regression: y = f(x) + σ(x)·ε with ε ~ N(0, 1), so the lab can draw the true mean and the
true noise next to what a model learned. Every draw uses a generator seeded from the
caller's seed and a stream name (:func:`labcore.device.rng_for`), so two draws never share
random numbers by accident.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

import numpy as np

from labcore.device import rng_for

FunctionName = Literal["cubic", "sine", "linear", "step"]
NoiseShape = Literal["constant", "growing", "bump"]

X_RANGE = (-4.0, 4.0)  # where training data can lie
GRID_RANGE = (-6.0, 6.0)  # where the lab draws the truth and the model (beyond the data)


@dataclasses.dataclass(frozen=True)
class Function1D:
    """A true mean function with its natural noise level σ0 (in units of y)."""

    label: str
    formula: str
    f: Callable[[np.ndarray], np.ndarray]
    sigma0: float


FUNCTIONS: dict[str, Function1D] = {
    "cubic": Function1D("Cubic", "y = x^3", lambda x: x**3, 3.0),
    "sine": Function1D("Sine", r"y = 2\sin(1.5x)", lambda x: 2.0 * np.sin(1.5 * x), 0.3),
    "linear": Function1D("Linear", "y = 0.8x + 1", lambda x: 0.8 * x + 1.0, 0.5),
    "step": Function1D("Step", r"y = \pm 1.5", lambda x: np.where(x > 0, 1.5, -1.5), 0.3),
}

NOISE_SHAPES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "constant": ("σ(x) = σ0", lambda x: np.ones_like(x)),
    "growing": ("σ(x) = σ0 (0.25 + 0.375|x|)", lambda x: 0.25 + 0.375 * np.abs(x)),
    "bump": (
        "σ(x) = σ0 (0.3 + 1.7 exp(−(x−1.5)²/0.5))",
        lambda x: 0.3 + 1.7 * np.exp(-((x - 1.5) ** 2) / 0.5),
    ),
}


def true_mean(function: str, x: np.ndarray) -> np.ndarray:
    """f(x) for a named function."""
    return FUNCTIONS[function].f(np.asarray(x, dtype=float))


def true_std(function: str, noise_shape: str, noise_scale: float, x: np.ndarray) -> np.ndarray:
    """σ(x) = noise_scale · σ0(function) · shape(x)."""
    x = np.asarray(x, dtype=float)
    return noise_scale * FUNCTIONS[function].sigma0 * NOISE_SHAPES[noise_shape][1](x)


def sample_x(
    n: int, rng: np.random.Generator, gap: tuple[float, float] | None, region: tuple[float, float]
) -> np.ndarray:
    """n inputs uniform on ``region`` with the open interval ``gap`` removed (sorted)."""
    lo, hi = region
    if gap is None or gap[1] <= lo or gap[0] >= hi:
        return np.sort(rng.uniform(lo, hi, n))
    g_lo, g_hi = max(gap[0], lo), min(gap[1], hi)
    left, right = g_lo - lo, hi - g_hi
    if left + right <= 0:
        raise ValueError(f"The gap must leave room for data inside {region}. Got gap {gap}.")
    u = rng.uniform(0.0, left + right, n)
    return np.sort(np.where(u < left, lo + u, g_hi + (u - left)))


@dataclasses.dataclass(frozen=True)
class RegressionData:
    """One draw of a 1-D regression problem (inputs as observed, i.e. after any x-noise).

    Attributes:
        x, y: (n,) the observed pairs.
        x_clean: (n,) the inputs before input noise (equal to ``x`` without it).
    """

    x: np.ndarray
    y: np.ndarray
    x_clean: np.ndarray


def make_regression(
    function: str,
    noise_shape: str,
    noise_scale: float,
    n: int,
    seed: int,
    stream: str,
    *,
    gap: tuple[float, float] | None = None,
    x_noise: float = 0.0,
    region: tuple[float, float] = X_RANGE,
) -> RegressionData:
    """Draw n pairs y = f(x) + σ(x)ε; with ``x_noise`` > 0 the model sees x + N(0, x_noise²).

    Errors in the inputs (scene S12) are a different noise from label noise: y is generated
    from the clean x, but the network only sees the shifted x, so the fitted curve is flattened
    (regression dilution) and the apparent noise grows where f is steep.
    """
    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {sorted(FUNCTIONS)}. Got {function!r}.")
    if noise_shape not in NOISE_SHAPES:
        raise ValueError(f"noise_shape must be one of {sorted(NOISE_SHAPES)}. Got {noise_shape!r}.")
    if n < 1:
        raise ValueError(f"n must be at least 1. Got {n}.")
    rng = rng_for(seed, stream)
    x_clean = sample_x(n, rng, gap, region)
    eps = rng.standard_normal(n)
    y = true_mean(function, x_clean) + true_std(function, noise_shape, noise_scale, x_clean) * eps
    x = x_clean + x_noise * rng.standard_normal(n) if x_noise > 0 else x_clean.copy()
    return RegressionData(x=x, y=y, x_clean=x_clean)
