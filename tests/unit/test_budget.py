"""The per-run time limit: estimates follow the arithmetic, too-long settings are refused."""

from __future__ import annotations

import pytest

from labcore.budget import (
    FLOP_PER_SECOND,
    SECONDS_LIMIT,
    STEP_OVERHEAD_S,
    check_training_time,
    mlp_training_seconds,
)
from labcore.experiments.regression.run import RegressionConfig


def test_estimate_is_overhead_plus_six_flop_per_weight_and_row():
    # Layers 1→4→3: 1·4 + 4·3 = 16 weights; 2 members × 10 rows × 16 × 6 = 1920 FLOP per step.
    seconds = mlp_training_seconds(steps=100, members=2, rows=10, dims=(1, 4, 3))
    assert seconds == pytest.approx(100 * (STEP_OVERHEAD_S + 1920 / FLOP_PER_SECOND))


def test_estimate_grows_linearly_in_steps_members_and_rows():
    base = mlp_training_seconds(10, 1, 100, (1, 64, 64, 2)) - 10 * STEP_OVERHEAD_S
    for scaled in (mlp_training_seconds(20, 1, 100, (1, 64, 64, 2)) - 20 * STEP_OVERHEAD_S,
                   mlp_training_seconds(10, 2, 100, (1, 64, 64, 2)) - 10 * STEP_OVERHEAD_S,
                   mlp_training_seconds(10, 1, 200, (1, 64, 64, 2)) - 10 * STEP_OVERHEAD_S):
        assert scaled == pytest.approx(2 * base)


def test_runs_within_the_limit_pass_and_longer_ones_say_what_to_reduce():
    check_training_time(SECONDS_LIMIT, "anything")
    with pytest.raises(ValueError, match=r"about 21 s.*use fewer steps\. Got about 21 s\."):
        check_training_time(21.0, "use fewer steps")


def test_the_regression_page_refuses_a_run_of_minutes_but_keeps_its_presets():
    with pytest.raises(ValueError, match="would train for about"):
        RegressionConfig(n_points=2000, hidden=256, n_layers=4, steps=5000, members=10)
    from labcore.experiments.regression.report import PRESETS

    for config in PRESETS.values():  # every preset stays well inside the limit
        rows = config.batch_size or config.n_points + config.add_n
        members = config.members if config.method == "ensemble" else 1
        dims = (1, *[config.hidden] * config.n_layers, 2)
        assert mlp_training_seconds(config.steps, members, rows, dims) < SECONDS_LIMIT / 4
