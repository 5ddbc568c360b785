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
