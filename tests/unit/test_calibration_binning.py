"""Top-label binning of labcore.calibration against the definition, written out as loops.

Uniform bin b of B holds the confidences c with edges[b] < c <= edges[b+1] (0 joins the first
bin); the prediction is argmax_k p_k with ties to the lowest class. A plain Python loop applies
that definition one prediction and one bin at a time, and the vectorised code must agree with
it, including confidences exactly on an edge and one ulp either side of it, and rows whose top
probabilities tie.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labcore.calibration import (
    expected_calibration_error,
    maximum_calibration_error,
    reliability_bins,
)


def _bin_of(c: float, edges: np.ndarray) -> int:
    """The bin b with edges[b] < c <= edges[b+1], by comparisons; c = 0 joins bin 0."""
    for b in range(len(edges) - 1):
        if edges[b] < c <= edges[b + 1]:
            return b
    return 0


def _ece_mce_loop(probs: np.ndarray, labels: np.ndarray, n_bins: int) -> tuple[float, float]:
    """Top-label ECE and MCE, one prediction and one bin at a time."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    members: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for row, label in zip(probs.tolist(), labels.tolist(), strict=True):
        predicted = max(range(len(row)), key=row.__getitem__)  # first maximum: lowest class
        members[_bin_of(max(row), edges)].append((max(row), predicted == label))
    ece, mce = 0.0, 0.0
    for inside in members:
        if inside:
            gap = abs(sum(hit for _, hit in inside) / len(inside)
                      - sum(c for c, _ in inside) / len(inside))
            ece += len(inside) / len(probs) * gap
            mce = max(mce, gap)
    return ece, mce


def _probs_with_ties(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Random softmax rows; every 7th row uniform and every 5th with its top two tied."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(n, k))
    z[::7] = 0.0
    top = np.argsort(z, axis=1)[:, -2:]
    rows = np.arange(0, n, 5)
    z[rows, top[rows, 0]] = z[rows, top[rows, 1]]
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return probs, rng.integers(0, k, size=n)


# --- bin edges --------------------------------------------------------------------------------


@pytest.mark.parametrize("n_bins", [1, 3, 7, 10, 15, 20, 49])
def test_confidences_on_and_one_ulp_beside_every_edge(n_bins):
    # An inner edge belongs to the bin below it; one ulp above belongs to the bin above it.
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    cases = [(0.0, 0), (np.nextafter(0.0, 1.0), 0), (1.0, n_bins - 1)]
    cases += [(np.nextafter(1.0, 0.0), n_bins - 1)]
    for b in range(1, n_bins):
        cases += [(edges[b], b - 1), (np.nextafter(edges[b], 2.0), b),
                  (np.nextafter(edges[b], -1.0), b - 1)]
    for c, expected in cases:
        counts = reliability_bins([c], [1], n_bins=n_bins).counts
        assert counts.tolist() == [int(b == expected) for b in range(n_bins)], c


@pytest.mark.parametrize("n_bins", [3, 7, 10, 49])
def test_fractions_b_over_n_bins_land_where_the_edges_say(n_bins):
    # b/B and linspace's edge b may differ by an ulp; the bin must follow the edges exactly.
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    values = np.arange(1, n_bins) / n_bins
    counts = reliability_bins(values, np.ones(values.size), n_bins=n_bins).counts
    expected = np.bincount([_bin_of(c, edges) for c in values], minlength=n_bins)
    assert counts.tolist() == expected.tolist()


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=50),
    hits=st.lists(st.booleans(), min_size=50, max_size=50),
    n_bins=st.integers(1, 40),
)
def test_reliability_bins_match_a_loop_for_any_confidences(values, hits, n_bins):
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    hits = hits[: len(values)]
    bins = reliability_bins(values, hits, n_bins=n_bins)
    for b in range(n_bins):
        inside = [i for i, c in enumerate(values) if _bin_of(c, edges) == b]
        assert bins.counts[b] == len(inside)
        if inside:
            assert bins.mean_confidence[b] == pytest.approx(np.mean([values[i] for i in inside]))
            assert bins.accuracy[b] == pytest.approx(np.mean([hits[i] for i in inside]))
        else:
            assert np.isnan(bins.mean_confidence[b]) and np.isnan(bins.accuracy[b])


# --- ties and the loop ------------------------------------------------------------------------


def test_ece_on_tied_rows_follows_argmax():
    # One uniform row labelled 1: argmax says class 0, so the prediction is wrong even though
    # p_label equals the maximum. ECE with one bin = |0 − 1/3|; labelled 0 it is |1 − 1/3|.
    probs = np.full((1, 3), 1 / 3)
    assert expected_calibration_error(probs, np.array([1]), n_bins=1) == pytest.approx(1 / 3)
    assert expected_calibration_error(probs, np.array([0]), n_bins=1) == pytest.approx(2 / 3)
    # Top two tied at 0.4 in classes 1 and 2: class 1 is the prediction.
    row = np.array([[0.2, 0.4, 0.4]])
    assert expected_calibration_error(row, np.array([1]), n_bins=1) == pytest.approx(1 - 0.4)
    assert expected_calibration_error(row, np.array([2]), n_bins=1) == pytest.approx(0.4)


@pytest.mark.parametrize(("n", "k", "n_bins"), [(203, 4, 15), (60, 2, 10), (500, 10, 7)])
def test_ece_and_mce_match_a_loop_on_rows_with_ties(n, k, n_bins):
    probs, labels = _probs_with_ties(n, n, k)
    top2 = np.sort(probs, axis=1)[:, -2:]
    assert (top2[:, 0] == top2[:, 1]).sum() >= n // 5  # the ties the loop must settle
    ece, mce = _ece_mce_loop(probs, labels, n_bins)
    assert expected_calibration_error(probs, labels, n_bins) == pytest.approx(ece, abs=1e-12)
    assert maximum_calibration_error(probs, labels, n_bins) == pytest.approx(mce, abs=1e-12)


def test_ece_matches_a_loop_with_confidences_on_the_edges():
    # Two-class rows whose confidence is exactly an edge of 10 bins, or one ulp beside it.
    edges = np.linspace(0.0, 1.0, 11)[5:]
    conf = np.concatenate([edges, np.nextafter(edges, 2.0)[:-1], np.nextafter(edges, 0.0)])
    probs = np.stack([conf, 1 - conf], axis=1)
    labels = np.arange(conf.size) % 2
    ece, mce = _ece_mce_loop(probs, labels, 10)
    assert expected_calibration_error(probs, labels, 10) == pytest.approx(ece, abs=1e-12)
    assert maximum_calibration_error(probs, labels, 10) == pytest.approx(mce, abs=1e-12)
