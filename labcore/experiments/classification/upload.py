"""The Classification lab on a user's CSV: two numeric columns and a label column.

The user's points are split 60 / 20 / 20 (stratified by class when every class has enough
points), standardised with the training split's mean and standard deviation, and then run
through exactly the pipeline of the generated 2-D toys (:func:`run_on_data`): label noise on the
training labels, jittered test-time views, a decision map reaching 25 % beyond the data.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from labcore.budget import check_computation
from labcore.data.classification import ClassificationData
from labcore.data.splits import shuffled_split, stratified_split
from labcore.data.user_csv import MAX_CLASSES, UserData
from labcore.device import rng_for
from labcore.errors import FileError
from labcore.experiments.classification import cost
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import ClassificationResult, run_on_data
from labcore.models.train import Progress

VAL_FRACTION = 0.2
TEST_FRACTION = 0.2
MAP_MARGIN = 0.25  # the decision map reaches this share of the data's range beyond it
MIN_PER_CLASS = 5  # a class with fewer points cannot give every split one: no stratification
MIN_SPLIT = 2  # least points in the validation and in the test split of an unstratified split
DATASET_NAME = "upload"


@dataclasses.dataclass(frozen=True)
class UploadedClassification:
    """A run on a user's CSV: the model settings and the data; both form the cache key.

    The data settings of ``config`` (dataset, toy points, class overlap) are unused.
    """

    config: ClassificationConfig
    data: UserData


def n_classes_of(data: UserData) -> int:
    """K, the number of classes: the named classes, or the largest index + 1 without names."""
    if data.class_names:
        return len(data.class_names)
    return int(np.max(data.y)) + 1 if np.size(data.y) else 0


def check_upload(data: UserData) -> int:
    """K of a user's data, after checking that the classifier can train on them.

    Raises:
        FileError: not exactly two input columns, labels that are not class indices
            0..K−1, or fewer than 2 or more than MAX_CLASSES classes.
        ValueError: labels that are not one whole number per row
            (:func:`~labcore.data.user_csv.prepare` makes them so; else it is the lab's bug).
    """
    if data.x.ndim != 2 or data.x.shape[1] != 2:
        n_inputs = data.x.shape[1] if data.x.ndim == 2 else data.x.ndim
        raise FileError(
            f"Classification uses two input columns (x1, x2). Got {n_inputs}: "
            f"{data.columns[:-1]}."
        )
    y = np.asarray(data.y)
    if y.shape != (data.x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"Class labels must be one whole number per row. Got dtype {y.dtype}, "
            f"shape {y.shape} for {data.x.shape[0]} rows."
        )
    k = n_classes_of(data)
    present = np.unique(y)
    if not 2 <= k <= MAX_CLASSES or present.size < 2:
        names = data.class_names or tuple(str(c) for c in present)
        raise FileError(
            f"Classification needs between 2 and {MAX_CLASSES} classes, each with at least "
            f"one row. Got {present.size}: {list(names)}."
        )
    if present.min() < 0 or present.max() >= k:
        raise FileError(f"Class indices must lie in 0..{k - 1}. Got {present.tolist()}.")
    return k


def split_indices(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of the train, validation and test splits (60 / 20 / 20, seeded).

    Stratified (each class split 60 / 20 / 20 on its own) when every class has at least
    MIN_PER_CLASS rows; otherwise one shuffle of all rows, with at least MIN_SPLIT rows each in
    validation and test.

    Args:
        y: (n,) class indices.
        seed: seeds the shuffles.

    Returns:
        ``(train, val, test)`` index arrays that together hold every row once.
    """
    rng = rng_for(seed, "upload-split")
    if np.unique(y, return_counts=True)[1].min() >= MIN_PER_CLASS:
        return stratified_split(y, rng, VAL_FRACTION, TEST_FRACTION, first="val")
    return shuffled_split(y.size, rng, VAL_FRACTION, TEST_FRACTION, min_size=MIN_SPLIT)


def uploaded_data(data: UserData, seed: int) -> ClassificationData:
    """A user's points as the lab's splits, standardised with the training split's statistics.

    Each input column becomes (x − mean) / std with the mean and std of the training rows (a
    constant column is only centred).

    Raises:
        FileError: see :func:`check_upload`.
    """
    k = check_upload(data)
    y = np.asarray(data.y, dtype=np.int64)
    train, val, test = split_indices(y, seed)
    mu = data.x[train].mean(axis=0)
    sd = data.x[train].std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)

    def scaled(idx: np.ndarray) -> np.ndarray:
        return ((data.x[idx] - mu) / sd).astype(np.float32)

    return ClassificationData(
        x_train=scaled(train), y_train=y[train], x_val=scaled(val), y_val=y[val],
        x_test=scaled(test), y_test=y[test], n_classes=k, image_shape=None,
        name=DATASET_NAME,
    )


def class_names_of(data: UserData) -> tuple[str, ...]:
    """The label of each class index (the indices themselves when the data carry no names)."""
    return data.class_names or tuple(str(k) for k in range(n_classes_of(data)))


def run_classification_upload(
    run: UploadedClassification, progress: Progress | None = None
) -> ClassificationResult:
    """Like :func:`~labcore.experiments.classification.run.run_classification` on a user's data.

    The points are split and standardised by :func:`uploaded_data`; K is the number of
    classes in the file; label noise (if configured) flips training labels only, and
    asymmetric noise swaps the first two classes. Test-time views are jittered points, and the
    decision map covers the data ± MAP_MARGIN of their range.

    Raises:
        SettingError: not two input columns, fewer than 2 or more than 10 classes (a
            FileError), too long a training, or training diverged (the message says what to
            change).
    """
    data = uploaded_data(run.data, run.config.seed)
    check_computation(cost.run_parts(run.config, data), cost.ADVICE)  # on the file's size
    return run_on_data(
        run.config, data, progress, map_margin=MAP_MARGIN,
        class_names=class_names_of(run.data),
        feature_names=(run.data.columns[0], run.data.columns[1]),
    )
