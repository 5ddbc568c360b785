"""A classroom at once: N browser sessions open a page, then each changes one setting.

Drives the real app (``streamlit run app.py``) with Playwright's async API: one headless
Chromium, one browser context (= one Streamlit session) per student, all at the same time.
Used by the ``load`` test (every session must render, identical configs computed once) and by
``python -m benchmarks`` (time to first chart, peak server memory).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import os
import statistics
import time

from benchmarks.app_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PLOTLY_CHART,
    cpu_seconds,
    descendants,
    peak_rss_mb,
    running_app,
    tree_cpu_seconds,
)

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
        trainings: cache misses the server logged ("computing …" lines).
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
        nav = page.locator('[data-testid="stSidebarNav"]')
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


async def _classroom(url: str, n: int, path_title: str, timeout_ms: int, server_pid: int
                     ) -> tuple[list[tuple], float, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            await _warm_up(browser, url, timeout_ms)
            seated = []
            for _ in range(0, n, SEATING_BATCH):  # students sit down a few at a time
                seated += await asyncio.gather(*(
                    _open_home(browser, url, timeout_ms)
                    for _ in range(min(SEATING_BATCH, n - len(seated)))))
            clients = [pid for pid in descendants(os.getpid()) if pid != server_pid]
            server_start, clients_start = cpu_seconds(server_pid), tree_cpu_seconds(clients)
            results = await asyncio.gather(
                *(_student(page, path_title, timeout_ms) for _, page in seated))
            server_cpu = cpu_seconds(server_pid) - server_start
            client_cpu = tree_cpu_seconds(clients) - clients_start
            for context, _ in seated:
                await context.close()
            return results, server_cpu, client_cpu
        finally:
            await browser.close()


def _in_own_thread(coroutine):
    """``asyncio.run(coroutine)`` in a thread of its own, and its result.

    Playwright's sync API (e.g. the e2e tests' browser) may already run an event loop in the
    calling thread, and asyncio.run() refuses to nest.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


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
    with running_app(extra_env={"LAB_LOG_LEVEL": "INFO"}) as app:
        results, server_cpu, client_cpu = _in_own_thread(
            _classroom(app.url, n_sessions, page, int(timeout_s * 1000), app.pid))
        peak = peak_rss_mb(app.pid)
        log = app.read_log()
    trainings = sum("labui.run computing" in line for line in log.splitlines())
    return ClassroomReport(
        first_chart_s=[r[0] for r in results], after_change_s=[r[1] for r in results],
        errors=[r[2] for r in results], trainings=trainings, peak_mb=peak,
        server_cpu_s=server_cpu, client_cpu_s=client_cpu,
    )


LONG_RUN = "regression?steps=5000&n_points=500"  # about 10 s of training, within the limit


async def _time_to_chart(browser, url: str, timeout_ms: int) -> float:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        start = time.perf_counter()
        await page.goto(url, wait_until="commit", timeout=timeout_ms)
        await page.wait_for_selector(PLOTLY_CHART, state="visible", timeout=timeout_ms)
        return time.perf_counter() - start
    finally:
        await context.close()


async def _responsiveness(url: str, timeout_ms: int) -> tuple[float, float, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            await _warm_up(browser, url, timeout_ms)
            alone = await _time_to_chart(browser, f"{url}/", timeout_ms)
            long_run = asyncio.create_task(
                _time_to_chart(browser, f"{url}/{LONG_RUN}", timeout_ms))
            await asyncio.sleep(2.0)  # the long training is under way
            during = await _time_to_chart(browser, f"{url}/", timeout_ms)
            return alone, during, await long_run
        finally:
            await browser.close()


def run_responsiveness(timeout_s: float = 180.0) -> tuple[float, float, float]:
    """Seconds to the Home page's chart alone and while another session trains for ~10 s.

    Returns:
        (alone, during the other session's training, the long run's own time to its chart).
    """
    with running_app() as app:
        return _in_own_thread(_responsiveness(app.url, int(timeout_s * 1000)))


# --- the same classroom at the protocol level: the server's side of it -----------------------

PAGE_NAMES = {"Regression": "regression"}
CHANGED_SETTING = "early_stopping=true"  # the setting every student flips, as in the browsers


def _rerun(page_name: str, query: str = "") -> bytes:
    """A BackMsg asking the server to run ``page_name`` with ``query`` as its URL query."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    message.rerun_script.page_name = page_name
    message.rerun_script.query_string = query
    return message.SerializeToString()


async def _until_finished(ws, start: float) -> tuple[float, str]:
    """Read ForwardMsgs until the run finishes: (seconds to the first chart, exception text)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    first, error = float("inf"), ""
    async for raw in ws:
        message = ForwardMsg()
        message.ParseFromString(raw)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "plotly_chart" and first == float("inf"):
                first = time.perf_counter() - start
            elif element.WhichOneof("type") == "exception":
                error = error or element.exception.message
        elif kind == "script_finished":
            return first, error
    return first, error or "the connection closed before the run finished"


async def _protocol_student(ws_url: str, page_name: str, seated: asyncio.Barrier,
                            changed: asyncio.Barrier) -> tuple[float, float, str]:
    import websockets

    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
        await ws.send(_rerun(""))  # the Home page: the student sits down
        await _until_finished(ws, time.perf_counter())
        await seated.wait()  # everyone asks for the page at the same instant
        start = time.perf_counter()
        await ws.send(_rerun(page_name))
        first, error = await _until_finished(ws, start)
        await changed.wait()
        start = time.perf_counter()
        await ws.send(_rerun(page_name, CHANGED_SETTING))
        after, later_error = await _until_finished(ws, start)
        return first, after, error or later_error


async def _protocol_classroom(url: str, n: int, page_name: str, server_pid: int
                              ) -> tuple[list[tuple], float, float]:
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    await _protocol_student(ws_url, "", asyncio.Barrier(1), asyncio.Barrier(1))  # the teacher
    seated, changed = asyncio.Barrier(n + 1), asyncio.Barrier(n)
    students = [asyncio.create_task(_protocol_student(ws_url, page_name, seated, changed))
                for _ in range(n)]
    await asyncio.sleep(0)
    process = os.getpid()
    await seated.wait()
    server_start, client_start = cpu_seconds(server_pid), cpu_seconds(process)
    results = await asyncio.gather(*students)
    return (results, cpu_seconds(server_pid) - server_start,
            cpu_seconds(process) - client_start)


def run_server_classroom(n_sessions: int = 20, page: str = "Regression") -> ClassroomReport:
    """The classroom without browsers: the server's own time to each student's first chart.

    ``n_sessions`` websocket clients speak Streamlit's protocol (what the browser app sends
    and receives) to ``streamlit run app.py``: each opens Home, then all ask for ``page`` at
    the same instant; the time counts from that request to the message carrying the page's
    first chart. Then each changes one setting (Early stopping, through the URL query) and the
    time to the new chart is taken again. The clients parse messages and render nothing, so
    the 2 cores are the server's, as in a classroom where every student has a computer.
    """
    with running_app(extra_env={"LAB_LOG_LEVEL": "INFO"}) as app:
        results, server_cpu, client_cpu = _in_own_thread(
            _protocol_classroom(app.url, n_sessions, PAGE_NAMES[page], app.pid))
        peak = peak_rss_mb(app.pid)
        log = app.read_log()
    return ClassroomReport(
        first_chart_s=[r[0] for r in results], after_change_s=[r[1] for r in results],
        errors=[r[2] for r in results],
        trainings=sum("labui.run computing" in line for line in log.splitlines()),
        peak_mb=peak, server_cpu_s=server_cpu, client_cpu_s=client_cpu,
    )
