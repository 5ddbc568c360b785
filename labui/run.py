"""Run one labcore experiment per config, cached across reruns, sessions and replicas.

The results cache (:mod:`labui.cache`) keeps each result in this process and — when the
operator set ``LAB_CACHE_URL`` for a classroom of several replicas — in the class's Redis,
where a config is trained once for the whole class. Without ``LAB_CACHE_URL`` only the first
exists.

The process's cache is bounded twice: at most :data:`MAX_CACHED_RESULTS` results and at most
:data:`MAX_CACHED_BYTES` of their pickles, least recently used evicted first. Redis bounds its
own memory (``maxmemory``, set by whoever starts it).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import streamlit as st

from labcore.config import Config
from labui.cache import ResultsCache, from_environment, result_key
from labui.progress import ProgressCallback, progress_reporter
from labui.shell import started
from labui.together import Together
from labui.turns import TRAINING_TURNS

R = TypeVar("R")
logger = logging.getLogger(__name__)  # configured by labui.shell (LAB_LOG_LEVEL)

MAX_CACHED_RESULTS = 64
MAX_CACHED_BYTES = 128 * 2**20
"""The most bytes of results one process keeps (128 MB of pickles). One default
Classification result (digits, 32 views of every image) is about 15 MB, so 64 of them took
about 0.94 GB; this bound keeps 8 of those, or all 64 of smaller ones (a default Regression
result is about 0.1 MB). A result larger than the bound is kept alone. Measured with
``python -m benchmarks --only bench_memory``: a server asked for 100 distinct default
Classification configs peaks at about 1.45 GB (2.37 GB without the bound)."""


# The spinner shows while this process computes a result, and also to every session of the
# process that asked for the same settings meanwhile and waits on it (no page looks frozen).
SHARED_RUN_MESSAGE = ("Training — everyone who asks for these settings now gets this one run's "
                      "result.")


@st.cache_resource(show_spinner=False)
def results_cache() -> ResultsCache:
    """This process's results cache, made from the environment on first use (one per
    process; ``st.cache_resource.clear()`` forgets it with everything else)."""
    return from_environment(max_entries=MAX_CACHED_RESULTS, max_bytes=MAX_CACHED_BYTES)


_computing = 0
_computing_lock = threading.Lock()


def computing() -> int:
    """How many computations a session asked for are running now (the cache warming's own
    do not count; it waits for this to be 0, :func:`labui.warm.wait_for_quiet`)."""
    return _computing


@contextlib.contextmanager
def _session_computation() -> Iterator[None]:
    global _computing
    with _computing_lock:
        _computing += 1
    try:
        yield
    finally:
        with _computing_lock:
            _computing -= 1


def _cached_call(
    fn_name: str,
    config: Config,
    fn: Callable[[Any, ProgressCallback], Any],
    progress: ProgressCallback,
    torch: bool = True,
) -> Any:
    """``fn(config, progress)``, cached on ``(fn_name, config)``."""
    cache = results_cache()
    key = result_key(fn_name, config)
    found, value = cache.get(key)
    if found:
        return value
    computed = []

    def compute() -> Any:
        if torch:
            started()  # torch's threads and the device are set before anything trains
        together = _together(fn) if torch else None
        group = together.together_key(config) if together is not None else None
        with _session_computation():
            if together is not None and group is not None:
                computed.append(True)
                return BATCHES.run((fn_name, group), config,
                                   _logged(fn_name, together.run_together), progress=progress,
                                   on_wait=queued, max_size=together.MAX_TOGETHER)
            with TRAINING_TURNS.turn(on_wait=queued) if torch else contextlib.nullcontext():
                logger.info("computing %s", fn_name)  # a training; the classroom tests count them
                computed.append(True)
                return fn(config, progress)

    def queued(ahead: int, others: int = 0) -> None:
        also = (f"; {others} other request{'' if others == 1 else 's'} with the same settings "
                "but the seed or noise will train together with it") if others else ""
        progress(0.0, f"Waiting for a turn to train: {_trainings(ahead)} ahead of this one{also}")

    def waiting(others: int, seconds: float) -> None:
        also = f"; {others - 1} others asked for it too" if others > 1 else ""
        progress(min(0.95, seconds / 30.0),
                 f"Someone in the class is training this already{also} ({seconds:.0f} s)")

    with st.spinner(SHARED_RUN_MESSAGE, show_time=True):
        value = cache.get_or_compute(key, compute, on_wait=waiting)
    if computed:
        _release_freed_memory()
    return value


BATCHES = Together(TRAINING_TURNS, max_size=20)  # each kind's own limit may be lower
"""Requests that wait for a turn and differ only in their seed (and, on Regression, noise level)
train as one batch (:mod:`labui.together`)."""

_TOGETHER = {  # a run function → the labcore module with its together_key, run_together and
    # MAX_TOGETHER (the most requests one batch may hold)
    "labcore.experiments.regression.run.run_regression": "labcore.experiments.regression.together",
}


def _together(fn: Callable[..., Any]) -> Any:
    """The labcore module that trains requests of ``fn`` in one batch, or None. Imported on
    first use (such modules import torch; Home's run must not)."""
    name = _TOGETHER.get(_qualified_name(fn))
    return None if name is None else importlib.import_module(name)


def _logged(fn_name: str, run_together: Callable[..., Any]) -> Callable[..., Any]:
    """``run_together`` that first logs one "computing" line per request it trains (the
    classroom tests count them)."""

    def run(items: Any, progress: ProgressCallback) -> Any:
        for _ in items:
            logger.info("computing %s", fn_name)
        return run_together(items, progress)

    return run


def _trainings(count: int) -> str:
    """How many trainings, in words.

    >>> _trainings(1), _trainings(3)
    ('1 training', '3 trainings')
    """
    return f"{count} training{'' if count == 1 else 's'}"


def _qualified_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def run_name(fn: Callable[..., Any], config: Any) -> str:
    """The name :func:`run_cached` keys ``fn(config)`` under (with the config's values):
    ``"<module>.<fn>(<module>.<ConfigClass>)"``."""
    return f"{_qualified_name(fn)}({_qualified_name(type(config))})"


def run_cached(
    fn: Callable[[Any, ProgressCallback], R], config: Config, *, label: str = "",
    torch: bool = True,
) -> R:
    """``fn(config, progress)`` through the results cache, with a progress bar while it runs.

    The cache key is the qualified names of ``fn`` and of the config's class, plus the
    config's field values (configs are frozen). A hit returns a copy of the stored result
    without calling ``fn`` and without drawing a bar. Errors are not cached.

    Args:
        fn: a labcore run function, e.g. ``labcore.experiments.regression.run.run_regression``.
        config: its frozen config.
        label: what is computed ("Size sweep"), shown before labcore's own progress
            messages; empty for a page's main run.
        torch: whether ``fn`` uses torch; only then does it wait for the process's start-up
            (:func:`labui.shell.started`: threads, device), which a fresh server runs
            while its first page draws. Home's numpy-only run passes False.

    Returns:
        ``fn``'s result (a frozen dataclass of numpy arrays and floats, so it pickles).
    """
    with progress_reporter(label) as progress:
        return _cached_call(run_name(fn, config), config, fn, progress, torch)


def cached_bytes() -> int:
    """The bytes of the results this process keeps now (their pickles)."""
    return results_cache().local.nbytes


def cached_count() -> int:
    """How many results this process keeps now."""
    return len(results_cache().local)


def _release_freed_memory() -> None:
    """Hand the memory freed since the last result back to the system (glibc's
    ``malloc_trim``; elsewhere nothing).

    glibc keeps freed blocks of its heap for reuse, and after a run has freed large arrays
    (an evicted result, a training's activations) the process's resident memory stays at its
    high-water mark: measured here, without this a server that keeps no results at all still
    grew to 1.5 GB over 100 runs, and to 1.3 GB with it. Called once per new result."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _glibc()


def clear_caches() -> None:
    """Forget every result this process keeps (for tests, and after changing labcore code);
    the next run makes the cache again from the environment and the bounds above."""
    results_cache.clear()
