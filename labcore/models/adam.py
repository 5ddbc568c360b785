"""Adam for the training loop: torch's, fused into one kernel where the device has one, and
the same kernel called directly for one flat parameter (:class:`FlatAdam`).

``torch.optim.Adam.step`` wraps its kernel in Python bookkeeping (hooks, a profiler range,
grouping the tensors by device, checks of the accelerator) that costs several times the
kernel itself on the small networks of this lab: a third of the Regression default's
training. The loop keeps all parameters in one flat buffer, so one kernel call with the
optimiser's state is the whole step.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
from torch import nn

BETA1, EPS = 0.9, 1e-8  # torch.optim.Adam's defaults


def make_adam(params: Sequence[nn.Parameter], lr: float, weight_decay: float,
              beta2: float = 0.999) -> torch.optim.Adam:
    """Adam, fused into one kernel where this torch build supports it for the device."""
    params = list(params)
    betas = (BETA1, beta2)
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, betas=betas, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, betas=betas)


@functools.lru_cache(maxsize=16)
def _fused(device_type: str, dtype: torch.dtype) -> bool:
    probe = nn.Parameter(torch.zeros(1, dtype=dtype, device=device_type))
    try:
        torch.optim.Adam([probe], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def _listed(param: nn.Parameter | Sequence[nn.Parameter]) -> list[nn.Parameter]:
    return [param] if isinstance(param, torch.Tensor) else list(param)


class FlatAdam:
    """``torch.optim.Adam(fused=True)`` over one parameter (or a few, stepped together), its
    step one call of the kernel.

    The state is the one Adam keeps (first and second moments, a float32 step count on the
    parameter's device) and :meth:`step` makes the calls Adam's fused step makes, with the
    same arguments, so each parameter moves exactly as Adam would move it (the count goes up
    by one with ``add_`` of a tensor made once, not ``_foreach_add_`` of the number 1, which is
    copied into a new tensor every step: the same whole number in float32, five operator calls
    fewer). Parameters that always step together share one count: the kernel only reads it.
    Like Adam it has ``param_groups[0]["lr"]``, which a schedule may change between steps.

    >>> w = nn.Parameter(torch.tensor([1.0, -2.0])); w.grad = torch.tensor([0.5, 0.5])
    >>> adam = FlatAdam(w, lr=0.1, weight_decay=0.0)
    >>> adam.step(); [round(v, 4) for v in w.tolist()]  # the first step moves each by lr
    [0.9, -2.1]
    """

    def __init__(self, param: nn.Parameter | Sequence[nn.Parameter], lr: float,
                 weight_decay: float, beta2: float = 0.999) -> None:
        params = _listed(param)
        if not params or any(p.grad is None for p in params):
            raise ValueError("FlatAdam needs parameters whose .grad is a tensor. Got "
                             f"{[None if p.grad is None else 'a tensor' for p in params]}.")
        self.param_groups = [{"lr": lr}]
        self.weight_decay, self.beta2 = weight_decay, beta2
        self._params, self._grads = [p.detach() for p in params], [p.grad for p in params]
        self._exp_avgs = [torch.zeros_like(p, memory_format=torch.preserve_format)
                          for p in params]
        self._exp_avg_sqs = [torch.zeros_like(p, memory_format=torch.preserve_format)
                             for p in params]
        count = torch.zeros((), dtype=torch.float32, device=params[0].device)
        self._steps = [count] * len(params)  # one count, read once per parameter
        self._one = torch.ones((), dtype=torch.float32, device=params[0].device)

    @staticmethod
    def supported(param: nn.Parameter | Sequence[nn.Parameter]) -> bool:
        """Whether torch has Adam's fused kernel for these parameters' device and dtype (one
        call takes tensors of one device and dtype)."""
        params = _listed(param)
        kinds = {(p.device.type, p.dtype) for p in params}
        return len(kinds) == 1 and _fused(*kinds.pop())

    def step(self) -> None:
        """One Adam step with the current gradient."""
        self._steps[0].add_(self._one)
        torch._fused_adam_(
            self._params, self._grads, self._exp_avgs, self._exp_avg_sqs, [], self._steps,
            amsgrad=False, lr=self.param_groups[0]["lr"], beta1=BETA1, beta2=self.beta2,
            weight_decay=self.weight_decay, eps=EPS, maximize=False, grad_scale=None,
            found_inf=None)
