"""Tests for labcore.uncertainty: hand-derived cases, naive loops, torch cross-checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from labcore.uncertainty.decomposition import (
    certainty_from_log_var,
    confidence,
    entropy_decomposition,
    predictive_entropy,
    variance_decomposition,
)


def _dirichlet(rng: np.random.Generator, shape: tuple[int, ...], k: int) -> np.ndarray:
    return rng.dirichlet(np.full(k, 0.7), size=shape)


# --- variance decomposition -------------------------------------------------------------------


def test_variance_decomposition_hand_case():
    # Two members at one point: N(1, 0.5) and N(3, 1.5).
    mean, aleatoric, epistemic = variance_decomposition([[1.0], [3.0]], [[0.5], [1.5]])
    assert mean == pytest.approx([2.0])
    assert aleatoric == pytest.approx([(0.5 + 1.5) / 2])
    assert epistemic == pytest.approx([((1 - 2) ** 2 + (3 - 2) ** 2) / 2])  # ddof = 0


def test_variance_decomposition_is_the_mixture_variance_by_a_naive_loop():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(7, 5))
    variances = rng.uniform(0.1, 2.0, size=(7, 5))
    mean, aleatoric, epistemic = variance_decomposition(means, variances)
    for i in range(5):
        first = sum(means[s, i] for s in range(7)) / 7
        second = sum(variances[s, i] + means[s, i] ** 2 for s in range(7)) / 7  # E[y²]
        assert mean[i] == pytest.approx(first)
        assert aleatoric[i] + epistemic[i] == pytest.approx(second - first**2)


def test_variance_decomposition_matches_sampling_from_the_mixture():
    rng = np.random.default_rng(1)
    means = np.array([[0.0], [2.0], [5.0]])
    variances = np.array([[1.0], [0.25], [4.0]])
    member = rng.integers(0, 3, size=400_000)
    draws = rng.normal(means[member, 0], np.sqrt(variances[member, 0]))
    _, aleatoric, epistemic = variance_decomposition(means, variances)
    assert aleatoric[0] + epistemic[0] == pytest.approx(draws.var(), rel=0.01)


def test_epistemic_variance_is_zero_when_members_agree():
    means = np.tile(np.array([[0.3, -1.0, 2.0]]), (4, 1))
    variances = np.tile(np.array([[0.1, 0.2, 0.3]]), (4, 1))
    _, aleatoric, epistemic = variance_decomposition(means, variances)
    assert epistemic == pytest.approx([0.0, 0.0, 0.0])
    assert aleatoric == pytest.approx([0.1, 0.2, 0.3])


def test_variance_decomposition_rejects_bad_input():
    with pytest.raises(ValueError, match="means and variances must have the same shape"):
        variance_decomposition(np.zeros((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="variances must be ≥ 0"):
        variance_decomposition(np.zeros((2, 2)), [[1.0, -0.1], [1.0, 1.0]])
    with pytest.raises(ValueError, match="means must be a 2-D array"):
        variance_decomposition(np.zeros(3), np.ones(3))


# --- entropy decomposition --------------------------------------------------------------------


def test_entropy_decomposition_hand_cases():
    # Point 0: two confident members that disagree -> all epistemic.
    # Point 1: two members that both say 50/50 -> all aleatoric.
    samples = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]])
    total, aleatoric, epistemic = entropy_decomposition(samples)
    assert total == pytest.approx([math.log(2), math.log(2)])
    assert aleatoric == pytest.approx([0.0, math.log(2)])
    assert epistemic == pytest.approx([math.log(2), 0.0])


def test_entropy_identity_and_mutual_information_as_mean_kl():
    rng = np.random.default_rng(2)
    samples = _dirichlet(rng, (6, 50), 4)
    total, aleatoric, epistemic = entropy_decomposition(samples)
    assert np.all(epistemic >= 0)
    assert total == pytest.approx(aleatoric + epistemic)
    # Mutual information = (1/S) Σ_s KL(p_s || p̄), an independent formula.
    p_bar = samples.mean(axis=0)
    kl = np.sum(samples * (np.log(samples) - np.log(p_bar)), axis=-1).mean(axis=0)
    assert epistemic == pytest.approx(kl, abs=1e-10)


def test_entropies_match_torch_categorical():
    rng = np.random.default_rng(3)
    samples = _dirichlet(rng, (5, 20), 3)
    total, aleatoric, _ = entropy_decomposition(samples)
    torch_total = torch.distributions.Categorical(probs=torch.tensor(samples.mean(0))).entropy()
    torch_each = torch.distributions.Categorical(probs=torch.tensor(samples)).entropy()
    assert total == pytest.approx(torch_total.numpy(), abs=1e-10)
    assert aleatoric == pytest.approx(torch_each.mean(0).numpy(), abs=1e-10)


def test_epistemic_entropy_is_zero_when_samples_agree():
    rng = np.random.default_rng(4)
    one = _dirichlet(rng, (1, 10), 5)
    total, aleatoric, epistemic = entropy_decomposition(np.repeat(one, 8, axis=0))
    assert epistemic == pytest.approx(np.zeros(10), abs=1e-12)
    assert total == pytest.approx(aleatoric)


def test_zero_probabilities_give_finite_entropy():
    samples = np.array([[[1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]]])
    total, aleatoric, epistemic = entropy_decomposition(samples)
    assert (total[0], aleatoric[0], epistemic[0]) == (0.0, 0.0, 0.0)


def test_entropy_decomposition_rejects_bad_input():
    with pytest.raises(ValueError, match="prob_samples must be probabilities in"):
        entropy_decomposition(np.full((2, 3, 2), 1.5))
    with pytest.raises(ValueError, match="prob_samples must be a 3-D array"):
        entropy_decomposition(np.full((3, 2), 0.5))


# --- confidence, entropy, certainty -----------------------------------------------------------


def test_confidence_and_predictive_entropy_hand_cases():
    probs = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    assert confidence(probs) == pytest.approx([0.8, 0.5, 1.0])
    expected = [-(0.2 * math.log(0.2) + 0.8 * math.log(0.8)), math.log(2), 0.0]
    assert predictive_entropy(probs) == pytest.approx(expected)
    assert predictive_entropy(np.full((1, 10), 0.1)) == pytest.approx([math.log(10)])


def test_confidence_rejects_negative_probabilities():
    with pytest.raises(ValueError, match="probs must be probabilities in"):
        confidence([[-0.5, 1.5]])


def test_certainty_hand_values():
    # 1/(1 + σ²): σ² = e^0 = 1 -> 1/2, σ² = 3 -> 1/4, σ² = 1/3 -> 3/4.
    s = np.array([0.0, math.log(3), -math.log(3)])
    assert certainty_from_log_var(s) == pytest.approx([1 / 2, 1 / 4, 3 / 4])


def test_certainty_matches_torch_sigmoid_and_is_stable():
    s = np.linspace(-50, 50, 201)
    expected = torch.sigmoid(-torch.tensor(s, dtype=torch.float64)).numpy()
    assert certainty_from_log_var(s) == pytest.approx(expected, rel=1e-12, abs=0)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        extreme = certainty_from_log_var(np.array([-1000.0, 1000.0]))
    assert extreme[0] == 1.0
    assert extreme[1] == pytest.approx(0.0, abs=1e-300)
    assert certainty_from_log_var(np.zeros((2, 3))).shape == (2, 3)


def test_certainty_rejects_nan():
    with pytest.raises(ValueError, match="log_var must not contain NaN"):
        certainty_from_log_var([0.0, math.nan])
