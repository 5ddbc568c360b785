"""A class through nginx: 20 sessions on 2 replicas, each config trained once for the class.

The students are protocol clients (:mod:`labserve.protocol`): each a new browser, so nginx
gives each its own sticky cookie and spreads them over the replicas. Counts, not times:
trainings are the "computing …" lines every replica logs on a cache miss.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from labserve.cluster import STICKY_COOKIE, AccessEntry, Cluster, uid_from_cookie
from labserve.protocol import CookieJar, RunTimes, connect, run_sync

pytestmark = pytest.mark.cluster
STUDENTS = 20
SEEDS = (101, 102, 103, 104)  # distinct configs, used by no other test
STEPS = 100  # the smallest training the Regression page allows
STREAM = "/_stcore/stream"


async def _student(ws_url: str, query: str, ready: asyncio.Barrier) -> RunTimes:
    async with connect(ws_url) as session:
        await ready.wait()  # everyone asks at the same instant
        return await session.open("regression", query)


async def _classroom(ws_url: str) -> list[RunTimes]:
    ready = asyncio.Barrier(STUDENTS)
    return await asyncio.gather(*(
        _student(ws_url, f"seed={SEEDS[i % len(SEEDS)]}&steps={STEPS}", ready)
        for i in range(STUDENTS)))


def _wait_for_streams(cluster: Cluster, before: int, count: int) -> list[AccessEntry]:
    """The websocket entries nginx logged after ``before`` (logged as each one closes)."""
    for _ in range(100):
        streams = [e for e in cluster.access_log()[before:] if e.uri == STREAM]
        if len(streams) >= count:
            return streams
        time.sleep(0.1)
    return streams


def test_a_class_on_two_replicas_trains_each_config_once(cluster: Cluster) -> None:
    logged, trained = len(cluster.access_log()), cluster.trainings()
    results = run_sync(_classroom(cluster.ws_url))

    assert [r.error for r in results if r.error] == []
    assert all(r.charts > 0 for r in results)
    # 20 students asked for 4 configs: 4 trainings across both replicas (Redis single-flight;
    # the Regression page opened directly trains nothing else, Home's config not included).
    assert cluster.trainings() - trained == len(SEEDS)
    streams = _wait_for_streams(cluster, logged, STUDENTS)
    assert len(streams) == STUDENTS
    assert all(e.status == 101 for e in streams)
    served = Counter(e.upstream for e in streams)
    assert set(served) == {r.address for r in cluster.replicas}  # both replicas had students
    # New browsers go to the replicas in turn: an even split (±1 per replica, +1 for any
    # cookie-less request that came in between), not the luck of a hash.
    assert max(served.values()) - min(served.values()) <= 2, served
    assert len({e.key for e in streams}) == STUDENTS  # a cookie of its own for every student


async def _one_browser(cluster: Cluster, jar: CookieJar) -> list[RunTimes]:
    """One browser: a websocket without a cookie, health checks, then two more websockets."""
    runs = []
    async with connect(cluster.ws_url, cookies=jar) as session:
        runs.append(await session.open(""))
        for _ in range(3):
            await asyncio.to_thread(cluster.replica_for, jar.header())
        runs.append(await session.reconnect())
        runs.append(await session.reconnect())
    return runs


def test_one_browser_always_reaches_the_same_replica(cluster: Cluster) -> None:
    logged = len(cluster.access_log())
    jar = CookieJar()
    runs = run_sync(_one_browser(cluster, jar))

    assert all(r.charts > 0 and not r.error for r in runs)
    cookie = jar.get(STICKY_COOKIE)
    assert cookie  # set on the first handshake, which carried no cookie
    streams = _wait_for_streams(cluster, logged, 3)
    mine = [e for e in cluster.access_log()[logged:] if e.key == uid_from_cookie(cookie)]
    assert [e.uri for e in mine if e.uri == STREAM] == [STREAM] * 3
    assert len(mine) == 6  # 3 websockets (the first before it had the cookie) + 3 probes
    assert len({e.upstream for e in mine}) == 1
    assert {e.key for e in streams} == {uid_from_cookie(cookie)}
