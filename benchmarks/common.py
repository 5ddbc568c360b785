"""Timing helpers and the row type every benchmark returns."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the benchmark table.

    Attributes:
        name: what was measured.
        value: the measurement (seconds, a ratio or MB; see ``unit``).
        unit: "s", "×" or "MB".
        target: the limit from the issue, as text (e.g. "≤ 1.0").
        ok: whether the value meets the target (None when there is no target).
        note: what it was compared with.
    """

    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    note: str = ""


def median_time(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def format_table(rows: list[Row]) -> str:
    """A plain-text table: name, value, target, verdict, note."""
    header = ("benchmark", "value", "target", "ok", "compared with")
    lines = [
        (
            r.name,
            f"{r.value:.0f} MB" if r.unit == "MB" else f"{r.value:.3f} {r.unit}".strip(),
            r.target,
            "" if r.ok is None else ("yes" if r.ok else "NO"),
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    for line in lines:
        out.append(" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))
    return "\n".join(out)


def cache_hit_row(name: str, fn: Callable[..., object], config: object) -> Row:
    """Run ``fn(config)`` twice through the page's cache (``labui.run_cached``): one compute."""
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from labui.run import clear_caches, run_cached

    calls = []

    def counted(cfg, progress=None):
        calls.append(cfg)
        return fn(cfg, progress)

    counted.__qualname__ = f"counted_{name}"
    clear_caches()
    start = time.perf_counter()
    run_cached(counted, config)
    t_first = time.perf_counter() - start
    start = time.perf_counter()
    run_cached(counted, config)
    t_hit = time.perf_counter() - start
    return Row(f"{name} repeated (cache hit)", t_hit, "s", "computed once", len(calls) == 1,
               f"first {t_first:.2f} s; computed {len(calls)} time(s)")
