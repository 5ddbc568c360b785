"""A part of the class server dies; the class carries on.

- The replica a student is pinned to is killed: the student's browser reconnects through
  nginx, lands on the other replica, rebuilds its page from the URL and gets the result from
  Redis without training it again.
- Redis is killed: pages still render; a new config is trained locally, and the replica says
  so in one log line.

The killed part is started again before the next test (the ``cluster`` fixture).
"""

from __future__ import annotations

import asyncio

import pytest

from labserve.app_server import trainings_in
from labserve.cluster import (
    ROUTE_COOKIE,
    SHARED_CACHE_DOWN,
    SHARED_CACHE_HIT,
    Cluster,
    Replica,
    replica_name,
)
from labserve.protocol import CookieJar, RunTimes, connect, run_sync

pytestmark = pytest.mark.cluster
FAILOVER_QUERY = "seed=201&steps=100"  # configs used by no other test
NO_REDIS_QUERY = "seed=202&steps=100"


def _log_since(replica: Replica, offset: int) -> str:
    return replica.read_log()[offset:]


async def _failover(cluster: Cluster) -> dict:
    jar = CookieJar()
    async with connect(cluster.ws_url, cookies=jar) as session:
        before = await session.open("regression", FAILOVER_QUERY)
        pinned = await asyncio.to_thread(cluster.replica_for, jar.header())
        survivor = next(r for r in cluster.replicas if r is not pinned)
        offset = len(survivor.read_log())
        cluster.kill_replica(pinned.index)
        after = await session.reconnect()
        now = await asyncio.to_thread(cluster.replica_for, jar.header())
        return {"before": before, "after": after, "pinned": pinned, "survivor": survivor,
                "now": now, "offset": offset, "query": session.query_string,
                "route": jar.get(ROUTE_COOKIE)}


def test_a_killed_replicas_students_fail_over_and_are_served_from_redis(
        cluster: Cluster) -> None:
    trained = {r.index: r.trainings() for r in cluster.replicas}
    seen = run_sync(_failover(cluster))
    before, after, pinned, survivor = (seen[k] for k in ("before", "after", "pinned",
                                                          "survivor"))

    assert before.charts > 0 and before.error == ""
    assert pinned.trainings() == trained[pinned.index] + 1  # trained there, first
    assert not pinned.alive
    assert seen["now"] is survivor  # the backup answered the reconnect ...
    assert seen["route"] == replica_name(survivor.index)  # ... and keeps the browser from now on
    assert after.charts == before.charts and after.error == ""
    assert seen["query"] == FAILOVER_QUERY  # the page rebuilt from the same URL
    log = _log_since(survivor, seen["offset"])
    assert trainings_in(log) == 0  # not trained again: loaded from Redis
    assert survivor.trainings() == trained[survivor.index]
    assert SHARED_CACHE_HIT in log


async def _open(cluster: Cluster, jar: CookieJar) -> RunTimes:
    async with connect(cluster.ws_url, cookies=jar) as session:
        return await session.open("regression", NO_REDIS_QUERY)


def test_without_redis_pages_still_render_and_compute_locally(cluster: Cluster) -> None:
    offsets = {r.index: len(r.read_log()) for r in cluster.replicas}
    cluster.kill_redis()
    jar = CookieJar()
    run = run_sync(_open(cluster, jar))

    assert run.error == ""
    assert run.charts > 0
    served = cluster.replica_for(jar.header())
    log = _log_since(served, offsets[served.index])
    assert trainings_in(log) == 1  # computed here
    notices = [line for line in log.splitlines() if SHARED_CACHE_DOWN in line]
    assert len(notices) == 1  # one line per computation, no traceback
    assert "Traceback" not in log
