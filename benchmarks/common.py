"""The row type every benchmark returns, timing helpers, and the one table they print as."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the benchmark table.

    Attributes:
        name: what was measured.
        value: the measurement (the median, p50, when it was repeated), in ``unit``.
        unit: "s", "×", "%", "MB" or "" (a count).
        target: the limit from the issue, as text (e.g. "≤ 1.5"); "report" when there is none.
        ok: whether the measurement meets the target (None when there is no target).
        note: what it was compared with, side by side, in the same run.
        p95: the 95th percentile of the repeats (None for a single measurement).
    """

    name: str
    value: float
    unit: str
    target: str = "report"
    ok: bool | None = None
    note: str = ""
    p95: float | None = None


def timings(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> list[float]:
    """Wall times of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_time(fn: Callable[[], object], repeats: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
    return p50(timings(fn, repeats, warmup))


def per_call_time(fn: Callable[[], object], number: int, repeats: int = 5) -> float:
    """Median over ``repeats`` of the mean time of ``number`` back-to-back calls (tiny work)."""
    fn()
    return p50([t / number for t in timings(lambda: [fn() for _ in range(number)], repeats, 0)])


def p50(values: Sequence[float]) -> float:
    """The median."""
    return float(np.percentile(values, 50))


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, interpolated between the two nearest values (the maximum of ≤ 2)."""
    return float(np.percentile(values, 95))


def timed_row(name: str, times: Sequence[float], limit_s: float | None = None, note: str = ""
              ) -> Row:
    """A row of repeated timings: p50 as the value, p95 beside it; the target bounds p50."""
    median = p50(times)
    if limit_s is None:
        return Row(name, median, "s", note=note, p95=p95(times))
    return Row(name, median, "s", f"≤ {limit_s:g} s", median <= limit_s, note, p95(times))


def _measured(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return f"{value} {unit}".strip()
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "":
        return f"{value:.3g}"
    if unit == "s" and value < 0.01:
        return f"{value * 1000:.3f} ms"
    return f"{value:.3f} {unit}"


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table: benchmark, measured (p50), p95, target, met?, compared with."""
    header = ("benchmark", "measured", "p95", "target", "met?", "compared with")
    lines = [
        (
            r.name,
            _measured(r.value, r.unit),
            _measured(r.p95, r.unit),
            r.target,
            "" if r.ok is None else ("yes" if r.ok else "NO"),
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("-+-".join("-" * w for w in widths))
    for line in lines:
        out.append(" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(out)
