"""Tests for the OOD lab's experiments: configs, the shift sweep, detection, the 2-D toy and
fooling images. Science tests train real models with fixed seeds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from labcore.data.classification import load_digits_split
from labcore.data.corruptions import CORRUPTIONS
from labcore.experiments.ood import models as ood_models
from labcore.experiments.ood.config import OODConfig, OODLabConfig, ShiftConfig, ToyOODConfig
from labcore.experiments.ood.fooling import make_fooling_images
from labcore.experiments.ood.models import model_spec
from labcore.experiments.ood.run import DETECTORS, run_ood, run_shift, run_toy_ood
from labcore.models.classifier import ClassifierSpec, train_classifier

# --- configs --------------------------------------------------------------------------------


def test_configs_reject_bad_values_with_the_field_and_the_value():
    with pytest.raises(ValueError, match=r"Ensemble members M \(members\) must be between 2 and "
                                         r"10\. Got 1\."):
        ShiftConfig(members=1)
    with pytest.raises(ValueError, match=r"Methods must include at least one method.*Got none\."):
        ShiftConfig(plain=False, temperature=False, ensemble=False)
    with pytest.raises(ValueError, match=r"In-distribution digits \(in_classes\) must be one of"):
        OODConfig(in_classes="012")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Methods must include at least one method"):
        OODLabConfig(plain=False, temperature=False, ensemble=False)


def test_the_page_config_is_the_union_and_projects_onto_each_experiment():
    lab = OODLabConfig(in_classes="02468", toy="spirals", tta=True, members=7, seed=3)
    assert lab.detection_config() == OODConfig(in_classes="02468", members=7, seed=3)
    assert lab.toy_config() == ToyOODConfig(toy="spirals", members=7, seed=3)
    assert lab.shift_config() == ShiftConfig(tta=True, members=7, seed=3)
    # 8 detection + 3 toy-only + 8 shift-only fields (6 switches, views, strength) = 19.
    assert len(dataclasses.fields(OODLabConfig)) == 19
    assert OODLabConfig.hidden_for(ShiftConfig) == {
        "in_classes", "n_fooling", "toy", "toy_noise", "n_points"}
    assert OODConfig(in_classes="0123456").classes == (0, 1, 2, 3, 4, 5, 6)


def test_each_method_gets_its_model():
    config = ShiftConfig(members=4, dropout=0.3, hidden=64, steps=200, seed=9)
    assert model_spec("plain", config) == ClassifierSpec(hidden=64, steps=200, seed=9)
    assert model_spec("ensemble", config).members == 4
    assert model_spec("mc_dropout", config).dropout == 0.3
    assert model_spec("uanll", config).loss == "uanll"
    assert ShiftConfig(plain=False, mc_dropout=True, tta=True).methods == (
        "temperature", "mc_dropout", "ensemble", "tta")


def test_the_same_config_gives_the_same_sweep():
    config = ShiftConfig(mc_dropout=True, tta=True, hidden=16, steps=100, members=2,
                         mc_samples=5, seed=4)
    first, second = run_shift(config), run_shift(config)
    for metric in ("accuracy", "ece", "nll", "confidence"):
        assert np.array_equal(getattr(first, metric), getattr(second, metric))
    assert np.array_equal(first.example_images, second.example_images)
    with pytest.raises(ValueError, match=r"Metric must be one of .* Got 'brier'\."):
        first.curve("brier")


# --- science --------------------------------------------------------------------------------


@pytest.mark.science
def test_shift_sweep_accuracy_falls_with_severity_and_each_model_trains_once(monkeypatch):
    calls = []
    real = ood_models.train_classifier

    def counted(spec, *args, **kwargs):
        calls.append(spec)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(ood_models, "train_classifier", counted)
    result = run_shift(ShiftConfig(seed=0))
    # Plain, temperature scaling and the ensemble need two trainings, reused for 6 × 5 sets.
    assert [spec.members for spec in calls] == [1, 5]
    assert result.accuracy.shape == (3, len(CORRUPTIONS), 6)
    plain = result.curve("accuracy")[0]
    # Seed 0, mean over the six corruptions, severities 1…5: measured 0.945, 0.889, 0.778,
    # 0.628, 0.425. Required: strictly falling, and at least 20 points lost from 1 to 5.
    assert np.all(np.diff(plain[1:]) < 0), plain
    assert plain[1] - plain[5] > 0.2
    # Dividing logits by T > 0 never changes the argmax: identical accuracy everywhere.
    assert np.array_equal(result.accuracy[0], result.accuracy[1])
    # Overconfidence at severity 5: mean confidence 0.83 against accuracy 0.43 (measured).
    assert result.curve("confidence")[0, 5] - plain[5] > 0.2
    # Severity 0 is the same clean test set in every corruption's row.
    assert np.all(result.ece[:, :, 0] == result.ece[:, :1, 0])


@pytest.mark.science
def test_fooling_images_reach_99_percent_on_the_plain_network():
    data = load_digits_split(0, classes=(0, 1, 2, 3, 4))
    model = train_classifier(ClassifierSpec(steps=200, seed=0), data.x_train, data.y_train,
                             data.x_val, data.y_val, data.n_classes)
    fooling = make_fooling_images(model, 20, seed=0)
    # Checked through the model's own predict, independently of the ascent's bookkeeping.
    probs = model.predict(fooling.images).mean_probs
    assert probs[np.arange(20), fooling.target].min() >= 0.99
    assert fooling.reached.all() and fooling.steps.max() < 300
    assert fooling.images.min() >= 0.0 and fooling.images.max() <= 1.0
    assert list(fooling.target[:6]) == [0, 1, 2, 3, 4, 0]
    again = make_fooling_images(model, 20, seed=0)
    assert np.array_equal(again.images, fooling.images)


@pytest.mark.science
def test_detection_ensemble_mutual_information_flags_uniform_noise():
    result = run_ood(OODConfig(seed=0))
    row = result.detectors.index("ensemble_mi")
    col = result.ood_sets.index("noise")
    # Seed 0: AUROC of −MI (ensemble), test digits 0–4 vs uniform noise, measured 0.964.
    # Required: clearly above chance, > 0.85.
    assert result.auroc[row, col] > 0.85
    # The table is wired to the stored scores: every entry equals scikit-learn's AUROC.
    for i, d in enumerate(result.detectors):
        for j, s in enumerate(result.ood_sets):
            s_in, s_out = result.scores_in[d], result.scores_out[d][s]
            y = np.r_[np.ones(s_in.size), np.zeros(s_out.size)]
            assert result.auroc[i, j] == pytest.approx(roc_auc_score(y, np.r_[s_in, s_out]))
            # FPR at 95 % TPR counts the OOD scores at or above the stored threshold.
            assert result.fpr95[i, j] == pytest.approx(np.mean(s_out >= result.threshold95[d]))
    # The fooling images fool the network they were made for: ≥ 99 % on the plain network,
    # with room (the attack aims at 99.9 %: measured lowest 0.99901).
    assert result.fooling_confidence["plain"].min() >= 0.99
    assert result.fooling_confidence["plain"].min() >= 0.998
    assert result.fooling_agrees["plain"].all()
    # Inverted digits are 1 − the in-distribution test digits.
    assert np.allclose(result.examples["inverted"], 1.0 - result.examples["in"])
    assert set(DETECTORS) == set(result.detectors)


@pytest.mark.science
def test_toy_plain_network_stays_confident_far_away_while_ensemble_disagreement_grows():
    result = run_toy_ood(ToyOODConfig(toy="blobs", seed=0))
    # ReLU networks are piecewise linear: far along a ray the logits grow linearly and the
    # softmax saturates (Hein et al. 2019). Seed 0, between 2R and 3R: measured 0.995.
    assert result.far_mean["plain_msp"] > 0.98
    # Ensemble mutual information, far vs within R: measured 0.029 vs 0.003 nats. Required:
    # at least 3× larger far away.
    assert -result.far_mean["ensemble_mi"] > 3 * -result.near_mean["ensemble_mi"]
    assert result.score_maps["plain_msp"].shape == (101, 101)
    assert result.radial_profile["ensemble_mi"].shape == (12,)


# --- caption builders on small hand-made results ---------------------------------------------


def _fake_shift(acc_plain, ece_plain):
    from labcore.experiments.ood.sweep import ShiftResult
    n_c = len(CORRUPTIONS)
    acc = np.array([acc_plain, acc_plain])[:, None, :].repeat(n_c, axis=1)
    ece = np.array([ece_plain, np.array(ece_plain) / 2])[:, None, :].repeat(n_c, axis=1)
    conf = np.full_like(acc, 0.9)
    zeros = np.zeros((n_c, 6))
    return ShiftResult(methods=("plain", "temperature"), corruptions=CORRUPTIONS,
                       severities=np.arange(6), accuracy=acc, ece=ece, nll=acc, confidence=conf,
                       temperature=1.5, example_images=np.zeros((n_c, 6, 8, 8)),
                       example_label=0, example_pred=zeros, example_confidence=zeros, n_test=10)


def test_the_shift_notice_states_its_numbers_and_names_the_preset_when_the_trend_breaks():
    from labcore.experiments.ood import report
    good = report.shift_notice(_fake_shift([0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
                                           [0.02, 0.05, 0.1, 0.2, 0.3, 0.4]))
    assert "accuracy 90.0% → 40.0%" in good and "ECE 0.020 → 0.400" in good
    assert "accuracy falls 50 points while confidence falls only 0" in good
    assert "T = 1.50" in good and "ECE 0.010 clean but 0.200 at severity 5" in good
    flat = report.shift_notice(_fake_shift([0.9, 0.92, 0.9, 0.9, 0.89, 0.88],
                                           [0.02, 0.02, 0.03, 0.03, 0.04, 0.04]), "blur")
    assert flat.startswith("Notice: under blur") and "does not fall" in flat
    assert report.SHIFT_PRESET in flat


def test_the_shift_notice_gives_the_ensembles_numbers_without_a_verdict():
    from labcore.experiments.ood import report
    from labcore.experiments.ood.sweep import ShiftResult
    n_c = len(CORRUPTIONS)
    plain = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    ensemble = [0.92, 0.85, 0.75, 0.66, 0.55, 0.46]  # 6 points above the plain network at 5
    acc = np.array([plain, ensemble])[:, None, :].repeat(n_c, axis=1)
    ece = np.array([[0.02, 0.05, 0.1, 0.2, 0.3, 0.4],
                    [0.01, 0.03, 0.06, 0.1, 0.2, 0.25]])[:, None, :].repeat(n_c, axis=1)
    zeros = np.zeros((n_c, 6))
    result = ShiftResult(methods=("plain", "ensemble"), corruptions=CORRUPTIONS,
                         severities=np.arange(6), accuracy=acc, ece=ece, nll=acc,
                         confidence=np.full_like(acc, 0.9), temperature=float("nan"),
                         example_images=np.zeros((n_c, 6, 8, 8)), example_label=0,
                         example_pred=zeros, example_confidence=zeros, n_test=10)
    text = report.shift_notice(result)
    assert text.endswith(" The deep ensemble has accuracy 46.0% and ECE 0.250 at severity 5 "
                         "(+6.0 points of accuracy against the plain network).")
    # Without an ensemble, or with the ensemble as the first method, no such sentence.
    assert "deep ensemble" not in report.shift_notice(_fake_shift(plain, ece[0, 0].tolist()))


def test_the_fooling_method_text_states_the_aim_and_the_claim():
    from labcore.experiments.ood import report
    text = report.fooling_method_text()
    assert "x ← clip(x + 0.02·sign(∇ₓ log p), 0, 1)" in text  # make_fooling_images' step
    assert "≥ 99.9% (past the 99% of Nguyen et al. 2015" in text


def test_the_detection_and_fooling_notices_read_their_numbers():
    from types import SimpleNamespace

    from labcore.experiments.ood import report
    from labcore.experiments.ood.run import OOD_SETS
    auroc = np.full((len(DETECTORS), len(OOD_SETS)), 0.7)
    auroc[list(DETECTORS).index("ensemble_mi"), 0] = 0.96
    auroc[:, 2] = 0.6  # inverted digits: the hardest set
    auroc[list(DETECTORS).index("uanll_certainty")] = [0.55, 0.5, 0.48, 0.5]
    det = SimpleNamespace(detectors=tuple(DETECTORS), ood_sets=tuple(OOD_SETS), auroc=auroc)
    text = report.detection_notice(det)
    assert "−Mutual information · ensemble (AUROC 0.96)" in text
    assert "hardest set is inverted digits" in text
    assert "near chance on every set (AUROC 0.48–0.55)" in text
    auroc[list(DETECTORS).index("uanll_certainty")] = [0.8, 0.5, 0.48, 0.5]
    assert "ranges over AUROC 0.48–0.80" in report.detection_notice(det)
    fooled = SimpleNamespace(fooling_confidence={"plain": np.array([0.995, 0.991]),
                                                 "ensemble": np.array([0.5, 0.7])})
    assert "every one of the 2 its target digit with at least 99.1%" in \
        report.fooling_notice(fooled)
    assert "deep ensemble 60.0%" in report.fooling_notice(fooled)
    fooled.fooling_confidence["plain"] = np.array([0.995, 0.9])
    assert "only 1 of 2 fooling images reached 99%" in report.fooling_notice(fooled)
