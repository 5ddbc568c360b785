"""The headline numbers over N seeds, as strips: :func:`spread_figure`.

:func:`spread_figure` draws :class:`labcore.whatif.Spread` values as strips (one panel per
headline number, the current seed a large diamond); with B beside A, lines join the runs that
share a seed, so a difference can be judged against the seed-to-seed noise. The colours and
layout here are those of every "What if?" figure (:mod:`labcore.plots.whatif` draws each lab's
A and B): A is always :data:`A_COLOUR`, B :data:`B_COLOUR`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from labcore.plots import palette
from labcore.plots._spec import (
    axis_key,
    figure,
    grid,
    merge,
    on_axes,
    plain_text,
    scatter,
    trace,
)
from labcore.whatif import Spread

A_COLOUR = palette.BLUE  # run A on every What-if figure
B_COLOUR = palette.VERMILLION  # run B (blue against vermillion: apart for every colour vision)
PAIR_COLOUR = palette.rgba(palette.GREY, 0.5)  # the faint line joining one seed's A and B
TARGET_COLOUR = palette.BASELINE
Z95 = 1.96  # a central 95 % Gaussian interval is mean ± 1.96 σ
JITTER = 0.3  # how far a strip's points spread sideways (x units; A and B are 1 apart)
MAX_PER_ROW = 4  # headline-number panels in one row; more take two rows

Spec = dict[str, Any]
Labels = tuple[str, str]

LAYOUT = {  # the template, plotly_white, is set by _spec.figure
    "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0},
}


def title_spec(text: str, **extra: Any) -> Spec:
    """An axis or figure title spec: ``{"title": {"text": text}, **extra}``."""
    return {"title": {"text": text}, **extra}


def layout_spec(**extra: Any) -> Spec:
    """A fresh copy of the common layout, updated with ``extra`` (deep-merged)."""
    return merge(merge({}, LAYOUT), extra)


def legend_name(label: str, what: str) -> str:
    """A legend name: the run's label (shown as text), then what the trace is."""
    return f"{plain_text(label)}: {what}"


# --- the headline numbers over N seeds ---------------------------------------------------------

def jitter(n: int) -> np.ndarray:
    """(n,) sideways offsets in [−JITTER/2, JITTER/2) for a strip of n points: a fixed
    low-discrepancy sequence (multiples of the golden ratio), so a redraw does not move them.

    >>> jitter(3).round(3).tolist()
    [-0.15, 0.035, -0.079]
    """
    return JITTER * ((np.arange(n) * 0.6180339887) % 1.0 - 0.5)


def _finite(values: np.ndarray) -> list[float | None]:
    """Values as plotly draws them: a value that is not finite is left out (None)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _axis_label(spread: Spread) -> str:
    unit = spread.number.unit.strip()
    return plain_text(spread.number.label) + (f" ({unit})" if unit else "")


def _strip(spread: Spread, x: float, label: str | None, colour: str, legend: bool,
           mark_legend: bool) -> list[Spec]:
    """One setting's strip: a box (median, quartiles), a point per seed, the current seed."""
    number = spread.number
    xs = x + jitter(spread.values.size)
    who = f"{plain_text(label)}, " if label is not None else ""
    value = f"%{{y:.{number.digits}f}}{plain_text(number.unit)}"
    finite = spread.values[np.isfinite(spread.values)]
    return [
        trace("box", x=[x] * finite.size, y=finite, width=0.55, boxpoints=False,
              line={"color": colour, "width": 1}, fillcolor=palette.rgba(colour, 0.08),
              name=legend_name(label, "median and quartiles") if label else "median and quartiles",
              legendgroup=f"box{label}", showlegend=False, hoverinfo="y"),
        scatter(xs, _finite(spread.values), mode="markers",
                marker={"color": palette.rgba(colour, 0.75), "size": 8},
                customdata=spread.seeds.astype(int).tolist(),
                name=legend_name(label, "one dot per seed") if label else "one dot per seed",
                legendgroup=f"seeds{label}", showlegend=legend,
                hovertemplate=f"{who}seed %{{customdata}}<br>{_axis_label(spread)}: {value}"
                              "<extra></extra>"),
        scatter([xs[0]], _finite(spread.values[:1]), mode="markers",
                marker={"color": colour, "size": 15, "symbol": "diamond",
                        "line": {"color": palette.BLACK, "width": 1.5}},
                name=f"this seed (seed {int(spread.seeds[0])})", legendgroup="current",
                showlegend=mark_legend,
                hovertemplate=f"{who}this seed ({int(spread.seeds[0])})<br>"
                              f"{_axis_label(spread)}: {value}<extra></extra>"),
    ]


def _pairs(a: Spread, b: Spread, x_b: float) -> tuple[list[float | None], list[float | None]]:
    """x then y of the segments joining each seed's A value (x 0) to its B value (x ``x_b``),
    paired by position as :func:`labcore.whatif.wins` pairs them; None breaks the line."""
    xa, xb = jitter(a.values.size), x_b + jitter(b.values.size)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for i, (va, vb) in enumerate(zip(_finite(a.values), _finite(b.values), strict=True)):
        xs += [float(xa[i]), float(xb[i]), None]
        ys += [va, vb, None]
    return xs, ys


def spread_figure(a: Sequence[Spread], b: Sequence[Spread] | None = None, *,
                  labels: Labels = ("A", "B")) -> go.Figure:
    """The headline numbers over N seeds: one panel per number, a strip of dots per setting.

    Each dot is one seed's value; the box spans the quartiles with the median; the large
    diamond is the current seed (``values[0]``); a dashed line marks a number's target. With
    ``b``, B's strip stands beside A's and faint lines join the two runs of the same seed.

    Args:
        a: A's spreads (or the only setting's), one per headline number.
        b: B's spreads, the same numbers (by key), or None.
        labels: the names of A and B in the legend and under the strips.

    Raises:
        ValueError: no spreads, or A and B do not have the same numbers.
    """
    if not a:
        raise ValueError("A spread figure needs at least one headline number. Got none.")
    if b is not None and [s.number.key for s in a] != [s.number.key for s in b]:
        raise ValueError(f"A and B must have the same headline numbers. Got "
                         f"{[s.number.key for s in a]} and {[s.number.key for s in b]}.")
    rows = 1 if len(a) <= MAX_PER_ROW else 2
    cols = -(-len(a) // rows)
    layout = grid(rows, cols, [s.number.rule for s in a], horizontal_spacing=0.08,
                  vertical_spacing=0.22)
    traces: list[Spec] = []
    paired = b is not None and all(sa.values.size == sb.values.size
                                   for sa, sb in zip(a, b, strict=True))
    for k, spread in enumerate(a):
        index, first = k + 1, k == 0
        other = b[k] if b is not None else None
        if other is not None and paired:
            xs, ys = _pairs(spread, other, 1.0)
            traces.append(on_axes(scatter(
                xs, ys, mode="lines", line={"color": PAIR_COLOUR, "width": 1},
                name=f"the same seed in {plain_text(labels[0])} and {plain_text(labels[1])}",
                legendgroup="pairs", showlegend=first,
                hoverinfo="skip"), index))
        strips = [(0.0, spread, labels[0] if other is not None else None, A_COLOUR)]
        if other is not None:
            strips.append((1.0, other, labels[1], B_COLOUR))
        for g, (x, s, label, colour) in enumerate(strips):
            traces += [on_axes(t, index) for t in _strip(s, x, label, colour, first,
                                                         first and g == 0)]
        number = spread.number
        if number.better == "target":
            right = 1.5 if other is not None else 0.5
            traces.append(on_axes(scatter(
                [-0.5, right], [number.target] * 2, mode="lines",
                line={"color": TARGET_COLOUR, "dash": "dash", "width": 1.5},
                name="target (dashed line)", legendgroup="target",
                showlegend=not any(t.get("legendgroup") == "target" for t in traces),
                hovertemplate=f"target {number.text(number.target)}<extra></extra>"), index))
        ticks = ([0, 1], [plain_text(labels[0]), plain_text(labels[1])]) if other is not None \
            else ([0], ["these settings"])
        bottom = index + cols > len(a)  # nothing below: the x title has room
        merge(layout, {
            axis_key("x", index): {
                **(title_spec("setting (dot = one seed)" if other is not None else "dot = one seed")
                   if bottom else {}),
                "tickvals": ticks[0], "ticktext": ticks[1], "range": [-0.5, ticks[0][-1] + 0.5],
                "showgrid": False, "zeroline": False},
            axis_key("y", index): title_spec(_axis_label(spread)),
        })
    for index in range(len(a) + 1, rows * cols + 1):  # an empty last panel
        merge(layout, {axis_key("x", index): {"visible": False},
                       axis_key("y", index): {"visible": False}})
    n_a = a[0].values.size
    n_b = b[0].values.size if b is not None else n_a
    seeds = f"{n_a} seeds" if n_a == n_b else f"{n_a} and {n_b} seeds"
    title = (f"{plain_text(labels[0])} and {plain_text(labels[1])} over {seeds}, paired by "
             "seed" if b is not None else f"The headline numbers over {seeds}")
    merge(layout, {**title_spec(title), "height": 360 if rows == 1 else 420, **LAYOUT})
    merge(layout, {"legend": {"yref": "container", "y": 0, "yanchor": "bottom"},
                   "margin": {"t": 70, "b": 95}})
    return figure(traces, layout)


# --- one A/B figure per lab --------------------------------------------------------------------
