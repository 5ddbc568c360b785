"""Real-browser fixtures: one ``streamlit run app.py`` server and one headless Chromium per session.

The browser is the system Chromium (``/usr/bin/chromium``) driven by Playwright; nothing is
downloaded. When Chromium or Playwright is missing the e2e tests are skipped, unless
``LAB_REQUIRE_BROWSER=1`` is set, in which case they fail so CI notices.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT_S = 60.0
SERVER_ENV_PASSTHROUGH = ("LAB_DEVICE",)


def _missing_browser(reason: str) -> None:
    """Skip, or fail when ``LAB_REQUIRE_BROWSER=1`` (CI must not skip the browser tests)."""
    if os.environ.get("LAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LAB_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set LAB_REQUIRE_BROWSER=1 to fail instead of skipping)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group, then kill it if it lingers."""
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in SERVER_ENV_PASSTHROUGH:  # explicit: these must reach the app unchanged
        if name in os.environ:
            env[name] = os.environ[name]
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Start ``streamlit run app.py`` on a free port; yield its base URL; stop it afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_server_env(),
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # own process group, so killpg reaches every child
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr.seek(0)
                    stdout.seek(0)
                    log = stderr.read().decode(errors="replace")
                    out = stdout.read().decode(errors="replace")
                    state = (
                        f"exited with {process.returncode}"
                        if process.poll() is not None
                        else f"did not answer /_stcore/health in {SERVER_START_TIMEOUT_S:.0f} s"
                    )
                    print(f"streamlit stdout:\n{out}\nstreamlit stderr:\n{log}", file=sys.stderr)
                    pytest.fail(f"The Streamlit server {state}.\nstderr:\n{log[-4000:]}")
                time.sleep(0.3)
            yield url
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless system Chromium for the whole session."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("the Python package playwright is not installed")
    if not CHROMIUM.exists():
        _missing_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except PlaywrightError as exc:
            _missing_browser(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh browser context (1400×1000) and page per test, so no session state is shared."""
    context = browser.new_context(viewport=VIEWPORT, base_url=app_url)
    context.set_default_timeout(60_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
