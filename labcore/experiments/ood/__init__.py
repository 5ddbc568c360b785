"""The OOD lab (S10, S4): distribution shift, OOD detection, fooling images, 2-D maps."""

from labcore.experiments.ood.shift import ShiftConfig, ShiftResult, run_shift

__all__ = ["ShiftConfig", "ShiftResult", "run_shift"]
