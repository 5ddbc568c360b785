"""Seeded train / validation / test splits of row indices: stratified, or one plain shuffle.

Every split of the lab goes through here: digits and 2-D toys (:mod:`labcore.data.classification`)
and a user's CSV (classification and regression). The caller passes the generator, so each
dataset keeps its own named random stream (:func:`labcore.device.rng_for`).

Example (hand-checkable: 5 rows of each class, 20 % to validation and 20 % to test):
    >>> from labcore.device import rng_for
    >>> y = np.array([0] * 5 + [1] * 5)
    >>> train, val, test = stratified_split(y, rng_for(0, "doc"), 0.2, 0.2)
    >>> [np.bincount(y[part]).tolist() for part in (train, val, test)]
    [[3, 3], [1, 1], [1, 1]]
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Indices = tuple[np.ndarray, np.ndarray, np.ndarray]


def stratified_split(
    y: np.ndarray,
    rng: np.random.Generator,
    val_fraction: float,
    test_fraction: float,
    *,
    first: Literal["test", "val"] = "test",
) -> Indices:
    """Each class shuffled and cut on its own, so every split keeps the class balance.

    Class c with n_c rows gives round(val_fraction · n_c) rows to validation,
    round(test_fraction · n_c) to test and the rest to training; each split is then shuffled.

    Args:
        y: (n,) class labels.
        rng: the generator of the dataset's split stream.
        val_fraction, test_fraction: shares of each class for validation and test.
        first: which held-out split takes the first rows of each class's shuffle. Digits and
            the 2-D toys cut the test rows first, a user's CSV the validation rows; each keeps
            its order so that a seed keeps giving the same split.

    Returns:
        ``(train, val, test)`` row indices that together hold every row once.
    """
    y = np.asarray(y)
    shares = {"val": val_fraction, "test": test_fraction}
    held_out = ("test", "val") if first == "test" else ("val", "test")
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        start = 0
        for name in held_out:
            stop = start + round(shares[name] * idx.size)
            parts[name].append(idx[start:stop])
            start = stop
        parts["train"].append(idx[start:])
    train, val, test = (rng.permutation(np.concatenate(parts[k])) for k in ("train", "val", "test"))
    return train, val, test


def shuffled_split(
    n: int,
    rng: np.random.Generator,
    val_fraction: float,
    test_fraction: float,
    min_size: int = 0,
) -> Indices:
    """One shuffle of all n rows, cut into validation, test and training (in that order).

    Args:
        n: number of rows.
        rng: the generator of the dataset's split stream.
        val_fraction, test_fraction: shares of the rows for validation and test.
        min_size: the fewest rows validation and test each get.

    Returns:
        ``(train, val, test)`` row indices that together hold every row once.
    """
    order = rng.permutation(n)
    n_val = max(min_size, round(val_fraction * n))
    n_test = max(min_size, round(test_fraction * n))
    val, test, train = np.split(order, [n_val, n_val + n_test])
    return train, val, test
