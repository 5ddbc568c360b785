"""Start the real app (``streamlit run app.py``) and a headless system Chromium.

Shared by the browser tests, the classroom load test and the benchmarks. Streamlit runs in
its own process; nothing here imports it.
"""

from __future__ import annotations

import contextlib
import dataclasses
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

ROOT = Path(__file__).resolve().parents[1]
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
PLOTLY_CHART = ".js-plotly-plot"
# What labui.run logs on a cache miss when the server runs with LAB_LOG_LEVEL=INFO.
TRAINING_LOG_LINE = "labui.run computing"
LOG_CACHE_MISSES = {"LAB_LOG_LEVEL": "INFO"}


class AppStartError(RuntimeError):
    """The server exited or did not answer its health check in time (message has its log)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    """Whether Streamlit's health endpoint answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(process: subprocess.Popen) -> None:
    """Terminate the server's process group, then kill it if it lingers."""
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


@dataclasses.dataclass
class RunningApp:
    """A started server: its base URL, its process, and its log so far."""

    url: str
    process: subprocess.Popen
    log_file: Any
    started: float  # time.perf_counter() just before the process was started

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ws_url(self) -> str:
        """The websocket that Streamlit's browser app (and :mod:`labserve.protocol`) talks to."""
        return self.url.replace("http://", "ws://") + "/_stcore/stream"

    def trainings(self) -> int:
        """Cache misses so far (the server must run with :data:`LOG_CACHE_MISSES`)."""
        return trainings_in(self.read_log())

    def read_log(self) -> str:
        """Everything the server wrote to stdout and stderr until now."""
        self.log_file.flush()
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")


@contextlib.contextmanager
def running_app(timeout_s: float = 90.0, extra_env: dict[str, str] | None = None
                ) -> Iterator[RunningApp]:
    """``streamlit run app.py`` on a free port; yields the running app; stops it after.

    Raises:
        AppStartError: the server exited or stayed unhealthy for ``timeout_s``.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                   start_new_session=True)
        app = RunningApp(url, process, log, started)
        try:
            deadline = time.monotonic() + timeout_s
            while not healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AppStartError(
                        f"The Streamlit server did not start.\n{app.read_log()[-4000:]}")
                time.sleep(0.2)
            yield app
        finally:
            stop(process)


def launch_chromium(playwright: Any) -> Any:
    """The system Chromium, headless, with the flags this machine needs."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)


_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds used so far) of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, in seconds."""
    return _stat(pid)[1]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, …) right now."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                parents[int(entry.name)] = _stat(int(entry.name))[0]
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        todo += children
    return found


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds used so far by the processes in ``pids`` that still run."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            total += cpu_seconds(pid)
    return total


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"No VmHWM for process {pid}.")


def trainings_in(log: str) -> int:
    """How many results the server computed rather than served from its cache.

    Counts the "labui.run computing …" lines a server started with ``LAB_LOG_LEVEL=INFO``
    logs on every cache miss (see :func:`labui.run.run_cached`).
    """
    return sum(TRAINING_LOG_LINE in line for line in log.splitlines())


def wait_for_chart(page: Any, timeout_ms: int = 120_000) -> None:
    """Wait until a plotly chart is visible and Streamlit has stopped running."""
    page.wait_for_selector(PLOTLY_CHART, state="visible", timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                           timeout=timeout_ms)
