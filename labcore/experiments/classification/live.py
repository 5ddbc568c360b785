"""Train live: the Classification lab's run on a 2-D toy, with a look at the map every few steps.

:func:`run_classification_live` runs exactly what ``run_classification`` runs (the same
``run_on_data``) and, through the training loop's snapshot hook, hands a small frozen
:class:`LiveFrame` — the step, the mean training loss so far, and the predicted class and
confidence on the decision map's grid — to ``on_frame`` by the rules of
:mod:`labcore.experiments.live_frames`: every ``frame_every`` steps, after the last, and once
more at the last step should validation hand the networks back earlier weights (that frame
replaces the one before it: :func:`~labcore.experiments.live_frames.record_frame`). A frame
evaluates the networks with dropout off (MC dropout included: no masks are sampled) and draws
no random numbers, so the result with frames is bit-identical to the result without. For an
ensemble the frame's map is the members' mean probabilities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch

from labcore.experiments import live_frames
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import (
    ClassificationResult,
    load_data,
    map_grid,
    noisy_labels,
    run_on_data,
)
from labcore.models.classifier import ClassifierOutput
from labcore.models.mlp import BatchedMLP
from labcore.models.train import Progress

TARGET_FRAMES = 25
"""Frames per training (about): 400 steps give one every 16 steps."""
KEEP_FRAMES = 30
"""Frames a page keeps for replay (:func:`keep_frames`), the first and the last among them."""
LOSS_WINDOW = 10
"""Steps whose mean loss a caption reads (one mini-batch's loss is noisy)."""


@dataclasses.dataclass(frozen=True)
class LiveScene:
    """What stays fixed while the model trains (standardised feature units).

    Attributes:
        x1, x2: (G,) the decision map's grid coordinates.
        x_train: (n, 2) training points.
        y_train_noisy: (n,) the labels the model is given.
        flipped: (n,) which of them were flipped.
        n_classes: K.
    """

    x1: np.ndarray
    x2: np.ndarray
    x_train: np.ndarray
    y_train_noisy: np.ndarray
    flipped: np.ndarray
    n_classes: int


@dataclasses.dataclass(frozen=True)
class LiveFrame:
    """The model after ``step`` of ``total_steps`` Adam steps.

    Attributes:
        step: steps taken so far.
        total_steps: steps the run was asked for.
        train_loss: (step,) training loss at every step so far, mean over members.
        classes: (G, G) predicted class on the grid, rows along x2.
        confidence: (G, G) max softmax probability (of the members' mean probabilities).
        scene: the grid and the data (the same object in every frame of a run).
    """

    step: int
    total_steps: int
    train_loss: np.ndarray
    classes: np.ndarray
    confidence: np.ndarray
    scene: LiveScene


OnFrame = Callable[[LiveFrame], None]


def frame_interval(steps: int) -> int:
    """Steps between frames, so that a training shows about :data:`TARGET_FRAMES` of them.

    >>> frame_interval(400), frame_interval(1200), frame_interval(50)
    (16, 48, 2)
    """
    return live_frames.frame_interval(steps, TARGET_FRAMES)


def frame_map(model: BatchedMLP, grid: torch.Tensor, n_classes: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class and confidence of the members' mean softmax at ``grid``, dropout off.

    Args:
        model: the M members (class scores first in their outputs).
        grid: (g, 2) points on the model's device.
        n_classes: K.

    Returns:
        ``(classes, confidence)``, each (g,).
    """
    with torch.no_grad():
        logits = model(grid, dropout=False)[..., :n_classes]
    probs = ClassifierOutput(logits.cpu().numpy().astype(np.float64), None).mean_probs
    return probs.argmax(axis=1), probs.max(axis=1)


def run_classification_live(
    config: ClassificationConfig,
    on_frame: OnFrame,
    frame_every: int | None = None,
    progress: Progress | None = None,
) -> ClassificationResult:
    """:func:`~labcore.experiments.classification.run.run_classification` with frames.

    The training, and so the result, is exactly the one without frames.

    Args:
        config: an experiment on a 2-D toy.
        on_frame: called with each :class:`LiveFrame`; one whose step is the previous one's
            shows the weights the networks keep and replaces it
            (:func:`~labcore.experiments.live_frames.record_frame`).
        frame_every: steps between frames; default :func:`frame_interval` of the steps.
        progress: ``progress(fraction, message)``, as for ``run_classification``.

    Raises:
        ValueError: digits, a bad ``frame_every``, or training diverged (the message says
            what to change).
    """
    if not config.is_toy:
        raise ValueError("Train live works on the 2-D toys: choose moons, circles, blobs or "
                         f"spirals as the dataset. Got {config.dataset!r}.")
    every = live_frames.resolve_every(frame_every, frame_interval(config.steps))
    data = load_data(config)
    noisy, flipped = noisy_labels(config, data)
    x1, x2, points = map_grid(data)
    scene = LiveScene(x1=x1, x2=x2, x_train=data.x_train, y_train_noisy=noisy,
                      flipped=flipped, n_classes=data.n_classes)
    shape = (x2.size, x1.size)
    on_device: dict[torch.device, torch.Tensor] = {}

    def frame(step: int, model: BatchedMLP, train_loss: np.ndarray) -> LiveFrame:
        device = next(model.parameters()).device
        if device not in on_device:
            on_device[device] = torch.as_tensor(points, device=device)
        classes, confidence = frame_map(model, on_device[device], data.n_classes)
        return LiveFrame(
            step=step, total_steps=config.steps, train_loss=train_loss,
            classes=classes.reshape(shape).astype(np.int16),
            confidence=confidence.reshape(shape).astype(np.float32), scene=scene)

    return run_on_data(config, data, progress,
                       snapshot=live_frames.frame_hook(frame, on_frame), snapshot_every=every)


def keep_frames(frames: Sequence[LiveFrame], at_most: int = KEEP_FRAMES) -> list[LiveFrame]:
    """At most ``at_most`` frames, evenly spaced, always with the first and the last.

    >>> keep_frames(list(range(10)), 4)  # any sequence works
    [0, 3, 6, 9]
    """
    return live_frames.keep_frames(frames, at_most)


def live_notice(frames: Sequence[LiveFrame], index: int) -> str:
    """The caption under a frame: how far the loss fell, and whether the boundary still moves.

    Compares frame ``index`` with the one before it (the share of the map whose predicted
    class changed) and the frame's mean loss over its last :data:`LOSS_WINDOW` steps with the
    first frame's mean over its first ones.
    """
    if not 0 <= index < len(frames):
        raise ValueError(f"index must be between 0 and {len(frames) - 1}. Got {index}.")
    frame = frames[index]
    start = float(frames[0].train_loss[:LOSS_WINDOW].mean())
    now = float(frame.train_loss[-LOSS_WINDOW:].mean())
    text = (f"Notice: at step {frame.step} of {frame.total_steps} the training loss (mean of the "
            f"last {min(LOSS_WINDOW, frame.train_loss.size)} steps) is {now:.3f}, from "
            f"{start:.3f} at the start")
    if index == 0:
        return text + "; move the step slider to see the map change."
    before = frames[index - 1]
    changed = float(np.mean(frame.classes != before.classes))
    if changed > 0:
        return (text + f"; {changed:.1%} of the map changed class since step {before.step}: "
                "the boundary is still moving.")
    return (text + f"; no point of the map changed class since step {before.step}: the "
            "boundary has settled, only the confidence still changes.")
