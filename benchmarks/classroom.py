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
import statistics
import time

from benchmarks.app_server import CHROMIUM, CHROMIUM_ARGS, PLOTLY_CHART, peak_rss_mb, running_app

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
    """

    first_chart_s: list[float]
    after_change_s: list[float]
    errors: list[str]
    trainings: int
    peak_mb: float

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


async def _classroom(url: str, n: int, path_title: str, timeout_ms: int) -> list[tuple]:
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
            results = await asyncio.gather(
                *(_student(page, path_title, timeout_ms) for _, page in seated))
            for context, _ in seated:
                await context.close()
            return results
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
    with running_app(extra_env={"LAB_LOG_LEVEL": "INFO"}) as app:
        # A thread of its own: Playwright's sync API (e.g. the e2e tests' browser) may already
        # run an event loop in this thread, and asyncio.run() refuses to nest.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            results = pool.submit(
                asyncio.run, _classroom(app.url, n_sessions, page, int(timeout_s * 1000))
            ).result()
        peak = peak_rss_mb(app.pid)
        log = app.read_log()
    trainings = sum("labui.run computing" in line for line in log.splitlines())
    return ClassroomReport(
        first_chart_s=[r[0] for r in results], after_change_s=[r[1] for r in results],
        errors=[r[2] for r in results], trainings=trainings, peak_mb=peak,
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
    with running_app() as app, concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _responsiveness(app.url, int(timeout_s * 1000))).result()
