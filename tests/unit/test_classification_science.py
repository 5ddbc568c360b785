"""The Classification page's claims at its default and its named presets (issue #13).

Each test trains the page's own configs (``ClassificationConfig()`` and ``report.PRESETS``)
with fixed seeds and checks the claim its caption makes, recomputing the number independently
(numpy for accuracies, ``sklearn.metrics.roc_auc_score`` for AUROCs).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from labcore.experiments.classification import flips, notices, report
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import run_classification
from labcore.experiments.classification.sweep import SWEEP_RUNS, run_noise_sweep

SEEDS = (0, 1, 2, 3, 4)
SWEEP_SEEDS = SEEDS[:int(os.environ.get("LAB_SWEEP_SEEDS", "1"))]
"""Seeds of the noise-sweep claims: seed 0 (the page's) by default; LAB_SWEEP_SEEDS=5 checks
seeds 0–4 (each sweep trains 27 networks: about 8 s of CPU, 40 s for the five here)."""


@pytest.fixture(scope="module")
def default_runs():
    """The page's default (the lecture's TTA table) at seeds 0–4."""
    return [run_classification(ClassificationConfig(seed=s)) for s in SEEDS]


def _accuracies(result) -> tuple[float, float]:
    """Test accuracy of view 0 and of the mean softmax over all views, recomputed with numpy."""
    views = result.test.view_probs
    return (float(np.mean(views[0].argmax(axis=1) == result.y_test)),
            float(np.mean(views.mean(axis=0).argmax(axis=1) == result.y_test)))


def _tta_gains(runs, config: ClassificationConfig) -> list[float]:
    """TTA's accuracy gain of each run, recomputed with numpy; checks that the caption says
    "raises" with the run's own numbers."""
    gains = []
    for r in runs:
        before, after = _accuracies(r)
        assert before == pytest.approx(r.metrics["accuracy"])
        assert after == pytest.approx(r.metrics["tta_accuracy"])
        gains.append(after - before)
        notice = report.tta_notice(r, config)
        assert "raises test accuracy" in notice and f"{before:.1%} to {after:.1%}" in notice
    return gains


@pytest.mark.science
def test_tta_helps_at_its_preset():
    # The preset's own network (256 units, batches of 1024). Measured on seeds 0-4: view 0
    # 0.759 0.716 0.699 0.727 0.725; gains +6.5 +3.0 +5.4 +2.4 +5.6 points (seeds 0-39: +3.9 on
    # average, one seed of 40 below the caption's half point). Bounds: every seed gains at
    # least 1.5 points (3 x TTA_MARGIN), the mean at least 3.
    config = report.PRESETS[report.TTA_HELPS]
    gains = _tta_gains([run_classification(config.replace(seed=s)) for s in SEEDS], config)
    assert min(gains) >= 3 * report.TTA_MARGIN, f"TTA gains {np.round(100 * np.array(gains), 2)}"
    assert np.mean(gains) >= 0.03, f"mean TTA gain {100 * np.mean(gains):+.2f} points"


@pytest.mark.science
def test_tta_helps_at_the_default(default_runs):
    # Measured over seeds 0-4: view 0 0.787 0.744 0.738 0.703 0.781, with TTA (V = 32)
    # 0.803 0.768 0.766 0.746 0.827: gain +3.2 points on average, +1.7 at the worst seed.
    # Bounds: mean gain >= 1.5 points, every seed at least the half point (TTA_MARGIN) from
    # which the caption says "raises". On seeds 5-29 the default's gain falls under that half
    # point on 9 seeds (the caption then says "changes little" and names the preset above).
    gains = _tta_gains(default_runs, ClassificationConfig())
    assert np.mean(gains) >= 0.015, f"mean TTA gain {100 * np.mean(gains):+.2f} points"
    assert min(gains) >= report.TTA_MARGIN, f"TTA gains {np.round(100 * np.array(gains), 2)}"


@pytest.mark.science
def test_tta_hurts_with_strong_views_the_model_never_saw():
    # Seed 0: no augmented copies in training, views of strength 1.5. Measured view 0 0.740,
    # TTA 0.414 (−32.6 points; seeds 1, 2: −34.2, −40.1). Bound: at least 5 points lost.
    config = report.PRESETS[report.TTA_HURTS]
    assert config.train_copies == 0 and config.aug_strength >= report.STRONG_VIEWS
    r = run_classification(config)
    before, after = _accuracies(r)
    assert after <= before - 0.05, f"view 0 {before:.3f}, TTA {after:.3f}"
    notice = report.tta_notice(r, config)
    assert notice.startswith("Notice: here TTA hurts") and "never saw augmented views" in notice
    assert f"{before:.1%} to {after:.1%}" in notice and report.TTA_HELPS in notice


@pytest.mark.science
def test_uanll_certainty_flags_flipped_labels_at_its_preset():
    # 30 % symmetric noise, no augmented copies, 1500 steps. AUROC of certainty for kept
    # (positive) vs flipped training labels, seeds 0–4: measured 0.880, 0.889, 0.889, 0.912,
    # 0.841 (seeds 5–9: 0.868–0.917) at learning rate 0.003; on a second machine seed 1 gave
    # 0.711 there, and at the preset's 0.001 0.896, 0.884, 0.904, 0.853, 0.896 (seeds 5–9:
    # 0.872–0.903). At 40 % noise (the preset before) 0.880, 0.860, 0.880,
    # 0.795, 0.823: seed 3 fell below the caption's 0.8. Bound: ≥ 0.82 on every seed, checked
    # against scikit-learn's AUROC; the caption says "flags them" with the seed's own number.
    config = report.PRESETS[report.CERTAINTY_FLAGS]
    aucs = []
    for seed in SEEDS:
        r = run_classification(config.replace(seed=seed))
        independent = roc_auc_score(~r.flipped, r.train.certainty)
        assert independent == pytest.approx(r.metrics["flip_auroc_certainty"], abs=1e-9)
        aucs.append(independent)
        assert flips.certainty_flags(r), f"seed {seed}: certainty AUROC {independent:.3f}"
        notice = flips.flip_notice(r, "certainty")
        assert f"flags them here (AUROC {independent:.3f}" in notice, notice
    assert min(aucs) >= flips.CERTAINTY_FLAGS_AUROC + 0.02, f"AUROCs {np.round(aucs, 3)}"


@pytest.mark.science
def test_the_default_caption_sends_certainty_to_its_preset(default_runs):
    # At the default (asymmetric pairs) certainty cannot tell which image of a swapped pair
    # was flipped: measured AUROC 0.685 at seed 0. The caption says so and names the preset.
    r = default_runs[0]
    auc = roc_auc_score(~r.flipped, r.train.certainty)
    assert auc < flips.CERTAINTY_FLAGS_AUROC, f"certainty AUROC {auc:.3f}"
    notice = flips.flip_notice(r, "given_label")
    assert f"does not flag them here (AUROC {auc:.3f}" in notice
    assert report.CERTAINTY_FLAGS in notice


@pytest.fixture(scope="module")
def default_sweeps():
    """The "Label-noise sweep" view at the page's default, on :data:`SWEEP_SEEDS`."""
    return [run_noise_sweep(ClassificationConfig(seed=s)) for s in SWEEP_SEEDS]


@pytest.mark.science
def test_uanll_holds_up_better_than_cross_entropy_in_the_noise_sweep(default_sweeps):
    # The lecture's Table I: at 40 % asymmetric noise UANLL keeps a higher clean-test accuracy
    # than cross-entropy. With the page's own network (one layer of 512, 400 steps) the sweep
    # measured −2.0, −0.2, −2.6, +2.0, +1.5 points on seeds 0–4; with the sweep's own network
    # (SWEEP_TRAINING, mean of 3 runs) +2.4, +9.9, +10.0, +4.4, +9.6 (seeds 5–9: +5.3 to
    # +10.8); on a second machine +0.9 on seed 0, and with the 4 runs the sweep now makes
    # +5.1, +7.5, +9.7, +3.7, +14.2. Bounds: every seed ≥ UANLL_LEAD (1 point), which the
    # caption needs to say "holds up better", and over seeds 0–4 the mean ≥ 4 points.
    leads = np.array([sweep.test_accuracy[2, -1] - sweep.test_accuracy[0, -1]
                      for sweep in default_sweeps])
    assert leads.min() >= 0.01, f"UANLL − CE at 40 %: {np.round(100 * leads, 1)} points"
    if len(leads) == len(SEEDS):
        assert leads.mean() >= 0.04, f"UANLL − CE at 40 %: {np.round(100 * leads, 1)} points"
    assert notices.UANLL_LEAD <= 0.01  # the caption's bound is no stricter than this test's
    for sweep in default_sweeps:
        assert sweep.losses == ("ce", "brier", "uanll") and sweep.rates[-1] == 0.4
        # Each accuracy is the mean of its runs (numpy over the per-run accuracies).
        assert np.allclose(sweep.test_accuracy, sweep.test_accuracy_runs.mean(axis=2))
        ce, uanll = sweep.test_accuracy[0, -1], sweep.test_accuracy[2, -1]
        notice = notices.noise_sweep_notice(sweep)
        assert (f"UANLL {uanll:.1%}, cross-entropy {ce:.1%} (each the mean of {SWEEP_RUNS} "
                f"runs): {100 * (uanll - ce):+.1f} points for UANLL: UANLL holds up better"
                ) in notice


@pytest.mark.science
def test_uanll_label_aware_score_finds_flipped_labels_better_than_cross_entropy(default_sweeps):
    # AUROC for telling kept (positive) from flipped training labels at 40 % noise, by a score
    # that reads the label: UANLL's weighted residual against cross-entropy's p(given label).
    # Measured (mean of 3 runs) 0.893 vs 0.849, 0.896 vs 0.828, 0.931 vs 0.825, 0.902 vs
    # 0.836, 0.921 vs 0.817 on seeds 0–4. With the page's own network UANLL's p(given label)
    # lost to cross-entropy's on seeds 0 and 2 (0.855 vs 0.882, 0.842 vs 0.859). Bound: ahead
    # by ≥ 0.02 on every seed.
    for seed, sweep in zip(SWEEP_SEEDS, default_sweeps, strict=True):
        uanll = sweep.flip_auroc_weighted_residual[2, -1]
        ce = sweep.flip_auroc_given_label[0, -1]
        assert uanll >= ce + 0.02, f"seed {seed}: UANLL residual {uanll:.3f}, CE {ce:.3f}"
        assert sweep.flip_auroc_given_label[2, -1] > ce, f"seed {seed}"


def test_the_sweep_trains_its_own_network_and_says_which():
    # The sweep's network does not follow the sidebar's, and the caption is built from it.
    from labcore.experiments.classification.sweep import SWEEP_TRAINING

    page = ClassificationConfig(hidden=64, n_layers=1, steps=100, train_copies=0)
    caption = notices.sweep_network_caption(page)
    assert caption == notices.sweep_network_caption(ClassificationConfig())
    assert (f"{SWEEP_TRAINING['n_layers']} hidden layers of {SWEEP_TRAINING['hidden']} units, "
            f"trained for {SWEEP_TRAINING['steps']} Adam steps of "
            f"{SWEEP_TRAINING['batch_size']} inputs") in caption
    assert f"each trained {SWEEP_RUNS} times" in caption
