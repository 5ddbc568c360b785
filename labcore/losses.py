"""Loss functions, each the negative log-likelihood of a distribution (the lecture's recipe).

All take torch tensors and return a scalar (``reduction="mean"``) or per-sample values
(``reduction="none"``). Shapes may carry a leading ensemble dimension ``M``: the reduction then
averages over the last dimension only and returns shape ``(M,)``, so each member of a batched
ensemble gets its own loss (see ``labcore.models.mlp.BatchedMLP``).
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import torch
import torch.nn.functional as F

Reduction = Literal["mean", "none", "member"]
LOG_2PI = math.log(2 * math.pi)


@functools.lru_cache(maxsize=256)
def constant(value: float, dtype: torch.dtype) -> torch.Tensor:
    """``value`` as a 0-dim CPU tensor of ``dtype``, made once and reused.

    Arithmetic with a Python number copies it into a new tensor on every call (five operator
    calls instead of one, in the forward pass and again in the backward); with this constant
    the result is the same to the bit. It is made outside inference mode, so autograd may save
    it for backward wherever it is used.

    >>> x = torch.tensor([1.0, 2.0])
    >>> torch.equal(x * constant(0.1, x.dtype), x * 0.1)
    True
    """
    with torch.inference_mode(False):
        return torch.tensor(value, dtype=dtype)


def _reduce(values: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    if reduction == "none":
        return values
    if reduction == "mean":
        return values.mean()
    if reduction == "member":  # mean over samples, one value per leading member index
        return member_mean(values if values.dim() == 2
                           else values.reshape(values.shape[0], -1))
    raise ValueError(f"reduction must be 'mean', 'none' or 'member'. Got {reduction!r}.")


def member_mean(values: torch.Tensor) -> torch.Tensor:
    """(M,) mean of each row of ``values`` (M, n): the sum, then divided by the count (what
    ``torch.mean`` does), in two calls, not nine.

    >>> member_mean(torch.tensor([[1.0, 2.0], [3.0, 5.0]])).tolist()
    [1.5, 4.0]
    """
    return values.sum(dim=1) / constant(float(values.shape[1]), values.dtype)


def mse(mean: torch.Tensor, y: torch.Tensor, reduction: Reduction = "mean") -> torch.Tensor:
    """Mean squared error, the Gaussian NLL with a fixed σ up to scale and constant.

    With σ fixed, ½log 2π + log σ + (y−μ)²/(2σ²) is minimised by the same μ as (y−μ)².
    """
    return _reduce((y - mean) ** 2, reduction)


def gaussian_nll(
    mean: torch.Tensor, log_var: torch.Tensor, y: torch.Tensor, reduction: Reduction = "mean"
) -> torch.Tensor:
    """Gaussian negative log-likelihood with a predicted variance, constant included.

    ``0.5 * (log 2π + s + (y − μ)² e^{−s})`` with ``s = log σ²`` (Nix & Weigend 1994;
    Kendall & Gal 2017). Without the constant this is the lecture's heteroscedastic loss
    1/(2m) Σ (e^{−s}(y−h)² + s).

    Args:
        mean: predicted means μ, any shape.
        log_var: predicted log-variances s, same shape as ``mean``.
        y: targets, same shape.
        reduction: "mean", "none" or "member" (mean per leading ensemble member).
    """
    return _reduce(_nll_terms(mean, log_var, y), reduction)


def _nll_terms(mean: torch.Tensor, log_var: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each sample's ``0.5 * (log 2π + s + (y − μ)² e^{−s})``, one operator call per step of
    the formula (constants as tensors, the square as a product)."""
    dtype = log_var.dtype
    miss = y - mean
    return constant(0.5, dtype) * (constant(LOG_2PI, dtype) + log_var
                                   + miss * miss * torch.exp(-log_var))


def beta_nll(
    mean: torch.Tensor,
    log_var: torch.Tensor,
    y: torch.Tensor,
    beta: float = 0.5,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """β-NLL: each sample's Gaussian NLL weighted by stopgrad(σ²)^β (Seitzer et al. 2022).

    Plain NLL scales the mean's gradient by 1/σ², so points the model calls noisy barely pull
    on the mean and it can underfit there. The weight σ^{2β} undoes part of that: β = 0 is the
    plain NLL, β = 1 gives the mean the same gradient as MSE.

    Raises:
        ValueError: β is outside [0, 1].
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be between 0 and 1. Got {beta}.")
    weight = torch.exp(beta * log_var.detach())
    return _reduce(_nll_terms(mean, log_var, y) * weight, reduction)


def pinball(
    pred: torch.Tensor, y: torch.Tensor, quantiles: torch.Tensor | list[float],
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Pinball (quantile) loss, averaged over the Q quantile levels (Koenker & Bassett 1978).

    ``ρ_τ(y − q) = max(τ(y − q), (τ − 1)(y − q))``: its expectation over y is minimised by the
    τ-quantile of y, so a network trained on it predicts quantiles, not a mean.

    Args:
        pred: (..., m, Q) predicted quantiles q, one column per level.
        y: (m,) or (..., m) targets.
        quantiles: (Q,) levels τ in (0, 1).
        reduction: "mean", "none" (shape (..., m)) or "member".

    Example:
        >>> # y = 1 lies 1 above q_0.1 = 0 and 1 below q_0.9 = 2: (0.1·1 + 0.1·1) / 2
        >>> round(float(pinball(torch.tensor([[0.0, 2.0]]), torch.tensor([1.0]), [0.1, 0.9])), 4)
        0.1
    """
    tau = torch.as_tensor(quantiles, dtype=pred.dtype, device=pred.device)
    if tau.ndim != 1 or tau.numel() != pred.shape[-1] or not bool(((tau > 0) & (tau < 1)).all()):
        raise ValueError(
            f"quantiles must be {pred.shape[-1]} levels in (0, 1), one per column of pred. "
            f"Got {tau.tolist()}."
        )
    diff = y.unsqueeze(-1) - pred
    values = torch.maximum(tau * diff, (tau - 1) * diff).mean(dim=-1)
    return _reduce(values, reduction)


def smooth_labels(labels: torch.Tensor, n_classes: int, eps: float = 0.0) -> torch.Tensor:
    """One-hot targets with the lecture's label smoothing: 1−ε on the true class, ε/(N−1) else.

    PyTorch's ``label_smoothing=α`` corresponds to ε = α(N−1)/N here.

    Args:
        labels: (m,) integer class indices.
        n_classes: N ≥ 2.
        eps: ε in [0, 1 − 1/N] (at ε = 1 − 1/N the targets are uniform).

    Returns:
        (m, N) float targets whose rows sum to 1.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2. Got {n_classes}.")
    if not 0.0 <= eps <= 1.0 - 1.0 / n_classes:
        raise ValueError(f"eps must be between 0 and 1 − 1/N = {1 - 1 / n_classes:.3g}. Got {eps}.")
    labels = labels.long()
    if labels.numel() and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1}. Got values from {int(labels.min())} "
            f"to {int(labels.max())}."
        )
    off = eps / (n_classes - 1)
    targets = torch.full((labels.shape[0], n_classes), off, dtype=torch.float32,
                         device=labels.device)
    targets.scatter_(1, labels[:, None], 1.0 - eps)
    return targets


def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, reduction: Reduction = "mean"
) -> torch.Tensor:
    """Cross-entropy −Σ_k y_k log softmax(z)_k against (possibly smoothed) target rows.

    Args:
        logits: (..., m, N) class scores z.
        targets: (m, N) or (..., m, N) target distributions (e.g. from :func:`smooth_labels`).
    """
    values = -(targets * F.log_softmax(logits, dim=-1)).sum(dim=-1)
    return _reduce(values, reduction)


def uanll(
    h: torch.Tensor, s: torch.Tensor, y_target: torch.Tensor, reduction: Reduction = "mean"
) -> torch.Tensor:
    """Uncertainty-aware NLL for classification (the lecture's UANLL).

    ``L = 1/(2m) Σ_i ( e^{−s_i} Σ_k (y_ik − h_ik)² + N s_i )``: a Gaussian NLL over the N class
    outputs with one shared log-variance s_i per sample. For fixed h its minimiser is
    s* = log(Σ_k (y_k − h_k)² / N).

    Args:
        h: (..., m, N) class outputs (the softmax of the network's class scores).
        s: (..., m) predicted log-variances.
        y_target: (m, N) one-hot or smoothed targets.
    """
    n_classes = h.shape[-1]
    sse = ((y_target - h) ** 2).sum(dim=-1)
    values = 0.5 * (torch.exp(-s) * sse + n_classes * s)
    return _reduce(values, reduction)


def brier(
    probs: torch.Tensor, targets: torch.Tensor, reduction: Reduction = "mean"
) -> torch.Tensor:
    """The Brier score: square loss of probabilities on one-hot targets, Σ_k (p_k − y_k)².

    Per sample it lies in [0, 2] (2 when all the mass sits on one wrong class). With p the
    softmax this is not the square loss on raw outputs of Hui & Belkin 2021.
    """
    return _reduce(((probs - targets) ** 2).sum(dim=-1), reduction)
