"""FlatAdam: Adam's fused kernel called directly over one flat parameter.

Checked against ``torch.optim.Adam(fused=True)`` (the independent implementation) to the bit,
over steps whose learning rate changes as a schedule changes it, with and without weight decay.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from labcore.models.adam import FlatAdam, make_adam


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
@pytest.mark.parametrize("size", [1, 37, 1000])  # a tail only, a vector and a tail, many vectors
def test_flat_adam_moves_the_parameter_as_torch_adam_does(weight_decay: float, size: int) -> None:
    generator = torch.Generator().manual_seed(size)
    start = torch.randn(size, generator=generator)
    ours, theirs = nn.Parameter(start.clone()), nn.Parameter(start.clone())
    ours.grad, theirs.grad = torch.zeros(size), torch.zeros(size)
    flat = FlatAdam(ours, lr=0.01, weight_decay=weight_decay, beta2=0.99)
    adam = make_adam([theirs], lr=0.01, weight_decay=weight_decay, beta2=0.99)
    assert adam.defaults["fused"]
    for step in range(1, 30):
        grad = torch.randn(size, generator=generator) * step
        ours.grad.copy_(grad)
        theirs.grad.copy_(grad)
        lr = 0.01 / step
        flat.param_groups[0]["lr"] = lr
        adam.param_groups[0]["lr"] = lr
        flat.step()
        adam.step()
        assert torch.equal(ours.detach(), theirs.detach()), step
    assert not torch.equal(ours.detach(), start)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_several_tensors_stepped_together_move_as_torch_adam_moves_them(
        weight_decay: float) -> None:
    """One call over a list, one shared step count (Repeat × N's shadow step, seeds.AdamPaths),
    against torch.optim.Adam's own count per tensor."""
    generator = torch.Generator().manual_seed(7)
    sizes = (3, 16, 1, 21)  # tails and whole vectors, as the shadows are
    starts = [torch.randn(n, generator=generator) for n in sizes]
    ours = [nn.Parameter(s.clone()) for s in starts]
    theirs = [nn.Parameter(s.clone()) for s in starts]
    for p in (*ours, *theirs):
        p.grad = torch.zeros_like(p)
    flat = FlatAdam(ours, lr=0.01, weight_decay=weight_decay, beta2=0.99)
    adam = make_adam(theirs, lr=0.01, weight_decay=weight_decay, beta2=0.99)
    for step in range(1, 30):
        for a, b in zip(ours, theirs, strict=True):
            grad = torch.randn(a.shape, generator=generator) * step
            a.grad.copy_(grad)
            b.grad.copy_(grad)
        flat.param_groups[0]["lr"] = adam.param_groups[0]["lr"] = 0.01 / step
        flat.step()
        adam.step()
        for a, b in zip(ours, theirs, strict=True):
            assert torch.equal(a.detach(), b.detach()), step
    assert all(not torch.equal(a.detach(), s) for a, s in zip(ours, starts, strict=True))


def test_flat_adam_needs_a_gradient_buffer() -> None:
    with pytest.raises(ValueError, match="Got \\[None\\]"):
        FlatAdam(nn.Parameter(torch.zeros(2)), lr=0.1, weight_decay=0.0)
    with pytest.raises(ValueError, match="Got \\[\\]"):
        FlatAdam([], lr=0.1, weight_decay=0.0)


def test_fused_adam_is_supported_for_float32_on_the_cpu() -> None:
    assert FlatAdam.supported(nn.Parameter(torch.zeros(1)))
