"""Train live: the Regression lab's run, with a look at the bands every few steps.

:func:`run_regression_live` trains exactly what ``run_regression`` trains (the same
:func:`~labcore.experiments.regression.run.run_problem`) and, through the training loop's
snapshot hook, hands a small :class:`LiveFrame` — the step, the loss curve so far, the
predictive mean and the aleatoric and epistemic σ on the plotting grid — to ``on_frame`` by the
rules of :mod:`labcore.experiments.live_frames`: every ``frame_every`` steps, after the last,
and once more at the last step when the validation points hand the networks back earlier
weights (that frame replaces the one before it:
:func:`~labcore.experiments.live_frames.record_frame`). A frame draws no random
numbers from torch's global generator nor from the model's own dropout generator (MC dropout
samples its masks with a generator of its own, the same masks in every frame, so the band
moves only because the weights do), so the result with frames is bit-identical to the result
without.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch

from labcore.experiments import live_frames
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.fit import (
    Scaler,
    Watch,
    heads,
    sample_predictions,
    variance_knots,
)
from labcore.experiments.regression.problem import Problem, generated_problem, uploaded_problem
from labcore.experiments.regression.run import RegressionResult, UploadedRegression, run_problem
from labcore.models.mlp import BatchedMLP
from labcore.models.train import Progress, Snapshot
from labcore.uncertainty.decomposition import variance_decomposition

FRAME_EVERY_MIN = 20
"""Steps between frames at least: 20 steps of the default (500 steps) give 25 frames."""
MAX_FRAMES = 40
"""Longer trainings space their frames out so that a run shows at most this many (+ the last)."""


@dataclasses.dataclass(frozen=True)
class LiveScene:
    """What stays fixed while a model trains: the data and the truth (units of y).

    Attributes:
        x_grid: (G,) the plotting grid.
        x_train, y_train: the training points (added points included).
        x_added, y_added: the added points alone (empty when none).
        true_mean, true_std: f(x) and σ(x) on the grid (None for a user's data).
        data_range: where training inputs lie; gap: the empty interval or None.
    """

    x_grid: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_added: np.ndarray
    y_added: np.ndarray
    true_mean: np.ndarray | None
    true_std: np.ndarray | None
    data_range: tuple[float, float]
    gap: tuple[float, float] | None


@dataclasses.dataclass(frozen=True)
class LiveFrame:
    """The model after ``step`` of ``total_steps`` Adam steps (numpy, units of y).

    Attributes:
        step: steps taken so far.
        total_steps: steps the run was asked for (early stopping may end it sooner).
        train_loss: (step,) training loss at every step so far, mean over members.
        pred_mean, aleatoric_std, epistemic_std: (G,) the predictive mixture on the grid.
        scene: the data and truth (the same object in every frame of a run).
    """

    step: int
    total_steps: int
    train_loss: np.ndarray
    pred_mean: np.ndarray
    aleatoric_std: np.ndarray
    epistemic_std: np.ndarray
    scene: LiveScene

    @property
    def total_std(self) -> np.ndarray:
        """(G,) √(aleatoric² + epistemic²)."""
        return np.sqrt(self.aleatoric_std**2 + self.epistemic_std**2)


OnFrame = Callable[[LiveFrame], None]


def frame_interval(steps: int) -> int:
    """Steps between frames: at least :data:`FRAME_EVERY_MIN`, at most :data:`MAX_FRAMES` frames.

    >>> frame_interval(500), frame_interval(2000), frame_interval(5000)
    (20, 50, 125)
    """
    return live_frames.frame_interval(steps, MAX_FRAMES, at_least=FRAME_EVERY_MIN)


def _scene(problem: Problem) -> LiveScene:
    x_add, y_add = problem.added
    return LiveScene(
        x_grid=problem.x_grid, x_train=np.concatenate([problem.train[0], x_add]),
        y_train=np.concatenate([problem.train[1], y_add]), x_added=x_add, y_added=y_add,
        true_mean=problem.true_mean, true_std=problem.true_std, data_range=problem.data_range,
        gap=problem.gap)


def _watcher(config: RegressionConfig, scene: LiveScene, on_frame: OnFrame) -> Watch:
    """The :data:`~labcore.experiments.regression.fit.Watch` that makes frames."""

    def watch(scaler: Scaler, xt: torch.Tensor, yt: torch.Tensor, x_grid: np.ndarray
              ) -> Snapshot:
        grid = scaler.x(x_grid, xt.device)
        limits = variance_knots(xt)

        def frame(step: int, model: BatchedMLP, train_loss: np.ndarray) -> LiveFrame:
            # MC dropout: the frame's masks come from a generator of its own, seeded the same
            # in every frame; the model's generator (the training's masks) is put back as it was.
            own = model.dropout_generator
            model.dropout_generator = torch.Generator(device=xt.device).manual_seed(
                config.seed + 2)
            try:
                means, variances = sample_predictions(model, grid, config, limits)
                if variances is None:  # MSE: one σ² per member from the training residuals
                    fit, _ = heads(model(xt, dropout=False))
                    resid = ((fit - yt) ** 2).mean(dim=1).cpu().numpy().astype(float)
                    if config.method == "mc_dropout":  # one network: one σ for every pass
                        resid = np.full(means.shape[0], resid[0])
                    variances = np.broadcast_to(np.maximum(resid, 1e-12)[:, None], means.shape)
            finally:
                model.dropout_generator = own
            mean, alea, epi = variance_decomposition(means, variances)
            return LiveFrame(
                step=step, total_steps=config.steps, train_loss=train_loss,
                pred_mean=mean * scaler.y_sd + scaler.y_mu,
                aleatoric_std=np.sqrt(alea) * scaler.y_sd,
                epistemic_std=np.sqrt(epi) * scaler.y_sd, scene=scene)

        return live_frames.frame_hook(frame, on_frame)

    return watch


def run_regression_live(
    run: RegressionConfig | UploadedRegression,
    on_frame: OnFrame,
    frame_every: int | None = None,
    progress: Progress | None = None,
) -> RegressionResult:
    """:func:`~labcore.experiments.regression.run.run_regression` with a frame every few steps.

    The training, and so the result, is exactly the one without frames.

    Args:
        run: the experiment (a config), or a user's data with one
            (:class:`~labcore.experiments.regression.run.UploadedRegression`).
        on_frame: called with each :class:`LiveFrame`; one whose step is the previous one's
            shows the weights the networks keep and replaces it
            (:func:`~labcore.experiments.live_frames.record_frame`).
        frame_every: steps between frames; default :func:`frame_interval` of the steps.
        progress: ``progress(fraction, message)``, as for ``run_regression``.

    Raises:
        ValueError: a bad config, or training diverged (the message says what to change).
    """
    if isinstance(run, UploadedRegression):
        config, problem = run.config, uploaded_problem(run.data, run.config.seed)
    else:
        config, problem = run, generated_problem(run)
    every = live_frames.resolve_every(frame_every, frame_interval(config.steps))
    watch = _watcher(config, _scene(problem), on_frame)
    return run_problem(config, problem, progress, watch=watch, watch_every=every)


def keep_frames(frames: Sequence[LiveFrame], at_most: int = MAX_FRAMES + 1) -> list[LiveFrame]:
    """At most ``at_most`` frames, evenly spaced, always with the first and the last.

    >>> [f for f in keep_frames(list(range(10)), 4)]  # any sequence works
    [0, 3, 6, 9]
    """
    return live_frames.keep_frames(frames, at_most)
