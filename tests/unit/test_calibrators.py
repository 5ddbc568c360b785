"""Calibrators fitted on validation logits, and the shoot-out that compares them.

Expected values come from scikit-learn (IsotonicRegression, CalibratedClassifierCV with a
frozen model, LogisticRegression), from the lab's own temperature fit, from hand-computed bins,
or from properties theory guarantees (nested families, argmax invariance, rows summing to 1).
The science test trains the Calibration page's default preset and checks what the captions say.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from labcore import calibration as cal
from labcore.calibration import calibrators as cb
from labcore.calibration import comparison as so


def _synthetic(n: int, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits and noisy labels drawn from softmax(A z): no family separates them."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(n, k))
    mix = np.eye(k) * 0.6 + rng.normal(scale=0.2, size=(k, k))
    p = cal.softmax(z @ mix.T + rng.normal(scale=0.3, size=k))
    labels = np.array([rng.choice(k, p=row) for row in p])
    return z, labels


class _Logits(ClassifierMixin, BaseEstimator):
    """A 'model' whose inputs are already its logits (decision_function) or probabilities."""

    def __init__(self, output: str = "logits"):
        self.output = output

    def fit(self, x, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, x):
        return np.asarray(x).argmax(axis=1)


class _LogitModel(_Logits):
    def decision_function(self, x):
        return np.asarray(x)


class _ProbaModel(_Logits):
    def predict_proba(self, x):
        return cal.softmax(np.asarray(x))


def _calibrated_classifier_cv(model: _Logits, method: str):
    """scikit-learn's CalibratedClassifierCV on ``model`` frozen, fitted on 300 synthetic rows:
    the rows (z, y), the 200 test logits and its probabilities on them."""
    z, y = _synthetic(300)
    z_test, _ = _synthetic(200, seed=1)
    sk = CalibratedClassifierCV(FrozenEstimator(model.fit(z, y)), method=method)
    return z, y, z_test, sk.fit(z, y).predict_proba(z_test)


# --- each calibrator against an independent implementation -----------------------------------


def test_temperature_is_the_labs_temperature_fit_and_keeps_every_argmax():
    z, y = _synthetic(300)
    z_test, _ = _synthetic(200, seed=1)
    fitted = cb.fit_calibrator("temperature", z, y)
    assert fitted.temperature == pytest.approx(cal.fit_temperature(z, y), rel=1e-12)
    np.testing.assert_allclose(fitted.probs(z_test), cal.softmax(z_test, fitted.temperature))
    assert np.array_equal(fitted.probs(z_test).argmax(axis=1), z_test.argmax(axis=1))


def test_isotonic_is_sklearn_isotonic_per_class_then_renormalised():
    z, y = _synthetic(300)
    z_test, _ = _synthetic(200, seed=1)
    p, p_test = cal.softmax(z), cal.softmax(z_test)
    expected = np.stack([IsotonicRegression(out_of_bounds="clip").fit(p[:, k], y == k)
                         .predict(p_test[:, k]) for k in range(4)], axis=1)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cb.fit_isotonic(z, y).probs(z_test), expected, atol=1e-12)


def test_isotonic_matches_calibrated_classifier_cv_on_a_frozen_model():
    z, y, z_test, expected = _calibrated_classifier_cv(_ProbaModel(), "isotonic")
    np.testing.assert_allclose(cb.fit_isotonic(z, y).probs(z_test), expected, atol=1e-10)


def test_platt_matches_calibrated_classifier_cv_sigmoid_on_the_logits():
    # scikit-learn's method="sigmoid" fits each class's decision value with Platt's smoothed
    # targets, one vs rest, then renormalises: the same model, fitted by a different solver.
    z, y, z_test, expected = _calibrated_classifier_cv(_LogitModel(), "sigmoid")
    np.testing.assert_allclose(cb.fit_platt(z, y).probs(z_test), expected, atol=1e-6)


def test_platt_one_class_is_weighted_logistic_regression_on_platt_targets():
    # A soft target t is the same loss as label 1 with weight t plus label 0 with weight 1 − t.
    z, y = _synthetic(300)
    k = 2
    n_pos = int(np.sum(y == k))
    t = np.where(y == k, (n_pos + 1) / (n_pos + 2), 1 / (len(y) - n_pos + 2))
    x = np.concatenate([z[:, [k]], z[:, [k]]])
    lr = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(
        x, np.r_[np.ones(len(y)), np.zeros(len(y))], sample_weight=np.r_[t, 1 - t])
    fitted = cb.fit_platt(z, y)
    assert fitted.a[k] == pytest.approx(lr.coef_[0, 0], rel=1e-4)
    assert fitted.b[k] == pytest.approx(lr.intercept_[0], rel=1e-4, abs=1e-6)


def test_histogram_binning_by_hand():
    # Two classes, logits = log p, two bins per class, (0, .5] and (.5, 1]:
    #   class 0: p0 = .9, .8 (labels 0, 1) → upper bin 1/2; p0 = .3, .1 (labels 1, 1) → 0.
    #   class 1: p1 = .1, .2 (labels 0, 1) → lower bin 1/2; p1 = .7, .9 (labels 1, 1) → 1.
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    fitted = cb.fit_histogram_binning(np.log(p), np.array([0, 1, 1, 1]), n_bins=2)
    np.testing.assert_allclose(fitted.values, [[0.0, 0.5], [0.5, 1.0]])
    # p = (.6, .4): class 0 upper bin .5, class 1 lower bin .5 → (.5, .5).
    # p = (.2, .8): class 0 lower bin 0, class 1 upper bin 1 → (0, 1).
    new = np.log(np.array([[0.6, 0.4], [0.2, 0.8]]))
    np.testing.assert_allclose(fitted.probs(new), [[0.5, 0.5], [0.0, 1.0]])


def test_histogram_binning_empty_bin_keeps_its_midpoint():
    # Four bins of width .25; class 0's p0 ∈ {.9, .8, .3, .1} leaves (.5, .75] empty → .625.
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    fitted = cb.fit_histogram_binning(np.log(p), np.array([0, 1, 1, 1]), n_bins=4)
    assert fitted.values[0, 2] == pytest.approx(0.625)


def test_nested_families_order_the_validation_nll_when_unregularised():
    # Temperature ⊂ vector ⊂ matrix scaling (w = 1/T, W = diag(w)), all convex: the optimum of
    # a larger family can only fit the same data better.
    z, y = _synthetic(400)
    temp = cal.nll(cb.fit_calibrator("temperature", z, y).probs(z), y)
    vector = cal.nll(cb.fit_vector_scaling(z, y, reg=0.0).probs(z), y)
    matrix = cal.nll(cb.fit_matrix_scaling(z, y, reg=0.0).probs(z), y)
    assert matrix <= vector + 1e-6 <= temp + 2e-6, (temp, vector, matrix)
    assert matrix < temp - 1e-3, (temp, matrix)  # the labels came from a full matrix A


def test_a_larger_penalty_keeps_matrix_scaling_nearer_the_identity():
    z, y = _synthetic(100)
    weak, strong = cb.fit_matrix_scaling(z, y, reg=1e-4), cb.fit_matrix_scaling(z, y, reg=10.0)
    distance = [np.sum((f.weight - np.eye(4)) ** 2) + np.sum(f.b**2) for f in (weak, strong)]
    assert distance[1] < distance[0], distance


@pytest.mark.parametrize("name", list(cb.CALIBRATORS))
def test_every_calibrator_returns_probability_rows(name):
    z, y = _synthetic(200)
    z_test, _ = _synthetic(100, seed=2)
    probs = cb.fit_calibrator(name, z, y, n_bins=10).probs(z_test)
    assert probs.shape == (100, 4)
    assert np.all(probs >= 0) and np.allclose(probs.sum(axis=1), 1.0)


def test_fit_calibrator_rejects_unknown_names():
    z, y = _synthetic(50)
    with pytest.raises(ValueError, match=r"Calibrator must be one of .* Got 'beta'\."):
        cb.fit_calibrator("beta", z, y)


# --- the shoot-out ------------------------------------------------------------------------------


def test_calibration_subset_is_stratified_seeded_and_checked():
    y = np.repeat(np.arange(4), [40, 30, 20, 10])
    idx = so.calibration_subset(y, 4, 50, seed=3)
    # Proportional shares of 50: 20, 15, 10, 5.
    assert np.bincount(y[idx], minlength=4).tolist() == [20, 15, 10, 5]
    assert np.array_equal(idx, so.calibration_subset(y, 4, 50, seed=3))
    assert not np.array_equal(idx, so.calibration_subset(y, 4, 50, seed=4))
    with pytest.raises(ValueError, match=r"at most the 100 validation points\. Got 101\."):
        so.calibration_subset(y, 4, 101)
    with pytest.raises(ValueError, match=r"at least 2·K = 8 \(two points per class\)\. Got 7\."):
        so.calibration_subset(y, 4, 7)


def test_shootout_rows_are_the_metrics_of_each_calibrator():
    z, y = _synthetic(300)
    z_test, y_test = _synthetic(400, seed=5)
    result = so.shootout(z, y, z_test, y_test, cal_size=120, n_bins=10, seed=1)
    idx = so.calibration_subset(y, 4, 120, seed=1)
    assert result.cal_size == 120 and [r.name for r in result.rows] == list(cb.CALIBRATORS)
    for row in result.rows:
        probs = cb.fit_calibrator(row.name, z[idx], y[idx], n_bins=10).probs(z_test)
        assert row.ece == pytest.approx(cal.expected_calibration_error(probs, y_test, 10))
        assert row.accuracy == pytest.approx(np.mean(probs.argmax(1) == y_test))
        assert row.changed == pytest.approx(np.mean(probs.argmax(1) != z_test.argmax(1)))
        assert row.brier == pytest.approx(np.mean(np.sum(
            (probs - np.eye(4)[y_test]) ** 2, axis=1)))
    temp = result.row("temperature")
    probs = cb.fit_calibrator("temperature", z[idx], y[idx]).probs(z_test)
    assert temp.nll == pytest.approx(log_loss(y_test, probs, labels=range(4)))
    assert temp.changed == 0.0
    assert result.uncalibrated.ece == pytest.approx(
        cal.expected_calibration_error(cal.softmax(z_test), y_test, 10))


def test_size_curve_ends_with_the_whole_set_and_drops_sizes_it_cannot_use():
    z, y = _synthetic(150)
    z_test, y_test = _synthetic(200, seed=5)
    curve = so.size_curve(z, y, z_test, y_test, sizes=(5, 20, 60, 500), names=("temperature",),
                          repeats=2)
    assert curve.sizes.tolist() == [20, 60, 150]  # 5 < 2·K, 500 > n
    whole = so.shootout(z, y, z_test, y_test, names=("temperature",))
    assert curve.ece["temperature"][-1] == pytest.approx(whole.rows[0].ece)
    one = [so.shootout(z, y, z_test, y_test, cal_size=20, names=("temperature",), seed=s)
           for s in (0, 1)]
    assert curve.nll["temperature"][0] == pytest.approx(np.mean([r.rows[0].nll for r in one]))


# --- science: the page's default preset -------------------------------------------------------


@pytest.mark.science
def test_default_preset_calibrators_help_and_some_overfit_few_points():
    from labcore.experiments.calibration import methods, report
    from labcore.experiments.calibration.run import run_calibration

    run = run_calibration(report.PRESETS[methods.SHOWCASE_PRESET])
    view = methods.calibrator_view(run, "plain")
    raw, temp = view.shootout.uncalibrated, view.shootout.row("temperature")
    assert temp.ece < 0.7 * raw.ece, f"raw ECE {raw.ece:.4f}, temperature {temp.ece:.4f}"
    assert not methods.shootout_caption(view).startswith("Notice: no calibrator")
    curve = methods.size_view(run, "plain")
    gaps = {n: curve.nll[n][0] - curve.fit_nll[n][0] for n in curve.names}
    assert max(gaps.values()) > 0.3, f"test − calibration NLL at 20 points: {gaps}"
    assert "overfits most" in methods.size_caption(curve)
