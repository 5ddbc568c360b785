"""OOD engine speed: how many trainings a shift sweep costs, and the page's other views.

The default shift sweep (the page's first view) is timed in ``bench_pages`` as its retrain.
"""

from __future__ import annotations

from benchmarks.common import Row, median_time
from labcore.data.corruptions import CORRUPTIONS, MAX_SEVERITY
from labcore.experiments.ood import models as ood_models
from labcore.experiments.ood.config import OODLabConfig, ShiftConfig
from labcore.experiments.ood.run import run_ood, run_shift, run_toy_ood


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
    page = OODLabConfig()
    trainings = _count_trainings(page.shift_config())
    n_sets = len(CORRUPTIONS) * MAX_SEVERITY
    t_all = median_time(lambda: run_shift(ShiftConfig(mc_dropout=True, uanll=True, tta=True)),
                        repeats, warmup=0)
    t_ood = median_time(lambda: run_ood(page.detection_config()), repeats, warmup=0)
    t_toy = median_time(lambda: run_toy_ood(page.toy_config()), repeats, warmup=0)
    return [
        Row("OOD shift sweep: trainings per sweep", trainings, "", "= 2", trainings == 2,
            f"plain + ensemble, reused for {n_sets} corrupted sets and the clean one"),
        Row("OOD shift sweep, all six methods", t_all, "s",
            note="adds MC dropout (T = 20), UANLL and TTA (V = 8); no cache"),
        Row("OOD detection view, default", t_ood, "s",
            note="run_ood(the page's detection settings): in-distribution digits vs unseen "
            "digits, noise, inverted digits and fooling images; no cache"),
        Row("OOD 2-D toy view, default", t_toy, "s",
            note="run_toy_ood(the page's toy settings): scores on a 2-D grid; no cache"),
    ]
