"""Shared test set-up: the repo root on sys.path, torch threads, the device fixture, and which
tests run by default (``gpu`` tests skip without CUDA; ``load`` and ``cluster`` tests run only
when asked for).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from labcore.device import configure_threads, default_device  # noqa: E402

configure_threads()
# The tests count their own trainings: no server they start (nor AppTest's app) warms its
# results cache in the background (labui.warm); test_warm.py calls it directly.
os.environ.setdefault("LAB_WARM", "0")

# Markers whose tests run only when ``-m`` names them, and where those tests live.
OPT_IN = {"load": "tests/load", "cluster": "tests/cluster"}
DESELECTED = pytest.StashKey[dict[str, int]]()


@pytest.fixture
def device() -> torch.device:
    """The device the lab computes on here (``LAB_DEVICE``, else cuda → mps → cpu)."""
    return default_device()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Helper modules under tests/ (fixture pages, fake experiments) are not collected.

    ``--doctest-modules`` would otherwise import them on their own, and a fixture page is a
    Streamlit script meant to run inside AppTest.
    """
    name = collection_path.name
    if collection_path.suffix == ".py" and not name.startswith("test_") and name != "conftest.py":
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out ``load`` and ``cluster`` tests unless ``-m`` names them; skip ``gpu`` tests
    without CUDA.

    A classroom of 20 sessions takes minutes, and a class server needs nginx and redis-server,
    so plain ``pytest`` runs neither; ``pytest -m load tests/load`` and ``pytest -m cluster
    tests/cluster`` do (CI runs all three, see ``.ci/run``).
    """
    markexpr = config.getoption("markexpr") or ""
    left_out = config.stash.setdefault(DESELECTED, {})
    for marker in OPT_IN:
        if re.search(rf"\b{marker}\b", markexpr):
            continue
        dropped = [item for item in items if item.get_closest_marker(marker) is not None]
        if dropped:
            items[:] = [item for item in items if item.get_closest_marker(marker) is None]
            config.hook.pytest_deselected(items=dropped)
            left_out[marker] = len(dropped)
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device; torch.cuda.is_available() is False")
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(skip_gpu)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config
                            ) -> None:
    """Say how to run the load and cluster tests that were left out."""
    for marker, count in config.stash.get(DESELECTED, {}).items():
        terminalreporter.write_line(f"{count} {marker} test(s) left out; run them with: "
                                    f"pytest -m {marker} {OPT_IN[marker]}")
