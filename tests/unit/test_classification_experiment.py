"""The Classification lab's engine: config, training helpers, the run, the report, the sweep."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from labcore.data.classification import make_toy
from labcore.experiments.classification import flips, inspector, report
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import rejection_scores, run_classification
from labcore.experiments.classification.sweep import run_noise_sweep, sweep_config
from labcore.losses import smooth_labels, uanll
from labcore.models.classifier import (
    S_MAX,
    S_MIN,
    ClassifierSpec,
    classifier_loss,
    predict_views,
    train_classifier,
)
from labcore.models.mlp import BatchedMLP
from labcore.uncertainty.selective import accepted_subset, aurc

TOY = ClassificationConfig(dataset="moons", label_noise=0.1, method="ensemble", members=3,
                           steps=200, n_views=4, aug_strength=2.0, train_copies=1)


@pytest.fixture(scope="module")
def toy():
    return run_classification(TOY)


@pytest.fixture(scope="module")
def digits():
    """The default experiment: digits, UANLL, 40 % asymmetric noise, seed 0."""
    return run_classification(ClassificationConfig())


@pytest.fixture(scope="module")
def digits_seeds(digits):
    """The default experiment at seeds 0, 1 and 2."""
    return [digits, *(run_classification(ClassificationConfig(seed=s)) for s in (1, 2))]


# --- config --------------------------------------------------------------------------------


def test_config_limits_use_the_house_message():
    with pytest.raises(ValueError, match=r"Label noise rate \(label_noise\) must be between 0 "
                                         r"and 0\.5\. Got 0\.6\."):
        ClassificationConfig(label_noise=0.6)
    with pytest.raises(ValueError, match=r"Loss \(loss\) must be one of 'uanll', 'ce', 'brier'"):
        ClassificationConfig(loss="hinge")


def test_thresholds_do_not_enter_the_training_config():
    config = ClassificationConfig(t_co=0.2, t_ce=0.3, label_noise=0.1)
    assert config.model_config() == ClassificationConfig(label_noise=0.1)
    spec = ClassificationConfig(method="ensemble", members=4, batch_size=0, train_copies=0).spec()
    assert (spec.members, spec.dropout, spec.batch_size, spec.loss) == (4, 0.0, None, "uanll")
    assert ClassificationConfig(method="mc_dropout", dropout=0.2).spec().dropout == 0.2


# --- training helpers ----------------------------------------------------------------------


def test_recorded_validation_accuracy_is_the_final_models_accuracy():
    # With no early stopping the last evaluation is the final step, so the curve's last point
    # must equal the accuracy of predictions from the returned model (an independent path).
    d = make_toy("moons", seed=0)
    fit = train_classifier(ClassifierSpec(loss="ce", members=2, steps=60, hidden=32),
                           d.x_train, d.y_train, d.x_val, d.y_val, d.n_classes)
    probs = fit.predict(d.x_val).probs
    expected = (probs.argmax(axis=2) == d.y_val[None]).mean(axis=1)
    assert fit.val_accuracy.shape == (len(fit.history.eval_steps), 2)
    assert fit.val_accuracy[-1] == pytest.approx(expected, abs=1e-6)  # recorded in float32


def test_each_member_gets_its_own_loss_and_labels():
    # One full-batch step: the recorded step-1 loss of every member must be the loss of the
    # untrained network under that member's own loss and labels, computed here by hand.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=(4, 40))
    losses = ["uanll", "ce", "brier", "ce"]
    spec = ClassifierSpec(members=4, steps=1, batch_size=None, hidden=8, seed=7)
    fit = train_classifier(spec, x, labels, x, labels[0], 3, member_losses=losses)
    fresh = BatchedMLP(4, 3, 4, hidden=8, seed=7)  # the same initial weights (+ s output)
    with torch.no_grad():
        out = fresh(torch.as_tensor(x))
    expected = [
        float(classifier_loss(out[m : m + 1], smooth_labels(torch.as_tensor(labels[m]), 3),
                              3, loss)[0])
        for m, loss in enumerate(losses)
    ]
    assert fit.history.train_loss[0] == pytest.approx(expected, rel=1e-5)
    assert fit.spec.loss == "uanll"  # so predict returns s for every member


def test_member_losses_must_match_the_members():
    x = np.zeros((10, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"Each of the 2 members needs a loss"):
        train_classifier(ClassifierSpec(members=2, steps=1), x, np.zeros(10, int), x,
                         np.zeros(10, int), 2, member_losses=["ce"])


def test_view_zero_predictions_match_a_plain_predict():
    d = make_toy("moons", seed=0)
    fit = train_classifier(ClassifierSpec(loss="uanll", members=2, steps=30, hidden=16),
                           d.x_train, d.y_train, d.x_val, d.y_val, 2)
    views = np.stack([d.x_test, d.x_test + 0.1]).astype(np.float32)
    scores = predict_views(fit, views)
    plain = fit.predict(d.x_test)
    np.testing.assert_allclose(scores.probs[0], plain.mean_probs, atol=1e-12)
    expected_certainty = (1 / (1 + np.exp(plain.log_var))).mean(axis=0)
    np.testing.assert_allclose(scores.certainty[0], expected_certainty, atol=1e-12)
    assert scores.probs.shape == (2, d.x_test.shape[0], 2)


# --- the run -------------------------------------------------------------------------------


def test_toy_run_shapes_and_bookkeeping(toy):
    n_test = toy.y_test.size
    assert toy.test.view_probs.shape == (4, n_test, 2)
    np.testing.assert_array_equal(toy.test.view_inputs[0], toy.x_test)
    assert toy.n_samples == 3
    assert toy.decision_map.classes.shape == (100, 100)
    assert toy.decision_map.epistemic is not None and toy.decision_map.sigma is not None
    assert toy.metrics["accuracy"] == pytest.approx(np.mean(toy.test.classes == toy.y_test))
    assert toy.metrics["n_flipped"] == toy.flipped.sum() > 0
    assert set(toy.curves) == {"confidence", "certainty", "view_agreement", "members_agree"}
    assert toy.curves["confidence"].coverage[-1] == 1.0
    assert toy.curves["confidence"].accuracy[-1] == pytest.approx(toy.metrics["accuracy"])
    # Entropy decomposition identity, and the view agreement of view 0 with itself counts.
    np.testing.assert_allclose(toy.test.aleatoric + toy.test.epistemic, toy.test.total_entropy,
                               atol=1e-12)
    assert np.all(toy.test.view_agreement >= 1 / 4)


def test_same_config_gives_the_same_result(toy):
    again = run_classification(TOY)
    np.testing.assert_array_equal(again.test.view_probs, toy.test.view_probs)
    np.testing.assert_array_equal(again.decision_map.confidence, toy.decision_map.confidence)
    assert again.metrics == toy.metrics


def test_report_tables_follow_the_thresholds(toy):
    rows = inspector.view_rows(toy, "test", 5, t_co=0.0, t_ce=1.0)
    assert len(rows) == 4 and rows[0]["view"] == "0 (input)"
    assert all(r["co_h"] == 1 and r["ce_h"] == 0 for r in rows)  # co_s ≥ 0, ce_s < 1 always
    finals = inspector.final_rows(toy, "test", 5, t_co=0.0, t_ce=1.0)
    flags_ce = next(r for r in finals if r["aggregation"] == "Votes of views with ce_h = 1")
    assert flags_ce["note"] == "no view passed: mode used"
    with pytest.raises(ValueError, match=r"Sample index must be between 0 and 119\. Got 120\."):
        inspector.check_index(toy, "test", 120)
    flipped = int(np.flatnonzero(toy.flipped)[0])
    facts = inspector.sample_facts(toy, "train", flipped)
    assert facts["Training label"].endswith(f"(flipped from {toy.y_train[flipped]})")


def test_accepted_subsets_match_a_direct_count(toy):
    subsets = report.accepted_subsets(toy, t_co=0.8, t_ce=0.8)
    correct = toy.test.classes == toy.y_test
    keep = toy.test.confidence >= 0.8
    assert subsets["confidence"].n_accepted == keep.sum()
    assert subsets["confidence"].accuracy == pytest.approx(correct[keep].mean())
    both = keep & (toy.test.certainty >= 0.8)
    assert subsets["both"].n_accepted == both.sum()


def test_label_aware_scores_read_the_given_label(toy):
    # p(given label) is the predictive probability at the noisy label; its AUROC (kept labels
    # positive) matches scikit-learn's.
    n = toy.y_train.size
    np.testing.assert_array_equal(toy.given_label_prob,
                                  toy.train.probs[np.arange(n), toy.y_train_noisy])
    expected = roc_auc_score(~toy.flipped, toy.given_label_prob)
    assert toy.metrics["flip_auroc_given_label"] == pytest.approx(expected, abs=1e-12)
    expected = roc_auc_score(~toy.flipped, -toy.label_residual)
    assert toy.metrics["flip_auroc_weighted_residual"] == pytest.approx(expected, abs=1e-12)
    # A flipped sample's given label is the other class of the pair (0 ↔ 1 on a toy).
    assert np.all(toy.y_train_noisy[toy.flipped] != toy.y_train[toy.flipped])


def test_the_residual_of_one_network_is_its_uanll_data_term():
    # UANLL per sample is ½(e^{−s}·Σ(y−h)² + N·s), so the weighted residual is 2·loss − N·s,
    # computed here with the loss itself from the run's h and s (one network, ε = 0.1).
    r = run_classification(TOY.replace(method="none", smoothing=0.1, steps=60))
    h = torch.as_tensor(r.train.probs)
    s = torch.as_tensor(np.log(r.train.sigma**2))
    targets = smooth_labels(torch.as_tensor(r.y_train_noisy), 2, 0.1).double()
    per_sample = uanll(h, s, targets, reduction="none")
    np.testing.assert_allclose(r.label_residual, (2 * per_sample - 2 * s).numpy(), rtol=1e-9)
    assert math.isnan(run_classification(TOY.replace(loss="ce", method="none", steps=60))
                      .metrics["flip_auroc_weighted_residual"])


def test_the_flip_report_says_which_scores_read_the_label(toy):
    rows = flips.flip_rows(toy)
    assert [row["reads the training label?"] for row in rows] == ["yes", "yes", "no", "no"]
    assert list(flips.flip_score_options(toy)) == ["given_label", "confidence", "certainty"]
    assert all(label.endswith(("reads the label", "input only"))
               for label in flips.flip_score_options(toy).values())
    values, axis = flips.flip_score(toy, "certainty")
    np.testing.assert_array_equal(values, toy.train.certainty)
    assert axis == "UANLL certainty 1/(1+σ²)"
    with pytest.raises(ValueError, match=r"score must be one of .* Got 'sigma'\."):
        flips.flip_score(toy, "sigma")
    notice = flips.flip_notice(toy, "given_label")
    assert notice.startswith("Notice: p(given label) reads the training label")
    assert f"AUROC {toy.metrics['flip_auroc_given_label']:.3f}" in notice


def test_the_certainty_floor_is_where_uanll_puts_the_worst_prediction():
    # All of h on a wrong class: Σ(y−h)² = 2. Minimising ½(e^{−s}·2 + N·s) over a fine grid of s
    # must land on s* = log(2/N), whose certainty 1/(1+e^{s*}) is the floor 1/(1+2/N).
    for n in (2, 3, 10):
        h = torch.zeros(1, n, dtype=torch.float64)
        h[0, 1] = 1.0
        y = smooth_labels(torch.tensor([0]), n).double()
        grid = torch.linspace(-6.0, 2.0, 80001, dtype=torch.float64)
        losses = uanll(h.expand(grid.numel(), n), grid, y.expand(grid.numel(), n), "none")
        best = float(grid[losses.argmin()])
        assert best == pytest.approx(math.log(2 / n), abs=1e-3)
        assert 1 / (1 + math.exp(best)) == pytest.approx(report.certainty_floor(n), abs=1e-3)
    # The clamp on s leaves room on both sides of the band.
    assert 1 / (1 + math.exp(S_MIN)) > 0.999 and 1 / (1 + math.exp(S_MAX)) < 0.02


# --- science -------------------------------------------------------------------------------


@pytest.mark.science
def test_uanll_certainty_is_lower_on_flipped_training_labels(digits):
    # Digits, 40 % asymmetric noise (1↔7, 3↔8, 4↔9, 5↔6), UANLL, seed 0. AUROC of certainty
    # for "label kept" vs "label flipped": measured 0.637; chance is 0.5. Tolerance: > 0.58.
    # It gets there by finding the noisy classes (see the next test), not the flipped labels.
    assert digits.metrics["flip_auroc_certainty"] > 0.58
    certainty = digits.train.certainty
    assert certainty[digits.flipped].mean() < certainty[~digits.flipped].mean()


def _auroc_within_noisy_classes(result, score):
    within = np.isin(result.y_train, np.unique(result.y_train[result.flipped]))
    return roc_auc_score(~result.flipped[within], score[within])


@pytest.mark.science
def test_only_scores_that_read_the_label_find_the_flipped_ones(digits_seeds):
    # Default experiment, seeds 0, 1, 2. Certainty and confidence give an input the same
    # value whichever label it carries; inside the swapped classes (1, 7, 3, 8, 4, 9, 5, 6)
    # a flipped label lands on a random image of its class, so they are near chance there.
    # Measured AUROC (kept vs flipped):
    #   all samples:        p(given label) 0.828, 0.870, 0.932; residual 0.840, 0.877, 0.939;
    #                       certainty 0.637, 0.660, 0.709; confidence 0.691, 0.689, 0.719
    #   swapped classes:    p(given label) 0.763, 0.819, 0.906; certainty 0.492, 0.521, 0.590;
    #                       confidence 0.569, 0.563, 0.605
    # (Measured above with the old default of two layers of 128; at today's default, one layer
    # of 512 with 5 augmented copies, the closest seed inside the swapped classes is p(given
    # label) 0.741 against confidence 0.591.)
    # Bounds: label-aware ≥ 0.75 overall and ≥ 0.1 above every input-only score inside the
    # swapped classes, where certainty stays ≤ 0.65 (the issue measured 0.49).
    for r in digits_seeds:
        m = r.metrics
        assert m["flip_auroc_given_label"] >= 0.75 and m["flip_auroc_weighted_residual"] >= 0.75
        given = _auroc_within_noisy_classes(r, r.given_label_prob)
        residual = _auroc_within_noisy_classes(r, -r.label_residual)
        certainty = _auroc_within_noisy_classes(r, r.train.certainty)
        confidence = _auroc_within_noisy_classes(r, r.train.confidence)
        assert certainty <= 0.65
        assert min(given, residual) >= max(certainty, confidence) + 0.1, (given, confidence)


@pytest.mark.science
def test_the_default_certainty_threshold_sits_inside_the_band_and_separates(digits_seeds):
    # With softmax outputs UANLL's certainty lies in [1/(1+2/N), 1) = [0.833, 1) at the
    # optimum. Measured minimum on the test set: 0.893, 0.896, 0.896 (train: 0.872, …).
    # The default t_ce = 0.95 keeps 74 %, 71 %, 69 % of the test predictions, whose accuracy
    # beats the rejected ones' by 12.6, 20.9, 12.3 points. Bounds: every certainty ≥ the floor;
    # t_ce keeps 50–90 %; kept accuracy ≥ rejected + 5 points.
    t_ce = ClassificationConfig().t_ce
    floor = report.certainty_floor(10)
    for r in digits_seeds:
        # The floor holds at the loss's optimum; the default's wide network does not sit there
        # for every sample (lowest training certainty 0.810 at seed 0), but its typical one does.
        assert np.median(r.test.certainty) >= floor and np.median(r.train.certainty) >= floor
        assert r.test.certainty.min() < t_ce < r.test.certainty.max()
        correct = r.test.classes == r.y_test
        keep = r.test.certainty >= t_ce
        assert 0.5 <= keep.mean() <= 0.9
        assert correct[keep].mean() >= correct[~keep].mean() + 0.05


@pytest.mark.science
def test_rejecting_the_least_certain_raises_test_accuracy(digits):
    correct = digits.test.classes == digits.y_test
    overall = correct.mean()  # measured 0.753
    certainty = digits.test.certainty
    half = accepted_subset(certainty, correct, float(np.median(certainty)))
    # Keeping the more certain half: measured 0.819 (+6.5 points). Tolerance: ≥ +4 points.
    assert half.accuracy >= overall + 0.04
    # AURC of a score that carries no ranking is the error rate (0.247); measured 0.140.
    assert aurc(certainty, correct) < 0.8 * (1 - overall)
    assert set(rejection_scores(digits.test)) == {"confidence", "certainty", "view_agreement"}


@pytest.mark.science
def test_noise_sweep_trends_and_the_square_loss():
    sweep = run_noise_sweep(ClassificationConfig())
    assert sweep.val_loss.shape[:2] == (3, 3) and sweep.val_accuracy.shape == sweep.val_loss.shape
    # The sweep's own network (SWEEP_TRAINING), each number the mean of 3 runs.
    # More noise, lower clean-test accuracy for every loss (measured 0 % vs 40 %:
    # CE 0.976 vs 0.787, square 0.970 vs 0.778, UANLL 0.959 vs 0.811). Margin: 5 points.
    assert np.all(sweep.test_accuracy[:, 0] > sweep.test_accuracy[:, 2] + 0.05)
    # S11: the square loss classifies clean digits as well as cross-entropy
    # (measured 0.970 vs 0.976). Tolerance: within 3 points.
    assert sweep.test_accuracy[1, 0] >= sweep.test_accuracy[0, 0] - 0.03
    assert np.isnan(sweep.aurc_certainty[:2]).all() and np.isfinite(sweep.aurc_certainty[2]).all()
    assert np.isnan(sweep.flip_auroc[:, 0]).all()
    # Flipped labels are recognisable at 20 % noise by every loss's input-only score (measured
    # ≥ 0.763), and better by the probability of the given label, which reads it: measured
    # 0.935, 0.971, 0.984 at 20 % and 0.849, 0.841, 0.883 at 40 %, against 0.795, 0.815, 0.763
    # and 0.733, 0.748, 0.675. Bounds: ≥ 0.9 at 20 %; ≥ 0.05 above the input-only score.
    assert np.all(sweep.flip_auroc[:, 1] > 0.65)
    assert np.all(sweep.flip_auroc_given_label[:, 1] >= 0.9)
    assert np.all(sweep.flip_auroc_given_label[:, 1:] >= sweep.flip_auroc[:, 1:] + 0.05)
    # UANLL's residual reads the label too (measured 0.985, 0.893); other losses have none.
    assert np.isnan(sweep.flip_auroc_weighted_residual[:2]).all()
    assert np.all(sweep.flip_auroc_weighted_residual[2, 1:] >= sweep.flip_auroc[2, 1:] + 0.05)
    row = report.sweep_rows(sweep)[7]  # UANLL at 20 %
    assert row["flip AUROC: p(given label)"] == f"{sweep.flip_auroc_given_label[2, 1]:.3f}"
    assert row["flip AUROC: certainty or confidence (input only)"] == \
        f"{sweep.flip_auroc[2, 1]:.3f}"


# --- the captions say what the numbers show --------------------------------------------------

SHOWN = [name for name, config in report.PRESETS.items()
         if config.label_noise > 0 or config.loss == "uanll"]


@pytest.fixture(scope="module")
def preset_results(digits):
    default = ClassificationConfig()
    return {name: digits if report.PRESETS[name].model_config() == default
            else run_classification(report.PRESETS[name].model_config()) for name in SHOWN}


@pytest.mark.science
@pytest.mark.parametrize("name", SHOWN)
def test_the_flip_and_threshold_captions_hold_at_every_preset(name, preset_results):
    config, r = report.PRESETS[name], preset_results[name]
    if r.flipped.any():
        # The caption's claim: the label-aware score puts the flipped samples further left and
        # separates them better than every input-only score. Measured AUROC: 0.828 vs 0.691
        # (the default), 0.998 vs 0.603 (moons), 0.965 vs 0.803 (S6), 0.983 vs 0.740 (S8),
        # 0.927 vs 0.698 (spirals).
        given = r.given_label_prob
        assert np.median(given[r.flipped]) < np.median(given[~r.flipped])
        notice = flips.flip_notice(r, "given_label")
        assert "flipped samples sit further left" in notice
        input_only = [r.metrics[f"flip_auroc_{n}"] for n in ("confidence", "certainty")]
        # At the certainty preset certainty itself comes close (measured 0.955 vs 0.880).
        # At the TTA-hurts preset: 0.771 vs confidence 0.743. At the TTA-helps preset (its
        # batches of 1024 fit the flipped labels less): 0.776 vs 0.745.
        close = (report.CERTAINTY_FLAGS, report.TTA_HURTS, report.TTA_HELPS)
        margin = 0.1 if name not in close else 0.02
        assert r.metrics["flip_auroc_given_label"] > np.nanmax(input_only) + margin
    if r.test.certainty is not None:
        # The inspector's range note, and the preset's threshold inside that range where it
        # separates right from wrong: kept vs rejected accuracy measured 0.786 vs 0.660
        # (default), 0.940 vs 0.600 (clean digits), 0.959 vs 0.915 (moons, t_ce = 0.85),
        # 0.959 vs 0.854 (S8), 0.827 vs 0.727 (spirals).
        c = r.test.certainty
        note = report.certainty_range_note(r)
        assert f"runs from {c.min():.3f} to {c.max():.4f}" in note
        # At the optimum; a network that memorised some labels (the certainty preset: lowest
        # test certainty 0.499) leaves it for a few inputs, so the median is checked.
        assert np.median(c) >= report.certainty_floor(r.n_classes)
        assert c.min() < config.t_ce < c.max()
        correct = r.test.classes == r.y_test
        keep = c >= config.t_ce
        assert correct[keep].mean() > correct[~keep].mean()


def test_sweep_config_ignores_what_the_sweep_sets_itself():
    a = ClassificationConfig(loss="ce", label_noise=0.1, method="ensemble", n_views=3, t_co=0.9)
    assert sweep_config(a) == sweep_config(ClassificationConfig())
    # The sweep trains its own network for its own length, whatever the sidebar's; it reads
    # the data, the noise kind, the smoothing and the seed.
    own = ClassificationConfig(steps=100, hidden=64, n_layers=3, lr=0.01, batch_size=0,
                               train_copies=0, aug_strength=2.0)
    assert sweep_config(own) == sweep_config(ClassificationConfig())
    for change in ({"seed": 1}, {"noise_kind": "symmetric"}, {"smoothing": 0.1},
                   {"dataset": "moons"}):
        assert sweep_config(ClassificationConfig(**change)) != sweep_config(ClassificationConfig())
    with pytest.raises(ValueError, match=r"rates must be a non-empty tuple of numbers in"):
        run_noise_sweep(ClassificationConfig(), rates=(0.7,))
    with pytest.raises(ValueError, match=r"runs must be at least 1\. Got 0\."):
        run_noise_sweep(ClassificationConfig(), runs=0)


# --- caption builders on small hand-made results ---------------------------------------------


def _fake_tta(before: float, after: float):
    from types import SimpleNamespace
    return SimpleNamespace(metrics={"accuracy": before, "tta_accuracy": after})


def test_the_tta_notice_states_its_numbers_and_says_when_tta_does_not_help():
    helps = report.tta_notice(_fake_tta(0.75, 0.78), ClassificationConfig())
    assert "raises test accuracy from 75.0% to 78.0% (+3.0 points)" in helps
    assert "V = 32 views" in helps and "5 augmented copies" in helps
    hurts = report.tta_notice(_fake_tta(0.74, 0.41), report.PRESETS[report.TTA_HURTS])
    assert hurts.startswith("Notice: here TTA hurts")
    assert "from 74.0% to 41.0% (-33.0 points)" in hurts
    assert "0 augmented copies" in hurts and "strength 1.5" in hurts
    assert report.TTA_HELPS in hurts
    flat = report.tta_notice(_fake_tta(0.80, 0.802), ClassificationConfig())
    assert flat.startswith("Notice: here TTA changes little") and report.TTA_HELPS in flat
    one = report.tta_notice(_fake_tta(0.8, 0.8), ClassificationConfig(n_views=1))
    assert "nothing to average" in one


def _fake_flips(certainty_auc: float):
    from types import SimpleNamespace
    flipped = np.array([True, True, False, False, False])
    given = np.array([0.1, 0.2, 0.8, 0.9, 0.7])
    train = SimpleNamespace(confidence=np.array([0.6, 0.7, 0.8, 0.9, 0.7]),
                            certainty=np.array([0.85, 0.86, 0.9, 0.95, 0.92]))
    metrics = {"flip_auroc_given_label": 1.0, "flip_auroc_weighted_residual": 1.0,
               "flip_auroc_confidence": 0.75, "flip_auroc_certainty": certainty_auc}
    return SimpleNamespace(flipped=flipped, given_label_prob=given, train=train, metrics=metrics)


def test_the_flip_notice_states_its_numbers_and_names_the_certainty_preset():
    flags = flips.flip_notice(_fake_flips(0.9), "certainty")
    # Medians: flipped (0.85, 0.86) → 0.855; kept (0.9, 0.95, 0.92) → 0.920.
    assert "median 0.855 against 0.920" in flags and "AUROC 0.900" in flags
    assert "flags them here (AUROC 0.900 ≥ 0.8)" in flags
    assert report.CERTAINTY_FLAGS not in flags
    weak = flips.flip_notice(_fake_flips(0.64), "given_label")
    assert "median 0.150 against 0.800" in weak and "certainty (AUROC 0.640)" in weak
    assert "does not flag them here (AUROC 0.640, below 0.8)" in weak
    assert report.CERTAINTY_FLAGS in weak


def test_the_views_notice_counts_the_views_that_keep_the_class(toy):
    pred = toy.test
    classes = pred.view_probs[:, 0].argmax(axis=1)
    notice = inspector.views_notice(toy, "test", 0)
    kept = int(np.sum(classes == classes[0]))
    if kept == classes.size:
        assert f"all {classes.size} views keep the input's class" in notice
    else:
        assert f"{kept} of {classes.size} views keep the input's class {classes[0]}" in notice
