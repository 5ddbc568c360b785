"""Train live's shared frame rules (labcore.experiments.live_frames), on hand-made frames."""

from __future__ import annotations

from types import SimpleNamespace as Look

import numpy as np
import pytest
import torch

from labcore.experiments import live_frames
from labcore.experiments.classification import live as classification_live
from labcore.experiments.regression import live as regression_live
from labcore.models.mlp import BatchedMLP
from labcore.models.train import TrainConfig, train


def test_frame_interval_bounds_the_frames_and_their_spacing():
    # ⌈500 / 40⌉ = 13 < 20 → 20 (25 frames); ⌈2000 / 40⌉ = 50 (40 frames); ⌈50 / 25⌉ = 2.
    assert live_frames.frame_interval(500, 40, at_least=20) == 20
    assert live_frames.frame_interval(2000, 40, at_least=20) == 50
    assert live_frames.frame_interval(50, 25) == 2
    # Each lab's own interval is the shared rule with its own numbers.
    assert regression_live.frame_interval(5000) == live_frames.frame_interval(5000, 40, 20)
    assert classification_live.frame_interval(400) == live_frames.frame_interval(400, 25)


def test_resolve_every_takes_the_callers_spacing_or_the_default():
    assert live_frames.resolve_every(None, 16) == 16
    assert live_frames.resolve_every(3, 16) == 3
    with pytest.raises(ValueError, match=r"frame_every must be at least 1 or None\. Got 0\."):
        live_frames.resolve_every(0, 16)


def test_a_frame_at_the_same_step_replaces_the_last_one():
    frames: list = []
    for step, weights in [(20, "a"), (40, "b"), (60, "c"), (60, "kept")]:
        live_frames.record_frame(frames, Look(step=step, weights=weights))
    assert [(f.step, f.weights) for f in frames] == [(20, "a"), (40, "b"), (60, "kept")]


def test_the_frame_hook_hands_on_the_members_mean_loss():
    seen = []

    def make(step, model, train_loss):
        return Look(step=step, train_loss=train_loss)

    hook = live_frames.frame_hook(make, seen.append)
    hook(2, None, np.array([[1.0, 3.0], [2.0, 6.0]]))  # (steps, M = 2)
    assert seen[0].step == 2 and seen[0].train_loss.tolist() == [2.0, 4.0]


def test_keep_frames_thins_evenly_and_keeps_both_ends():
    assert live_frames.keep_frames(list(range(101)), 5) == [0, 25, 50, 75, 100]
    assert live_frames.keep_frames([1, 2], 5) == [1, 2]


def test_recorded_frames_of_a_training_with_kept_weights_end_on_them():
    # Validation against y = 1 while training towards y = 2: the output passes 1 on its way,
    # early stopping hands those weights back, and the loop looks once more at the last step.
    x = torch.linspace(-1, 1, 16)[:, None]
    model = BatchedMLP(1, 1, 1, hidden=8, seed=0)

    def loss(target: float):
        return lambda m, batch: ((m(batch[0])[..., 0] - target) ** 2).mean(dim=1)

    sent: list = []
    recorded: list = []

    def on_frame(frame) -> None:
        sent.append(frame)
        live_frames.record_frame(recorded, frame)

    hook = live_frames.frame_hook(
        lambda step, m, train_loss: Look(step=step, val=float(loss(1.0)(m, (x,))[0])), on_frame)
    history = train(model, loss(2.0), (x,), TrainConfig(steps=400, eval_every=5, patience=3),
                    val_data=(x,), val_loss_fn=loss(1.0), snapshot=hook, snapshot_every=5)
    assert history.steps_run < 400  # it stopped early
    # The loop sent two frames at the last step: the last weights, then the kept ones.
    assert sent[-1].step == sent[-2].step == history.steps_run
    assert sent[-2].val == pytest.approx(history.val_loss[-1, 0], rel=1e-6)
    assert sent[-1].val == pytest.approx(history.val_loss.min(), rel=1e-6)
    assert sent[-1].val < sent[-2].val
    # Recorded: one frame per step, ending on the kept weights.
    steps = [f.step for f in recorded]
    assert steps == sorted(set(steps)) and len(recorded) == len(sent) - 1
    assert recorded[-1] is sent[-1]
