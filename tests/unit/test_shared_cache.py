"""The results cache (labui.cache): its keys, its two stores behind one protocol, and the
class's shared store against a real ``redis-server`` (Debian's package).

The Redis tests are skipped when ``redis-server`` or the ``redis`` package is missing, unless
``LAB_REQUIRE_CLUSTER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from redis_server import free_port, redis_server

from labcore.experiments.regression.config import RegressionConfig
from labui.cache import InProcessStore, ResultsCache, ResultStore, from_environment, result_key
from labui.cache.keys import code_version

ROOT = Path(__file__).resolve().parents[2]
LOGGER = "labui.cache"
KB = 2**10


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru") as url:
        yield url


@pytest.fixture
def shared(redis_url: str):
    import redis

    from labui.cache.redis_store import RedisStore

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.config_set("maxmemory", "64mb")
    return RedisStore(client, b"test-secret", wait_s=10.0)


# --- keys -------------------------------------------------------------------------------------


@pytest.fixture
def release_tag(monkeypatch) -> Iterator[str]:
    """A fixed code version (as a container image sets it), so edits to labcore meanwhile do
    not change the key between two processes."""
    monkeypatch.setenv("LAB_CODE_VERSION", "release-1")
    code_version.cache_clear()
    yield "release-1"
    code_version.cache_clear()


def test_the_key_is_the_same_in_another_process_and_changes_with_the_config(release_tag) -> None:
    # Python's hash() of a str differs between processes; the key must not.
    code = ("from labui.cache import result_key;"
            "from labcore.experiments.regression.config import RegressionConfig;"
            "print(result_key('run', RegressionConfig(seed=3)))")
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, env={**os.environ, "PYTHONHASHSEED": "123"}, check=True)
    assert other.stdout.strip() == result_key("run", RegressionConfig(seed=3))
    assert result_key("run", RegressionConfig(seed=3)) != result_key("run", RegressionConfig())
    assert result_key("run", RegressionConfig()) != result_key("other", RegressionConfig())
    assert result_key("run", RegressionConfig()).startswith("lab:v1:")


def test_the_key_changes_with_the_code_version(monkeypatch, release_tag) -> None:
    before = result_key("run", RegressionConfig())
    monkeypatch.setenv("LAB_CODE_VERSION", "release-2")
    code_version.cache_clear()
    assert result_key("run", RegressionConfig()) != before


def test_arrays_are_keyed_by_content_dtype_and_shape() -> None:
    a = np.arange(6, dtype=np.float64)
    assert result_key("f", (a,)) == result_key("f", (a.copy(),))
    assert result_key("f", (a,)) != result_key("f", (a.reshape(2, 3),))
    assert result_key("f", (a,)) != result_key("f", (a.astype(np.float32),))
    with pytest.raises(TypeError, match="No stable digest for a object"):
        result_key("f", object())


# --- both stores: one protocol, one behaviour -------------------------------------------------


@pytest.fixture(params=["in-process", "redis"])
def store(request) -> ResultStore:
    """Each store, bounded at 4 MB: the in-process one by its byte bound, Redis by maxmemory."""
    if request.param == "in-process":
        return InProcessStore(max_entries=64, max_bytes=4 * 2**20)
    shared = request.getfixturevalue("shared")
    shared.client.config_set("maxmemory", "4mb")
    return shared


def test_a_value_comes_back_as_it_went_in(store: ResultStore) -> None:
    value = pickle.dumps({"band": np.linspace(0, 1, 5)}) + bytes(range(256))
    store.set("lab:test:round", value)
    assert store.get("lab:test:round") == value
    store.set("lab:test:round", b"replaced")
    assert store.get("lab:test:round") == b"replaced"


def test_a_missing_key_is_none(store: ResultStore) -> None:
    assert store.get("lab:test:never-set") is None
    assert store.get("") is None


def test_beyond_the_bound_older_values_go_and_the_newest_stays(store: ResultStore) -> None:
    values = [bytes([i]) * (512 * KB) for i in range(24)]  # 12 MB into a 4 MB bound
    for i, value in enumerate(values):
        store.set(f"lab:test:big:{i}", value)
    kept = [i for i in range(24) if store.get(f"lab:test:big:{i}") is not None]
    assert 1 <= len(kept) <= 8  # at most 4 MB of the 12 MB
    assert store.get("lab:test:big:23") == values[23]
    assert all(store.get(f"lab:test:big:{i}") == values[i] for i in kept)


# --- the in-process store's exact bounds (st.cache_data's, before) ----------------------------


def test_the_in_process_store_drops_the_least_recently_used_first() -> None:
    store = InProcessStore(max_entries=3, max_bytes=10**6)
    for key in "abc":
        store.set(key, key.encode())
    assert store.get("a") == b"a"  # now the most recently used: "b" is the oldest
    store.set("d", b"d")
    assert [k for k in "abcd" if store.get(k) is not None] == ["a", "c", "d"]
    assert (len(store), store.nbytes) == (3, 3)


def test_the_in_process_store_counts_bytes_and_keeps_one_value_over_the_bound_alone() -> None:
    store = InProcessStore(max_entries=64, max_bytes=10)
    store.set("a", b"12345")
    store.set("b", b"12345")
    assert (len(store), store.nbytes) == (2, 10)
    store.set("a", b"1")  # a replaced value counts its new size only
    assert store.nbytes == 6
    store.set("huge", b"x" * 11)
    assert store.get("huge") == b"x" * 11 and (len(store), store.nbytes) == (1, 11)
    store.clear()
    assert (len(store), store.nbytes) == (0, 0)


def test_one_process_computes_a_key_once_however_many_sessions_ask() -> None:
    cache = ResultsCache(InProcessStore(max_entries=4, max_bytes=2**20))
    calls, results = [], []

    def compute() -> dict:
        calls.append(1)
        time.sleep(0.3)  # a training
        return {"rmse": 0.25}

    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", compute)))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and results == [{"rmse": 0.25}] * 6
    assert results[0] is not results[1]  # every session but the trainer gets its own copy


def test_an_error_is_raised_and_not_cached() -> None:
    cache = ResultsCache(InProcessStore(max_entries=4, max_bytes=2**20))

    def fail() -> None:
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError, match="diverged"):
        cache.get_or_compute("k", fail)
    assert cache.get("k") == (False, None)
    assert cache.get_or_compute("k", lambda: 3) == 3


def test_without_lab_cache_url_only_this_process_keeps_results(monkeypatch) -> None:
    monkeypatch.delenv("LAB_CACHE_URL", raising=False)
    cache = from_environment(max_entries=5, max_bytes=100)
    assert cache.shared is None
    assert (cache.local.max_entries, cache.local.max_bytes) == (5, 100)


# --- the class's shared store -----------------------------------------------------------------


def test_with_lab_cache_url_the_class_shares_redis_with_short_timeouts(monkeypatch,
                                                                       caplog) -> None:
    pytest.importorskip("redis")
    monkeypatch.setenv("LAB_CACHE_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delenv("LAB_CACHE_SECRET", raising=False)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        cache = from_environment(max_entries=5, max_bytes=100)
    assert "LAB_CACHE_SECRET is not set" in caplog.text
    assert cache.shared is not None and cache.shared.secret == b"uncertainty-lab:redis://127.0.0.1:1/0"
    kwargs = cache.shared.client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 2.0


def test_a_value_expires_after_a_day(shared) -> None:
    from labui.cache.redis_store import RESULT_TTL_S

    shared.set("lab:test:ttl", b"v")
    assert RESULT_TTL_S == 24 * 3600
    assert RESULT_TTL_S - 5 <= shared.client.ttl("lab:test:ttl") <= RESULT_TTL_S


def test_a_result_one_replica_computed_is_loaded_by_another(shared) -> None:
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"rmse": 0.25, "band": np.linspace(0, 1, 5)}

    first, second = (ResultsCache(InProcessStore(max_entries=4, max_bytes=2**20), shared)
                     for _ in range(2))
    a = first.get_or_compute("lab:test:a", compute)
    b = second.get_or_compute("lab:test:a", compute)
    assert len(calls) == 1
    assert b["rmse"] == 0.25 and np.array_equal(b["band"], a["band"])
    assert second.get("lab:test:a")[0]  # and kept in that replica's own memory too


def test_a_class_asking_at_once_trains_once_and_the_others_are_told(shared) -> None:
    calls, waits, results = [], [], []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.8)  # a training
        return 42

    def student() -> None:  # each on a replica of its own
        cache = ResultsCache(InProcessStore(max_entries=4, max_bytes=2**20), shared)
        results.append(cache.get_or_compute("lab:test:b", compute,
                                            on_wait=lambda others, s: waits.append(others)))

    threads = [threading.Thread(target=student) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 6
    assert len(calls) == 1
    assert waits and max(waits) >= 2  # several waited together, and were counted


def test_a_value_with_a_bad_signature_is_recomputed(shared, caplog) -> None:
    shared.client.set("lab:test:c", b"x" * 32 + pickle.dumps("forged"))
    assert shared.get("lab:test:c") is None
    cache = ResultsCache(InProcessStore(max_entries=4, max_bytes=2**20), shared)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert cache.get_or_compute("lab:test:c", lambda: "fresh") == "fresh"
    assert "bad signature" in caplog.text
    assert pickle.loads(shared.get("lab:test:c")) == "fresh"  # and replaced by a signed one


def test_redis_down_computes_locally_with_one_log_line(caplog) -> None:
    redis = pytest.importorskip("redis")
    from labui.cache.redis_store import RedisStore

    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    cache = ResultsCache(InProcessStore(max_entries=4, max_bytes=2**20), RedisStore(dead, b"s"))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert cache.get_or_compute("lab:test:d", lambda: 7) == 7
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and lines[0].startswith("shared cache unavailable (ConnectionError)")
    assert cache.get_or_compute("lab:test:d", lambda: 8) == 7  # kept here meanwhile


def test_redis_failing_after_a_training_does_not_train_again(shared, caplog) -> None:
    import redis

    def broken_set(key: str, value: bytes) -> None:
        raise redis.exceptions.ConnectionError("gone")

    shared.set = broken_set
    calls = []
    cache = ResultsCache(InProcessStore(max_entries=4, max_bytes=2**20), shared)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert cache.get_or_compute("lab:test:f", lambda: calls.append(1) or 5) == 5
    assert len(calls) == 1 and "shared cache unavailable" in caplog.text


def test_a_lock_held_too_long_is_waited_for_then_computed_locally(shared, caplog) -> None:
    shared.wait_s = 0.5
    held = shared.client.lock("lab:test:e:lock", timeout=30)
    assert held.acquire(blocking=False)
    try:
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            assert shared.get_or_make("lab:test:e", lambda: b"local") == b"local"
        assert "computing locally" in caplog.text
    finally:
        held.release()
