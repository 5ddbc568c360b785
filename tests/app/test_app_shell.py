"""The app shell: navigation, the device badge in the sidebar, and a bad LAB_DEVICE."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def sidebar_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_app_runs_and_shows_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any(text.startswith("Computing on: CPU (") for text in sidebar_captions(at))
    assert "About" in [e.label for e in at.sidebar.expander]


def test_bad_lab_device_shows_an_error_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_DEVICE", "tpu")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    problem = at.sidebar.error[0].value
    assert "LAB_DEVICE must be one of cpu, cuda, cuda:N or mps. Got 'tpu'." in problem
    assert any(text.startswith("Computing on: CPU (") for text in sidebar_captions(at))
