"""Where the results cache keeps its values: bytes by key, behind one small protocol.

:class:`InProcessStore` (this process's memory, bounded, least recently used first) is the
default; :class:`labui.cache.redis_store.RedisStore` is the store a class server's replicas
share. Both only hold bytes: pickling results is :class:`labui.cache.results.ResultsCache`'s
job.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol


class ResultStore(Protocol):
    """Bytes by key. A store may drop any value at any time (bounds, expiry): a miss only
    means the result is computed again."""

    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None when there is none."""
        ...

    def set(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        ...


class InProcessStore:
    """This process's values, bounded by count and by bytes, least recently used dropped first.

    Both a hit and a write make a key the most recently used. The newest value is never
    dropped, so one value larger than ``max_bytes`` is kept alone. Thread-safe: Streamlit runs
    every session of the process in its own thread.

    Args:
        max_entries: the most values kept.
        max_bytes: the most bytes kept, all values together.

    Example:
        >>> store = InProcessStore(max_entries=2, max_bytes=100)
        >>> store.set("a", b"1"); store.set("b", b"22"); store.set("c", b"333")
        >>> store.get("a"), store.get("c"), len(store), store.nbytes
        (None, b'333', 2, 5)
    """

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1. Got {max_entries}.")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._values: OrderedDict[str, bytes] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The value under ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        """Keep ``value`` under ``key``; drop the least recently used beyond the bounds."""
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:
                self._nbytes -= len(old)
            self._values[key] = value
            self._nbytes += len(value)
            while len(self._values) > 1 and (len(self._values) > self.max_entries
                                             or self._nbytes > self.max_bytes):
                _, dropped = self._values.popitem(last=False)
                self._nbytes -= len(dropped)

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._values.clear()
            self._nbytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    @property
    def nbytes(self) -> int:
        """The bytes of every value kept now."""
        with self._lock:
            return self._nbytes
