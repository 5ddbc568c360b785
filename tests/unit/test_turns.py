"""Trainings take turns (labui.turns): never more holders than slots, first come first served,
a waiter told how many are ahead, and a waiter that gives up leaves the queue."""

from __future__ import annotations

import threading

import pytest
from waiting import PATIENCE_S, until

from labui.turns import SLOTS_ENV, Turns, slots_from_environment


class Holder(threading.Thread):
    """Takes a turn, records that it got it, and keeps it until ``leave`` is set."""

    def __init__(self, turns: Turns, name: str, entered: list[str],
                 on_wait=None, every_s: float = 0.25) -> None:
        super().__init__(name=name, daemon=True)
        self.turns, self.entered, self.on_wait, self.every_s = turns, entered, on_wait, every_s
        self.leave = threading.Event()
        self.inside = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.turns.turn(on_wait=self.on_wait, every_s=self.every_s):
                self.entered.append(self.name)
                self.inside.set()
                self.leave.wait(PATIENCE_S)
        except BaseException as error:
            self.error = error


def _queue(turns: Turns, names: str, entered: list[str], **kwargs) -> list[Holder]:
    """Start one Holder per letter, each only once the previous one holds or waits."""
    holders = []
    for name in names:
        before = turns.running + turns.waiting
        holder = Holder(turns, name, entered, **kwargs)
        holder.start()
        until(lambda before=before: turns.running + turns.waiting == before + 1, f"{name} arrived")
        holders.append(holder)
    return holders


@pytest.mark.parametrize("slots", [1, 2, 3])
def test_no_more_hold_a_turn_than_there_are_slots(slots):
    turns, entered = Turns(slots), []
    holders = _queue(turns, "abcde", entered)
    assert entered == list("abcde"[:slots])
    assert (turns.running, turns.waiting) == (slots, 5 - slots)
    holders[0].leave.set()
    holders[0].join(PATIENCE_S)
    until(lambda: len(entered) == slots + 1, "the next took the freed slot")
    assert turns.running == slots
    for holder in holders:
        holder.leave.set()
        holder.join(PATIENCE_S)
    assert entered == list("abcde")
    assert (turns.running, turns.waiting) == (0, 0)


def test_turns_are_taken_in_arrival_order():
    turns, entered = Turns(1), []
    holders = _queue(turns, "hqrstu", entered)  # h holds; q…u queue in that order
    for holder in holders:  # let each go as soon as it is inside: the queue drains in order
        until(holder.inside.is_set, f"{holder.name} inside")
        holder.leave.set()
        holder.join(PATIENCE_S)
    assert entered == list("hqrstu")


def test_a_waiter_is_told_how_many_trainings_are_ahead():
    turns, entered = Turns(1), []
    heard: dict[str, list[int]] = {"b": [], "c": []}
    first = _queue(turns, "a", entered)[0]
    b, c = (Holder(turns, name, entered, on_wait=heard[name].append, every_s=0.01)
            for name in "bc")
    b.start()
    until(lambda: heard["b"], "b reported")
    c.start()
    until(lambda: heard["c"], "c reported")
    assert heard["b"][-1] == 1  # a runs
    assert heard["c"][-1] == 2  # a runs, b waits before c
    first.leave.set()
    until(b.inside.is_set, "b inside")
    until(lambda: heard["c"][-1] == 1, "c told that only b is ahead now")
    b.leave.set()
    until(c.inside.is_set, "c inside")
    c.leave.set()
    for holder in (first, b, c):
        holder.join(PATIENCE_S)


def test_no_report_when_the_turn_comes_at_once():
    turns, heard = Turns(1), []
    with turns.turn(on_wait=heard.append, every_s=0.0):
        pass
    assert heard == []


def test_a_waiter_that_gives_up_leaves_the_queue_to_the_next():
    """A session whose user moved on stops at its report (Streamlit raises there): the one
    behind it must not be stuck behind a ticket nobody will take."""
    turns, entered = Turns(1), []
    moved_on = threading.Event()

    def give_up(ahead: int) -> None:
        if moved_on.is_set():
            raise KeyboardInterrupt("the user moved on")

    first, quitter = _queue(turns, "a", entered)[0], Holder(
        turns, "q", entered, on_wait=give_up, every_s=0.01)
    quitter.start()
    until(lambda: turns.waiting == 1, "q waits")
    behind = _queue(turns, "b", entered)[0]
    moved_on.set()
    quitter.join(PATIENCE_S)
    assert isinstance(quitter.error, KeyboardInterrupt)
    assert turns.waiting == 1  # only b is left waiting
    first.leave.set()
    until(behind.inside.is_set, "b inside after a left")
    behind.leave.set()
    for holder in (first, behind):
        holder.join(PATIENCE_S)
    assert entered == ["a", "b"]
    assert (turns.running, turns.waiting) == (0, 0)


def test_an_error_inside_the_turn_frees_it():
    turns = Turns(1)
    with pytest.raises(RuntimeError, match="boom"), turns.turn():
        raise RuntimeError("boom")
    assert turns.running == 0
    with turns.turn():
        assert turns.running == 1


def test_at_least_one_slot():
    with pytest.raises(ValueError, match="Got slots=0"):
        Turns(0)


@pytest.mark.parametrize(("text", "slots"), [("", 1), ("1", 1), (" 4 ", 4)])
def test_slots_come_from_the_environment(monkeypatch, text, slots):
    monkeypatch.setenv(SLOTS_ENV, text)
    assert slots_from_environment() == slots


@pytest.mark.parametrize("text", ["0", "-2", "two", "1.5"])
def test_a_bad_slot_count_is_refused_with_what_was_given(monkeypatch, text):
    monkeypatch.setenv(SLOTS_ENV, text)
    with pytest.raises(ValueError, match=f"Got '{text}'"):
        slots_from_environment()
