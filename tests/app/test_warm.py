"""The server warms its results cache (labui.warm): which runs, in which order, within which
bound, and that a warmed page then opens without training."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator

import pytest
from app_helpers import open_app

from labcore.experiments import LABS
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import run_mle
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression
from labui import warm as warm_module
from labui.cache import ResultsCache, result_key
from labui.cache.stores import InProcessStore
from labui.run import computing, results_cache, run_cached, run_name
from labui.warm import page_configs, warm, warm_runs

FAST = RegressionConfig(steps=100)


def key(fn, config) -> str:
    return result_key(run_name(fn, config), config)


def test_every_page_default_comes_first_then_comparisons_and_presets_once_each() -> None:
    runs = warm_runs()
    keys = [key(fn, c) for fn, c in runs]
    assert len(keys) == len(set(keys))
    # the first run of each lab is its page's default, as the page's own run keys it
    for (fn, config), lab in zip(runs[: len(LABS)], LABS, strict=True):
        whatif = lab.whatif()
        assert fn is whatif.run
        assert config == whatif.trained(next(page_configs(lab)))
    # every preset and every comparison's A and B is warmed
    for lab in LABS:
        whatif = lab.whatif()
        wanted = [*lab.preset_configs().values(),
                  *(c for pair in whatif.comparisons.values() for c in pair)]
        for config in wanted:
            assert key(whatif.run, whatif.trained(config)) in keys, (lab.key, config)


def test_warm_skips_what_is_kept_stops_at_its_bound_and_survives_a_failure(caplog) -> None:
    cache = ResultsCache(InProcessStore(max_entries=16, max_bytes=10**9))
    calls: list[int] = []

    def fake(config: MLEConfig, progress) -> bytes:
        calls.append(config.n_samples)
        if config.n_samples == 3:
            raise ValueError("Training diverged. Got nan.")
        return b"x" * 1000

    kept = MLEConfig(n_samples=1)
    cache.get_or_compute(key(fake, kept), lambda: b"kept")
    runs = [(fake, MLEConfig(n_samples=n)) for n in (1, 2, 3, 4, 5, 6)]
    # 1 is kept; 3 fails; 2 and 4 are computed; then the store holds more than the bound
    bound = len(pickle.dumps(b"kept", protocol=5)) + 2 * len(pickle.dumps(b"x" * 1000,
                                                                      protocol=5))
    with caplog.at_level(logging.INFO, logger="labui.warm"):
        assert warm(cache, runs, max_bytes=bound) == 3
    assert calls == [2, 3, 4]
    assert cache.get(key(fake, MLEConfig(n_samples=4)))[0]
    assert not cache.get(key(fake, MLEConfig(n_samples=5)))[0]
    assert any("warming" in r.getMessage() and "failed" in r.getMessage()
               for r in caplog.records)
    assert warm(cache, runs[:2], max_bytes=10**9) == 0  # nothing left to do: no training


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The "computing <fn>" lines labui.run logs for every training a page starts."""
    monkeypatch.setenv("LAB_LOG_LEVEL", "INFO")
    names: list[str] = []

    class Log(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("computing "):
                names.append(record.getMessage())

    handler = Log(logging.INFO)
    logger = logging.getLogger("labui.run")
    level = logging.getLogger("labui").level
    logger.addHandler(handler)
    yield names
    logger.removeHandler(handler)
    logging.getLogger("labui").setLevel(level)


def test_a_warmed_page_opens_without_training(computed: list[str]) -> None:
    warm(results_cache(), [(run_regression, FAST), (run_mle, MLEConfig())])
    at = open_app("pages/regression.py", {"steps": "100"}, timeout=120)
    assert not at.exception and not at.error
    assert computed == []  # the home page and the regression page both came from the cache
    at.query_params["steps"] = "200"
    at.run()
    assert len(computed) == 1  # a config nobody warmed trains as before


def test_warm_waits_for_quiet_before_each_run_and_skips_what_a_session_made_meanwhile() -> None:
    cache = ResultsCache(InProcessStore(max_entries=16, max_bytes=10**9))
    events: list[str] = []

    def fake(config: MLEConfig, progress) -> bytes:
        events.append(f"train {config.n_samples}")
        return b"x"

    def pause() -> None:  # while the warming waits, a student asks for n = 2
        events.append("pause")
        if len(events) == 3:
            cache.get_or_compute(key(fake, MLEConfig(n_samples=2)), lambda: b"student's")

    runs = [(fake, MLEConfig(n_samples=n)) for n in (1, 2, 3)]
    assert warm(cache, runs, pause=pause) == 2
    assert events == ["pause", "train 1", "pause", "pause", "train 3"]
    assert cache.get(key(fake, MLEConfig(n_samples=2))) == (True, b"student's")


def test_wait_for_quiet_waits_while_a_session_computes_and_after_a_page_run() -> None:
    now = [10.0]
    asked: list[float] = []

    def busy() -> int:  # a computation runs until 10.5
        asked.append(now[0])
        return int(now[0] < 10.5 - 1e-9)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    warm_module.note_page_run(clock=lambda: 9.0)
    warm_module.wait_for_quiet(1.0, clock=lambda: now[0], sleep=sleep, busy=busy)
    poll = warm_module.POLL_S + 1e-9
    # the page ran at 9.0, so only the computation held it: it returns at 10.5 (one poll)
    assert 10.5 - 1e-9 <= now[0] <= 10.5 + poll
    warm_module.note_page_run(clock=lambda: 10.4)
    warm_module.wait_for_quiet(1.0, clock=lambda: now[0], sleep=sleep, busy=busy)
    assert 11.4 - 1e-9 <= now[0] <= 11.4 + poll  # and now 1 s after the page run at 10.4


def test_a_sessions_computation_counts_while_it_runs() -> None:
    seen: list[int] = []

    def fake(config: MLEConfig, progress) -> str:
        seen.append(computing())
        return "done"

    before = computing()
    assert run_cached(fake, MLEConfig(n_samples=7), torch=False) == "done"
    assert seen == [before + 1] and computing() == before
