"""Drawing "Train live": charts redrawn in place, and pacing (the training waits for the viewer).

The live charts are Vega-Lite charts whose spec stays the same for a whole run while each
frame sends only its table (:mod:`labcore.plots.live`), so the browser updates them where they
are instead of taking a chart down and drawing a new one (:func:`draw_live`).

The default regression model trains 500 steps in well under a second, far too fast to watch,
so a live run waits until :data:`MIN_REDRAW_S` has passed since the previous frame before it
draws the next: at most 10 redraws a second, and the default's 25 frames play over about
2.5 s. The result is unchanged (the pause is between steps); the non-live, cached path never
waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labui import present, present_figures

MIN_REDRAW_S = 0.1  # at most 10 redraws a second
_DRAWS = "_labui.live_draws"  # session state: live frames drawn so far


class RedrawPacer:
    """Sleeps between frames so that they come at most every ``min_interval_s`` seconds.

    Example:
        >>> slept = []
        >>> ticks = iter([0.0, 0.0, 0.04, 0.1, 0.5, 0.5]).__next__
        >>> pacer = RedrawPacer(0.1, clock=ticks, sleep=slept.append)
        >>> pacer.wait(); pacer.wait(); pacer.wait()  # first now; then 0.06 s; then none
        >>> [round(s, 2) for s in slept]
        [0.06]
    """

    def __init__(self, min_interval_s: float = MIN_REDRAW_S,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.sleep = sleep
        self._drawn: float | None = None

    def wait(self) -> None:
        """Return when the next frame may be drawn (at once for the first one)."""
        now = self.clock()
        if self._drawn is not None and now - self._drawn < self.min_interval_s:
            self.sleep(self.min_interval_s - (now - self._drawn))
        self._drawn = self.clock()


def live_font_scale() -> float:
    """Text size factor of live charts: presentation mode's, or 1."""
    return present_figures.FONT_SCALE if present.presenting() else 1.0


def draw_live(slot: DeltaGenerator, spec: dict[str, Any], table: pd.DataFrame,
              alt: str) -> None:
    """Draw one frame of a live chart into ``slot``, or redraw the one there in place.

    ``spec`` must be the same object (or an equal one) for every frame of a run: Streamlit then
    sends only the new ``table`` and the browser updates the chart where it is, without taking
    it down (see :mod:`labcore.plots.live`). No key: a keyed chart is registered once per run,
    and a live run redraws many times within one.

    Args:
        slot: an ``st.empty()`` placeholder.
        spec: the run's Vega-Lite spec.
        table: this frame's rows.
        alt: what the chart shows, for a screen reader.
    """
    # A draw number makes every message new: a replayed frame would otherwise resend a message
    # identical to one sent runs ago, which Streamlit 1.67's message cache may send as a
    # reference the browser no longer holds ("Cached ForwardMsg MISS"), and the page hangs.
    draws = st.session_state[_DRAWS] = st.session_state.get(_DRAWS, 0) + 1
    slot.vega_lite_chart(table.assign(draw=draws), spec, theme=None, width="stretch", alt=alt)
