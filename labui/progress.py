"""Turn labcore's ``progress(fraction, message)`` callbacks into one ``st.progress`` bar."""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Callable, Iterator

import streamlit as st

ProgressCallback = Callable[[float, str], None]

MIN_STEP = 0.01  # redraw when the fraction moved by at least 1 % …
MIN_INTERVAL_S = 0.1  # … or this much time passed since the last redraw


class Throttle:
    """Decides which progress updates are worth drawing.

    An update is drawn when it is the first, reaches 1, moved the fraction by at least
    :data:`MIN_STEP`, or comes :data:`MIN_INTERVAL_S` seconds after the last drawn one.

    Example:
        >>> t = Throttle(clock=lambda: 0.0)
        >>> [t.should_draw(f) for f in (0.0, 0.005, 0.01, 1.0)]
        [True, False, True, True]
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_fraction: float | None = None
        self._last_time = -math.inf

    def should_draw(self, fraction: float) -> bool:
        """Whether to draw ``fraction`` now; records it as drawn when so."""
        now = self._clock()
        draw = (
            self._last_fraction is None
            or fraction >= 1.0
            or abs(fraction - self._last_fraction) >= MIN_STEP
            or now - self._last_time >= MIN_INTERVAL_S
        )
        if draw:
            self._last_fraction = fraction
            self._last_time = now
        return draw


def progress_text(label: str, message: str) -> str:
    """The bar's text: the page's label (what is computed), then labcore's message (how far).

    Example:
        >>> progress_text("MSE model", "Training 5 networks: step 40 of 400")
        'MSE model · Training 5 networks: step 40 of 400'
        >>> progress_text("", "Scoring the grid"), progress_text("Size sweep", "")
        ('Scoring the grid', 'Size sweep')
    """
    return " · ".join(part for part in (label.strip(), message.strip()) if part)


def clamp_fraction(fraction: float) -> float:
    """``fraction`` clipped to [0, 1]; NaN counts as 0."""
    if math.isnan(fraction):
        return 0.0
    return min(1.0, max(0.0, float(fraction)))


@contextlib.contextmanager
def progress_reporter(label: str = "") -> Iterator[ProgressCallback]:
    """Yield a ``progress(fraction, message)`` callback that drives one progress bar.

    The bar appears on the first call (so work that never reports, such as a cache hit, shows
    nothing) and is removed when the block exits. Updates are throttled by :class:`Throttle`.
    Each drawn update also lets Streamlit stop a run the user has superseded.

    The callback may be called from inside a cached computation (:mod:`labui.cache`): it draws
    in the context captured here, so a cache hit shows no bar.
    Call it from the thread that entered the block.

    Args:
        label: what is computed ("MSE model"), shown before each labcore message (which
            says what is trained and how far).
    """
    slot = st.empty()
    context = contextvars.copy_context()
    throttle = Throttle()

    def progress(fraction: float, message: str = "") -> None:
        value = clamp_fraction(fraction)
        if throttle.should_draw(value):
            context.run(slot.progress, value, text=progress_text(label, message))

    try:
        yield progress
    finally:
        slot.empty()
