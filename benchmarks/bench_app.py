"""The real app: cold start to the first chart in Chromium, and peak memory after every page."""

from __future__ import annotations

import time

from benchmarks.app_server import (
    CHROMIUM,
    ROOT,
    launch_chromium,
    peak_rss_mb,
    running_app,
    wait_for_chart,
)
from benchmarks.common import Row

PAGES = ["", "regression", "classification", "calibration", "ood"]
MEMORY_LIMIT_MB = 1536


def run(quick: bool = False) -> list[Row]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [Row("app cold start", float("nan"), "s", note="playwright missing: skipped")]
    if not CHROMIUM.exists():
        return [Row("app cold start", float("nan"), "s", note=f"no {CHROMIUM}: skipped")]
    pages = [p for p in PAGES if not p or (ROOT / "pages" / f"{p}.py").exists()]
    start = time.perf_counter()
    with running_app() as app, sync_playwright() as pw:
        browser = launch_chromium(pw)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.goto(f"{app.url}/regression")
        wait_for_chart(tab)
        cold = time.perf_counter() - start
        for name in pages:
            tab.goto(f"{app.url}/{name}")
            wait_for_chart(tab)
        peak = peak_rss_mb(app.pid)
        browser.close()
    return [
        Row("cold start → first Regression chart", cold, "s", "report", None,
            "streamlit run app.py to a visible chart in headless Chromium"),
        Row("app peak memory after every page", peak, "MB", f"≤ {MEMORY_LIMIT_MB}",
            peak <= MEMORY_LIMIT_MB, f"VmHWM of the server; pages: {len(pages)}"),
    ]
