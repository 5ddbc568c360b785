"""Data edits of the Regression lab: regions of added points and dropped training points.

A user drags across the bands chart to add points in an x range, or clicks training points to
remove them. The edits live in two compact text fields of
:class:`~labcore.experiments.regression.config.RegressionConfig`, so a link reproduces them:

- ``add_regions``: ``"x0:x1:n,..."``, e.g. ``"-3.5:-2:20,1:2.5:20"``: n points with x uniform
  on [x0, x1], drawn from the true generator (the same f(x) and noise σ(x) as the training
  data) with a seed derived from the config's seed and the region itself;
- ``drop_points``: ``"i,j,..."``, indices of generated training points to leave out, in the
  order of their draw (sorted by x, 0 the leftmost, when the inputs carry no noise).

This module parses, formats and validates both and draws the added points;
:mod:`~labcore.experiments.regression.drag_report` measures what the added points did to the
bands in their regions. It imports neither Streamlit nor plotly.

Example:
    >>> parse_regions("-3.5:-2:20, 1:2.5:20")
    (Region(x0=-3.5, x1=-2.0, n=20), Region(x0=1.0, x1=2.5, n=20))
    >>> format_regions(parse_regions("-3.50:-2:20"))
    '-3.5:-2:20'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from labcore.config import FieldError, echo
from labcore.data.regression import GRID_RANGE, make_regression

if TYPE_CHECKING:
    from labcore.experiments.regression.config import RegressionConfig

MAX_ADDED = 1000
"""The most points all regions may add together (the same cap as "Points to add")."""
MAX_REGIONS = 20
"""The most regions one experiment may have."""
MIN_KEPT = 5
"""Generated training points that must remain after dropping (the smallest "Training points")."""
X_DECIMALS = 2
"""A dragged region's ends are rounded to this many decimals (a short, readable URL)."""
DEFAULT_PER_DRAG = 20
"""Points one drag adds unless the user asks for another number."""


class Region(NamedTuple):
    """n added points with x uniform on [x0, x1]."""

    x0: float
    x1: float
    n: int


def number_text(value: float) -> str:
    """The shortest text that reads back as the same float: ``-2.0`` → ``"-2"``.

    >>> number_text(-2.0), number_text(0.125), number_text(1 / 3)
    ('-2', '0.125', '0.3333333333333333')
    """
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def format_regions(regions: Sequence[Region]) -> str:
    """The ``add_regions`` text of some regions (``""`` for none); :func:`parse_regions` reads
    it back exactly."""
    return ",".join(f"{number_text(r.x0)}:{number_text(r.x1)}:{r.n}" for r in regions)


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
