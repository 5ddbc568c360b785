"""The Calibration lab's engine: config, cached logits, re-scoring, tables, sweeps.

Expected numbers are derived by hand in the assertion, come from an independent
implementation (torch, torchmetrics, scikit-learn) or are properties theory guarantees. The
science tests (the page's claims on its default and presets) are in test_calibration_science.py.
"""

from __future__ import annotations

import itertools
import math
import types

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score
from torchmetrics.classification import MulticlassCalibrationError

from labcore.data.classification import load_digits_split
from labcore.experiments.calibration import report
from labcore.experiments.calibration import run as calx
from labcore.experiments.calibration.config import CalibrationConfig, training_config
from labcore.experiments.calibration.run import (
    four_panels,
    rescore,
    run_calibration,
    score_logits,
    temperature_curves,
)
from labcore.experiments.calibration.sweep import run_length_sweep, sweep_config

SMALL = CalibrationConfig(steps=50, hidden=16)  # trains in well under a second

# Four 2-class predictions whose probabilities are exact (logits = log p):
#   confidence .90 right, .75 wrong, .70 right, .55 right.
# Five equal-width bins: .55 → (.4, .6]; .70 and .75 → (.6, .8]; .90 → (.8, 1].
HAND_PROBS = np.array([[0.9, 0.1], [0.75, 0.25], [0.3, 0.7], [0.55, 0.45]])
HAND_LABELS = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def small_run() -> calx.CalibrationRun:
    return run_calibration(SMALL)


# --- config -----------------------------------------------------------------------------------


def test_config_rejects_bad_values_with_the_house_message():
    with pytest.raises(ValueError, match=r"Label smoothing ε \(smoothing\) must be between 0 "
                       r"and 0.3. Got 0.5."):
        CalibrationConfig(smoothing=0.5)
    with pytest.raises(ValueError, match=r"ECE bins \(n_bins\) must be between 5 and 30. Got 2."):
        CalibrationConfig(n_bins=2)
    with pytest.raises(ValueError, match=r"Binning \(strategy\) must be one of 'uniform', "
                       r"'quantile'. Got 'equal'."):
        CalibrationConfig(strategy="equal")
    with pytest.raises(ValueError, match=r"Label smoothing ε \(smoothing\) must be a number"):
        CalibrationConfig.from_strings({"smoothing": "lots"})


def test_training_set_limit_keeps_equal_classes_and_moves_the_rest_to_test():
    full = load_digits_split(3)
    data = calx.limit_training_set(full, 155, seed=3)
    # 155 = 10 × 15 + 5: the first five classes keep 16 images, the others 15.
    assert np.bincount(data.y_train).tolist() == [16] * 5 + [15] * 5
    assert len(data.y_test) == len(full.y_test) + len(full.y_train) - 155
    # Nothing lost or duplicated: the kept rows and the extra test rows are the training rows.
    extra = data.x_test[len(full.y_test):]
    assert sorted_rows(np.concatenate([data.x_train, extra])) == sorted_rows(full.x_train)
    assert np.array_equal(data.x_test[:len(full.y_test)], full.x_test)
    assert np.array_equal(data.y_val, full.y_val)
    most = 10 * int(np.bincount(full.y_train).min())
    with pytest.raises(ValueError, match=rf"between 10 and {most} samples .* Got {most + 10}\."):
        calx.limit_training_set(full, most + 10, seed=3)


def sorted_rows(x: np.ndarray) -> list[bytes]:
    return sorted(row.tobytes() for row in x)


def test_training_size_is_a_digits_setting():
    assert CalibrationConfig.inactive_fields({"dataset": "digits"}) == {"n_points", "toy_noise"}
    assert CalibrationConfig.inactive_fields({"dataset": "moons"}) == {"train_size"}
    assert calx.load_data(CalibrationConfig(train_size=300)).y_train.size == 300
    toy = calx.load_data(CalibrationConfig(dataset="blobs", n_points=300, train_size=50))
    assert toy.y_train.size == 180  # 60 % of 300: the toy ignores train_size


def test_training_config_ignores_only_the_scoring_fields():
    scored = CalibrationConfig(smoothing=0.2, steps=800, n_bins=10, strategy="quantile")
    assert training_config(scored) == CalibrationConfig(smoothing=0.2, steps=800)
    assert training_config(scored) == training_config(scored.replace(n_bins=30))


def test_sweep_config_resets_the_swept_setting_and_epsilon():
    config = CalibrationConfig(smoothing=0.2, steps=800, hidden=64, n_bins=10)
    assert sweep_config(config, "steps") == CalibrationConfig(smoothing=0.0, hidden=64)
    assert sweep_config(config, "hidden") == CalibrationConfig(smoothing=0.0, steps=800)
    assert sweep_config(config, "smoothing") == CalibrationConfig(smoothing=0.0, steps=800,
                                                                  hidden=64)


# --- scoring logits ---------------------------------------------------------------------------


def test_score_logits_hand_case():
    s = score_logits(np.log(HAND_PROBS), HAND_LABELS, n_bins=5)
    assert s.bins.counts.tolist() == [0, 0, 1, 2, 1]
    assert s.accuracy == pytest.approx(3 / 4)
    assert s.mean_confidence == pytest.approx((0.9 + 0.75 + 0.7 + 0.55) / 4)
    # 1/4·|1 − .55| + 2/4·|1/2 − (.75 + .7)/2| + 1/4·|1 − .9| = .1125 + .1125 + .025
    assert s.ece == pytest.approx(0.25)
    assert s.mce == pytest.approx(0.45)
    assert s.nll == pytest.approx(-(math.log(0.9) + math.log(0.25) + math.log(0.7)
                                    + math.log(0.55)) / 4)
    # Σ_k (p_k − y_k)² per row: .02, 1.125, .18, .405
    assert s.brier == pytest.approx((0.02 + 1.125 + 0.18 + 0.405) / 4)


def test_score_logits_at_a_temperature_matches_torch_and_sklearn():
    z = np.random.default_rng(0).normal(scale=3.0, size=(400, 6))
    labels = np.random.default_rng(1).integers(0, 6, size=400)
    s = score_logits(z, labels, temperature=1.7)
    ref_nll = torch.nn.functional.cross_entropy(torch.tensor(z) / 1.7, torch.tensor(labels))
    assert s.nll == pytest.approx(ref_nll.item())
    assert s.accuracy == pytest.approx(accuracy_score(labels, z.argmax(axis=1)))
    probs = torch.softmax(torch.tensor(z) / 1.7, dim=1)
    assert probs.max() < 1
    ref_ece = MulticlassCalibrationError(num_classes=6, n_bins=15, norm="l1")(
        probs, torch.tensor(labels))
    assert s.ece == pytest.approx(ref_ece.item(), abs=1e-6)


def test_rescore_never_changes_accuracy_and_softens_with_t(small_run):
    raw = rescore(small_run, "plain", 1.0)
    soft = rescore(small_run, "plain", 2.0)
    sharp = rescore(small_run, "plain", 0.5)
    assert soft.accuracy == raw.accuracy == sharp.accuracy
    # max_k softmax(z/T)_k falls as T grows, for every sample, so the mean falls too.
    assert sharp.mean_confidence > raw.mean_confidence > soft.mean_confidence
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        rescore(small_run, "plain", 0.0)
    with pytest.raises(ValueError, match=r"Model must be 'plain' or 'smoothed'\. Got 'other'\."):
        small_run.model("other")  # type: ignore[arg-type]


def test_four_panels_use_the_fitted_temperatures(small_run):
    panels = four_panels(small_run, n_bins=10)
    assert [p.temperature for p in panels] == [
        1.0, small_run.plain.temperature, 1.0, small_run.smoothed.temperature]
    assert panels[0].accuracy == panels[1].accuracy
    assert panels[2].accuracy == panels[3].accuracy
    assert all(p.bins.counts.size == 10 for p in panels)
    assert all(p.bins.counts.sum() == small_run.y_test.size for p in panels)


def _disagreeing_bins() -> tuple[np.ndarray, np.ndarray]:
    """Logits whose ECE is smallest at T ≈ 2.1 with equal-width bins but at T ≈ 1.5 with
    equal-mass bins (10 bins, a seeded draw: 70 % of labels drawn from the softmax)."""
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(200, 4)) * 2.5
    labels = np.array([rng.choice(4, p=np.exp(z) / np.exp(z).sum()) if rng.random() < 0.7
                       else rng.integers(4) for z in logits])
    return logits, labels


def test_the_ece_optimal_temperature_uses_the_curves_own_bins():
    """The marker of the ECE-optimal T sits on the minimum of the curve it marks, also with
    equal-mass bins (it used to be fitted with equal-width bins whatever the curve used)."""
    logits, labels = _disagreeing_bins()
    model = types.SimpleNamespace(val_logits=logits, test_logits=logits, temperature=1.0)
    run = types.SimpleNamespace(model=lambda kind: model, y_val=labels, y_test=labels)
    grid = np.geomspace(0.25, 4, 41)
    by_hand = {strategy: np.array([
        calx.cal.expected_calibration_error(calx.cal.softmax(logits, t), labels, 10, strategy)
        for t in grid]) for strategy in ("uniform", "quantile")}
    best = {strategy: grid[np.argmin(e)] for strategy, e in by_hand.items()}
    assert abs(np.log(best["uniform"] / best["quantile"])) > 0.2  # the two bins disagree here
    for strategy in ("uniform", "quantile"):
        curves = temperature_curves(run, "plain", n_bins=10, strategy=strategy, grid=grid)
        np.testing.assert_allclose(curves.val_ece, by_hand[strategy])
        assert curves.t_ece == pytest.approx(best[strategy])


def test_fitted_temperature_minimises_validation_nll(small_run):
    for model in (small_run.plain, small_run.smoothed):
        assert model.val_nll_scaled <= model.val_nll
        t = model.temperature
        near = calx.cal.nll_at_temperatures(model.val_logits, small_run.y_val,
                                            [t / 1.05, t * 1.05])
        assert np.all(near >= model.val_nll_scaled)


@pytest.mark.parametrize("kind", ["plain", "smoothed"])
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_temperature_curves_mark_their_own_minima(small_run, kind, strategy):
    curves = temperature_curves(small_run, kind, n_bins=10, strategy=strategy)
    # The marker sits on the drawn curve's minimum, whichever bins the curve uses.
    assert curves.val_ece[curves.temperatures == curves.t_ece][0] == curves.val_ece.min()
    # The NLL fit is a continuous optimum, so no grid point has a lower validation NLL.
    assert curves.val_nll.min() >= small_run.smoothed.val_nll_scaled - 1e-12


# --- training runs ----------------------------------------------------------------------------


def test_same_config_same_logits_and_progress_reaches_one():
    fractions: list[float] = []
    first = run_calibration(SMALL, progress=lambda f, m: fractions.append(f))
    second = run_calibration(SMALL)
    assert np.array_equal(first.plain.test_logits, second.plain.test_logits)
    assert np.array_equal(first.smoothed.val_logits, second.smoothed.val_logits)
    assert fractions[-1] == 1.0
    assert all(a <= b for a, b in itertools.pairwise(fractions))


def test_epsilon_zero_trains_one_network(monkeypatch):
    calls = []
    real = calx.train_classifier

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(calx, "train_classifier", counting)
    run = run_calibration(SMALL.replace(smoothing=0.0))
    assert len(calls) == 1
    assert np.array_equal(run.smoothed.test_logits, run.plain.test_logits)
    assert run.smoothed.kind == "smoothed"


def test_toy_dataset_runs():
    run = run_calibration(SMALL.replace(dataset="blobs", n_points=300))
    assert run.n_classes == 3
    assert run.y_test.size == 60  # 20 % of 300 points
    assert run.plain.test_logits.shape == (60, 3)


def test_sweep_records_each_value_and_rejects_an_empty_grid():
    sweep = run_length_sweep(SMALL, values=(20, 40))
    assert sweep.values.tolist() == [20.0, 40.0]
    assert sweep.accuracy.shape == sweep.temperature.shape == (2,)
    with pytest.raises(ValueError, match="values must name at least one setting"):
        run_length_sweep(SMALL, values=())


# --- report tables ----------------------------------------------------------------------------


def test_ece_table_and_the_written_out_sum():
    s = score_logits(np.log(HAND_PROBS), HAND_LABELS, n_bins=5)
    rows = report.ece_table(s)
    assert [r["bin"] for r in rows] == [3, 4, 5]
    assert [r["confidence range"] for r in rows] == [
        "(0.400, 0.600]", "(0.600, 0.800]", "(0.800, 1.000]"]
    assert [r["predictions"] for r in rows] == [1, 2, 1]
    assert sum(r["contribution"] for r in rows) == pytest.approx(0.25)
    assert report.ece_sum_text(s) == (
        "ECE = 1/4 × 0.4500 + 2/4 × 0.2250 + 1/4 × 0.1000 = 0.2500")


def test_ece_variants_agree_with_torchmetrics(small_run):
    rows = report.ece_variants(small_run, "plain")
    assert len(rows) == 6
    probs = torch.softmax(torch.tensor(small_run.plain.test_logits), dim=1)
    assert probs.max() < 1
    ref = MulticlassCalibrationError(num_classes=10, n_bins=15, norm="l1")(
        probs, torch.tensor(small_run.y_test))
    top15 = next(r for r in rows if r["scores"] == "top-label" and r["bins"] == 15
                 and r["binning"] == "equal width")
    assert top15["ECE"] == pytest.approx(ref.item(), abs=5e-5)  # the table rounds to 1e-4


def test_small_report_helpers():
    assert report.slider_temperature(0.05) == 0.1
    assert report.slider_temperature(7.3) == 5.0
    assert report.slider_temperature(1.3437) == 1.34
    assert report.variants_spread([{"ECE": 0.01}, {"ECE": 0.03}]) == (
        "The ECEs range from 0.0100 to 0.0300: the largest is 3.0× the smallest, for the same "
        "predictions.")


# --- figures ----------------------------------------------------------------------------------


def test_reliability_figure_draws_the_hand_case():
    from labcore.plots.calibration import reliability_figure

    s = score_logits(np.log(HAND_PROBS), HAND_LABELS, n_bins=5)
    fig = reliability_figure([s], cols=1)
    by_name = {t.name: t for t in fig.data}
    acc = by_name["accuracy of the predictions in the bin"]
    assert list(acc.x) == pytest.approx([0.5, 0.7, 0.9])  # centres of the non-empty bins
    assert list(acc.y) == pytest.approx([1.0, 0.5, 1.0])
    over = by_name["gap: more confident than right (over-confident)"]
    assert list(over.base) == pytest.approx([0.5])
    assert list(over.y) == pytest.approx([0.725 - 0.5])
    under = by_name["gap: more right than confident (under-confident)"]
    assert list(under.base) == pytest.approx([0.55, 0.9])
    assert list(under.y) == pytest.approx([0.45, 0.1])
    counts = by_name["predictions per bin (lower panels)"]
    assert list(counts.y) == [1, 2, 1]
    assert list(counts.text) == ["1", "2", "1"]  # bins 0.2 wide: every count is written
    with pytest.raises(ValueError, match="panels must hold at least one scored model"):
        reliability_figure([])
