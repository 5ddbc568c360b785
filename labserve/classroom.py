"""A classroom at once: N sessions open a page, then each changes one setting.

Two ways to seat the class in front of one real server (``streamlit run app.py``):

- :func:`run_classroom`: N headless Chromium sessions (Playwright's async API, one browser
  context = one Streamlit session per student), rendering everything on this machine;
- :func:`run_server_classroom`: N clients that speak Streamlit's protocol
  (:mod:`labserve.protocol`) and render nothing: the server's side alone.

Used by the ``load`` tests (every session renders, identical configs are computed once) and by
``python -m benchmarks`` (times to the first chart, CPU time, peak server memory).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import statistics
import time

from labserve.app_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOG_CACHE_MISSES,
    PLOTLY_CHART,
    RunningApp,
    cpu_seconds,
    descendants,
    peak_rss_mb,
    running_app,
    tree_cpu_seconds,
)
from labserve.protocol import connect, run_sync

EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'
HEADINGS = {"Regression": "Regression: how sure is the curve?"}
SEATING_BATCH = 5


@dataclasses.dataclass(frozen=True)
class ClassroomReport:
    """What N simultaneous sessions saw.

    Attributes:
        first_chart_s: per session, seconds from opening the page to a visible chart.
        after_change_s: per session, seconds from changing a setting to the new chart.
        errors: per session, the text of any exception box (empty when none).
        trainings: cache misses the server logged ("computing …" lines) from the moment the
            class was seated (Home open in every session) to the end.
        peak_mb: the server's peak resident memory.
        server_cpu_s: CPU seconds the server used while the students worked.
        client_cpu_s: CPU seconds the clients (browsers, or the protocol clients) used then.
    """

    first_chart_s: list[float]
    after_change_s: list[float]
    errors: list[str]
    trainings: int
    peak_mb: float
    server_cpu_s: float = float("nan")
    client_cpu_s: float = float("nan")

    @property
    def median_first(self) -> float:
        return statistics.median(self.first_chart_s)

    @property
    def worst_first(self) -> float:
        return max(self.first_chart_s)


async def _open_home(browser, url: str, timeout_ms: int):
    """A student's browser, open at the lab's Home page (not timed: the class is seated)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(url, wait_until="commit", timeout=timeout_ms)
    await page.wait_for_selector(PLOTLY_CHART, state="visible", timeout=timeout_ms)
    await page.wait_for_selector(RUNNING, state="detached", timeout=timeout_ms)
    return context, page


async def _student(page, path_title: str, timeout_ms: int) -> tuple[float, float, str]:
    """Click the page in the sidebar, wait for its chart; flip one setting, wait again."""
    try:
        start = time.perf_counter()
        nav = page.locator(".st-key-lab_nav")  # the lab's page list (labui/nav.py)
        await nav.get_by_role("link", name=path_title, exact=True).click(timeout=timeout_ms)
        await page.get_by_role("heading", name=HEADINGS[path_title]).wait_for(timeout=timeout_ms)
        await page.wait_for_selector(PLOTLY_CHART, state="visible", timeout=timeout_ms)
        await page.wait_for_selector(RUNNING, state="detached", timeout=timeout_ms)
        first = time.perf_counter() - start
        # One setting changed by every student: the "Early stopping" switch in the sidebar.
        start = time.perf_counter()
        await page.get_by_text("Early stopping", exact=True).click()
        await page.wait_for_timeout(300)
        await page.wait_for_selector(RUNNING, state="detached", timeout=timeout_ms)
        await page.wait_for_selector(PLOTLY_CHART, state="visible", timeout=timeout_ms)
        after = time.perf_counter() - start
        boxes = page.locator(EXCEPTION)
        error = "" if await boxes.count() == 0 else await boxes.first.inner_text()
        return first, after, error
    except Exception as exc:  # a session that failed is a finding, not a crash of the driver
        return float("inf"), float("inf"), f"{type(exc).__name__}: {exc}"


async def _warm_up(browser, url: str, timeout_ms: int) -> None:
    """The teacher opens the Home page first: the server imports torch before students come."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url, wait_until="commit", timeout=timeout_ms)
    await page.wait_for_selector(PLOTLY_CHART, state="visible", timeout=timeout_ms)
    await context.close()


async def _classroom(app: RunningApp, n: int, path_title: str, timeout_ms: int
                     ) -> tuple[list[tuple], float, float, int]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            await _warm_up(browser, app.url, timeout_ms)
            seated = []
            for _ in range(0, n, SEATING_BATCH):  # students sit down a few at a time
                seated += await asyncio.gather(*(
                    _open_home(browser, app.url, timeout_ms)
                    for _ in range(min(SEATING_BATCH, n - len(seated)))))
            clients = [pid for pid in descendants(os.getpid()) if pid != app.pid]
            server_start, clients_start = cpu_seconds(app.pid), tree_cpu_seconds(clients)
            trained_before = app.trainings()
            results = await asyncio.gather(
                *(_student(page, path_title, timeout_ms) for _, page in seated))
            server_cpu = cpu_seconds(app.pid) - server_start
            client_cpu = tree_cpu_seconds(clients) - clients_start
            for context, _ in seated:
                await context.close()
            return results, server_cpu, client_cpu, app.trainings() - trained_before
        finally:
            await browser.close()


def run_classroom(n_sessions: int = 20, page: str = "Regression",
                  timeout_s: float = 300.0) -> ClassroomReport:
    """Start the app; seat ``n_sessions`` students on Home; all open ``page`` at once.

    Each student is a separate browser context (a separate Streamlit session) that first opens
    the Home page, untimed: the class is seated and the server warm before the lesson starts,
    and loading the browser app itself is each student's own computer's work (here all share
    two cores with the server). Then every student clicks ``page`` in the sidebar at the same
    moment; times count from that click to a visible chart, then from flipping one setting to
    the new chart.
    """
    with running_app(extra_env=LOG_CACHE_MISSES) as app:
        results, server_cpu, client_cpu, trainings = run_sync(
            _classroom(app, n_sessions, page, int(timeout_s * 1000)))
        peak = peak_rss_mb(app.pid)
    return ClassroomReport(
        first_chart_s=[r[0] for r in results], after_change_s=[r[1] for r in results],
        errors=[r[2] for r in results], trainings=trainings, peak_mb=peak,
        server_cpu_s=server_cpu, client_cpu_s=client_cpu,
    )


# --- the same classroom at the protocol level: the server's side of it -----------------------

PAGE_NAMES = {"Regression": "regression"}
# The setting every student flips, as the browsers' students do: the "Early stopping" toggle.
CHANGED_WIDGET = ("early_stopping", True)


async def _protocol_student(ws_url: str, page_name: str, seated: asyncio.Barrier,
                            changed: asyncio.Barrier) -> tuple[float, float, str]:
    async with connect(ws_url) as session:
        await session.open("")  # the Home page: the student sits down
        await seated.wait()  # everyone asks for the page at the same instant
        first = await session.open(page_name)
        await changed.wait()
        name, value = CHANGED_WIDGET
        after = await session.set(f"{page_name}.{name}", value)
        return first.first_chart_s, after.first_chart_s, first.error or after.error


async def _protocol_classroom(app: RunningApp, n: int, page_name: str
                              ) -> tuple[list[tuple], float, float, int]:
    async with connect(app.ws_url) as teacher:  # the server imports torch before students come
        await teacher.open("")
    seated, changed = asyncio.Barrier(n + 1), asyncio.Barrier(n)
    students = [asyncio.create_task(_protocol_student(app.ws_url, page_name, seated, changed))
                for _ in range(n)]
    await asyncio.sleep(0)
    process = os.getpid()
    await seated.wait()
    server_start, client_start = cpu_seconds(app.pid), cpu_seconds(process)
    trained_before = app.trainings()
    results = await asyncio.gather(*students)
    return (results, cpu_seconds(app.pid) - server_start, cpu_seconds(process) - client_start,
            app.trainings() - trained_before)


def run_server_classroom(n_sessions: int = 20, page: str = "Regression") -> ClassroomReport:
    """The classroom without browsers: the server's own time to each student's first chart.

    ``n_sessions`` protocol clients (:mod:`labserve.protocol`) talk to ``streamlit run
    app.py``: each opens Home, then all ask for ``page`` at the same instant; the time counts
    from that request to the message carrying the page's first chart. Then each flips one
    setting (the Early stopping toggle) and the time to the new first chart is taken again. The
    clients render nothing, so the cores are the server's, as in a classroom where every
    student has a computer.
    """
    with running_app(extra_env=LOG_CACHE_MISSES) as app:
        results, server_cpu, client_cpu, trainings = run_sync(
            _protocol_classroom(app, n_sessions, PAGE_NAMES[page]))
        peak = peak_rss_mb(app.pid)
    return ClassroomReport(
        first_chart_s=[r[0] for r in results], after_change_s=[r[1] for r in results],
        errors=[r[2] for r in results], trainings=trainings, peak_mb=peak,
        server_cpu_s=server_cpu, client_cpu_s=client_cpu,
    )


# --- one student's page while another session trains ------------------------------------------

LONG_RUN = ("regression", "steps=5000&n_points=500")  # about 10 s of training, within the limit


async def _responsiveness(ws_url: str) -> tuple[float, float, float]:
    async with connect(ws_url) as teacher:  # imports done, Home's result cached
        await teacher.open("")
    async with connect(ws_url) as alone:
        alone_s = (await alone.open("")).first_chart_s
    async with connect(ws_url) as trainer, connect(ws_url) as student:
        long_run = asyncio.create_task(trainer.open(*LONG_RUN))
        await asyncio.sleep(2.0)  # the long training is under way
        during_s = (await student.open("")).first_chart_s
        return alone_s, during_s, (await long_run).first_chart_s


def run_responsiveness() -> tuple[float, float, float]:
    """Seconds to the Home page's chart alone and while another session trains for ~10 s.

    Returns:
        (alone, during the other session's training, the long run's own time to its chart).
    """
    with running_app() as app:
        return run_sync(_responsiveness(app.ws_url))


# --- a class poll: every student answers, the teacher's projector counts ------------------------

POLL_SECRET = "class-poll-load"  # LAB_CACHE_SECRET of the server: the driver makes the host key
POLL_ROOM = "load1"
POLL_PAGE = ("regression", "steps=100&quiz=1")  # the quiz a quiz link opens on (MSE vs NLL)
POLL_ANSWER = "regression.quiz.mse.answer"
POLL_REVEAL = "regression.quiz.mse.reveal_all"
POLL_SPREAD_S = 4.0  # the students answer at random moments over this many seconds
POLL_WAIT_S = 60.0  # how long the teacher's chart may take to show every answer (a failure)


@dataclasses.dataclass(frozen=True)
class PollReport:
    """What a class poll measured at the server (protocol clients, :mod:`labserve.protocol`).

    Attributes:
        students: how many answered.
        answered_s: seconds from the class's start to the last answer's run finishing.
        answer_s: per student, seconds from clicking an answer to its run finishing.
        counted: the total the teacher's chart showed at the end.
        chart_s: seconds from the last answer to the teacher's chart showing every answer
            (the chart's fragment reruns every second, as in the browser).
        reveal_s: seconds from Reveal to all to the last student's page showing the answer
            (each waiting page checks every 2 s, as in the browser).
        revealed: students whose page showed the answer and the class chart after the reveal.
        errors: runs that ended with an exception or an error message (a student who chose a
            wrong answer sees "✗ Not quite" in an error box after the reveal; not counted).
        server_cpu_s: the server's CPU seconds from the start to the end of the reveal.
        peak_mb: the server's peak resident memory.
    """

    students: int
    answered_s: float
    answer_s: tuple[float, ...]
    counted: int
    chart_s: float
    reveal_s: float
    revealed: int
    errors: int
    server_cpu_s: float
    peak_mb: float


def chart_total(spec: str) -> int:
    """The total of the bars of a class poll chart (:func:`labui.rooms.poll_figure`)."""
    import json

    return int(sum(json.loads(spec)["data"][0]["x"]))


async def _poll_student(ws_url: str, index: int, seated: asyncio.Barrier, start: asyncio.Event,
                        rng_seed: int) -> tuple[float, float, float, int, bool]:
    """Sit down, answer at a random moment, then wait (polling, as the page does) for the
    reveal. Returns (answered at, the answer's run time, saw the reveal at, errors, whether
    the page showed the answer's charts)."""
    import random

    from labserve.protocol import connect

    async with connect(ws_url) as session:
        opened = await session.open(POLL_PAGE[0], f"{POLL_PAGE[1]}&room={POLL_ROOM}")
        errors = int(bool(opened.error))
        await seated.wait()
        await start.wait()
        await asyncio.sleep(random.Random(rng_seed).uniform(0.0, POLL_SPREAD_S))
        options = session.widgets[POLL_ANSWER].options
        answered = await session.set(POLL_ANSWER, options[index % len(options)])
        answered_at = time.perf_counter()
        errors += int(bool(answered.error))
        deadline = time.perf_counter() + POLL_SPREAD_S + 2 * POLL_WAIT_S
        # The waiting fragment, every STUDENT_POLL_S, until it sees the reveal and reruns the
        # page: that full run shows the charts and schedules no more waiting.
        while session.fragments and time.perf_counter() < deadline:
            (fragment, interval), = session.fragments.items()
            await asyncio.sleep(interval)
            await session.rerun_fragment(fragment)
        # The page shows the charts only after the reveal (it may come before the teacher's
        # own page has finished its run), with the answer: ✓, ✗, or "The answer is …".
        shown = bool(session.chart_specs) and any(
            a.startswith(("✓", "✗", "The answer is")) for a in session.alerts)
        return answered_at, answered.finished_s, time.perf_counter(), errors, shown


async def _class_poll(app: RunningApp, n: int, host_key: str) -> dict:
    from labserve.protocol import connect

    teacher_query = f"{POLL_PAGE[1]}&room={POLL_ROOM}&present=1&host={host_key}"
    async with connect(app.ws_url) as teacher:
        await teacher.open(*POLL_PAGE[:1], teacher_query)  # opens the room; trains the default
        seated, start = asyncio.Barrier(n + 1), asyncio.Event()
        tasks = []
        for i in range(n):  # students sit down a few at a time (untimed)
            tasks.append(asyncio.create_task(
                _poll_student(app.ws_url, i, seated, start, rng_seed=i)))
            if i % SEATING_BATCH == SEATING_BATCH - 1:
                await asyncio.sleep(0.2)
        await seated.wait()
        cpu_before = cpu_seconds(app.pid)
        began = time.perf_counter()
        start.set()
        (fragment, interval), = teacher.fragments.items()
        seen: list[tuple[float, int]] = []  # (when, the chart's total)
        tick = time.perf_counter()
        while time.perf_counter() - began < POLL_SPREAD_S + POLL_WAIT_S:
            tick += interval  # the browser's timer: every `interval` seconds
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
            await teacher.rerun_fragment(fragment)
            seen.append((time.perf_counter(), chart_total(teacher.chart_specs[0])))
            if seen[-1][1] >= n:
                break
        counted = seen[-1][1]
        reveal_at = time.perf_counter()
        await teacher.set(POLL_REVEAL, True)
        results = await asyncio.gather(*tasks)
        cpu = cpu_seconds(app.pid) - cpu_before
    last_answer = max(r[0] for r in results)
    shown = next((t for t, total in seen if total >= n), math.inf)
    return {
        "answered_s": last_answer - began, "answer_s": tuple(r[1] for r in results),
        "counted": counted, "chart_s": max(0.0, shown - last_answer),
        "reveal_s": max(r[2] for r in results) - reveal_at,
        "revealed": sum(r[4] for r in results),
        "errors": sum(r[3] for r in results), "server_cpu_s": cpu,
    }


def run_class_poll(n_students: int = 80) -> PollReport:
    """``n_students`` protocol clients answer a class poll on one ``streamlit run app.py``.

    The teacher's projector page (the room's host link) opens first; every student opens the
    room's link (untimed), then all answer at random moments over :data:`POLL_SPREAD_S`
    seconds while their pages poll the room every 2 s, as a browser's fragment timer does.
    The teacher's chart fragment reruns every second until it shows every answer; then the
    teacher presses Reveal to all and every student's page must show the answer.
    """
    from labui.cache.rooms import room_host_key

    key = room_host_key(POLL_SECRET.encode(), POLL_ROOM)
    with running_app(extra_env={"LAB_CACHE_SECRET": POLL_SECRET}) as app:
        measured = run_sync(_class_poll(app, n_students, key))
        peak = peak_rss_mb(app.pid)
    return PollReport(students=n_students, peak_mb=peak, **measured)
