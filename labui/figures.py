"""Show a plotly figure the same way on every page: as built, with a crisp PNG export and the
chart's data as CSV; larger and bolder in presentation mode."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from labui.downloads import csv_bytes
from labui.present import presentation_figure, presenting

PNG_SCALE = 3  # the modebar's camera saves at 3× the shown size: sharp on slides
CSV_LABEL = "⬇ Data (CSV)"


def figure_config(filename: str, select: bool = False) -> dict[str, Any]:
    """Plotly's client config: the modebar's camera saves a PNG at :data:`PNG_SCALE`× named
    ``filename``; no plotly logo, no box/lasso select (they do nothing here) unless ``select``
    (a chart whose selections the page reads).

    Example:
        >>> figure_config("regression_bands")["toImageButtonOptions"]["scale"]
        3
    """
    return {
        "displaylogo": False,
        "modeBarButtonsToRemove": [] if select else ["select2d", "lasso2d"],
        "toImageButtonOptions": {"format": "png", "scale": PNG_SCALE, "filename": filename},
    }


def figure_name(key: str) -> str:
    """The file name (no extension) of a figure's PNG and CSV, from its element key.

    Example:
        >>> figure_name("regression.bands_fig")
        'regression_bands'
    """
    return key.removesuffix("_fig").replace(".", "_")


def _array(values: Any) -> np.ndarray:
    """A trace array as numpy: plotly's JSON keeps numeric arrays as typed arrays
    (``{"dtype": "f8", "bdata": <base64>, "shape": "2, 3"}``); lists and tuples pass through."""
    if isinstance(values, Mapping) and "bdata" in values:
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = values.get("shape")
        return flat.reshape([int(n) for n in shape.split(",")]) if shape else flat
    return np.asarray(values, dtype=object)


def _values(values: Any) -> list[Any]:
    """A trace array (typed array, numpy array, list or None) as a flat list."""
    if values is None:
        return []
    return _array(values).ravel().tolist()


def _error_bounds(y: list[Any], error: Mapping[str, Any] | None) -> tuple[list, list] | None:
    """Lower and upper ends of a trace's ``error_y`` bars (absolute arrays only), or None."""
    if not error or error.get("visible") is False or error.get("array") is None:
        return None
    plus = _values(error["array"])
    minus = _values(error.get("arrayminus")) if error.get("arrayminus") is not None else plus
    if not error.get("symmetric", True) and error.get("arrayminus") is None:
        minus = [0.0] * len(plus)
    lower = [v - m if _number(v) and _number(m) else None for v, m in zip(y, minus, strict=False)]
    upper = [v + p if _number(v) and _number(p) else None for v, p in zip(y, plus, strict=False)]
    return lower, upper


def _number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def _subplot(trace: Mapping[str, Any]) -> int:
    """The trace's subplot number, from its x axis (``"x3"`` → 3)."""
    match = re.fullmatch(r"x(\d*)", str(trace.get("xaxis", "x")))
    return int(match.group(1) or 1) if match else 1


def _is_band_edge(trace: Mapping[str, Any], following: Mapping[str, Any] | None) -> bool:
    """Whether ``trace`` is the unnamed first edge of a band that ``following`` fills up to."""
    if following is None or following.get("fill") != "tonexty":
        return False
    return not trace.get("name") or trace.get("showlegend") is False


def _rows(trace: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Columns of one trace: x, y, and z (heatmaps) or lower/upper (error bars)."""
    x, y = _values(trace.get("x")), _values(trace.get("y"))
    z = trace.get("z")
    if z is not None:
        grid = _array(z)
        if grid.ndim == 2:
            xs = x or list(range(grid.shape[1]))
            ys = y or list(range(grid.shape[0]))
            cols, rows = np.meshgrid(np.arange(grid.shape[1]), np.arange(grid.shape[0]))
            return {"x": [xs[c] for c in cols.ravel()], "y": [ys[r] for r in rows.ravel()],
                    "z": grid.ravel().tolist()}
    n = max(len(x), len(y))
    columns: dict[str, list[Any]] = {
        "x": x if len(x) == n else [None] * n,
        "y": y if len(y) == n else [None] * n,
    }
    bounds = _error_bounds(columns["y"], trace.get("error_y"))
    if bounds is not None:
        columns["lower"], columns["upper"] = bounds
    return columns


def figure_table(fig: Any) -> pd.DataFrame:
    """The data behind a figure, one row per point (long format), for a CSV download.

    Columns: ``trace`` (its legend name, or ``"trace <i>"``), ``subplot`` when the figure has
    several, ``x``, ``y``; ``z`` for heatmaps (one row per cell); ``lower`` and ``upper`` for
    error bars (y − minus, y + plus) and for filled bands. A band is two traces, an unnamed edge
    followed by a trace filled ``"tonexty"`` up to it: it becomes one series named after the
    filled trace, with ``lower``/``upper`` the two edges and an empty ``y``. Legend-only traces
    (no data) are left out.

    Args:
        fig: a ``plotly.graph_objects.Figure`` or its dict (``{"data": [...], ...}``).

    Returns:
        The table; no rows for a figure without data.

    Example:
        >>> import plotly.graph_objects as go
        >>> fig = go.Figure([go.Scatter(x=[0, 1], y=[2, 3], name="mean"),
        ...                  go.Bar(x=["a"], y=[5], name="count")])
        >>> figure_table(fig).to_dict("list")
        {'trace': ['mean', 'mean', 'count'], 'x': [0, 1, 'a'], 'y': [2, 3, 5]}
    """
    spec = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else dict(fig)
    traces: Sequence[Mapping[str, Any]] = spec.get("data", [])
    parts: list[pd.DataFrame] = []
    edge: Mapping[str, Any] | None = None  # the first edge of the band being read
    for i, trace in enumerate(traces):
        following = traces[i + 1] if i + 1 < len(traces) else None
        if _is_band_edge(trace, following):
            edge = trace
            continue
        name = trace.get("name") or f"trace {i}"
        columns = _rows(trace)
        if edge is not None:
            other = _values(edge.get("y"))
            edge = None
            if len(other) == len(columns["y"]):
                pairs = list(zip(columns["y"], other, strict=True))
                columns["lower"] = [min(a, b) if _number(a) and _number(b) else None
                                    for a, b in pairs]
                columns["upper"] = [max(a, b) if _number(a) and _number(b) else None
                                    for a, b in pairs]
                columns["y"] = [None] * len(pairs)
        frame = pd.DataFrame({"trace": name, "subplot": _subplot(trace), **columns})
        if "z" not in frame:
            frame = frame[frame["x"].notna() | frame["y"].notna()]
        if not frame.empty:
            parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=["trace", "x", "y"])
    table = pd.concat(parts, ignore_index=True)
    if table["subplot"].nunique() == 1:
        table = table.drop(columns="subplot")
    return table


def show_figure(fig: Any, *, key: str, filename: str | None = None, csv: bool = True,
                on_select: Any = None, selection_mode: Any = None) -> None:
    """Draw ``fig`` where the page is (a column, the main area), with a CSV of its data below.

    Streamlit's own chart theme is off (``theme=None``): it recolours traces and replaces any
    colour from #000001 to #000040 (its placeholders), which would turn the dark end of scales
    like Magma into the theme's colours. The figure's own template and colour scales are drawn
    exactly as built. In presentation mode a larger, bolder copy is drawn
    (:func:`labui.present.presentation_figure`).

    A chart to look at has no drag action (``dragmode=False``) unless its figure sets one: with
    Plotly's default (drag to zoom) a finger moving over a chart on a phone zooms it instead
    of scrolling the page, and the lab's pages are mostly charts. The toolbar's zoom and pan
    buttons still switch it on.

    The "⬇ Data (CSV)" button's file is made from the figure's traces
    (:func:`figure_table`) only when it is clicked, not on every run of the page.

    Args:
        fig: a ``plotly.graph_objects.Figure``.
        key: the element key, e.g. ``"regression.bands_fig"``.
        filename: the PNG's and CSV's file name without extension; by default the key with
            dots and a ``_fig`` suffix turned into a name (``"regression_bands"``).
        csv: whether to offer the CSV button.
        on_select: None (a chart to look at), or ``st.plotly_chart``'s ``on_select`` ("rerun"
            or a callback): the box and lasso buttons stay in the modebar and the selection
            is kept in session state under ``key``.
        selection_mode: ``st.plotly_chart``'s ``selection_mode`` (with ``on_select`` only).
    """
    name = filename or figure_name(key)
    shown = presentation_figure(fig) if presenting() else fig
    if on_select is None and shown.layout.dragmode is None:
        shown.layout.dragmode = False  # a finger on the chart scrolls the page (see above)
    if on_select is None:
        st.plotly_chart(shown, key=key, theme=None, config=figure_config(name))
    else:
        st.plotly_chart(shown, key=key, theme=None, config=figure_config(name, select=True),
                        on_select=on_select,
                        selection_mode=selection_mode or ("points", "box", "lasso"))
    if csv:

        def data() -> bytes:
            return csv_bytes(figure_table(fig))  # a label never runs as a spreadsheet formula

        st.download_button(
            CSV_LABEL, data=data, file_name=f"{name}.csv", mime="text/csv",
            key=f"figure_csv.{key}", on_click="ignore", type="tertiary",
            help="The numbers behind this chart, one row per point (trace, x, y …). "
            "The camera icon above the chart saves it as a PNG.",
        )
