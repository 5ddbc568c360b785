"""The time limit's estimates against measured CPU time, page by page (issue #23, item 7).

Every computation a click can start is estimated before it starts (:mod:`labcore.budget`) and
refused above 20 s. Here a grid of each page's configs — the default, other shapes (toys, MC
dropout, quantiles and a GP, big data), a sweep, and the largest accepted config of a heavy
shape (its training steps raised until the next step of the slider would be refused) — is run
in labcore alone and timed as CPU time of the running thread (``time.thread_time``, one torch
thread: the lab's setting), which other work on a loaded machine inflates less than wall time.
Each row: estimate ÷ measured, the one furthest from 1 of the page's grid, with the range.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import Row
from labcore.budget import SECONDS_LIMIT, Part, computation_seconds

LOW, HIGH = 0.5, 2.0  # the band for estimate ÷ measured


@dataclasses.dataclass(frozen=True)
class Case:
    """One computation: what the page runs, and the parts its check estimates."""

    label: str
    run: Callable[[], object]
    parts: Callable[[], list[Part]]


def largest_steps(make: Callable[[int], Any], steps: range) -> Any:
    """The config ``make(steps)`` with the most steps its check accepts (scanning down)."""
    for n in reversed(steps):
        try:
            return make(n)
        except ValueError:
            continue
    raise ValueError(f"No steps in {steps} are accepted.")


def _regression(quick: bool) -> list[Case]:
    from labcore.experiments.regression import cost, sweep
    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.run import run_regression

    def case(label: str, config: RegressionConfig) -> Case:
        return Case(label, lambda: run_regression(config), lambda: cost.run_parts(config))

    cases = [
        case("default (5 × 64 × 64, 20 points)", RegressionConfig()),
        case("quantiles + GP, 300 points", RegressionConfig(function="sine", n_points=300,
                                                            quantile_band=True,
                                                            gp_reference=True)),
        case("MC dropout, 200 passes, 256 × 2", RegressionConfig(
            method="mc_dropout", mc_samples=200, hidden=256, n_points=200, steps=500)),
    ]
    base = sweep.sweep_config(RegressionConfig())
    cases.append(Case("size sweep (default)", lambda: sweep.run_size_sweep(RegressionConfig()),
                      lambda: [p for n in sweep.SWEEP_SIZES
                               for p in cost.run_parts(base, n_points=n)]))
    if not quick:
        wide = largest_steps(lambda s: RegressionConfig(members=10, hidden=256, n_layers=1,
                                                        n_points=2000, steps=s),
                             range(100, 5001, 100))
        deep = largest_steps(lambda s: RegressionConfig(method="none", hidden=256, n_layers=4,
                                                        steps=s), range(100, 5001, 100))
        cases += [case(f"largest: 10 × 256, 2,000 points, {wide.steps} steps", wide),
                  case(f"largest: 256 × 4, 20 points, {deep.steps} steps", deep)]
    return cases


def _classification(quick: bool) -> list[Case]:
    from labcore.experiments.classification import (
        ClassificationConfig,
        cost,
        run_classification,
        sweep,
    )

    def case(label: str, config: ClassificationConfig) -> Case:
        return Case(label, lambda: run_classification(config), lambda: cost.run_parts(config))

    default = ClassificationConfig()
    networks = (len(sweep.SWEEP_LOSSES) * len(sweep.SWEEP_RATES)
                * getattr(sweep, "SWEEP_RUNS", 1))  # each run of each (loss, rate)
    cases = [
        case("default (digits, 512 units, 32 views)", default),
        case("moons, ensemble of 5, decision map", ClassificationConfig(
            dataset="moons", method="ensemble", hidden=128, n_layers=2)),
        case("MC dropout, 20 passes, 8 views", ClassificationConfig(
            method="mc_dropout", n_views=8, hidden=256, n_layers=2)),
        Case(f"noise sweep (default, {networks} networks)",
             lambda: sweep.run_noise_sweep(default),
             lambda: cost.noise_sweep_parts(sweep.sweep_config(default), sweep.SWEEP_LOSSES,
                                            networks)),
    ]
    if not quick:
        wide = largest_steps(lambda s: ClassificationConfig(
            method="ensemble", members=10, n_layers=2, n_views=8, steps=s),
            range(50, 3001, 50))
        mc = largest_steps(lambda s: ClassificationConfig(
            method="mc_dropout", mc_samples=100, n_views=4, hidden=256, n_layers=2, steps=s),
            range(50, 3001, 50))
        cases += [case(f"largest: 10 × 512 × 2, {wide.steps} steps", wide),
                  case(f"largest: MC dropout 100 passes × 4 views, {mc.steps} steps", mc)]
    return cases


def _calibration(quick: bool) -> list[Case]:
    from labcore.experiments.calibration import cost, sweep
    from labcore.experiments.calibration.config import CalibrationConfig
    from labcore.experiments.calibration.run import run_calibration

    def case(label: str, config: CalibrationConfig) -> Case:
        return Case(label, lambda: run_calibration(config), lambda: cost.run_parts(config))

    default = CalibrationConfig()
    base = sweep.sweep_config(default, "hidden")
    cases = [
        case("default (150 digits, 2 models)", default),
        case("moons, 3,000 points", CalibrationConfig(dataset="moons", n_points=3000)),
        Case("width sweep (default, 6 models)", lambda: sweep.run_width_sweep(default),
             lambda: cost.sweep_parts(base, "hidden", sweep.SWEEP_VALUES["hidden"])),
    ]
    if not quick:
        big = largest_steps(lambda s: CalibrationConfig(hidden=512, n_layers=4, steps=s),
                            range(50, 3001, 50))
        cases.append(case(f"largest: 512 × 4, {big.steps} steps", big))
    return cases


def _ood(quick: bool) -> list[Case]:
    from labcore.experiments.ood import cost
    from labcore.experiments.ood.config import OODLabConfig, ShiftConfig
    from labcore.experiments.ood.run import run_ood, run_toy_ood
    from labcore.experiments.ood.sweep import run_shift

    lab = OODLabConfig()
    cases = [
        Case("shift sweep (default)", lambda: run_shift(lab.shift_config()),
             lambda: cost.shift_parts(lab.shift_config())),
        Case("detection (default)", lambda: run_ood(lab.detection_config()),
             lambda: cost.detection_parts(lab.detection_config())),
        Case("2-D toy (default)", lambda: run_toy_ood(lab.toy_config()),
             lambda: cost.toy_parts(lab.toy_config())),
    ]
    if not quick:
        every = largest_steps(lambda s: ShiftConfig(
            mc_dropout=True, uanll=True, tta=True, views=16, mc_samples=100, hidden=256,
            steps=s), range(100, 2001, 100))
        cases.append(Case(f"largest: shift, every method, {every.steps} steps",
                          lambda: run_shift(every), lambda: cost.shift_parts(every)))
    return cases


def _measure(case: Case) -> tuple[float, float]:
    """(estimate, measured CPU seconds of this thread) of one case."""
    estimate = computation_seconds(case.parts())
    start = time.thread_time()
    case.run()
    return estimate, time.thread_time() - start


def run(quick: bool = False) -> list[Row]:
    from labcore.models.train import warm_up

    warm_up()
    rows = []
    every: list[float] = []
    for page, cases in (("Regression", _regression(quick)),
                        ("Classification", _classification(quick)),
                        ("Calibration", _calibration(quick)), ("OOD", _ood(quick))):
        results = [(case.label, *_measure(case)) for case in cases]
        ratios = [estimate / measured for _, estimate, measured in results]
        every += ratios
        worst = max(ratios, key=lambda r: abs(math.log(r)))
        detail = "; ".join(f"{label}: {estimate:.1f} s ÷ {measured:.1f} s"
                           for label, estimate, measured in results)
        rows.append(Row(f"{page}: estimate ÷ measured CPU time", worst, "×",
                        f"{LOW:g}–{HIGH:g}×", all(LOW <= r <= HIGH for r in ratios),
                        f"range {min(ratios):.2f}–{max(ratios):.2f} over {len(ratios)} configs "
                        f"(limit {SECONDS_LIMIT:g} s); {detail}"))
    worst = max(every, key=lambda r: abs(math.log(r)))
    rows.append(Row("every page: estimate ÷ measured CPU time", worst, "×", f"{LOW:g}–{HIGH:g}×",
                    all(LOW <= r <= HIGH for r in every),
                    f"range {min(every):.2f}–{max(every):.2f} over {len(every)} computations; "
                    "CPU time of the running thread, one torch thread"))
    return rows
