"""What every page needs before it draws: page config, torch threads, logging, the device,
and the lab's accessibility layer (readable captions, a visible focus ring, a skip link), which
``app.py`` adds with :func:`accessibility_layer`.

``app.py`` calls :func:`page_setup` on every run, and so does every page: when a fresh server's
first request is a direct link (``/regression``), Streamlit runs the page script without
``app.py`` (see :func:`_leave_folder_navigation`), and the first thing the page does is hand
over to ``app.py``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.navigation.page import StreamlitPage

from labui import present

ICON = Path(__file__).resolve().parent / "icon.png"  # a local file: no icon font from a CDN
logger = logging.getLogger(__name__)
_STARTED = "_labui.started"  # set once a session has run a page
_VIA_APP = "_labui.via_app"  # True while app.py's navigation runs the page


# Accessibility (WCAG 2.1 AA), added once per run by accessibility_layer. A constant stylesheet:
# - captions carry body text here (page intros, the device line, the quiz hint), so they are
#   drawn opaque in the text colour at 70 % on white (#6d6c6b: 5.2:1 on white, 4.7:1 on the
#   sidebar's #f0f2f6) instead of Streamlit's text colour at opacity 0.6 (3.9:1);
# - every control shows keyboard focus as a 3 px outline in the theme colour (#2a63d4: 5.5:1
#   on white, ≥ 3:1 on the sidebar and on a selected pill); a control drawn as a hidden input
#   inside a box (selects, text and number fields, radios, toggles, the slider's thumb) shows
#   it on that box;
# - the "Skip to settings" link (SKIP_LINK_SCRIPT) stays out of sight until it has focus.
# tests/unit/test_contrast.py reads the colours below; tests/e2e/test_accessibility.py checks
# them in a browser.
A11Y_CSS = """<style>
[data-testid="stCaptionContainer"] { color: #6d6c6b; opacity: 1; }
:is(a, button, summary, [role="button"], [role="tab"], [role="radio"], [role="slider"],
    [tabindex]:not([tabindex="-1"])):not(input, textarea):focus-visible {
  outline: 3px solid #2a63d4 !important; outline-offset: 2px; }
:is(input, textarea):focus-visible { outline: none !important; }
div:has(> :is(input:not([type="range"], [type="radio"], [type="checkbox"]),
              textarea):focus-visible),
label:has(input:is([type="radio"], [type="checkbox"]):focus-visible) {
  outline: 3px solid #2a63d4 !important; outline-offset: 2px; border-radius: 0.5rem; }
[data-testid="stSlider"] div:has(> div > input[type="range"]:focus-visible) {
  outline: 3px solid #2a63d4 !important; outline-offset: 3px; border-radius: 50%; }
#lab-skip-to-settings:not(:focus) {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
#lab-skip-to-settings:focus {
  position: fixed; top: 0.5rem; left: 0.5rem; z-index: 1000200; padding: 0.5rem 1rem;
  color: #2a63d4; background-color: #ffffff; border-radius: 0.5rem;
  font: 600 1rem "Source Sans", sans-serif; text-decoration: underline;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.25); }
[data-testid="stElementContainer"]:has(#lab-a11y-hook) { display: none; }
</style>"""

# The "Skip to settings" link: the page's first Tab stop (prepended to <body>, outside
# Streamlit's React tree, so it survives reruns and page switches; added once). Enter moves
# focus to the first control after the first group heading of the settings in the sidebar
# (labui.widgets.config_form); when the sidebar is closed (presentation mode) to the
# "Settings" row above the charts (its expander's header while it is closed). Its hidden
# element container is taken out of the layout by A11Y_CSS.
SKIP_LINK_SCRIPT = """<span id="lab-a11y-hook"></span><script>
(() => {
  const ID = "lab-skip-to-settings";
  if (document.getElementById(ID)) return;
  const CONTROL = 'input:not([type="hidden"]):not([disabled]), select:not([disabled]), '
    + 'textarea:not([disabled]), [role="slider"]';
  const shown = el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.right > 0;
  };
  const after = (mark, els) => els.filter(
    el => !mark || (mark.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING));
  const firstSetting = () => {
    const side = document.querySelector('[data-testid="stSidebarUserContent"]');
    if (side) {
      const heading = side.querySelector('[data-testid="stHeading"]');
      const found = after(heading, [...side.querySelectorAll(CONTROL)]).find(shown);
      if (found) return found;
    }
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return null;
    const row = [...main.querySelectorAll('[data-testid="stExpander"] summary')]
      .find(s => s.innerText.trim().endsWith("Settings"));
    if (row && !row.parentElement.open) return row;
    return [...(row ? row.parentElement : main).querySelectorAll(CONTROL)].find(shown) || null;
  };
  const link = document.createElement("a");
  link.id = ID;
  link.href = "#";
  link.textContent = "Skip to settings";
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const target = firstSetting();
    if (target) {
      target.scrollIntoView({block: "center"});
      target.focus();
    }
  });
  document.body.prepend(link);
})();
</script>"""


def accessibility_layer() -> None:
    """Add :data:`A11Y_CSS` (style only: no space) and the skip link's script to the page.

    ``app.py`` calls it on every run, after :func:`page_setup`, so every page gets it (a deep
    link hands over to ``app.py`` first); a test page that is its own main script does not.
    """
    st.html(A11Y_CSS)
    st.html(SKIP_LINK_SCRIPT, unsafe_allow_javascript=True)


def _configure_logging() -> None:
    """Send labcore/labui logs to stderr at ``LAB_LOG_LEVEL`` (default WARNING).

    Called on every run (it is idempotent): the server's own logging set-up may reset loggers
    after a once-per-process configuration.

    At INFO every training the cache could not answer is logged ("computing …"), which the
    classroom load test counts.
    """
    level = os.environ.get("LAB_LOG_LEVEL", "WARNING").upper()
    if level not in logging.getLevelNamesMapping():
        level = "WARNING"
    for name in ("labcore", "labui"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(getattr(h, "lab_handler", False) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.lab_handler = True
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
            logger.addHandler(handler)


@st.cache_resource(show_spinner=False)
def prepare_torch() -> None:
    """Once per process: import torch, set its thread count, warm up the optimizer (2 s on a
    fresh server, 1 s each)."""
    from labcore import device
    from labcore.models import train

    device.configure_threads()
    train.warm_up()


def start_up() -> tuple[str, str | None]:
    """Torch ready (:func:`prepare_torch`, once per process) and ``LAB_DEVICE`` checked.

    Returns:
        The device's description, e.g. ``"CPU (4 threads)"``, and None when ``LAB_DEVICE`` is
        fine; otherwise the problem, after switching the whole process to the CPU
        (``LAB_DEVICE=cpu``) so every experiment can still run.
    """
    global _device_problem
    begin_start_up().result()
    from labcore import device

    try:
        chosen = device.default_device()
    except ValueError as exc:
        os.environ["LAB_DEVICE"] = "cpu"
        _device_problem = f"{exc} Using the CPU."
        chosen = device.parse_device("cpu")
    # whoever checked first (a page's training, or app.py after the page) switched the process
    # to the CPU; while it stays switched, every page says why
    switched = _device_problem is not None and os.environ.get("LAB_DEVICE") == "cpu"
    return device.describe_device(chosen), _device_problem if switched else None


_device_problem: str | None = None


_start_lock = threading.Lock()
_start: Future | None = None


def begin_start_up() -> Future:
    """Run :func:`prepare_torch` once per process, in a thread of its own; return its future.

    A page that trains nothing (Home) draws its chart meanwhile: importing torch and warming
    up its optimizer took 2 s of a fresh server's first page. What trains waits for it first
    (:func:`started`), so the thread count and the device are set before any training.
    """
    global _start
    with _start_lock:
        if _start is None:
            future: Future = Future()

            def run() -> None:
                try:
                    prepare_torch()
                    future.set_result(None)
                except BaseException as exc:  # handed to whoever waits (started())
                    future.set_exception(exc)

            threading.Thread(target=run, name="lab-start-up", daemon=True).start()
            _start = future
        return _start


def started() -> tuple[str, str | None]:
    """Wait for the process's start-up (:func:`begin_start_up`), check ``LAB_DEVICE`` and
    return the device's description and the problem or None (:func:`start_up`)."""
    return start_up()


def started_if_ready() -> tuple[str, str | None] | None:
    """:func:`started`'s answer if the process's start-up has finished, else None at once.

    A page that trains nothing (Home) does not wait for torch, nor start it: importing torch
    while a fresh server's first visitor draws Home took the CPU the browser needed (measured
    in Chromium on 2 cores: server launch → Home settled 5.8 s when Home waited for torch,
    4.3–4.5 s when it did not). The start-up begins with the first training or, 3 s after the
    first page, with the cache warming (:mod:`labui.warm`).
    """
    if _start is None or not _start.done():
        return None
    return start_up()


def _leave_folder_navigation() -> None:
    """Make sure ``app.py``'s navigation, not the ``pages/`` folder, decides what runs.

    Until some session has run ``st.navigation``, Streamlit treats a ``pages/`` folder next to
    the main script as old-style multipage navigation: when a fresh server's first request is
    a deep link (``/classification``), it runs that page file directly and lists the raw file
    names in the sidebar — for every session that starts before that mode is switched off.
    A page that was not entered through ``app.py`` (:func:`run_page`) switches the mode off
    and, on its session's first run, reruns at once through ``app.py``, which resolves the same
    URL to the same page. (Later runs never rerun here: a rerun would swallow the click that
    started them.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    first_run = not st.session_state.get(_STARTED, False)
    st.session_state[_STARTED] = True
    if not st.session_state.get(_VIA_APP, False):
        PagesManager.uses_pages_directory = False
        if first_run:
            st.rerun()


def run_page(page: StreamlitPage) -> None:
    """``page.run()``, marked as entered through ``app.py``'s navigation."""
    st.session_state[_VIA_APP] = True
    try:
        page.run()
    finally:
        st.session_state[_VIA_APP] = False


def page_setup(*, main: bool = False) -> None:
    """Set the page config and logging. Torch's start-up (threads, device) is not waited for
    here: what trains waits for it (:func:`started`), and ``app.py`` after the page.

    In ``app.py`` (``main``) it also draws the sidebar's "Presentation mode" toggle and, when
    presenting, adds the presentation stylesheet once per run (see :mod:`labui.present`); the
    sidebar starts collapsed when a presentation starts.

    Args:
        main: True in ``app.py``, whose ``st.navigation`` call itself ends folder navigation;
            a page (False) started by folder navigation hands over to ``app.py`` first.
    """
    if main:
        st.session_state[_STARTED] = True
        present.present_toggle()
    else:
        _leave_folder_navigation()
    st.set_page_config(page_title="Uncertainty Lab", page_icon=str(ICON), layout="wide",
                       initial_sidebar_state=present.sidebar_state())
    if main:
        present.inject_css()
    _configure_logging()
    if main:  # a view's fragment reruns without this line (tests/e2e/test_view_fragments.py)
        logger.info("running the whole page")


def lazy_expander(label: str, body: Callable[[], None], *, key: str,
                  container: DeltaGenerator | None = None) -> None:
    """An expander whose content ``body()`` runs only while the expander is open.

    A plain ``st.expander`` builds its content on every run and every browser renders it,
    open or not; for formulas (KaTeX) and code blocks that was about half of a page's
    rendering work. Opening the expander reruns the page (results come from the cache).

    Args:
        label: the expander's title.
        body: draws the content (called inside the expander).
        key: widget key; ``st.session_state[key]`` is True while the expander is open.
        container: where to put it (``st.sidebar`` …); the main area when None.
    """
    box = (container or st).expander(label, key=key, on_change="rerun")
    if box.open:
        with box:
            body()
