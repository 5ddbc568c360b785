"""OOD-lab speed: the default shift sweep (models trained once), corrupting the test set,
detection, the 2-D toy, and a cache hit through the page's cache."""

from __future__ import annotations

from benchmarks.common import Row, cache_hit_row, median_time
from labcore.data.classification import load_digits_split
from labcore.data.corruptions import CORRUPTIONS, MAX_SEVERITY, corrupt_all
from labcore.experiments.ood import models as ood_models
from labcore.experiments.ood.run import (
    OODConfig,
    ShiftConfig,
    ToyOODConfig,
    run_ood,
    run_shift,
    run_toy_ood,
)

SHIFT_TARGET_S = 10.0


def _count_trainings(config: ShiftConfig) -> int:
    """How many networks (or batched ensembles) one sweep trains."""
    real = ood_models.train_classifier
    calls = []

    def counted(spec, *args, **kwargs):
        calls.append(spec)
        return real(spec, *args, **kwargs)

    ood_models.train_classifier = counted
    try:
        run_shift(config)
    finally:
        ood_models.train_classifier = real
    return len(calls)


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    shift = ShiftConfig()
    n_sets = len(CORRUPTIONS) * MAX_SEVERITY
    t_shift = median_time(lambda: run_shift(shift), repeats)
    trainings = _count_trainings(shift)
    x_test = load_digits_split(0).x_test
    t_corrupt = median_time(lambda: corrupt_all(x_test, 0), repeats)
    t_all = median_time(lambda: run_shift(ShiftConfig(mc_dropout=True, uanll=True, tta=True)),
                        repeats)
    t_ood = median_time(lambda: run_ood(OODConfig()), repeats)
    t_toy = median_time(lambda: run_toy_ood(ToyOODConfig()), repeats)
    rows = [
        Row("OOD default shift sweep (3 methods × 6 corruptions × 5 severities)", t_shift, "s",
            f"≤ {SHIFT_TARGET_S:g}", t_shift <= SHIFT_TARGET_S,
            f"plain, temperature scaling, 5-member ensemble on {x_test.shape[0]} test digits"),
        Row("OOD shift sweep: trainings per sweep", trainings, "×", "= 2", trainings == 2,
            f"plain + ensemble, reused for {n_sets} corrupted sets and the clean one"),
        Row("OOD digits-C: all 30 corrupted test sets", t_corrupt, "s", "", None,
            f"{n_sets} × {x_test.shape[0]} images, vectorised"),
        Row("OOD shift sweep, all six methods", t_all, "s", "", None,
            "adds MC dropout (T = 20), UANLL and TTA (V = 8)"),
        Row("OOD detection, default", t_ood, "s", "", None,
            "4 models on digits 0–4, 60 fooling images, 8 detectors × 4 OOD sets"),
        Row("OOD 2-D toy, default", t_toy, "s", "", None,
            "4 models on two moons, 8 scores on a 101 × 101 grid"),
    ]
    return [*rows, cache_hit_row("OOD shift sweep", run_shift, shift)]
