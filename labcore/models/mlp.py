"""Small networks: a batched MLP whose M members train in one pass.

A deep ensemble of M small MLPs spends most of its time in Python and kernel-launch overhead
when the members are trained one after another. :class:`BatchedMLP` stacks the members'
weights into tensors of shape ``(M, d_in, d_out)`` and runs all members with one batched
matrix multiply per layer, so an ensemble costs little more than one model. ``M = 1`` is an
ordinary MLP.

Dropout draws its masks from the model's own ``torch.Generator``, so MC-dropout samples are
reproducible for a seed even when several sessions train in threads of one process.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn


class BatchedMLP(nn.Module):
    """M independent MLPs (ReLU, optional dropout after each hidden layer) evaluated together.

    Args:
        members: M, the number of independent networks.
        in_dim: input features d.
        out_dim: outputs per network (e.g. 2 for mean and log-variance).
        hidden: units per hidden layer.
        n_layers: number of hidden layers (≥ 1).
        dropout: probability of zeroing a hidden unit (0 disables dropout).
        seed: seeds the initial weights and the dropout masks.
        device: where the parameters live.

    Initial weights follow ``nn.Linear``'s default: U(−1/√d_in, 1/√d_in) for weights and biases.
    """

    def __init__(
        self,
        members: int,
        in_dim: int,
        out_dim: int,
        hidden: int = 64,
        n_layers: int = 2,
        dropout: float = 0.0,
        seed: int = 0,
        device: torch.device | str = "cpu",
    ) -> None:
        super().__init__()
        if members < 1:
            raise ValueError(f"members must be at least 1. Got {members}.")
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1. Got {n_layers}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1). Got {dropout}.")
        self.members, self.in_dim, self.out_dim = members, in_dim, out_dim
        self.dropout = dropout
        device = torch.device(device)
        init_gen = torch.Generator().manual_seed(seed)
        dims = [in_dim] + [hidden] * n_layers + [out_dim]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for d_in, d_out in itertools.pairwise(dims):
            bound = 1.0 / math.sqrt(d_in)
            w = (torch.rand(members, d_in, d_out, generator=init_gen) * 2 - 1) * bound
            b = (torch.rand(members, 1, d_out, generator=init_gen) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w.to(device)))
            self.biases.append(nn.Parameter(b.to(device)))
        self.dropout_generator = torch.Generator(device=device).manual_seed(seed + 1)

    def forward(self, x: torch.Tensor, dropout: bool | None = None) -> torch.Tensor:
        """Run every member.

        Args:
            x: (n, d) inputs shared by all members, or (M, n, d) one set per member.
            dropout: apply dropout masks; ``None`` means "when in training mode". Pass True at
                test time for MC dropout.

        Returns:
            (M, n, out_dim) outputs.
        """
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.members, -1, -1)
        use_dropout = self.training if dropout is None else dropout
        use_dropout = use_dropout and self.dropout > 0
        if not use_dropout and torch.is_grad_enabled():
            return _Layers.apply(x, *self.weights, *self.biases)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = torch.baddbmm(b, x, w)
            if i < last:
                x = torch.relu(x)
                if use_dropout:
                    keep = 1.0 - self.dropout
                    noise = torch.rand(x.shape, generator=self.dropout_generator, device=x.device)
                    x = x * (noise < keep) / keep
        return x

    @classmethod
    def _of(cls, weights: list[torch.Tensor], biases: list[torch.Tensor], dropout: float,
            generator: torch.Generator) -> BatchedMLP:
        """A model holding copies of ``weights`` and ``biases`` (M, …) and a dropout generator
        in ``generator``'s state, without drawing initial weights."""
        model = cls.__new__(cls)
        nn.Module.__init__(model)
        model.members, model.in_dim, model.out_dim = (
            weights[0].shape[0], weights[0].shape[1], weights[-1].shape[2])
        model.dropout = dropout
        model.weights = nn.ParameterList(nn.Parameter(w.detach().clone()) for w in weights)
        model.biases = nn.ParameterList(nn.Parameter(b.detach().clone()) for b in biases)
        model.dropout_generator = torch.Generator(device=weights[0].device)
        model.dropout_generator.set_state(generator.get_state())
        return model

    @classmethod
    def stacked(cls, models: list[BatchedMLP]) -> BatchedMLP:
        """One model whose members are those of ``models``, in order (copies of their weights).

        The models must share their layer widths and dropout rate. Members do not interact,
        so training the stacked model trains each member as it would train alone; the dropout
        generator is a copy of the first model's (its masks are drawn for all members at once,
        so MC dropout of a stacked model is not that of its parts).

        >>> a, b = BatchedMLP(2, 1, 1, hidden=4, seed=0), BatchedMLP(3, 1, 1, hidden=4, seed=1)
        >>> s = BatchedMLP.stacked([a, b])
        >>> s.members, torch.equal(s.weights[0][2:], b.weights[0])
        (5, True)
        """
        if not models:
            raise ValueError("stacked needs at least one model. Got 0.")
        shapes = {tuple(tuple(w.shape[1:]) for w in m.weights) for m in models}
        rates = {m.dropout for m in models}
        if len(shapes) > 1 or len(rates) > 1:
            raise ValueError(f"stacked models must share layer widths and dropout. "
                             f"Got {sorted(shapes)} and {sorted(rates)}.")
        n_layers = len(models[0].weights)
        weights = [torch.cat([m.weights[i].detach() for m in models]) for i in range(n_layers)]
        biases = [torch.cat([m.biases[i].detach() for m in models]) for i in range(n_layers)]
        return cls._of(weights, biases, models[0].dropout, models[0].dropout_generator)

    def select(self, start: int, stop: int) -> BatchedMLP:
        """A new plain :class:`BatchedMLP` of members ``start`` to ``stop − 1`` (copies of
        their weights), in the same training or eval mode, with a copy of this model's dropout
        generator.

        >>> s = BatchedMLP(4, 1, 2, hidden=4).select(1, 3)
        >>> s.members, tuple(s(torch.zeros(5, 1)).shape)
        (2, (2, 5, 2))
        """
        if not 0 <= start < stop <= self.members:
            raise ValueError(f"select needs 0 ≤ start < stop ≤ {self.members}. "
                             f"Got {start} and {stop}.")
        model = BatchedMLP._of([w[start:stop] for w in self.weights],
                               [b[start:stop] for b in self.biases], self.dropout,
                               self.dropout_generator)
        return model.train(self.training)

    def member(self, index: int) -> nn.Sequential:
        """A plain ``nn.Sequential`` copy of one member (for checks against independent models)."""
        layers: list[nn.Module] = []
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            linear = nn.Linear(w.shape[1], w.shape[2])
            with torch.no_grad():
                linear.weight.copy_(w[index].T)
                linear.bias.copy_(b[index, 0])
            layers.append(linear)
            if i < last:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers).to(w.device)


def layers_forward(x: torch.Tensor, weights: Sequence[torch.Tensor],
                   biases: Sequence[torch.Tensor], outs: Sequence[torch.Tensor] | None = None,
                   ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The layers of a :class:`BatchedMLP` without dropout, keeping what the backward needs.

    Args:
        x: (M, n, d) inputs.
        weights, biases: the layers' parameters.
        outs: tensors to write each layer's output into (by the same kernels with an
            ``out=`` argument), instead of new ones.

    Returns:
        ``(out, inputs)``: the (M, n, out_dim) output and each layer's input (x, then each
        hidden layer's ReLU output).
    """
    inputs = [x]
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        # With ``outs``: the bias copied in, then the product added in place, which is what
        # baddbmm does into a new tensor (without its expand of the bias)
        out = (torch.baddbmm(b, inputs[-1], w) if outs is None
               else outs[i].copy_(b).baddbmm_(inputs[-1], w))
        if i == len(weights) - 1:
            return out, inputs
        inputs.append(out.clamp_min_(0.0))  # what relu_ calls, without the extra call
    raise ValueError("layers_forward needs at least one layer. Got 0.")


def layers_backward(grad: torch.Tensor, inputs: Sequence[torch.Tensor],
                    weights: Sequence[torch.Tensor], *, input_grad: bool = False,
                    into: tuple[Sequence[torch.Tensor], Sequence[torch.Tensor]] | None = None,
                    transposed: tuple[Sequence[torch.Tensor], Sequence[torch.Tensor]] | None
                    = None) -> tuple[torch.Tensor | None, list[torch.Tensor], list[torch.Tensor]]:
    """The gradients of :func:`layers_forward`'s inputs, given ``grad`` of its output.

    The calls are the ones autograd's backward formulas would make for the layers
    (``BaddbmmBackward0``, ``ReluBackward0``), in the same order on the same tensors, so the
    gradients are the same to the bit.

    Args:
        grad: (M, n, out_dim) gradient of the output.
        inputs, weights: :func:`layers_forward`'s saved inputs, and the weights.
        input_grad: also compute the gradient of x.
        into: the weights' and biases' gradient tensors to write into (overwritten, by the
            same kernels with an ``out=`` argument), instead of new ones.
        transposed: ``inputs`` and ``weights`` transposed (``t.transpose(1, 2)``), made once
            by a caller that steps many times, instead of new views every call.

    Returns:
        ``(grad_x or None, grad_weights, grad_biases)``.
    """
    n_layers = len(weights)
    grad_w: list[torch.Tensor] = []  # last layer first, reversed at the end
    grad_b: list[torch.Tensor] = []
    grad_x = None
    for i in reversed(range(n_layers)):
        # BaddbmmBackward0: bias = grad summed over the broadcast rows, weight = inputᵀ·grad
        input_t = inputs[i].transpose(1, 2) if transposed is None else transposed[0][i]
        if into is None:
            grad_b.append(grad.sum(dim=1, keepdim=True))
            grad_w.append(input_t.bmm(grad))
        else:
            grad_b.append(torch.sum(grad, dim=1, keepdim=True, out=into[1][i]))
            grad_w.append(torch.bmm(input_t, grad, out=into[0][i]))
        if i > 0 or input_grad:
            grad = grad.bmm(weights[i].transpose(1, 2) if transposed is None
                            else transposed[1][i])
        if i > 0:  # ReluBackward0 on the layer's output
            grad = torch.ops.aten.threshold_backward(grad, inputs[i], 0)
        else:
            grad_x = grad if input_grad else None
    return grad_x, grad_w[::-1], grad_b[::-1]


class _Layers(torch.autograd.Function):
    """All layers of a :class:`BatchedMLP` without dropout as one autograd node.

    Autograd would record two nodes a hidden layer (``baddbmm``, ``relu``) and run each with
    a few bookkeeping calls; this node's backward (:func:`layers_backward`) makes exactly the
    calls their backward formulas make, so the gradients are the same to the bit with half the
    operator calls.

    ``apply(x, w_1, …, w_L, b_1, …, b_L)``: x (M, n, d) → (M, n, out_dim).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, *params: torch.Tensor) -> torch.Tensor:
        n_layers = len(params) // 2
        weights, biases = params[:n_layers], params[n_layers:]
        out, inputs = layers_forward(x, weights, biases)
        ctx.save_for_backward(*inputs, *weights)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        saved = ctx.saved_tensors
        n_layers = len(saved) // 2
        grad_x, grad_w, grad_b = layers_backward(grad, saved[:n_layers], saved[n_layers:],
                                                 input_grad=ctx.needs_input_grad[0])
        return grad_x, *grad_w, *grad_b
