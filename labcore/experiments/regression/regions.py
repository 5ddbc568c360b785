"""Data edits of the Regression lab: regions of added points and dropped training points.

A user drags across the bands chart to add points in an x range, or clicks training points to
remove them. The edits live in two compact text fields of
:class:`~labcore.experiments.regression.config.RegressionConfig`, so a link reproduces them:

- ``add_regions``: ``"x0:x1:n,..."``, e.g. ``"-3.5:-2:20,1:2.5:20"``: n points with x uniform
  on [x0, x1], drawn from the true generator (the same f(x) and noise σ(x) as the training
  data) with a seed derived from the config's seed and the region itself;
- ``drop_points``: ``"i,j,..."``, indices of generated training points to leave out, in the
  order of their draw (sorted by x, 0 the leftmost, when the inputs carry no noise).

This module parses, formats and validates both, draws the added points, turns a chart
selection (Streamlit's ``{"selection": {"points", "box", "lasso"}}`` event) into an edit, and
measures what the added points did to the bands in their regions. It imports neither
Streamlit nor plotly.

Example:
    >>> parse_regions("-3.5:-2:20, 1:2.5:20")
    (Region(x0=-3.5, x1=-2.0, n=20), Region(x0=1.0, x1=2.5, n=20))
    >>> format_regions(parse_regions("-3.50:-2:20"))
    '-3.5:-2:20'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from labcore.config import FieldError, echo
from labcore.data.regression import GRID_RANGE, make_regression

if TYPE_CHECKING:
    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.run import RegressionResult

MAX_ADDED = 1000
"""The most points all regions may add together (the same cap as "Points to add")."""
MAX_REGIONS = 20
"""The most regions one experiment may have."""
MIN_KEPT = 5
"""Generated training points that must remain after dropping (the smallest "Training points")."""
X_DECIMALS = 2
"""A dragged region's ends are rounded to this many decimals (a short, readable URL)."""
SHRINK = 0.8
"""The epistemic band "narrowed" in a region when its mean σ there fell below this fraction of
its value before the points were added."""
NARROW_PRESET = "S3 · A gap in the data"
"""The preset whose empty gap shows the effect: drag across it."""
STEADY = 0.2
"""The aleatoric σ "stayed" in a region when it moved by at most this fraction of its value."""
DEFAULT_PER_DRAG = 20
"""Points one drag adds unless the user asks for another number."""
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


class Region(NamedTuple):
    """n added points with x uniform on [x0, x1]."""

    x0: float
    x1: float
    n: int


def _number_text(value: float) -> str:
    """The shortest text that reads back as the same float: ``-2.0`` → ``"-2"``.

    >>> _number_text(-2.0), _number_text(0.125), _number_text(1 / 3)
    ('-2', '0.125', '0.3333333333333333')
    """
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def format_regions(regions: Sequence[Region]) -> str:
    """The ``add_regions`` text of some regions (``""`` for none); :func:`parse_regions` reads
    it back exactly."""
    return ",".join(f"{_number_text(r.x0)}:{_number_text(r.x1)}:{r.n}" for r in regions)


def format_drops(indices: Sequence[int]) -> str:
    """The ``drop_points`` text: the indices, sorted, comma-separated.

    >>> format_drops([17, 3])
    '3,17'
    """
    return ",".join(str(i) for i in sorted(indices))


def _items(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]


def parse_regions(text: str) -> tuple[Region, ...]:
    """Read ``"x0:x1:n,..."`` (spaces allowed, ``""`` for none) without checking the limits.

    Raises:
        FieldError: an item is not ``from:to:points`` with two numbers and a whole number.
    """
    regions = []
    for item in _items(text):
        parts = item.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            x0, x1 = float(parts[0]), float(parts[1])
            n = int(parts[2])
        except ValueError:
            raise FieldError(
                "Added regions (add_regions) must be a comma-separated list of from:to:points, "
                f"like -3.5:-2:20,1:2.5:20. Got {echo(item)}.", field="add_regions") from None
        if not (math.isfinite(x0) and math.isfinite(x1)):
            raise FieldError(f"Added regions (add_regions) need finite ends. Got {echo(item)}.",
                             field="add_regions")
        regions.append(Region(x0, x1, n))
    return tuple(regions)


def parse_drops(text: str) -> tuple[int, ...]:
    """Read ``"i,j,..."`` (``""`` for none) into sorted, distinct indices.

    Raises:
        FieldError: an item is not a whole number.

    >>> parse_drops("17, 3,3")
    (3, 17)
    """
    indices = set()
    for item in _items(text):
        try:
            indices.add(int(item))
        except ValueError:
            raise FieldError(
                "Dropped points (drop_points) must be a comma-separated list of whole numbers, "
                f"like 3,17. Got {echo(item)}.", field="drop_points") from None
    return tuple(sorted(indices))


def check_edits(add_regions: str, drop_points: str, n_points: int) -> None:
    """Refuse edits that cannot be drawn: bad syntax, a region off the chart or empty, too many
    points, an index that is not a generated training point, or too few points left.

    Raises:
        FieldError: naming the field at fault, with what to change and "Got …".
    """
    regions = parse_regions(add_regions)
    lo, hi = GRID_RANGE
    if len(regions) > MAX_REGIONS:
        raise FieldError(f"At most {MAX_REGIONS} regions can be added: undo some. "
                         f"Got {len(regions)}.", field="add_regions")
    for r in regions:
        text = echo(format_regions([r]), quote=False)
        if r.x0 >= r.x1:
            raise FieldError(f"A region must start left of where it ends (from below to). "
                             f"Got {text}.", field="add_regions")
        if r.x0 < lo or r.x1 > hi:
            raise FieldError(f"Added regions must lie inside the plotted range [{lo:g}, {hi:g}]. "
                             f"Got {text}.", field="add_regions")
        if r.n < 1:
            raise FieldError(f"A region adds at least 1 point. Got {text}.", field="add_regions")
    total = sum(r.n for r in regions)
    if total > MAX_ADDED:
        got = echo(f"{total:,}", quote=False)
        raise FieldError(f"The regions may add at most {MAX_ADDED:,} points in total: use fewer "
                         f"points per drag or undo a region. Got {got}.", field="add_regions")
    drops = parse_drops(drop_points)
    outside = [i for i in drops if not 0 <= i < n_points]
    if outside:
        raise FieldError(f"Dropped points must be indices of the {n_points} generated training "
                         f"points (0 to {n_points - 1}); reset the edits after changing the "
                         f"data. Got {echo(outside[0])}.", field="drop_points")
    if n_points - len(drops) < MIN_KEPT:
        raise FieldError(f"At least {MIN_KEPT} generated training points must remain. "
                         f"Got {len(drops)} of {n_points} dropped.", field="drop_points")


def region_stream(regions: Sequence[Region], index: int) -> str:
    """The random stream of region ``index``: its own text, and how many identical regions
    come before it (two drags over the same range draw different points).

    >>> region_stream(parse_regions("1:2:5,0:1:5,1:2:5"), 2)
    'added region 1:2:5 #1'
    """
    region = regions[index]
    repeat = sum(1 for r in regions[:index] if r == region)
    return f"added region {format_regions([region])} #{repeat}"


def region_points(config: RegressionConfig) -> tuple[np.ndarray, np.ndarray]:
    """The points of every added region, in region order: x uniform on [x0, x1] (sorted within
    a region), y = f(x) + σ(x)ε from the config's true function and noise, x-noise included.

    The seed is ``config.seed`` and the stream :func:`region_stream`: the same config gives the
    same points, and changing one region leaves the others' points as they were.
    """
    regions = parse_regions(config.add_regions)
    xs, ys = [np.empty(0)], [np.empty(0)]
    for i, r in enumerate(regions):
        data = make_regression(config.function, config.noise_shape, config.noise_scale, r.n,
                               config.seed, region_stream(regions, i), x_noise=config.x_noise,
                               region=(r.x0, r.x1))
        xs.append(data.x)
        ys.append(data.y)
    return np.concatenate(xs), np.concatenate(ys)


def generated_inputs(config: RegressionConfig) -> np.ndarray:
    """(n_points,) the generated training inputs before any drop, sorted: what the indices of
    ``drop_points`` count (the same draw as the run's training set)."""
    return make_regression(config.function, config.noise_shape, config.noise_scale,
                           config.n_points, config.seed, "train", gap=config.gap,
                           x_noise=config.x_noise).x


def keep_points(x: np.ndarray, y: np.ndarray, drop_points: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """The generated training points without the dropped indices.

    >>> keep_points(np.arange(4.0), np.arange(4.0) * 10, "0,2")
    (array([1., 3.]), array([10., 30.]))
    """
    keep = np.ones(x.shape[0], dtype=bool)
    keep[list(parse_drops(drop_points))] = False
    return x[keep], y[keep]


def data_range(base: tuple[float, float], add_regions: str) -> tuple[float, float]:
    """Where training inputs lie: ``base`` widened to cover every added region.

    >>> data_range((-4.0, 4.0), "3:5.5:10")
    (-4.0, 5.5)
    """
    regions = parse_regions(add_regions)
    return (min([base[0], *(r.x0 for r in regions)]), max([base[1], *(r.x1 for r in regions)]))


def n_region_points(add_regions: str) -> int:
    """How many points the regions add together."""
    return sum(r.n for r in parse_regions(add_regions))


# --- chart selections → edits -------------------------------------------------------------------


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
    return f"x ∈ [{_number_text(row['x0'])}, {_number_text(row['x1'])}] ({int(row['n'])} points)"


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


def count_line(config: RegressionConfig) -> str:
    """How many points the model trains on, and where they come from.

    >>> from labcore.experiments.regression.config import RegressionConfig
    >>> count_line(RegressionConfig(add_regions="1:2:15", drop_points="0,4"))
    'Training points: 33 (20 generated − 2 dropped + 15 added by dragging).'
    """
    drops = len(parse_drops(config.drop_points))
    dragged = n_region_points(config.add_regions)
    scene = config.add_n if config.add_where != "nowhere" else 0
    total = config.n_points - drops + dragged + scene
    parts = [f"{config.n_points} generated"]
    if drops:
        parts.append(f"− {drops} dropped")
    if scene:
        parts.append(f"+ {scene} added under Add points")
    if dragged:
        parts.append(f"+ {dragged} added by dragging")
    return f"Training points: {total} ({' '.join(parts)})."
