"""Side-by-side speed and memory benchmarks: ``python -m benchmarks`` prints one table.

Each benchmark module exposes ``run(quick: bool) -> list[Row]``. Times are medians of a few
repeats after a warm-up, measured in one process, so the ratios compare like with like.
"""
