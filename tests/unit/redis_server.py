"""A throwaway ``redis-server`` for the tests of the Redis stores (results cache, class poll):
importable because pytest puts this folder on ``sys.path``; not collected (no ``test_`` name)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def redis_server(*options: str) -> Iterator[str]:
    """A fresh ``redis-server`` on a free port (no persistence, ``options`` added); yields its
    URL. Skips the test without redis-server or pip's redis, or fails under
    ``LAB_REQUIRE_CLUSTER=1``."""
    missing = shutil.which("redis-server") is None
    try:
        import redis  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("LAB_REQUIRE_CLUSTER") == "1":
            pytest.fail("LAB_REQUIRE_CLUSTER=1 but redis-server or the redis package is missing")
        pytest.skip("needs redis-server (apt-get install redis-server) and pip's redis")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
