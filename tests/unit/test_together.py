"""Train together what arrives together (labui.together): requests of one group that wait for
a turn form one batch, trained in one call; each gets its own outcome; a leader that leaves
does not strand the others."""

from __future__ import annotations

import threading

import pytest
from waiting import PATIENCE_S, until

from labui.together import Together
from labui.turns import Turns


class Trainer:
    """A fake ``run_many``: records each batch, squares each number, refuses negative ones."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __call__(self, items, progress):
        self.batches.append(list(items))
        progress(0.5, f"training {len(items)} together")
        return [ValueError(f"{x} is negative") if x < 0 else x * x for x in items]


class Request(threading.Thread):
    def __init__(self, together: Together, group: str, item: int, trainer: Trainer,
                 on_wait=None, progress=None, max_size: int | None = None) -> None:
        super().__init__(daemon=True)
        self.args = together, group, item, trainer, on_wait, progress, max_size
        self.outcome: object = None

    def run(self) -> None:
        together, group, item, trainer, on_wait, progress, max_size = self.args
        try:
            self.outcome = together.run(group, item, trainer, on_wait=on_wait,
                                        progress=progress, every_s=0.005, max_size=max_size)
        except BaseException as error:
            self.outcome = error


@pytest.fixture
def busy():
    """A queue whose one slot is held until the test lets go: requests pile up behind it."""
    turns = Turns(1)
    release = threading.Event()
    holding = threading.Event()

    def hold() -> None:
        with turns.turn():
            holding.set()
            release.wait(PATIENCE_S)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    holding.wait(PATIENCE_S)
    yield turns, release
    release.set()
    holder.join(PATIENCE_S)


def _pending(together: Together, group: str) -> int:
    batch = together._forming.get(group)
    return 0 if batch is None else len(batch.items)


def _one_batch(together: Together, group: str, requests: list[Request]) -> None:
    """Start the requests one by one, each once the one before has joined the group's batch."""
    for n, request in enumerate(requests, start=1):
        request.start()
        until(lambda n=n: _pending(together, group) == n, f"{n} waiting together")


def test_requests_that_wait_together_train_in_one_call(busy):
    turns, release = busy
    together, trainer = Together(turns, max_size=20), Trainer()
    requests = [Request(together, "seedless", x, trainer) for x in (3, 1, 4, 2)]
    _one_batch(together, "seedless", requests)
    release.set()
    for request in requests:
        request.join(PATIENCE_S)
    assert trainer.batches == [[3, 1, 4, 2]]
    assert [r.outcome for r in requests] == [9, 1, 16, 4]


def test_each_request_gets_its_own_error_and_the_others_their_results(busy):
    turns, release = busy
    together, trainer = Together(turns, max_size=20), Trainer()
    requests = [Request(together, "g", x, trainer) for x in (2, -1, 5)]
    _one_batch(together, "g", requests)
    release.set()
    for request in requests:
        request.join(PATIENCE_S)
    assert requests[0].outcome == 4 and requests[2].outcome == 25
    assert isinstance(requests[1].outcome, ValueError)
    assert str(requests[1].outcome) == "-1 is negative"


def test_groups_do_not_mix_and_a_full_batch_starts_another(busy):
    turns, release = busy
    together, trainer = Together(turns, max_size=2), Trainer()
    plan = [("a", 1), ("b", 10), ("a", 2), ("a", 3), ("b", 20)]
    requests = []
    for group, item in plan:
        before = turns.waiting
        request = Request(together, group, item, trainer)
        request.start()
        requests.append(request)
        # a leader queues for a turn; a follower joins its group's batch
        until(lambda g=group, b=before: turns.waiting > b or _pending(together, g) == 2,
               f"{group}{item} waiting")
    release.set()
    for request in requests:
        request.join(PATIENCE_S)
    assert sorted(trainer.batches) == [[1, 2], [3], [10, 20]]
    assert [r.outcome for r in requests] == [1, 100, 4, 9, 400]


def test_a_request_may_lower_the_batch_size(busy):
    """A kind whose batch function takes fewer requests than the instance's limit says so."""
    turns, release = busy
    together, trainer = Together(turns, max_size=20), Trainer()
    requests = []
    for item in (1, 2, 3):
        before = turns.waiting
        request = Request(together, "g", item, trainer, max_size=2)
        request.start()
        requests.append(request)
        until(lambda b=before: turns.waiting > b or _pending(together, "g") == 2,
              f"{item} waiting")
    release.set()
    for request in requests:
        request.join(PATIENCE_S)
    assert trainer.batches == [[1, 2], [3]]
    assert [r.outcome for r in requests] == [1, 4, 9]


def test_a_request_after_the_batch_started_waits_for_the_next(busy):
    turns, release = busy
    together = Together(turns, max_size=20)
    started, finish = threading.Event(), threading.Event()
    batches = []

    def slow(items, progress):
        batches.append(list(items))
        started.set()
        finish.wait(PATIENCE_S)
        return [x + 100 for x in items]

    first = Request(together, "g", 1, slow)
    first.start()
    until(lambda: turns.waiting == 1, "the first queued")
    release.set()
    started.wait(PATIENCE_S)
    second = Request(together, "g", 2, slow)
    second.start()
    until(lambda: turns.waiting == 1, "the second queued behind the running batch")
    finish.set()
    for request in (first, second):
        request.join(PATIENCE_S)
    assert batches == [[1], [2]]
    assert (first.outcome, second.outcome) == (101, 102)


def test_waiting_requests_see_the_queue_and_then_the_batchs_progress(busy):
    turns, release = busy
    together, trainer = Together(turns, max_size=20), Trainer()
    heard: dict[int, list[tuple[int, int]]] = {1: [], 2: []}
    progress: dict[int, list[tuple[float, str]]] = {1: [], 2: []}
    requests = [Request(together, "g", x, trainer,
                        on_wait=lambda a, o, x=x: heard[x].append((a, o)),
                        progress=lambda f, m, x=x: progress[x].append((f, m))) for x in (1, 2)]
    _one_batch(together, "g", requests)
    until(lambda: heard[2] and heard[2][-1] == (1, 1), "the follower told: 1 ahead, 1 other")
    until(lambda: heard[1] and heard[1][-1] == (1, 1), "the leader told the same")
    release.set()
    for request in requests:
        request.join(PATIENCE_S)
    assert progress[1] == [(0.5, "training 2 together")]  # the leader's own report
    # the follower relays the batch's report only while it still waits (it may finish first)
    assert set(progress[2]) <= {(0.5, "training 2 together")}


def test_when_the_leader_leaves_the_others_ask_again_and_are_served(busy):
    turns, release = busy
    together, trainer = Together(turns, max_size=20), Trainer()
    leave = threading.Event()

    def leader_wait(ahead: int, others: int) -> None:
        if leave.is_set():
            raise KeyboardInterrupt("the leader's user moved on")

    leader = Request(together, "g", 7, trainer, on_wait=leader_wait)
    leader.start()
    until(lambda: _pending(together, "g") == 1, "the leader waits")
    followers = [Request(together, "g", x, trainer) for x in (2, 3)]
    for n, request in enumerate(followers, start=2):
        request.start()
        until(lambda n=n: _pending(together, "g") == n, f"{n} waiting")
    leave.set()
    leader.join(PATIENCE_S)
    assert isinstance(leader.outcome, KeyboardInterrupt)
    until(lambda: _pending(together, "g") == 2, "the two others formed a new batch")
    release.set()
    for request in followers:
        request.join(PATIENCE_S)
    assert [r.outcome for r in followers] == [4, 9]
    # one batch of the two (in the order they asked again); the leader's 7 never trained
    assert [sorted(batch) for batch in trainer.batches] == [[2, 3]]


def test_a_batch_holds_at_least_one():
    with pytest.raises(ValueError, match="Got max_size=0"):
        Together(Turns(1), max_size=0)
