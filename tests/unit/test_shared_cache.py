"""The classroom's shared results cache against a real ``redis-server`` (Debian's package).

Skipped when ``redis-server`` or the ``redis`` package is missing, unless
``LAB_REQUIRE_CLUSTER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from labcore.experiments.regression.config import RegressionConfig
from labserve.shared_cache import SharedCache, result_key

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    missing = shutil.which("redis-server") is None
    try:
        import redis  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("LAB_REQUIRE_CLUSTER") == "1":
            pytest.fail("LAB_REQUIRE_CLUSTER=1 but redis-server or the redis package is missing")
        pytest.skip("needs redis-server (apt-get install redis-server) and pip's redis")
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
def cache(redis_url: str) -> SharedCache:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return SharedCache(client, b"test-secret", wait_s=10.0)


def test_the_key_is_the_same_in_another_process_and_changes_with_the_config() -> None:
    # Python's hash() of a str differs between processes; the key must not.
    code = ("from labserve.shared_cache import result_key;"
            "from labcore.experiments.regression.config import RegressionConfig;"
            "print(result_key('run', RegressionConfig(seed=3)))")
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, env={**os.environ, "PYTHONHASHSEED": "123"}, check=True)
    assert other.stdout.strip() == result_key("run", RegressionConfig(seed=3))
    assert result_key("run", RegressionConfig(seed=3)) != result_key("run", RegressionConfig())
    assert result_key("run", RegressionConfig()) != result_key("other", RegressionConfig())


def test_arrays_are_keyed_by_content_dtype_and_shape() -> None:
    a = np.arange(6, dtype=np.float64)
    assert result_key("f", (a,)) == result_key("f", (a.copy(),))
    assert result_key("f", (a,)) != result_key("f", (a.reshape(2, 3),))
    assert result_key("f", (a,)) != result_key("f", (a.astype(np.float32),))
    with pytest.raises(TypeError, match="No stable digest for a object"):
        result_key("f", object())


def test_a_result_is_computed_once_then_loaded(cache: SharedCache) -> None:
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"rmse": 0.25, "band": np.linspace(0, 1, 5)}

    first = cache.get_or_compute("lab:test:a", compute)
    second = cache.get_or_compute("lab:test:a", compute)
    assert len(calls) == 1
    assert second["rmse"] == 0.25 and np.array_equal(second["band"], first["band"])


def test_a_class_asking_at_once_trains_once_and_the_others_are_told(cache: SharedCache) -> None:
    calls, waits, results = [], [], []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.8)  # a training
        return 42

    def student() -> None:
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


def test_a_value_with_a_bad_signature_is_recomputed(cache: SharedCache, caplog) -> None:
    cache.client.set("lab:test:c", b"x" * 32 + b"not a pickle anyone signed")
    with caplog.at_level(logging.WARNING, logger="labui.shared_cache"):
        assert cache.get_or_compute("lab:test:c", lambda: "fresh") == "fresh"
    assert "bad signature" in caplog.text


def test_redis_down_computes_locally_with_one_log_line(caplog) -> None:
    import redis

    dead = redis.Redis(host="127.0.0.1", port=_free_port(), socket_connect_timeout=0.5)
    shared = SharedCache(dead, b"s")
    with caplog.at_level(logging.WARNING, logger="labui.shared_cache"):
        assert shared.get_or_compute("lab:test:d", lambda: 7) == 7
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and lines[0].startswith("shared cache unavailable (ConnectionError)")


def test_a_lock_held_too_long_is_waited_for_then_computed_locally(cache: SharedCache,
                                                                   caplog) -> None:
    cache.wait_s = 0.5
    held = cache.client.lock("lab:test:e:lock", timeout=30)
    assert held.acquire(blocking=False)
    try:
        with caplog.at_level(logging.WARNING, logger="labui.shared_cache"):
            assert cache.get_or_compute("lab:test:e", lambda: "local") == "local"
        assert "computing locally" in caplog.text
    finally:
        held.release()
