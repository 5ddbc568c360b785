"""β-NLL against plain Gaussian NLL: the preset that shows the pitfall, and its caption.

Seitzer et al. 2022: NLL divides each squared miss by σ², so where the network calls the data
noisy the mean barely learns; it can explain its own misfit as noise and stop there. β-NLL
weights each point's NLL by stopgrad(σ²)^β, and β = 1 gives the mean MSE's gradient.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from labcore.experiments.regression import compare, report
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression

TINY = RegressionConfig(function="sine", n_points=20, steps=100, method="none", hidden=16)


@pytest.fixture(scope="module")
def tiny():
    """A cheap run whose arrays the hand-made cases below overwrite."""
    torch.set_num_threads(1)
    return run_regression(TINY)


def _with(base, mean, std, rmse=1.0):
    return dataclasses.replace(base, pred_mean=mean, aleatoric_std=std,
                               metrics={**base.metrics, "rmse": rmse})


def test_the_summary_averages_the_worst_tenth_of_plain_nlls_misses(tiny) -> None:
    x = tiny.x_grid
    truth = dataclasses.replace(tiny, true_mean=np.zeros_like(x), true_std=np.full(x.shape, 0.2))
    bad = (x >= 1) & (x <= 2)  # 1/8 of the data range [−4, 4]: more than its worst tenth
    nll = _with(truth, np.where(bad, 1.0, 0.0), np.where(bad, 5.0, 0.1))
    beta = _with(truth, np.full(x.shape, 0.25), np.full(x.shape, 0.3))
    m = compare.mean_fit_summary(nll, beta)
    assert m == pytest.approx({"nll_miss": 1.0, "beta_miss": 0.25, "nll_std": 5.0,
                               "beta_std": 0.3, "true_std": 0.2})


def test_the_summary_is_nan_when_the_truth_is_unknown(tiny) -> None:
    unknown = dataclasses.replace(tiny, true_mean=None, true_std=None)
    assert all(math.isnan(v) for v in compare.mean_fit_summary(unknown, unknown).values())


@pytest.mark.parametrize(("e_nll", "e_beta", "words"), [
    (1.2, 1.0, "plain NLL's is 1.2× β-NLL (β = 1)'s"),  # 1.2 ≥ 1.15: shown
    (1.1, 1.0, "about as well as β-NLL (β = 1) here (within 15%)"),
    (1.0, 1.2, "β-NLL (β = 1) fits the mean worse than plain NLL here"),
])
def test_the_caption_claims_a_better_mean_only_at_a_clear_margin(tiny, e_nll, e_beta, words):
    config = report.PRESETS[report.BETA_NLL_PRESET]
    names = list(compare.loss_comparison(config))
    x = tiny.x_grid
    runs = dict(zip(names, [_with(tiny, tiny.pred_mean, np.full(x.shape, 0.3), 1.0),
                            _with(tiny, tiny.pred_mean, tiny.aleatoric_std, e_nll),
                            _with(tiny, tiny.pred_mean, tiny.aleatoric_std, e_beta)],
                    strict=True))
    notice = compare.loss_comparison_notice(runs)
    assert words in notice, notice
    shown = e_nll >= compare.CLEARLY_BETTER * e_beta
    assert ("fits the mean less" in notice) == shown
    assert (f'"{report.BETA_NLL_PRESET}" shows it' in notice) == (not shown)


@pytest.mark.science
def test_beta_nll_fits_the_mean_that_plain_nll_calls_noise_at_its_preset() -> None:
    """On the preset itself, seeds 0–4: β-NLL's test RMSE below plain NLL's by the caption's
    margin, and plain NLL's worst misses sit where it claims a σ far above the true one.

    Measured on the quiet step (training that ends settled): RMSE ratio 1.70, 1.21, 1.81, 1.53,
    1.29; plain NLL's σ where it misses worst 18.5, 17.9, 25.8, 32.7, 13.0× the true σ; β-NLL's
    miss there 0.22–0.59 of plain NLL's. (The former sine preset measured RMSE ratios 2.8–6.4
    while training ended mid-spike; settled, plain NLL fit that sine as well as β-NLL on three
    seeds of five.) On an AVX-512 Xeon: ratios 2.20, 1.13, 1.83, 1.50, 1.30 (AVX2 kernels
    there: 1.68, 1.15, 1.91, 1.50, 1.30), σ 9.7–49× the truth, β-NLL's miss 0.14–0.71 of plain
    NLL's: seed 1 sits at the caption's threshold, and the caption then says "about as well".
    Bounds: the ratio ≥ CLEARLY_BETTER (the caption claims the better mean) at the preset's own
    seed 0 and on at least 4 of the 5 seeds, mean ≥ 1.3; σ ≥ 5× the truth on every seed; where
    the caption claims the better mean, β-NLL's miss ≤ 0.75 of plain NLL's."""
    torch.set_num_threads(1)
    config = report.PRESETS[report.BETA_NLL_PRESET]
    assert config.loss == "beta_nll" and config.beta in (0.5, 1.0)
    names = list(compare.loss_comparison(config))
    ratios, seen = [], []
    for seed in range(5):
        variants = compare.loss_comparison(config.replace(seed=seed))  # what the view trains
        nll, beta = (run_regression(variants[name]) for name in names[1:])
        e_nll, e_beta = nll.metrics["rmse"], beta.metrics["rmse"]
        m = compare.mean_fit_summary(nll, beta)
        ratios.append(e_nll / e_beta)
        seen.append(f"seed {seed}: RMSE {e_nll:.3f} (NLL) vs {e_beta:.3f} (β-NLL), worst tenth: "
                    f"miss {m['nll_miss']:.3f} vs {m['beta_miss']:.3f}, NLL σ "
                    f"{m['nll_std']:.3f} vs true {m['true_std']:.3f}")
        assert m["nll_std"] >= 5 * m["true_std"], seen[-1]
        if ratios[-1] >= compare.CLEARLY_BETTER:
            assert m["beta_miss"] <= 0.75 * m["nll_miss"], seen[-1]
        if seed == 0:
            assert ratios[-1] >= compare.CLEARLY_BETTER, seen[-1]
            mse = run_regression(variants[names[0]])
            notice = compare.loss_comparison_notice(dict(zip(names, (mse, nll, beta),
                                                            strict=True)))
            assert f"plain NLL's is {e_nll / e_beta:.1f}×" in notice, notice
            assert "it calls its own miss noise" in notice, notice
    assert sum(r >= compare.CLEARLY_BETTER for r in ratios) >= 4, "\n".join(seen)
    assert float(np.mean(ratios)) >= 1.3, "\n".join(seen)
