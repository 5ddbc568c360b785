"""The Classification lab: UANLL, label noise, test-time augmentation, rejection (S5–S8, S11).

``run_classification(config)`` loads digits or a 2-D toy (``run_classification_upload`` in
:mod:`labcore.experiments.classification.upload` takes a user's CSV instead), flips some
training labels, trains one network, an ensemble or an MC-dropout network with cross-entropy,
the Brier score or UANLL, and returns everything the page shows: per-view predictions for the
test and training sets, the entropy decomposition over members, accuracy–coverage curves, a
decision map for toys, the training curves and the headline metrics. Decision thresholds are
applied afterwards (see :mod:`labcore.experiments.classification.report`), so moving a
threshold never retrains.

Flipped training labels are scored two ways. Label-aware scores read the label each sample
was given: the model's probability of it, and UANLL's weighted residual against it. Input-only
scores (confidence, certainty) give an input the same value whichever label it carries, so
within a pair of swapped classes they cannot tell which labels were flipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import torch

from labcore import calibration as cal
from labcore.data.classification import (
    ClassificationData,
    add_label_noise,
    augment_views,
    load_dataset,
    noise_pairs,
)
from labcore.device import stream_seed
from labcore.experiments.classification.config import DATASET_CHOICES, ClassificationConfig
from labcore.losses import smooth_labels
from labcore.models.classifier import (
    TrainedClassifier,
    ViewScores,
    predict_views,
    train_classifier,
)
from labcore.models.train import Progress, Snapshot
from labcore.ood.detection import auroc
from labcore.uncertainty import selective
from labcore.uncertainty.decomposition import entropy_decomposition

GRID_SIZE = 100  # the decision map is GRID_SIZE × GRID_SIZE points
GRID_MARGIN = 0.5  # how far a toy's map reaches beyond the data (standardised units)
ECE_BINS = 15

__all__ = [
    "DATASET_CHOICES",
    "ClassificationConfig",
    "ClassificationResult",
    "DecisionMap",
    "SplitPredictions",
    "label_scores",
    "load_data",
    "map_grid",
    "noisy_labels",
    "rejection_scores",
    "run_classification",
    "run_on_data",
    "training_set",
]

@dataclasses.dataclass(frozen=True)
class SplitPredictions:
    """What the model says about every sample of one split.

    "Prediction" is the mean over the S members or dropout passes on view 0 (the input).

    Attributes:
        probs: (n, K) predictive distribution.
        classes: (n,) argmax of ``probs``.
        confidence: (n,) max_k of ``probs``.
        certainty: (n,) UANLL certainty 1/(1+σ²) on view 0, or None for other losses.
        sigma: (n,) UANLL σ = e^{s/2} on view 0, or None.
        total_entropy, aleatoric, epistemic: (n,) entropy decomposition over the S members
            (nats); epistemic (mutual information) is 0 for a single network.
        view_inputs: (V, n, d) the views themselves (view 0 is the input).
        view_probs: (V, n, K) per-view distributions (mean over members).
        view_certainty: (V, n) per-view certainty, or None.
        view_agreement: (n,) share of the V views whose class equals ``classes``.
        augmentation_sensitivity: (n,) mutual information across views (nats): how much the
            prediction changes under augmentation — not epistemic uncertainty.
        n_samples: S, members or dropout passes behind each prediction.
    """

    probs: np.ndarray
    classes: np.ndarray
    confidence: np.ndarray
    certainty: np.ndarray | None
    sigma: np.ndarray | None
    total_entropy: np.ndarray
    aleatoric: np.ndarray
    epistemic: np.ndarray
    view_inputs: np.ndarray
    view_probs: np.ndarray
    view_certainty: np.ndarray | None
    view_agreement: np.ndarray
    augmentation_sensitivity: np.ndarray
    n_samples: int


@dataclasses.dataclass(frozen=True)
class DecisionMap:
    """The model evaluated on a GRID_SIZE × GRID_SIZE grid over a 2-D toy.

    Attributes:
        x1, x2: (G,) grid coordinates (standardised feature units).
        classes: (G, G) predicted class, rows along x2.
        confidence: (G, G) max softmax probability.
        sigma: (G, G) UANLL σ, or None.
        aleatoric: (G, G) expected entropy over members (nats), or None for one network.
        epistemic: (G, G) mutual information over members (nats), or None for one network.
    """

    x1: np.ndarray
    x2: np.ndarray
    classes: np.ndarray
    confidence: np.ndarray
    sigma: np.ndarray | None
    aleatoric: np.ndarray | None
    epistemic: np.ndarray | None


@dataclasses.dataclass(frozen=True)
class ClassificationResult:
    """Everything the Classification page draws (numpy arrays and floats only).

    Attributes:
        dataset, loss, method: as configured.
        n_classes: K.
        image_shape: (8, 8) for digits, None for 2-D points.
        n_samples: S, members or dropout passes behind each prediction.
        x_train, y_train, y_train_noisy, flipped: training inputs, clean and noisy labels, and
            the mask of flipped labels.
        given_label_prob: (n_train,) the model's probability of each training sample's given
            (possibly flipped) label, p(ỹ | x) on view 0: a score that reads the label.
        label_residual: (n_train,) UANLL's weighted residual e^{−s} Σ_k (y_k − h_k)² against
            the given label on view 0 (reads the label; larger = worse fit), or None.
        x_test, y_test: clean test set.
        train, test: :class:`SplitPredictions` of each split.
        curves: score name → accuracy–coverage curve on the test set.
        decision_map: the 2-D map, or None for digits.
        eval_steps, val_loss, val_accuracy: (E,), (E, M), (E, M) validation curves.
        train_loss: (steps, M) training loss per step.
        metrics: accuracy, nll, ece, aurc_<score>, tta_accuracy, n_flipped, steps_run, and
            the AUROC of each score for telling kept (positive) from flipped training labels:
            flip_auroc_given_label and flip_auroc_weighted_residual (UANLL; NaN otherwise)
            read the label, flip_auroc_confidence and flip_auroc_certainty (UANLL) do not.
        class_names: the label of each class index in a user's file; () means the index
            itself is the name (digits 0–9, toy classes).
        feature_names: the names of the two input columns of 2-D data.
    """

    dataset: str
    loss: str
    method: str
    n_classes: int
    image_shape: tuple[int, int] | None
    n_samples: int
    x_train: np.ndarray
    y_train: np.ndarray
    y_train_noisy: np.ndarray
    flipped: np.ndarray
    given_label_prob: np.ndarray
    label_residual: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    train: SplitPredictions
    test: SplitPredictions
    curves: Mapping[str, selective.SelectiveCurve]
    decision_map: DecisionMap | None
    eval_steps: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    train_loss: np.ndarray
    metrics: Mapping[str, float]
    class_names: tuple[str, ...] = ()
    feature_names: tuple[str, str] = ("x1", "x2")


def load_data(config: ClassificationConfig) -> ClassificationData:
    """The dataset the config names (toys use ``n_points`` and ``toy_noise``)."""
    return load_dataset(config.dataset, seed=config.seed, n=config.n_points,
                        noise=config.toy_noise)


def noisy_labels(config: ClassificationConfig, data: ClassificationData
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The training labels the model is given, and the mask of those that were flipped."""
    return add_label_noise(data.y_train, config.label_noise, config.noise_kind,
                           data.n_classes, config.seed, pairs=noise_pairs(data))


def training_set(
    config: ClassificationConfig, data: ClassificationData, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The training inputs and labels with ``config.train_copies`` augmented copies appended.

    Copy j of sample i keeps label ``labels[i]`` (a flipped label stays flipped).
    """
    if config.train_copies == 0:
        return data.x_train, labels
    views = augment_views(data.x_train, config.train_copies + 1,
                          stream_seed(config.seed, "train-copies"), data.image_shape,
                          config.aug_strength)
    reps = (1,) * (labels.ndim - 1) + (config.train_copies + 1,)
    return views.reshape(-1, views.shape[-1]), np.tile(labels, reps)


def _split_predictions(scores: ViewScores, views: np.ndarray) -> SplitPredictions:
    probs = scores.member_probs.mean(axis=0)
    classes = probs.argmax(axis=1)
    total, aleatoric, epistemic = entropy_decomposition(scores.member_probs)
    view_classes = scores.probs.argmax(axis=2)
    return SplitPredictions(
        probs=probs, classes=classes, confidence=probs.max(axis=1),
        certainty=None if scores.certainty is None else scores.certainty[0],
        sigma=None if scores.sigma is None else scores.sigma[0],
        total_entropy=total, aleatoric=aleatoric, epistemic=epistemic,
        view_inputs=views.astype(np.float32), view_probs=scores.probs.astype(np.float32),
        view_certainty=scores.certainty,
        view_agreement=(view_classes == classes[None]).mean(axis=0),
        augmentation_sensitivity=entropy_decomposition(scores.probs)[2],
        n_samples=scores.member_probs.shape[0],
    )


def rejection_scores(pred: SplitPredictions) -> dict[str, np.ndarray]:
    """Scores to rank predictions by (higher = keep): the ones this run can provide.

    ``confidence`` always; ``certainty`` for UANLL; ``view_agreement`` with ≥ 2 views;
    ``members_agree`` (minus the mutual information) with ≥ 2 members or passes.
    """
    scores = {"confidence": pred.confidence}
    if pred.certainty is not None:
        scores["certainty"] = pred.certainty
    if pred.view_probs.shape[0] > 1:
        scores["view_agreement"] = pred.view_agreement
    if pred.n_samples > 1:
        scores["members_agree"] = -pred.epistemic
    return scores


def map_grid(data: ClassificationData, relative_margin: float | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The decision map's grid: over all the points (every split) and a margin around them.

    The margin is ``relative_margin`` × the data's range on each axis, or GRID_MARGIN
    standardised units when None.

    Returns:
        ``(x1, x2, points)``: the (G,) coordinates of each axis and the (G², 2) float32 grid
        points, x1 varying fastest (row r of the map is x2[r]).
    """
    both = np.concatenate([data.x_train, data.x_val, data.x_test])
    lo, hi = both.min(axis=0), both.max(axis=0)
    pad = GRID_MARGIN if relative_margin is None else relative_margin * (hi - lo)
    lo, hi = lo - pad, hi + pad
    x1 = np.linspace(lo[0], hi[0], GRID_SIZE)
    x2 = np.linspace(lo[1], hi[1], GRID_SIZE)
    g1, g2 = np.meshgrid(x1, x2)
    return x1, x2, np.stack([g1.ravel(), g2.ravel()], axis=1).astype(np.float32)


def _decision_map(data: ClassificationData, classifier: TrainedClassifier, mc_samples: int,
                  relative_margin: float | None = None) -> DecisionMap:
    """The model on the :func:`map_grid` of the data."""
    x1, x2, grid = map_grid(data, relative_margin)
    scores = predict_views(classifier, grid[None], mc_samples)
    pred = _split_predictions(scores, np.empty((1, 0, 2), dtype=np.float32))
    shape = (GRID_SIZE, GRID_SIZE)
    several = pred.n_samples > 1
    return DecisionMap(
        x1=x1, x2=x2, classes=pred.classes.reshape(shape),
        confidence=pred.confidence.reshape(shape),
        sigma=None if pred.sigma is None else pred.sigma.reshape(shape),
        aleatoric=pred.aleatoric.reshape(shape) if several else None,
        epistemic=pred.epistemic.reshape(shape) if several else None,
    )


def label_scores(
    probs: np.ndarray, sigma: np.ndarray | None, labels: np.ndarray, smoothing: float
) -> tuple[np.ndarray, np.ndarray | None]:
    """Scores that read each sample's given label: p(label | x), and UANLL's weighted residual.

    The weighted residual is the data term of the sample's UANLL loss,
    ``e^{−s} Σ_k (y_k − h_k)²`` with y the (smoothed) target of the given label and h the
    predicted probabilities; over several members it uses their mean h and mean σ² = e^s.
    A flipped label earns a low probability and a large residual.

    Example (hand-checkable: h = (0.8, 0.2), σ² = 0.5, labels 0 and 1):
        >>> p, r = label_scores(np.array([[0.8, 0.2]] * 2), np.sqrt([0.5, 0.5]),
        ...                     np.array([0, 1]), 0.0)
        >>> p.round(3).tolist(), r.round(3).tolist()  # (0.2² + 0.2²)/0.5, (0.8² + 0.8²)/0.5
        ([0.8, 0.2], [0.16, 2.56])

    Args:
        probs: (n, K) predicted probabilities h.
        sigma: (n,) UANLL σ, or None for other losses.
        labels: (n,) the labels the samples were given.
        smoothing: the ε of the targets the model trained on.

    Returns:
        ``(given_label_prob, weighted_residual)``, each (n,); the residual is None without σ.
    """
    labels = np.asarray(labels)
    given = probs[np.arange(labels.size), labels]
    if sigma is None:
        return given, None
    targets = smooth_labels(torch.as_tensor(labels), probs.shape[1], smoothing).numpy()
    residual = ((targets - probs) ** 2).sum(axis=1) / sigma**2
    return given, residual


def _flip_auroc(score: np.ndarray | None, flipped: np.ndarray) -> float:
    """AUROC of ``score`` (higher = label kept) for telling kept (positive) from flipped labels."""
    if score is None or not flipped.any() or flipped.all():
        return float("nan")
    return auroc(score[~flipped], score[flipped])


def run_classification(
    config: ClassificationConfig, progress: Progress | None = None
) -> ClassificationResult:
    """Train the configured classifier on noisy labels and measure what it knows.

    Args:
        config: the experiment (its thresholds are not used here).
        progress: ``progress(fraction, message)``, called every few training steps.

    Raises:
        ValueError: a bad config, or training diverged (the message says what to change).
    """
    return run_on_data(config, load_data(config), progress)


def run_on_data(
    config: ClassificationConfig,
    data: ClassificationData,
    progress: Progress | None = None,
    *,
    map_margin: float | None = None,
    class_names: tuple[str, ...] = (),
    feature_names: tuple[str, str] = ("x1", "x2"),
    snapshot: Snapshot | None = None,
    snapshot_every: int | None = None,
) -> ClassificationResult:
    """The lab's pipeline on given splits: noise the training labels, train, query, score.

    The data settings of ``config`` (dataset, toy points, overlap) are not read; everything
    else is. 2-D data (``data.image_shape`` None) get jittered views and a decision map.

    Args:
        config: the model, noise, augmentation and training settings.
        data: the train / validation / test splits with clean labels.
        progress: ``progress(fraction, message)``, called every few training steps.
        map_margin: how far the decision map reaches beyond the data, as a share of the
            data's range on each axis; None: GRID_MARGIN standardised units.
        class_names, feature_names: stored in the result for the figures and tables.
        snapshot, snapshot_every: a look at the model while it trains (see
            :data:`labcore.models.train.Snapshot`; :mod:`.live` makes frames with it).

    Raises:
        ValueError: training diverged (the message says what to change).
    """
    noisy, flipped = noisy_labels(config, data)
    spec = config.spec()
    what = {"ensemble": f"{spec.members} networks", "mc_dropout": "a dropout network"}
    x_fit, y_fit = training_set(config, data, noisy)
    classifier = train_classifier(spec, x_fit, y_fit, data.x_val, data.y_val, data.n_classes,
                                  progress=progress, progress_range=(0.0, 0.9),
                                  label=f"Training {what.get(config.method, 'one network')}",
                                  snapshot=snapshot, snapshot_every=snapshot_every)
    mc = config.mc_samples if config.method == "mc_dropout" else 0
    if progress is not None:
        progress(0.92, f"Predicting {config.n_views} views of every sample")
    views_test = augment_views(data.x_test, config.n_views, stream_seed(config.seed, "test"),
                               data.image_shape, config.aug_strength)
    views_train = augment_views(data.x_train, config.n_views, stream_seed(config.seed, "train"),
                                data.image_shape, config.aug_strength)
    test = _split_predictions(predict_views(classifier, views_test, mc), views_test)
    train = _split_predictions(predict_views(classifier, views_train, mc), views_train)
    decision_map = (_decision_map(data, classifier, mc, map_margin)
                    if data.image_shape is None else None)

    correct = test.classes == data.y_test
    curves = {name: selective.accuracy_coverage_curve(score, correct)
              for name, score in rejection_scores(test).items()}
    tta_classes = test.view_probs.mean(axis=0).argmax(axis=1)
    given, residual = label_scores(train.probs, train.sigma, noisy, config.smoothing)
    metrics = {
        "accuracy": float(correct.mean()),
        "tta_accuracy": float(np.mean(tta_classes == data.y_test)),
        "nll": cal.nll(test.probs, data.y_test),
        "ece": cal.expected_calibration_error(test.probs, data.y_test, n_bins=ECE_BINS),
        "n_flipped": float(flipped.sum()),
        "train_noisy_accuracy": float(np.mean(train.classes == noisy)),
        "flip_auroc_given_label": _flip_auroc(given, flipped),
        "flip_auroc_weighted_residual": _flip_auroc(None if residual is None else -residual,
                                                    flipped),
        "flip_auroc_confidence": _flip_auroc(train.confidence, flipped),
        "flip_auroc_certainty": _flip_auroc(train.certainty, flipped),
        "steps_run": float(classifier.history.steps_run),
    }
    for name, score in rejection_scores(test).items():
        metrics[f"aurc_{name}"] = selective.aurc(score, correct)
    if progress is not None:
        progress(1.0, "Done")
    history = classifier.history
    return ClassificationResult(
        dataset=data.name, loss=config.loss, method=config.method,
        n_classes=data.n_classes, image_shape=data.image_shape,
        n_samples=test.n_samples,
        x_train=data.x_train, y_train=data.y_train, y_train_noisy=noisy, flipped=flipped,
        given_label_prob=given, label_residual=residual,
        x_test=data.x_test, y_test=data.y_test, train=train, test=test, curves=curves,
        decision_map=decision_map, eval_steps=history.eval_steps, val_loss=history.val_loss,
        val_accuracy=classifier.val_accuracy, train_loss=history.train_loss, metrics=metrics,
        class_names=tuple(class_names), feature_names=tuple(feature_names),
    )
