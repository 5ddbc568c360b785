"""Waiting for another thread to reach a state, in the tests of labui's queues (turns, batches).

The patience is how long a test waits before it calls the state unreached; it is never a claim
about speed (machines here are shared and noisy).
"""

from __future__ import annotations

import time
from collections.abc import Callable

PATIENCE_S = 10.0


def until(condition: Callable[[], object], what: str) -> None:
    """Return once ``condition()`` is true; fail with ``what`` after :data:`PATIENCE_S`."""
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.001)
