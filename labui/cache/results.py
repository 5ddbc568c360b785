"""Results by key: pickled into a store, computed once per key however many sessions ask."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from labui.cache.stores import InProcessStore

if TYPE_CHECKING:  # only a class server needs the redis package
    from labui.cache.redis_store import RedisStore


class ResultsCache:
    """This process's results, backed by the class's shared store when there is one.

    A result is pickled into ``local`` (so every hit returns a fresh copy nobody else holds)
    and, with ``shared``, into the class's Redis too. Sessions of this process that ask for
    the same key at once wait for one computation; with ``shared``, so do the other replicas.

    Args:
        local: this process's bounded store.
        shared: the class's store, or None (one process alone).
    """

    def __init__(self, local: InProcessStore, shared: RedisStore | None = None) -> None:
        self.local = local
        self.shared = shared
        self._flights: dict[str, threading.Lock] = {}
        self._flights_lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` when this process holds ``key``; ``(False, None)`` otherwise."""
        blob = self.local.get(key)
        if blob is None:
            return False, None
        return True, pickle.loads(blob)  # written by this process

    def get_or_compute(self, key: str, compute: Callable[[], Any],
                       on_wait: Callable[[int, float], None] | None = None) -> Any:
        """The value for ``key``: kept here, from the shared store, or computed once.

        Args:
            key: from :func:`labui.cache.keys.result_key`.
            compute: makes the value (it must pickle); its errors are raised, not cached.
            on_wait: ``on_wait(others, seconds_waited)`` while another replica computes it.

        Returns:
            The value: the one ``compute`` returned when it ran here, else a fresh copy.
        """
        with self._flight(key):
            found, value = self.get(key)  # computed by another session while we waited
            if found:
                return value
            computed: list[Any] = []

            def make() -> bytes:
                computed.append(compute())
                return pickle.dumps(computed[0], protocol=5)

            shared = self.shared
            blob = make() if shared is None else shared.get_or_make(key, make, on_wait)
            self.local.set(key, blob)
            return computed[0] if computed else pickle.loads(blob)  # signed by the class

    @contextmanager
    def _flight(self, key: str) -> Iterator[None]:
        """Hold ``key``'s lock: one computation of a key at a time in this process."""
        with self._flights_lock:
            lock = self._flights.setdefault(key, threading.Lock())
        with lock:
            try:
                yield
            finally:
                with self._flights_lock:
                    if self._flights.get(key) is lock:
                        del self._flights[key]
