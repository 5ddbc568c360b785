"""Warm the results cache once the server has answered its first page: every page's default,
its lecture comparisons and its presets are trained in the background, so the first student
who opens a page, picks a preset or a comparison gets a cached result instead of waiting.

:func:`start_warming` is called by ``app.py`` on every run; once per process it starts a daemon
thread that waits :data:`START_DELAY_S` (a fresh server draws its first page meanwhile: Home's
title showed 1.5–2.0 s after the first request here) and only then imports torch and trains.
It goes through the results cache itself (:func:`labui.run.results_cache`), so a
session that asks for a config while it is being warmed waits for that one computation
instead of starting a second, and with a class's Redis (``LAB_CACHE_URL``) the replicas warm
each config once between them. It stops adding results once this process keeps
:data:`WARM_BYTES` of them, so the warm results never push out what students computed.

Warming gives way to the class: before each of its runs it waits until no session's
computation is running and no page has run for :data:`QUIET_S` (:func:`wait_for_quiet`), so
a server warming while students act spends its CPU on them, not on what they may ask later.

``LAB_WARM=0`` turns it off (the tests do, so that they count their own trainings).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from labcore.config import Config
from labcore.experiments import LABS
from labcore.experiments.lab import Lab
from labui.cache import ResultsCache, result_key
from labui.run import MAX_CACHED_BYTES, computing, results_cache, run_name
from labui.shell import begin_start_up
from labui.turns import TRAINING_TURNS

logger = logging.getLogger(__name__)

WARM_ENV = "LAB_WARM"
START_DELAY_S = 3.0
"""Seconds from the server's first page run to the start of the warming (torch's import
included), so that the first page is not slowed by it."""
WARM_BYTES = MAX_CACHED_BYTES // 2
"""Warming stops once this process keeps this many bytes of results (half its bound)."""
QUIET_S = 1.0
"""Seconds without a page run (and no session's computation running) before the warming
trains its next result."""
POLL_S = 0.1

_last_page_run = [float("-inf")]  # time.monotonic() of the last page run in this process


def note_page_run(clock: Callable[[], float] = time.monotonic) -> None:
    """Record that a page runs now (``app.py`` calls it on every run)."""
    _last_page_run[0] = clock()


def wait_for_quiet(quiet_s: float = QUIET_S, clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep,
                   busy: Callable[[], int] = computing) -> None:
    """Return once no session's computation runs and no page has run for ``quiet_s``.

    >>> ticks = iter([0.0, 0.5, 1.2]).__next__  # a page ran at 0.0
    >>> _last_page_run[0] = 0.0; slept = []
    >>> wait_for_quiet(1.0, clock=ticks, sleep=slept.append, busy=lambda: 0); len(slept)
    2
    """
    while busy() > 0 or clock() - _last_page_run[0] < quiet_s:
        sleep(POLL_S)

Run = tuple[Callable[..., Any], Config]
"""A run function and the config it is called with."""

_started = threading.Event()


def page_configs(lab: Lab) -> Iterator[Config]:
    """The settings a class opens ``lab``'s page with, most likely first: its default, each
    lecture comparison's B and A, then its presets."""
    presets = lab.preset_configs()
    cls = type(next(iter(presets.values()))) if presets else lab.config_class()
    yield cls()
    for a, b in lab.whatif().comparisons.values():
        yield b
        yield a
    yield from presets.values()


def warm_runs(labs: tuple[Lab, ...] = LABS) -> list[Run]:
    """Every lab's page configs as the runs its page caches (the run of its "A/B · seeds"
    view, which is the page's main run), round-robin over the labs: every default first, then
    each lab's next config in turn; each run once."""
    queues = [[(lab.whatif().run, lab.whatif().trained(c)) for c in page_configs(lab)]
              for lab in labs]
    runs: list[Run] = []
    seen: set[str] = set()
    for depth in range(max(len(q) for q in queues)):
        for queue in queues:
            if depth < len(queue):
                fn, config = queue[depth]
                key = result_key(run_name(fn, config), config)
                if key not in seen:
                    seen.add(key)
                    runs.append((fn, config))
    return runs


def warm(cache: ResultsCache, runs: list[Run], max_bytes: int = WARM_BYTES,
         pause: Callable[[], None] = wait_for_quiet) -> int:
    """Compute every run of ``runs`` that ``cache`` does not hold, in order, until the
    process keeps ``max_bytes`` of results, calling ``pause()`` before each (by default it
    waits for the sessions to be quiet). A run that fails is logged and skipped.

    Returns:
        How many runs were computed here.
    """
    computed = 0
    for fn, config in runs:
        if cache.local.nbytes >= max_bytes:
            logger.info("warming stopped: %d bytes of results kept", cache.local.nbytes)
            break
        name = run_name(fn, config)
        key = result_key(name, config)
        if cache.get(key)[0]:
            continue
        pause()
        if cache.get(key)[0]:  # a session asked for it while the warming waited
            continue

        def compute(fn: Callable[..., Any] = fn, config: Config = config,
                    name: str = name) -> Any:
            nonlocal computed
            logger.info("warming %s", name)
            computed += 1
            with TRAINING_TURNS.turn():  # behind the sessions already waiting
                return fn(config, None)

        try:
            cache.get_or_compute(key, compute)
        except Exception:  # a preset that no longer fits the budget must not stop the rest
            logger.exception("warming %s failed", name)
    return computed


def enabled() -> bool:
    """Whether this process warms its cache (``LAB_WARM`` is not ``0``)."""
    return os.environ.get(WARM_ENV, "1").strip() != "0"


def start_warming(delay: float = START_DELAY_S) -> bool:
    """Record the page run (:func:`note_page_run`) and start warming in a daemon thread,
    once per process, ``delay`` seconds from now.

    Returns:
        Whether this call started it.
    """
    note_page_run()
    if not enabled() or _started.is_set():
        return False
    with _lock:
        if _started.is_set():
            return False
        _started.set()
    cache = results_cache()  # made here, in the page's run, not in the thread

    def work() -> None:
        time.sleep(delay)
        begin_start_up().result()  # torch's threads before the first training
        started = time.perf_counter()
        count = warm(cache, warm_runs())
        logger.info("warmed %d results in %.1f s", count, time.perf_counter() - started)

    threading.Thread(target=work, name="lab-warm-cache", daemon=True).start()
    return True


_lock = threading.Lock()
