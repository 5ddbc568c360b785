"""Train together what arrives together: requests of one kind that wait for their turn form one
batch, which trains as a single run when its turn comes.

While trainings take turns (:mod:`labui.turns`), a class whose students each try a seed of
their own queues one training per student. Here the first such request of a kind (its *group*,
e.g. the Regression settings without the seed) queues as the batch's leader; requests of the
same group that arrive while it waits join its batch instead of queueing; when the leader's
turn comes the batch closes and trains in one call, ``run_many(items, progress)``, which
returns each item's own outcome (labcore guarantees it is the one the item's own run gives,
:mod:`labcore.experiments.regression.together`). Requests arriving after that form the next
batch. A batch holds at most ``max_size`` items.

If the leader leaves (its user moved on: Streamlit stops a run at its next call) before or
while the batch trains, the batch is dropped and each of the others asks again, as a leader
or in a newer batch, so nobody waits on a run that will not come.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from labui.turns import WAIT_REPORT_S, Turns

RunMany = Callable[[Sequence[Any], Callable[[float, str], None]], Sequence[Any]]
"""``run_many(items, progress) -> outcomes``: one outcome per item, in order, each a value or
the exception to raise for that item alone."""


class _Batch:
    def __init__(self, item: Any) -> None:
        self.items = [item]
        self.started = False
        self.dropped = False
        self.ahead = 0  # trainings ahead of the leader in the queue, as it last heard
        self.progress: tuple[float, str] | None = None  # the training's last report
        self.outcomes: Sequence[Any] | None = None
        self.done = threading.Event()


class Together:
    """Batches of waiting requests per group, each trained when its leader gets a turn.

    Args:
        turns: the queue every training takes a turn in.
        max_size: the most requests one batch trains.
    """

    def __init__(self, turns: Turns, max_size: int) -> None:
        if max_size < 1:
            raise ValueError(f"A batch must hold at least one request. Got max_size={max_size}.")
        self.turns, self.max_size = turns, max_size
        self._lock = threading.Lock()
        self._forming: dict[Hashable, _Batch] = {}

    def run(self, group: Hashable, item: Any, run_many: RunMany, *,
            progress: Callable[[float, str], None] | None = None,
            on_wait: Callable[[int, int], None] | None = None,
            every_s: float = WAIT_REPORT_S, max_size: int | None = None) -> Any:
        """``item``'s outcome from a batch of its group: returned, or raised if an exception.

        Args:
            group: requests with equal groups may train together.
            item: what ``run_many`` gets for this request.
            run_many: trains a batch (see :data:`RunMany`); called in the leader's thread.
            progress: ``progress(fraction, message)``: the batch's training, in every
                waiting request's thread as well as the leader's.
            on_wait: ``on_wait(ahead, others)`` about every ``every_s`` seconds while the
                batch waits for its turn: trainings ahead of it, and how many other requests
                it holds so far. If it raises, this request leaves (see the module's notes).
            max_size: the most requests ``run_many`` takes, where it is fewer than the
                instance's ``max_size``.
        """
        limit = self.max_size if max_size is None else min(self.max_size, max_size)
        with self._lock:
            batch = self._forming.get(group)
            if batch is not None and len(batch.items) < limit:
                batch.items.append(item)
                index = len(batch.items) - 1
            else:
                batch, index = _Batch(item), 0
                batch.ahead = self.turns.running + self.turns.waiting
                self._forming[group] = batch
        if index == 0:
            return _outcome(self._lead(batch, group, run_many, progress, on_wait, every_s))
        while not batch.done.wait(every_s):
            if batch.started:
                if progress is not None and batch.progress is not None:
                    progress(*batch.progress)
            elif on_wait is not None:
                on_wait(batch.ahead, len(batch.items) - 1)
        if batch.dropped:  # the leader left: ask again
            return self.run(group, item, run_many, progress=progress, on_wait=on_wait,
                            every_s=every_s, max_size=max_size)
        assert batch.outcomes is not None
        return _outcome(batch.outcomes[index])

    def _lead(self, batch: _Batch, group: Hashable, run_many: RunMany,
              progress: Callable[[float, str], None] | None,
              on_wait: Callable[[int, int], None] | None, every_s: float) -> Any:
        def queued(ahead: int) -> None:
            batch.ahead = ahead
            if on_wait is not None:
                on_wait(ahead, len(batch.items) - 1)

        def report(fraction: float, message: str) -> None:
            batch.progress = (fraction, message)
            if progress is not None:
                progress(fraction, message)

        try:
            with self.turns.turn(on_wait=queued, every_s=every_s):
                with self._lock:
                    batch.started = True
                    if self._forming.get(group) is batch:
                        del self._forming[group]
                    items = list(batch.items)
                outcomes = run_many(items, report)
                if len(outcomes) != len(items):
                    raise RuntimeError(f"run_many must return one outcome per item "
                                       f"({len(items)}). Got {len(outcomes)}.")
        except BaseException:
            with self._lock:
                batch.dropped = True
                if self._forming.get(group) is batch:
                    del self._forming[group]
            batch.done.set()
            raise
        batch.outcomes = outcomes
        batch.done.set()
        return outcomes[0]


def _outcome(outcome: Any) -> Any:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
