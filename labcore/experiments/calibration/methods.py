"""The calibrator shoot-out and conformal prediction sets of one cached Calibration run.

Every function takes the page's cached :class:`~labcore.experiments.calibration.run.CalibrationRun`
and one model ("plain" or "smoothed"), and returns everything one view draws, computed from the
stored validation and test logits: nothing here trains. The validation set is the calibration
set (the calibrators' training data, the conformal calibration points); the test set is where
every number shown is measured.

- :func:`calibrator_view`: six calibrators fitted on the same (sub)set of the validation
  logits, scored on the test set; :func:`size_view`: their test ECE and NLL against the size
  of that set (which overfit with few points).
- :func:`conformal_view`: split-conformal sets at one α with one score, coverage against α for
  LAC, APS and RAPS, and the test digits with the largest sets.

The ``*_caption`` functions write the page's "Notice: …" line from the measured numbers.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from labcore import calibration as cal
from labcore.calibration.calibrators import CALIBRATORS
from labcore.calibration.comparison import (
    DEFAULT_SIZES,
    CalibratorScores,
    Shootout,
    SizeCurve,
    shootout,
    size_curve,
)
from labcore.calibration.conformal_sets import (
    SCORES,
    ConformalSets,
    CoverageCurve,
    ScoreName,
    coverage_curve,
    min_calibration_points,
    prediction_sets,
)
from labcore.experiments.calibration import report
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.calibration.run import CalibrationRun, ModelKind, load_data

# The preset the captions point to when the current settings do not show an effect: its plain
# model is over-confident (fitted T ≈ 2) and, on 20 calibration points, some calibrators
# overfit (tests/unit/test_calibrators.py checks both on the preset itself).
SHOWCASE_PRESET = report.PRESET_DEFAULT


@dataclasses.dataclass(frozen=True)
class CalibratorView:
    """The calibrator shoot-out of one model.

    Attributes:
        model_name: the model's name, for titles.
        kind: "plain" or "smoothed".
        shootout: every calibrator fitted on the same calibration subset, scored on test.
    """

    model_name: str
    kind: str
    shootout: Shootout


def calibrator_view(run: CalibrationRun, kind: ModelKind, cal_size: int | None = None,
                    n_bins: int = cal.N_BINS, seed: int = 0,
                    strategy: cal.BinStrategy = "uniform") -> CalibratorView:
    """Fit every calibrator on ``cal_size`` validation points of one model; score on test.

    Args:
        run: the page's cached result of ``run_calibration``.
        kind: "plain" or "smoothed".
        cal_size: calibration points (stratified, seeded subset of the validation set);
            None uses all of them.
        n_bins: bins of the ECE, the diagrams and histogram binning.
        seed: seeds the subset.
        strategy: "uniform" or "quantile" ECE bins.

    Raises:
        ValueError: ``cal_size`` above the validation set or below 2·K (message says which).
    """
    model = run.model(kind)
    result = shootout(model.val_logits, run.y_val, model.test_logits, run.y_test,
                      cal_size=cal_size, n_bins=n_bins, strategy=strategy, seed=seed)
    return CalibratorView(model_name=model.name, kind=kind, shootout=result)


def size_view(run: CalibrationRun, kind: ModelKind, n_bins: int = cal.N_BINS, seed: int = 0,
              strategy: cal.BinStrategy = "uniform", repeats: int = 3) -> SizeCurve:
    """Test ECE and NLL of every calibrator against the calibration-set size (20 … all).

    Each size below the whole validation set is averaged over ``repeats`` subsets. About
    13 shoot-outs: cache it per (run, kind, bins, seed) in the page.
    """
    model = run.model(kind)
    return size_curve(model.val_logits, run.y_val, model.test_logits, run.y_test,
                      sizes=DEFAULT_SIZES, n_bins=n_bins, strategy=strategy, repeats=repeats,
                      seed=seed)


def shootout_rows(view: CalibratorView) -> list[dict[str, object]]:
    """One table row per calibrator (the raw model first): test ECE, NLL, Brier, accuracy, …"""
    result = view.shootout
    return [{
        "calibrator": r.display,
        "test ECE": round(r.ece, 4),
        "test NLL (nats)": round(r.nll, 4),
        "Brier (0–2)": round(r.brier, 4),
        "accuracy": round(r.accuracy, 4),
        "mean confidence": round(r.mean_confidence, 4),
        "predictions changed": round(r.changed, 4),
        f"NLL on its {result.cal_size} calibration points": round(r.fit_nll, 4),
    } for r in (result.uncalibrated, *result.rows)]


def _best(rows: tuple[CalibratorScores, ...], field: str) -> CalibratorScores:
    return min(rows, key=lambda r: (getattr(r, field), r.name))


def shootout_caption(view: CalibratorView) -> str:
    """The "Notice: …" line of the shoot-out, from its numbers.

    Names the calibrator with the lowest test ECE and how many predictions it changes, and the
    one whose test NLL is furthest above its NLL on the calibration points (overfitting). Says
    so when no calibrator beats the raw model.
    """
    result = view.shootout
    raw, best = result.uncalibrated, _best(result.rows, "ece")
    if best.ece >= raw.ece:
        return (f"Notice: no calibrator lowers the test ECE below the raw model's "
                f"{raw.ece:.3f} here (best: {best.display}, {best.ece:.3f}); the raw model is "
                f"already about calibrated. See the preset {SHOWCASE_PRESET!r} with the plain "
                "model, where calibration helps.")
    changed = ("keeps every prediction" if best.changed == 0
               else f"changes {best.changed:.1%} of the predictions")
    text = (f"Notice: {best.display} has the lowest test ECE ({best.ece:.3f}, raw model "
            f"{raw.ece:.3f}) and {changed}")
    gaps = {r.name: r.nll - r.fit_nll for r in result.rows}
    worst = max(result.rows, key=lambda r: (gaps[r.name], r.name))
    if gaps[worst.name] > 0.05:
        text += (f"; {worst.display} overfits most: NLL {abs(worst.fit_nll):.2f} on its "
                 f"{result.cal_size} calibration points vs {worst.nll:.2f} on test")
    return text + "."


def size_caption(curve: SizeCurve) -> str:
    """The "Notice: …" line of the size curve: which calibrator overfits few points most.

    Overfitting is measured at the smallest size as test NLL minus the NLL on the calibration
    points themselves; the caption also names the lowest test NLL at that size.
    """
    small, full = int(curve.sizes[0]), int(curve.sizes[-1])
    if small == full:
        return (f"Notice: the validation set has only {full} points, too few for a smaller "
                f"calibration set (≥ 2 per class); nothing to compare.")
    gap = {n: float(curve.nll[n][0] - curve.fit_nll[n][0]) for n in curve.names}
    worst = max(curve.names, key=lambda n: (gap[n], n))
    best = min(curve.names, key=lambda n: (curve.nll[n][0], n))
    if gap[worst] <= 0.05:
        return (f"Notice: no calibrator overfits {small} calibration points here (largest "
                f"gap between test and calibration NLL {gap[worst]:.3f}); see the preset "
                f"{SHOWCASE_PRESET!r}, where some do.")
    return (f"Notice: with {small} calibration points {CALIBRATORS[worst]} overfits most: NLL "
            f"{abs(curve.fit_nll[worst][0]):.2f} on its own points vs "
            f"{curve.nll[worst][0]:.2f} on test ({curve.nll[worst][-1]:.2f} when fitted on all "
            f"{full}); {CALIBRATORS[best]} has the lowest test NLL at {small} points "
            f"({curve.nll[best][0]:.2f}).")


@dataclasses.dataclass(frozen=True)
class ConformalView:
    """Split-conformal sets of one model's test predictions, and what the page shows of them.

    Attributes:
        model_name, kind: the model.
        sets: the prediction sets at the chosen α and score.
        coverage: fraction of test labels inside their sets.
        curve: coverage and mean set size against α for LAC, APS and RAPS.
        n_cal: calibration points (the validation set).
        min_points: the fewest calibration points α allows, ⌈1/α − 1⌉.
        largest: (m,) test indices with the largest sets (largest first; ties: lower
            probability of the top class first).
        images: (m, 8, 8) those test digits (ink in [0, 1]), or None for 2-D toys.
        labels: (m,) their true labels.
        members: for each, the classes in its set, most probable first.
        top_probs: (m,) the model's top probability for each.
        sizes_covered: (K + 1,) number of test points whose set has size s and holds the label.
        sizes_missed: (K + 1,) the same for sets that miss the label.
        accuracy: how often the model's top class is the test label.
        larger_alpha: when no set holds two classes: the largest α below the chosen one (on
            the grid :data:`ALPHA_STEPS`, and allowed by ``n_cal``) at which at least
            ``n_examples`` test points get two classes or more; else None.
    """

    model_name: str
    kind: str
    sets: ConformalSets
    coverage: float
    curve: CoverageCurve
    n_cal: int
    min_points: int
    largest: np.ndarray
    images: np.ndarray | None
    labels: np.ndarray
    members: tuple[tuple[int, ...], ...]
    top_probs: np.ndarray
    sizes_covered: np.ndarray
    sizes_missed: np.ndarray
    accuracy: float = float("nan")
    larger_alpha: float | None = None

    @property
    def max_size(self) -> int:
        """Classes in the largest set."""
        return int(self.sets.sizes.max()) if self.sets.sizes.size else 0


ALPHA_STEPS: tuple[float, ...] = tuple(sorted(
    {round(m * 10.0**-e, 3) for e in (2, 3) for m in range(1, 10)} | {0.1, 0.2, 0.3, 0.4, 0.5},
    reverse=True))
"""The α values a caption suggests (0.5, 0.4, …, 0.1, 0.09, …, 0.01, 0.009, …, 0.001): values a
person would type, and on the α control's 0.001 steps."""


def _larger_alpha(cal_probs: np.ndarray, cal_labels: np.ndarray, test_probs: np.ndarray,
                  alpha: float, score: ScoreName, n_wanted: int, **options) -> float | None:
    """The largest α in :data:`ALPHA_STEPS` below ``alpha`` at which at least ``n_wanted``
    test points get a set of two classes or more (None when no α the calibration set allows
    does)."""
    n_cal = len(cal_labels)
    for candidate in ALPHA_STEPS:
        if candidate >= alpha or min_calibration_points(candidate) > n_cal:
            continue
        sets = prediction_sets(cal_probs, cal_labels, test_probs, alpha=candidate, score=score,
                               **options)
        if int(np.sum(sets.sizes >= 2)) >= n_wanted:
            return candidate
    return None


def conformal_view(run: CalibrationRun, kind: ModelKind, alpha: float, score: ScoreName, *,
                   config: CalibrationConfig | None = None, lam: float = 0.01, k_reg: int = 1,
                   randomized: bool = True, seed: int = 0, n_examples: int = 8
                   ) -> ConformalView:
    """Conformal prediction sets of one model: calibrated on validation, measured on test.

    The probabilities are the raw softmax (T = 1): the temperature was fitted on the same
    validation points, and a score must not be tuned on its own calibration data.

    Args:
        run: the page's cached result of ``run_calibration``.
        kind: "plain" or "smoothed".
        alpha: miscoverage level in (0, 1); target coverage 1 − α.
        score: "lac", "aps" or "raps".
        config: the config ``run`` was trained with; with digits its test images are
            returned (None: no images).
        lam, k_reg: the RAPS penalty λ and the number of unpenalised top ranks.
        randomized: APS/RAPS with a uniform U (else U = 1).
        seed: seeds U.
        n_examples: how many of the largest sets to return.

    Raises:
        ValueError: too few calibration points for α (the message says how many), a config
            that does not match the run, or bad options.
    """
    model = run.model(kind)
    cal_probs, test_probs = cal.softmax(model.val_logits), cal.softmax(model.test_logits)
    options = {"lam": lam, "k_reg": k_reg, "randomized": randomized, "seed": seed}
    sets = prediction_sets(cal_probs, run.y_val, test_probs, alpha=alpha, score=score,
                           **options)
    curve = coverage_curve(cal_probs, run.y_val, test_probs, run.y_test, scores=tuple(SCORES),
                           lam=lam, k_reg=k_reg, randomized=randomized, seed=seed)
    top = test_probs.max(axis=1)
    larger = None
    if sets.sizes.size and sets.sizes.max() <= 1:  # nothing larger to show: say where it is
        larger = _larger_alpha(cal_probs, run.y_val, test_probs, alpha, score,
                               min(n_examples, top.size), **options)
    order = np.lexsort((np.arange(top.size), top, -sets.sizes))  # largest sets, least sure
    largest = order[:n_examples]
    members = tuple(tuple(int(c) for c in np.argsort(-test_probs[i], kind="stable")
                          if sets.mask[i, c]) for i in largest)
    covered = sets.covered(run.y_test)
    k = run.n_classes
    images = None
    if config is not None:
        data = load_data(config)
        if not np.array_equal(data.y_test, run.y_test):
            raise ValueError("config must be the one the run was trained with (its test "
                             f"labels differ). Got dataset {config.dataset!r}, seed "
                             f"{config.seed}.")
        if data.image_shape is not None:
            images = data.x_test[largest].reshape(-1, *data.image_shape)
    return ConformalView(
        model_name=model.name, kind=kind, sets=sets, coverage=float(covered.mean()),
        curve=curve, n_cal=sets.n_cal, min_points=min_calibration_points(alpha),
        largest=largest, images=images, labels=run.y_test[largest], members=members,
        top_probs=top[largest],
        sizes_covered=np.bincount(sets.sizes[covered], minlength=k + 1),
        sizes_missed=np.bincount(sets.sizes[~covered], minlength=k + 1),
        accuracy=float(np.mean(test_probs.argmax(axis=1) == run.y_test)),
        larger_alpha=larger)


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, …, 324th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def conformal_caption(view: ConformalView) -> str:
    """The "Notice: …" line of the conformal view, from its numbers.

    States coverage against the target and the guarantee's band, the mean set size, q̂'s rank
    and the minimum number of calibration points; says when this split falls short of the
    target (the guarantee is an average over splits) and when many sets are empty.
    """
    sets, target = view.sets, 1 - view.sets.alpha
    n_test = sets.sizes.shape[0]
    spread = 2 * np.sqrt(target * sets.alpha * (1 / n_test + 1 / (view.n_cal + 2)))
    text = (f"Notice: coverage {view.coverage:.3f} vs target {target:.3f} "
            f"(on average between {target:.3f} and {sets.upper_bound:.3f}); mean set size "
            f"{sets.mean_size:.2f}; q̂ = {sets.qhat:.3f} is the {_ordinal(sets.rank)} smallest of "
            f"n = {view.n_cal} calibration scores, and α = {sets.alpha:g} needs at least "
            f"{view.min_points}")
    if view.coverage < target:
        text += (f". This test set falls {target - view.coverage:.3f} short: the guarantee "
                 f"holds on average over random splits, and one split varies by about "
                 f"±{spread:.3f}")
    empty = float(np.mean(sets.sizes == 0))
    if empty >= 0.01:
        text += (f". {empty:.0%} of the sets are empty: the model is right more often than "
                 f"1 − α, so lower α to see larger sets")
    return text + "."


def largest_sets_caption(view: ConformalView, what: str = "test digit") -> str:
    """The "Notice: …" line under the largest sets, from the numbers.

    When some set holds two classes or more: how many test points get more than one class, and
    the largest set. When none does (an accurate model at a large α): says so, why (the top
    class alone is right more often than 1 − α), that the panel shows the least sure points
    instead, and the α at which larger sets appear (:attr:`ConformalView.larger_alpha`).

    Args:
        view: from :func:`conformal_view`.
        what: what a test point is called ("test digit").
    """
    sets, alpha = view.sets, view.sets.alpha
    n_test = sets.sizes.shape[0]
    if view.max_size >= 2:
        n_multi = int(np.sum(sets.sizes >= 2))
        return (f"Notice: at α = {alpha:g}, {n_multi:,} of {n_test:,} {what}s get more than one "
                f"class; the largest set holds {view.max_size} classes. Shown: the "
                f"{len(view.largest)} {what}s with the largest sets.")
    n_empty = int(np.sum(sets.sizes == 0))
    some = f"a single class or none ({n_empty} get none)" if n_empty else "a single class"
    target = 1 - alpha
    if view.accuracy >= target:
        why = (f"the model's top class is right on {view.accuracy:.3f} of the {what}s, already "
               f"more than 1 − α = {target:.3f}, so no set needs a second class")
    else:
        why = f"no {what} has a second class with a score at or below q̂ = {sets.qhat:.3f}"
    text = (f"Notice: every {what} gets {some} at α = {alpha:g}: {why}. Shown: the "
            f"{len(view.largest)} {what}s the model is least sure of.")
    if view.larger_alpha is not None:
        return text + f" Lower α to {view.larger_alpha:g} to see larger sets."
    lowest = min(a for a in ALPHA_STEPS if min_calibration_points(a) <= view.n_cal)
    return text + (f" No α down to {lowest:g} (the smallest {view.n_cal} calibration points "
                   f"allow) gives {len(view.largest)} {what}s a larger set.")
