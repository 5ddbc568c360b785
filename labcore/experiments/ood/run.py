"""The OOD lab's experiments: detection on digits and on 2-D toys; the shift sweep.

Convention everywhere: a score is higher for inputs that look more in-distribution, and
in-distribution is the positive class of AUROC, AUPR and FPR at 95 % TPR (:mod:`labcore.ood`).

- ``run_ood(OODConfig)``: in-distribution digits are a class subset (0–4 by default); the OOD
  sets are the held-out digits, uniform noise, inverted digits and fooling images made against
  the plain network. Every detector (a score of one model) is measured on every OOD set.
- ``run_toy_ood(ToyOODConfig)``: the same models on a 2-D toy, with each score drawn over the
  input plane, far beyond the data.
- ``run_shift(ShiftConfig)``: the shift sweep, in :mod:`labcore.experiments.ood.sweep`.

The configs, and :class:`~labcore.experiments.ood.config.OODLabConfig` (all three in one, the
OOD page's settings form), live in :mod:`labcore.experiments.ood.config`.
"""

import dataclasses
from collections.abc import Mapping

import numpy as np

from labcore.data.classification import ClassificationData, load_digits_split, make_toy
from labcore.device import rng_for
from labcore.experiments.ood.config import (
    FOOLING_AIM,
    METHODS,
    OODConfig,
    OODLabConfig,
    ShiftConfig,
    ToyOODConfig,
)
from labcore.experiments.ood.fooling import FoolingImages, make_fooling_images
from labcore.experiments.ood.models import ModelName, predict, train_models
from labcore.experiments.ood.sweep import ShiftResult, run_shift
from labcore.models.classifier import TrainedClassifier
from labcore.models.train import Progress
from labcore.ood import detection as ood
from labcore.ood.scores import ScoreName, ood_score

__all__ = [
    "DETECTORS", "METHODS", "OOD_SETS", "OODConfig", "OODLabConfig", "OODResult", "ShiftConfig",
    "ShiftResult", "ToyOODConfig", "ToyOODResult", "run_ood", "run_shift", "run_toy_ood",
]

DETECTORS: dict[str, tuple[ModelName, ScoreName, str]] = {
    "plain_msp": ("plain", "max_softmax", "Max softmax · plain"),
    "plain_logit": ("plain", "max_logit", "Max logit · plain"),
    "plain_entropy": ("plain", "neg_entropy", "−Entropy · plain"),
    "plain_energy": ("plain", "neg_energy", "−Energy · plain"),
    "ensemble_msp": ("ensemble", "max_softmax", "Max softmax · ensemble"),
    "ensemble_mi": ("ensemble", "neg_mutual_info", "−Mutual information · ensemble"),
    "mc_mi": ("mc_dropout", "neg_mutual_info", "−Mutual information · MC dropout"),
    "uanll_certainty": ("uanll", "uanll_certainty", "Certainty · UANLL"),
}
"""Detector key → (model, score, display name). Higher score = more in-distribution."""
MODELS: tuple[ModelName, ...] = ("plain", "ensemble", "mc_dropout", "uanll")
OOD_SETS: dict[str, str] = {
    "held_out": "Held-out digits",
    "noise": "Uniform noise",
    "inverted": "Inverted digits",
    "fooling": "Fooling images",
}
N_NOISE = 300  # uniform-noise images
TPR = 0.95  # the true-positive rate of FPR at TPR
N_EXAMPLES = 8  # images per set kept for the gallery
GRID_POINTS = 101  # per axis of the toy heatmaps
GRID_REACH = 3.0  # the toy grid spans ± this × the largest |coordinate| of the training data
PROFILE_BINS = 12  # rings of the radial profile, each 0.25 data radii wide
def _scores(
    models: Mapping[str, TrainedClassifier], x: np.ndarray, mc_samples: int
) -> dict[str, np.ndarray]:
    """Detector key → (n,) scores of ``x``; each model is queried once."""
    outputs = {name: predict(name, model, x, mc_samples) for name, model in models.items()}
    return {
        key: ood_score(score, outputs[model].logits, outputs[model].log_var)
        for key, (model, score, _) in DETECTORS.items()
    }


def _accuracy(
    models: Mapping[str, TrainedClassifier], data: ClassificationData, mc_samples: int
) -> dict[str, float]:
    """Model → accuracy of its predictive distribution on the test split."""
    return {
        name: float(np.mean(
            predict(name, m, data.x_test, mc_samples).mean_probs.argmax(1) == data.y_test))
        for name, m in models.items()
    }


@dataclasses.dataclass(frozen=True)
class OODResult:
    """Every detector's scores on the in-distribution test digits and on each OOD set.

    Attributes:
        classes: the in-distribution digits.
        detectors: detector keys (rows of the metric tables), see :data:`DETECTORS`.
        ood_sets: OOD set keys (columns), see :data:`OOD_SETS`.
        scores_in: detector → (n_in,) scores of the in-distribution test digits.
        scores_out: detector → OOD set → (n_set,) scores.
        auroc, fpr95, aupr: (detectors, ood_sets) AUROC, FPR at 95 % TPR and AUPR, with
            in-distribution positive.
        roc: detector → OOD set → (fpr, tpr) ROC curve.
        threshold95: detector → the score that keeps 95 % of in-distribution digits (inputs
            below it are flagged as OOD; FPR at 95 % TPR counts OOD inputs at or above it).
        accuracy: model → accuracy on the in-distribution test digits.
        examples: "in" and each OOD set → (8, 8, 8) example images.
        fooling: the fooling images made against the plain network.
        fooling_confidence: model → (n_fooling,) its top-class probability on each.
        fooling_agrees: model → (n_fooling,) whether its top class is the fooling target.
    """

    classes: tuple[int, ...]
    detectors: tuple[str, ...]
    ood_sets: tuple[str, ...]
    scores_in: Mapping[str, np.ndarray]
    scores_out: Mapping[str, Mapping[str, np.ndarray]]
    auroc: np.ndarray
    fpr95: np.ndarray
    aupr: np.ndarray
    roc: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]]
    threshold95: Mapping[str, float]
    accuracy: Mapping[str, float]
    examples: Mapping[str, np.ndarray]
    fooling: FoolingImages
    fooling_confidence: Mapping[str, np.ndarray]
    fooling_agrees: Mapping[str, np.ndarray]


def run_ood(config: OODConfig, progress: Progress | None = None) -> OODResult:
    """Train the four models on the in-distribution digits and score every OOD set.

    Args:
        config: in-distribution digits, number of fooling images, model settings.
        progress: ``progress(fraction, message)``.

    Raises:
        ValueError: a bad config, or training diverged.

    References:
        Hendrycks & Gimpel, ICLR 2017 (max softmax, AUROC); Liu et al., NeurIPS 2020
        (energy); Lakshminarayanan et al., NeurIPS 2017 (ensembles); Nguyen et al., CVPR
        2015 (fooling images).
    """
    data = load_digits_split(config.seed, classes=config.classes)
    full = load_digits_split(config.seed)
    models = train_models(MODELS, config, data, progress, (0.0, 0.85))
    fooling = make_fooling_images(
        models["plain"], config.n_fooling, config.seed, target_confidence=FOOLING_AIM,
        progress=None if progress is None else lambda f, m: progress(0.85 + 0.1 * f, m),
    )
    sets = {
        "held_out": full.x_test[~np.isin(full.y_test, config.classes)],
        "noise": rng_for(config.seed, "ood-noise").random((N_NOISE, data.x_test.shape[1])),
        "inverted": 1.0 - data.x_test,
        "fooling": fooling.images,
    }
    if progress is not None:
        progress(0.95, "Scoring every set with every detector")
    blocks = [data.x_test, *sets.values()]
    cuts = np.cumsum([len(b) for b in blocks])[:-1]
    pooled = {k: np.split(v, cuts) for k, v in
              _scores(models, np.concatenate(blocks).astype(np.float32), config.mc_samples).items()}
    scores_in = {k: v[0] for k, v in pooled.items()}
    scores_out = {k: dict(zip(sets, v[1:], strict=True)) for k, v in pooled.items()}

    def table(metric) -> np.ndarray:
        return np.array([[metric(scores_in[d], scores_out[d][s]) for s in sets]
                         for d in DETECTORS])

    fooled = {name: predict(name, models[name], fooling.images, config.mc_samples).mean_probs
              for name in MODELS}
    examples = {"in": data.x_test[:N_EXAMPLES]} | {k: v[:N_EXAMPLES] for k, v in sets.items()}
    return OODResult(
        classes=config.classes, detectors=tuple(DETECTORS), ood_sets=tuple(sets),
        scores_in=scores_in, scores_out=scores_out,
        auroc=table(ood.auroc), aupr=table(ood.aupr),
        fpr95=table(lambda s_in, s_out: ood.fpr_at_tpr(s_in, s_out, TPR)),
        roc={d: {s: ood.roc_curve(scores_in[d], scores_out[d][s]) for s in sets}
             for d in DETECTORS},
        threshold95={d: ood.threshold_at_tpr(scores_in[d], TPR) for d in DETECTORS},
        accuracy=_accuracy(models, data, config.mc_samples),
        examples={k: np.asarray(v, dtype=np.float32).reshape(-1, 8, 8)
                  for k, v in examples.items()},
        fooling=fooling,
        fooling_confidence={k: p.max(axis=1) for k, p in fooled.items()},
        fooling_agrees={k: p.argmax(axis=1) == fooling.target for k, p in fooled.items()},
    )


@dataclasses.dataclass(frozen=True)
class ToyOODResult:
    """Each detector's score over a grid of the input plane of a 2-D toy.

    Attributes:
        x_grid, y_grid: (G,) grid coordinates (standardised input units).
        score_maps: detector → (G, G) scores, row i at y_grid[i], column j at x_grid[j].
        x_train: (n, 2) training points; y_train: (n,) their classes.
        n_classes: K.
        data_radius: R, the largest |coordinate| of the training points.
        radius_edges: (B + 1,) ring edges in units of R, from 0 to 3.
        radial_profile: detector → (B,) mean score of the grid points in each ring.
        near_mean, far_mean: detector → mean score within R of the centre (among the data)
            and between 2R and 3R (far beyond it).
        accuracy: model → test accuracy.
    """

    x_grid: np.ndarray
    y_grid: np.ndarray
    score_maps: Mapping[str, np.ndarray]
    x_train: np.ndarray
    y_train: np.ndarray
    n_classes: int
    data_radius: float
    radius_edges: np.ndarray
    radial_profile: Mapping[str, np.ndarray]
    near_mean: Mapping[str, float]
    far_mean: Mapping[str, float]
    accuracy: Mapping[str, float]


def run_toy_ood(config: ToyOODConfig, progress: Progress | None = None) -> ToyOODResult:
    """Train the four models on a 2-D toy and evaluate every score on a grid around it.

    A ReLU network is piecewise linear, so far from the data its logits grow linearly along
    any ray and its softmax becomes ever more confident (Hein et al., CVPR 2019); the members
    of an ensemble extrapolate in different directions, so their mutual information grows.

    Args:
        config: the toy and the model settings.
        progress: ``progress(fraction, message)``.
    """
    data = make_toy(config.toy, n=config.n_points, noise=config.toy_noise, seed=config.seed)
    models = train_models(MODELS, config, data, progress, (0.0, 0.9))
    radius = float(np.abs(data.x_train).max())
    axis = np.linspace(-GRID_REACH * radius, GRID_REACH * radius, GRID_POINTS)
    gx, gy = np.meshgrid(axis, axis)
    if progress is not None:
        progress(0.9, "Scoring the grid")
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    maps = {k: v.reshape(GRID_POINTS, GRID_POINTS)
            for k, v in _scores(models, grid, config.mc_samples).items()}
    distance = np.hypot(gx, gy) / radius  # in units of R
    edges = np.linspace(0.0, GRID_REACH, PROFILE_BINS + 1)
    ring = np.digitize(distance, edges) - 1  # PROFILE_BINS and above: the grid's corners
    near, far = distance <= 1.0, (distance > 2.0) & (distance <= GRID_REACH)
    return ToyOODResult(
        x_grid=axis, y_grid=axis, score_maps=maps, x_train=data.x_train, y_train=data.y_train,
        n_classes=data.n_classes, data_radius=radius, radius_edges=edges,
        radial_profile={k: np.array([m[ring == b].mean() for b in range(PROFILE_BINS)])
                        for k, m in maps.items()},
        near_mean={k: float(m[near].mean()) for k, m in maps.items()},
        far_mean={k: float(m[far].mean()) for k, m in maps.items()},
        accuracy=_accuracy(models, data, config.mc_samples),
    )
