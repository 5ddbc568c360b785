"""The results cache: a result is computed once per setting, then loaded.

Results are pickled into a store behind one small protocol, :class:`~labui.cache.stores.ResultStore`
(bytes by key). This process's memory (:class:`~labui.cache.stores.InProcessStore`, bounded)
always; with ``LAB_CACHE_URL=redis://host:6379/0`` also the Redis the replicas of a class share
(:class:`~labui.cache.redis_store.RedisStore`), so a setting is trained once for the whole
class. :func:`from_environment` picks; :mod:`labui.run` is its only user in the app.

- :mod:`labui.cache.keys`: the key of a run function and its config (the same in every process).
- :mod:`labui.cache.stores`: the protocol and the in-process store.
- :mod:`labui.cache.redis_store`: the shared store (signed values, single flight, local fallback).
- :mod:`labui.cache.results`: pickling, and one computation per key however many sessions ask.
- :mod:`labui.cache.rooms`: the class poll's rooms (:func:`rooms_from_environment`), in the
  same Redis when there is one.
"""

from __future__ import annotations

import logging
import os

from labui.cache.keys import result_key
from labui.cache.results import ResultsCache
from labui.cache.rooms import InProcessRoomStore, RedisRoomStore, RoomStore
from labui.cache.stores import InProcessStore, ResultStore

logger = logging.getLogger(__name__)

URL_ENV = "LAB_CACHE_URL"
SECRET_ENV = "LAB_CACHE_SECRET"

__all__ = ["InProcessStore", "ResultStore", "ResultsCache", "RoomStore", "from_environment",
           "result_key", "rooms_from_environment"]


def from_environment(*, max_entries: int, max_bytes: int) -> ResultsCache:
    """The cache this process should use: in-process, plus Redis when ``LAB_CACHE_URL`` is set.

    ``LAB_CACHE_SECRET`` signs the shared values; without it a per-URL default is used and a
    warning is logged (replicas still agree, but anyone who can write to Redis could forge).
    Without the ``redis`` package a warning is logged and only the in-process store is used.

    Args:
        max_entries: the most results this process keeps.
        max_bytes: the most bytes of pickled results this process keeps.
    """
    local = InProcessStore(max_entries=max_entries, max_bytes=max_bytes)
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return ResultsCache(local)
    try:
        from labui.cache.redis_store import RedisStore
    except ImportError:
        logger.warning("%s is set but the redis package is missing (pip install redis); "
                       "using the in-process cache", URL_ENV)
        return ResultsCache(local)
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        logger.warning("%s is not set; shared results are signed with a default key",
                       SECRET_ENV)
        secret = f"uncertainty-lab:{url}"
    return ResultsCache(local, RedisStore.from_url(url, secret.encode()))


def rooms_from_environment() -> RoomStore:
    """The class poll's rooms: this process's, or Redis's when ``LAB_CACHE_URL`` is set.

    Replicas of a class server must share the rooms (a student's answer reaches one replica,
    the teacher's chart another), so they use the results cache's Redis; its keys and values
    are HMACs under ``LAB_CACHE_SECRET`` (a per-URL default with a warning, as
    :func:`from_environment`). One process uses :class:`~labui.cache.rooms.InProcessRoomStore`,
    keyed by ``LAB_CACHE_SECRET`` when set (a teacher's link then reopens its room after a
    restart), else by a random secret.
    """
    secret = os.environ.get(SECRET_ENV, "")
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return InProcessRoomStore(secret.encode() or None)
    try:
        import redis  # noqa: F401  (RedisRoomStore imports it when made)
    except ImportError:
        logger.warning("%s is set but the redis package is missing (pip install redis); "
                       "class poll rooms are this process's only", URL_ENV)
        return InProcessRoomStore(secret.encode() or None)
    if not secret:
        logger.warning("%s is not set; class poll rooms use a default key", SECRET_ENV)
        secret = f"uncertainty-lab:{url}"
    return RedisRoomStore.from_url(url, secret.encode())
