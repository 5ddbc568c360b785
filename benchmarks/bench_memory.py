"""The results cache's memory on a real server (issue #23, item 8).

A server (``streamlit run app.py``) is asked for 100 distinct Classification configs by a
protocol client (:mod:`labserve.protocol`): the default digits run — 32 test-time views of
every image, its largest result, about 15 MB — with a new seed each time, and 50 training steps
instead of 400 so that the 100 runs take minutes, not a quarter of an hour (the result's size
does not depend on the steps). Without a bound in bytes, 64 such results (``max_entries``)
held about 0.94 GB. The row reports the server's peak resident memory (VmHWM) after them.
"""

from __future__ import annotations

import time

from benchmarks.common import Row
from labserve.app_server import LOG_CACHE_MISSES, peak_rss_mb, running_app
from labserve.protocol import connect, run_sync

MEMORY_LIMIT_MB = 1536
STEPS = 50


def _rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS) in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _ask(app, configs: int) -> tuple[float, float, int]:
    """(peak MB after the first config, seconds for all, configs that drew no chart)."""
    failed = 0
    first_peak = float("nan")
    start = time.perf_counter()
    async with connect(app.ws_url) as user:
        for seed in range(1, configs + 1):
            times = await user.open("classification", f"steps={STEPS}&seed={seed}")
            failed += bool(times.error or not times.charts)
            if seed == 1:
                first_peak = peak_rss_mb(app.pid)
    return first_peak, time.perf_counter() - start, failed


def run(quick: bool = False) -> list[Row]:
    configs = 20 if quick else 100
    with running_app(extra_env=LOG_CACHE_MISSES) as app:
        first, seconds, failed = run_sync(_ask(app, configs))
        peak, now, trained = peak_rss_mb(app.pid), _rss_mb(app.pid), app.trainings()
    return [Row(
        f"server peak memory after {configs} distinct Classification results", peak, "MB",
        f"≤ {MEMORY_LIMIT_MB} MB", peak <= MEMORY_LIMIT_MB and failed == 0,
        f"digits, 32 views, {STEPS} steps, a new seed each; {trained} trainings, {failed} "
        f"without a chart, {seconds:.0f} s; peak after the first {first:.0f} MB, resident at "
        f"the end {now:.0f} MB")]
