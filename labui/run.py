"""Run one labcore experiment per config, cached across reruns, sessions and replicas.

Two levels: ``st.cache_data`` in this process, and — when the operator set ``LAB_CACHE_URL``
for a classroom of several replicas — the Redis cache of :mod:`labserve.shared_cache`, where a
config is trained once for the whole class. Without ``LAB_CACHE_URL`` only the first exists.

The process's cache is bounded twice: at most :data:`MAX_CACHED_RESULTS` results
(``st.cache_data``'s ``max_entries``) and at most :data:`MAX_CACHED_BYTES` of them, counted by
:func:`result_nbytes` and evicted least recently used first. Redis bounds its own memory
(``maxmemory``, see :mod:`labserve.cluster`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from labcore.config import Config
from labserve.shared_cache import from_environment, result_key
from labui.progress import ProgressCallback, progress_reporter

R = TypeVar("R")
logger = logging.getLogger(__name__)  # configured by labui.shell (LAB_LOG_LEVEL)

MAX_CACHED_RESULTS = 64
MAX_CACHED_BYTES = 128 * 2**20
"""The most bytes of results one process keeps (128 MB; see :func:`result_nbytes`). One default
Classification result (digits, 32 views of every image) is about 15 MB, so 64 of them took
about 0.94 GB; this bound keeps 8 of those, or all 64 of smaller ones (a default Regression
result is about 0.1 MB). A result larger than the bound is kept alone. Measured with
``python -m benchmarks --only bench_memory``: a server asked for 100 distinct default
Classification configs peaks at about 1.45 GB (2.37 GB without the bound)."""


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
        result = _cached_call(name, config, fn, progress)
    _account(name, config, result)
    return result


def result_nbytes(value: Any) -> int:
    """The bytes a cached result holds: its numpy arrays' data, walked through dataclasses,
    mappings, lists and tuples (each object counted once), plus ``sys.getsizeof`` of
    anything else — what its pickle in ``st.cache_data`` takes, to within a few hundred bytes
    per field.

    >>> import dataclasses
    >>> @dataclasses.dataclass
    ... class R:
    ...     a: np.ndarray
    ...     b: dict
    >>> r = R(np.zeros((100, 10)), {"c": np.zeros(5, dtype=np.float32)})
    >>> 100 * 10 * 8 + 5 * 4 <= result_nbytes(r) < 100 * 10 * 8 + 5 * 4 + 500
    True
    """
    seen: set[int] = set()
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            if item.dtype == object:
                stack.extend(item.ravel().tolist())
            else:
                total += item.nbytes
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        else:
            total += sys.getsizeof(item)
    return total


# Least recently used first: cache key → (fn_name, config, bytes). The same order as
# st.cache_data's own LRU (every hit and miss passes through run_cached).
_entries: OrderedDict[str, tuple[str, Any, int]] = OrderedDict()
_entries_lock = threading.Lock()


def cached_bytes() -> int:
    """The bytes of the results this process keeps now (as :func:`result_nbytes` counts)."""
    with _entries_lock:
        return sum(size for _, _, size in _entries.values())


def cached_count() -> int:
    """How many results this process keeps now."""
    with _entries_lock:
        return len(_entries)


def _account(name: str, config: Config, result: Any) -> None:
    """Mark ``name(config)`` as just used; evict the least recently used results while more
    than :data:`MAX_CACHED_RESULTS` or :data:`MAX_CACHED_BYTES` are kept (never the newest)."""
    key = result_key(name, config)
    evicted = []
    with _entries_lock:
        if key in _entries:
            _entries.move_to_end(key)
            return
        _entries[key] = (name, config, result_nbytes(result))
        total = sum(size for _, _, size in _entries.values())
        while len(_entries) > 1 and (len(_entries) > MAX_CACHED_RESULTS
                                     or total > MAX_CACHED_BYTES):
            _, (old_name, old_config, size) = _entries.popitem(last=False)
            total -= size
            evicted.append((old_name, old_config))
    for old_name, old_config in evicted:
        _cached_call.clear(old_name, old_config, None, None)  # underscored args: not the key
    _release_freed_memory()


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
    """Forget every cached result (for tests, and after changing labcore code)."""
    _cached_call.clear()
    with _entries_lock:
        _entries.clear()
