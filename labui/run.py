"""Run one labcore experiment per config, cached across reruns, sessions and replicas.

Two levels: ``st.cache_data`` in this process, and — when the operator set ``LAB_CACHE_URL``
for a classroom of several replicas — the Redis cache of :mod:`labserve.shared_cache`, where a
config is trained once for the whole class. Without ``LAB_CACHE_URL`` only the first exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from labcore.config import Config
from labserve.shared_cache import from_environment, result_key
from labui.progress import ProgressCallback, progress_reporter

R = TypeVar("R")
logger = logging.getLogger(__name__)  # configured by labui.shell (LAB_LOG_LEVEL)

MAX_CACHED_RESULTS = 64


# The spinner shows while this process computes a result, and also to every session of the
# process that asked for the same settings meanwhile and waits on it (no page looks frozen).
SHARED_RUN_MESSAGE = ("Training — everyone who asks for these settings now gets this one run's "
                      "result.")


@st.cache_data(max_entries=MAX_CACHED_RESULTS, show_spinner=SHARED_RUN_MESSAGE, show_time=True)
def _cached_call(
    fn_name: str,
    config: Config,
    _fn: Callable[[Any, ProgressCallback], Any],
    _progress: ProgressCallback,
) -> Any:
    """``_fn(config, _progress)``, cached on ``(fn_name, config)``; underscored args unhashed."""

    def compute() -> Any:
        logger.info("computing %s", fn_name)  # a training; the classroom tests count them
        return _fn(config, _progress)

    shared = from_environment()
    if shared is None:
        return compute()

    def waiting(others: int, seconds: float) -> None:
        also = f"; {others - 1} others asked for it too" if others > 1 else ""
        _progress(min(0.95, seconds / 30.0),
                  f"Someone in the class is training this already{also} ({seconds:.0f} s)")

    return shared.get_or_compute(result_key(fn_name, config), compute, on_wait=waiting)


def _qualified_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def run_cached(
    fn: Callable[[Any, ProgressCallback], R], config: Config, *, label: str = ""
) -> R:
    """``fn(config, progress)`` through ``st.cache_data``, with a progress bar while it runs.

    The cache key is the qualified names of ``fn`` and of the config's class, plus the
    config's field values (configs are frozen). A hit returns a copy of the stored result
    without calling ``fn`` and without drawing a bar. Errors are not cached.

    Args:
        fn: a labcore run function, e.g. ``labcore.experiments.regression.run_regression``.
        config: its frozen config.
        label: what is computed ("Size sweep"), shown before labcore's own progress
            messages; empty for a page's main run.

    Returns:
        ``fn``'s result (a frozen dataclass of numpy arrays and floats, so it pickles).
    """
    name = f"{_qualified_name(fn)}({_qualified_name(type(config))})"
    with progress_reporter(label) as progress:
        return _cached_call(name, config, fn, progress)


def clear_caches() -> None:
    """Forget every cached result (for tests, and after changing labcore code)."""
    _cached_call.clear()
