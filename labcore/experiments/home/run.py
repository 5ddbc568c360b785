"""Scene S1: the maximum-likelihood recipe turns a chosen distribution into a familiar loss.

A "model" here is one number θ with no inputs, so ``f[x, φ] = θ``; fitting it to a sample
y_1 … y_n by minimising the mean negative log-likelihood (NLL) is the lecture's recipe at its
smallest. Each distribution's NLL is an affine function of a loss people already use:

=========== ============= ========================================= ==========================
name        parameter θ   mean NLL in terms of the loss              minimiser (closed form)
=========== ============= ========================================= ==========================
gaussian    μ (σ fixed)   MSE / (2σ²) + ½ log(2πσ²)                  sample mean
laplace     μ (b fixed)   MAE / b + log(2b)                          sample median
bernoulli   λ = P(y = 1)  BCE (identical)                            fraction of ones
categorical p₀ = P(y = 0) cross-entropy (identical)                  frequency of class 0
=========== ============= ========================================= ==========================

The categorical model has K = 3 classes and one free parameter: θ = p₀ moves along the path
π(θ) = (θ, (1 − θ)·2/3, (1 − θ)·1/3), i.e. the remaining mass is always split 2 : 1 between
classes 1 and 2, the same split as in the distribution the data are drawn from. Along this path
the NLL is −[n₀ log θ + (n − n₀) log(1 − θ)] + const, so its minimiser is n₀ / n.

Everything is numpy; the page draws results with :mod:`labcore.plots.home`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from labcore.errors import SettingError
from labcore.experiments.home.config import MLEConfig

if TYPE_CHECKING:  # the Home page draws before torch is imported (labui.shell.begin_start_up)
    from labcore.models.train import Progress

N_CLASSES = 3
CATEGORICAL_REST: tuple[float, float] = (2 / 3, 1 / 3)  # how classes 1 and 2 share 1 − p₀
LOCATION_STEP = 0.01  # grid step for μ, in units of y
PROBABILITY_GRID = np.round(np.arange(1, 1000) / 1000, 3)  # λ or p₀ from 0.001 to 0.999


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The words and formulas that explain one distribution's NLL → loss step.

    Attributes:
        param_symbol: θ as plain text ("μ", "λ", "p₀").
        param_latex: θ in LaTeX.
        param_meaning: what θ is, in a few words.
        loss_name: the familiar loss ("MSE", "MAE", "BCE", "cross-entropy").
        closed_form_name: what minimises the NLL ("sample mean", …).
        density_latex: p(y | θ).
        nll_latex: −log p(y_i | θ) for one sample.
        loss_latex: the familiar loss, averaged over the sample.
        relation_latex: the mean NLL written with the familiar loss.
    """

    param_symbol: str
    param_latex: str
    param_meaning: str
    loss_name: str
    closed_form_name: str
    density_latex: str
    nll_latex: str
    loss_latex: str
    relation_latex: str


RECIPES: dict[str, Recipe] = {
    "gaussian": Recipe(
        param_symbol="μ",
        param_latex=r"\mu",
        param_meaning="the centre of the bell, in units of y",
        loss_name="MSE",
        closed_form_name="sample mean",
        density_latex=r"p(y\mid\mu)=\frac{1}{\sqrt{2\pi\sigma^2}}"
        r"\exp\!\left(-\frac{(y-\mu)^2}{2\sigma^2}\right)",
        nll_latex=r"-\log p(y_i\mid\mu)=\frac{(y_i-\mu)^2}{2\sigma^2}+\tfrac12\log(2\pi\sigma^2)",
        loss_latex=r"\mathrm{MSE}(\mu)=\frac1n\sum_{i=1}^n (y_i-\mu)^2",
        relation_latex=r"\mathrm{NLL}(\mu)=\frac{1}{2\sigma^2}\,\mathrm{MSE}(\mu)"
        r"+\tfrac12\log(2\pi\sigma^2)",
    ),
    "laplace": Recipe(
        param_symbol="μ",
        param_latex=r"\mu",
        param_meaning="the centre of the peak, in units of y",
        loss_name="MAE",
        closed_form_name="sample median",
        density_latex=r"p(y\mid\mu)=\frac{1}{2b}\exp\!\left(-\frac{|y-\mu|}{b}\right)",
        nll_latex=r"-\log p(y_i\mid\mu)=\frac{|y_i-\mu|}{b}+\log(2b)",
        loss_latex=r"\mathrm{MAE}(\mu)=\frac1n\sum_{i=1}^n |y_i-\mu|",
        relation_latex=r"\mathrm{NLL}(\mu)=\frac{1}{b}\,\mathrm{MAE}(\mu)+\log(2b)",
    ),
    "bernoulli": Recipe(
        param_symbol="λ",
        param_latex=r"\lambda",
        param_meaning="the probability that y = 1",
        loss_name="BCE",
        closed_form_name="fraction of ones",
        density_latex=r"p(y\mid\lambda)=\lambda^{y}(1-\lambda)^{1-y},\quad y\in\{0,1\}",
        nll_latex=r"-\log p(y_i\mid\lambda)=-\big[y_i\log\lambda+(1-y_i)\log(1-\lambda)\big]",
        loss_latex=r"\mathrm{BCE}(\lambda)=-\frac1n\sum_{i=1}^n"
        r"\big[y_i\log\lambda+(1-y_i)\log(1-\lambda)\big]",
        relation_latex=r"\mathrm{NLL}(\lambda)=\mathrm{BCE}(\lambda)",
    ),
    "categorical": Recipe(
        param_symbol="p₀",
        param_latex=r"p_0",
        param_meaning="the probability of class 0 (classes 1 and 2 share the rest 2 : 1)",
        loss_name="cross-entropy",
        closed_form_name="frequency of class 0",
        density_latex=r"p(y=k\mid p_0)=\pi_k,\quad"
        r"\pi=\big(p_0,\ \tfrac23(1-p_0),\ \tfrac13(1-p_0)\big)",
        nll_latex=r"-\log p(y_i\mid p_0)=-\sum_{k=0}^{2}[y_i=k]\,\log\pi_k",
        loss_latex=r"\mathrm{CE}(p_0)=-\frac1n\sum_{i=1}^n\log\pi_{y_i}",
        relation_latex=r"\mathrm{NLL}(p_0)=\mathrm{CE}(p_0)",
    ),
}


@dataclasses.dataclass(frozen=True)
class MLEResult:
    """One sample and the NLL / loss curves over θ.

    Attributes:
        distribution: the config's distribution name.
        sample: (n,) observations; float for Gaussian/Laplace, int 0/1 or 0/1/2 otherwise.
        grid: (m,) values of θ, increasing.
        mean_nll: (m,) mean NLL per sample at each grid value, nats (Gaussian: with ½log 2π).
        mean_loss: (m,) the familiar loss at each grid value.
        grid_minimiser: the grid value with the lowest mean NLL.
        closed_form: the exact minimiser (mean, median, fraction of ones, class-0 frequency).
        true_param: the θ the sample was drawn with.
        scale: σ or b (Gaussian/Laplace); unused otherwise.
        loss_scale: a in mean NLL = a · loss + c.
        loss_offset: c in mean NLL = a · loss + c.
        support: y values where densities are drawn: a fine grid (continuous) or the classes.
        frequencies: observed fraction of each class in ``support`` (discrete); empty otherwise.
        theta_min: smallest θ to offer on a slider.
        theta_max: largest θ to offer on a slider.
        theta_step: slider step for θ.
        recipe: the formulas and names for this distribution.
    """

    distribution: str
    sample: np.ndarray
    grid: np.ndarray
    mean_nll: np.ndarray
    mean_loss: np.ndarray
    grid_minimiser: float
    closed_form: float
    true_param: float
    scale: float
    loss_scale: float
    loss_offset: float
    support: np.ndarray
    frequencies: np.ndarray
    theta_min: float
    theta_max: float
    theta_step: float
    recipe: Recipe

    @property
    def nll_latex(self) -> str:
        """−log p(y_i | θ) in LaTeX."""
        return self.recipe.nll_latex

    @property
    def loss_latex(self) -> str:
        """The familiar loss in LaTeX."""
        return self.recipe.loss_latex


@dataclasses.dataclass(frozen=True)
class MLEPoint:
    """The model at one value of θ (a slider position).

    Attributes:
        theta: the parameter value.
        mean_nll: mean NLL per sample at θ, nats.
        mean_loss: the familiar loss at θ.
        support: same as :attr:`MLEResult.support`.
        density: p(y | θ) on ``support`` (pdf for continuous, pmf for discrete).
    """

    theta: float
    mean_nll: float
    mean_loss: float
    support: np.ndarray
    density: np.ndarray


def sample_data(config: MLEConfig) -> np.ndarray:
    """Draw ``config.n_samples`` observations from the true distribution.

    Args:
        config: distribution, true parameter, scale and seed.

    Returns:
        (n,) float array (Gaussian, Laplace) or int64 array of 0/1 (Bernoulli) or 0/1/2
        (categorical, with π = (p, (1−p)·2/3, (1−p)·1/3)).
    """
    rng = np.random.default_rng(config.seed)
    n = config.n_samples
    if config.distribution == "gaussian":
        return rng.normal(config.true_mu, config.scale, size=n)
    if config.distribution == "laplace":
        return rng.laplace(config.true_mu, config.scale, size=n)
    if config.distribution == "bernoulli":
        return (rng.random(n) < config.true_p).astype(np.int64)
    return rng.choice(N_CLASSES, size=n, p=categorical_probs(config.true_p)).astype(np.int64)


def categorical_probs(p0: float | np.ndarray) -> np.ndarray:
    """Class probabilities on the one-parameter path π(p₀) = (p₀, (1−p₀)·2/3, (1−p₀)·1/3).

    Args:
        p0: scalar or array of probabilities of class 0.

    Returns:
        array of shape ``p0.shape + (3,)`` whose last axis sums to 1.

    Example:
        >>> categorical_probs(0.4).round(3).tolist()
        [0.4, 0.4, 0.2]
    """
    p0 = np.asarray(p0, dtype=float)
    rest = 1.0 - p0
    return np.stack([p0, rest * CATEGORICAL_REST[0], rest * CATEGORICAL_REST[1]], axis=-1)


def log_prob(config: MLEConfig, y: np.ndarray, theta: float | np.ndarray) -> np.ndarray:
    """log p(y | θ) for every pair of a θ value and an observation.

    Args:
        config: distribution and scale.
        y: (n,) observations (or support points).
        theta: scalar or (m,) parameter values.

    Returns:
        (n,) for scalar θ, (m, n) for an array of θ.
    """
    y = np.asarray(y)
    th = np.asarray(theta, dtype=float)
    if config.distribution == "categorical":
        log_pi = np.log(categorical_probs(th))  # (..., 3)
        return log_pi[..., y.astype(np.int64)]
    th = th[..., None]
    if config.distribution == "gaussian":
        s = config.scale
        return -((y - th) ** 2) / (2 * s**2) - 0.5 * math.log(2 * math.pi * s**2)
    if config.distribution == "laplace":
        b = config.scale
        return -np.abs(y - th) / b - math.log(2 * b)
    return y * np.log(th) + (1 - y) * np.log1p(-th)


def per_sample_nll(config: MLEConfig, sample: np.ndarray, theta: float | np.ndarray) -> np.ndarray:
    """−log p(y_i | θ) for each observation; shapes as in :func:`log_prob`."""
    return -log_prob(config, sample, theta)


def per_sample_loss(config: MLEConfig, sample: np.ndarray, theta: float | np.ndarray) -> np.ndarray:
    """The familiar per-sample loss, written the way it is usually written.

    Gaussian: (y − μ)². Laplace: |y − μ|. Bernoulli: −[y log λ + (1 − y) log(1 − λ)].
    Categorical: −log π_y with π = softmax of the logits log π(p₀), i.e. cross-entropy.
    Shapes as in :func:`log_prob`.
    """
    y = np.asarray(sample)
    th = np.asarray(theta, dtype=float)
    if config.distribution == "categorical":
        logits = np.log(categorical_probs(th))
        log_softmax = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        return -log_softmax[..., y.astype(np.int64)]
    th = th[..., None]
    if config.distribution == "gaussian":
        return (y - th) ** 2
    if config.distribution == "laplace":
        return np.abs(y - th)
    return -(y * np.log(th) + (1 - y) * np.log(1 - th))


def loss_relation(config: MLEConfig) -> tuple[float, float]:
    """(a, c) with mean NLL = a · loss + c.

    Gaussian: a = 1/(2σ²), c = ½ log(2πσ²). Laplace: a = 1/b, c = log(2b). Otherwise (1, 0).
    """
    if config.distribution == "gaussian":
        s = config.scale
        return 1 / (2 * s**2), 0.5 * math.log(2 * math.pi * s**2)
    if config.distribution == "laplace":
        return 1 / config.scale, math.log(2 * config.scale)
    return 1.0, 0.0


def closed_form_minimiser(config: MLEConfig, sample: np.ndarray) -> float:
    """The θ that minimises the mean NLL, in closed form.

    Gaussian: mean. Laplace: median (for even n every value between the two middle
    observations is a minimiser; this returns their midpoint). Bernoulli: fraction of ones.
    Categorical: fraction of class 0.
    """
    sample = np.asarray(sample)
    if config.distribution == "gaussian":
        return float(np.mean(sample))
    if config.distribution == "laplace":
        return float(np.median(sample))
    if config.distribution == "bernoulli":
        return float(np.mean(sample == 1))
    return float(np.mean(sample == 0))


def nll_at(config: MLEConfig, sample: np.ndarray, theta: float) -> float:
    """Mean NLL per sample at one θ: (1/n) Σ −log p(y_i | θ).

    Raises:
        ValueError: θ is not finite, or not strictly between 0 and 1 for a probability.
    """
    _check_theta(config, theta)
    _check_sample(sample)
    return float(per_sample_nll(config, sample, theta).mean())


def point_at(config: MLEConfig, result: MLEResult, theta: float) -> MLEPoint:
    """The mean NLL, the loss and the fitted density at one θ (for a slider position).

    Raises:
        ValueError: as :func:`nll_at`.
    """
    mean_nll = nll_at(config, result.sample, theta)
    mean_loss = float(per_sample_loss(config, result.sample, theta).mean())
    density = np.exp(log_prob(config, result.support, theta))
    return MLEPoint(float(theta), mean_nll, mean_loss, result.support, density)


def run_mle(config: MLEConfig, progress: Progress | None = None) -> MLEResult:
    """Draw the sample and evaluate the mean NLL and the familiar loss on a grid of θ.

    Args:
        config: the scene's settings.
        progress: accepted like every page's run function; this one is instant and never
            reports.

    Returns:
        An :class:`MLEResult`; its ``grid_minimiser`` is within one grid step of
        ``closed_form`` because the mean NLL is convex in θ along every path used here.
    """
    sample = sample_data(config)
    grid = _parameter_grid(config, sample)
    mean_nll = per_sample_nll(config, sample, grid).mean(axis=-1)
    mean_loss = per_sample_loss(config, sample, grid).mean(axis=-1)
    a, c = loss_relation(config)
    if config.is_location:
        support = grid
        frequencies = np.empty(0)
        theta_min, theta_max, theta_step = float(grid[0]), float(grid[-1]), LOCATION_STEP
    else:
        k = 2 if config.distribution == "bernoulli" else N_CLASSES
        support = np.arange(k)
        frequencies = np.bincount(sample, minlength=k) / sample.size
        theta_min, theta_max, theta_step = 0.01, 0.99, 0.01
    return MLEResult(
        distribution=config.distribution,
        sample=sample,
        grid=grid,
        mean_nll=mean_nll,
        mean_loss=mean_loss,
        grid_minimiser=float(grid[np.argmin(mean_nll)]),
        closed_form=closed_form_minimiser(config, sample),
        true_param=config.true_param,
        scale=config.scale,
        loss_scale=a,
        loss_offset=c,
        support=support,
        frequencies=frequencies,
        theta_min=theta_min,
        theta_max=theta_max,
        theta_step=theta_step,
        recipe=RECIPES[config.distribution],
    )


def _parameter_grid(config: MLEConfig, sample: np.ndarray) -> np.ndarray:
    """θ values: whole-number bounds around the data ± 2 scales (μ), or 0.001 … 0.999."""
    if not config.is_location:
        return PROBABILITY_GRID
    lo = math.floor(min(float(sample.min()), config.true_mu) - 2 * config.scale)
    hi = math.ceil(max(float(sample.max()), config.true_mu) + 2 * config.scale)
    n_steps = round((hi - lo) / LOCATION_STEP)
    return np.round(lo + LOCATION_STEP * np.arange(n_steps + 1), 6)


def _check_theta(config: MLEConfig, theta: float) -> None:
    name = RECIPES[config.distribution].param_symbol
    if isinstance(theta, bool) or not isinstance(theta, int | float | np.floating):
        raise SettingError(f"{name} must be a number. Got {theta!r}.")
    if not math.isfinite(theta):
        raise SettingError(f"{name} must be a finite number. Got {theta}.")
    if not config.is_location and not 0 < theta < 1:
        raise SettingError(f"{name} must be strictly between 0 and 1. Got {theta}.")


def _check_sample(sample: np.ndarray) -> None:
    shape = np.shape(sample)
    if len(shape) != 1 or shape[0] == 0:
        raise ValueError(f"sample must be a non-empty 1-D array. Got shape {shape}.")
