"""The Classification lab on a user's CSV: split, standardise, train, name the classes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from labcore.data.user_csv import prepare, read_csv_bytes
from labcore.experiments.classification import inspector, report
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.sweep import run_noise_sweep_upload
from labcore.experiments.classification.upload import (
    MAP_MARGIN,
    UploadedClassification,
    run_classification_upload,
    split_indices,
    uploaded_data,
)
from labcore.plots import classification as plots

FAST = ClassificationConfig(label_noise=0.0, steps=200, n_views=4, train_copies=1)


def _blobs_csv(centers, n_per_class: int, labels, seed: int = 0, scale=(1.0, 1.0),
               shift=(0.0, 0.0)) -> bytes:
    """CSV bytes of Gaussian blobs (σ = 0.5) around ``centers``, in columns x1, x2, label."""
    rng = np.random.default_rng(seed)
    rows = ["x1,x2,label"]
    for (cx, cy), label in zip(centers, labels, strict=True):
        pts = rng.normal((cx, cy), 0.5, size=(n_per_class, 2)) * scale + shift
        rows += [f"{a:.5f},{b:.5f},{label}" for a, b in pts]
    return ("\n".join(rows) + "\n").encode()


def _data(raw: bytes, inputs=("x1", "x2")):
    return prepare(read_csv_bytes(raw, "blobs.csv"), list(inputs), "label", "classification")


@pytest.fixture(scope="module")
def two_blobs():
    # Centres 4 apart with σ = 0.5: the classes are 8σ apart, so a linear boundary separates
    # them except with probability ~Φ(−4) ≈ 3e-5 per point. Columns in odd units (×10, +50)
    # check the standardisation.
    raw = _blobs_csv([(-2, 0), (2, 0)], 100, [0, 1], scale=(10.0, 1.0), shift=(50.0, -3.0))
    data = _data(raw)
    return raw, data, run_classification_upload(UploadedClassification(FAST, data))


def test_two_separated_blobs_train_to_high_test_accuracy(two_blobs):
    result = two_blobs[2]
    # Measured: 1.0 (40 of 40 test points) on CPU with seed 0.
    assert result.metrics["accuracy"] > 0.9
    assert result.n_classes == 2 and result.class_names == ("0", "1")
    assert result.feature_names == ("x1", "x2")
    # 60 / 20 / 20 stratified: 20 % of each class of 100 is 20, so 40 test, 120 training.
    assert result.y_test.size == 40 and result.y_train.size == 120
    assert np.bincount(result.y_test).tolist() == [20, 20]
    # Standardised with the training rows: mean 0, std 1 per column on the training split.
    np.testing.assert_allclose(result.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(result.x_train.std(axis=0), 1.0, atol=1e-5)
    # Views are jittered points (2-D), and there is a decision map.
    assert result.image_shape is None
    assert result.test.view_inputs.shape == (4, 40, 2)
    assert result.decision_map.classes.shape == (100, 100)


def test_the_decision_map_covers_the_data_plus_a_quarter_of_its_range(two_blobs):
    _, data, result = two_blobs
    split = uploaded_data(data, FAST.seed)
    every = np.concatenate([split.x_train, split.x_val, split.x_test])
    lo, hi = every.min(axis=0), every.max(axis=0)
    dmap = result.decision_map
    expected_lo, expected_hi = lo - MAP_MARGIN * (hi - lo), hi + MAP_MARGIN * (hi - lo)
    np.testing.assert_allclose([dmap.x1[0], dmap.x2[0]], expected_lo, rtol=1e-6)
    np.testing.assert_allclose([dmap.x1[-1], dmap.x2[-1]], expected_hi, rtol=1e-6)


def test_same_data_give_equal_digests_and_equal_results(two_blobs):
    raw, data, result = two_blobs
    again = _data(raw)
    assert again is not data and again.digest == data.digest and again == data
    assert hash(UploadedClassification(FAST, again)) == hash(UploadedClassification(FAST, data))
    rerun = run_classification_upload(UploadedClassification(FAST, again))
    np.testing.assert_array_equal(rerun.test.view_probs, result.test.view_probs)
    np.testing.assert_array_equal(rerun.decision_map.confidence, result.decision_map.confidence)
    np.testing.assert_equal(dict(rerun.metrics), dict(result.metrics))  # NaN equals NaN here
    other = _data(_blobs_csv([(-2, 0), (2, 0)], 100, [0, 1], seed=1))
    assert other.digest != data.digest and other != data


def test_three_classes_with_string_labels_keep_their_names():
    raw = _blobs_csv([(-2, -1), (2, -1), (0, 2.2)], 40, [" setosa", "virginica", "versicolor"])
    data = _data(raw)
    result = run_classification_upload(UploadedClassification(FAST, data))
    # np.unique sorts the stripped labels: index 0 = setosa, 1 = versicolor, 2 = virginica.
    assert result.class_names == ("setosa", "versicolor", "virginica")
    assert result.n_classes == 3 and result.test.probs.shape[1] == 3
    assert np.bincount(result.y_test).tolist() == [8, 8, 8]  # 20 % of 40 per class
    assert result.metrics["accuracy"] > 0.9  # blobs 4σ+ apart; measured 1.0
    i = int(np.flatnonzero(result.y_test == 2)[0])
    facts = inspector.sample_facts(result, "test", i)
    assert facts["Label"] == "virginica (test labels are clean)"
    assert facts["Prediction on the input (view 0)"] in result.class_names
    finals = inspector.final_rows(result, "test", i, 0.5, 0.95)
    assert {row["final class"] for row in finals} <= set(result.class_names)
    table = report.view_table(result)
    assert table["true_label"][i] == "virginica"
    fig = plots.map_figure(result, "confidence")
    names = {trace.name for trace in fig.data}
    assert {"training label setosa", "training label versicolor",
            "training label virginica"} <= names
    assert fig.layout.xaxis.title.text == "feature x1 (standardised)"


def test_label_noise_swaps_the_first_two_classes_of_the_training_labels_only(two_blobs):
    _, data, _ = two_blobs
    noisy = run_classification_upload(
        UploadedClassification(dataclasses.replace(FAST, label_noise=0.2), data))
    # Asymmetric pair (0, 1): round(0.2 · 60) = 12 flips per class of 60 training points.
    assert noisy.metrics["n_flipped"] == 24 == noisy.flipped.sum()
    assert np.all(noisy.y_train_noisy[noisy.flipped] == 1 - noisy.y_train[noisy.flipped])
    text = report.upload_summary(noisy, 0.2, "asymmetric")
    assert "20% of the training labels of classes 0 ↔ 1 are swapped (24 flipped)" in text


def test_split_is_stratified_when_possible_and_covers_every_row_once():
    y = np.repeat([0, 1, 2], [50, 10, 5])
    train, val, test = split_indices(y, seed=3)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(y.size))
    assert np.bincount(y[test], minlength=3).tolist() == [10, 2, 1]  # round(0.2 · n_c)
    assert np.bincount(y[val], minlength=3).tolist() == [10, 2, 1]
    # A class of 4 rows cannot give every split a point: one shuffle of all rows instead.
    y_small = np.repeat([0, 1], [16, 4])
    train, val, test = split_indices(y_small, seed=3)
    assert (train.size, val.size, test.size) == (12, 4, 4)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(y_small.size))


def test_one_input_column_is_refused_with_what_was_got(two_blobs):
    raw, _, _ = two_blobs
    one = _data(raw, inputs=("x1",))
    with pytest.raises(ValueError, match=r"two input columns.*Got 1: \('x1',\)"):
        run_classification_upload(UploadedClassification(FAST, one))


def test_one_class_is_refused_with_what_was_got(two_blobs):
    raw = _blobs_csv([(0, 0)], 30, ["only"])
    with pytest.raises(ValueError, match=r"at least two classes.*Got only 'only'"):
        _data(raw)
    _, data, _ = two_blobs
    single = dataclasses.replace(data, y=np.zeros_like(data.y), class_names=("only",),
                                 digest="single")
    with pytest.raises(ValueError, match=r"between 2 and 10 classes.*Got 1: \['only'\]"):
        run_classification_upload(UploadedClassification(FAST, single))


def test_the_noise_sweep_runs_on_the_users_data(two_blobs):
    _, data, _ = two_blobs
    sweep = run_noise_sweep_upload(UploadedClassification(FAST, data), rates=(0.0, 0.4),
                                   losses=("ce",), runs=1)
    assert sweep.test_accuracy.shape == (1, 2) and sweep.test_accuracy_runs.shape == (1, 2, 1)
    assert sweep.test_accuracy[0, 0] > 0.9  # clean labels on separated blobs
    assert np.isnan(sweep.flip_auroc[0, 0]) and not np.isnan(sweep.flip_auroc[0, 1])
