"""Trainings on one server take turns, a student whose training waits is told why, and
Regression requests that wait together train together (marker ``load``; :mod:`labui.turns`,
:mod:`labui.together`).

Three protocol clients (:mod:`labserve.protocol`) open Classification on one plain server, then
each asks at the same instant for a seed of their own: three new trainings of about a second
each. One trains at once; the other two wait in arrival order, and their progress bars say how
many trainings are ahead of theirs: the second is told 1, the third 2. Then four students do the
same on Regression: the three that wait are told they will train together, and watch one
training of their three requests.
"""

from __future__ import annotations

import asyncio
import re

import pytest

pytestmark = pytest.mark.load
STUDENTS = 3
WAITING = re.compile(r"Waiting for a turn to train: (\d+) trainings? ahead of this one")


async def _class(ws_url: str) -> list[list[str]]:
    from labserve.protocol import CookieJar, connect

    async def student(index: int, ready: asyncio.Barrier) -> list[str]:
        async with connect(ws_url, cookies=CookieJar()) as session:
            opened = await session.open("classification")
            assert opened.error == ""
            await ready.wait()
            changed = await session.set("classification.seed", 500 + index)
            assert changed.error == "" and changed.charts > 0
            return session.progress

    ready = asyncio.Barrier(STUDENTS)
    return await asyncio.gather(*(student(i, ready) for i in range(STUDENTS)))


@pytest.fixture(scope="module")
def progress_texts() -> list[list[str]]:
    from labserve.app_server import running_app
    from labserve.protocol import run_sync

    # No warming: only the students' trainings take turns here.
    with running_app(extra_env={"LAB_WARM": "0"}) as app:
        return run_sync(_class(app.ws_url))


def _first_wait(texts: list[str]) -> int | None:
    """How many trainings the first waiting message said were ahead (None: never waited)."""
    for text in texts:
        found = WAITING.search(text)
        if found:
            return int(found.group(1))
    return None


def test_one_trains_at_once_and_the_others_are_told_how_many_are_ahead(progress_texts):
    first_waits = sorted((_first_wait(t) for t in progress_texts), key=lambda w: w or 0)
    assert first_waits == [None, 1, 2], progress_texts


def test_every_waiting_student_then_sees_their_own_training(progress_texts):
    for texts in progress_texts:
        waited = [i for i, text in enumerate(texts) if WAITING.search(text)]
        trained = [i for i, text in enumerate(texts) if "step" in text]
        assert trained, texts
        assert not waited or max(waited) < min(trained), texts  # no waiting once it trains


# --- Regression: requests that differ only in the seed train together ---------------------------

TOGETHER = re.compile(r"(\d+) other requests? with the same settings but the seed or noise "
                      r"will train together with it")
LONG_STEPS = 5000  # each training takes over a second, so the waiting is seen


async def _seeds(ws_url: str) -> list[list[str]]:
    from labserve.protocol import CookieJar, connect

    async def student(index: int, opened: asyncio.Barrier, lengthened: asyncio.Barrier
                      ) -> list[str]:
        async with connect(ws_url, cookies=CookieJar()) as session:
            assert (await session.open("regression")).error == ""
            await opened.wait()
            assert (await session.set("regression.steps", LONG_STEPS)).error == ""
            await lengthened.wait()
            changed = await session.set("regression.seed", 700 + index)
            assert changed.error == "" and changed.charts > 0
            return session.progress

    opened, lengthened = asyncio.Barrier(4), asyncio.Barrier(4)
    return await asyncio.gather(*(student(i, opened, lengthened) for i in range(4)))


@pytest.fixture(scope="module")
def seed_texts() -> tuple[list[list[str]], int]:
    from labserve.app_server import running_app
    from labserve.protocol import run_sync

    with running_app(extra_env={"LAB_WARM": "0", "LAB_LOG_LEVEL": "INFO"}) as app:
        texts = run_sync(_seeds(app.ws_url))
        return texts, app.trainings()


def test_seeds_that_wait_together_train_together(seed_texts):
    """Four students try a seed each at once: the first trains alone at once, the other three
    wait behind it as one batch, are told so, and then watch one training of 3 seeds."""
    texts, trainings = seed_texts
    waited = [t for t in texts if any(WAITING.search(m) for m in t)]
    assert len(waited) == 3, texts
    for t in waited:
        together = [int(found.group(1)) for m in t if (found := TOGETHER.search(m))]
        assert together and together[-1] == 2, t  # the two others of the batch
        assert any("Training 3 requests × 5 networks together" in m for m in t), t
    assert trainings == 1 + 1 + 4  # the default, the longer training, then a seed each
