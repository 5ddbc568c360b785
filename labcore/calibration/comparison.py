"""The calibrator shoot-out: every calibrator of :mod:`labcore.calibration.calibrators` fitted
on the same validation subset and scored on the same test set, and how that changes with the
size of the subset (which calibrators overfit a small calibration set).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from labcore.calibration.calibrators import (
    CALIBRATORS,
    UNCALIBRATED,
    _fit_inputs,
    _logits,
    fit_calibrator,
)
from labcore.calibration.classification import (
    N_BINS,
    BinStrategy,
    ReliabilityBins,
    _check_labels,
    brier_score,
    expected_calibration_error,
    nll,
    reliability_bins,
)
from labcore.calibration.temperature import softmax
from labcore.device import rng_for


def calibration_subset(labels: np.ndarray, n_classes: int, cal_size: int | None,
                       seed: int = 0) -> np.ndarray:
    """Indices of ``cal_size`` validation points, stratified by class and seeded.

    Each class is shuffled; then points are taken in the order of (rank within class + ½) /
    class size, so every class gets its share of ``cal_size`` (within one point).

    Args:
        labels: (n,) validation labels.
        n_classes: K.
        cal_size: how many points; None takes all n.
        seed: seeds the shuffle.

    Returns:
        (cal_size,) sorted indices into the validation set.

    Raises:
        ValueError: ``cal_size`` above n or below 2·K (two points per class).
    """
    n = labels.shape[0]
    if cal_size is None or cal_size == n:
        return np.arange(n)
    if isinstance(cal_size, bool) or not isinstance(cal_size, int | np.integer):
        raise ValueError(f"cal_size must be an integer or None. Got {cal_size!r}.")
    if cal_size > n:
        raise ValueError(f"cal_size must be at most the {n} validation points. Got {cal_size}.")
    if cal_size < 2 * n_classes:
        raise ValueError(f"cal_size must be at least 2·K = {2 * n_classes} (two points per "
                         f"class). Got {cal_size}.")
    rng = rng_for(seed, "calibration-subset")
    order = rng.permutation(n)
    shuffled = labels[order]
    rank = np.empty(n)
    sizes = np.bincount(shuffled, minlength=n_classes)
    for c in range(n_classes):
        members = np.flatnonzero(shuffled == c)
        rank[members] = (np.arange(members.size) + 0.5) / sizes[c]
    chosen = order[np.argsort(rank, kind="stable")[:cal_size]]
    return np.sort(chosen)


@dataclasses.dataclass(frozen=True)
class CalibratorScores:
    """One calibrator fitted on the calibration subset, scored on the test set.

    Attributes:
        name: the key in :data:`CALIBRATORS` ("none" for the uncalibrated model).
        display: the name a page shows.
        bins: top-label reliability bins of the calibrated test probabilities.
        ece: top-label ECE with those bins.
        nll: mean −log p(true class) in nats (p clipped at 1e-12: histogram binning and
            isotonic regression can give a class probability exactly 0).
        brier: Σ_k (p_k − y_k)² averaged over samples, in [0, 2].
        accuracy: fraction of argmax predictions that are right.
        mean_confidence: mean of max_k p_k.
        changed: fraction of test predictions whose argmax differs from the uncalibrated one.
        fit_nll: NLL on the calibration subset it was fitted on (far below ``nll`` = overfit).
    """

    name: str
    display: str
    bins: ReliabilityBins
    ece: float
    nll: float
    brier: float
    accuracy: float
    mean_confidence: float
    changed: float
    fit_nll: float


@dataclasses.dataclass(frozen=True)
class Shootout:
    """Every calibrator fitted on the same calibration subset and scored on the test set.

    Attributes:
        uncalibrated: the raw softmax, scored the same way (``changed`` = 0).
        rows: one :class:`CalibratorScores` per calibrator, in the order asked for.
        cal_indices: (cal_size,) indices of the validation points used for fitting.
        n_val: size of the whole validation set.
        n_test: size of the test set.
        n_bins, strategy: the bins of every ECE and diagram.
    """

    uncalibrated: CalibratorScores
    rows: tuple[CalibratorScores, ...]
    cal_indices: np.ndarray
    n_val: int
    n_test: int
    n_bins: int
    strategy: BinStrategy

    @property
    def cal_size(self) -> int:
        """Number of validation points the calibrators were fitted on."""
        return int(self.cal_indices.shape[0])

    def row(self, name: str) -> CalibratorScores:
        """The row of one calibrator ("none": the uncalibrated model)."""
        for scores in (self.uncalibrated, *self.rows):
            if scores.name == name:
                return scores
        raise ValueError(f"Calibrator must be one of {[r.name for r in self.rows]}. "
                         f"Got {name!r}.")


def _score(name: str, display: str, probs: np.ndarray, labels: np.ndarray, raw_pred: np.ndarray,
           fit_nll: float, n_bins: int, strategy: BinStrategy) -> CalibratorScores:
    confidence = probs.max(axis=1)
    predicted = probs.argmax(axis=1)
    correct = predicted == labels
    bins = reliability_bins(np.clip(confidence, 0.0, 1.0), correct, n_bins, strategy)
    return CalibratorScores(
        name=name, display=display, bins=bins, ece=bins.ece, nll=nll(probs, labels),
        brier=brier_score(probs, labels), accuracy=float(correct.mean()),
        mean_confidence=float(confidence.mean()), changed=float(np.mean(predicted != raw_pred)),
        fit_nll=fit_nll)


def _check_names(names: Sequence[str]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in CALIBRATORS]
    if unknown or not names:
        raise ValueError(f"names must be some of {', '.join(map(repr, CALIBRATORS))}. "
                         f"Got {list(names)!r}.")
    return tuple(names)


def _check_split(val_logits: object, val_labels: object, test_logits: object,
                 test_labels: object) -> tuple[np.ndarray, ...]:
    zv, yv = _fit_inputs(val_logits, val_labels)
    zt = _logits(test_logits)
    if zt.shape[1] != zv.shape[1]:
        raise ValueError(f"test_logits must have the {zv.shape[1]} classes of val_logits. "
                         f"Got {zt.shape[1]}.")
    return zv, yv, zt, _check_labels(test_labels, zt.shape[0], zt.shape[1])


def shootout(val_logits: np.ndarray, val_labels: np.ndarray, test_logits: np.ndarray,
             test_labels: np.ndarray, *, cal_size: int | None = None,
             names: Sequence[str] = tuple(CALIBRATORS), n_bins: int = N_BINS,
             strategy: BinStrategy = "uniform", seed: int = 0) -> Shootout:
    """Fit every calibrator on the same calibration subset; score each on the test set.

    Args:
        val_logits: (n_val, K) validation logits (the calibrators' training data).
        val_labels: (n_val,) validation labels.
        test_logits: (n_test, K) test logits (everything reported is scored here).
        test_labels: (n_test,) test labels.
        cal_size: fit on this many validation points (stratified, seeded); None uses all.
        names: which calibrators, keys of :data:`CALIBRATORS`.
        n_bins: bins of the ECE, the diagrams and histogram binning.
        strategy: "uniform" (equal width) or "quantile" (equal mass) bins for the ECE.
        seed: seeds the subset.

    Returns:
        A :class:`Shootout`.

    Raises:
        ValueError: bad arrays, unknown names, or ``cal_size`` above n_val or below 2·K.
    """
    zv, yv, zt, yt = _check_split(val_logits, val_labels, test_logits, test_labels)
    names = _check_names(names)
    idx = calibration_subset(yv, zv.shape[1], cal_size, seed)
    z_fit, y_fit = zv[idx], yv[idx]
    raw = softmax(zt)
    raw_pred = raw.argmax(axis=1)
    base = _score("none", UNCALIBRATED, raw, yt, raw_pred, nll(softmax(z_fit), y_fit), n_bins,
                  strategy)
    rows = []
    for name in names:
        calibrator = fit_calibrator(name, z_fit, y_fit, n_bins=n_bins, seed=seed)
        rows.append(_score(name, CALIBRATORS[name], calibrator.probs(zt), yt, raw_pred,
                           nll(calibrator.probs(z_fit), y_fit), n_bins, strategy))
    return Shootout(uncalibrated=base, rows=tuple(rows), cal_indices=idx, n_val=zv.shape[0],
                    n_test=zt.shape[0], n_bins=n_bins, strategy=strategy)


@dataclasses.dataclass(frozen=True)
class SizeCurve:
    """Test ECE and NLL of each calibrator against the size of its calibration set.

    Attributes:
        sizes: (S,) calibration-set sizes, increasing; the last is the whole validation set.
        names: the calibrators, keys of :data:`CALIBRATORS`.
        ece, nll: name → (S,) test ECE and test NLL, each the mean over ``repeats`` subsets.
        fit_nll: name → (S,) NLL on the subset the calibrator was fitted on (mean).
        uncalibrated_ece, uncalibrated_nll: the raw model's test ECE and NLL.
        repeats: subsets per size (one for the whole set: all its subsets are the same).
    """

    sizes: np.ndarray
    names: tuple[str, ...]
    ece: dict[str, np.ndarray]
    nll: dict[str, np.ndarray]
    fit_nll: dict[str, np.ndarray]
    uncalibrated_ece: float
    uncalibrated_nll: float
    repeats: int


DEFAULT_SIZES = (20, 50, 100, 200)


def size_curve(val_logits: np.ndarray, val_labels: np.ndarray, test_logits: np.ndarray,
               test_labels: np.ndarray, *, sizes: Sequence[int] = DEFAULT_SIZES,
               names: Sequence[str] = tuple(CALIBRATORS), n_bins: int = N_BINS,
               strategy: BinStrategy = "uniform", repeats: int = 3, seed: int = 0) -> SizeCurve:
    """Test ECE and NLL per calibrator as the calibration set grows (which overfit when small).

    Sizes below 2·K or at least the validation set are dropped; the whole validation set is
    always the last size. Each smaller size is averaged over ``repeats`` stratified subsets
    (seeds ``seed``, ``seed + 1``, …).

    Args:
        val_logits, val_labels, test_logits, test_labels: as :func:`shootout`.
        sizes: calibration-set sizes to try besides the whole set.
        names: which calibrators.
        n_bins, strategy: bins of the ECE (and of histogram binning).
        repeats: subsets averaged per size, ≥ 1.
        seed: the first subset's seed.

    Returns:
        A :class:`SizeCurve`.
    """
    zv, yv, zt, yt = _check_split(val_logits, val_labels, test_logits, test_labels)
    names = _check_names(names)
    if isinstance(repeats, bool) or not isinstance(repeats, int | np.integer) or repeats < 1:
        raise ValueError(f"repeats must be an integer ≥ 1. Got {repeats!r}.")
    n, k = zv.shape
    kept = [*sorted({int(s) for s in sizes if 2 * k <= s < n}), n]
    ece = {name: np.zeros(len(kept)) for name in names}
    test_nll = {name: np.zeros(len(kept)) for name in names}
    fit_nll = {name: np.zeros(len(kept)) for name in names}
    for i, size in enumerate(kept):
        draws = repeats if size < n else 1
        for r in range(draws):
            result = shootout(zv, yv, zt, yt, cal_size=size, names=names, n_bins=n_bins,
                              strategy=strategy, seed=seed + r)
            for row in result.rows:
                ece[row.name][i] += row.ece / draws
                test_nll[row.name][i] += row.nll / draws
                fit_nll[row.name][i] += row.fit_nll / draws
    raw = softmax(zt)
    return SizeCurve(sizes=np.array(kept), names=names, ece=ece, nll=test_nll, fit_nll=fit_nll,
                     uncalibrated_ece=expected_calibration_error(raw, yt, n_bins, strategy),
                     uncalibrated_nll=nll(raw, yt), repeats=repeats)
