"""Shared test set-up: the repo root on sys.path, torch threads, the device fixture, `gpu` skips."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from labcore.device import configure_threads, default_device  # noqa: E402

configure_threads()


@pytest.fixture
def device() -> torch.device:
    """The device the lab computes on here (``LAB_DEVICE``, else cuda → mps → cpu)."""
    return default_device()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``gpu`` when no CUDA device is present."""
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device; torch.cuda.is_available() is False")
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(skip_gpu)
