"""Claims that hold wherever a student pokes (issue #22, items 1 and 3).

A student drags points in anywhere on the Regression chart — at the edge, beyond the data,
inside a gap — at any noise level and size. Every run here checks the page's sentences against
quantities computed afresh from the result's arrays (never from the summary rows the captions
are built from), and the learned aleatoric σ against the true σ, which generated data know.

The property tests draw their examples with hypothesis (derandomized: the same examples in
every run, so CI is stable). ``LAB_POKING_EXAMPLES=200`` runs a longer sweep of the same
properties.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labcore.experiments.regression import drag_report, report
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression

SEEDS = range(5)
EXAMPLES = int(os.environ.get("LAB_POKING_EXAMPLES", "10"))
FACTOR = 2.0
"""How far the learned aleatoric σ may be from the true σ (mean over the data range, either way)
before the σ(x) caption must say why. A settled Gaussian NLL estimates σ² from the squared
misses of the points around x: with k points its σ has a relative standard error of about
1/√(2k) (16 % for k = 20), and a fit that bends towards its points shrinks the misses by its
own degrees of freedom; a factor 2 is far outside both for the sizes here, while a network that
stopped before learning the noise (7–11× on item 1's drag before the fix) or calls its own
misfit noise lies beyond it."""


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


# --- independent readings of a run --------------------------------------------------------------


def grid_mask(x_grid: np.ndarray, x0: float, x1: float) -> np.ndarray:
    """Grid points in [x0, x1], or the one nearest its middle when none lies inside."""
    mask = (x_grid >= x0) & (x_grid <= x1)
    if not mask.any():
        mask = np.zeros_like(mask)
        mask[np.argmin(np.abs(x_grid - (x0 + x1) / 2))] = True
    return mask


def sigma_over_misses(result, x0: float = -math.inf, x1: float = math.inf) -> float:
    """√(mean σ²) / √(mean (y − μ)²) over the training points in [x0, x1], σ and μ read from
    the grid: near 1 once a Gaussian NLL has learned the noise."""
    inside = (result.x_train >= x0) & (result.x_train <= x1)
    x, y = result.x_train[inside], result.y_train[inside]
    if x.size == 0:
        return math.nan
    misses = np.sqrt(np.mean((y - np.interp(x, result.x_grid, result.pred_mean)) ** 2))
    sigma = np.sqrt(np.mean(np.interp(x, result.x_grid, result.aleatoric_std) ** 2))
    return float(sigma / misses)


def among_the_points(result) -> np.ndarray:
    """Grid points in the data's range (its x range, widened over dragged regions) but not in
    the gap: where the page compares the learned σ with the truth."""
    x = result.x_grid
    inside = (x >= result.data_range[0]) & (x <= result.data_range[1])
    if result.gap is not None:
        inside &= ~((x > result.gap[0]) & (x < result.gap[1]))
    return inside


def aleatoric_over_truth(result) -> float:
    """Mean learned aleatoric σ among the points over the mean true σ there."""
    inside = among_the_points(result)
    return float(np.mean(result.aleatoric_std[inside]) / np.mean(result.true_std[inside]))


def misses_over_noise(result) -> float:
    """√(mean (y − μ)²) over √(mean σ_true²) at the training points: below 1 the curve chases
    the points' noise, above 1 it misses f(x) itself."""
    x = result.x_train
    misses = np.sqrt(np.mean((result.y_train - np.interp(x, result.x_grid,
                                                           result.pred_mean)) ** 2))
    return float(misses / np.sqrt(np.mean(np.interp(x, result.x_grid, result.true_std) ** 2)))


def check_drag_notice(before, after, add_regions: str, text: str) -> None:
    """Every claim of the drag caption against the arrays of the two runs."""
    parsed = [(float(a), float(b), int(n)) for a, b, n in
              (item.split(":") for item in add_regions.split(","))]
    e0, e1, a0, a1, truth, empty, unsettled = [], [], [], [], [], [], []
    for x0, x1, _ in parsed:
        mask = grid_mask(after.x_grid, x0, x1)
        e0.append(np.mean(before.epistemic_std[mask]))
        e1.append(np.mean(after.epistemic_std[mask]))
        a0.append(np.mean(before.aleatoric_std[mask]))
        a1.append(np.mean(after.aleatoric_std[mask]))
        truth.append(np.mean(after.true_std[mask]))
        empty.append(not np.any((before.x_train >= x0) & (before.x_train <= x1)))
        points = np.count_nonzero((after.x_train >= x0) & (after.x_train <= x1))
        # σ over the misses of at least 10 points (fewer judge too roughly: see regions)
        unsettled.append(points >= 10 and sigma_over_misses(after, x0, x1) > 2.0)
    e0, e1, a0, a1, truth = map(np.asarray, (e0, e1, a0, a1, truth))
    for b, a in zip(e0, e1, strict=True):  # each region's numbers, as printed
        assert f"{b:.3g} → {a:.3g}" in text, (b, a, text)
    narrowed, widened = e1 < 0.8 * e0, e1 > e0 / 0.8
    flat = ~narrowed & ~widened
    assert ("epistemic band narrowed where you added points" in text) == narrowed.any(), text
    assert ("epistemic band widened in" in text) == widened.any(), text
    assert ("did not clearly narrow" in text) == flat.any(), text
    assert ("already thin" in text) == bool(np.any(flat & (e0 < 0.3 * a0))), text
    assert (drag_report.NARROW_PRESET in text) == (not narrowed.any()), text
    steady = bool(np.all(np.abs(a1 - a0) <= 0.2 * a0))
    assert ("stayed within 20%" in text) == steady, text
    closer = np.abs(a1 - truth) < np.abs(a0 - truth)
    assert ("closer to the true noise — more points" in text) == (not steady and closer.all())
    assert ("no closer to the true noise" in text) == (not steady and not closer.any())
    assert ("carried over from the nearest data" in text) == (not steady and any(empty))
    assert ("not finished learning the noise there" in text) == any(unsettled), text


def check_sigma_notice(result, config: RegressionConfig, text: str) -> None:
    """The σ(x) caption: within FACTOR of the truth, or it names the larger of the two factors
    σ/misses and misses/noise, and what it says about it holds."""
    ratio, settle, spread = (aleatoric_over_truth(result), sigma_over_misses(result),
                             misses_over_noise(result))
    unsettled = settle > 2.0 and result.x_train.size >= 10
    steps = unsettled or (ratio > FACTOR and settle >= spread) or (
        ratio < 1 / FACTOR and spread > settle)
    misfit = not unsettled and ratio > FACTOR and settle < spread
    chase = not unsettled and ratio < 1 / FACTOR and spread <= settle
    assert ("have not finished learning the noise" in text) == steps, (ratio, settle, text)
    assert ("call their own misfit noise" in text) == misfit, (ratio, settle, spread, text)
    assert ("fit part of the noise itself" in text) == chase, (ratio, settle, spread, text)
    if misfit:
        assert spread > 1, text  # the misses exceed the noise: the curve misses f(x)
    if chase:
        assert spread < 1, text  # the misses fall short of the noise: the curve chases it


# --- item 1: a drag beyond the data on the default ----------------------------------------------

BEYOND = "-5.61:-4.4:20"


@pytest.mark.science
def test_dragging_points_in_beyond_the_data_keeps_the_noise_at_the_truth_on_the_default():
    # Before the fix the learned σ among the points was 7.5, 7.7, 8.1, 3.8 and 10.9 times the
    # true σ = 3 (seeds 0–4), 3.3–6.9 times the spread of the points' own misses (training
    # stopped mid-spike), and the caption called that "measuring the noise better". Now 0.94,
    # 1.64, 1.11, 0.93, 0.88 times the truth and 1.16, 1.97, 1.40, 1.36, 1.23 times the misses
    # (three members of seed 1 are handed back their weights from steps 200–300 by the
    # validation points). Bounds: FACTOR either way, and σ at most 2.5 times the misses.
    for seed in SEEDS:
        config = RegressionConfig(seed=seed)
        before, after = run_regression(config), run_regression(config.replace(add_regions=BEYOND))
        ratio = aleatoric_over_truth(after)
        assert 1 / FACTOR <= ratio <= FACTOR, f"seed {seed}: σ / true σ = {ratio:.2f}"
        assert sigma_over_misses(after) <= 2.5, f"seed {seed}: {sigma_over_misses(after):.2f}"
        rows = drag_report.region_summary(before, after, BEYOND)
        check_drag_notice(before, after, BEYOND, drag_report.drag_notice(rows, 5))
        check_sigma_notice(after, config, report.sigma_notice(after, config))


# --- item 3: only the epistemic band shrinks in the gap -----------------------------------------


@pytest.mark.science
def test_filling_the_gap_shrinks_the_epistemic_band_and_leaves_the_aleatoric_at_the_noise():
    # "S3 · A gap in the data" → "S3 · Add points inside the gap", seeds 0–4, means over the
    # gap. Before the fix the aleatoric σ moved 0.260 → 0.204, 0.326 → 0.265, 0.064 → 0.266,
    # 0.189 → 0.235, 0.173 → 0.262 (its "before" was the variance head extrapolated into the
    # empty gap). Now, with AVX-512 kernels: aleatoric 0.250 → 0.269, 0.316 → 0.296,
    # 0.287 → 0.278, 0.282 → 0.248, 0.299 → 0.287 (true 0.3), epistemic 0.222 → 0.042,
    # 0.093 → 0.024, 0.207 → 0.019, 0.254 → 0.036, 0.276 → 0.028; with AVX2 kernels the
    # aleatoric moves 0.001–0.034 and the epistemic falls to 0.09–0.19 of itself. Bounds: the
    # epistemic band at most half of what it was, the aleatoric σ moved by at most a fifth of
    # the true noise, and within 25 % of the truth before and after. (A bound on the aleatoric
    # change as a share of the epistemic one, 0.25, failed where the gap's epistemic band was
    # thin to begin with: seed 1 above, 0.020 against 0.25 × 0.069.)
    for seed in SEEDS:
        before = run_regression(report.PRESETS["S3 · A gap in the data"].replace(seed=seed))
        after = run_regression(
            report.PRESETS["S3 · Add points inside the gap"].replace(seed=seed))
        gap = (before.x_grid > before.gap[0]) & (before.x_grid < before.gap[1])
        e0, e1 = before.epistemic_std[gap].mean(), after.epistemic_std[gap].mean()
        a0, a1 = before.aleatoric_std[gap].mean(), after.aleatoric_std[gap].mean()
        truth = before.true_std[gap].mean()
        seen = f"seed {seed}: epistemic {e0:.3f} → {e1:.3f}, aleatoric {a0:.3f} → {a1:.3f}"
        assert e1 <= 0.5 * e0 and abs(a1 - a0) <= 0.2 * truth, seen
        assert abs(a0 - truth) <= 0.25 * truth and abs(a1 - truth) <= 0.25 * truth, seen


# --- properties: drags anywhere, any noise, any size --------------------------------------------


@st.composite
def drags(draw) -> str:
    """One or two regions anywhere on the chart's x range [−6, 6], 5–50 points each."""
    out = []
    for _ in range(draw(st.integers(1, 2))):
        x0 = draw(st.integers(-600, 580)) / 100
        width = draw(st.integers(10, 300)) / 100
        out.append(f"{x0:g}:{min(6.0, round(x0 + width, 2)):g}:{draw(st.integers(5, 50))}")
    return ",".join(out)


POKES = dict(
    function=st.sampled_from(["cubic", "sine", "linear", "step"]),
    noise_scale=st.integers(1, 30).map(lambda k: k / 10),
    n_points=st.integers(1, 40).map(lambda k: 5 * k),  # 5 … 200 (the page allows 2,000)
    seed=st.integers(0, 9999),
    add_regions=drags(),
)
POKE_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.science
@POKE_SETTINGS
@given(**POKES)
def test_wherever_points_are_dragged_the_captions_read_the_runs_numbers(
        function, noise_scale, n_points, seed, add_regions):
    config = RegressionConfig(function=function, noise_scale=noise_scale, n_points=n_points,
                              seed=seed)
    before, after = run_regression(config), run_regression(
        config.replace(add_regions=add_regions))
    rows = drag_report.region_summary(before, after, add_regions)
    check_drag_notice(before, after, add_regions, drag_report.drag_notice(rows, 5))
    edited = config.replace(add_regions=add_regions)
    check_sigma_notice(after, edited, report.sigma_notice(after, edited))


@pytest.mark.science
@POKE_SETTINGS
@given(function=POKES["function"], noise_scale=st.integers(5, 30).map(lambda k: k / 10),
       n_points=st.integers(20, 40).map(lambda k: 5 * k), seed=POKES["seed"],
       add_regions=drags())
def test_with_enough_points_the_learned_noise_stays_near_the_truth_wherever_they_are_dragged(
        function, noise_scale, n_points, seed, add_regions):
    # With 100–200 generated points and noise at least half the function's natural level the
    # networks settle and measure the noise: the mean σ among the points within 1.5× the truth
    # either way and no warning on the page. A fit that bends towards its n points shrinks
    # their misses to about σ·√(1 − p/n) for p effective parameters; these networks reach
    # p ≈ 30 (σ at 0.66 of the truth with 55 points: cubic, noise 0.5, seed 831), so at
    # n ≥ 100 that is ≥ 0.84, and k ≥ 100 points estimate σ to ±7 % (1/√(2k)).
    config = RegressionConfig(function=function, noise_scale=noise_scale, n_points=n_points,
                              seed=seed, add_regions=add_regions)
    result = run_regression(config)
    ratio = aleatoric_over_truth(result)
    assert 1 / 1.5 <= ratio <= 1.5, f"σ / true σ = {ratio:.2f}"
    assert sigma_over_misses(result) <= 2.0
    text = report.sigma_notice(result, config)
    assert "finished learning" not in text and "misfit" not in text, text
