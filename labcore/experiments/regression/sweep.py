"""The Regression lab's size sweep (scene S3): retrain at 20 … 1,000 points and watch the two
kinds of σ — aleatoric settles at the true noise, an ensemble's epistemic spread falls."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from labcore.budget import check_computation
from labcore.data.regression import X_RANGE
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.cost import ADVICE, run_parts
from labcore.experiments.regression.report import fmt
from labcore.experiments.regression.run import run_regression
from labcore.models.train import Progress

SWEEP_SIZES = (20, 50, 100, 200, 500, 1000)


@dataclasses.dataclass(frozen=True)
class SizeSweepResult:
    """Mean aleatoric and epistemic σ inside the data range against training-set size.

    Attributes:
        sizes: (K,) training-set sizes.
        aleatoric_std, epistemic_std: (K,) mean over grid points in [−4, 4].
        true_std: mean true σ(x) over the same grid points (what aleatoric σ should approach).
        rmse: (K,) held-out RMSE of each run.
        method: "ensemble" or "mc_dropout", the epistemic method of every run.
    """

    sizes: np.ndarray
    aleatoric_std: np.ndarray
    epistemic_std: np.ndarray
    true_std: float
    rmse: np.ndarray
    method: str = "ensemble"


def sweep_config(config: RegressionConfig) -> RegressionConfig:
    """The config the size sweep uses: no added points, and an ensemble if no method is set;
    no quantile network or Gaussian process (the sweep reads neither; a GP would also refuse
    the largest sizes)."""
    method = "ensemble" if config.method == "none" else config.method
    return config.replace(add_where="nowhere", method=method, quantile_band=False,
                          gp_reference=False)


def run_size_sweep(
    config: RegressionConfig,
    progress: Progress | None = None,
    sizes: tuple[int, ...] = SWEEP_SIZES,
) -> SizeSweepResult:
    """Retrain at each training-set size and average the two kinds of σ over the data range.

    Aleatoric σ should settle at the true noise: more data does not make y less noisy. What
    epistemic σ does depends on the method. A deep ensemble's members agree more as the data
    pin the function down, so its spread falls towards 0 as n grows. MC dropout at a fixed rate
    does not: its spread comes from the random masks, which stay however much data there is
    (Gal & Ghahramani 2016 tie the rate and weight decay to n for the spread to shrink), so it
    falls only a little and levels off above 0.
    """
    if not sizes or any(n < 5 for n in sizes):
        raise ValueError(f"sizes must be a non-empty tuple of numbers ≥ 5. Got {sizes}.")
    base = sweep_config(config)
    check_computation([part for n in sizes for part in run_parts(base, n_points=n)], ADVICE,
                      f"This sweep ({len(sizes)} trainings, n = {sizes[0]} … {sizes[-1]})")
    alea, epi, rmse = [], [], []
    true_mean_std = math.nan
    for i, n in enumerate(sizes):
        def sub(frac: float, msg: str, i: int = i, n: int = n) -> None:
            if progress is not None:
                progress((i + frac) / len(sizes), f"n = {n} ({i + 1} of {len(sizes)}): {msg}")

        result = run_regression(base.replace(n_points=n), progress=sub)
        inside = (result.x_grid >= X_RANGE[0]) & (result.x_grid <= X_RANGE[1])
        alea.append(float(np.mean(result.aleatoric_std[inside])))
        epi.append(float(np.mean(result.epistemic_std[inside])))
        rmse.append(result.metrics["rmse"])
        true_mean_std = float(np.mean(result.true_std[inside]))
    return SizeSweepResult(
        sizes=np.asarray(sizes), aleatoric_std=np.asarray(alea), epistemic_std=np.asarray(epi),
        true_std=true_mean_std, rmse=np.asarray(rmse), method=base.method,
    )


def sweep_table(sweep: SizeSweepResult) -> dict[str, np.ndarray]:
    """Columns of the size sweep: n, mean aleatoric σ, mean epistemic σ, RMSE."""
    return {
        "n_points": sweep.sizes,
        "mean_aleatoric_std": sweep.aleatoric_std,
        "mean_epistemic_std": sweep.epistemic_std,
        "true_mean_std": np.full(sweep.sizes.shape, sweep.true_std),
        "test_rmse": sweep.rmse,
    }


def sweep_notice(sweep: SizeSweepResult) -> str:
    """The caption of the size sweep: what the numbers did, and what holds for which method.

    A deep ensemble's spread falls towards 0 as n grows; MC dropout at a fixed rate keeps a
    spread from its masks however many points there are, so it does not.
    """
    e0, e1 = float(sweep.epistemic_std[0]), float(sweep.epistemic_std[-1])
    n0, n1 = int(sweep.sizes[0]), int(sweep.sizes[-1])
    every = bool(np.all(np.diff(sweep.epistemic_std) < 0))
    if e1 < e0:
        moved = f"fell {e0 / e1:.1f}-fold{'' if every else ' overall (not at every step)'}"
    else:
        moved = "did not fall"
    epistemic = (f"epistemic σ {moved}, from {fmt(e0)} at n = {n0:,} to {fmt(e1)} at "
                 f"n = {n1:,}")
    if sweep.method == "mc_dropout":
        why = ("MC dropout at a fixed rate does not fall towards 0 the way an ensemble does: "
               "its spread comes from the random dropout masks, which stay however many points "
               "there are")
    else:
        why = ("a deep ensemble's members agree more as the data pin the curve down, so its "
               "spread falls towards 0 as n grows")
    a1 = float(sweep.aleatoric_std[-1])
    return (f"Notice: {epistemic}; {why}. Aleatoric σ at n = {n1:,}: {fmt(a1)} against the "
            f"true noise {fmt(sweep.true_std)} — more data cannot remove noise that is in y "
            "itself.")
