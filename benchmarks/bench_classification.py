"""Classification engine speed: one digits model, 16-view TTA, the noise sweep.

The page's whole run (training, views, metrics) is timed in ``bench_pages`` as its retrain.
"""

from __future__ import annotations

from benchmarks.common import Row, median_time
from labcore.data.classification import augment_views, load_digits_split
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import load_data, training_set
from labcore.experiments.classification.sweep import (
    SWEEP_LOSSES,
    SWEEP_RATES,
    SWEEP_RUNS,
    SWEEP_TRAINING,
    run_noise_sweep,
)
from labcore.models.classifier import predict_views, train_classifier

TTA_VIEWS = 16


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    config = ClassificationConfig()  # the default preset: digits, UANLL, 40 % asymmetric noise
    data = load_data(config)
    x_fit, y_fit = training_set(config, data, data.y_train)
    spec = config.spec()

    def fit():
        return train_classifier(spec, x_fit, y_fit, data.x_val, data.y_val, data.n_classes)

    t_train = median_time(fit, repeats)
    classifier = fit()
    test = load_digits_split(config.seed).x_test

    def tta() -> None:
        views = augment_views(test, TTA_VIEWS, config.seed, data.image_shape,
                              config.aug_strength)
        predict_views(classifier, views)

    t_tta = median_time(tta, max(repeats, 5))
    reports: list[float] = []

    def sweep() -> None:
        reports.clear()
        run_noise_sweep(config, progress=lambda fraction, message: reports.append(fraction))

    t_sweep = median_time(sweep, repeats)
    n_fit = x_fit.shape[0]
    members = len(SWEEP_LOSSES) * len(SWEEP_RATES) * SWEEP_RUNS
    return [
        Row("Classification: one digits model, default preset", t_train, "s", "≤ 3 s",
            t_train <= 3.0, f"UANLL MLP 2×{spec.hidden}, {spec.steps} Adam steps of "
            f"{spec.batch_size}, {n_fit} training rows (899 + {config.train_copies} "
            f"augmented copies)"),
        Row(f"Classification: {TTA_VIEWS}-view TTA, whole test set", t_tta, "s", "≤ 0.5 s",
            t_tta <= 0.5, f"augment {test.shape[0]} digits × {TTA_VIEWS} views, then predict"),
        Row("Classification: noise sweep (3 losses × 0/20/40 %)", t_sweep, "s", "≤ 10 s",
            t_sweep <= 10.0, f"{members} members (3 losses × 3 rates × {SWEEP_RUNS} runs, "
            f"{SWEEP_TRAINING['steps']} steps) in one batched pass; progress reported "
            f"{len(reports)} times"),
    ]
