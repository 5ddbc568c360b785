"""Tests for labcore.ood_scores: scores of S sampled predictions against hand values, torch,
naive loops, the single-network scores of labcore.ood, and the invariances theory gives."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from labcore.ood import detection as ood
from labcore.ood.scores import SCORE_NAMES, neg_mutual_information, ood_score, uanll_certainty


def _logits(seed: int, s: int = 4, n: int = 30, k: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 3.0, (s, n, k))


def test_mutual_information_hand_cases():
    # Two members, each certain, of different classes: H[½, ½] − mean(0, 0) = log 2.
    disagree = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    assert neg_mutual_information(disagree)[0] == pytest.approx(-math.log(2))
    # Members that agree have no mutual information, however uncertain each is.
    agree = np.array([[[0.3, 0.7]], [[0.3, 0.7]]])
    assert neg_mutual_information(agree)[0] == pytest.approx(0.0, abs=1e-12)
    # p1 = (1, 0), p2 = (½, ½): mean (¾, ¼); H = −¾ log ¾ − ¼ log ¼; mean H = ½ log 2.
    half = np.array([[[1.0, 0.0]], [[0.5, 0.5]]])
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) - 0.5 * math.log(2)
    assert neg_mutual_information(half)[0] == pytest.approx(-expected)


def test_mutual_information_matches_a_naive_loop():
    probs = torch.softmax(torch.as_tensor(_logits(0)), dim=-1).numpy()
    s, n, k = probs.shape
    expected = []
    for i in range(n):
        mean = [sum(probs[j, i, c] for j in range(s)) / s for c in range(k)]
        total = -sum(p * math.log(p) for p in mean)
        each = [-sum(probs[j, i, c] * math.log(probs[j, i, c]) for c in range(k)) for j in range(s)]
        expected.append(-(total - sum(each) / s))
    assert neg_mutual_information(probs) == pytest.approx(np.array(expected), abs=1e-10)


@pytest.mark.parametrize("name", ["max_softmax", "max_logit", "neg_entropy", "neg_energy"])
def test_one_network_gives_the_single_network_scores_of_labcore_ood(name):
    z = _logits(1, s=1)
    single = {"max_softmax": ood.max_softmax, "max_logit": ood.max_logit,
              "neg_entropy": ood.neg_entropy, "neg_energy": ood.neg_energy}[name]
    assert ood_score(name, z) == pytest.approx(single(z[0]), abs=1e-12)


def test_ensemble_scores_match_torch():
    z = torch.as_tensor(_logits(2))
    mean_p = torch.softmax(z, dim=-1).mean(dim=0)
    assert ood_score("max_softmax", z.numpy()) == pytest.approx(
        mean_p.max(dim=-1).values.numpy(), abs=1e-12)
    assert ood_score("neg_entropy", z.numpy()) == pytest.approx(
        -torch.distributions.Categorical(probs=mean_p).entropy().numpy(), abs=1e-12)
    assert ood_score("neg_energy", z.numpy()) == pytest.approx(
        torch.logsumexp(z, dim=-1).mean(dim=0).numpy(), abs=1e-12)
    assert ood_score("max_logit", z.numpy()) == pytest.approx(
        z.max(dim=-1).values.mean(dim=0).numpy(), abs=1e-12)


def test_temperature_divides_the_logits():
    z = _logits(3)
    for name in ("max_softmax", "neg_entropy", "neg_mutual_info"):
        assert ood_score(name, z, temperature=2.0) == pytest.approx(ood_score(name, z / 2.0))
    # −E_T = T·logsumexp(z/T)
    assert ood_score("neg_energy", z, temperature=2.0) == pytest.approx(
        2.0 * ood_score("neg_energy", z / 2.0))


def test_scores_under_a_constant_added_to_each_members_logits():
    # Softmax ignores a constant added to all of one member's logits, so scores built from
    # probabilities do not move; max logit and −energy move by the members' mean constant.
    z = _logits(4)
    c = np.array([5.0, -2.0, 0.5, 10.0])[:, None, None]
    for name in ("max_softmax", "neg_entropy", "neg_mutual_info"):
        assert ood_score(name, z + c) == pytest.approx(ood_score(name, z), abs=1e-10)
    for name in ("max_logit", "neg_energy"):
        assert ood_score(name, z + c) == pytest.approx(ood_score(name, z) + c.mean(), abs=1e-10)


def test_uanll_certainty_hand_values():
    # 1/(1 + e^s): s = 0 → ½, s = log 3 → ¼; two samples are averaged.
    assert uanll_certainty(np.array([0.0, math.log(3)])) == pytest.approx([0.5, 0.25])
    assert uanll_certainty(np.array([[0.0], [math.log(3)]])) == pytest.approx([0.375])
    z = np.zeros((1, 2, 3))
    assert ood_score("uanll_certainty", z, log_var=np.array([[0.0, math.log(3)]])) == (
        pytest.approx([0.5, 0.25]))


def test_every_score_is_higher_for_a_confident_agreeing_prediction():
    confident = np.tile(np.array([[[8.0, 0.0, 0.0]]]), (3, 1, 1))  # 3 members agree
    unsure = np.array([[[4.0, 0.0, 0.0]], [[0.0, 4.0, 0.0]], [[0.0, 0.0, 4.0]]])
    for name in SCORE_NAMES[:-1]:
        assert ood_score(name, confident)[0] > ood_score(name, unsure)[0], name


def test_bad_inputs_are_rejected():
    z = _logits(5)
    with pytest.raises(ValueError, match=r"at least two ensemble members .* Got S = 1\."):
        ood_score("neg_mutual_info", z[:1])
    with pytest.raises(ValueError, match="UANLL certainty needs a model trained with"):
        ood_score("uanll_certainty", z)
    with pytest.raises(ValueError, match=r"logits must be a non-empty \(S, n, K\) array"):
        ood_score("max_softmax", z[0])
    with pytest.raises(ValueError, match=r"Score must be one of .* Got 'odin'"):
        ood_score("odin", z)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"log_var must be a non-empty \(n,\) or \(S, n\)"):
        uanll_certainty(np.zeros((1, 2, 3)))
