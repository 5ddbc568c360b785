"""Benchmarks of what users feel: ``python -m benchmarks`` prints one side-by-side table.

First the app as a user meets it, timed at the real server by protocol clients
(``bench_pages``): cold start, a changed setting → the redrawn chart per page beside the page's
retrain in labcore, a cache hit, the temperature slider, memory. Then a classroom
(``bench_classroom``): one student vs many at once. Then the engine's own targets and ratios
(``bench_regression``, ``bench_classification``, ``bench_calibration``, ``bench_ood``), each
comparison measured in the same run. Each module exposes ``run(quick: bool) -> list[Row]``;
the shared server and protocol tools live in :mod:`labserve`.
"""
