"""The process's results cache is bounded by count and by bytes, least recently used first."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from labcore.config import Config, param
from labui import run as labui_run

CALLS: list[int] = []


@dataclasses.dataclass(frozen=True)
class SizedConfig(Config):
    """A run whose result holds ``megabytes`` MB of float64."""

    seed: int = param(0, label="Seed", help="Which run.", min=0, max=9999)
    megabytes: int = param(1, label="Size", help="MB of the result.", min=1, max=64)


@dataclasses.dataclass(frozen=True)
class SizedResult:
    values: np.ndarray
    label: str


def run_sized(config: SizedConfig, progress=None) -> SizedResult:
    CALLS.append(config.seed)
    return SizedResult(np.full(config.megabytes * 2**20 // 8, float(config.seed)),
                       f"seed {config.seed}")


@pytest.fixture(autouse=True)
def empty_cache():
    labui_run.clear_caches()
    CALLS.clear()
    yield
    labui_run.clear_caches()


def test_results_beyond_the_byte_bound_are_evicted_least_recently_used_first(monkeypatch):
    # 3 MB bound, 1 MB results: at most three are kept.
    monkeypatch.setattr(labui_run, "MAX_CACHED_BYTES", 3 * 2**20 + 4096, raising=False)
    for seed in range(6):
        labui_run.run_cached(run_sized, SizedConfig(seed=seed))
    assert CALLS == [0, 1, 2, 3, 4, 5]
    labui_run.run_cached(run_sized, SizedConfig(seed=3))  # still kept, and now the newest
    labui_run.run_cached(run_sized, SizedConfig(seed=0))  # evicted: computed again
    assert CALLS == [0, 1, 2, 3, 4, 5, 0]
    labui_run.run_cached(run_sized, SizedConfig(seed=3))  # kept over 4, the least recent
    labui_run.run_cached(run_sized, SizedConfig(seed=4))
    assert CALLS == [0, 1, 2, 3, 4, 5, 0, 4]
    assert labui_run.cached_count() == 3
    assert 3 * 2**20 <= labui_run.cached_bytes() <= 3 * 2**20 + 4096


def test_results_beyond_the_count_bound_are_evicted(monkeypatch):
    monkeypatch.setattr(labui_run, "MAX_CACHED_RESULTS", 2)
    for seed in (0, 1, 2, 0):
        labui_run.run_cached(run_sized, SizedConfig(seed=seed))
    assert CALLS == [0, 1, 2, 0]
    assert labui_run.cached_count() == 2


def test_one_result_larger_than_the_bound_is_kept_alone(monkeypatch):
    monkeypatch.setattr(labui_run, "MAX_CACHED_BYTES", 2**20, raising=False)
    labui_run.run_cached(run_sized, SizedConfig(seed=0))
    labui_run.run_cached(run_sized, SizedConfig(seed=1, megabytes=4))
    labui_run.run_cached(run_sized, SizedConfig(seed=1, megabytes=4))  # kept: a hit
    labui_run.run_cached(run_sized, SizedConfig(seed=0))  # evicted by it: computed again
    assert CALLS == [0, 1, 0]
    assert labui_run.cached_count() == 1
