"""The app shell: navigation, the device badge in the sidebar, a bad LAB_DEVICE, and the
presentation toggle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from labui import figures, present, shell

STARTING = "chosen when PyTorch starts, before the first model trains"  # app.py's caption

ACCESSIBILITY = {shell.A11Y_CSS, shell.SKIP_LINK_SCRIPT, figures.ARIA_SCRIPT}
"""The constant accessibility layer every page carries (tested in tests/e2e/test_accessibility.py
and tests/e2e/test_chart_text.py)."""


def stylesheets(at: AppTest) -> list[str]:
    """The page's raw HTML other than the accessibility layer."""
    return [h.proto.body for h in at.get("html") if h.proto.body not in ACCESSIBILITY]

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def sidebar_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_app_runs_and_shows_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    shell.begin_start_up().result()  # a server that has been up a few seconds
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any(text.startswith("Computing on: CPU (") for text in sidebar_captions(at))
    assert "About" in [e.label for e in at.sidebar.expander]


def test_bad_lab_device_shows_an_error_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_DEVICE", "tpu")
    shell.begin_start_up().result()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    problem = at.sidebar.error[0].value
    assert "LAB_DEVICE must be one of cpu, cuda, cuda:N or mps. Got 'tpu'." in problem
    assert any(text.startswith("Computing on: CPU (") for text in sidebar_captions(at))


def test_home_on_a_fresh_server_neither_waits_for_torch_nor_starts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Importing torch while the first visitor's browser draws Home took the CPU it needed;
    the start-up waits for a training (or the cache warming, off in the tests)."""
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    monkeypatch.setattr(shell, "_start", None)  # as in a process that has not started torch
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert shell._start is None
    assert f"Computing on: {STARTING}" in sidebar_captions(at)
    assert at.get("plotly_chart"), "Home draws its chart without torch"


HOME_IMPORTS = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=60).run()
assert not at.exception, [e.value for e in at.exception]
assert at.get("plotly_chart"), "Home drew no chart"
print(" ".join(m for m in ("pandas", "torch") if m in sys.modules))
"""


def test_home_first_run_in_a_fresh_process_imports_neither_pandas_nor_torch() -> None:
    """What a page does not need is not paid before its first chart (issue #25): Home shows
    no table, so pandas (0.3-0.5 s to import on the lab's 2-core machines) waits for a page
    that does; labui.teacher's check for an uploaded file used to pull it in through the CSV
    reader. A fresh interpreter, as the server's first run is."""
    env = {**os.environ, "LAB_DEVICE": "cpu", "LAB_WARM": "0"}
    done = subprocess.run([sys.executable, "-c", HOME_IMPORTS, APP], capture_output=True,
                          text=True, timeout=120, env=env,
                          cwd=Path(APP).parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [], f"Home's first run imported {done.stdout.strip()}"


def test_present_link_collapses_the_sidebar_and_adds_the_stylesheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    states: list[object] = []
    real = st.set_page_config

    def record(**kwargs: object) -> None:
        states.append(kwargs.get("initial_sidebar_state"))
        real(**kwargs)

    monkeypatch.setattr(st, "set_page_config", record)
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert at.sidebar.toggle(key=present.TOGGLE_KEY).value is True
    assert states[0] == "collapsed"  # app.py's page_setup; the page's adds nothing
    assert stylesheets(at) == [present.PRESENT_CSS]
    assert at.query_params["present"] == "1"


def test_the_app_is_not_presented_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert at.sidebar.toggle(key=present.TOGGLE_KEY).value is False
    assert not stylesheets(at)
