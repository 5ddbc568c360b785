"""The training engine's overhead: each lab's default retrain against its matmul floor, and the
torch operator calls one optimiser step of the Regression default makes (issue #25).

The matmul floor of a run is the time of the same batched matrix multiplies alone: every
``bmm``/``baddbmm``/``mm``/``addmm`` call the run makes (forward and backward, training and
prediction), recorded with its shapes by the profiler and replayed on random tensors of those
shapes, in the same process right after the run is timed. A retrain ÷ its floor is the factor
the engine spends beyond the maths.

The operator count is deterministic, so ``tests/unit/test_step_ops.py`` bounds it too.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.common import Row, median_time, p50, p95, timings

MATMULS = ("aten::bmm", "aten::baddbmm", "aten::baddbmm_", "aten::mm", "aten::addmm")
"""The kernels that are the maths: none of them calls another, so each call is counted once
(``aten::matmul`` and ``aten::linear`` only dispatch to them; the in-place ``baddbmm_`` is
the lean training step's forward, :func:`labcore.models.mlp.layers_forward`)."""

EVAL_EVERY = 25  # the Regression lab's steps between validations
FEW_STEPS, MORE_STEPS = 4 * EVAL_EVERY + 1, 5 * EVAL_EVERY - 1
"""Step counts whose trainings validate equally often (after steps 25, 50, 75, 100 and the
last), so that their difference in operator calls is training steps only."""


def operator_calls(fn: Callable[[], object]) -> int:
    """Every torch operator call ``fn()`` makes, nested calls included, as the profiler's
    ``key_averages()`` counts them (autograd's own events too)."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return sum(event.count for event in prof.key_averages())


def calls_per_step(train_steps: Callable[[int], object], steps: int, more_steps: int) -> float:
    """Operator calls per optimiser step: ``train_steps(more_steps)`` minus
    ``train_steps(steps)``, divided by the difference in steps, so whatever both do once
    (set-up, validation at equal counts, reading the result) cancels.

    ``train_steps`` runs once untimed first, so one-time work (caches, lazy imports) counts in
    neither.
    """
    if more_steps <= steps:
        raise ValueError(f"more_steps must exceed steps ({steps}). Got {more_steps}.")
    train_steps(steps)
    few = operator_calls(lambda: train_steps(steps))
    more = operator_calls(lambda: train_steps(more_steps))
    return (more - few) / (more_steps - steps)


def regression_training(steps: int) -> None:
    """The Regression default's training (:func:`labcore.experiments.regression.fit.fit`:
    the same data, networks, losses and training settings) for ``steps`` steps."""
    from labcore.experiments.regression import fit as fitting
    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.problem import generated_problem
    from labcore.models.train import train

    config = RegressionConfig()
    problem = generated_problem(config)
    x_train, y_train = problem.training_set()
    x_val, y_val = problem.val
    scaler = fitting.Scaler.fit(x_train, y_train)
    device = torch.device("cpu")
    xt, yt = scaler.x(x_train, device), scaler.y(y_train, device)
    xv, yv = scaler.x(x_val, device), scaler.y(y_val, device)
    settings = dataclasses.replace(fitting.train_config(config, problem, yv.numel()),
                                   steps=steps)
    if settings.eval_every != EVAL_EVERY:
        raise RuntimeError(f"The Regression lab validates every {settings.eval_every} steps; "
                           f"bench_engine's step counts assume {EVAL_EVERY}.")
    train(fitting.build_model(config, device), fitting.loss_fn(config, xt.shape[0]), (xt, yt),
          settings, val_data=(xv, yv), val_loss_fn=fitting.loss_fn(config))


def regression_calls_per_step() -> float:
    """Operator calls per optimiser step of the Regression default's training (CPU)."""
    return calls_per_step(regression_training, FEW_STEPS, MORE_STEPS)


def recorded_matmuls(fn: Callable[[], object]) -> list[tuple[str, list[list[int]]]]:
    """Each matrix multiply ``fn()`` makes, in order: (operator, input shapes)."""
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        fn()
    return [(event.name, [list(s) for s in event.input_shapes])
            for event in prof.events() if event.name in MATMULS]


def _replay(calls: list[tuple[str, list[list[int]]]]) -> Callable[[], None]:
    """A function that makes the same multiplies on random tensors of the recorded shapes."""
    made: dict[tuple[int, ...], torch.Tensor] = {}

    def tensor(shape: list[int]) -> torch.Tensor:
        if tuple(shape) not in made:
            made[tuple(shape)] = torch.randn(shape)
        return made[tuple(shape)]

    ops = {"aten::bmm": torch.bmm, "aten::baddbmm": torch.baddbmm, "aten::mm": torch.mm,
           "aten::addmm": torch.addmm, "aten::baddbmm_": torch.Tensor.baddbmm_}
    work = []
    for name, shapes in calls:
        n_tensors = 2 if name in ("aten::bmm", "aten::mm") else 3
        work.append((ops[name], [tensor(s) for s in shapes[:n_tensors]]))

    def run() -> None:
        with torch.no_grad():
            for op, args in work:
                op(*args)

    return run


def floor_row(lab: str, retrain: Callable[[], object], limit: float, repeats: int,
              note: str) -> Row:
    """The ratio of ``retrain()``'s time to its matmul floor, both timed here."""
    calls = recorded_matmuls(retrain)
    t_run = median_time(retrain, repeats)
    t_floor = median_time(_replay(calls), max(repeats, 5))
    ratio = t_run / t_floor
    kinds = collections.Counter(name.removeprefix("aten::") for name, _ in calls)
    return Row(f"Engine: {lab} default retrain ÷ its matmul floor", ratio, "×",
               f"≤ {limit:g} ×", ratio <= limit,
               f"{t_run:.3f} s vs {t_floor:.3f} s for its {len(calls)} multiplies alone "
               f"({', '.join(f'{n} {k}' for k, n in kinds.most_common())}); {note}")


def run(quick: bool = False) -> list[Row]:
    from labcore.experiments.calibration.config import CalibrationConfig
    from labcore.experiments.calibration.run import run_calibration
    from labcore.experiments.classification.config import ClassificationConfig
    from labcore.experiments.classification.run import run_classification
    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.run import run_regression

    repeats = 2 if quick else 5
    threads = f"{torch.get_num_threads()} torch thread(s)"

    def regression() -> object:
        return run_regression(RegressionConfig())

    times = timings(regression, repeats)
    t_regression = p50(times)
    calls = regression_calls_per_step()
    return [
        Row("Engine: Regression default retrain", t_regression, "s", "≤ 0.2 s",
            t_regression <= 0.2, f"run_regression(RegressionConfig()): 5 networks × 500 "
            f"full-batch Adam steps, {threads}", p95(times)),
        floor_row("Regression", regression, 3.0, repeats, threads),
        floor_row("Calibration", lambda: run_calibration(CalibrationConfig()), 2.0,
                  max(1, repeats // 2), threads),
        floor_row("Classification", lambda: run_classification(ClassificationConfig()), 1.2,
                  max(1, repeats // 2), threads),
        Row("Engine: torch operator calls per optimiser step, Regression default", calls, "",
            "≤ 60", calls <= 60, f"profiler key_averages, nested calls counted: "
            f"({MORE_STEPS} steps − {FEW_STEPS} steps) / {MORE_STEPS - FEW_STEPS}"),
    ]
