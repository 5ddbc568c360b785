"""``python -m benchmarks [--quick] [--only NAME ...]``: run the benchmarks, print one table."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from benchmarks.common import Row, format_table

MODULES = [
    "bench_pages", "bench_classroom", "bench_regression", "bench_classification",
    "bench_calibration", "bench_ood", "bench_figures", "bench_scale", "bench_live",
    "bench_live_classification", "bench_budget", "bench_memory", "bench_engine", "bench_browser",
    "bench_repeat",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--only", nargs="*", default=None, choices=MODULES, metavar="NAME",
                        help=f"run only these of {', '.join(MODULES)}")
    args = parser.parse_args(argv)
    from labcore.device import configure_threads, describe_device

    configure_threads()
    print(f"Device: {describe_device()}", flush=True)
    rows: list[Row] = []
    for name in args.only or MODULES:
        print(f"… {name}", flush=True)
        start = time.perf_counter()
        try:
            rows += importlib.import_module(f"benchmarks.{name}").run(quick=args.quick)
        except Exception as exc:  # one broken benchmark is a row of the table, not a crash
            rows.append(Row(f"{name} failed", float("nan"), "", "runs", False,
                            " ".join(f"{type(exc).__name__}: {exc}".split())[:300]))
        print(f"  {time.perf_counter() - start:.0f} s", flush=True)
    print(format_table(rows))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
