"""The Classification lab's engine: config, training helpers, the run, the report, the sweep."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from labcore.data.classification import make_toy
from labcore.experiments.classification import report
from labcore.experiments.classification.run import (
    ClassificationConfig,
    rejection_scores,
    run_classification,
)
from labcore.experiments.classification.sweep import run_noise_sweep, sweep_config
from labcore.losses import smooth_labels
from labcore.models.classifier import (
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
    rows = report.view_rows(toy, "test", 5, t_co=0.0, t_ce=1.0)
    assert len(rows) == 4 and rows[0]["view"] == "0 (input)"
    assert all(r["co_h"] == 1 and r["ce_h"] == 0 for r in rows)  # co_s ≥ 0, ce_s < 1 always
    finals = report.final_rows(toy, "test", 5, t_co=0.0, t_ce=1.0)
    flags_ce = next(r for r in finals if r["aggregation"] == "Votes of views with ce_h = 1")
    assert flags_ce["note"] == "no view passed: mode used"
    with pytest.raises(ValueError, match=r"Sample index must be between 0 and 119\. Got 120\."):
        report.check_index(toy, "test", 120)
    flipped = int(np.flatnonzero(toy.flipped)[0])
    facts = report.sample_facts(toy, "train", flipped)
    assert facts["Training label"].endswith(f"(flipped from {toy.y_train[flipped]})")


def test_accepted_subsets_match_a_direct_count(toy):
    subsets = report.accepted_subsets(toy, t_co=0.8, t_ce=0.8)
    correct = toy.test.classes == toy.y_test
    keep = toy.test.confidence >= 0.8
    assert subsets["confidence"].n_accepted == keep.sum()
    assert subsets["confidence"].accuracy == pytest.approx(correct[keep].mean())
    both = keep & (toy.test.certainty >= 0.8)
    assert subsets["both"].n_accepted == both.sum()


# --- science -------------------------------------------------------------------------------


@pytest.mark.science
def test_uanll_certainty_is_lower_on_flipped_training_labels(digits):
    # Digits, 40 % asymmetric noise (1↔7, 3↔8, 4↔9, 5↔6), UANLL, seed 0. AUROC of certainty
    # for "label kept" vs "label flipped": measured 0.637; chance is 0.5. Tolerance: > 0.58.
    assert digits.metrics["flip_auroc_certainty"] > 0.58
    certainty = digits.train.certainty
    assert certainty[digits.flipped].mean() < certainty[~digits.flipped].mean()


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
    # More noise, lower clean-test accuracy for every loss (measured 0 % vs 40 %:
    # CE 0.970 vs 0.787, square 0.972 vs 0.737, UANLL 0.941 vs 0.794). Margin: 5 points.
    assert np.all(sweep.test_accuracy[:, 0] > sweep.test_accuracy[:, 2] + 0.05)
    # S11: the square loss classifies clean digits as well as cross-entropy
    # (measured 0.972 vs 0.970). Tolerance: within 3 points.
    assert sweep.test_accuracy[1, 0] >= sweep.test_accuracy[0, 0] - 0.03
    assert np.isnan(sweep.aurc_certainty[:2]).all() and np.isfinite(sweep.aurc_certainty[2]).all()
    assert np.isnan(sweep.flip_auroc[:, 0]).all()
    # Flipped labels are recognisable at 20 % noise by every loss's score (measured ≥ 0.745).
    assert np.all(sweep.flip_auroc[:, 1] > 0.65)


def test_sweep_config_ignores_what_the_sweep_sets_itself():
    a = ClassificationConfig(loss="ce", label_noise=0.1, method="ensemble", n_views=3, t_co=0.9)
    assert sweep_config(a) == sweep_config(ClassificationConfig())
    assert sweep_config(ClassificationConfig(steps=100)) != sweep_config(ClassificationConfig())
    with pytest.raises(ValueError, match=r"rates must be a non-empty tuple of numbers in"):
        run_noise_sweep(ClassificationConfig(), rates=(0.7,))
