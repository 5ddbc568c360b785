"""Tests for labcore.models.BatchedMLP: shapes, members as plain nets, init, dropout."""

from __future__ import annotations

import math

import pytest
import torch

from labcore.models.mlp import BatchedMLP


def test_output_shapes_for_shared_and_per_member_inputs():
    model = BatchedMLP(3, in_dim=4, out_dim=2, hidden=8, n_layers=2)
    assert model(torch.randn(5, 4)).shape == (3, 5, 2)
    assert model(torch.randn(3, 5, 4)).shape == (3, 5, 2)


def test_parameters_and_outputs_live_on_the_requested_device(device):
    model = BatchedMLP(2, in_dim=3, out_dim=1, hidden=8, dropout=0.2, device=device)
    assert all(p.device.type == device.type for p in model.parameters())
    out = model(torch.randn(4, 3, device=device), dropout=True)
    assert out.device.type == device.type and out.shape == (2, 4, 1)
    torch.testing.assert_close(
        model.member(1)(torch.ones(1, 3, device=device)).cpu(),
        model(torch.ones(1, 3, device=device), dropout=False)[1].cpu(),
    )


def test_shared_input_equals_the_same_input_given_to_every_member():
    model = BatchedMLP(3, in_dim=4, out_dim=2, hidden=8, n_layers=2)
    x = torch.randn(5, 4)
    torch.testing.assert_close(model(x), model(x.expand(3, 5, 4).contiguous()))


@pytest.mark.parametrize("n_layers", [1, 3])
def test_member_is_a_plain_network_giving_the_same_outputs(n_layers):
    model = BatchedMLP(4, in_dim=3, out_dim=2, hidden=16, n_layers=n_layers, seed=7)
    x = torch.randn(11, 3)
    out = model(x)
    for i in range(4):
        net = model.member(i)
        assert isinstance(net, torch.nn.Sequential)
        assert sum(isinstance(m, torch.nn.Linear) for m in net) == n_layers + 1
        torch.testing.assert_close(net(x), out[i])


def test_members_are_different_networks():
    model = BatchedMLP(2, in_dim=1, out_dim=1, hidden=8)
    out = model(torch.linspace(-1, 1, 5)[:, None])
    assert not torch.allclose(out[0], out[1])


def test_init_is_uniform_within_one_over_sqrt_fan_in():
    # Like nn.Linear: U(−1/√d_in, 1/√d_in). With M·d_in·d_out draws the extremes come close to
    # the bound: P(all of k draws below 0.9·bound in |·|) = 0.9^k, negligible for k ≥ 64.
    model = BatchedMLP(4, in_dim=3, out_dim=2, hidden=32, n_layers=2, seed=0)
    fan_ins = [3, 32, 32]
    for w, b, d_in in zip(model.weights, model.biases, fan_ins, strict=True):
        bound = 1 / math.sqrt(d_in)
        assert w.shape[1] == d_in
        assert w.abs().max().item() <= bound
        assert b.abs().max().item() <= bound
        assert w.abs().max().item() >= 0.9 * bound
        # Mean of U(−a, a) is 0 with std a/√3; with k draws its standard error is a/√(3k).
        k = w.numel()
        assert abs(w.mean().item()) < 4 * bound / math.sqrt(3 * k)


def test_same_seed_same_weights_different_seed_different_weights():
    a, b, c = (BatchedMLP(2, 1, 2, seed=s) for s in (5, 5, 6))
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_without_dropout_the_dropout_flag_changes_nothing():
    model = BatchedMLP(2, in_dim=2, out_dim=1, hidden=16, dropout=0.0)
    model.train()
    x = torch.randn(6, 2)
    torch.testing.assert_close(model(x, dropout=True), model(x, dropout=False), rtol=0, atol=0)
    torch.testing.assert_close(model(x), model(x, dropout=False), rtol=0, atol=0)


def test_dropout_passes_differ_and_eval_passes_are_deterministic():
    model = BatchedMLP(2, in_dim=2, out_dim=1, hidden=32, dropout=0.3, seed=1)
    x = torch.randn(20, 2)
    assert not torch.equal(model(x, dropout=True), model(x, dropout=True))
    model.train()
    assert not torch.equal(model(x), model(x))  # training mode applies dropout by default
    model.eval()
    first = model(x)
    assert torch.equal(first, model(x))
    assert torch.equal(first, model(x, dropout=False))


def test_same_seed_gives_the_same_mc_dropout_samples():
    x = torch.randn(20, 2)
    samples = []
    for _ in range(2):
        model = BatchedMLP(2, in_dim=2, out_dim=1, hidden=32, dropout=0.3, seed=9)
        samples.append(torch.stack([model(x, dropout=True) for _ in range(5)]))
    assert torch.equal(samples[0], samples[1])
    torch.manual_seed(123)  # the global RNG must not matter: masks come from the model's generator
    model = BatchedMLP(2, in_dim=2, out_dim=1, hidden=32, dropout=0.3, seed=9)
    assert torch.equal(torch.stack([model(x, dropout=True) for _ in range(5)]), samples[0])


def test_dropout_mask_is_inverted_and_unbiased():
    # Make every hidden activation exactly 1 (zero first-layer weights, bias 1) and the output
    # layer the identity, so the outputs are the scaled masks mask/keep themselves.
    p, hidden, n = 0.3, 64, 1000
    model = BatchedMLP(1, in_dim=1, out_dim=hidden, hidden=hidden, n_layers=1, dropout=p, seed=2)
    with torch.no_grad():
        model.weights[0].zero_()
        model.biases[0].fill_(1.0)
        model.weights[1].copy_(torch.eye(hidden)[None])
        model.biases[1].zero_()
    scaled = model(torch.zeros(n, 1), dropout=True).flatten()
    keep = 1 - p
    is_zero = scaled == 0
    torch.testing.assert_close(scaled[~is_zero], torch.full_like(scaled[~is_zero], 1 / keep))
    k = scaled.numel()  # 64,000 draws
    # mask/keep has mean 1 and variance p/keep; 4 standard errors: 4·√(0.3/0.7/64000) ≈ 0.0104.
    assert abs(scaled.mean().item() - 1.0) < 4 * math.sqrt(p / keep / k)
    # The fraction dropped is Binomial(k, p)/k; 4 standard errors: 4·√(0.21/64000) ≈ 0.0072.
    assert abs(is_zero.float().mean().item() - p) < 4 * math.sqrt(p * keep / k)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"members": 0}, r"members must be at least 1\. Got 0\."),
        ({"n_layers": 0}, r"n_layers must be at least 1\. Got 0\."),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)\. Got 1\.0\."),
        ({"dropout": -0.1}, r"dropout must be in \[0, 1\)\. Got -0\.1\."),
    ],
)
def test_invalid_arguments_raise(kwargs, message):
    args = {"members": 2, "in_dim": 1, "out_dim": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        BatchedMLP(**args)
