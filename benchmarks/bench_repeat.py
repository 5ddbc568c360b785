"""Repeat × N: one Regression config over 20 seeds, trained together, against one seed.

``run_regression_seeds(default, 20)`` stacks the 20 seeds' 5 networks each into one batched
network of 100 members and trains it once (:mod:`labcore.experiments.regression.seeds`); it
is timed side by side with one ``run_regression(default)`` in the same process, best of a few
repeats each. Its results equal the 20 single runs' to the bit, so its matrix multiplies are
the 20 single runs' own: their time alone (recorded by the profiler and replayed on random
tensors of the same shapes, as in ``bench_engine``) is reported as the floor of the ratio.
"""

from __future__ import annotations

import torch

from benchmarks.bench_engine import _replay, recorded_matmuls
from benchmarks.common import Row, timings

SEEDS = 20
LIMIT = 3.0


def run(quick: bool = False) -> list[Row]:
    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.run import run_regression
    from labcore.experiments.regression.seeds import run_regression_seeds

    repeats = 2 if quick else 5
    config = RegressionConfig()
    threads = f"{torch.get_num_threads()} torch thread(s)"

    def one() -> object:
        return run_regression(config)

    def together() -> object:
        return run_regression_seeds(config, SEEDS)

    t_one = min(timings(one, repeats))
    t_together = min(timings(together, repeats))
    ratio = t_together / t_one
    t_floor = min(timings(_replay(recorded_matmuls(together)), max(repeats, 3)))
    return [
        Row(f"Repeat: Regression default, {SEEDS} seeds trained together ÷ one seed", ratio,
            "×", f"≤ {LIMIT:g} ×", ratio <= LIMIT,
            f"{t_together:.3f} s vs {t_one:.3f} s for one run_regression, best of {repeats} "
            f"each ({SEEDS} runs one after another: about {SEEDS * t_one:.1f} s); {threads}"),
        Row(f"Repeat: Regression default, {SEEDS} seeds' matrix multiplies alone ÷ one seed",
            t_floor / t_one, "×", note=f"{t_floor:.3f} s: the bit-exact stacked run's bmm/"
            f"baddbmm calls replayed, the least the repeat can take; {threads}"),
    ]
