"""What points a user dragged into the Regression chart did to the bands in their regions.

:func:`region_summary` measures the mean epistemic and aleatoric σ inside each added region
(:mod:`~labcore.experiments.regression.regions` holds the edits themselves) before and after
the points were added, and :func:`drag_notice` says in words what changed, every claim read
from those numbers. It imports neither Streamlit nor plotly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from labcore.experiments.regression.regions import Region, number_text, parse_regions

if TYPE_CHECKING:
    from labcore.experiments.regression.run import RegressionResult

SHRINK = 0.8
"""The epistemic band "narrowed" in a region when its mean σ there fell below this fraction of
its value before the points were added."""
NARROW_PRESET = "S3 · A gap in the data"
"""The preset whose empty gap shows the effect: drag across it."""
STEADY = 0.2
"""The aleatoric σ "stayed" in a region when it moved by at most this fraction of its value."""
THIN = 0.3
"""The epistemic band was "already thin" in a region when its mean σ there was below this
fraction of the mean aleatoric σ there (the noise, not the model's doubt, set the band)."""
UNSETTLED = 2.0
"""The networks "have not finished learning the noise" where their aleatoric σ at the training
points is more than this many times the spread of those points' misses (see
:func:`noise_to_misses`): a settled Gaussian NLL reads about 1."""
MIN_SETTLE_POINTS = 10
"""The fewest training points that :data:`UNSETTLED` is judged on: the spread of k misses of a
settled fit is σ·√(χ²ₖ/k), below σ/2 with probability 6 % for k = 5 but 0.9 % for k = 10."""


def region_mask(x_grid: np.ndarray, region: Region) -> np.ndarray:
    """Grid points inside [x0, x1]; the nearest one when the region is narrower than the grid.

    >>> region_mask(np.array([0.0, 1.0, 2.0]), Region(0.9, 1.1, 5)).tolist()
    [False, True, False]
    >>> region_mask(np.array([0.0, 1.0, 2.0]), Region(1.2, 1.3, 5)).tolist()
    [False, True, False]
    """
    mask = (x_grid >= region.x0) & (x_grid <= region.x1)
    if not mask.any():
        mask[int(np.argmin(np.abs(x_grid - (region.x0 + region.x1) / 2)))] = True
    return mask


def _inside(x: np.ndarray, region: Region) -> np.ndarray:
    return (x >= region.x0) & (x <= region.x1)


def noise_to_misses(result: RegressionResult, where: np.ndarray | None = None) -> float:
    """√(mean σ²) / √(mean (y − μ)²) over the training points (those ``where`` is True): the
    learned aleatoric σ against the spread of the points' own misses, both read at the
    training inputs from the grid (linear interpolation). NaN without points.

    A Gaussian NLL that has converged sets σ² to the mean squared miss of the points around x,
    so a settled fit reads about 1; far above 1 the networks have not finished learning the
    noise (see :data:`UNSETTLED`).

    >>> import types
    >>> r = types.SimpleNamespace(x_grid=np.array([0.0, 1.0]), pred_mean=np.zeros(2),
    ...                           aleatoric_std=np.full(2, 2.0), x_train=np.array([0.2, 0.8]),
    ...                           y_train=np.array([1.0, -1.0]))
    >>> noise_to_misses(r)  # σ = 2 against misses of 1
    2.0
    """
    x, y = np.asarray(result.x_train), np.asarray(result.y_train)
    if where is not None:
        x, y = x[where], y[where]
    if x.size == 0:
        return math.nan
    mean = np.interp(x, result.x_grid, result.pred_mean)
    sigma = np.interp(x, result.x_grid, result.aleatoric_std)
    misses = float(np.sqrt(np.mean((y - mean) ** 2)))
    return float(np.sqrt(np.mean(sigma**2))) / misses if misses > 0 else math.inf


def region_summary(before: RegressionResult, after: RegressionResult, add_regions: str
                   ) -> list[dict[str, float]]:
    """Mean σ on the grid inside each added region, before and after the points were added.

    Args:
        before: the run without the regions (same data otherwise).
        after: the run with them.
        add_regions: the regions' text.

    Returns:
        One mapping per region: ``x0``, ``x1``, ``n``, ``epistemic_before``,
        ``epistemic_after``, ``aleatoric_before``, ``aleatoric_after`` and ``true_std`` (NaN
        when the truth is unknown), units of y; ``points_before``, the training points the run
        before already had in [x0, x1], ``points_after`` those the run after has there;
        ``noise_to_misses``, :func:`noise_to_misses` of the run after over them.
    """
    rows = []
    for r in parse_regions(add_regions):
        mask = region_mask(after.x_grid, r)
        truth = math.nan if after.true_std is None else float(np.mean(after.true_std[mask]))
        rows.append({
            "x0": r.x0, "x1": r.x1, "n": float(r.n),
            "epistemic_before": float(np.mean(before.epistemic_std[mask])),
            "epistemic_after": float(np.mean(after.epistemic_std[mask])),
            "aleatoric_before": float(np.mean(before.aleatoric_std[mask])),
            "aleatoric_after": float(np.mean(after.aleatoric_std[mask])),
            "true_std": truth,
            "points_before": float(np.count_nonzero(_inside(before.x_train, r))),
            "points_after": float(np.count_nonzero(_inside(after.x_train, r))),
            "noise_to_misses": noise_to_misses(after, _inside(after.x_train, r)),
        })
    return rows


def _where(row: Mapping[str, float]) -> str:
    return f"x ∈ [{number_text(row['x0'])}, {number_text(row['x1'])}] ({int(row['n'])} points)"


def _change(row: Mapping[str, float], kind: str) -> str:
    return f"{row[f'{kind}_before']:.3g} → {row[f'{kind}_after']:.3g}"


def _epistemic_sentence(rows: Sequence[Mapping[str, float]]) -> str:
    """What each region's mean epistemic σ did: narrowed (below :data:`SHRINK` times its value
    before), widened (above 1/SHRINK times) or neither; "already thin" only where it was below
    :data:`THIN` times the aleatoric σ there before."""
    narrowed = [r for r in rows if r["epistemic_after"] < SHRINK * r["epistemic_before"]]
    widened = [r for r in rows if r["epistemic_after"] > r["epistemic_before"] / SHRINK]
    flat = [r for r in rows if r not in narrowed and r not in widened]
    parts = []
    if narrowed:
        parts.append("the epistemic band narrowed where you added points — mean epistemic σ "
                     + "; ".join(f"{_change(r, 'epistemic')} in {_where(r)}" for r in narrowed))
    if flat:
        clauses = []
        for r in flat:
            thin = r["epistemic_before"] < THIN * r["aleatoric_before"]
            clauses.append(f"{_where(r)} ({_change(r, 'epistemic')}"
                           + (f"; already thin: under {THIN:.0%} of the aleatoric σ there"
                              if thin else "") + ")")
        parts.append("the epistemic band did not clearly narrow in " + "; ".join(clauses))
    if widened:
        parts.append("the epistemic band widened in "
                     + "; ".join(f"{_where(r)} ({_change(r, 'epistemic')})" for r in widened))
    if not narrowed:
        parts.append(f'try the preset "{NARROW_PRESET}" and drag across the grey gap')
    return "; ".join(parts)


def _aleatoric_sentence(rows: Sequence[Mapping[str, float]]) -> str:
    """What the aleatoric σ did in the regions: stayed within :data:`STEADY`, or moved — and
    then whether it came closer to the true noise (where the truth is known), and where the
    run before had no point to measure it from."""
    changes = "; ".join(_change(r, "aleatoric") for r in rows)
    truth = [r["true_std"] for r in rows if not math.isnan(r["true_std"])]
    changes += f", true noise {'; '.join(f'{t:.3g}' for t in truth)}" if truth else ""
    if all(abs(r["aleatoric_after"] - r["aleatoric_before"]) <= STEADY * r["aleatoric_before"]
           for r in rows):
        return (f"the aleatoric σ there stayed within {STEADY:.0%} ({changes}): more points do "
                "not make y less noisy")
    sentence = f"the aleatoric σ estimate there moved ({changes})"
    known = [r for r in rows if not math.isnan(r["true_std"])]
    closer = [r for r in known if abs(r["aleatoric_after"] - r["true_std"])
              < abs(r["aleatoric_before"] - r["true_std"])]
    if known and len(closer) == len(known):
        sentence += (": closer to the true noise — more points let the network measure the "
                     "noise better, but the noise itself stays")
    elif closer:
        sentence += (": closer to the true noise in " + "; ".join(_where(r) for r in closer)
                     + ", not elsewhere — only the estimate changed, not the noise in y")
    elif known:
        sentence += ": no closer to the true noise — only the estimate changed, not the noise in y"
    else:
        sentence += ": only the estimate changed, not the noise in y"
    empty = [r for r in rows if r["points_before"] == 0]
    if empty:
        sentence += (". Before, no training point lay in " + "; ".join(_where(r) for r in empty)
                     + ", so the σ shown there was carried over from the nearest data")
    return sentence


def drag_notice(rows: Sequence[Mapping[str, float]], members: int) -> str:
    """The caption on the added regions: what the points did to the two bands there.

    Every claim is read from the rows: "narrowed" only where the mean epistemic σ fell below
    :data:`SHRINK` times its value before, "widened" only where it rose above 1/SHRINK times,
    "closer to the true noise" only where the aleatoric σ is nearer it than before, "has not
    finished learning the noise" only where :data:`UNSETTLED` is exceeded on at least
    :data:`MIN_SETTLE_POINTS` points; each region's
    numbers are given either way.

    Args:
        rows: :func:`region_summary`'s rows.
        members: networks or dropout samples behind the bands (1: no epistemic band).
    """
    if not rows:
        return ("Notice: no data added yet. Choose Add points above the chart and drag across "
                "it (box or lasso) to add points from the true process there, or Remove points "
                "and click a training point; the form below does both by x range.")
    if members == 1:
        return ("Notice: one network has no epistemic band, so the added points cannot show "
                "it shrinking: choose MC dropout or a deep ensemble.")
    text = f"Notice: {_epistemic_sentence(rows)}. And {_aleatoric_sentence(rows)}."
    unsettled = [r for r in rows if r["noise_to_misses"] > UNSETTLED
                 and r["points_after"] >= MIN_SETTLE_POINTS]
    if unsettled:
        text += (" In " + "; ".join(f"{_where(r)} the learned noise σ is "
                                    f"{r['noise_to_misses']:.1f}× the spread of the points' "
                                    "misses" for r in unsettled)
                 + ": the networks have not finished learning the noise there — use more "
                 "training steps.")
    return text
