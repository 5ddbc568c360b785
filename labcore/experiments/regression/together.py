"""Regression runs that arrive together train together: requests that differ only in their seed
and noise level (a class whose students each try a seed or a noise level of their own) as one
batched network.

:func:`run_regression_together` returns, for each config, what
:func:`~labcore.experiments.regression.run.run_regression` returns for it alone, by the
machinery of "Repeat × N" (:mod:`labcore.experiments.regression.seeds`): each config's data and
networks are built as in its own run, the members of all of them stacked along the member
dimension and trained by one loop, each member on its own config's data. Measured on the 2-core
machine, 20 default configs take 1.38 s this way against 3.64 s one after another, 5 take
0.52 s against 0.94 s.

The server (:mod:`labui.together`) groups requests by :func:`together_key` while they wait for
their turn to train.
"""

from __future__ import annotations

from collections.abc import Sequence

from labcore.device import default_device
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.problem import generated_problem
from labcore.experiments.regression.run import RegressionResult, run_regression
from labcore.experiments.regression.seeds import MAX_SEEDS, _part, _run_stacked, stackable
from labcore.models.train import Progress

MAX_TOGETHER = MAX_SEEDS
"""The most configs one batch trains (a batch of 20 default configs stacks 100 networks)."""

Outcome = RegressionResult | ValueError
"""A config's result, or the error its own run would have raised (a diverged training)."""


def together_key(config: RegressionConfig) -> RegressionConfig | None:
    """What configs must share to train in one batch: every setting but the seed and the noise
    level (these change only the numbers a network is built from and trained on, not their
    shapes or how it trains).

    None where such a config would not train stacked, so it trains alone: MC dropout (the
    members' masks come from one generator), mini-batches (each seed draws its own order), or
    a device other than the CPU (see :func:`~labcore.experiments.regression.seeds.stackable`).

    >>> together_key(RegressionConfig(seed=7)) == together_key(RegressionConfig(noise_scale=2))
    True
    >>> together_key(RegressionConfig(method="mc_dropout")) is None
    True
    """
    if (config.method not in ("none", "ensemble") or config.batch_size != 0
            or default_device().type != "cpu"):
        return None
    return config.replace(seed=0, noise_scale=1.0)


def run_regression_together(configs: Sequence[RegressionConfig],
                            progress: Progress | None = None) -> list[Outcome]:
    """``run_regression(c)`` for every config of ``configs``, trained as one batch where
    :func:`~labcore.experiments.regression.seeds.stackable` allows, else one after another.

    Args:
        configs: 1 to :data:`MAX_TOGETHER` configs with one :func:`together_key`.
        progress: ``progress(fraction, message)`` across the whole batch.

    Returns:
        In the order of ``configs``: each one's result, or the ``ValueError`` its own run
        raises (returned, not raised, so one diverged config does not take the others down).

    Raises:
        ValueError: ``configs`` is empty, too long, or mixes settings other than the seed.
    """
    if not 1 <= len(configs) <= MAX_TOGETHER:
        raise ValueError(f"Between 1 and {MAX_TOGETHER} configs train together. "
                         f"Got {len(configs)}.")
    keys = {together_key(c) for c in configs}
    if len(keys) != 1 or None in keys:
        alone = sum(together_key(c) is None for c in configs)
        raise ValueError("Only configs that differ in nothing but the seed and the noise level, "
                         "and that train "
                         f"stacked, train together. Got {len(keys - {None})} different "
                         f"settings and {alone} config(s) that train alone.")
    if len(configs) > 1:
        problems = [generated_problem(c) for c in configs]
        if stackable(configs[0], problems):
            stacked = _run_stacked(list(configs), problems, progress, what="requests")
            if stacked is not None:
                return list(stacked)
    n = len(configs)  # one config, or a batch in which a training diverged: each alone
    return [_alone(c, _part(progress, k / n, (k + 1) / n, f"{k + 1} of {n}: " if n > 1 else ""))
            for k, c in enumerate(configs)]


run_together = run_regression_together  # the name labui.run looks for


def _alone(config: RegressionConfig, progress: Progress | None) -> Outcome:
    try:
        return run_regression(config, progress)
    except ValueError as error:
        return error
