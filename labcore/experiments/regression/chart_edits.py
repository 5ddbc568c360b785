"""Editing the Regression data on its chart: what a selection, a click or a typed x range
does to the edit fields (``add_regions``, ``drop_points``) in each chart mode.

The fields' syntax, limits and the points they generate are in
:mod:`labcore.experiments.regression.regions`; this module only turns a user's action into new
field values; the page then checks them with
:func:`~labcore.experiments.regression.regions.check_edits`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from labcore.data.regression import GRID_RANGE
from labcore.errors import SettingError
from labcore.experiments.regression.regions import (
    X_DECIMALS,
    Region,
    format_drops,
    format_regions,
    parse_drops,
    parse_regions,
)


def _selection(event: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not event:
        return {}
    inner = event.get("selection", event)
    return inner if isinstance(inner, Mapping) else {}


def selected_x_extent(event: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """The x extent of a box or lasso selection (the last one drawn), or None.

    Args:
        event: Streamlit's plotly selection event,
            ``{"selection": {"points": [...], "box": [{"x": [x0, x1], ...}], "lasso": [...]}}``
            (a box's ``x`` holds its two edges, a lasso's every vertex).

    >>> selected_x_extent({"selection": {"box": [{"x": [2.5, -1.0], "y": [0, 1]}]}})
    (-1.0, 2.5)
    """
    selection = _selection(event)
    shapes = [*selection.get("box", []), *selection.get("lasso", [])]
    xs = [float(v) for v in (shapes[-1].get("x") or [])] if shapes else []
    xs = [v for v in xs if math.isfinite(v)]
    return (min(xs), max(xs)) if xs else None


def region_from_selection(event: Mapping[str, Any] | None, n: int) -> Region | None:
    """The region a box or lasso drag adds: its x extent clipped to the plotted range and
    rounded to :data:`X_DECIMALS` decimals, with ``n`` points; None without a usable drag.

    >>> region_from_selection({"selection": {"box": [{"x": [-3.512, 9.0]}]}}, 20)
    Region(x0=-3.51, x1=6.0, n=20)
    """
    extent = selected_x_extent(event)
    if extent is None:
        return None
    lo, hi = GRID_RANGE
    x0 = round(min(max(extent[0], lo), hi), X_DECIMALS)
    x1 = round(min(max(extent[1], lo), hi), X_DECIMALS)
    return Region(x0, x1, int(n)) if x0 < x1 else None


def clicked_indices(event: Mapping[str, Any] | None, generated_x: np.ndarray) -> list[int]:
    """Indices of the generated training points a click selected, matched by x.

    A selected point counts when it belongs to the training-data trace (legend group
    ``"data"``, when the event names one) and its x equals a generated point's x (to 10⁻⁶);
    added points and curves are ignored.

    >>> event = {"selection": {"points": [{"x": 0.5, "y": 1.0, "legendgroup": "data"},
    ...                                   {"x": 0.5, "y": 2.0, "legendgroup": "mean"}]}}
    >>> clicked_indices(event, np.array([-1.0, 0.5, 2.0]))
    [1]
    """
    found = set()
    for point in _selection(event).get("points", []):
        group = point.get("legendgroup")
        if group not in (None, "data") or point.get("x") is None:
            continue
        distance = np.abs(generated_x - float(point["x"]))
        if distance.size and float(distance.min()) <= 1e-6:
            found.add(int(np.argmin(distance)))
    return sorted(found)


ChartMode = Literal["look", "add", "remove"]
"""What a drag or click on the bands chart does: nothing (the page scrolls, on a phone too),
add points over the dragged x range, or remove the training points clicked or boxed."""


def apply_selection(add_regions: str, drop_points: str, event: Mapping[str, Any] | None,
                    per_drag: int, generated_x: np.ndarray,
                    mode: ChartMode = "add") -> tuple[str, str] | None:
    """The edit fields after one chart selection, or None when it changes nothing.

    In ``"add"`` mode a box or lasso drag appends a region over its x extent with ``per_drag``
    points; in ``"remove"`` mode the generated training points the selection holds (a click
    on one, or those inside a box or lasso) are added to the dropped ones. ``"look"`` edits
    nothing.

    Args:
        add_regions, drop_points: the current edit fields.
        event: Streamlit's selection event (see :func:`selected_x_extent`).
        per_drag: points a drag adds.
        generated_x: (n_points,) the generated training inputs before any drop, sorted.
        mode: what the chart does (:data:`ChartMode`).

    Returns:
        ``(add_regions, drop_points)`` after the edit.

    >>> apply_selection("1:2:5", "", {"selection": {"box": [{"x": [-1, 0]}]}}, 10, np.zeros(3))
    ('1:2:5,-1:0:10', '')
    >>> click = {"selection": {"points": [{"x": 0.5, "y": 1.0}]}}
    >>> apply_selection("", "", click, 10, np.array([-1.0, 0.5]), mode="remove")
    ('', '1')
    >>> apply_selection("", "", click, 10, np.array([-1.0, 0.5]), mode="add") is None
    True
    """
    if mode == "add":
        region = region_from_selection(event, per_drag)
        if region is None:
            return None
        return format_regions([*parse_regions(add_regions), region]), drop_points
    if mode != "remove":
        return None
    return _with_drops(add_regions, drop_points, clicked_indices(event, generated_x))


def _with_drops(add_regions: str, drop_points: str,
                indices: Sequence[int]) -> tuple[str, str] | None:
    dropped = set(parse_drops(drop_points))
    if not indices or dropped.issuperset(indices):
        return None
    return add_regions, format_drops(dropped | set(indices))


def _checked_range(x0: float, x1: float) -> tuple[float, float]:
    lo, hi = GRID_RANGE
    if not (math.isfinite(x0) and math.isfinite(x1)) or x0 >= x1:
        raise SettingError(f"'From x' must be below 'To x'. Got from {x0:g} to {x1:g}.")
    if x0 < lo or x1 > hi:
        raise SettingError(f"Both ends must lie inside the plotted range [{lo:g}, {hi:g}]. "
                           f"Got from {x0:g} to {x1:g}.")
    return round(x0, X_DECIMALS), round(x1, X_DECIMALS)


def add_range(add_regions: str, x0: float, x1: float, n: int) -> str:
    """The regions after adding ``n`` points over ``[x0, x1]`` (the keyboard's way to drag).

    Raises:
        SettingError: when the range is empty, reversed or off the chart.

    >>> add_range("1:2:5", -0.5, 0.5, 15)
    '1:2:5,-0.5:0.5:15'
    """
    x0, x1 = _checked_range(float(x0), float(x1))
    return format_regions([*parse_regions(add_regions), Region(x0, x1, int(n))])


def remove_range(add_regions: str, drop_points: str, generated_x: np.ndarray,
                 x0: float, x1: float) -> tuple[str, str] | None:
    """The edit fields after dropping every generated training point with x in ``[x0, x1]``;
    None when no such point is left to drop.

    >>> remove_range("", "0", np.array([-1.0, 0.2, 0.4, 3.0]), 0.0, 1.0)
    ('', '0,1,2')
    """
    x0, x1 = _checked_range(float(x0), float(x1))
    inside = np.flatnonzero((generated_x >= x0) & (generated_x <= x1))
    return _with_drops(add_regions, drop_points, [int(i) for i in inside])


def undo_edit(add_regions: str, drop_points: str) -> tuple[str, str]:
    """Without a recorded history: remove the last region, or else the last dropped index.

    >>> undo_edit("1:2:5,3:4:5", "7"), undo_edit("", "3,7")
    (('1:2:5', '7'), ('', '3'))
    """
    regions = parse_regions(add_regions)
    if regions:
        return format_regions(regions[:-1]), drop_points
    return add_regions, format_drops(parse_drops(drop_points)[:-1])


# --- what the edits did -----------------------------------------------------------------------
