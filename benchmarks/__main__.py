"""``python -m benchmarks [--quick] [--only NAME ...]``: run the benchmarks, print one table."""

from __future__ import annotations

import argparse
import importlib
import sys

from benchmarks.common import format_table

MODULES = [
    "bench_regression", "bench_classification", "bench_calibration", "bench_ood", "bench_app",
    "bench_classroom",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--only", nargs="*", default=None, help=f"subset of {MODULES}")
    args = parser.parse_args(argv)
    from labcore.device import configure_threads, describe_device

    configure_threads()
    print(f"Device: {describe_device()}", flush=True)
    rows = []
    for name in args.only or MODULES:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"… {name}", flush=True)
        rows += module.run(quick=args.quick)
    print(format_table(rows))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
