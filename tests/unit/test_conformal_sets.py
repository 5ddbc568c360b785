"""Split-conformal prediction sets: q̂, LAC/APS/RAPS scores, sets, coverage guarantees.

mapie is not installed here, so expected values are derived by hand in the assertion, or are
what the theory guarantees: over random exchangeable splits the mean coverage of continuous
scores is exactly ⌈(n + 1)(1 − α)⌉ / (n + 1), between 1 − α and 1 − α + 1/(n + 1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labcore.calibration import conformal_sets as cs


def test_quantile_is_the_ceil_n_plus_one_rank_by_hand():
    scores = [0.1, 0.5, 0.2, 0.4, 0.3]
    # n = 5: α = 0.2 → ⌈6 · 0.8⌉ = 5th smallest = 0.5; α = 0.5 → ⌈3⌉ = 3rd smallest = 0.3.
    assert cs.conformal_quantile(scores, 0.2) == 0.5
    assert cs.conformal_quantile(scores, 0.5) == 0.3
    # α = 0.1 with n = 9: (n + 1)(1 − α) = 9 exactly (float: 9.000000000000002) → 9th = max.
    assert cs.conformal_quantile(np.arange(9.0), 0.1) == 8.0


def test_too_few_calibration_points_says_how_many_are_needed():
    # α = 0.1: n ≥ 1/α − 1 = 9. With 8 points ⌈9 · 0.9⌉ = 9 > 8.
    with pytest.raises(ValueError, match=r"needs at least 9 calibration points for α = 0\.1 .*"
                       r"Got 8\."):
        cs.conformal_quantile(np.arange(8.0), 0.1)
    with pytest.raises(ValueError, match=r"alpha must be a number strictly between 0 and 1\. "
                       r"Got 1\.5\."):
        cs.conformal_quantile(np.arange(8.0), 1.5)


@pytest.mark.parametrize("alpha", [0.5, 0.3, 0.2, 0.1, 0.07, 0.05, 0.02, 0.01])
def test_min_calibration_points_is_the_smallest_n_that_works(alpha):
    n = cs.min_calibration_points(alpha)
    assert n == math.ceil(round(1 / alpha - 1, 9))  # n ≥ 1/α − 1
    cs.conformal_quantile(np.arange(float(n)), alpha)  # n points work
    if n > 1:
        with pytest.raises(ValueError, match=f"needs at least {n} calibration points"):
            cs.conformal_quantile(np.arange(float(n - 1)), alpha)


def test_aps_and_raps_scores_by_hand():
    p = np.array([[0.2, 0.5, 0.3]])  # ranks: class 1, class 2, class 0
    # Non-randomised APS: mass down to and including the class.
    np.testing.assert_allclose(cs.class_scores(p, "aps"), [[1.0, 0.5, 0.8]])
    # Randomised with U = 0.25: mass above + U · p_k.
    np.testing.assert_allclose(cs.class_scores(p, "aps", u=np.array([0.25])),
                               [[0.8 + 0.05, 0.125, 0.5 + 0.075]])
    # RAPS, λ = 0.1, k_reg = 1: + 0.1 · (rank − 1)⁺ = +0.2 (class 0), 0 (class 1), +0.1 (class 2).
    np.testing.assert_allclose(cs.class_scores(p, "raps", lam=0.1, k_reg=1),
                               [[1.2, 0.5, 0.9]])
    np.testing.assert_allclose(cs.class_scores(p, "lac"), [[0.8, 0.5, 0.7]])


def _dirichlet_split(rng: np.random.Generator, n_cal: int, n_test: int, k: int = 5):
    """Softmax-like probabilities and labels drawn from a sharpened version of them."""
    p = rng.dirichlet(np.full(k, 0.7), size=n_cal + n_test)
    q = p**2 / np.sum(p**2, axis=1, keepdims=True)  # the model is under-confident
    u = rng.uniform(size=(n_cal + n_test, 1))
    y = np.minimum((np.cumsum(q, axis=1) < u).sum(axis=1), k - 1)
    return p[:n_cal], y[:n_cal], p[n_cal:], y[n_cal:]


def test_lac_sets_are_classes_with_probability_at_least_one_minus_qhat():
    pc, yc, pt, _ = _dirichlet_split(np.random.default_rng(0), 200, 300)
    sets = cs.prediction_sets(pc, yc, pt, alpha=0.1, score="lac")
    assert sets.qhat == pytest.approx(np.sort(1 - pc[np.arange(200), yc])[180])  # ⌈201·.9⌉ = 181
    assert np.array_equal(sets.mask, pt >= 1 - sets.qhat)
    assert np.array_equal(sets.sizes, sets.mask.sum(axis=1))


def test_non_randomised_aps_holds_each_class_whose_score_is_at_most_qhat():
    pc, yc, pt, yt = _dirichlet_split(np.random.default_rng(1), 200, 300)
    sets = cs.prediction_sets(pc, yc, pt, alpha=0.1, score="aps", randomized=False)
    # The class's score is the mass of the classes ranked above it plus its own.
    order = np.argsort(-pt, axis=1, kind="stable")
    for i in range(0, 300, 7):
        ranked = pt[i, order[i]]
        mass = dict(zip(order[i], np.cumsum(ranked), strict=True))
        assert sets.covered(yt)[i] == (mass[yt[i]] <= sets.qhat + 1e-12)
        # The set is a prefix of the ranking: top classes first.
        inside = sets.mask[i, order[i]]
        assert np.all(inside[:-1] >= inside[1:])


def test_raps_without_penalty_is_aps():
    pc, yc, pt, _ = _dirichlet_split(np.random.default_rng(2), 150, 200)
    for randomized in (True, False):
        aps = cs.prediction_sets(pc, yc, pt, alpha=0.2, score="aps", randomized=randomized,
                                 seed=3)
        raps = cs.prediction_sets(pc, yc, pt, alpha=0.2, score="raps", lam=0.0,
                                  randomized=randomized, seed=3)
        assert aps.qhat == raps.qhat and np.array_equal(aps.mask, raps.mask)


def test_a_raps_penalty_shrinks_the_largest_sets():
    pc, yc, pt, _ = _dirichlet_split(np.random.default_rng(4), 300, 500, k=10)
    aps = cs.prediction_sets(pc, yc, pt, alpha=0.1, score="aps", seed=1)
    raps = cs.prediction_sets(pc, yc, pt, alpha=0.1, score="raps", lam=0.5, k_reg=1, seed=1)
    assert raps.sizes.max() < aps.sizes.max(), (aps.sizes.max(), raps.sizes.max())


@pytest.mark.parametrize("score", ["lac", "aps", "raps"])
def test_mean_coverage_over_random_splits_is_the_exact_conformal_rate(score):
    # Exchangeable splits, continuous scores: E[coverage] = ⌈(n+1)(1−α)⌉/(n+1) = 91/101 for
    # n = 100, α = 0.1 — at least 1 − α = 0.9 and at most 1 − α + 1/(n + 1) ≈ 0.9099.
    rng = np.random.default_rng(7)
    n_cal, n_test, alpha = 100, 400, 0.1
    covers = []
    for seed in range(300):
        pc, yc, pt, yt = _dirichlet_split(rng, n_cal, n_test)
        sets = cs.prediction_sets(pc, yc, pt, alpha=alpha, score=score, seed=seed)
        covers.append(sets.coverage(yt))
    mean, se = np.mean(covers), np.std(covers, ddof=1) / math.sqrt(len(covers))
    assert abs(mean - 91 / 101) < 4 * se, f"mean coverage {mean:.4f} ± {se:.4f}, exact 0.9010"
    assert 1 - alpha - 4 * se <= mean <= 1 - alpha + 1 / (n_cal + 1) + 4 * se


def test_coverage_curve_matches_one_set_per_alpha():
    pc, yc, pt, yt = _dirichlet_split(np.random.default_rng(5), 120, 250)
    curve = cs.coverage_curve(pc, yc, pt, yt, alphas=(0.005, 0.05, 0.1, 0.3), seed=2)
    assert curve.alphas.tolist() == [0.05, 0.1, 0.3]  # α = 0.005 needs 199 points
    for name in curve.scores:
        for j, alpha in enumerate(curve.alphas):
            sets = cs.prediction_sets(pc, yc, pt, alpha=alpha, score=name, seed=2)
            assert curve.coverage[name][j] == pytest.approx(sets.coverage(yt))
            assert curve.mean_size[name][j] == pytest.approx(sets.mean_size)
    np.testing.assert_allclose(curve.upper_bound, 1 - curve.alphas + 1 / 121)


def test_bad_inputs_are_refused_with_the_house_message():
    pc, yc, pt, _ = _dirichlet_split(np.random.default_rng(6), 50, 20)
    with pytest.raises(ValueError, match=r"score must be one of .* Got 'thr'\."):
        cs.prediction_sets(pc, yc, pt, alpha=0.1, score="thr")
    with pytest.raises(ValueError, match=r"test_probs must have the 5 classes of cal_probs\. "
                       r"Got 4\."):
        cs.prediction_sets(pc, yc, pt[:, :4] / pt[:, :4].sum(1, keepdims=True), alpha=0.1,
                           score="lac")
    with pytest.raises(ValueError, match=r"cal_probs rows must sum to 1\."):
        cs.prediction_sets(pc * 0.5, yc, pt, alpha=0.1, score="lac")
