"""Presentation mode's figures: larger fonts, thicker lines, bigger markers, and titles and
legends fitted to a projector (:func:`presentation_figure`, applied by
:func:`labui.figures.show_figure` while :func:`labui.present.presenting`).

Plain figure dictionaries in, a plotly figure out; no Streamlit calls. :func:`side_by_side`
and :func:`height_limit` tell it, for the figures drawn in their block, how many share a row
and how tall one may be (``tests/e2e/test_projector.py`` measures the result in a browser).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

import plotly.graph_objects as go

_SHARE = contextvars.ContextVar("present_share", default=1)  # charts side by side
_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("present_limit", default=None)

FONT_SCALE = 1.6  # figure text: 12 px → 19 px
WIDE_FONT_SCALE = 1.25  # … in a figure of three or more subplots side by side, each narrow
LINE_SCALE = 1.75  # line widths: 2 px → 3.5 px
MARKER_SCALE = 1.4  # marker sizes: 6 px → 8.4 px
DEFAULT_FONT = 12  # plotly's font size when a figure sets none
DEFAULT_LINE = 2  # plotly's scatter line width
DEFAULT_MARKER = 6  # plotly's scatter marker size
HEIGHT_SCALE = 1.2  # a figure's fixed height grows with its text …
MAX_HEIGHT = 420  # px … up to what fits a 1280×720 projector under a page's title and controls
REFERENCE_WIDTH = 1160  # px: a full-width chart on a 1280 px wide screen (titles must fit it)
TEXT_EM = 0.48  # a generous average glyph width of plotly's sans-serif font, in em
TITLE_SCALE = 1.4  # plotly's title font: 1.4 × the figure's font
AXIS_TITLE_SCALE = 1.0  # plotly's axis title font: the figure's font
LEGEND_SCALE = 1.3  # legend text grows less than the rest: a legend is read once, and a
# long one below a chart would otherwise take more of the projector's height than the plot
TITLE_PAD = 8  # px above the figure title


def _scaled(value: Any, factor: float, default: float) -> float:
    size = default if value is None else value
    return round(float(size) * factor, 1)


def _scale_fonts(node: Any, factor: float) -> None:
    """Multiply every ``font.size`` (and ``textfont``/``tickfont``… sizes) under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            size = value.get("size") if key.endswith("font") and isinstance(value, dict) else None
            if isinstance(size, int | float):
                value["size"] = _scaled(size, factor, DEFAULT_FONT)
            _scale_fonts(value, factor)
    elif isinstance(node, list):
        for item in node:
            _scale_fonts(item, factor)


def _thicken(trace: dict[str, Any]) -> None:
    """Thicker lines and bigger markers for one trace (invisible edges stay invisible)."""
    kind = trace.get("type", "scatter")
    if kind not in ("scatter", "scattergl", "scatterpolar", "contour"):
        return
    mode = trace.get("mode", "lines" if kind != "contour" else "")
    line = trace.setdefault("line", {}) if ("lines" in mode or kind == "contour") else None
    if line is not None and line.get("width", DEFAULT_LINE) != 0:
        line["width"] = _scaled(line.get("width"), LINE_SCALE, DEFAULT_LINE)
    if "markers" in mode:
        marker = trace.setdefault("marker", {})
        size = marker.get("size")
        if size is None or isinstance(size, int | float):
            marker["size"] = _scaled(size, MARKER_SCALE, DEFAULT_MARKER)


def _plain_lines(text: str) -> list[str]:
    """The lines of a plotly text (``<br>`` breaks lines, other tags take no room)."""
    return [re.sub(r"<[^>]*>", "", line) for line in re.split(r"<br\s*/?>", text, flags=re.I)]


def _ems(line: str) -> float:
    """A line's width in em: ``<sup>``/``<sub>`` text is drawn at 70 %, tags take no room."""
    small = sum(len(m) for m in re.findall(r"<su[pb]>(.*?)</su[pb]>", line, flags=re.I))
    plain = len(re.sub(r"<[^>]*>", "", line))
    return (plain - 0.3 * small) * TEXT_EM


def _text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text``'s longest line at font ``size`` (generous)."""
    return max(_ems(line) for line in re.split(r"<br\s*/?>", text, flags=re.I)) * size


def _wrap(text: str, size: float, width: float) -> str:
    """``text`` broken (greedily) into lines no wider than ``width`` at ``size``: after a "·"
    where that is enough, else between words, never inside a short "(…)"."""
    lines: list[str] = []
    for line in re.split(r"<br\s*/?>", text, flags=re.I):
        small = re.fullmatch(r"<(su[pb])>(.*)</su[pb]>", line.strip(), flags=re.I | re.S)
        body = small.group(2) if small else line
        factor = 0.7 if small else 1.0
        pieces = []  # break after a "·" where possible, else between words, not in "(…)"
        for part in re.split(r"(?<=·) ", body):
            fits = _ems(part) * factor * size <= width
            pieces += [part] if fits else re.split(r" (?![^()]*\))", part)
        wrapped, current = [], ""
        for piece in pieces:
            longer = f"{current} {piece}" if current else piece
            if current and _ems(longer) * factor * size > width:
                wrapped.append(current)
                current = piece
            else:
                current = longer
        wrapped.append(current)
        tag = small.group(1) if small else None
        lines += [f"<{tag}>{w}</{tag}>" if tag else w for w in wrapped]
    return "<br>".join(lines)


def fit_text(node: dict[str, Any], size: float, floor: float, width: float) -> float:
    """Make ``node``'s text (a title or annotation) fit ``width``: a smaller font (down to
    ``floor``), then lines broken at spaces. Returns the height in px the text then takes."""
    text = str(node.get("text") or "")
    if width > 0 and _text_width(text, size) > width:
        size = max(floor, round(size * width / _text_width(text, size), 1))
        node.setdefault("font", {})["size"] = size
        if _text_width(text, size) > width:
            text = node["text"] = _wrap(text, size, width)
    return len(_plain_lines(text)) * size * 1.3


def _template_value(template: Any, *path: str) -> Any:
    node = template.get("layout", {}) if isinstance(template, dict) else {}
    for key in path:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node if node != {} else None


def _x_domains(layout: Mapping[str, Any]) -> list[tuple[float, float]]:
    """The horizontal extents (paper fractions) of the figure's subplots, one per column."""
    found = {tuple(axis.get("domain") or (0, 1)) for key, axis in layout.items()
             if re.fullmatch(r"xaxis\d*", key) and isinstance(axis, dict)
             and axis.get("visible", True) is not False}
    return sorted((float(low), float(high)) for low, high in found) or [(0.0, 1.0)]


@contextlib.contextmanager
def side_by_side(n: int) -> Iterator[None]:
    """Figures drawn in this block sit ``n`` to a row: their titles and legends are fitted to
    1/``n`` of the width (:func:`presentation_figure`)."""
    token = _SHARE.set(n)
    try:
        yield
    finally:
        _SHARE.reset(token)


@contextlib.contextmanager
def height_limit(px: int) -> Iterator[None]:
    """Figures drawn in this block may be up to ``px`` tall when presenting, instead of
    :data:`MAX_HEIGHT`: for a page whose first chart has fewer controls above it (the page's
    projector test, ``tests/e2e/test_projector.py``, checks that it still fits 1280×720)."""
    token = _LIMIT.set(px)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def _width(layout: Mapping[str, Any]) -> float:
    """The chart's width in px on a 1280 px screen (its own, or its share of the main area)."""
    return float(layout.get("width") or REFERENCE_WIDTH / _SHARE.get())


def _fit_titles(layout: dict[str, Any], template: Any) -> None:
    """Fit the figure title and the subplot titles (annotations above a subplot) into the width
    of a full-width chart on a 1280 px screen, and make room above the plot for both: the title
    at the top, the subplot titles below it, neither over the plot area."""
    width = _width(layout)
    margin = layout.setdefault("margin", {})
    left, right = margin.get("l", 80), margin.get("r", 80)
    body = float(layout["font"]["size"])
    above = 0.0  # px the subplot titles of the top row take above the plot area
    domains = _x_domains(layout)
    for note in layout.get("annotations") or []:
        if not (note.get("xref") == "paper" and note.get("yref") == "paper"
                and note.get("xanchor", "center") == "center" and not note.get("showarrow", 1)
                and note.get("yanchor") == "bottom" and isinstance(note.get("x"), int | float)):
            continue
        x = float(note["x"])
        share = next((high - low for low, high in domains if abs((low + high) / 2 - x) < 0.01),
                     2 * min(x, 1 - x))  # its subplot's width, else up to the nearer edge
        room = share * (width - left - right) - 8
        size = float((note.get("font") or {}).get("size") or body)
        height = fit_text(note, size, min(size, body), room)
        if float(note.get("y", 0)) >= 0.98:
            above = max(above, height)
    title = layout.get("title")
    if not (isinstance(title, dict) and title.get("text")):
        if above:
            margin["t"] = max(margin.get("t", 100), round(above + TITLE_PAD))
        return
    x = title.get("x", _template_value(template, "title", "x"))
    x = 0.5 if x is None else float(x)
    anchor = title.get("xanchor", "auto")
    if anchor == "auto":  # plotly's choice
        anchor = "left" if x < 1 / 3 else "right" if x > 2 / 3 else "center"
    room = width * {"left": 1 - x, "right": x}.get(anchor, 2 * min(x, 1 - x))
    size = float((title.get("font") or {}).get("size") or round(body * TITLE_SCALE))
    height = fit_text(title, size, min(size, body), room - 2 * TITLE_PAD)
    title.update({"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": TITLE_PAD}})
    needed = TITLE_PAD + height + (above + 4 if above else 4)
    margin["t"] = max(margin.get("t", 100), round(needed))


def _drop_repeated_y_titles(layout: dict[str, Any]) -> None:
    """Subplots side by side with the same y-axis title: only the leftmost keeps it (in narrow
    panels, each repeat would run into the panel on its left)."""
    groups: dict[tuple[str, tuple[float, ...]], list[tuple[float, dict[str, Any]]]] = {}
    for key, axis in layout.items():
        if not (re.fullmatch(r"yaxis\d*", key) and isinstance(axis, dict)):
            continue
        title = axis.get("title")
        text = title.get("text") if isinstance(title, dict) else None
        if not text or axis.get("side") == "right" or axis.get("overlaying"):
            continue
        anchor = layout.get(f"xaxis{str(axis.get('anchor', 'x'))[1:]}") or {}
        left = float((anchor.get("domain") or (0, 1))[0])
        domain = tuple(float(v) for v in axis.get("domain") or (0, 1))
        groups.setdefault((text, domain), []).append((left, axis))
    for axes in groups.values():
        for _, axis in sorted(axes, key=lambda pair: pair[0])[1:]:
            axis["title"] = {**axis["title"], "text": ""}


def _fit_axis_titles(layout: dict[str, Any], height: float) -> None:
    """Fit every axis title along its axis (a smaller font, then more lines): at 1.6× the
    font, "confidence = max softmax probability" no longer fits under a quarter-width panel."""
    width = _width(layout)
    margin = layout.get("margin", {})
    plot = {"x": width - margin.get("l", 80) - margin.get("r", 80),
            "y": height - margin.get("t", 100) - margin.get("b", 80)}
    body = float(layout["font"]["size"])
    for key, axis in layout.items():
        match = re.fullmatch(r"([xy])axis\d*", key)
        title = axis.get("title") if match and isinstance(axis, dict) else None
        if not (isinstance(title, dict) and title.get("text")):
            continue
        low, high = axis.get("domain") or (0, 1)
        size = float((title.get("font") or {}).get("size") or round(body * AXIS_TITLE_SCALE))
        fit_text(title, size, min(size, body), (high - low) * plot[match.group(1)] - 8)


def _legend_entries(data: list[dict[str, Any]]) -> list[str]:
    """The names the legend lists (named traces not hidden from it)."""
    return [str(t["name"]) for t in data
            if t.get("name") and t.get("showlegend", True) is not False]


def _place_legend(layout: dict[str, Any], data: list[dict[str, Any]], height: float) -> None:
    """A horizontal legend below the plot: clear of the (larger) x-axis labels and title, with
    a bottom margin that holds its estimated lines, so plotly need not squeeze the plot."""
    legend = layout.get("legend")
    if (layout.get("showlegend") is False or not isinstance(legend, dict)
            or legend.get("orientation") != "h" or not isinstance(legend.get("y"), int | float)
            or legend["y"] >= 0 or legend.get("yref", "paper") != "paper"):
        return
    entries = _legend_entries(data)
    if not entries:
        return
    margin = layout.setdefault("margin", {})
    body = float(layout["font"]["size"])
    size = float((legend.get("font") or {}).get("size") or body)
    room, lines, used = _width(layout) - margin.get("l", 80), 1, 0.0
    for name in entries:
        item = 45 + _text_width(name, size)
        if used and used + item > room:
            lines, used = lines + 1, 0.0
        used += item
    titles = [axis["title"] for key, axis in layout.items()
              if re.fullmatch(r"xaxis\d*", key) and isinstance(axis, dict)
              and isinstance(axis.get("title"), dict) and axis["title"].get("text")]
    title_height = max((len(_plain_lines(t["text"])) * 1.3
                        * float((t.get("font") or {}).get("size") or body * AXIS_TITLE_SCALE)
                        for t in titles), default=0.0)
    offset = 1.4 * body + 8 + (title_height + 15 if title_height else 0) + 6
    margin["b"] = max(margin.get("b", 80), round(offset + lines * size * 1.55 + 12))
    plot = height - margin.get("t", 100) - margin["b"]
    if plot > 0:
        legend["y"] = round(-offset / plot, 3)


def _only_images(data: list[dict[str, Any]]) -> bool:
    """Whether every trace is a picture (heatmap, image): a gallery, drawn at full size."""
    return bool(data) and all(t.get("type") in ("heatmap", "image") for t in data)


def presentation_figure(fig: go.Figure | Mapping[str, Any]) -> go.Figure:
    """A copy of ``fig`` for a projector. ``fig`` is not changed.

    Fonts × :data:`FONT_SCALE` (× :data:`WIDE_FONT_SCALE` for three or more panels side by
    side; legends × :data:`LEGEND_SCALE`), lines × :data:`LINE_SCALE`, scatter markers ×
    :data:`MARKER_SCALE`; a fixed height × :data:`HEIGHT_SCALE` but at most :data:`MAX_HEIGHT`
    (or :func:`height_limit`; galleries of pictures keep the larger height), so that a page's
    first chart fits a 1280×720 projector. Titles, subplot titles and axis titles that would
    not fit a chart on a 1280 px screen (its share with :func:`side_by_side`) get a smaller
    font or more lines; the title sits at the top with room under it for the subplot titles;
    a legend below the plot clears the axis title; a y-axis title repeated on every panel of
    a row is kept on the leftmost only.

    Done on the figure as a whole, so every page's figures get it without page code.

    Example:
        >>> fig = presentation_figure(go.Figure(go.Scatter(y=[1, 2], line={"width": 2})))
        >>> fig.layout.font.size, fig.data[0].line.width
        (19.2, 3.5)
    """
    spec = copy.deepcopy(fig.to_plotly_json() if isinstance(fig, go.Figure) else dict(fig))
    layout = spec.setdefault("layout", {})
    template = layout.pop("template", None)
    base = layout.setdefault("font", {}).setdefault("size", DEFAULT_FONT)
    legend_size = (layout.get("legend") or {}).get("font", {}).get("size") or base
    scale = FONT_SCALE if len(_x_domains(layout)) < 3 else WIDE_FONT_SCALE
    _scale_fonts(layout, scale)
    layout.setdefault("legend", {}).setdefault("font", {})["size"] = round(
        legend_size * LEGEND_SCALE, 1)
    data = spec.get("data", [])
    if isinstance(layout.get("height"), int | float):
        height = round(layout["height"] * HEIGHT_SCALE)
        limit = _LIMIT.get() or MAX_HEIGHT
        layout["height"] = height if _only_images(data) else min(height, limit)
    _fit_titles(layout, template)
    _drop_repeated_y_titles(layout)
    height = float(layout.get("height") or 450)
    _fit_axis_titles(layout, height)
    _place_legend(layout, data, height)
    _fit_axis_titles(layout, height)  # the y-axis titles again, along the plot that is left
    for trace in data:
        _thicken(trace)
        _scale_fonts(trace, scale)
    if template is not None:
        layout["template"] = template
    return go.Figure(data=data, layout=layout, _validate=False)
