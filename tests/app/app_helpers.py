"""Helpers shared by the AppTest suites (importable because tests/app/conftest.py puts this
folder on ``sys.path``; not collected, see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_app(page: str | None, query: Mapping[str, str], timeout: float = 180) -> AppTest:
    """app.py in a fresh session: run once, switched to ``page`` (None stays on the home page),
    ``query`` set in its URL, then run again."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if page is not None:
        at.switch_page(page)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    return at
