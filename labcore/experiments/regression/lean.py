"""The Regression lab's training step with its gradient written by hand (issue #25).

Autograd records a node for every step of the loss — the variance head's softplus, tanh and
log, the Gaussian NLL's terms, the penalty on the variance head's weights — and runs each
node's backward with bookkeeping of its own: about 130 of the ~210 operator calls of a
training step, for a loss whose gradient is a dozen elementwise products. The heads here
(:class:`~labcore.models.lean.LeanStep`) make the calls autograd's backward formulas make, so
every trained network is the one autograd would have trained, to the bit.

They cover the lab's plain networks (one network or an ensemble, no dropout) with the MSE,
Gaussian NLL and β-NLL losses; anything else (MC dropout, the stacked seeds' own model class)
trains through autograd.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from labcore.experiments.regression import fit
from labcore.losses import LOG_2PI, constant, member_mean
from labcore.models.lean import LeanStep, leanable

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
    if not leanable(model):
        return None
    heteroscedastic = loss in ("gaussian_nll", "beta_nll")
    if loss not in ("mse", "gaussian_nll", "beta_nll") or model.out_dim != 1 + heteroscedastic:
        return None
    return _RegressionStep(model, heteroscedastic, beta if loss == "beta_nll" else None, decay)


class _RegressionStep(LeanStep):
    """The lab's loss heads: MSE on ``out[..., 0]``, or the (β-)NLL of the mean and the
    bounded variance head with the penalty on the head's output weights."""

    def __init__(self, model: nn.Module, heteroscedastic: bool, beta: float | None,
                 decay: float) -> None:
        super().__init__(model)
        self.heteroscedastic, self.beta = heteroscedastic, beta
        self.head_w = self.weights[-1][:, :, -1]  # the variance head's output weights
        self.head_grad = self.into[0][-1][:, :, -1]
        self.strength = constant(decay, self.dtype)
        self.grad_w: torch.Tensor | None = None

    def prepare(self, made: dict[str, torch.Tensor]) -> None:
        # Constant factors are folded into the constant gradients where they are powers of
        # two: scaling by one only changes the exponent, so the bits stay those of the
        # backward formulas' own order.
        if not self.heteroscedastic:  # PowBackward0's 2 and SubBackward0's minus
            made["grad_rows_m2"] = made["grad_rows"] * -2.0
            return
        made["mean"], made["raw"] = made["out"].unbind(-1)
        made["grad_mean"], made["grad_raw"] = made["grad_out"].unbind(-1)
        made["grad_half"] = made["grad_rows"] * constant(0.5, self.dtype)  # MulBackward0
        # SumBackward1 of the penalty's MulBackward0 of ones, twice (w * w: both factors)
        ones = torch.ones(self.head_w.shape[0], dtype=self.dtype, device=self.head_w.device)
        made["grad_penalty"] = ((ones * self.strength) * 2.0).unsqueeze(1).expand(
            self.head_w.shape)

    def head(self, out: torch.Tensor, y: torch.Tensor,
             made: dict[str, torch.Tensor]) -> torch.Tensor:
        if not self.heteroscedastic:
            return _mse(out, y, made["grad_rows_m2"], made["grad_out"])
        value = _nll(made["mean"], made["raw"], y, self.dtype, self.beta, made["grad_half"],
                     (made["grad_mean"], made["grad_raw"]))
        w = self.head_w
        self.grad_w = made["grad_penalty"] * w
        return value + self.strength * (w * w).sum(dim=1)

    def after_backward(self) -> None:
        if self.heteroscedastic:  # the head's weights get both gradients, summed
            self.head_grad.add_(self.grad_w)


def _mse(out: torch.Tensor, y: torch.Tensor, grad_rows_m2: torch.Tensor,
         grad_out: torch.Tensor) -> torch.Tensor:
    """:func:`labcore.losses.mse` per member of the output ``out[..., 0]``; its gradient with
    respect to ``out`` goes into ``grad_out``. ``grad_rows_m2``: −2 × each row's gradient
    from the mean over rows."""
    miss = y - out[..., 0]
    loss = member_mean(miss**2)
    # PowBackward0 (grad · 2·miss), SubBackward0 (−), SelectBackward0
    torch.mul(grad_rows_m2, miss, out=grad_out[..., 0])
    return loss


def _nll(mean: torch.Tensor, raw: torch.Tensor, y: torch.Tensor, dtype: torch.dtype,
         beta: float | None, grad_half: torch.Tensor,
         grad_heads: Sequence[torch.Tensor]) -> torch.Tensor:
    """The Gaussian NLL (β-NLL with ``beta``) per member of the mean and raw variance head
    (:func:`~labcore.experiments.regression.fit.heads`); their gradients go into
    ``grad_heads``. ``grad_half``: ½ × each row's gradient from the mean over rows."""
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
    loss = member_mean(terms if weight is None else terms * weight)
    # the backward formulas, from the loss back to the output
    grad = grad_half if weight is None else grad_half * weight  # MulBackward0 (two of them)
    grad_square = grad * inv_var
    # AddBackward0 and NegBackward0∘ExpBackward0: a + (−b) is a − b, to the bit
    grad_log_var = grad - (grad * square) * inv_var
    # MulBackward0 twice (miss · miss), summed: 2×; then SubBackward0's minus
    torch.mul(grad_square * miss, constant(-2.0, dtype), out=grad_heads[0])
    grad_tanh = (grad_log_var / var) * span  # LogBackward0, AddBackward0, MulBackward0
    grad_soft = torch.ops.aten.tanh_backward(grad_tanh, tanh) / span
    torch.ops.aten.softplus_backward.grad_input(grad_soft, raw, 1.0, 20.0,
                                                grad_input=grad_heads[1])
    return loss
