"""The uncertainty X-ray: where the predictive band at one input x comes from.

An ensemble (or MC dropout) predicts at x one Gaussian per member s, N(μ_s, σ_s²). The band the
page draws is their equal-weight mixture, whose variance splits by the law of total variance:

    Var[y] = E_s[σ_s²] + Var_s[μ_s] = aleatoric + epistemic.

:func:`xray` reads the members at any x of the chart (linear interpolation between grid
points), splits the variance with :func:`labcore.uncertainty.variance_decomposition`, and keeps
the densities for :func:`labcore.plots.xray.xray_figure`; :func:`xray_notice` says which
part dominates there, from the same numbers.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from labcore.errors import SettingError
from labcore.experiments.regression.run import RegressionResult
from labcore.uncertainty import variance_decomposition

DENSITY_POINTS = 241
"""y values the densities are drawn at."""
DOMINANT = 2 / 3
"""A part "dominates" when it holds at least this share of the total variance."""


@dataclasses.dataclass(frozen=True)
class XRay:
    """The predictive distribution at one input, member by member.

    Attributes:
        x: the input.
        where: "among the data", "in the gap" or "beyond the data".
        means, stds: (S,) each member's (or dropout pass's) predicted mean and σ at x.
        mean: the mixture's mean (the mean of ``means``).
        aleatoric_var, epistemic_var, total_var: the split of the mixture's variance, in y²;
            aleatoric + epistemic = total.
        true_mean, true_std: f(x) and σ(x) where the data are generated, else None.
        y: (K,) the y values the densities are given at.
        member_pdfs: (S, K) each member's Gaussian density; mixture_pdf: (K,) their mean.
    """

    x: float
    where: str
    means: np.ndarray
    stds: np.ndarray
    mean: float
    aleatoric_var: float
    epistemic_var: float
    total_var: float
    true_mean: float | None
    true_std: float | None
    y: np.ndarray
    member_pdfs: np.ndarray
    mixture_pdf: np.ndarray

    @property
    def epistemic_share(self) -> float:
        """Epistemic variance over the total (0 when the total is 0)."""
        return self.epistemic_var / self.total_var if self.total_var > 0 else 0.0


def _where(result: RegressionResult, x: float) -> str:
    lo, hi = result.data_range
    if x < lo or x > hi:
        return "beyond the data"
    if result.gap is not None and result.gap[0] < x < result.gap[1]:
        return "in the gap"
    return "among the data"


def _gaussian(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    z = (y[None, :] - mean[:, None]) / std[:, None]
    return np.exp(-0.5 * z**2) / (std[:, None] * math.sqrt(2 * math.pi))


def xray(result: RegressionResult, x: float) -> XRay:
    """The members' predictions at ``x`` and the split of their mixture's variance.

    Args:
        result: a Regression run (it keeps every member's mean and variance on its grid).
        x: any input on the chart, between the grid's ends.

    Raises:
        SettingError: ``x`` off the chart, or a result without member variances.

    Example (hand-made members: means 0 and 2, σ = 1 each):
        >>> from types import SimpleNamespace as NS
        >>> grid = np.array([0.0, 1.0])
        >>> fake = NS(x_grid=grid, member_means=np.array([[0.0, 0.0], [2.0, 2.0]]),
        ...           member_vars=np.ones((2, 2)), true_mean=None, true_std=None,
        ...           data_range=(0.0, 1.0), gap=None)
        >>> ray = xray(fake, 0.5)
        >>> ray.mean, ray.aleatoric_var, ray.epistemic_var, ray.total_var
        (1.0, 1.0, 1.0, 2.0)
    """
    grid = result.x_grid
    if result.member_vars is None:
        raise SettingError("The X-ray needs each member's variance: rerun this experiment. "
                           "Got a result without it.")
    if not (math.isfinite(x) and grid[0] <= x <= grid[-1]):
        raise SettingError(f"The X-ray's x must be between {grid[0]:g} and {grid[-1]:g}. "
                           f"Got {x:g}.")
    means = np.array([np.interp(x, grid, row) for row in result.member_means])
    variances = np.array([np.interp(x, grid, row) for row in result.member_vars])
    mixture, aleatoric, epistemic = variance_decomposition(means[:, None], variances[:, None])
    stds = np.sqrt(variances)
    total = float(aleatoric[0] + epistemic[0])
    known = result.true_mean is not None and result.true_std is not None
    true_mean = float(np.interp(x, grid, result.true_mean)) if known else None
    true_std = float(np.interp(x, grid, result.true_std)) if known else None
    spread = math.sqrt(total)
    lo, hi = float(mixture[0]) - 4 * spread, float(mixture[0]) + 4 * spread
    if known:  # the truth in view too, however far the model is from it
        lo, hi = min(lo, true_mean - 3 * true_std), max(hi, true_mean + 3 * true_std)
    y = np.linspace(lo, hi, DENSITY_POINTS)
    pdfs = _gaussian(y, means, stds)
    return XRay(
        x=float(x), where=_where(result, x), means=means, stds=stds, mean=float(mixture[0]),
        aleatoric_var=float(aleatoric[0]), epistemic_var=float(epistemic[0]), total_var=total,
        true_mean=true_mean, true_std=true_std, y=y, member_pdfs=pdfs,
        mixture_pdf=pdfs.mean(axis=0),
    )


def xray_rows(ray: XRay) -> list[dict[str, str]]:
    """The split as a table: variance, σ and share of each part, and the total they add to."""
    rows = []
    for part, var in (("aleatoric: mean of the members' σ²", ray.aleatoric_var),
                      ("epistemic: variance of the members' means", ray.epistemic_var),
                      ("total (their sum)", ray.total_var)):
        share = var / ray.total_var if ray.total_var > 0 else 0.0
        rows.append({"part": part, "variance (y²)": f"{var:.4g}", "σ": f"{math.sqrt(var):.3g}",
                     "share": f"{share:.0%}"})
    return rows


def xray_notice(ray: XRay, kind: str = "members") -> str:
    """What dominates the band at ``ray.x``, with its numbers (a caption under the X-ray).

    ``kind`` names the S predictions ("members" for an ensemble, "dropout passes" for MC
    dropout).
    """
    share = ray.epistemic_share
    means = (f"their means lie between {ray.means.min():.3g} and {ray.means.max():.3g} "
             f"(epistemic σ {math.sqrt(ray.epistemic_var):.3g})")
    truth = f"; the true noise is {ray.true_std:.3g}" if ray.true_std is not None else ""
    own = f"their own σ averages {math.sqrt(ray.aleatoric_var):.3g} (aleatoric{truth})"
    head = f"Notice: at x = {ray.x:.3g} ({ray.where}) the {kind}"
    if share >= DOMINANT:
        return (f"{head} disagree: {means}, while {own}. {share:.0%} of the variance is the "
                "model not knowing (epistemic): more data here would shrink it.")
    if share <= 1 - DOMINANT:
        return (f"{head} agree: {means}, and {own}. {1 - share:.0%} of the variance is the "
                "noise in y itself (aleatoric): more data would not shrink it.")
    return (f"{head}: {means}, and {own}. Neither part dominates: epistemic {share:.0%} of the "
            f"variance, aleatoric {1 - share:.0%}.")
