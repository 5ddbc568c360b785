"""Tests for labcore.losses against torch.distributions, torch.nn.functional and hand sums."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from labcore.losses import (
    beta_nll,
    brier,
    cross_entropy,
    gaussian_nll,
    mse,
    smooth_labels,
    uanll,
)


@pytest.fixture
def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(M=3, n=7) means, log-variances and targets in float64."""
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(3, 7, generator=gen, dtype=torch.float64)
    log_var = torch.randn(3, 7, generator=gen, dtype=torch.float64)
    y = torch.randn(3, 7, generator=gen, dtype=torch.float64)
    return mean, log_var, y


# --- Gaussian NLL, MSE, β-NLL -----------------------------------------------------------------


def _normal_nll(mean: torch.Tensor, log_var: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -torch.distributions.Normal(mean, torch.exp(log_var / 2)).log_prob(y)


def test_gaussian_nll_equals_normal_log_prob_for_every_reduction(batch):
    mean, log_var, y = batch
    expected = _normal_nll(mean, log_var, y)
    torch.testing.assert_close(gaussian_nll(mean, log_var, y, reduction="none"), expected)
    torch.testing.assert_close(gaussian_nll(mean, log_var, y), expected.mean())
    member = gaussian_nll(mean, log_var, y, reduction="member")
    assert member.shape == (3,)
    torch.testing.assert_close(member, expected.mean(dim=1))


def test_gaussian_nll_hand_value():
    # μ = 1, s = log 4 (σ = 2), y = 3: ½(log 2π + log 4 + 4/4).
    value = gaussian_nll(torch.tensor([1.0]), torch.tensor([math.log(4.0)]), torch.tensor([3.0]))
    assert value.item() == pytest.approx(0.5 * (math.log(2 * math.pi) + math.log(4.0) + 1.0))


def test_unknown_reduction_raises(batch):
    mean, log_var, y = batch
    with pytest.raises(ValueError, match=r"reduction must be .* Got 'sum'\."):
        gaussian_nll(mean, log_var, y, reduction="sum")


def test_mse_matches_torch_functional(batch):
    mean, _, y = batch
    torch.testing.assert_close(mse(mean, y), F.mse_loss(mean, y))
    expected_none = F.mse_loss(mean, y, reduction="none")
    torch.testing.assert_close(mse(mean, y, reduction="none"), expected_none)
    expected = torch.stack([F.mse_loss(mean[i], y[i]) for i in range(3)])
    torch.testing.assert_close(mse(mean, y, reduction="member"), expected)


def test_beta_nll_with_beta_zero_is_gaussian_nll_in_value_and_gradient(batch):
    mean, log_var, y = batch
    grads = []
    for loss in (lambda m, s: beta_nll(m, s, y, beta=0.0), lambda m, s: gaussian_nll(m, s, y)):
        m, s = mean.clone().requires_grad_(), log_var.clone().requires_grad_()
        value = loss(m, s)
        value.backward()
        grads.append((value.detach(), m.grad, s.grad))
    for a, b in zip(grads[0], grads[1], strict=True):
        torch.testing.assert_close(a, b)


def test_beta_nll_value_is_nll_weighted_by_variance_to_the_beta(batch):
    mean, log_var, y = batch
    expected = _normal_nll(mean, log_var, y) * torch.exp(log_var) ** 0.5
    torch.testing.assert_close(beta_nll(mean, log_var, y, beta=0.5, reduction="none"), expected)


def test_beta_nll_with_beta_one_gives_the_mean_half_the_mse_gradient(batch):
    # d/dμ of σ²·½(y−μ)²/σ² averaged over m samples is (μ − y)/m, i.e. ½ of MSE's 2(μ − y)/m;
    # the weight is stop-gradient, so d/ds = σ²·½(1 − (y−μ)²e^{−s})/m.
    mean, log_var, y = batch
    m, s = mean.clone().requires_grad_(), log_var.clone().requires_grad_()
    beta_nll(m, s, y, beta=1.0).backward()
    n = mean.numel()
    torch.testing.assert_close(m.grad, (mean - y) / n)
    expected_s = torch.exp(log_var) * 0.5 * (1 - (y - mean) ** 2 * torch.exp(-log_var)) / n
    torch.testing.assert_close(s.grad, expected_s)
    m_mse = mean.clone().requires_grad_()
    mse(m_mse, y).backward()
    torch.testing.assert_close(m.grad, m_mse.grad / 2)


@pytest.mark.parametrize("beta", [-0.1, 1.5])
def test_beta_outside_unit_interval_raises(batch, beta):
    mean, log_var, y = batch
    with pytest.raises(ValueError, match=rf"beta must be between 0 and 1\. Got {beta}\."):
        beta_nll(mean, log_var, y, beta=beta)


# --- label smoothing and cross-entropy --------------------------------------------------------


def test_smooth_labels_hand_case():
    # N = 4, ε = 0.3: 0.7 on the true class, 0.3/3 = 0.1 elsewhere.
    targets = smooth_labels(torch.tensor([2, 0]), 4, eps=0.3)
    expected = torch.tensor([[0.1, 0.1, 0.7, 0.1], [0.7, 0.1, 0.1, 0.1]])
    torch.testing.assert_close(targets, expected)


@pytest.mark.parametrize("eps", [0.0, 0.05, 0.5, 0.9])
def test_smooth_labels_rows_sum_to_one(eps):
    labels = torch.arange(10) % 10
    targets = smooth_labels(labels, 10, eps=eps)
    assert targets.shape == (10, 10)
    torch.testing.assert_close(targets.sum(dim=1), torch.ones(10))
    torch.testing.assert_close(targets[torch.arange(10), labels], torch.full((10,), 1 - eps))
    off = ~F.one_hot(labels, 10).bool()
    torch.testing.assert_close(targets[off], torch.full((90,), eps / 9))


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.4, 1.0])
def test_pytorch_label_smoothing_alpha_is_eps_alpha_times_n_minus_1_over_n(alpha):
    gen = torch.Generator().manual_seed(1)
    n_classes = 5
    logits = torch.randn(12, n_classes, generator=gen)
    labels = torch.randint(0, n_classes, (12,), generator=gen)
    eps = alpha * (n_classes - 1) / n_classes
    ours = cross_entropy(logits, smooth_labels(labels, n_classes, eps=eps))
    theirs = F.cross_entropy(logits, labels, label_smoothing=alpha)
    torch.testing.assert_close(ours, theirs)


def test_cross_entropy_member_reduction_matches_a_loop():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 8, 4, generator=gen)
    labels = torch.randint(0, 4, (8,), generator=gen)
    expected = torch.stack([F.cross_entropy(logits[i], labels) for i in range(3)])
    got = cross_entropy(logits, smooth_labels(labels, 4), reduction="member")
    torch.testing.assert_close(got, expected)


def test_smooth_labels_validation():
    with pytest.raises(ValueError, match=r"n_classes must be at least 2\. Got 1\."):
        smooth_labels(torch.tensor([0]), 1)
    with pytest.raises(ValueError, match=r"eps must be between 0 and .* Got 0\.8\."):
        smooth_labels(torch.tensor([0]), 4, eps=0.8)  # 1 − 1/4 = 0.75 is the largest ε
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2\. Got values from 0 to 3\."):
        smooth_labels(torch.tensor([0, 3]), 3)


# --- UANLL -----------------------------------------------------------------------------------


def test_uanll_hand_case():
    # Sample 1: h = (0.7, 0.2, 0.1), class 0, s = 0:     SSE = 0.09 + 0.04 + 0.01 = 0.14.
    # Sample 2: h = (0.1, 0.1, 0.8), class 2, s = log 2: SSE = 0.01 + 0.01 + 0.04 = 0.06.
    # L = 1/(2·2)·(e^0·0.14 + 3·0 + e^{−log 2}·0.06 + 3·log 2).
    h = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=torch.float64)
    s = torch.tensor([0.0, math.log(2.0)], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    expected = (0.14 + 0.0 + 0.06 / 2 + 3 * math.log(2.0)) / 4
    assert uanll(h, s, y).item() == pytest.approx(expected, rel=1e-12)
    per_sample = uanll(h, s, y, reduction="none")
    torch.testing.assert_close(
        per_sample, torch.tensor([0.14 / 2, (0.03 + 3 * math.log(2.0)) / 2], dtype=torch.float64)
    )


def test_uanll_minimiser_over_s_is_log_of_sse_over_n():
    gen = torch.Generator().manual_seed(3)
    h = torch.softmax(torch.randn(6, 4, generator=gen, dtype=torch.float64), dim=1)
    y = smooth_labels(torch.tensor([0, 1, 2, 3, 0, 1]), 4).double()
    s_star = torch.log(((y - h) ** 2).sum(dim=1) / 4)
    s = s_star.clone().requires_grad_()
    uanll(h, s, y).backward()
    torch.testing.assert_close(s.grad, torch.zeros(6, dtype=torch.float64), atol=1e-12, rtol=0)
    # Grid search per sample: the best grid point is within one grid step (0.001) of s*.
    grid = torch.linspace(-8.0, 2.0, 10001, dtype=torch.float64)
    for i in range(6):
        values = uanll(h[i].expand(len(grid), 4), grid, y[i].expand(len(grid), 4), "none")
        assert grid[values.argmin()].item() == pytest.approx(s_star[i].item(), abs=1e-3)


@pytest.mark.parametrize("s_value", [-12.0, 12.0])
def test_gradients_are_finite_at_the_log_variance_limits(s_value):
    gen = torch.Generator().manual_seed(4)
    h = torch.softmax(torch.randn(5, 3, generator=gen), dim=1).requires_grad_()
    s = torch.full((5,), s_value, requires_grad=True)
    y = smooth_labels(torch.tensor([0, 1, 2, 0, 1]), 3)
    uanll(h, s, y).backward()
    assert torch.isfinite(h.grad).all() and torch.isfinite(s.grad).all()
    mean = torch.randn(5, generator=gen, requires_grad=True)
    log_var = torch.full((5,), s_value, requires_grad=True)
    gaussian_nll(mean, log_var, torch.randn(5, generator=gen)).backward()
    assert torch.isfinite(mean.grad).all() and torch.isfinite(log_var.grad).all()


# --- Brier -----------------------------------------------------------------------------------


def test_brier_matches_a_naive_loop():
    gen = torch.Generator().manual_seed(5)
    probs = torch.softmax(torch.randn(9, 4, generator=gen, dtype=torch.float64), dim=1)
    targets = F.one_hot(torch.randint(0, 4, (9,), generator=gen), 4).double()
    per_sample = []
    for i in range(9):
        total = 0.0
        for k in range(4):
            total += (probs[i, k].item() - targets[i, k].item()) ** 2
        per_sample.append(total)
    assert brier(probs, targets).item() == pytest.approx(sum(per_sample) / 9, rel=1e-12)
    got = brier(probs, targets, reduction="none")
    torch.testing.assert_close(got, torch.tensor(per_sample, dtype=torch.float64))


def test_brier_extremes():
    # A confident right answer scores 0; a confident wrong answer scores 1 + 1 = 2.
    targets = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    probs = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    torch.testing.assert_close(brier(probs, targets, "none"), torch.tensor([0.0, 2.0]))
