"""Figures for a phone: a grid of subplots restacked into one column (:func:`one_column`).

A grid of panels side by side is made for a wide screen. On a phone (about 360 px for the
chart) two panels side by side are 150 px each: their titles run into each other, each axis
title into the next panel, and bars and curves are too thin to read. A phone scrolls down, not
sideways, so :func:`labui.figures.show_figure` draws a phone's figure with its panels one under
another, each as tall in pixels as it was and as wide as the chart:

- the panels go column by column, top to bottom (a reliability diagram keeps its count
  histogram under it; a row of panels becomes a column in reading order);
- a y axis shared along a row (which showed its numbers only at the row's left) shows them
  on every panel;
- a panel keeps the space it had above and below it inside its column; a panel moved from
  another column gets the largest such space, or room for its title and the x axis above;
- a subplot title, a note or a shape placed in paper coordinates moves with its panel, and the
  legend or a note outside the plot keeps its distance in pixels from the plot's edge;
- titles, subplot titles and axis titles that would not fit a phone's width get a smaller
  font or more lines, and the space above each panel grows with its title's lines;
- the figure's title sits under Plotly's toolbar, which a touch screen shows all the time
  over the chart's top right (on a computer it appears only under the mouse);
- the figure grows by what the column adds.

Plain figure dictionaries in, a plotly figure out; no Streamlit calls. A figure of one panel,
or of panels already in one column, is returned as it is unless it has a title (moved under
the toolbar) or a title too wide for a phone: then only its titles change.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import plotly.graph_objects as go

from labui.present_figures import DEFAULT_FONT, TITLE_PAD, TITLE_SCALE, fit_text

PHONE_WIDTH = 340  # px: a chart on a phone (a 360–430 px screen less the page's padding)
DEFAULT_HEIGHT = 450  # px: plotly's height when a figure sets none
DEFAULT_MARGIN = {"t": 100, "b": 80}  # px: plotly's default top and bottom margins
TICKS_PX = 36  # room under a panel for its x tick labels
AXIS_TITLE_PX = 26  # … and its x axis title
TITLE_LINE_PX = 22  # room above a panel for each line of its subplot title
MODEBAR_PX = 28  # Plotly's toolbar: 26 px at the top of a chart, shown for good on a phone
NEAR_PX = 60  # a paper-placed note this close to a panel belongs to it
_AXIS = re.compile(r"^([xy])axis(\d*)$")


@dataclasses.dataclass
class _Panel:
    x_name: str  # the panel's x axis in the layout ("xaxis2"), and its y axis
    y_name: str
    x: tuple[float, float]  # paper domains before
    y: tuple[float, float]
    new_y: tuple[float, float] = (0.0, 1.0)  # paper domain after (x becomes 0–1)


def _name(ref: str) -> str:
    """The layout axis name of a reference: ``x2`` (or ``x2 domain``) → ``xaxis2``."""
    ref = ref.split()[0]
    return f"{ref[0]}axis{ref[1:]}"


def _domain(axis: dict[str, Any]) -> tuple[float, float]:
    lo, hi = axis.get("domain") or (0.0, 1.0)
    return float(lo), float(hi)


def _panels(layout: dict[str, Any]) -> list[_Panel]:
    """Each shown x axis with its own domain and the y axis it is anchored to."""
    panels = []
    for name, axis in layout.items():
        match = _AXIS.match(name)
        if not match or match.group(1) != "x" or not isinstance(axis, dict):
            continue
        if axis.get("overlaying"):
            continue
        y_name = _name(axis.get("anchor") or "y" + match.group(2))
        y_axis = layout.get(y_name)
        if not isinstance(y_axis, dict):
            y_axis = {}
        if axis.get("visible") is False and y_axis.get("visible") is False:
            continue  # a spacer row's cell: the column keeps the space it made, not the cell
        panels.append(_Panel(name, y_name, _domain(axis), _domain(y_axis)))
    return panels


def _lines(text: Any) -> int:
    return str(text).count("<br>") + 1 if text else 0


def _below(layout: dict[str, Any], panel: _Panel) -> float:
    """Px under ``panel`` for its x tick labels and its x-axis title."""
    axis = layout.get(panel.x_name) or {}
    title = axis.get("title") or {}
    text = title.get("text") if isinstance(title, dict) else title
    ticks = TICKS_PX if axis.get("showticklabels", True) is not False else 0
    return ticks + AXIS_TITLE_PX * _lines(text)


def _above(layout: dict[str, Any], panel: _Panel) -> float:
    """Px over ``panel`` for its subplot title."""
    note = _subplot_title(layout, panel)
    return TITLE_LINE_PX * _lines(note.get("text") if note else None)


def _subplot_title(layout: dict[str, Any], panel: _Panel) -> dict[str, Any] | None:
    """The annotation make_subplots puts over ``panel`` as its title, or None."""
    for note in layout.get("annotations") or ():
        if (note.get("xref") == "paper" and note.get("yref") == "paper"
                and note.get("yanchor") == "bottom" and isinstance(note.get("x"), int | float)
                and panel.x[0] <= note["x"] <= panel.x[1]
                and abs(float(note.get("y", -1)) - panel.y[1]) < 1e-6):
            return note
    return None


def _fit_to_phone(layout: dict[str, Any], panels: list[_Panel], old_px: float) -> float:
    """Fit the subplot titles and the axis titles to a panel as wide as a phone's chart, and
    the figure's title to the chart (a smaller font, then more lines).

    Returns:
        The px the x-axis titles of the lowest panels grew by (a legend under them moves down
        by as much).
    """
    margin = layout.get("margin") or {}
    plot_w = PHONE_WIDTH - margin.get("l", 80) - margin.get("r", 80)
    body = float((layout.get("font") or {}).get("size") or DEFAULT_FONT)
    lowest = min((p.y[0] for p in panels), default=0.0)
    grew = 0.0
    for panel in panels:
        note = _subplot_title(layout, panel)
        if note is not None:
            size = float((note.get("font") or {}).get("size") or body)
            fit_text(note, size, min(size, body), plot_w - 8)
        for name, room in ((panel.x_name, plot_w), (panel.y_name, (panel.y[1] - panel.y[0])
                                                   * old_px)):
            title = (layout.get(name) or {}).get("title")
            if isinstance(title, dict) and title.get("text"):
                size = float((title.get("font") or {}).get("size") or body)
                before = _lines(title["text"]) * size * 1.3
                after = fit_text(title, size, min(size, body), room - 8)
                if name == panel.x_name and abs(panel.y[0] - lowest) < 1e-6:
                    grew = max(grew, after - before)
    title = layout.get("title")
    if isinstance(title, dict) and title.get("text"):
        size = float((title.get("font") or {}).get("size") or round(body * TITLE_SCALE))
        fit_text(title, size, min(size, body), PHONE_WIDTH - 2 * TITLE_PAD)
    return grew


def _top_margin(layout: dict[str, Any], above: float, top: float) -> int:
    """The top margin that holds, from the top of the chart down, Plotly's toolbar (always
    shown on a touch screen, over the chart's top right), the figure's title and the top
    panel's subplot title (``above`` px): at least ``top``. The title is placed under the
    toolbar."""
    room = MODEBAR_PX + above
    title = layout.get("title")
    if isinstance(title, dict) and title.get("text"):
        size = float((title.get("font") or {}).get("size")
                     or round(float((layout.get("font") or {}).get("size") or DEFAULT_FONT)
                              * TITLE_SCALE))
        lines = _lines(title["text"])
        # Plotly draws a title of several lines half a line higher per extra line than its
        # "top" anchor says (measured in Chromium): the pad makes up for it.
        pad = MODEBAR_PX + TITLE_PAD + (lines - 1) * size * 1.3 / 2
        title.update({"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": round(pad)}})
        room += TITLE_PAD + lines * size * 1.3 + 4
    return max(round(top), round(room))


def _room_under(layout: dict[str, Any], grew: float, plot_px: float) -> None:
    """``grew`` px more under the plot area (an x-axis title took more lines): the bottom
    margin and the figure grow by it, and a legend under the plot moves down by it."""
    if grew <= 0:
        return
    margin = layout.setdefault("margin", {})
    margin["b"] = round(margin.get("b", DEFAULT_MARGIN["b"]) + grew)
    layout["height"] = round(layout["height"] + grew)
    legend = layout.get("legend")
    if isinstance(legend, dict) and isinstance(legend.get("y"), int | float) and legend["y"] < 0:
        legend["y"] -= grew / plot_px


def _paper(value: float) -> float:
    """A domain end in [0, 1], without the last bits of rounding (plotly rejects −1e-17)."""
    return min(1.0, max(0.0, round(value, 9)))


def _columns(panels: list[_Panel]) -> list[list[_Panel]]:
    """The panels grouped by column (left to right), each column top to bottom."""
    lefts = sorted({round(p.x[0], 6) for p in panels})
    return [sorted((p for p in panels if round(p.x[0], 6) == left), key=lambda p: -p.y[1])
            for left in lefts]


def one_column(fig: go.Figure) -> go.Figure:
    """``fig`` with its panels stacked in one column (see the module docstring).

    Example:
        >>> from plotly.subplots import make_subplots
        >>> fig = make_subplots(1, 2, subplot_titles=("left", "right"))
        >>> _ = fig.add_scatter(x=[0, 1], y=[0, 1], row=1, col=1)
        >>> _ = fig.add_scatter(x=[0, 1], y=[1, 0], row=1, col=2)
        >>> phone = one_column(fig)
        >>> phone.layout.xaxis2.domain, phone.layout.height > 450
        ((0.0, 1.0), True)
    """
    layout = fig.layout.to_plotly_json()  # a deep copy: ``fig`` is not changed
    panels = _panels(layout)
    columns = _columns(panels)
    height = float(layout.get("height") or DEFAULT_HEIGHT)
    margin = {**DEFAULT_MARGIN, **(layout.get("margin") or {})}
    old_px = height - margin["t"] - margin["b"]
    grew = _fit_to_phone(layout, panels, old_px)
    if len(columns) < 2:  # one column already: only titles change (too wide, under the toolbar)
        top = _top_margin(layout, _above(layout, panels[0]) if panels else 0.0, margin["t"])
        if top <= margin["t"] and layout == fig.layout.to_plotly_json():
            return fig
        layout["margin"] = {**(layout.get("margin") or {}), "t": top}
        layout["height"] = round(height + top - margin["t"])
        _room_under(layout, grew, old_px)
        return go.Figure(data=fig.data, layout=layout, _validate=False)

    def px(span: tuple[float, float]) -> float:
        return (span[1] - span[0]) * old_px

    inner = [(c[i].y[0] - c[i + 1].y[1]) * old_px
             for c in columns for i in range(len(c) - 1)]
    order: list[_Panel] = []
    gaps: list[float] = []  # px above each panel after the first
    for column in columns:
        for i, panel in enumerate(column):
            if order:
                room = _below(layout, order[-1]) + _above(layout, panel)
                kept = (column[i - 1].y[0] - panel.y[1]) * old_px if i else max(inner, default=0)
                gaps.append(max(room, kept))
            order.append(panel)
    above_first = _above(layout, order[0])  # before the titles move with their panels
    new_px = sum(px(p.y) for p in order) + sum(gaps)
    top = new_px
    for i, panel in enumerate(order):
        top -= gaps[i - 1] if i else 0.0
        panel.new_y = (_paper((top - px(panel.y)) / new_px), _paper(top / new_px))
        top -= px(panel.y)

    scale = old_px / new_px
    by_x = {p.x_name: p for p in panels}
    by_y = {p.y_name: p for p in panels}
    for panel in panels:
        layout[panel.x_name]["domain"] = [0.0, 1.0]
        y_axis = layout.setdefault(panel.y_name, {})
        y_axis["domain"] = list(panel.new_y)
        if y_axis.get("matches"):  # a y axis shared along a row showed its numbers once, at
            y_axis["showticklabels"] = True  # the row's left; now each panel has its own row

    def new_x(x: float, panel: _Panel) -> float:
        return (x - panel.x[0]) / (panel.x[1] - panel.x[0])

    def new_y(y: float, panel: _Panel) -> float:  # keeps the px offset from the panel's bottom
        return panel.new_y[0] + (y - panel.y[0]) * scale

    def outside(y: float) -> float:  # keeps the px distance from the plot area's edge
        return y * scale if y < 0 else 1 + (y - 1) * scale if y > 1 else y

    def owner(x: float, y: float) -> _Panel | None:
        near = [(max(p.y[0] - y, y - p.y[1], 0.0) * old_px, i, p) for i, p in enumerate(order)
                if p.x[0] - 1e-6 <= x <= p.x[1] + 1e-6]
        best = min(near, default=None)
        return best[2] if best is not None and best[0] <= NEAR_PX else None

    def move(item: dict[str, Any], xs: tuple[str, ...], ys: tuple[str, ...]) -> None:
        xref, yref = item.get("xref", "paper"), item.get("yref", "paper")
        x_paper, y_paper = xref == "paper", yref == "paper"
        if not (x_paper or y_paper):
            return  # placed on its axes: it moves with them
        x0, y0 = item.get(xs[0], 0.5), item.get(ys[0], 0.5)
        panel = (owner(x0, y0) if x_paper and y_paper
                 else by_y.get(_name(yref)) if x_paper else by_x.get(_name(xref)))
        for key in xs if x_paper and panel is not None else ():
            if isinstance(item.get(key), int | float):
                item[key] = new_x(item[key], panel)
        for key in ys if y_paper else ():
            if isinstance(item.get(key), int | float):
                item[key] = new_y(item[key], panel) if panel else outside(item[key])

    for note in layout.get("annotations") or ():
        move(note, ("x",), ("y",))
    for shape in layout.get("shapes") or ():
        move(shape, ("x0", "x1"), ("y0", "y1"))
    for image in layout.get("images") or ():
        move(image, ("x",), ("y",))
    legend = layout.get("legend")
    if isinstance(legend, dict) and isinstance(legend.get("y"), int | float):
        legend["y"] = outside(legend["y"])
    bars = {}  # colour bars placed beside a panel move with it
    for i, trace in enumerate(fig.data):
        bar = getattr(trace, "colorbar", None)
        panel = by_y.get(_name(getattr(trace, "yaxis", None) or "y"))
        if bar is None or panel is None or not isinstance(bar.y, int | float):
            continue
        bars[i] = {"y": new_y(bar.y, panel)}
        if isinstance(bar.len, int | float) and bar.lenmode != "pixels":
            bars[i]["len"] = bar.len * scale
    margin["t"] = _top_margin(layout, above_first, margin["t"])
    layout["margin"] = {**(layout.get("margin") or {}), "t": margin["t"]}
    layout["height"] = round(new_px + margin["t"] + margin["b"])
    _room_under(layout, grew, new_px)
    phone = go.Figure(data=fig.data, layout=layout, _validate=False)
    for i, changes in bars.items():
        phone.data[i].colorbar.update(changes)
    return phone
