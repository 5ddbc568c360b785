"""The store a class server's replicas share: Redis, at the URL the operator configured.

A result is trained once for the whole class: the first replica to ask takes a lock for its
key and trains; everyone else waits for the value to appear (and is told so), then loads it
(:meth:`RedisStore.get_or_make`).

- Values are signed with HMAC-SHA-256 under ``LAB_CACHE_SECRET``; a value whose signature
  does not match is ignored (a miss), so only what a replica holding the secret wrote is ever
  handed back — and then unpickled by :class:`labui.cache.results.ResultsCache`.
- Values expire after :data:`RESULT_TTL_S`; Redis's ``maxmemory`` with ``allkeys-lru`` (set
  by the class server's launcher, ``python -m labserve``, and by docker-compose.yml) drops
  the least recently used sooner when memory runs out.
- Redis down, slow, or a lock held for longer than the wait: the replica computes locally and
  one line goes to the log; a page never fails because of the cache.

Imported only when ``LAB_CACHE_URL`` is set (see :func:`labui.cache.from_environment`): one
``streamlit run app.py`` needs no ``redis`` package.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

import redis

logger = logging.getLogger(__name__)  # shown with the app's own log lines (labui.shell)

RESULT_TTL_S = 24 * 3600  # a class's results live for a day (LRU may drop them sooner)
LOCK_TTL_S = 120.0  # a trainer that died frees its lock after this long
WAIT_S = 90.0  # how long a replica waits for another's training before training itself
POLL_S = 0.1
TIMEOUT_S = 2.0  # connecting to Redis and each command: then the replica computes locally
_TAG = 32  # bytes of an HMAC-SHA-256


class RedisStore:
    """Signed bytes by key in a Redis shared by the replicas of one class.

    Args:
        client: a ``redis.Redis`` (or anything with its ``get``, ``set``, ``lock``, ``incr``,
            ``decr``, ``expire``, ``exists``).
        secret: the HMAC key; replicas of one class share it.
        wait_s: how long :meth:`get_or_make` waits for another replica's training.
        clock: seconds, for the wait (tests pass a fake).

    ``get`` and ``set`` raise ``redis.exceptions.RedisError`` when Redis cannot be reached;
    :meth:`get_or_make` turns that into a local computation.
    """

    def __init__(self, client: Any, secret: bytes, *, wait_s: float = WAIT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.secret = secret
        self.wait_s = wait_s
        self.clock = clock

    @classmethod
    def from_url(cls, url: str, secret: bytes) -> RedisStore:
        """A store on the Redis at ``url`` (``redis://[:password@]host:port/db``)."""
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S,
                                      socket_connect_timeout=TIMEOUT_S)
        return cls(client, secret)

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()

    def get(self, key: str) -> bytes | None:
        """The value under ``key`` when Redis holds one correctly signed, else None."""
        blob = self.client.get(key)
        if blob is None:
            return None
        tag, payload = blob[:_TAG], blob[_TAG:]
        if not hmac.compare_digest(tag, self._tag(payload)):
            logger.warning("shared cache: ignored a value with a bad signature (%s)", key[-12:])
            return None
        return payload

    def set(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, signed, for :data:`RESULT_TTL_S`."""
        self.client.set(key, self._tag(value) + value, ex=RESULT_TTL_S)

    def get_or_make(self, key: str, make: Callable[[], bytes],
                    on_wait: Callable[[int, float], None] | None = None) -> bytes:
        """The value under ``key``: from Redis, or made here (once for the whole class).

        Args:
            key: from :func:`labui.cache.keys.result_key`.
            make: makes the value when nobody has it.
            on_wait: ``on_wait(others, seconds_waited)`` while another replica makes it;
                ``others`` counts the sessions waiting for the same value.

        Returns:
            The value. Any Redis error makes this make it locally (and log one line); a value
            already made here is never made twice.
        """
        made: bytes | None = None
        try:
            value = self.get(key)
            if value is not None:
                logger.info("shared cache: hit %s", key[-12:])
                return value
            lock = self.client.lock(f"{key}:lock", timeout=LOCK_TTL_S, blocking=False)
            if lock.acquire(blocking=False):
                try:
                    value = self.get(key)  # finished while we took the lock
                    if value is not None:
                        return value
                    made = make()
                    self.set(key, made)
                    return made
                finally:
                    with contextlib.suppress(redis.exceptions.LockError):  # expired meanwhile
                        lock.release()
            value = self._wait(key, on_wait)
            if value is not None:
                return value
            logger.warning("shared cache: waited %.0f s for another replica; computing "
                           "locally", self.wait_s)
        except redis.exceptions.RedisError as exc:
            logger.warning("shared cache unavailable (%s); computing locally",
                           type(exc).__name__)
            if made is not None:
                return made
        return make()

    def _wait(self, key: str, on_wait: Callable[[int, float], None] | None) -> bytes | None:
        """Poll until another replica's value appears, its lock disappears, or time runs out."""
        waiters = f"{key}:waiters"
        others = int(self.client.incr(waiters))
        self.client.expire(waiters, int(LOCK_TTL_S))
        start = self.clock()
        try:
            while self.clock() - start < self.wait_s:
                value = self.get(key)
                if value is not None:
                    logger.info("shared cache: hit %s after waiting", key[-12:])
                    return value
                if not self.client.exists(f"{key}:lock"):
                    return self.get(key)  # the trainer finished (or died) just now
                if on_wait is not None:
                    on_wait(others, self.clock() - start)
                time.sleep(POLL_S)
            return None
        finally:
            self.client.decr(waiters)
