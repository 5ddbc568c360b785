"""A training step of a :class:`~labcore.models.mlp.BatchedMLP` with its gradient by hand.

Autograd records a node for every step of a loss and runs each node's backward with
bookkeeping of its own; on the lab's small networks that bookkeeping costs more than the
maths. A :class:`LeanStep` computes a loss head's value and makes, without autograd, exactly
the calls the backward formulas of its nodes make (``MulBackward0`` is ``grad * other``,
``ExpBackward0`` is ``grad * result`` …), in an order that gives the same sums, so the
gradients are autograd's to the bit; the layers go through
:func:`~labcore.models.mlp.layers_backward`, which writes each gradient straight into the
parameter's ``.grad`` (a view of the training's flat gradient buffer, see
:func:`~labcore.models.train.flatten_parameters`). The tests compare every head with autograd
to the bit.

The tensors a step of one batch shape writes (the layers' outputs, the output's gradient),
their views and the constant gradient of the mean over rows are made at the first step of that
shape and reused: each call writes into them with ``out=`` arguments, which the same kernels
fill with the same numbers.

A loss function offers the step through an attribute ``lean_for(model) -> step or None``
(:func:`~labcore.models.train.train` uses it); subclasses implement :meth:`LeanStep.head`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from labcore.losses import constant
from labcore.models.mlp import BatchedMLP, layers_backward, layers_forward


def leanable(model: torch.nn.Module) -> bool:
    """Whether ``model`` can take a :class:`LeanStep`: a plain :class:`BatchedMLP` (not a
    subclass with a forward of its own) without dropout, whose parameters have gradient
    tensors to write into."""
    return (type(model) is BatchedMLP and not (model.training and model.dropout > 0)
            and all(p.grad is not None for p in model.parameters()))


class LeanStep:
    """``step(batch) -> (M,) loss`` with every parameter's ``.grad`` overwritten by its
    gradient; ``batch`` is (x, y) with x (n, d) or (M, n, d)."""

    def __init__(self, model: BatchedMLP) -> None:
        self.model = model
        self.weights = [w.detach() for w in model.weights]  # views: Adam updates them in place
        self.biases = [b.detach() for b in model.biases]
        self.into = ([w.grad for w in model.weights], [b.grad for b in model.biases])
        self.weights_t = [w.transpose(1, 2) for w in self.weights]
        self.dtype = self.weights[0].dtype
        self.x: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self.shapes: dict[tuple[int, ...], dict[str, torch.Tensor]] = {}
        self.outs: dict[tuple[int, ...], list[torch.Tensor]] = {}

    def head(self, out: torch.Tensor, y: torch.Tensor,
             made: dict[str, torch.Tensor]) -> torch.Tensor:
        """The (M,) loss of the output ``out`` (M, n, out_dim) against ``y``; writes its
        gradient into ``made["grad_out"]``. ``made`` also holds ``grad_rows``, the (M, n)
        gradient each row gets from the mean over rows, and whatever :meth:`prepare` added."""
        raise NotImplementedError

    def prepare(self, made: dict[str, torch.Tensor]) -> None:
        """Add views of ``made["out"]`` or ``made["grad_out"]`` a head reuses (none here)."""

    def after_backward(self) -> None:
        """Add gradients that do not come through the output (none here)."""

    def _x(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` for every member, and its transpose (the full batch is one tensor every step,
        so they are made once)."""
        if self.x is None or self.x[0] is not x:
            members = x.unsqueeze(0).expand(self.model.members, -1, -1) if x.dim() == 2 else x
            self.x = x, members, members.transpose(1, 2)
        return self.x[1], self.x[2]

    def _buffers(self, x: torch.Tensor) -> tuple[dict[str, torch.Tensor], list[torch.Tensor]]:
        key = tuple(x.shape)
        if key not in self.shapes:
            m, n = x.shape[0], x.shape[1]
            outs = [torch.empty(m, n, w.shape[2], dtype=self.dtype, device=x.device)
                    for w in self.weights]
            ones = torch.ones(m, dtype=self.dtype, device=x.device)
            made = {"out": outs[-1], "grad_out": torch.empty_like(outs[-1]),
                    # SumBackward1 of DivBackward0 of ones: the mean over rows
                    "grad_rows": (ones / constant(float(n), self.dtype)).unsqueeze(1)
                    .expand(m, n)}
            self.prepare(made)
            self.shapes[key] = made
            self.outs[key] = [*outs, *(o.transpose(1, 2) for o in outs[:-1])]
        return self.shapes[key], self.outs[key]

    def __call__(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            x, x_t = self._x(batch[0])
            made, outs = self._buffers(x)
            n_layers = len(self.weights)
            out, inputs = layers_forward(x, self.weights, self.biases, outs=outs[:n_layers])
            value = self.head(out, batch[1], made)
            layers_backward(made["grad_out"], inputs, self.weights, into=self.into,
                            transposed=([x_t, *outs[n_layers:]], self.weights_t))
            self.after_backward()
            return value

