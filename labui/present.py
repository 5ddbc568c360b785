"""Presentation mode: a page made for a projector (``?present=1`` or the sidebar toggle).

When a teacher presents:

- the sidebar starts collapsed (:func:`sidebar_state`, used by ``labui.shell.page_setup``);
- the page's settings form is drawn as one row above the charts instead of in the sidebar
  (:func:`settings_container`, the default place of :func:`labui.widgets.config_form`); a teacher
  link's ``hide=`` decides which controls the row shows;
- text is larger (:data:`PRESENT_CSS`, injected once per run by ``page_setup``) and every
  figure gets larger fonts, thicker lines and bigger markers (:func:`presentation_figure`,
  applied by :func:`labui.figures.show_figure`);
- "Notice: …" lines become large callouts (:func:`notice`).

The mode is one more view choice kept in the URL, so a teacher link can carry it. Quiz mode
(``?quiz=1``) and hidden controls work the same in both modes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labui.state import hidden_fields
from labui.views import flag

PRESENT_PARAM = "present"
TOGGLE_KEY = "_labui.present"
_COLLAPSED = "_labui.present.collapsed"  # the sidebar was collapsed for this presentation

FONT_SCALE = 1.6  # figure text: 12 px → 19 px
LINE_SCALE = 1.75  # line widths: 2 px → 3.5 px
MARKER_SCALE = 1.4  # marker sizes: 6 px → 8.4 px
DEFAULT_FONT = 12  # plotly's font size when a figure sets none
DEFAULT_LINE = 2  # plotly's scatter line width
DEFAULT_MARKER = 6  # plotly's scatter marker size
ROW_WIDGET_WIDTH = 240  # px per control in the presentation row

# A constant stylesheet, no user text: Streamlit sizes its text in rem, so a larger root font
# scales every label, heading and caption; callouts (st.info) get larger still.
PRESENT_CSS = """<style>
html { font-size: 20px; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stAlertContainer"] p { font-size: 1.35rem; line-height: 1.45; }
[data-testid="stWidgetLabel"] p { font-size: 1rem; }
</style>"""


def presenting() -> bool:
    """Whether this run shows the page in presentation mode.

    The sidebar toggle (:func:`present_toggle`) decides once it exists in the session;
    before that (a page run on its own, a test page) the URL does: ``?present=1``.
    """
    if TOGGLE_KEY in st.session_state:
        return bool(st.session_state[TOGGLE_KEY])
    return st.query_params.get(PRESENT_PARAM) == "1"


def present_toggle() -> bool:
    """The "Presentation mode" toggle in the sidebar, kept in ``?present=1``.

    ``app.py``'s :func:`labui.shell.page_setup` draws it once per run, before the page.

    Returns:
        Whether the page is presented.
    """
    with st.sidebar:
        return flag(
            "Presentation mode", key=TOGGLE_KEY, param=PRESENT_PARAM,
            help="For a projector: sidebar collapsed, the settings in one row above the "
            "charts, larger text and lines, notices as callouts. Hide controls from the row "
            "with the teacher link.",
        )


def sidebar_state() -> str | None:
    """``initial_sidebar_state`` for ``st.set_page_config`` in this run.

    ``"collapsed"`` on the first run of a presentation (opening a ``?present=1`` link, or
    switching the toggle on); None otherwise, which leaves the sidebar as the person left it
    (they may open it during a presentation, or it stays closed after one).
    """
    if not presenting():
        st.session_state.pop(_COLLAPSED, None)
        return None
    if st.session_state.get(_COLLAPSED):
        return None
    st.session_state[_COLLAPSED] = True
    return "collapsed"


def inject_css() -> None:
    """Add :data:`PRESENT_CSS` to the page when presenting (style only: it takes no space)."""
    if presenting():
        st.html(PRESENT_CSS)


class _ControlsRow:
    """Where :func:`labui.widgets.config_form` draws when presenting: one row of controls.

    Each widget gets a tile of :data:`ROW_WIDGET_WIDTH` pixels in a horizontal container (tiles
    wrap onto a second line when there are many); group subheaders are left out.
    """

    def __init__(self, row: DeltaGenerator) -> None:
        self._row = row

    def subheader(self, *args: Any, **kwargs: Any) -> None:
        """Groups are not shown in the row."""

    def __getattr__(self, name: str) -> Any:
        def widget(*args: Any, **kwargs: Any) -> Any:
            tile = self._row.container(width=ROW_WIDGET_WIDTH)
            return getattr(tile, name)(*args, **kwargs)

        return widget


def settings_container() -> Any:
    """Where a page's settings form goes: the sidebar, or a row in the main area when presenting.

    A teacher link that hides controls (``hide=``) has chosen what the class sees: the rest
    is shown in the row. Without such a choice every setting would fill the projector before
    the first chart, so the row is folded into a closed "Settings" expander.

    Returns:
        ``st.sidebar``, or an object with the widget methods (``slider``, ``selectbox`` …) that
        puts each widget in the next tile of a horizontal row.
    """
    if not presenting():
        return st.sidebar
    place = st.container() if hidden_fields() else st.expander("Settings", expanded=False)
    return _ControlsRow(place.container(horizontal=True, gap="medium"))


def notice(text: str, *, container: DeltaGenerator | None = None) -> None:
    """A figure's "Notice: …" line: a caption, or a large callout when presenting.

    Args:
        text: the notice (Markdown, as for ``st.caption``).
        container: where it goes (the current place when None).
    """
    where = container or st
    if presenting():
        where.info(text, icon=":material/visibility:")
    else:
        where.caption(text)


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


def presentation_figure(fig: go.Figure | Mapping[str, Any]) -> go.Figure:
    """A copy of ``fig`` for a projector: fonts × :data:`FONT_SCALE`, lines × :data:`LINE_SCALE`,
    scatter markers × :data:`MARKER_SCALE`, a fixed height × 1.2. ``fig`` is not changed.

    Done on the figure as a whole, so every page's figures get it without page code.

    Example:
        >>> fig = presentation_figure(go.Figure(go.Scatter(y=[1, 2], line={"width": 2})))
        >>> fig.layout.font.size, fig.data[0].line.width
        (19.2, 3.5)
    """
    spec = copy.deepcopy(fig.to_plotly_json() if isinstance(fig, go.Figure) else dict(fig))
    layout = spec.setdefault("layout", {})
    template = layout.pop("template", None)
    layout.setdefault("font", {}).setdefault("size", DEFAULT_FONT)
    _scale_fonts(layout, FONT_SCALE)
    if isinstance(layout.get("height"), int | float):
        layout["height"] = round(layout["height"] * 1.2)
    data = spec.get("data", [])
    for trace in data:
        _thicken(trace)
        _scale_fonts(trace, FONT_SCALE)
    if template is not None:
        layout["template"] = template
    return go.Figure(data=data, layout=layout, _validate=False)
