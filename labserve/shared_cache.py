"""Results shared by every replica of a classroom server, in the Redis the operator configured.

With ``LAB_CACHE_URL`` unset (one ``streamlit run app.py``) nothing here is used and each
process keeps its own ``st.cache_data``. With ``LAB_CACHE_URL=redis://host:6379/0`` a result
is trained once for the whole class: the first replica to ask takes a lock for its key and
trains; everyone else waits for the value to appear in Redis (and is told so), then loads it.

- The key is a SHA-256 of the run function's name, the code version (a digest of the
  ``labcore`` sources) and the config's content — never Python's ``hash()``, which differs
  between processes.
- Values are pickles signed with HMAC-SHA-256 under ``LAB_CACHE_SECRET``; a value whose
  signature does not match is ignored and recomputed, so only what a replica holding the
  secret wrote is ever unpickled.
- Redis down, slow, or a lock held for longer than the wait: the page computes locally and
  one line goes to the log; it never fails because of the cache.

Redis is given ``maxmemory`` and ``allkeys-lru`` by the launcher (``python -m labserve``), so
old results make room for new ones.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import logging
import os
import pickle
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger("labui.shared_cache")  # shown with the app's own log lines

ROOT = Path(__file__).resolve().parents[1]
URL_ENV = "LAB_CACHE_URL"
SECRET_ENV = "LAB_CACHE_SECRET"
PREFIX = "lab:v1:"
RESULT_TTL_S = 24 * 3600  # a class's results live for a day (LRU may drop them sooner)
LOCK_TTL_S = 120.0  # a trainer that died frees its lock after this long
WAIT_S = 90.0  # how long a replica waits for another's training before training itself
POLL_S = 0.1


@cache
def code_version() -> str:
    """A digest of every ``labcore`` source file: results of other code never match.

    ``LAB_CODE_VERSION`` overrides it (e.g. a release tag in a container image).
    """
    override = os.environ.get("LAB_CODE_VERSION")
    if override:
        return override
    digest = hashlib.sha256()
    for path in sorted((ROOT / "labcore").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _feed(digest: Any, value: Any) -> None:
    """Feed a canonical encoding of ``value`` (configs, arrays, plain values) to ``digest``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"<{type(value).__module__}.{type(value).__qualname__}>".encode())
        for field in dataclasses.fields(value):
            digest.update(field.name.encode() + b"=")
            _feed(digest, getattr(value, field.name))
            digest.update(b";")
    elif isinstance(value, np.ndarray):
        digest.update(f"<array {value.dtype.str} {value.shape}>".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, tuple | list):
        digest.update(b"(")
        for item in value:
            _feed(digest, item)
            digest.update(b",")
        digest.update(b")")
    elif isinstance(value, bool | int | float | str | bytes) or value is None:
        digest.update(f"<{type(value).__name__}>{value!r}".encode())
    else:
        raise TypeError(f"No stable digest for a {type(value).__name__}. Got {value!r}.")


def result_key(fn_name: str, config: Any) -> str:
    """The Redis key of ``fn_name(config)`` under this code version.

    Example:
        >>> import dataclasses
        >>> @dataclasses.dataclass(frozen=True)
        ... class C:
        ...     n: int = 3
        >>> result_key("f", C()) == result_key("f", C(n=3)) != result_key("f", C(n=4))
        True
    """
    digest = hashlib.sha256()
    _feed(digest, (fn_name, code_version()))
    _feed(digest, config)
    return PREFIX + digest.hexdigest()


class SharedCache:
    """A Redis-backed, single-flight results cache shared by the replicas of one class.

    Args:
        client: a ``redis.Redis`` (or anything with its ``get``, ``set``, ``lock``, ``incr``,
            ``decr``, ``expire``).
        secret: the HMAC key; replicas of one class share it.
        wait_s: how long to wait for another replica's training.
        clock: seconds, for the wait (tests pass a fake).
    """

    def __init__(self, client: Any, secret: bytes, *, wait_s: float = WAIT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.secret = secret
        self.wait_s = wait_s
        self.clock = clock

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest() + payload

    def _load(self, key: str) -> tuple[bool, Any]:
        """(True, value) when Redis holds a correctly signed value for ``key``."""
        blob = self.client.get(key)
        if blob is None:
            return False, None
        tag, payload = blob[:32], blob[32:]
        if not hmac.compare_digest(tag, hmac.new(self.secret, payload, hashlib.sha256).digest()):
            logger.warning("shared cache: ignored a value with a bad signature (%s)", key[-12:])
            return False, None
        return True, pickle.loads(payload)  # signed by a replica holding the secret

    def get_or_compute(self, key: str, compute: Callable[[], Any],
                       on_wait: Callable[[int, float], None] | None = None) -> Any:
        """The value for ``key``: from Redis, or computed here (once for the whole class).

        Args:
            key: from :func:`result_key`.
            compute: makes the value when nobody has it.
            on_wait: ``on_wait(others, seconds_waited)`` while another replica trains;
                ``others`` counts the sessions waiting for the same result.

        Returns:
            The value. Any Redis error makes this compute locally (and log one line).
        """
        import redis  # only a configured class server needs the package

        try:
            found, value = self._load(key)
            if found:
                logger.info("shared cache: hit %s", key[-12:])
                return value
            lock = self.client.lock(f"{key}:lock", timeout=LOCK_TTL_S, blocking=False)
            if lock.acquire(blocking=False):
                try:
                    found, value = self._load(key)  # finished while we took the lock
                    if found:
                        return value
                    value = compute()
                    self.client.set(key, self._sign(pickle.dumps(value, protocol=5)),
                                    ex=RESULT_TTL_S)
                    return value
                finally:
                    with contextlib.suppress(redis.exceptions.LockError):  # expired meanwhile
                        lock.release()
            found, value = self._wait(key, on_wait)
            if found:
                return value
            logger.warning("shared cache: waited %.0f s for another replica; computing "
                           "locally", self.wait_s)
        except redis.exceptions.RedisError as exc:
            logger.warning("shared cache unavailable (%s); computing locally",
                           type(exc).__name__)
        return compute()

    def _wait(self, key: str, on_wait: Callable[[int, float], None] | None) -> tuple[bool, Any]:
        """Poll until another replica's value appears, its lock disappears, or time runs out."""
        waiters = f"{key}:waiters"
        others = int(self.client.incr(waiters))
        self.client.expire(waiters, int(LOCK_TTL_S))
        start = self.clock()
        try:
            while self.clock() - start < self.wait_s:
                found, value = self._load(key)
                if found:
                    logger.info("shared cache: hit %s after waiting", key[-12:])
                    return True, value
                if not self.client.exists(f"{key}:lock"):
                    return self._load(key)  # the trainer finished (or died) just now
                if on_wait is not None:
                    on_wait(others, self.clock() - start)
                time.sleep(POLL_S)
            return False, None
        finally:
            self.client.decr(waiters)


@cache
def from_environment() -> SharedCache | None:
    """The class's shared cache when ``LAB_CACHE_URL`` is set, else None (the default).

    ``LAB_CACHE_SECRET`` signs the values; without it a per-URL default is used and a
    warning is logged (replicas still agree, but anyone who can write to Redis could forge).
    """
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return None
    try:
        import redis
    except ImportError:
        logger.warning("%s is set but the redis package is missing (pip install redis); "
                       "using the in-process cache", URL_ENV)
        return None
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        logger.warning("%s is not set; shared results are signed with a default key",
                       SECRET_ENV)
        secret = f"uncertainty-lab:{url}"
    client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
    return SharedCache(client, secret.encode())
