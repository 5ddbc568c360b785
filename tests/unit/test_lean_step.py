"""The hand-written training steps: the Regression lab's heads
(labcore.experiments.regression.lean) and the classifier's cross-entropy (labcore.models.lean).

Its gradients are checked against autograd's on the same loss, bit for bit (``torch.equal``):
the step is meant to make the calls autograd's backward formulas make, so anything short of
equality is a bug. A whole training through ``train`` must end on the same weights with the
step as with autograd, and the step must stand aside where it does not apply.

The Regression NLL heads add up the loss's *value* in fewer calls than autograd's forward (its
gradient does not depend on how the value is summed), so that value is checked to float32
rounding: within 16 float32 ulps of autograd's (``VALUE_RTOL``). The gradients and the trained
weights stay equal to the bit.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from labcore.experiments.regression import fit
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.lean import lean_step
from labcore.experiments.regression.problem import generated_problem
from labcore.experiments.regression.seeds import OutputByMember
from labcore.losses import smooth_labels
from labcore.models.classifier import ClassifierStep, classifier_loss
from labcore.models.mlp import BatchedMLP
from labcore.models.train import flatten_parameters, train

CPU = torch.device("cpu")


def setting(loss: str, method: str, **changes: object):
    config = RegressionConfig().replace(loss=loss, method=method, **changes)
    _, (xt, yt), (xv, yv) = fit.standardised(generated_problem(config), CPU)
    return config, (xt, yt), (xv, yv)


def flat_model(config: RegressionConfig, jitter: float = 0.3, seed: int = 0):
    """The config's network with its parameters in one flat buffer, moved off its initial
    weights (so that no gradient is special), in training mode."""
    model = fit.build_model(config, CPU)
    flat = flatten_parameters(list(model.parameters()))
    with torch.no_grad():
        flat.add_(torch.randn(flat.shape, generator=torch.Generator().manual_seed(seed))
                  * jitter)
    return model.train(), flat


def autograd_gradient(config, model, flat, batch, n_train):
    flat.grad.zero_()
    loss = fit.loss_fn(config, n_train)(model, batch)
    loss.backward(torch.ones_like(loss))
    return loss.detach(), flat.grad.clone()


LOSSES = ["gaussian_nll", "beta_nll", "mse"]
VALUE_RTOL = 16 * torch.finfo(torch.float32).eps  # ~2e-6: a sum of float32 terms, reordered


def assert_same_value(lean: torch.Tensor, autograd: torch.Tensor) -> None:
    """The loss values agree to float32 rounding of terms of order one (standardised units;
    a trained network's loss may sum them to near zero) or of the value itself; a missing
    term, the penalty or the log 2π constant, is 1e-2 or more."""
    torch.testing.assert_close(lean, autograd, rtol=VALUE_RTOL, atol=VALUE_RTOL)
METHODS = ["ensemble", "none"]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("method", METHODS)
def test_the_step_gives_autograds_gradient_to_the_bit(loss: str, method: str) -> None:
    config, (xt, yt), _ = setting(loss, method)
    model, flat = flat_model(config)
    step = fit.loss_fn(config, xt.shape[0]).lean_for(model)
    assert step is not None
    flat.grad.fill_(123.0)  # the step overwrites every gradient; nothing is left over
    lean_loss = step((xt, yt))
    lean_grad = flat.grad.clone()
    ref_loss, ref_grad = autograd_gradient(config, model, flat, (xt, yt), xt.shape[0])
    assert lean_loss.shape == (model.members,)
    assert torch.equal(lean_grad, ref_grad)
    if loss == "mse":
        assert torch.equal(lean_loss, ref_loss)
    else:
        assert_same_value(lean_loss, ref_loss)
    assert ref_grad.abs().max() > 0


def test_the_step_matches_autograd_on_a_mini_batch_and_a_second_shape() -> None:
    # Buffers are made per batch shape: a step of another shape must not reuse the first's.
    config, (xt, yt), _ = setting("gaussian_nll", "ensemble")
    model, flat = flat_model(config)
    step = fit.loss_fn(config, xt.shape[0]).lean_for(model)
    for rows in (slice(0, 16), slice(5, 45), slice(0, 16)):
        batch = (xt[rows], yt[rows])
        lean_loss = step(batch)
        lean_grad = flat.grad.clone()
        ref_loss, ref_grad = autograd_gradient(config, model, flat, batch, xt.shape[0])
        assert torch.equal(lean_grad, ref_grad), rows
        assert_same_value(lean_loss, ref_loss)


def test_the_head_penalty_gradient_is_twice_its_strength_times_the_weight() -> None:
    # Hand-derived: d/dw (c · Σ w²) = 2 c w on the variance head's output weights only.
    config, (xt, yt), _ = setting("gaussian_nll", "ensemble")
    model, _ = flat_model(config)
    n = xt.shape[0]
    with_penalty = fit.loss_fn(config, n).lean_for(model)
    with_penalty((xt, yt))
    grad_with = model.weights[-1].grad.clone()
    without = lean_step(model, "gaussian_nll", config.beta, 0.0)
    without((xt, yt))
    grad_without = model.weights[-1].grad.clone()
    c = fit.VARIANCE_PRIOR / n
    expected = 2 * c * model.weights[-1].detach()[:, :, 1]
    # the sum rounds to float32 at the layers' gradient's scale (hundreds here)
    slack = 4 * torch.finfo(torch.float32).eps * grad_without[:, :, 1].abs() + 1e-6
    error = (grad_with[:, :, 1] - grad_without[:, :, 1] - expected).abs()
    assert (error <= slack + 1e-5 * expected.abs()).all(), float(error.max())
    assert expected.abs().max() > 0.1
    assert torch.equal(grad_with[:, :, 0], grad_without[:, :, 0])


@pytest.mark.parametrize("loss", LOSSES)
def test_training_with_the_step_ends_on_autograds_weights(loss: str) -> None:
    config, (xt, yt), (xv, yv) = setting(loss, "ensemble", steps=120)
    settings = dataclasses.replace(fit.train_config(config, generated_problem(config),
                                                    yv.numel()), steps=120)
    ends = []
    for lean in (True, False):
        model = fit.build_model(config, CPU)
        member_loss = fit.loss_fn(config, xt.shape[0])
        used = member_loss if lean else (lambda m, b, f=member_loss: f(m, b))  # no lean_for
        history = train(model, used, (xt, yt), settings, val_data=(xv, yv),
                        val_loss_fn=fit.loss_fn(config))
        ends.append((torch.cat([p.detach().reshape(-1) for p in model.parameters()]),
                     history.train_loss, history.val_loss))
    assert torch.equal(ends[0][0], ends[1][0])
    assert (ends[0][2] == ends[1][2]).all()  # validation: the same weights, the same loss
    assert_same_value(torch.from_numpy(ends[0][1]), torch.from_numpy(ends[1][1]))


def test_the_step_stands_aside_where_it_does_not_apply() -> None:
    config, (xt, _), _ = setting("gaussian_nll", "mc_dropout")
    model, _ = flat_model(config)
    assert model.dropout > 0
    assert fit.loss_fn(config, xt.shape[0]).lean_for(model) is None  # dropout masks
    stacked = OutputByMember.stacked([BatchedMLP(1, 1, 1, hidden=8), BatchedMLP(1, 1, 1, hidden=8)])
    flatten_parameters(list(stacked.parameters()))
    assert lean_step(stacked.train(), "mse", 0.5, 0.0) is None  # another forward
    plain = BatchedMLP(2, 1, 2, hidden=8)
    assert lean_step(plain.train(), "gaussian_nll", 0.5, 0.0) is None  # no gradient buffers
    flatten_parameters(list(plain.parameters()))
    assert lean_step(plain, "mse", 0.5, 0.0) is None  # two outputs, one loss head
    assert lean_step(plain, "pinball", 0.5, 0.0) is None
    assert lean_step(plain, "gaussian_nll", 0.5, 0.0) is not None


# --- the classifier's cross-entropy -------------------------------------------------------


@pytest.mark.parametrize("loss", ["ce", "uanll"])
@pytest.mark.parametrize("per_member", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_the_classifier_step_gives_autograds_gradient_to_the_bit(loss: str, per_member: bool,
                                                                 smoothing: float) -> None:
    members, n, d, k = 3, 40, 2, 4
    generator = torch.Generator().manual_seed(7)
    model = BatchedMLP(members, d, k + (loss == "uanll"), hidden=16, seed=3)
    with torch.no_grad():  # some s beyond UANLL's clamp, so both sides of it are checked
        model.biases[-1][:, :, -1] += 6.0 * (torch.arange(members)[:, None] - 1.0)
    flat = flatten_parameters(list(model.parameters()))
    model.train()
    x = torch.randn(n, d, generator=generator)
    labels = torch.randint(0, k, (members, n) if per_member else (n,), generator=generator)
    if per_member:  # rows first, as the training loop hands them out: (n, M, K)
        y = torch.stack([smooth_labels(row, k, smoothing) for row in labels], dim=1)
    else:
        y = smooth_labels(labels, k, smoothing)
    step = ClassifierStep(model, loss, k, per_member)
    flat.grad.fill_(5.0)
    lean_loss = step((x, y))
    lean_grad = flat.grad.clone()
    flat.grad.zero_()
    ref = classifier_loss(model(x), y.transpose(0, 1) if per_member else y, k, loss)
    ref.backward(torch.ones_like(ref))
    assert torch.equal(lean_loss, ref.detach())
    assert torch.equal(lean_grad, flat.grad)
    if loss == "uanll":
        return
    # and the loss is the cross-entropy torch computes itself, to float tolerance
    logits = model(x).detach()
    targets = y.transpose(0, 1) if per_member else y.expand(members, -1, -1)
    by_torch = torch.stack([torch.nn.functional.cross_entropy(logits[j], targets[j])
                            for j in range(members)])
    torch.testing.assert_close(lean_loss, by_torch)


@pytest.mark.parametrize("loss", ["ce", "uanll"])
def test_a_classifier_trains_to_the_same_weights_with_and_without_the_step(monkeypatch,
                                                                           loss: str) -> None:
    from labcore.models import classifier as classifier_module

    generator = torch.Generator().manual_seed(1)
    x = torch.randn(120, 2, generator=generator).numpy()
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    spec = classifier_module.ClassifierSpec(loss=loss, smoothing=0.05, hidden=16, n_layers=2,
                                            members=2, steps=60, lr=0.01, batch_size=32,
                                            weight_decay=1e-4, patience=None, seed=0)
    heads = []
    head = classifier_module.ClassifierStep.head
    monkeypatch.setattr(classifier_module.ClassifierStep, "head",
                        lambda self, *args: heads.append(1) or head(self, *args))
    lean = classifier_module.train_classifier(spec, x[:80], y[:80], x[80:], y[80:], 2)
    assert len(heads) == spec.steps  # every step took the hand-written gradient
    monkeypatch.setattr(classifier_module, "leanable", lambda model: False)
    plain = classifier_module.train_classifier(spec, x[:80], y[:80], x[80:], y[80:], 2)
    for a, b in zip(lean.model.parameters(), plain.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert (lean.history.train_loss == plain.history.train_loss).all()
    assert len(heads) == spec.steps  # and the second training none
