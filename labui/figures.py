"""Show a plotly figure the same way on every page: as built, with a crisp PNG export, the
chart's data as CSV and the chart as text for a screen reader; larger and bolder in
presentation mode."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from labcore.plots.describe import FigureText, array, describe_figure, is_band_edge, is_number
from labui.downloads import csv_bytes
from labui.errors import escape_markdown
from labui.phone_figures import one_column
from labui.present import on_a_phone, presenting
from labui.present_figures import presentation_figure

if TYPE_CHECKING:  # imported where used: only a click on a CSV button needs it
    import pandas as pd

PNG_SCALE = 3  # the modebar's camera saves at 3× the shown size: sharp on slides
CSV_LABEL = "⬇ Data (CSV)"
TEXT_LABEL = "Chart as text"
CONTAINER_KEY = "labui_figure"  # a chart's container is keyed "labui_figure.<chart key>"
_SCRIPT_RUN = "_labui.figures.script_run"  # the script run whose first chart carried the script

# Names each chart for assistive technology: on the chart element (``stPlotlyChart``) in every
# container keyed CONTAINER_KEY (class ``st-key-labui_figure-…``, written out: markup sent
# through st.html must be a string constant, tests/unit/test_architecture.py), role "figure",
# aria-label the title shown in its "Chart as text" expander and aria-describedby the
# description there (given an id here). Both are read from the page's text, so nothing from a
# figure is ever parsed as HTML. A MutationObserver applies it again whenever the page changes
# (reruns, other views); the work is batched to one animation frame and touches only
# attributes that differ. The script is the same text on every run, so Streamlit runs it once
# per page load (again only if its element is remounted, which the window flag makes a cheap
# re-check).
ARIA_SCRIPT = """<script>
(() => {
  if (window.labuiChartText) { window.labuiChartText(); return; }
  const boxes = '[class*="st-key-labui_figure-"]';
  const texts = '[data-testid="stExpanderDetails"] [data-testid="stMarkdownContainer"]';
  let made = 0, queued = false;
  const set = (el, name, value) => {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  };
  const label = () => {
    queued = false;
    for (const box of document.querySelectorAll(boxes)) {
      const chart = box.querySelector('[data-testid="stPlotlyChart"]');
      const [name, text] = box.querySelectorAll(texts);
      if (!chart || !text) continue;
      if (!text.id) text.id = `labui-chart-text-${++made}`;
      set(chart, "role", "figure");
      set(chart, "aria-label", name.textContent.trim());
      set(chart, "aria-describedby", text.id);
    }
  };
  window.labuiChartText = () => {
    if (!queued) { queued = true; requestAnimationFrame(label); }
  };
  new MutationObserver(window.labuiChartText).observe(
    document.body, {childList: true, subtree: true, characterData: true});
  window.labuiChartText();
})();
</script>"""


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


def _values(values: Any) -> list[Any]:
    """A trace array (typed array, numpy array, list or None) as a flat list."""
    if values is None:
        return []
    return array(values).ravel().tolist()


def _error_bounds(y: list[Any], error: Mapping[str, Any] | None) -> tuple[list, list] | None:
    """Lower and upper ends of a trace's ``error_y`` bars (absolute arrays only), or None."""
    if not error or error.get("visible") is False or error.get("array") is None:
        return None
    plus = _values(error["array"])
    minus = _values(error.get("arrayminus")) if error.get("arrayminus") is not None else plus
    if not error.get("symmetric", True) and error.get("arrayminus") is None:
        minus = [0.0] * len(plus)
    lower = [v - m if is_number(v) and is_number(m) else None
             for v, m in zip(y, minus, strict=False)]
    upper = [v + p if is_number(v) and is_number(p) else None
             for v, p in zip(y, plus, strict=False)]
    return lower, upper


def _subplot(trace: Mapping[str, Any]) -> int:
    """The trace's subplot number, from its x axis (``"x3"`` → 3)."""
    match = re.fullmatch(r"x(\d*)", str(trace.get("xaxis", "x")))
    return int(match.group(1) or 1) if match else 1


def _rows(trace: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Columns of one trace: x, y, and z (heatmaps) or lower/upper (error bars)."""
    x, y = _values(trace.get("x")), _values(trace.get("y"))
    z = trace.get("z")
    if z is not None:
        grid = array(z)
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
    import pandas as pd

    spec = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else dict(fig)
    traces: Sequence[Mapping[str, Any]] = spec.get("data", [])
    parts: list[pd.DataFrame] = []
    edge: Mapping[str, Any] | None = None  # the first edge of the band being read
    for i, trace in enumerate(traces):
        following = traces[i + 1] if i + 1 < len(traces) else None
        if is_band_edge(trace, following):
            edge = trace
            continue
        name = trace.get("name") or f"trace {i}"
        columns = _rows(trace)
        if edge is not None:
            other = _values(edge.get("y"))
            edge = None
            if len(other) == len(columns["y"]):
                pairs = list(zip(columns["y"], other, strict=True))
                columns["lower"] = [min(a, b) if is_number(a) and is_number(b) else None
                                    for a, b in pairs]
                columns["upper"] = [max(a, b) if is_number(a) and is_number(b) else None
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
    """Draw ``fig`` where the page is (a column, the main area), with its text alternative and
    a CSV of its data below.

    Streamlit's own chart theme is off (``theme=None``): it recolours traces and replaces any
    colour from #000001 to #000040 (its placeholders), which would turn the dark end of scales
    like Magma into the theme's colours. The figure's own template and colour scales are drawn
    exactly as built. In presentation mode a larger, bolder copy is drawn
    (:func:`labui.present_figures.presentation_figure`); on a phone a copy whose panels are
    stacked in one column (:func:`labui.phone_figures.one_column`).

    A chart to look at has no drag action (``dragmode=False``) unless its figure sets one: with
    Plotly's default (drag to zoom) a finger moving over a chart on a phone zooms it instead
    of scrolling the page, and the lab's pages are mostly charts. The toolbar's zoom and pan
    buttons still switch it on.

    The "⬇ Data (CSV)" button's file is made from the figure's traces
    (:func:`figure_table`) only when it is clicked, not on every run of the page.

    The chart, its text and its CSV button share a container keyed ``labui_figure.<key>``.
    Below the chart a collapsed "Chart as text" expander holds the figure's title and a
    description of what it shows with its numbers (:func:`labcore.plots.describe.describe_figure`
    of the figure as drawn); :data:`ARIA_SCRIPT` makes them the chart's accessible name and
    description for a screen reader.

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
    shown = (presentation_figure(fig) if presenting()
             else one_column(fig) if on_a_phone() else fig)
    if on_select is None and shown.layout.dragmode is None:
        shown.layout.dragmode = False  # a finger on the chart scrolls the page (see above)
    with st.container(key=f"{CONTAINER_KEY}.{key}"):
        if on_select is None:
            st.plotly_chart(shown, key=key, theme=None, config=figure_config(name))
        else:
            st.plotly_chart(shown, key=key, theme=None, config=figure_config(name, select=True),
                            on_select=on_select,
                            selection_mode=selection_mode or ("points", "box", "lasso"))
        show_text(describe_figure(shown))
        if csv:

            def data() -> bytes:
                return csv_bytes(figure_table(fig))  # a label never runs as a spreadsheet formula

            st.download_button(
                CSV_LABEL, data=data, file_name=f"{name}.csv", mime="text/csv",
                key=f"figure_csv.{key}", on_click="ignore", type="tertiary",
                help="The numbers behind this chart, one row per point (trace, x, y …). "
                "The camera icon above the chart saves it as a PNG.",
            )


def show_text(text: FigureText) -> None:
    """The chart's text alternative in a collapsed "Chart as text" expander: its name (bold),
    then its description, each escaped (a trace name can come from a user's file). The first
    chart of a script run also carries :data:`ARIA_SCRIPT`, which hands both to assistive
    technology as the chart's accessible name and description."""
    with st.expander(TEXT_LABEL):
        st.markdown(f"**{escape_markdown(text.name)}**")
        st.markdown(escape_markdown(text.description))
        if _first_chart_of_run():
            st.html(ARIA_SCRIPT, unsafe_allow_javascript=True)


def _first_chart_of_run() -> bool:
    """Whether no chart has been shown yet in this script run (of this session).

    A run is told apart by its cursor table, a new dict each run
    (``ScriptRunContext.reset``); the session keeps a reference to the last one seen.
    """
    ctx = get_script_run_ctx()
    if ctx is None:
        return True
    if st.session_state.get(_SCRIPT_RUN) is ctx.cursors:
        return False
    st.session_state[_SCRIPT_RUN] = ctx.cursors
    return True
