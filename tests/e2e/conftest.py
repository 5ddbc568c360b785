"""Real-browser fixtures: one ``streamlit run app.py`` server and one headless Chromium per session.

The browser is the system Chromium (``/usr/bin/chromium``, or ``LAB_CHROMIUM``) driven by
Playwright; nothing is downloaded. When Chromium or Playwright is missing the e2e tests are
skipped, unless ``LAB_REQUIRE_BROWSER=1`` is set, in which case they fail so CI notices. The
server and browser helpers are shared with the benchmarks (``labserve/app_server.py``).

Screenshots go to a temporary folder; with ``LAB_UPDATE_SCREENSHOTS=1`` they replace the
README's pictures in ``docs/`` instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labserve.app_server import CHROMIUM, ROOT, AppStartError, launch_chromium, running_app

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the e2e helper modules (e2e_helpers, test_pages)
    sys.path.insert(0, str(HERE))
pytest.register_assert_rewrite("e2e_helpers")  # its asserts explain themselves like a test's

VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT_S = 90.0


def _missing_browser(reason: str) -> None:
    """Skip, or fail when ``LAB_REQUIRE_BROWSER=1`` (CI must not skip the browser tests)."""
    if os.environ.get("LAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LAB_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set LAB_REQUIRE_BROWSER=1 to fail instead of skipping)")


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Start ``streamlit run app.py`` on a free port; yield its base URL; stop it afterwards."""
    try:
        with running_app(timeout_s=SERVER_START_TIMEOUT_S) as app:
            yield app.url
    except AppStartError as exc:
        pytest.fail(str(exc))


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
            chromium = launch_chromium(playwright)
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


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the e2e tests save page screenshots.

    ``docs/`` (the README's pictures, overwritten) only when ``LAB_UPDATE_SCREENSHOTS=1``;
    otherwise a temporary folder, so a test run never changes the checkout.
    """
    if os.environ.get("LAB_UPDATE_SCREENSHOTS") == "1":
        return ROOT / "docs"
    return tmp_path_factory.mktemp("screenshots")


# --- axe-core, vendored at test time (tests/e2e/test_accessibility.py) -------------------------

AXE_VERSION = "4.10.x"  # npm range; the app itself never loads axe
AXE_CACHE = ROOT / ".cache" / "axe-core"  # git-ignored
AXE_SCRIPT = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
NPM_TIMEOUT_S = 180


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The text of axe-core's ``axe.min.js``, to inject into a page under test.

    Taken from ``.cache/axe-core/`` when an earlier run (or ``.ci/run``) installed it there;
    otherwise installed there now with ``npm install --no-save --prefix .cache/axe-core
    axe-core@4.10.x`` (from the npm registry). Without npm, or when the install fails, the
    accessibility tests skip, or fail under ``LAB_REQUIRE_BROWSER=1``.
    """
    import shutil
    import subprocess

    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if npm is None:
            _missing_browser("npm is not installed, so axe-core cannot be fetched "
                             "(apt-get install npm)")
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix",
                 str(AXE_CACHE), f"axe-core@{AXE_VERSION}"],
                capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            _missing_browser(f"npm install axe-core took over {NPM_TIMEOUT_S} s")
        if done.returncode != 0 or not AXE_SCRIPT.exists():
            _missing_browser(f"npm install axe-core@{AXE_VERSION} failed: "
                             f"{(done.stderr or done.stdout).strip()[-800:]}")
    return AXE_SCRIPT.read_text(encoding="utf-8")
