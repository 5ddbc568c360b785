"""Browser helpers shared by the e2e tests that keep their own waits (importable because
tests/e2e/conftest.py puts this folder on ``sys.path``; not collected, see tests/conftest.py).
The page tests' own helpers (waits that also watch the spinner, chart checks, screenshots)
live in ``test_pages.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PROJECTOR = {"width": 1280, "height": 720}
"""A classroom projector's viewport, the size the lab is designed for."""
PHONE = {"width": 390, "height": 844}
"""A phone's viewport."""
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/131.0.0.0 Mobile Safari/537.36")
"""A phone's User-Agent header (Chrome on Android): the lab draws a phone's figures in one
column (labui.present.on_a_phone)."""
PHONE_CONTEXT = {"viewport": PHONE, "has_touch": True, "is_mobile": True,
                 "user_agent": PHONE_AGENT}
"""A browser context like a phone's: its viewport, touch, mobile layout, User-Agent."""

APP_IDLE = (
    '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
    '[data-test-script-state="notRunning"]'
)
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'


def wait_until_idle(page: Any, timeout_ms: int, pause_ms: int) -> None:
    """The script run is over (checked twice, ``pause_ms`` apart, so a rerun just triggered is
    not missed)."""
    for _ in range(2):
        page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)
        page.wait_for_selector(STATUS_WIDGET, state="detached", timeout=timeout_ms)
        page.wait_for_timeout(pause_ms)


def assert_clean(page: Any) -> None:
    """No exception box and no error box on the page."""
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).all_inner_texts()
    assert page.locator(ERROR_ALERT).count() == 0, page.locator(ERROR_ALERT).all_inner_texts()


def open_through_home(page: Any, path: str, timeout_ms: int,
                      wait_for_app: Callable[[Any], None]) -> None:
    """Open the app shell first (so st.navigation runs), then ``path``: its title shown and
    its script run over."""
    page.goto("/", wait_until="domcontentloaded")
    wait_for_app(page)
    page.goto(path, wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(state="visible", timeout=timeout_ms)
    wait_for_app(page)


@contextmanager
def fresh_context_page(browser: Any, app_url: str, timeout_ms: int,
                       **options: Any) -> Iterator[Any]:
    """A page in a new browser context (a new session, nothing shared) made with ``options``,
    ``timeout_ms`` its default timeout; the context is closed afterwards."""
    context = browser.new_context(base_url=app_url, **options)
    context.set_default_timeout(timeout_ms)
    try:
        yield context.new_page()
    finally:
        context.close()
