"""A class that acts at once: one process against N replicas behind nginx with Redis.

Every student (a protocol client, :mod:`labserve.protocol`, rendering nothing) sits on Home,
opens Regression when the class does, then acts twice, as in a lesson:

1. the teacher's instruction — everyone moves the same setting to the same value (one new
   config for the whole class, which should be trained once);
2. their own exploration — each student a different seed (a new config per student).

The time of an action runs from the student's changed setting to the redrawn chart. The
class's throughput is its actions per second of wall time, from the first action to the last.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence

from labserve.app_server import cpu_seconds, peak_rss_mb, running_app
from labserve.protocol import CookieJar, connect, run_sync

LOG_CACHE_MISSES = {"LAB_LOG_LEVEL": "INFO"}
SHARED_SETTING = ("regression.noise_scale", 2.0)  # the teacher: "set the noise level to 2"
OWN_SETTING = "regression.seed"  # then each student tries a seed of their own


@dataclasses.dataclass(frozen=True)
class ClassActions:
    """What one class did, measured at the server(s).

    Attributes:
        students: how many.
        replicas: Streamlit processes serving them (1 = plain ``streamlit run app.py``).
        shared_s: each student's time for the instruction everyone followed.
        own_s: each student's time for their own setting.
        wall_s: seconds from the first action to the last chart.
        trainings: configs trained while the class acted (all processes together).
        server_cpu_s: CPU seconds of the Streamlit processes while the class acted.
        peak_mb: the largest resident memory of one Streamlit process.
        errors: how many actions ended with an exception or an error message.
    """

    students: int
    replicas: int
    shared_s: tuple[float, ...]
    own_s: tuple[float, ...]
    wall_s: float
    trainings: int
    server_cpu_s: float
    peak_mb: float
    errors: int

    @property
    def actions(self) -> tuple[float, ...]:
        """Every action's time, the shared ones first."""
        return self.shared_s + self.own_s

    @property
    def throughput(self) -> float:
        """Actions per second of wall time."""
        return len(self.actions) / self.wall_s

    def quantile(self, q: float) -> float:
        """The q-quantile of the action times (0.5 = median, 0.95 = p95)."""
        ordered = sorted(self.actions)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def worst(self) -> float:
        return max(self.actions)

    @property
    def median(self) -> float:
        return statistics.median(self.actions)


@dataclasses.dataclass(frozen=True)
class _Server:
    ws_url: str
    pids: Sequence[int]
    trainings: Callable[[], int]  # configs trained so far, all processes together


@contextlib.contextmanager
def _server(replicas: int) -> Iterator[_Server]:
    """One plain server (``replicas == 1``) or the class server of :mod:`labserve.cluster`."""
    if replicas == 1:
        with running_app(extra_env=LOG_CACHE_MISSES) as app:
            yield _Server(app.ws_url, [app.pid], app.trainings)
        return
    from labserve.cluster import running_cluster

    with running_cluster(replicas=replicas) as cluster:
        yield _Server(cluster.ws_url, [r.process.pid for r in cluster.replicas],
                      cluster.trainings)


async def _student(ws_url: str, index: int, seated: asyncio.Barrier,
                   acting: asyncio.Barrier) -> tuple[float, float, float, int]:
    async with connect(ws_url, cookies=CookieJar()) as session:
        await session.open("")
        await seated.wait()
        opened = await session.open("regression")
        await acting.wait()
        key, value = SHARED_SETTING
        shared = await session.set(key, value)
        own = await session.set(OWN_SETTING, 100 + index)
        errors = sum(bool(r.error) for r in (opened, shared, own))
        return shared.first_chart_s, own.first_chart_s, time.perf_counter(), errors


async def _class(server: _Server, students: int) -> tuple[list, float, float, int]:
    async with connect(server.ws_url, cookies=CookieJar()) as teacher:
        await teacher.open("regression")  # imports done, the default trained: as after a demo
    seated, acting = asyncio.Barrier(students + 1), asyncio.Barrier(students + 1)
    tasks = [asyncio.create_task(_student(server.ws_url, i, seated, acting))
             for i in range(students)]
    await seated.wait()
    await acting.wait()
    start = time.perf_counter()
    cpu_before = sum(cpu_seconds(pid) for pid in server.pids)
    trained_before = server.trainings()
    results = await asyncio.gather(*tasks)
    wall = max(r[2] for r in results) - start
    cpu = sum(cpu_seconds(pid) for pid in server.pids) - cpu_before
    return results, wall, cpu, server.trainings() - trained_before


def run_class_actions(students: int, replicas: int) -> ClassActions:
    """Seat ``students`` in front of ``replicas`` processes and let them act twice.

    Args:
        students: protocol clients, each with its own cookies (so nginx pins each to one
            replica, as it pins a browser).
        replicas: 1 for plain ``streamlit run app.py``; 2 or more for Redis + replicas + nginx.
    """
    with _server(replicas) as server:
        results, wall, cpu, trainings = run_sync(_class(server, students))
        peak = max(peak_rss_mb(pid) for pid in server.pids)
    return ClassActions(
        students=students, replicas=replicas,
        shared_s=tuple(r[0] for r in results), own_s=tuple(r[1] for r in results),
        wall_s=wall, trainings=trainings, server_cpu_s=cpu, peak_mb=peak,
        errors=sum(r[3] for r in results),
    )


if __name__ == "__main__":  # a quick look: python -m labserve.class_actions
    for n_replicas in (1, 2):
        report = run_class_actions(int(os.environ.get("LAB_STUDENTS", "10")), n_replicas)
        print(n_replicas, f"median {report.median:.2f} s, worst {report.worst:.2f} s, "
              f"{report.throughput:.2f} actions/s, trainings {report.trainings}, "
              f"errors {report.errors}")
