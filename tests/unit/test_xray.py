"""The uncertainty X-ray (issue #27): the split at one x, checked against labcore.uncertainty,
a direct computation from the members, the bands the page draws and scipy's normal density."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from labcore.errors import SettingError
from labcore.experiments.regression import RegressionConfig, run_regression
from labcore.experiments.regression.report import PRESETS
from labcore.experiments.regression.xray import DOMINANT, xray, xray_notice, xray_rows
from labcore.plots.xray import xray_figure
from labcore.script import scene_script
from labcore.uncertainty import variance_decomposition


@pytest.fixture(scope="module")
def default_run():
    return run_regression(RegressionConfig())


def _fake(means, variances, grid=(0.0, 1.0), data_range=(0.0, 1.0), gap=None, truth=None):
    means, variances = np.asarray(means, float), np.asarray(variances, float)
    return SimpleNamespace(
        x_grid=np.asarray(grid, float), member_means=means, member_vars=variances,
        true_mean=None if truth is None else np.full(len(grid), truth[0]),
        true_std=None if truth is None else np.full(len(grid), truth[1]),
        data_range=data_range, gap=gap)


def test_the_split_adds_up_and_matches_the_members_by_hand():
    # Members N(1, 4) and N(3, 1) at both grid points: aleatoric (4 + 1)/2 = 2.5, epistemic
    # the variance of {1, 3} = 1, total 3.5; the mixture's mean 2.
    ray = xray(_fake([[1, 1], [3, 3]], [[4, 4], [1, 1]]), 0.3)
    assert (ray.mean, ray.aleatoric_var, ray.epistemic_var, ray.total_var) == (2.0, 2.5, 1.0, 3.5)
    assert ray.epistemic_share == pytest.approx(1 / 3.5)
    assert ray.stds.tolist() == [2.0, 1.0]


def test_between_grid_points_each_member_is_read_on_its_straight_line():
    # Member 0 goes from 0 to 2 and member 1 from 4 to 4 over [0, 1]; at x = 0.25 the means are
    # 0.5 and 4, the variances 1 + 0.25·(3 − 1) = 1.5 and 2.
    ray = xray(_fake([[0, 2], [4, 4]], [[1, 3], [2, 2]]), 0.25)
    assert ray.means.tolist() == [0.5, 4.0]
    assert ray.stds**2 == pytest.approx([1.5, 2.0])
    assert ray.epistemic_var == pytest.approx(np.var([0.5, 4.0]))


@pytest.mark.parametrize("x", [-5.5, -2.0, 0.0, 3.3, 5.9])
def test_on_a_real_run_the_split_is_labcore_uncertainty_and_the_page_bands(default_run, x):
    r = default_run
    ray = xray(r, x)
    means = np.array([np.interp(x, r.x_grid, m) for m in r.member_means])
    variances = np.array([np.interp(x, r.x_grid, v) for v in r.member_vars])
    mean, alea, epi = variance_decomposition(means[:, None], variances[:, None])
    assert ray.mean == pytest.approx(float(mean[0]))
    assert ray.aleatoric_var == pytest.approx(float(alea[0]))
    assert ray.epistemic_var == pytest.approx(float(epi[0]))
    # Directly: mean of σ², population variance of the means.
    assert ray.aleatoric_var == pytest.approx(variances.mean())
    assert ray.epistemic_var == pytest.approx(means.var())
    assert ray.total_var == pytest.approx(ray.aleatoric_var + ray.epistemic_var)


def test_at_a_grid_point_the_split_is_the_band_the_page_draws(default_run):
    r = default_run
    i = int(np.argmin(np.abs(r.x_grid - 1.0)))
    ray = xray(r, float(r.x_grid[i]))
    assert math.sqrt(ray.aleatoric_var) == pytest.approx(r.aleatoric_std[i], rel=1e-6)
    assert math.sqrt(ray.epistemic_var) == pytest.approx(r.epistemic_std[i], rel=1e-6)
    assert math.sqrt(ray.total_var) == pytest.approx(r.total_std[i], rel=1e-6)
    assert ray.true_std == pytest.approx(r.true_std[i])


def test_the_densities_are_scipys_normals_and_the_mixture_integrates_to_one(default_run):
    ray = xray(default_run, -5.0)
    for s in range(len(ray.means)):
        expected = stats.norm.pdf(ray.y, ray.means[s], ray.stds[s])
        assert ray.member_pdfs[s] == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert np.trapezoid(ray.mixture_pdf, ray.y) == pytest.approx(1.0, abs=1e-3)
    assert ray.y[0] <= ray.true_mean - 3 * ray.true_std  # the truth is in view, however far


def test_x_off_the_chart_is_a_setting_to_change(default_run):
    with pytest.raises(SettingError, match=r"between -6 and 6\. Got 7\."):
        xray(default_run, 7.0)
    with pytest.raises(SettingError, match="Got nan"):
        xray(default_run, math.nan)


@pytest.mark.parametrize("means, variances, verdict", [
    ([[0, 0], [4, 4]], [[1, 1], [1, 1]], "disagree"),  # epistemic 4 of 5: 80 %
    ([[0, 0], [1, 1]], [[4, 4], [4, 4]], "agree"),  # epistemic 0.25 of 4.25: 6 %
    ([[0, 0], [2, 2]], [[1, 1], [1, 1]], "Neither part dominates"),  # 1 of 2: 50 %
])
def test_the_notice_says_what_dominates_from_the_numbers(means, variances, verdict):
    ray = xray(_fake(means, variances, truth=(0.0, 1.0)), 0.5)
    text = xray_notice(ray)
    assert verdict in text, text
    share = np.var(np.asarray(means)[:, 0]) / (np.var(np.asarray(means)[:, 0])
                                                + np.mean(np.asarray(variances)[:, 0]))
    if verdict == "disagree":
        assert share >= DOMINANT and f"{share:.0%} of the variance is the model" in text
    elif verdict == "agree":
        assert share <= 1 - DOMINANT and f"{1 - share:.0%} of the variance is the noise" in text
    assert "the true noise is 1" in text and "(among the data)" in text


def test_the_table_rows_add_up(default_run):
    rows = xray_rows(xray(default_run, 4.5))
    alea, epi, total = (float(r["variance (y²)"]) for r in rows)
    assert alea + epi == pytest.approx(total, rel=1e-3)
    assert rows[2]["share"] == "100%"


@pytest.mark.science
def test_in_the_gap_the_members_spread_while_their_sigma_stays():
    # "S3 · A gap in the data" at x = 0 (the gap's middle) against x = −2.5 (among the data):
    # the members' means spread while their own σ stays near the true 0.3. Measured epistemic
    # share of the variance in the gap, seeds 0–4: 0.63, 0.15, 0.60, 0.51, 0.61 with AVX-512
    # kernels and 0.75, 0.64, 0.33, 0.32, 0.67 with AVX2 ones (an earlier machine: 0.81, 0.30,
    # 0.56, 0.45, 0.63), against at most 0.012 among the data; aleatoric σ in the gap within
    # 17 % of the truth. On a seed like 1 with AVX-512 the networks happen to draw nearly the
    # same line across the gap, and the x-ray says so ("the members agree"). Bounds: the share
    # in the gap ≥ 0.25 at the preset's own seed 0 and on at least 4 of the 5 seeds; on every
    # seed ≥ 20 times the share among the data and the aleatoric σ within 40 % of the truth.
    shares = []
    for seed in range(5):
        r = run_regression(PRESETS["S3 · A gap in the data"].replace(seed=seed))
        inside, among = xray(r, 0.0), xray(r, -2.5)
        assert inside.where == "in the gap" and among.where == "among the data"
        assert inside.epistemic_share >= 20 * among.epistemic_share, xray_notice(among)
        assert abs(math.sqrt(inside.aleatoric_var) - inside.true_std) <= 0.4 * inside.true_std
        shares.append(inside.epistemic_share)
    assert shares[0] >= 0.25, shares
    assert sum(share >= 0.25 for share in shares) >= 4, shares


def test_the_figure_draws_every_member_the_mixture_and_the_truth(default_run):
    ray = xray(default_run, -5.0)
    fig = xray_figure(ray)
    names = [t.name for t in fig.data]
    assert sum(t.legendgroup == "members" for t in fig.data) == len(ray.means)
    assert "their mixture: the predictive band" in names and "true distribution of y" in names
    assert fig.layout.title.text == "Uncertainty X-ray at x = -5 (beyond the data)"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_the_script_reproduces_the_xray(default_run):
    then = ["ray = xray(result, -5.0)", "print(ray.total_var)"]
    source = scene_script("regression", RegressionConfig(steps=100), then,
                          ["labcore.experiments.regression.xray:xray"])
    assert "from labcore.experiments.regression.xray import xray\n" in source
    assert source.endswith("ray = xray(result, -5.0)\nprint(ray.total_var)\n")
    compile(source, "regression_scene.py", "exec")
