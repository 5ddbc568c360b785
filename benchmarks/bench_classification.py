"""Classification-lab speed: one digits model, 16-view TTA, the noise sweep, the page's run."""

from __future__ import annotations

from benchmarks.common import Row, median_time
from labcore.data.classification import augment_views, load_digits_split
from labcore.experiments.classification.run import (
    ClassificationConfig,
    load_data,
    run_classification,
    training_set,
)
from labcore.experiments.classification.sweep import run_noise_sweep
from labcore.experiments.classification.train import fit_with_curves, predict_views

TTA_VIEWS = 16


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    config = ClassificationConfig()  # the default preset: digits, UANLL, 40 % asymmetric noise
    data = load_data(config)
    x_fit, y_fit = training_set(config, data, data.y_train)
    spec = config.spec()

    def fit():
        return fit_with_curves(spec, x_fit, y_fit, data.x_val, data.y_val, data.n_classes)

    t_train = median_time(fit, repeats)
    classifier = fit().classifier
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
    t_page = median_time(lambda: run_classification(config), repeats)
    n_fit = x_fit.shape[0]
    return [
        Row("Classification: one digits model, default preset", t_train, "s", "≤ 3.0",
            t_train <= 3.0, f"UANLL MLP 2×{spec.hidden}, {spec.steps} Adam steps of "
            f"{spec.batch_size}, {n_fit} training rows (899 + {config.train_copies} "
            f"augmented copies)"),
        Row(f"Classification: {TTA_VIEWS}-view TTA, whole test set", t_tta, "s", "≤ 0.5",
            t_tta <= 0.5, f"augment {test.shape[0]} digits × {TTA_VIEWS} views, then predict"),
        Row("Classification: noise sweep (3 losses × 0/20/40 %)", t_sweep, "s", "≤ 10.0",
            t_sweep <= 10.0, f"9 members in one batched pass; progress reported "
            f"{len(reports)} times"),
        Row("Classification: default preset end to end", t_page, "s", "", None,
            f"training + {config.n_views} views of test and train sets + metrics, no cache"),
    ]
