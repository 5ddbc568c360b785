"""Presentation mode: a page made for a projector (``?present=1`` or the sidebar toggle).

When a teacher presents:

- the sidebar starts collapsed (:func:`sidebar_state`, used by ``labui.shell.page_setup``);
- the page's settings form is drawn as one row above the charts instead of in the sidebar
  (:func:`settings_container`, the default place of :func:`labui.widgets.config_form`); a teacher
  link's ``hide=`` decides which controls the row shows;
- text is larger (:data:`PRESENT_CSS`, injected once per run by ``page_setup``) and every
  figure gets larger fonts, thicker lines and bigger markers
  (:func:`labui.present_figures.presentation_figure`, applied by
  :func:`labui.figures.show_figure`);
- "Notice: …" lines become large callouts (:func:`notice`);
- each page's first chart fits a 1280×720 (and a 1920×1080) projector whole: the page
  starts under the header, its intro paragraph is hidden, labels sit beside their view switches,
  figures are at most :data:`~labui.present_figures.MAX_HEIGHT` tall
  (:func:`~labui.present_figures.height_limit` for a page with little
  above its first chart), and titles are fitted to the chart's width
  (``tests/e2e/test_projector.py`` measures it in a browser).

The mode is one more view choice kept in the URL, so a teacher link can carry it. Quiz mode
(``?quiz=1``) and hidden controls work the same in both modes.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labui.state import hidden_fields
from labui.views import flag

PRESENT_PARAM = "present"
TOGGLE_KEY = "_labui.present"
_COLLAPSED = "_labui.present.collapsed"  # the sidebar was collapsed for this presentation
ROW_WIDGET_WIDTH = 240  # px per control in the presentation row

# A constant stylesheet, no user text: Streamlit sizes its text in rem, so a larger root font
# scales every label, heading and caption; callouts (st.info) get larger still. The rest makes
# the first chart fit a 1280×720 projector: the page starts under the header (which holds only
# the » button that opens the sidebar) instead of below it, with a smaller title, tighter gaps,
# and without the intro paragraph under the title (the teacher tells it). The notices' callouts
# keep Streamlit's blue on light blue, pinned here because they carry the page's findings on a
# washed-out projector: 6.7:1 (tests/unit/test_contrast.py).
# The controls of the main column (not in columns) put their label beside them, those of the
# chosen view too, which sits in its fragment's container (labui.page.draw_view).
PRESENT_CSS = """<style>
html { font-size: 20px; }
[data-testid="stHeader"] { background: transparent; pointer-events: none; }
[data-testid="stHeader"] button, [data-testid="stHeader"] a { pointer-events: auto; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 3.5rem 3rem; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.5rem; }
[data-testid="stMain"] h1 { font-size: 1.75rem; padding: 0 0 0.2rem; }
[data-testid="stElementContainer"]:has(h1)
  + [data-testid="stElementContainer"]:has([data-testid="stMarkdown"]) { display: none; }
[data-testid="stMain"] [data-testid="stExpander"] summary {
  min-height: 0; padding-top: 0.1rem; padding-bottom: 0.1rem; }
:is([data-testid="stMainBlockContainer"] > div, [data-testid="stMainBlockContainer"] > div
  > [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"])
  > [data-testid="stElementContainer"]
  > :is([data-testid="stButtonGroup"], [data-testid="stSelectbox"]) {
  display: flex; align-items: center; column-gap: 0.8rem; }
:is([data-testid="stMainBlockContainer"] > div, [data-testid="stMainBlockContainer"] > div
  > [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"])
  > [data-testid="stElementContainer"]
  > :is([data-testid="stButtonGroup"], [data-testid="stSelectbox"])
  > [data-testid="stWidgetLabel"] { margin: 0; flex: none; }
:is([data-testid="stMainBlockContainer"] > div, [data-testid="stMainBlockContainer"] > div
  > [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"])
  > [data-testid="stElementContainer"]
  > [data-testid="stSelectbox"] > div:last-child { flex: 0 1 32rem; }
[data-testid="stMetricValue"] { font-size: 1.8rem; }
[data-testid="stAlertContainer"] p { font-size: 1.2rem; line-height: 1.4; }
[data-testid="stAlertContainer"]:has(> [data-testid="stAlertContentInfo"]) {
  color: #244fb4; background-color: #edf5ff; }
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


MOBILE_MARK = "Mobi"
"""What a phone's browser puts in its User-Agent header (Chrome and Firefox on Android,
Safari on an iPhone: "Mobile"); a tablet's and a computer's do not, and their screens are
wide enough for panels side by side."""


def on_a_phone() -> bool:
    """Whether this session's browser is a phone's (its User-Agent says so): its figures are
    drawn with their panels in one column (:func:`labui.phone_figures.one_column`).

    The server learns no screen width, so the browser's own word is used; without a header
    (a test's AppTest, a script) it is False.
    """
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except (AttributeError, RuntimeError):
        return False
    return MOBILE_MARK in agent


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
