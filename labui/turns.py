"""Trainings in one server process take turns: at most a few at a time, first come first served.

Every training runs in its session's script thread, and torch hands Python's GIL back and forth
at each operator (a few hundred per optimiser step). Forty sessions of one process training at
once spent most of their time in that hand-over: measured on the 2-core machine, a class of 40
each asking for a new training on one ``streamlit run app.py`` used 67 CPU-s, 37 of them in
the kernel waking threads, and its last student waited 41 s. Taking turns, one training at a
time (the others sleep in a queue and say how many trainings are ahead), the same class used
15 CPU-s and its last student waited 10 s (``python -m benchmarks --only bench_scale``).
Requests that differ only in their seed or noise level wait as one batch and train together
when their turn comes (:mod:`labui.together`).

``LAB_TRAINING_SLOTS`` sets how many trainings run at once (default 1; more pays where there
are cores to spare and the models are large enough to spend their time in the maths).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)

SLOTS_ENV = "LAB_TRAINING_SLOTS"
DEFAULT_SLOTS = 1
WAIT_REPORT_S = 0.25
"""While it waits, a training says how many are ahead this often (it is also when a session
whose user has moved on can stop waiting, at the Streamlit call this makes)."""


class Turns:
    """At most ``slots`` holders at a time; the others wait in arrival order.

    Example:
        >>> turns = Turns(slots=1)
        >>> with turns.turn():
        ...     turns.running, turns.waiting
        (1, 0)
        >>> turns.running
        0
    """

    def __init__(self, slots: int = DEFAULT_SLOTS) -> None:
        if slots < 1:
            raise ValueError(f"At least one training must be able to run. Got slots={slots}.")
        self.slots = slots
        self._cond = threading.Condition()
        self._queue: collections.deque[object] = collections.deque()
        self._running = 0

    @property
    def running(self) -> int:
        """Holders now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Callers queued for a turn now."""
        return len(self._queue)

    @contextlib.contextmanager
    def turn(self, on_wait: Callable[[int], None] | None = None,
             every_s: float = WAIT_REPORT_S,
             clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
        """Hold a turn for the block, waiting first if every slot is taken or others came first.

        Args:
            on_wait: called about every ``every_s`` seconds while waiting (never when the turn
                comes at once), outside the queue's lock, with how many are ahead of this caller
                (those running plus those queued before it). If it raises, the caller leaves the
                queue and the error propagates.
            every_s: seconds between ``on_wait`` calls.
            clock: monotonic seconds (a test passes a fake).
        """
        ticket = object()
        reported = clock()
        with self._cond:
            self._queue.append(ticket)
        try:
            while True:
                with self._cond:
                    if self._queue[0] is ticket and self._running < self.slots:
                        self._queue.popleft()
                        self._running += 1
                        break
                    self._cond.wait(every_s if on_wait is not None else None)
                    ahead = self._running + self._queue.index(ticket)
                if on_wait is not None and clock() - reported >= every_s:
                    reported = clock()
                    on_wait(ahead)
        except BaseException:
            with self._cond:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._cond.notify_all()  # the next in line may be able to go now
            raise
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


def slots_from_environment() -> int:
    """``LAB_TRAINING_SLOTS`` as a count (default :data:`DEFAULT_SLOTS`).

    Raises:
        ValueError: it is not a whole number of at least 1.
    """
    text = os.environ.get(SLOTS_ENV, "").strip()
    if not text:
        return DEFAULT_SLOTS
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{SLOTS_ENV} must be a whole number of at least 1. Got {text!r}.")
    return int(text)


def _from_environment() -> Turns:
    try:
        return Turns(slots_from_environment())
    except ValueError as error:  # the operator's typo must not take every page down
        logger.warning("%s; using %d", error, DEFAULT_SLOTS)
        return Turns(DEFAULT_SLOTS)


TRAINING_TURNS = _from_environment()
"""This process's trainings' queue (:data:`SLOTS_ENV` slots)."""
