"""The training loop's parts on hand-made numbers: early stopping (one object per training),
the mini-batch sampler, and the divergence check."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from labcore.models.train import (
    EarlyStopping,
    LossLog,
    TrainingDiverged,
    batch_indices,
    batches,
)


class Weights(nn.Module):
    """M scalars w, one per member; the tests set w to the step so kept weights name it."""

    def __init__(self, members: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(members))


def _play(stopping: EarlyStopping, model: Weights, table: list[list[float]],
          every: int = 10) -> list[bool]:
    """Feed one row of validation losses per evaluation, at steps every, 2·every, …; before
    each, set every member's weight to the step. Returns update's answers."""
    answers = []
    for k, row in enumerate(table, start=1):
        with torch.no_grad():
            model.w.fill_(k * every)
        answers.append(stopping.update(k * every, torch.tensor(row), model))
    return answers


def test_it_stops_after_exactly_patience_evaluations_without_a_better_loss():
    # Best 1.0 at the first evaluation, then 2, 3, 4: the third worse one is the patience-th.
    model = Weights(1)
    stopping = EarlyStopping(patience=3)
    assert _play(stopping, model, [[1.0], [2.0], [3.0], [4.0]]) == [False, False, False, True]
    # An equal loss is no improvement: 1.0, then 1.0 and 1.0 use up a patience of 2.
    assert _play(EarlyStopping(patience=2), Weights(1), [[1.0], [1.0], [1.0]]) == [
        False, False, True]


def test_restore_gives_back_the_weights_of_the_best_step():
    # Member 0: 3, 2, 2.5, 2.1, … best at step 20, stops at step 40 (patience 2); its later
    # 0.5 at step 50 comes after it stopped and must not count. Member 1 improves until its
    # 1.0 at step 50, then is worse twice: it stops at step 70, and training with it.
    model = Weights(2)
    stopping = EarlyStopping(patience=2)
    table = [[3.0, 5.0], [2.0, 4.0], [2.5, 3.0], [2.1, 2.0], [0.5, 1.0], [0.4, 1.5], [0.3, 1.6]]
    answers = _play(stopping, model, table)
    assert answers == [False] * 6 + [True]
    assert stopping.best_step.tolist() == [20.0, 50.0]
    assert stopping.best_val.tolist() == [2.0, 1.0]
    assert stopping.restore(model)
    assert model.w.tolist() == [20.0, 50.0]  # each member's weights at its best step


def test_without_patience_the_last_weights_stay_within_the_margin():
    # Best 1.0 at step 10; the last loss (step 20) is 1.4: within a margin of 0.5 it stays,
    # with a margin of 0.3 the step-10 weights come back.
    for margin, kept_w, kept_step in ((0.5, 20.0, 20.0), (0.3, 10.0, 10.0)):
        model = Weights(1)
        stopping = EarlyStopping(patience=None, margin=margin)
        assert _play(stopping, model, [[1.0], [1.4]]) == [False, False]
        assert stopping.restore(model) == (kept_w == 10.0)
        assert model.w.tolist() == [kept_w] and stopping.best_step.tolist() == [kept_step]


def test_restore_before_any_evaluation_changes_nothing():
    model = Weights(2)
    assert not EarlyStopping(patience=1).restore(model)
    assert model.w.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="Got 0"):
        EarlyStopping(patience=0)


def test_the_sampler_covers_every_index_once_per_epoch_in_a_seeded_order():
    # 12 rows in batches of 4: 3 batches per epoch, each epoch one permutation of the rows,
    # drawn from a generator seeded with the seed (the same draw torch.randperm makes).
    sampler = batch_indices(12, 4, seed=7)
    epochs = [[next(sampler).tolist() for _ in range(3)] for _ in range(2)]
    for epoch in epochs:
        assert sorted(i for batch in epoch for i in batch) == list(range(12))
    assert epochs[0] != epochs[1]  # reshuffled
    generator = torch.Generator().manual_seed(7)
    first = torch.randperm(12, generator=generator).tolist()
    assert epochs[0] == [first[0:4], first[4:8], first[8:12]]


def test_rows_left_over_sit_out_their_epoch():
    # 10 rows in batches of 3: 3 batches of distinct rows per epoch, 1 row left out.
    sampler = batch_indices(10, 3, seed=0)
    epoch = [i for _ in range(3) for i in next(sampler).tolist()]
    assert len(epoch) == len(set(epoch)) == 9


def test_full_batch_is_the_data_itself():
    data = (torch.arange(5.0),)
    stream = batches(data, None, seed=0)
    assert next(stream) is data and next(stream) is data
    assert next(batches(data, 5, seed=0)) is data  # a batch as large as the data: full batch


def test_the_divergence_check_names_the_first_bad_step_and_an_explosion():
    log = LossLog()
    for loss in ([1.0, 1.0], [0.9, 0.8], [0.7, float("nan")]):
        log.append(torch.tensor(loss))
    with pytest.raises(TrainingDiverged, match=r"at step 3: the loss became NaN"):
        log.check(step=3, lr=0.1)
    # First loss 1: exploded once the mean since the last check exceeds 1 + 100·(1 + 1) = 201.
    log = LossLog()
    log.append(torch.tensor([1.0]))
    log.check(step=1, lr=0.1)
    log.append(torch.tensor([200.0]))
    log.check(step=2, lr=0.1)  # 200 ≤ 201: fine
    log.append(torch.tensor([202.0]))
    with pytest.raises(TrainingDiverged, match=r"at step 3: the loss became huge.*try 0.01"):
        log.check(step=3, lr=0.1)
    assert log.numpy().tolist() == [[1.0], [200.0], [202.0]]
