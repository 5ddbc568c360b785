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
        self.decay, self.strength = decay, constant(decay, self.dtype)
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
        made["grad_half_m2"] = made["grad_half"] * -2.0
        # SumBackward1 of the penalty's MulBackward0 of ones, twice (w * w: both factors)
        ones = torch.ones(self.head_w.shape[0], dtype=self.dtype, device=self.head_w.device)
        made["grad_penalty"] = ((ones * self.strength) * 2.0).unsqueeze(1).expand(
            self.head_w.shape)
        # The loss's value: each member's row of n points' terms and its penalty, summed in
        # one call (the gradient does not depend on how the value is added up)
        m, n = made["mean"].shape
        made["sums"] = torch.empty(m, n + self.head_w.shape[1], dtype=self.dtype,
                                   device=self.head_w.device)
        made["terms"], made["penalty"] = made["sums"][:, :n], made["sums"][:, n:]

    def head(self, out: torch.Tensor, y: torch.Tensor,
             made: dict[str, torch.Tensor]) -> torch.Tensor:
        if not self.heteroscedastic:
            return _mse(out, y, made["grad_rows_m2"], made["grad_out"])
        _nll(made["mean"], made["raw"], y, self.dtype, self.beta,
             (made["grad_half"], made["grad_half_m2"]),
             (made["grad_mean"], made["grad_raw"]), made["terms"])
        w = self.head_w
        self.grad_w = made["grad_penalty"] * w
        # decay · Σ w² as (½/n) · Σ 2n · decay · w², so that one sum and one scale give both
        n = made["terms"].shape[1]
        torch.addcmul(constant(0.0, self.dtype), w, w, value=2.0 * n * self.decay,
                      out=made["penalty"])
        if self.beta is None:  # ½ log 2π + (½/n) Σ (log σ² + (y − μ)²/σ²) + decay · Σ w²
            return torch.add(constant(0.5 * LOG_2PI, self.dtype), made["sums"].sum(dim=1),
                             alpha=0.5 / n)
        return made["sums"].sum(dim=1).mul_(constant(0.5 / n, self.dtype))

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
         beta: float | None, grads_half: tuple[torch.Tensor, torch.Tensor],
         grad_heads: Sequence[torch.Tensor], terms: torch.Tensor) -> None:
    """The Gaussian NLL (β-NLL with ``beta``) of the mean and raw variance head
    (:func:`~labcore.experiments.regression.fit.heads`): their gradients go into
    ``grad_heads``; each point's ``log σ² + (y − μ)²/σ²`` (β-NLL: ``(log 2π + …) · σ^{2β}``)
    into ``terms``, for the caller to sum into the loss. ``grads_half``: ½ × each row's
    gradient from the mean over rows, and −2 times that.

    What the gradient is made of is computed as autograd computes it (so its bits are
    autograd's); the value takes fewer steps (one ``addcmul`` and one sum instead of a
    product, two sums, a scale and a mean), so it equals autograd's to float32 rounding."""
    # fit.bounded_log_var, step by step
    span = constant(fit.SIGMA_CEILING**2 - fit.SIGMA_FLOOR**2, dtype)
    floor = constant(fit.SIGMA_FLOOR**2, dtype)
    soft = F.softplus(raw)
    tanh = torch.tanh(soft / span)
    var = floor + span * tanh
    log_var = torch.log(var)
    # labcore.losses._nll_terms' parts that the gradient uses, step by step
    miss = y - mean
    square = miss * miss
    inv_var = torch.exp(-log_var)
    torch.addcmul(log_var, square, inv_var, out=terms)
    weight = None
    if beta is not None:
        weight = torch.exp(beta * log_var)
        terms.add_(constant(LOG_2PI, dtype)).mul_(weight)
    # the backward formulas, from the loss back to the output
    grad_half, grad_half_m2 = grads_half
    grad = grad_half if weight is None else grad_half * weight  # MulBackward0 (two of them)
    # MulBackward0 twice (miss · miss), summed: 2×; then SubBackward0's minus: −2 · (grad ·
    # e^{−s}) · miss, with the −2 taken first (a power of two changes the exponent only)
    grad_m2 = grad_half_m2 if weight is None else grad_half_m2 * weight
    torch.mul(grad_m2 * inv_var, miss, out=grad_heads[0])
    # AddBackward0 and NegBackward0∘ExpBackward0: a + (−b) is a − b, to the bit
    grad_log_var = grad - (grad * square) * inv_var
    grad_tanh = (grad_log_var / var) * span  # LogBackward0, AddBackward0, MulBackward0
    grad_soft = torch.ops.aten.tanh_backward(grad_tanh, tanh) / span
    torch.ops.aten.softplus_backward.grad_input(grad_soft, raw, 1.0, 20.0,
                                                grad_input=grad_heads[1])
