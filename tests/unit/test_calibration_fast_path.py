"""The fast paths of labcore.calibration against straightforward references.

Equal-width bin indices are checked against ``np.searchsorted`` on the edges (the definition:
bin b holds edges[b] < c <= edges[b+1]), including values exactly on an edge and one ulp
either side. The blocked top-label pass (confidence and correctness without an argmax) is
checked against ``argmax`` per row, with blocks forced small so that a block boundary, a last
partial block and rows whose top probabilities tie all occur.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labcore.calibration.classification as cc


def _reference_bins(values: np.ndarray, n_bins: int) -> np.ndarray:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.clip(np.searchsorted(edges, values, side="left") - 1, 0, n_bins - 1)


@pytest.mark.parametrize("n_bins", [1, 3, 7, 10, 15, 20, 49])
def test_bin_index_on_and_beside_every_edge(n_bins):
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    values = np.concatenate(
        [edges, np.nextafter(edges, 2.0), np.nextafter(edges, -1.0), np.arange(1, n_bins) / n_bins]
    )
    values = np.clip(values, 0.0, 1.0)
    index, got_edges = cc._uniform_bin_index(values, n_bins)
    assert np.array_equal(got_edges, edges)
    assert np.array_equal(index, _reference_bins(values, n_bins))


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=50),
    n_bins=st.integers(1, 40),
)
def test_bin_index_matches_searchsorted_for_any_values(values, n_bins):
    values = np.asarray(values)
    assert np.array_equal(cc._uniform_bin_index(values, n_bins)[0], _reference_bins(values, n_bins))


def test_bin_index_keeps_the_shape_of_a_matrix():
    values = np.array([[0.0, 0.5], [0.51, 1.0]])
    index, _ = cc._uniform_bin_index(values, 2)
    assert index.tolist() == [[0, 0], [1, 1]]


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


@pytest.mark.parametrize("block_elements", [1, 12, 50, 1 << 19])
def test_blocked_top_label_equals_argmax_per_row(monkeypatch, block_elements):
    monkeypatch.setattr(cc, "_BLOCK_ELEMENTS", block_elements)
    probs, labels = _probs_with_ties(0, 203, 4)
    # The data has ties, so the fast path must settle them like argmax (lowest index wins).
    assert (np.sort(probs, axis=1)[:, -1] == np.sort(probs, axis=1)[:, -2]).sum() >= 40
    confidence, hit = cc._top_label(probs, labels)
    assert np.array_equal(confidence, probs.max(axis=1))
    assert np.array_equal(hit, probs.argmax(axis=1) == labels)


def test_ece_on_tied_rows_follows_argmax():
    # One uniform row labelled 1: argmax says class 0, so the prediction is wrong even though
    # p_label equals the maximum. ECE with one bin = |0 − 1/3|.
    probs = np.full((1, 3), 1 / 3)
    assert cc.expected_calibration_error(probs, np.array([1]), n_bins=1) == pytest.approx(1 / 3)
    assert cc.expected_calibration_error(probs, np.array([0]), n_bins=1) == pytest.approx(2 / 3)


@pytest.mark.parametrize("block_elements", [6, 1 << 19])
def test_blocked_pass_refuses_bad_input_with_the_same_messages(monkeypatch, block_elements):
    monkeypatch.setattr(cc, "_BLOCK_ELEMENTS", block_elements)
    good = np.array([[0.5, 0.5], [0.2, 0.8], [1.0, 0.0], [0.3, 0.7]])
    labels = np.array([0, 1, 0, 1])
    cases = [
        (np.where(np.arange(8).reshape(4, 2) == 7, np.nan, good), "only finite numbers. Got nan"),
        (np.where(np.arange(8).reshape(4, 2) == 6, -np.inf, good), "only finite numbers. Got -inf"),
        (good * [[1.0], [1.0], [1.0], [1.01]], "summing to 1.01"),
        (good - [[0, 0], [0, 0], [0, 0], [0.31, -0.31]], "values from -0.01 to 1.01"),
    ]
    for probs, message in cases:
        with pytest.raises(ValueError, match=message):
            cc.expected_calibration_error(probs, labels)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]\. Got 0 to 2"):
        cc.expected_calibration_error(good, np.array([0, 1, 2, 1]))


def test_read_only_input_is_accepted_without_a_warning(recwarn):
    probs, labels = _probs_with_ties(1, 30, 3)
    probs.setflags(write=False)
    expected = cc.expected_calibration_error(probs.copy(), labels)
    assert cc.expected_calibration_error(probs, labels) == expected
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
