"""The Regression lab's training step with its gradient written by hand (issue #25).

Autograd records a node for every step of the loss — the variance head's softplus, tanh and
log, the Gaussian NLL's terms, the penalty on the variance head's weights — and runs each
node's backward with bookkeeping of its own: about 130 of the ~210 operator calls of a
training step, for a loss whose gradient is a dozen elementwise products.

:func:`lean_step` computes the same loss and makes, without autograd, exactly the calls the
backward formulas of those nodes make (``MulBackward0`` is ``grad * other``, ``ExpBackward0``
is ``grad * result``, ``SoftplusBackward0`` is ``softplus_backward`` …), in an order that gives
the same sums, so the gradients are autograd's to the bit; the network's layers go through
:func:`~labcore.models.mlp.layers_backward`, which writes each gradient straight into the
parameter's ``.grad`` (a view of the training's flat gradient buffer). Every trained network
is therefore the one autograd would have trained, and the tests compare the two to the bit.

It covers the lab's plain networks (one network or an ensemble, no dropout) with the MSE,
Gaussian NLL and β-NLL losses; anything else (MC dropout, the stacked seeds' own model class)
trains through autograd.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from labcore.experiments.regression import fit
from labcore.losses import LOG_2PI, constant
from labcore.models.mlp import BatchedMLP, layers_backward, layers_forward

Step = Callable[[Sequence[torch.Tensor]], torch.Tensor]
"""``step(batch) -> (M,) loss``, with every parameter's ``.grad`` overwritten by its gradient."""


def lean_step(model: nn.Module, loss: str, beta: float, decay: float) -> Step | None:
    """The hand-written training step of ``model`` for the lab's ``loss``, or None where it
    does not apply (then autograd trains the model).

    Args:
        model: the network, in training mode, its parameters' gradients views of one buffer.
        loss: the config's loss: "mse", "gaussian_nll" or "beta_nll".
        beta: β of β-NLL.
        decay: the variance head's penalty weight (``VARIANCE_PRIOR / n``).
    """
    if type(model) is not BatchedMLP or (model.training and model.dropout > 0):
        return None
    heteroscedastic = loss in ("gaussian_nll", "beta_nll")
    if loss not in ("mse", "gaussian_nll", "beta_nll") or model.out_dim != 1 + heteroscedastic:
        return None
    if any(p.grad is None for p in model.parameters()):
        return None
    return _LeanStep(model, heteroscedastic, beta if loss == "beta_nll" else None, decay)


class _LeanStep:
    """:func:`lean_step`'s step. The tensors a step of one batch shape writes (the layers'
    outputs, the output's gradient), their views and the constant gradients (of the mean over
    rows, of the penalty) are made at the first step of that shape and reused: each call
    writes into them with ``out=`` arguments, which the same kernels fill with the same
    numbers."""

    def __init__(self, model: BatchedMLP, heteroscedastic: bool, beta: float | None,
                 decay: float) -> None:
        self.model, self.heteroscedastic, self.beta = model, heteroscedastic, beta
        self.weights = [w.detach() for w in model.weights]  # views: Adam updates them in place
        self.biases = [b.detach() for b in model.biases]
        self.into = ([w.grad for w in model.weights], [b.grad for b in model.biases])
        self.weights_t = [w.transpose(1, 2) for w in self.weights]
        self.dtype = self.weights[0].dtype
        self.head = self.weights[-1][:, :, -1]  # the variance head's output weights
        self.head_grad = self.into[0][-1][:, :, -1]
        self.strength = constant(decay, self.dtype)
        self.x: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self.shapes: dict[tuple[int, ...], dict[str, list[torch.Tensor]]] = {}

    def _x(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` for every member, and its transpose (the full batch is one tensor every step,
        so they are made once)."""
        if self.x is None or self.x[0] is not x:
            members = x.unsqueeze(0).expand(self.model.members, -1, -1) if x.dim() == 2 else x
            self.x = x, members, members.transpose(1, 2)
        return self.x[1], self.x[2]

    def _buffers(self, x: torch.Tensor) -> dict[str, list[torch.Tensor]]:
        made = self.shapes.get(tuple(x.shape))
        if made is None:
            m, n = x.shape[0], x.shape[1]
            outs = [torch.empty(m, n, w.shape[2], dtype=self.dtype, device=x.device)
                    for w in self.weights]
            grad_out = torch.empty_like(outs[-1])
            count = constant(float(n), self.dtype)
            made = self.shapes[tuple(x.shape)] = {
                "outs": outs, "outs_t": [o.transpose(1, 2) for o in outs],
                "heads": list(outs[-1].unbind(-1)), "grad_out": [grad_out],
                "grad_heads": list(grad_out.unbind(-1)),
                # SumBackward1 of DivBackward0 of ones; SumBackward1 of the penalty's MulBackward0
                "grad_rows": [(torch.ones(m, dtype=self.dtype, device=x.device) / count)
                              .unsqueeze(1).expand(m, n)],
                "grad_penalty": [(torch.ones(m, dtype=self.dtype, device=x.device)
                                  * self.strength).unsqueeze(1).expand(self.head.shape)],
            }
        return made

    def __call__(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            x, x_t = self._x(batch[0])
            made = self._buffers(x)
            out, inputs = layers_forward(x, self.weights, self.biases, outs=made["outs"])
            grad_rows, (grad_out,) = made["grad_rows"][0], made["grad_out"]
            if self.heteroscedastic:
                value = _nll(*made["heads"], batch[1], self.dtype, self.beta, grad_rows,
                             made["grad_heads"])
                w = self.head
                value = value + self.strength * (w * w).sum(dim=1)
                grad_w = made["grad_penalty"][0] * w  # MulBackward0, once for each factor
            else:
                value = _mse(out, batch[1], self.dtype, grad_rows, grad_out)
            layers_backward(grad_out, inputs, self.weights, into=self.into,
                            transposed=([x_t, *made["outs_t"][:-1]], self.weights_t))
            if self.heteroscedastic:  # the head's weights get both gradients, summed
                self.head_grad.add_(grad_w + grad_w)
            return value


def _member_mean(values: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(M,) mean over each member's rows (:func:`labcore.losses._reduce`'s "member")."""
    return values.sum(dim=1) / constant(float(values.shape[1]), dtype)


def _mse(out: torch.Tensor, y: torch.Tensor, dtype: torch.dtype, grad_rows: torch.Tensor,
         grad_out: torch.Tensor) -> torch.Tensor:
    """:func:`labcore.losses.mse` per member of the output ``out[..., 0]``; its gradient with
    respect to ``out`` goes into ``grad_out``. ``grad_rows``: each row's from the mean."""
    miss = y - out[..., 0]
    loss = _member_mean(miss**2, dtype)
    grad_miss = grad_rows * (2.0 * miss.pow(1.0))  # PowBackward0
    torch.neg(grad_miss, out=grad_out[..., 0])  # SubBackward0, SelectBackward0
    return loss


def _nll(mean: torch.Tensor, raw: torch.Tensor, y: torch.Tensor, dtype: torch.dtype,
         beta: float | None, grad_rows: torch.Tensor,
         grad_heads: Sequence[torch.Tensor]) -> torch.Tensor:
    """The Gaussian NLL (β-NLL with ``beta``) per member of the mean and raw variance head
    (:func:`~labcore.experiments.regression.fit.heads`); their gradients go into
    ``grad_heads``. ``grad_rows``: each row's from the mean over rows."""
    # fit.bounded_log_var, step by step
    span = constant(fit.SIGMA_CEILING**2 - fit.SIGMA_FLOOR**2, dtype)
    floor = constant(fit.SIGMA_FLOOR**2, dtype)
    soft = F.softplus(raw)
    tanh = torch.tanh(soft / span)
    var = floor + span * tanh
    log_var = torch.log(var)
    # labcore.losses._nll_terms, step by step
    half = constant(0.5, dtype)
    miss = y - mean
    square = miss * miss
    inv_var = torch.exp(-log_var)
    terms = half * (constant(LOG_2PI, dtype) + log_var + square * inv_var)
    weight = None if beta is None else torch.exp(beta * log_var)
    loss = _member_mean(terms if weight is None else terms * weight, dtype)
    # the backward formulas, from the loss back to the output
    grad = grad_rows if weight is None else grad_rows * weight
    grad = grad * half
    grad_square = grad * inv_var
    grad_log_var = grad + -((grad * square) * inv_var)  # AddBackward0 and NegBackward0∘ExpBackward0
    grad_miss = grad_square * miss
    torch.neg(grad_miss + grad_miss, out=grad_heads[0])  # MulBackward0 twice, SubBackward0
    grad_tanh = (grad_log_var / var) * span  # LogBackward0, AddBackward0, MulBackward0
    grad_soft = torch.ops.aten.tanh_backward(grad_tanh, tanh) / span
    torch.ops.aten.softplus_backward.grad_input(grad_soft, raw, 1.0, 20.0,
                                                grad_input=grad_heads[1])
    return loss
