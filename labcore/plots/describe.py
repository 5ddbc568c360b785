"""A figure in words: the text alternative a screen reader reads for a chart.

:func:`describe_figure` reads a built figure's own data and layout (not the result it was
built from), so the words say what the chart draws: its title as the accessible name, and a
description with the chart type, what each axis shows, and per trace the numbers that matter,
formatted as on screen (three significant digits; ``%`` where the axis shows percentages).

Example:
    >>> fig = {"data": [{"type": "scatter", "mode": "lines", "name": "mean",
    ...                  "x": [0, 1, 2], "y": [1, 4, 2]}],
    ...        "layout": {"title": {"text": "A curve"}, "xaxis": {"title": {"text": "x"}}}}
    >>> text = describe_figure(fig)
    >>> text.name
    'A curve'
    >>> text.description
    'Line chart. x axis: x. mean: line, x from 0 to 2, y from 1 to 4, mean 2.33.'
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_TRACES = 12  # traces described one by one; the rest are counted ("and 3 more traces")
MAX_CHARS = 600  # a description's length at most, the count of what was left out included
MAX_NAME = 80  # a trace or axis name's length at most in a description
FALLBACK_NAME = "Chart"  # the accessible name of a figure with no title and no panel titles
TOP_BARS = 3  # bars named in a bar chart's description, largest first
MAX_PANELS = 4  # panel titles named in a description

_KINDS = {  # trace kind → (a chart of only that kind, the kind in a list)
    "line": ("Line chart", "lines"), "band": ("Band chart", "bands"),
    "points": ("Scatter plot", "points"), "bars": ("Bar chart", "bars"),
    "histogram": ("Histogram", "histograms"), "heatmap": ("Heatmap", "heatmaps"),
    "contour": ("Contour plot", "contours"),
}


@dataclass(frozen=True)
class FigureText:
    """A chart's text alternative.

    Attributes:
        name: the accessible name: the figure's title as plain text (its panels' titles, or
            :data:`FALLBACK_NAME`, when it has none).
        description: what the chart shows, with its numbers (at most :data:`MAX_CHARS`).
    """

    name: str
    description: str


def array(values: Any) -> np.ndarray:
    """A trace array as numpy: plotly's JSON keeps numeric arrays as typed arrays
    (``{"dtype": "f8", "bdata": <base64>, "shape": "2, 3"}``); numpy arrays pass through,
    lists and tuples become object arrays (their numbers and labels kept as they are).

    Example:
        >>> array({"dtype": "i1", "bdata": "AQID"}).tolist()
        [1, 2, 3]
    """
    if isinstance(values, Mapping) and "bdata" in values:
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = values.get("shape")
        return flat.reshape([int(n) for n in shape.split(",")]) if shape else flat
    if isinstance(values, np.ndarray):
        return values
    return np.asarray(values, dtype=object)


def is_number(value: Any) -> bool:
    """A real number (not a bool, not a string)."""
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def is_band_edge(trace: Mapping[str, Any], following: Mapping[str, Any] | None) -> bool:
    """Whether ``trace`` is the unnamed first edge of a band that ``following`` fills up to."""
    if following is None or following.get("fill") != "tonexty":
        return False
    return not trace.get("name") or trace.get("showlegend") is False


def number_text(value: float, percent: bool = False) -> str:
    """``value`` with three significant digits, as a chart shows it (no exponent between 0.001
    and a million); ``percent`` writes a share as a percentage.

    Example:
        >>> [number_text(v) for v in (4.0, 2 / 3, 1234.5, -0.0, 0.000012, 3e9)]
        ['4', '0.667', '1230', '0', '1.2e-05', '3e+09']
        >>> number_text(0.9412, percent=True)
        '94.1%'
    """
    if not math.isfinite(value):
        return "not a number" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if percent:
        return f"{number_text(value * 100)}%"
    rounded = float(f"{value:.3g}")
    if rounded == 0:
        return "0"
    if not 1e-3 <= abs(rounded) < 1e6:
        return f"{value:.3g}"
    return f"{rounded:f}".rstrip("0").rstrip(".")


def plain(text: Any) -> str:
    """Plotly's text markup (``<br>``, ``<sup>``, ``&amp;``) as plain text on one line.

    Example:
        >>> plain("Set sizes<br><sup>α = 0.1 &amp; more</sup>")
        'Set sizes — α = 0.1 & more'
    """
    if not isinstance(text, str):
        return ""
    text = re.sub(r"<br\s*/?>", " — ", text, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return " ".join(text.split())


def _label(value: Any) -> str:
    """A category or coordinate as shown: a number with three significant digits, text plain."""
    return number_text(float(value)) if is_number(value) else _short(plain(str(value)))


def _short(text: str) -> str:
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1].rstrip() + "…"


def _spec(fig: Any) -> tuple[list[Mapping[str, Any]], Mapping[str, Any]]:
    """The traces and the layout of a figure, its dict, or its JSON text.

    A ``go.Figure`` is read from the dicts it keeps (``_data``, ``_layout``): its public
    ``to_plotly_json`` re-encodes every array as base64 first, most of the cost for a large map.
    """
    if isinstance(getattr(fig, "_data", None), list) and isinstance(
            getattr(fig, "_layout", None), dict):
        return list(fig._data), fig._layout
    if hasattr(fig, "to_plotly_json"):
        fig = fig.to_plotly_json()
    elif isinstance(fig, str | bytes):
        fig = json.loads(fig)
    return list(fig.get("data") or []), fig.get("layout") or {}


def _floats(values: Any) -> np.ndarray:
    """A trace array as flat floats; anything not a number (None, text) becomes NaN."""
    if values is None:
        return np.empty(0)
    flat = array(values).ravel()
    if flat.dtype.kind in "biuf":
        return flat.astype(float)
    return np.array([float(v) if is_number(v) else math.nan for v in flat], dtype=float)


def _labels(values: Any) -> list[Any]:
    return [] if values is None else array(values).ravel().tolist()


def _title_text(part: Any) -> str:
    title = part.get("title") if isinstance(part, Mapping) else None
    return plain(title.get("text") if isinstance(title, Mapping) else title)


def _axis(layout: Mapping[str, Any], trace: Mapping[str, Any], letter: str) -> Mapping[str, Any]:
    ref = str(trace.get(f"{letter}axis") or letter)
    axis = layout.get(f"{letter}axis{ref[1:]}")
    return axis if isinstance(axis, Mapping) else {}


def _percent(layout: Mapping[str, Any], trace: Mapping[str, Any], letter: str) -> bool:
    return "%" in str(_axis(layout, trace, letter).get("tickformat") or "")


def _span(values: Any, percent: bool = False) -> str | None:
    """"from <min> to <max>" of the finite numbers in ``values`` ("at <value>" when they are
    all shown the same); first to last for labels."""
    numbers = _floats(values)
    finite = numbers[np.isfinite(numbers)]
    if finite.size:
        low, high = number_text(float(finite.min()), percent), number_text(float(finite.max()),
                                                                           percent)
        return f"at {low}" if low == high else f"from {low} to {high}"
    labels = [str(v) for v in _labels(values) if v is not None]
    if not labels:
        return None
    return _short(labels[0]) if len(labels) == 1 else f"from {_short(labels[0])} to " \
        f"{_short(labels[-1])}"


def _kind(trace: Mapping[str, Any]) -> str:
    kind = str(trace.get("type") or "scatter")
    if kind in ("scatter", "scattergl"):
        if trace.get("fill") in ("tonexty", "toself", "tonextx"):
            return "band"
        mode = str(trace.get("mode") or "lines")
        return "line" if "lines" in mode else "points"
    return {"bar": "bars"}.get(kind, kind)


def _xy(trace: Mapping[str, Any], layout: Mapping[str, Any], letter: str) -> str | None:
    span = _span(trace.get(letter), _percent(layout, trace, letter))
    return None if span is None else f"{letter} {span}"


def _line(trace: Mapping[str, Any], layout: Mapping[str, Any]) -> str | None:
    y = _floats(trace.get("y"))
    finite = y[np.isfinite(y)]
    if not finite.size:
        return None
    percent = _percent(layout, trace, "y")
    parts = [_xy(trace, layout, "x"), _xy(trace, layout, "y")]
    if finite.min() != finite.max():
        mean = float(finite.mean())
        if abs(mean) < 1e-9 * float(np.abs(finite).max()):  # rounding error of a symmetric curve
            mean = 0.0
        parts.append(f"mean {number_text(mean, percent)}")
    return ", ".join(["line", *filter(None, parts)])


def _band(trace: Mapping[str, Any], edge: Mapping[str, Any] | None,
          layout: Mapping[str, Any]) -> str | None:
    y = _floats(trace.get("y"))
    other = _floats(edge.get("y")) if edge is not None else np.empty(0)
    percent = _percent(layout, trace, "y")
    parts = [_xy(trace, layout, "x")]
    if other.size == y.size and y.size:
        width = np.abs(other - y)
        ok = np.isfinite(width)
        if not ok.any():
            return None
        low, high = np.minimum(y, other)[ok], np.maximum(y, other)[ok]
        parts += [f"y from {number_text(float(low.min()), percent)} to "
                  f"{number_text(float(high.max()), percent)}",
                  f"mean width {number_text(float(width[ok].mean()), percent)}"]
    elif (span := _xy(trace, layout, "y")) is not None:
        parts.append(span)
    else:
        return None
    return ", ".join(["band", *filter(None, parts)])


def _points(trace: Mapping[str, Any], layout: Mapping[str, Any]) -> str | None:
    x, y = _floats(trace.get("x")), _floats(trace.get("y"))
    n = int(np.isfinite(y).sum()) if y.size else int(np.isfinite(x).sum())
    if n == 0:
        return None
    parts = [f"{n} point{'s' if n != 1 else ''}", _xy(trace, layout, "x"), _xy(trace, layout, "y")]
    return ", ".join(filter(None, parts))


def _bars(trace: Mapping[str, Any], layout: Mapping[str, Any]) -> str | None:
    value, label = ("x", "y") if trace.get("orientation") == "h" else ("y", "x")
    values = _floats(trace.get(value))
    labels = _labels(trace.get(label)) or list(range(values.size))
    ok = [i for i in range(min(values.size, len(labels))) if np.isfinite(values[i])]
    if not ok:
        return None
    percent = _percent(layout, trace, value)
    top = sorted(ok, key=lambda i: -values[i])[:TOP_BARS]
    named = ", ".join(f"{_label(labels[i])} ({number_text(float(values[i]), percent)})"
                      for i in top)
    head = f"{len(ok)} bar{'s' if len(ok) != 1 else ''}"
    return f"{head}, {'largest ' if len(ok) > 1 else ''}{named}"


def _histogram(trace: Mapping[str, Any], layout: Mapping[str, Any]) -> str | None:
    letter = "y" if trace.get("orientation") == "h" else "x"
    values = _floats(trace.get(letter))
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None
    percent = _percent(layout, trace, letter)
    return (f"histogram of {finite.size} values {_span(finite, percent)}, "
            f"mean {number_text(float(finite.mean()), percent)}")


def _heatmap(trace: Mapping[str, Any]) -> str | None:
    z = array(trace.get("z")) if trace.get("z") is not None else np.empty((0, 0))
    grid = _floats(z).reshape(z.shape) if z.ndim == 2 else np.empty((0, 0))
    ok = np.isfinite(grid)
    if not ok.any():
        return None
    rows, cols = grid.shape
    row, col = np.unravel_index(int(np.nanargmax(np.where(ok, grid, -np.inf))), grid.shape)
    text = (f"grid of {rows} × {cols} cells, values from {number_text(float(grid[ok].min()))} "
            f"to {number_text(float(grid[ok].max()))}")
    xs, ys = _labels(trace.get("x")), _labels(trace.get("y"))
    if len(xs) == cols and len(ys) == rows:
        text += f", highest at x {_label(xs[col])}, y {_label(ys[row])}"
    return text


def _trace_text(trace: Mapping[str, Any], edge: Mapping[str, Any] | None,
                layout: Mapping[str, Any]) -> str | None:
    kind = _kind(trace)
    if kind == "line":
        return _line(trace, layout)
    if kind == "band":
        return _band(trace, edge, layout)
    if kind == "points":
        return _points(trace, layout)
    if kind == "bars":
        return _bars(trace, layout)
    if kind == "histogram":
        return _histogram(trace, layout)
    if kind == "heatmap":
        return _heatmap(trace)
    return kind


def _panel_titles(layout: Mapping[str, Any]) -> list[str]:
    """Subplot titles: the annotations ``make_subplots`` places at the top of each panel."""
    notes = layout.get("annotations") or []
    return [plain(n.get("text")) for n in notes
            if isinstance(n, Mapping) and n.get("xref") == "paper" and n.get("yref") == "paper"
            and n.get("yanchor") == "bottom" and plain(n.get("text"))]


def _axes_text(layout: Mapping[str, Any], letter: str) -> str | None:
    keys = sorted((k for k in layout if re.fullmatch(rf"{letter}axis\d*", k)),
                  key=lambda k: int(k[5:] or 1))
    titles = list(dict.fromkeys(t for k in keys if (t := _title_text(layout[k]))))
    if not titles:
        return None
    shown = "; ".join(_short(t) for t in titles[:3])
    more = f"; and {len(titles) - 3} more" if len(titles) > 3 else ""
    return f"{letter} ax{'es' if len(titles) > 1 else 'is'}: {shown}{more}"


def _chart_kind(kinds: Sequence[str], panels: int) -> str:
    unique = list(dict.fromkeys(kinds))
    if len(unique) == 1 and unique[0] in _KINDS:
        text = _KINDS[unique[0]][0]
    elif unique:
        names = [_KINDS.get(k, (k, k))[1] for k in unique]
        text = "Chart with " + (names[0] if len(names) == 1
                                else ", ".join(names[:-1]) + " and " + names[-1])
    else:
        text = "Empty chart"
    return f"{text} in {panels} panels" if panels > 1 else text


def describe_figure(fig: Any) -> FigureText:
    """The accessible name and description of a figure, from its own data and layout.

    The description names the chart type, each axis title, the panels' titles (the first
    :data:`MAX_PANELS`), and per trace (legend name, its
    colour bar's title, or ``trace <n>``): a line's x range, y range and mean; a band's (an
    unnamed edge and the trace filled ``"tonexty"`` up to it, read as one) y extent and mean
    width; how many points a scatter has; the number of bars and the largest
    :data:`TOP_BARS`; a histogram's count, range and mean; a heatmap's size, value range and
    where it is highest. Traces without data (legend-only entries) are skipped; after
    :data:`MAX_TRACES` traces, or when the text would pass :data:`MAX_CHARS`, the rest are
    counted ("And 3 more traces.").

    Args:
        fig: a ``plotly.graph_objects.Figure``, its dict (``{"data": [...], "layout": {...}}``)
            or its JSON text (what ``st.plotly_chart`` sends).

    Returns:
        The name (the title as plain text) and the description.
    """
    traces, layout = _spec(fig)
    panel_titles = list(dict.fromkeys(_panel_titles(layout)))
    name = _title_text(layout) or " · ".join(panel_titles) or FALLBACK_NAME
    lines: list[str] = []
    kinds: list[str] = []
    panels: set[str] = set()
    edge: Mapping[str, Any] | None = None
    for i, trace in enumerate(traces):
        if is_band_edge(trace, traces[i + 1] if i + 1 < len(traces) else None):
            edge = trace
            continue
        text = _trace_text(trace, edge, layout)
        edge = None
        if text is None:
            continue
        kinds.append(_kind(trace))
        panels.add(str(trace.get("xaxis") or "x"))
        label = (_short(plain(trace.get("name"))) or _title_text(trace.get("colorbar"))
                 or f"trace {i + 1}")
        lines.append(f"{label}: {text}.")
    head = [_chart_kind(kinds, len(panels)) + "."]
    head += [f"{axes}." for letter in "xy" if (axes := _axes_text(layout, letter))]
    if panel_titles and _title_text(layout):
        shown = "; ".join(_short(t) for t in panel_titles[:MAX_PANELS])
        more = f"; and {len(panel_titles) - MAX_PANELS} more" \
            if len(panel_titles) > MAX_PANELS else ""
        head.append(f"Panel{'s' if len(panel_titles) > 1 else ''}: {shown}{more}.")
    return FigureText(_short_name(name), _capped(" ".join(head), lines))


def _short_name(name: str) -> str:
    return name if len(name) <= 2 * MAX_NAME else name[: 2 * MAX_NAME - 1].rstrip() + "…"


def _capped(head: str, lines: Sequence[str]) -> str:
    """``head`` and as many ``lines`` as fit :data:`MAX_TRACES` and :data:`MAX_CHARS`, then how
    many were left out."""
    text = head[:MAX_CHARS]
    for n, line in enumerate(lines):
        left = len(lines) - n
        more = f" And {left - 1} more trace{'s' if left - 1 != 1 else ''}."
        budget = MAX_CHARS - (len(more) if left > 1 else 0)
        if n >= MAX_TRACES or len(text) + 1 + len(line) > budget:
            return text + f" And {left} more trace{'s' if left != 1 else ''}."
        text += " " + line
    return text
