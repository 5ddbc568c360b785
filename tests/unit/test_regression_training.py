"""How the Regression lab trains and reads its networks (issue #22): the training loop's cosine
schedule, Adam's β₂ and weights handed back by the validation points; the variance read at the
training inputs and bridged across empty intervals; validation points where points were added;
and the σ(x) caption's diagnosis — each checked on hand-derived numbers."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from torch import nn

from labcore.experiments.regression import report
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.fit import interp_rows, variance_knots
from labcore.experiments.regression.run import run_regression
from labcore.models.train import TrainConfig, make_adam, step_lr, train


class Weights(nn.Module):
    """M independent scalars w, one per member."""

    def __init__(self, start: list[float]) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(start))


def test_the_cosine_schedule_moves_adam_by_the_sum_of_its_rates():
    # With a constant gradient Adam's bias-corrected moments are m̂ = g and v̂ = g², so every
    # step moves w by lr_t·g/(|g| + 10⁻⁸): after 4 steps of lr = 1, w = −Σ lr_t. Cosine:
    # (1 + cos(πk/4))/2 for k = 0..3 = 1, 0.8536, 0.5, 0.1464, summing to 2.5; constant: 4.
    for schedule, moved in (("cosine", 2.5), ("constant", 4.0)):
        model = Weights([0.0])
        config = TrainConfig(steps=4, lr=1.0, lr_schedule=schedule, eval_every=4)
        train(model, lambda m, batch: m.w * 1.0, (torch.zeros(3),), config)
        assert float(model.w.detach()) == pytest.approx(-moved, abs=1e-6)
    assert [step_lr(TrainConfig(steps=4, lr=2.0, lr_schedule="cosine"), t) for t in (1, 3)] \
        == pytest.approx([2.0, 1.0])


def test_adam_gets_the_configured_beta2_and_bad_settings_are_refused():
    optimiser = make_adam([nn.Parameter(torch.zeros(1))], 0.1, 0.0, beta2=0.99)
    assert optimiser.param_groups[0]["betas"] == (0.9, 0.99)
    for bad in ({"lr_schedule": "linear"}, {"adam_beta2": 1.0}, {"restore_margin": -0.1}):
        with pytest.raises(ValueError, match="Got"):
            TrainConfig(**bad)


def test_the_validation_points_hand_back_the_best_weights_unless_the_last_are_within_margin():
    # Two members pulled towards w = 2 by their training loss (w − 2)²; member 0 is judged on
    # (w − 1)², which is best when it passes w = 1 on its way, member 1 on (w − 2)², which is
    # best at (or within a hair of) the end. Adam at lr 0.1 moves about 0.1 per step, so
    # member 0 is within 0.1 of 1 at its best evaluation.
    seen: list[tuple[int, list[float]]] = []

    def fit(**options) -> tuple[Weights, object]:
        model = Weights([0.0, 0.0])
        seen.clear()
        config = TrainConfig(steps=60, lr=0.1, eval_every=1, **options)
        history = train(model, lambda m, b: (m.w - 2.0) ** 2, (torch.zeros(3),), config,
                        val_data=(torch.zeros(3),),
                        val_loss_fn=lambda m, b: (m.w - torch.tensor([1.0, 2.0])) ** 2,
                        snapshot=lambda step, m, loss: seen.append((step, m.w.tolist())),
                        snapshot_every=30)
        return model, history

    last, _ = fit()
    assert np.allclose(last.w.detach().numpy(), 2.0, atol=0.1)
    best, history = fit(restore_best=True)
    w = best.w.detach()
    assert abs(float(w[0]) - 1.0) <= 0.1 and history.best_step[0] < 60
    assert abs(float(w[1]) - 2.0) <= 0.1
    # A live view sees steps 30 and 60, then once more the weights the model keeps.
    assert [step for step, _ in seen] == [30, 60, 60] and seen[-1][1] == w.tolist()
    # Member 0's last validation loss, about (2 − 1)² = 1, is within a margin of 5 of its best
    # (about 0): it keeps its last weights, and its best step reads the last one.
    kept, history = fit(restore_best=True, restore_margin=5.0)
    np.testing.assert_allclose(kept.w.detach().numpy(), last.w.detach().numpy())
    assert history.best_step.tolist() == [60, 60]
    assert [step for step, _ in seen] == [30, 60]  # nothing handed back: no extra look


def test_rows_are_joined_by_straight_lines_between_knots_and_held_beyond_them():
    knots = torch.tensor([0.0, 1.0, 3.0])
    values = torch.tensor([[0.0, 1.0, 5.0], [2.0, 2.0, 2.0]])
    x = torch.tensor([-1.0, 0.5, 2.0, 4.0])
    # Row 0: held at 0 left of the first knot; 0.5 halfway to 1; at x = 2 halfway from 1 to 5;
    # held at 5 beyond the last knot. Row 1 is constant.
    np.testing.assert_allclose(interp_rows(x, knots, values).numpy(),
                               [[0.0, 0.5, 3.0, 5.0], [2.0, 2.0, 2.0, 2.0]])
    assert variance_knots(torch.tensor([[2.0], [2.0], [-1.0]]))[:, 0].tolist() == [-1.0, 2.0]


def test_across_the_gap_the_noise_level_goes_straight_from_one_edge_to_the_other():
    # One network on the gap preset's data: in the empty interval between the last training
    # input left of the gap and the first right of it, log σ² is the straight line between
    # the network's values at those two inputs (second differences on the even grid are 0).
    r = run_regression(RegressionConfig(function="sine", gap_width=2.5, n_points=60,
                                        steps=100, method="none"))
    left, right = r.x_train[r.x_train < 0].max(), r.x_train[r.x_train > 0].min()
    inside = (r.x_grid > left) & (r.x_grid < right)
    log_var = np.log(r.aleatoric_std[inside] ** 2)
    assert inside.sum() > 50
    np.testing.assert_allclose(np.diff(log_var, 2), 0.0, atol=1e-5)


def test_points_dragged_in_bring_held_out_points_of_their_own():
    # Half as many validation points as each region adds (at least 1), drawn in the region.
    r = run_regression(RegressionConfig(add_regions="4.5:5.5:20,-6:-5.9:1", steps=100,
                                        members=2, hidden=16))
    assert r.x_val.size == 20 + 10 + 1
    assert np.count_nonzero((r.x_val >= 4.5) & (r.x_val <= 5.5)) == 10
    assert np.count_nonzero((r.x_val >= -6) & (r.x_val <= -5.9)) == 1
    assert r.x_cal.size == 20  # the conformal band's own draw is untouched


# --- the σ(x) caption's diagnosis ---------------------------------------------------------------


def fake_run(sigma: float, offset: float, scatter: float = 1.0):
    """A run on x ∈ [−4, 4] whose truth is f = 0 with noise 1: the curve sits at ``offset``,
    every training point misses f by ±``scatter`` and the learned σ is ``sigma``."""
    x = np.linspace(-4.0, 4.0, 81)
    x_train = np.linspace(-3.95, 3.95, 40)
    return types.SimpleNamespace(
        x_grid=x, true_mean=np.zeros(81), true_std=np.ones(81), pred_mean=np.full(81, offset),
        aleatoric_std=np.full(81, sigma), epistemic_std=np.full(81, 0.1),
        x_train=x_train, y_train=scatter * np.resize([1.0, -1.0], 40),
        data_range=(-4.0, 4.0), gap=None)


@pytest.mark.parametrize(("sigma", "offset", "scatter", "says"), [
    # σ = 3 over misses of 1 (the points scatter ±1 about the curve at 0): 3.0× — not settled.
    (3.0, 0.0, 1.0, "The learned σ is 3.0× the spread of the training points' misses: the "
                    "networks have not finished learning the noise — use more training steps "
                    "than 500."),
    # Curve at 2√2 while the points scatter ±1 about f = 0: misses √(1 + 8) = 3 = σ (settled)
    # and 3× the noise: σ is 3× the truth because of the misfit of 2.83.
    (3.0, 2 * np.sqrt(2), 1.0, "It is 3× the true noise; at the 40 training points σ is 1× the "
                               "spread of their misses, and the misses are 3× their true noise: "
                               "the fitted curve misses f(x) by 2.83 on average there"),
    # Points scatter ±0.3 about the curve at f: misses 0.3 = σ, 0.3× the noise: chasing it.
    (0.3, 0.0, 0.3, "It is 0.3× the true noise; at the 40 training points σ is 1× the spread of "
                    "their misses, and the misses are 0.3× their true noise: the curve passes "
                    "closer to the points than their noise allows"),
    # σ = misses = noise = 1: nothing to add.
    (1.0, 0.0, 1.0, ""),
])
def test_the_sigma_caption_names_why_the_noise_is_off(sigma, offset, scatter, says):
    diagnosis = report.noise_diagnosis(fake_run(sigma, offset, scatter), RegressionConfig())
    assert diagnosis.startswith(" " + says) if says else diagnosis == ""
    assert report.noise_diagnosis(fake_run(3.0, 0.0), RegressionConfig(loss="mse")) == ""
