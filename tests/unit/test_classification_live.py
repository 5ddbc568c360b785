"""Train live on the Classification lab, and the captions of its maps and noise sweep.

A live run must end exactly where a plain run ends (its frames only look at the model); each
caption must state the numbers it is given and change its wording when they do not show the
pattern it teaches.
"""

from __future__ import annotations

import math
from types import SimpleNamespace as NS

import numpy as np
import pytest
import torch

from labcore.experiments.classification import notices
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.live import (
    KEEP_FRAMES,
    LiveFrame,
    keep_frames,
    live_notice,
    run_classification_live,
)
from labcore.experiments.classification.run import GRID_SIZE, DecisionMap, run_classification

SMALL = ClassificationConfig(dataset="moons", n_points=300, hidden=32, steps=60, n_views=4,
                             train_copies=1, label_noise=0.2, members=3)


def _frames_and_result(config: ClassificationConfig, every: int | None = None):
    frames: list[LiveFrame] = []
    return frames, run_classification_live(config, frames.append, frame_every=every)


@pytest.mark.parametrize("method", ["none", "ensemble", "mc_dropout"])
def test_a_live_run_ends_exactly_where_a_plain_run_ends(method: str) -> None:
    config = SMALL.replace(method=method)
    torch.manual_seed(0)
    plain = run_classification(config)
    torch.manual_seed(0)
    frames, live = _frames_and_result(config)
    assert len(frames) > 1
    np.testing.assert_array_equal(live.train_loss, plain.train_loss)
    np.testing.assert_array_equal(live.val_loss, plain.val_loss)
    np.testing.assert_array_equal(live.test.probs, plain.test.probs)
    np.testing.assert_array_equal(live.train.view_probs, plain.train.view_probs)
    np.testing.assert_array_equal(live.decision_map.confidence, plain.decision_map.confidence)
    np.testing.assert_array_equal(live.decision_map.classes, plain.decision_map.classes)
    assert live.metrics == plain.metrics


def test_frames_come_every_few_steps_with_the_loss_so_far_and_the_map() -> None:
    frames, result = _frames_and_result(SMALL.replace(method="ensemble"), every=25)
    assert [f.step for f in frames] == [25, 50, 60]  # every 25 steps, and the last one
    members = result.train_loss.shape[1]
    assert members == 3
    for f in frames:
        assert f.total_steps == 60
        assert f.classes.shape == f.confidence.shape == (GRID_SIZE, GRID_SIZE)
        # The curve is the mean over the members of the steps taken so far.
        np.testing.assert_allclose(f.train_loss, result.train_loss[:f.step].mean(axis=1))
        # Two classes: the confidence of the mean softmax lies in [1/2, 1].
        assert f.confidence.min() >= 0.5 - 1e-6 and f.confidence.max() <= 1.0 + 1e-6
    # The last frame sees the final weights: its map is the result's (members' mean).
    np.testing.assert_array_equal(frames[-1].classes, result.decision_map.classes)
    np.testing.assert_allclose(frames[-1].confidence, result.decision_map.confidence,
                               rtol=1e-6)
    assert frames[0].scene is frames[-1].scene
    np.testing.assert_array_equal(frames[0].scene.y_train_noisy, result.y_train_noisy)


def test_the_default_frame_interval_gives_about_25_frames() -> None:
    frames, _ = _frames_and_result(SMALL.replace(steps=100))
    assert [f.step for f in frames] == list(range(4, 101, 4))  # ceil(100 / 25) = 4


def test_digits_are_not_offered_live() -> None:
    with pytest.raises(ValueError, match=r"2-D toys.*Got 'digits'"):
        run_classification_live(ClassificationConfig(), lambda frame: None)


def test_keep_frames_spaces_them_evenly_with_the_first_and_the_last() -> None:
    kept = keep_frames(list(range(100)))
    assert len(kept) == KEEP_FRAMES and kept[0] == 0 and kept[-1] == 99
    assert np.all(np.diff(kept) >= 3)  # 99 / 29 ≈ 3.4 apart
    assert keep_frames([1, 2, 3]) == [1, 2, 3]


def _frame(step: int, classes: list[list[int]], losses: list[float]) -> LiveFrame:
    c = np.asarray(classes)
    return LiveFrame(step=step, total_steps=30, train_loss=np.asarray(losses, dtype=float),
                     classes=c, confidence=np.ones(c.shape), scene=None)


def test_the_live_caption_says_how_much_of_the_map_changed() -> None:
    first = _frame(10, [[0, 0], [1, 1]], [1.0] * 10)
    moved = _frame(20, [[0, 1], [1, 1]], [1.0] * 10 + [0.5] * 10)  # 1 of 4 cells changed
    same = _frame(30, [[0, 1], [1, 1]], [1.0] * 10 + [0.5] * 10 + [0.25] * 10)
    frames = [first, moved, same]
    text = live_notice(frames, 1)
    assert "loss (mean of the last 10 steps) is 0.500, from 1.000" in text
    assert "25.0% of the map changed class since step 10" in text and "still moving" in text
    settled = live_notice(frames, 2)
    assert "is 0.250" in settled and "no point of the map changed class since step 20" in settled
    with pytest.raises(ValueError, match="Got 3"):
        live_notice(frames, 3)


# A 2 × 5 map over x1 = 0…4, x2 = 0…1; classes 0 in columns 0–1, 1 in columns 2–4, so the
# boundary cells are columns 1 and 2. With one training point at (0, 0) the farthest tenth of
# the 10 cells is the single cell (x1 = 4, x2 = 1), at distance √17.
CLASSES = np.array([[0, 0, 1, 1, 1]] * 2)
BOUNDARY = np.zeros((2, 5), dtype=bool)
BOUNDARY[:, 1:3] = True
FAR = np.zeros((2, 5), dtype=bool)
FAR[1, 4] = True


def _map(confidence=None, sigma=None, aleatoric=None, epistemic=None) -> DecisionMap:
    return DecisionMap(np.arange(5.0), np.arange(2.0), CLASSES,
                       np.full((2, 5), 0.8) if confidence is None else confidence,
                       sigma, aleatoric, epistemic)


def _result(dmap: DecisionMap, train_sigma=None, flipped=None, n_train: int = 1):
    return NS(decision_map=dmap, x_train=np.zeros((n_train, 2)), n_classes=2, loss="uanll",
              method="ensemble", flipped=np.zeros(n_train, bool) if flipped is None else flipped,
              train=NS(sigma=train_sigma))


def test_the_map_regions_are_the_boundary_and_the_farthest_tenth() -> None:
    regions = notices.map_regions(_map(), np.zeros((1, 2)))
    np.testing.assert_array_equal(regions.boundary, BOUNDARY)
    np.testing.assert_array_equal(regions.far, FAR)
    assert notices.nearest_distance(np.array([[4.0, 1.0]]), np.zeros((1, 2)))[0] == (
        pytest.approx(math.sqrt(17)))


def test_the_confidence_caption_states_the_overconfidence_it_measures() -> None:
    conf = np.full((2, 5), 0.8)
    conf[BOUNDARY] = 0.55
    conf[FAR] = 0.97
    text = notices.confidence_map_notice(_result(_map(conf)))
    assert "0.55 on the decision boundary (1/K = 0.50) and 0.97 in the tenth" in text
    assert "yet sure where it has never seen a point" in text
    conf[FAR] = 0.5  # no surer far away than on the boundary: the caption says so
    text = notices.confidence_map_notice(_result(_map(conf)))
    assert "and 0.50 in the tenth" in text and "not surer far from the data" in text
    assert notices.SPIRALS_PRESET in text


def test_the_sigma_caption_compares_boundary_and_flipped_labels() -> None:
    sigma = np.where(BOUNDARY, 0.8, 0.2)
    flipped = np.array([True, False])
    text = notices.sigma_map_notice(_result(_map(sigma=sigma), np.array([0.9, 0.3]), flipped, 2))
    assert "0.800 on the decision boundary and 0.200 elsewhere" in text
    assert "0.900 at the training points whose label was flipped (✕) and 0.300" in text
    assert "expects a larger error where classes meet and labels are wrong" in text
    flat = notices.sigma_map_notice(_result(_map(sigma=np.full((2, 5), 0.4)),
                                            np.array([0.3, 0.3]), flipped, 2))
    assert "0.400 on the decision boundary and 0.400 elsewhere" in flat
    assert "not clearly larger at either" in flat and "expects a larger" not in flat


def test_the_entropy_caption_puts_aleatoric_on_the_boundary_and_epistemic_far() -> None:
    aleatoric = np.where(BOUNDARY, 0.6, 0.1)
    epistemic = np.where(FAR, 0.3, 0.01)
    text = notices.entropy_maps_notice(_result(_map(aleatoric=aleatoric, epistemic=epistemic)))
    assert "0.300 nats in the tenth of the map farthest from the data and 0.010" in text
    assert "0.600 nats on the boundary and 0.100 elsewhere" in text
    assert "aleatoric sits where the classes meet and epistemic grows away" in text
    flat = notices.entropy_maps_notice(_result(_map(aleatoric=aleatoric,
                                                    epistemic=np.full((2, 5), 0.05))))
    assert "here epistemic does not grow away from the data" in flat


def _sweep(best_uanll: float, rise_noisy: float, uanll_at_40: float = 0.80) -> NS:
    # Two losses, rates 0/20/40 %, three evaluations. CE: best accuracy 0.95 → 0.80 and a
    # validation loss that ends 0.3 above its minimum at 20 %, 0 at 0 %. Clean-test accuracy
    # at 40 %: CE 0.75 (runs 0.74, 0.76), UANLL ``uanll_at_40`` (runs ± 0.01).
    acc = np.array([[[0.9, 0.95, 0.95], [0.85, 0.9, 0.9], [0.7, 0.8, 0.8]],
                    [[0.9, 0.96, 0.96], [0.9, 0.96, 0.96], [0.9, best_uanll, 0.9]]])
    loss = np.array([[[1.0, 0.5, 0.5], [1.0, 0.5, 0.8], [1.0, 0.6, 0.7]],
                     [[1.0, 0.5, 0.5], [1.0, 0.5, 0.5 + rise_noisy], [1.0, 0.5, 0.5]]])
    runs = np.array([[[0.96, 0.98], [0.9, 0.9], [0.74, 0.76]],
                     [[0.95, 0.95], [0.9, 0.9], [uanll_at_40 - 0.01, uanll_at_40 + 0.01]]])
    return NS(losses=("ce", "uanll"), rates=np.array([0.0, 0.2, 0.4]), val_accuracy=acc,
              val_loss=loss, test_accuracy=runs.mean(axis=2), test_accuracy_runs=runs)


def test_the_sweep_caption_states_each_rate_and_flips_when_noise_does_not_hurt() -> None:
    text = notices.noise_sweep_notice(_sweep(best_uanll=0.9, rise_noisy=0.2))
    assert "Cross-entropy 95.0%/90.0%/80.0%; UANLL 96.0%/96.0%/90.0%" in text
    assert "tops out lower for every loss" in text
    assert "Cross-entropy 0.000/0.300/0.100; UANLL 0.000/0.200/0.000" in text
    assert "climbs back more, for every loss" in text
    calm = notices.noise_sweep_notice(_sweep(best_uanll=0.96, rise_noisy=0.0))
    assert "UANLL 96.0%/96.0%/96.0%" in calm and "tops out lower, except for UANLL" in calm
    assert "climbs back more for Cross-entropy" in calm and "not for UANLL" in calm


@pytest.mark.parametrize(("uanll_at_40", "verdict"), [
    (0.80, "+5.0 points for UANLL: UANLL holds up better under label noise"),
    (0.7599, "+1.0 points for UANLL: within 1 point, so here neither holds up clearly better"),
    (0.7601, "+1.0 points for UANLL: UANLL holds up better"),
    (0.74, "-1.0 points for UANLL: here cross-entropy holds up better"),
    (0.70, "-5.0 points for UANLL: here cross-entropy holds up better"),
])
def test_the_sweep_caption_says_uanll_holds_up_better_only_a_point_ahead(uanll_at_40, verdict):
    # CE 75.0 % at 40 % noise; UANLL is said to hold up better only from 76.0 % on (1 point,
    # notices.UANLL_LEAD), cross-entropy from 74.0 % down; between, neither.
    text = notices.noise_sweep_notice(_sweep(0.9, 0.2, uanll_at_40))
    assert (f"At 40% flipped labels the clean-test accuracy is UANLL {uanll_at_40:.1%}, "
            "cross-entropy 75.0% (each the mean of 2 runs)") in text
    assert verdict in text
    assert ("UANLL holds up better" in text) == (uanll_at_40 - 0.75 >= notices.UANLL_LEAD)
    if "UANLL holds up better" not in text:
        assert "the default settings show UANLL ahead" in text
