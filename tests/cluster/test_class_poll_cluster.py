"""A class poll on the class server: answers reach two replicas through nginx, and one teacher
view (on whichever replica nginx pinned it to) counts them all, then reveals to all (issue #27).

Students and the teacher are protocol clients (:mod:`labserve.protocol`), each with cookies of
its own, so nginx spreads them over the replicas; the room lives in the shared Redis.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from labserve.cluster import Cluster
from labserve.protocol import CookieJar, Session, connect, run_sync
from labui.cache.rooms import new_code, room_host_key

pytestmark = pytest.mark.cluster
STUDENTS = 6
QUERY = "seed=301&steps=100&quiz=1"  # a config no other test uses; a quiz link's view
ANSWER = "regression.quiz.mse.answer"
REVEAL = "regression.quiz.mse.reveal_all"


def _bars(spec: str) -> dict[str, int]:
    data = json.loads(spec)["data"][0]
    return dict(zip(data["y"], data["x"], strict=True))


async def _student(cluster: Cluster, room: str, index: int, jar: CookieJar,
                   answered: asyncio.Barrier, revealed: asyncio.Event) -> tuple[str, Session]:
    async with connect(cluster.ws_url, cookies=jar) as session:
        opened = await session.open("regression", f"{QUERY}&room={room}")
        assert not opened.error and not session.chart_specs  # the result is held back
        options = session.widgets[ANSWER].options
        run = await session.set(ANSWER, options[index % 2])
        assert not run.error
        await answered.wait()
        await revealed.wait()
        (fragment, _), = session.fragments.items()
        await session.rerun_fragment(fragment)  # the waiting page's timer: sees the reveal
        return options[index % 2], session


async def _class(cluster: Cluster, room: str, jars: list[CookieJar]) -> dict:
    secret = cluster.replica_env()["LAB_CACHE_SECRET"].encode()
    host = room_host_key(secret, room)
    answered, revealed = asyncio.Barrier(STUDENTS + 1), asyncio.Event()
    async with connect(cluster.ws_url, cookies=jars[0]) as teacher:
        await teacher.open("regression", f"{QUERY}&room={room}&present=1&host={host}")
        assert set(_bars(teacher.chart_specs[0]).values()) == {0}  # live, nobody yet
        tasks = [asyncio.create_task(_student(cluster, room, i, jars[i + 1], answered, revealed))
                 for i in range(STUDENTS)]
        await answered.wait()
        (fragment, interval), = teacher.fragments.items()
        await teacher.rerun_fragment(fragment)  # what the chart's timer does every second
        live = _bars(teacher.chart_specs[0])
        await teacher.set(REVEAL, True)
        after = [a for a in teacher.alerts if a.startswith("Revealed to room")]
        revealed.set()
        students = await asyncio.gather(*tasks)
    return {"live": live, "interval": interval, "after": after, "students": students}


def test_answers_at_two_replicas_are_counted_on_one_teacher_view(cluster: Cluster) -> None:
    room = new_code()
    jars = [CookieJar() for _ in range(STUDENTS + 1)]
    result = run_sync(_class(cluster, room, jars))

    replicas = [cluster.replica_for(jar.header()).address for jar in jars]
    assert set(replicas[1:]) == {r.address for r in cluster.replicas}  # students on both
    chosen = Counter(answer for answer, _ in result["students"])
    assert result["live"] == {option: chosen[option] for option in result["live"]}
    assert sum(result["live"].values()) == STUDENTS and len(chosen) == 2
    assert result["interval"] == 1.0
    assert len(result["after"]) == 1
    for answer, session in result["students"]:  # every student's page, after the reveal
        assert any(a.startswith(("✓ Right", "✗ Not quite")) for a in session.alerts)
        class_chart = next(s for s in session.chart_specs
                           if json.loads(s)["data"][0].get("orientation") == "h")
        assert sum(_bars(class_chart).values()) == STUDENTS
        assert f"{answer} (you)" in "".join(_bars(class_chart))
