"""Scene S6: the same network trained with 0, 20 and 40 % label noise, for each loss.

All nine models train at once: each (loss, noise rate) is one member of one batched network,
with its own loss and its own noisy copy of the training labels (validation labels stay
clean). Members never share gradients, so each is exactly the model it would be alone (up to
its random initial weights); the sweep costs about two single trainings, not nine.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from labcore import calibration as cal
from labcore.budget import check_computation
from labcore.data.classification import ClassificationData, add_label_noise, noise_pairs
from labcore.experiments.classification.cost import noise_sweep_parts
from labcore.experiments.classification.run import (
    ClassificationConfig,
    label_scores,
    load_data,
    training_set,
)
from labcore.experiments.classification.upload import UploadedClassification, uploaded_data
from labcore.models.classifier import LOSS_LABELS, train_classifier
from labcore.models.train import Progress
from labcore.ood.detection import auroc
from labcore.uncertainty import selective
from labcore.uncertainty.decomposition import certainty_from_log_var

SWEEP_RATES = (0.0, 0.2, 0.4)
SWEEP_LOSSES = ("ce", "brier", "uanll")


@dataclasses.dataclass(frozen=True)
class NoiseSweepResult:
    """Validation curves and clean-test metrics for every (loss, noise rate).

    Arrays are indexed [loss, rate, …] in the order of ``losses`` and ``rates``.

    Attributes:
        losses: loss names ("ce", "brier", "uanll").
        rates: (R,) noise rates.
        noise_kind: "asymmetric" or "symmetric".
        eval_steps: (E,) steps at which the validation set was scored.
        val_loss: (L, R, E) validation loss (each model's own loss, clean labels).
        val_accuracy: (L, R, E) validation accuracy.
        test_accuracy, test_nll, test_ece: (L, R) on the clean test set.
        aurc_confidence: (L, R) AURC when rejecting by confidence.
        aurc_certainty: (L, R) AURC when rejecting by UANLL certainty (NaN for other losses).
        flip_auroc: (L, R) AUROC of an input-only score — certainty (UANLL) or confidence
            (others) — for telling kept training labels (positive) from flipped ones (NaN at
            rate 0). It gives an input the same score whichever label it carries.
        flip_auroc_given_label: (L, R) the same for p(given label | x), which reads the label.
        flip_auroc_weighted_residual: (L, R) the same for UANLL's weighted residual
            e^{−s} Σ_k (y_k − h_k)² against the given label (reads it; NaN for other losses).
    """

    losses: tuple[str, ...]
    rates: np.ndarray
    noise_kind: str
    eval_steps: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    test_accuracy: np.ndarray
    test_nll: np.ndarray
    test_ece: np.ndarray
    aurc_confidence: np.ndarray
    aurc_certainty: np.ndarray
    flip_auroc: np.ndarray
    flip_auroc_given_label: np.ndarray
    flip_auroc_weighted_residual: np.ndarray


def sweep_config(config: ClassificationConfig) -> ClassificationConfig:
    """The config the sweep depends on: settings the sweep ignores are reset to defaults.

    The sweep sets its own loss and noise rates, trains one network per (loss, rate), and
    scores view 0 only, so changing those settings reuses a cached sweep.
    """
    default = ClassificationConfig()
    return config.replace(
        label_noise=default.label_noise, loss=default.loss, method="none",
        members=default.members, dropout=default.dropout, mc_samples=default.mc_samples,
        n_views=default.n_views, t_co=default.t_co, t_ce=default.t_ce,
    )


def run_noise_sweep(
    config: ClassificationConfig,
    progress: Progress | None = None,
    rates: tuple[float, ...] = SWEEP_RATES,
    losses: tuple[str, ...] = SWEEP_LOSSES,
) -> NoiseSweepResult:
    """Train every loss on every noise rate (of ``config.noise_kind``) and compare them.

    Args:
        config: data, architecture and optimiser settings (see :func:`sweep_config`).
        progress: ``progress(fraction, message)`` every few steps.
        rates: noise rates, each in [0, 0.5].
        losses: any of "ce", "brier", "uanll".

    Raises:
        ValueError: bad rates or losses, or training diverged.
    """
    _check(rates, losses)
    config = sweep_config(config)
    _check_time(config, rates, losses)
    return _sweep(config, load_data(config), progress, rates, losses)


def run_noise_sweep_upload(
    run: UploadedClassification,
    progress: Progress | None = None,
    rates: tuple[float, ...] = SWEEP_RATES,
    losses: tuple[str, ...] = SWEEP_LOSSES,
) -> NoiseSweepResult:
    """:func:`run_noise_sweep` on a user's data, split and standardised as for the main run.

    Raises:
        ValueError: bad rates or losses, data the classifier cannot use, or training diverged.
    """
    _check(rates, losses)
    config = sweep_config(run.config)
    data = uploaded_data(run.data, config.seed)
    _check_time(config, rates, losses, data)
    return _sweep(config, data, progress, rates, losses)


def _check_time(config: ClassificationConfig, rates: tuple[float, ...],
                losses: tuple[str, ...], data: ClassificationData | None = None) -> None:
    """Refuse a sweep whose batched training of every (loss, rate) is estimated above the
    time limit (:mod:`labcore.budget`), before anything trains."""
    runs = len(losses) * len(rates)
    check_computation(noise_sweep_parts(config, tuple(losses), runs, data),
                      "use fewer training steps, hidden units, layers or augmented copies, or a "
                      "batch size", f"The noise sweep ({runs} networks in one batched pass)")


def _check(rates: tuple[float, ...], losses: tuple[str, ...]) -> None:
    if not rates or any(not 0.0 <= r <= 0.5 for r in rates):
        raise ValueError(f"rates must be a non-empty tuple of numbers in [0, 0.5]. Got {rates}.")
    if not losses or any(loss not in LOSS_LABELS for loss in losses):
        raise ValueError(
            f"losses must be a non-empty tuple of {sorted(LOSS_LABELS)}. Got {losses}."
        )


def _sweep(
    config: ClassificationConfig,
    data: ClassificationData,
    progress: Progress | None,
    rates: tuple[float, ...],
    losses: tuple[str, ...],
) -> NoiseSweepResult:
    """Train every (loss, rate) as one member of a batched network on ``data``; score each."""
    noisy, flipped = zip(*(add_label_noise(data.y_train, r, config.noise_kind, data.n_classes,
                                           config.seed, pairs=noise_pairs(data))
                           for r in rates), strict=True)
    n_loss, n_rate = len(losses), len(rates)
    # Member i·R + j trains with loss i on the labels of noise rate j.
    x_fit, y_fit = training_set(config, data, np.tile(np.stack(noisy), (n_loss, 1)))
    spec = dataclasses.replace(config.spec(), members=n_loss * n_rate)
    classifier = train_classifier(
        spec, x_fit, y_fit, data.x_val, data.y_val, data.n_classes, progress=progress,
        progress_range=(0.0, 0.95), member_losses=[loss for loss in losses for _ in rates],
        label=f"{n_loss} losses × {n_rate} noise rates in one batched pass",
    )
    test = classifier.predict(data.x_test)
    train = classifier.predict(data.x_train)
    shape = (n_loss, n_rate)
    metrics = {k: np.full(shape, np.nan) for k in ("acc", "nll", "ece", "aurc_co", "aurc_ce",
                                                   "flip", "flip_given", "flip_residual")}
    for i, loss in enumerate(losses):
        for j in range(n_rate):
            member = i * n_rate + j
            probs = test.probs[member]
            correct = probs.argmax(axis=1) == data.y_test
            metrics["acc"][i, j] = correct.mean()
            metrics["nll"][i, j] = cal.nll(probs, data.y_test)
            metrics["ece"][i, j] = cal.expected_calibration_error(probs, data.y_test)
            metrics["aurc_co"][i, j] = selective.aurc(probs.max(axis=1), correct)
            train_probs = train.probs[member]
            train_score = train_probs.max(axis=1)
            sigma = None
            if loss == "uanll":
                metrics["aurc_ce"][i, j] = selective.aurc(
                    certainty_from_log_var(test.log_var[member]), correct)
                train_score = certainty_from_log_var(train.log_var[member])
                sigma = np.exp(train.log_var[member] / 2)
            given, residual = label_scores(train_probs, sigma, noisy[j], config.smoothing)
            kept, flip = ~flipped[j], flipped[j]
            if flip.any():
                metrics["flip"][i, j] = auroc(train_score[kept], train_score[flip])
                metrics["flip_given"][i, j] = auroc(given[kept], given[flip])
                if residual is not None:
                    metrics["flip_residual"][i, j] = auroc(-residual[kept], -residual[flip])
    if progress is not None:
        progress(1.0, "Done")
    return NoiseSweepResult(
        losses=tuple(losses), rates=np.asarray(rates, dtype=float),
        noise_kind=config.noise_kind, eval_steps=classifier.history.eval_steps,
        val_loss=classifier.history.val_loss.T.reshape(n_loss, n_rate, -1),
        val_accuracy=classifier.val_accuracy.T.reshape(n_loss, n_rate, -1),
        test_accuracy=metrics["acc"], test_nll=metrics["nll"], test_ece=metrics["ece"],
        aurc_confidence=metrics["aurc_co"], aurc_certainty=metrics["aurc_ce"],
        flip_auroc=metrics["flip"], flip_auroc_given_label=metrics["flip_given"],
        flip_auroc_weighted_residual=metrics["flip_residual"],
    )
