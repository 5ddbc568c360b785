"""A real class server for the ``cluster`` tests: redis-server, 2 replicas and nginx.

One server for the whole session (:func:`labserve.cluster.running_cluster`), on free ports of
127.0.0.1. Before each test, whatever an earlier test killed (a replica, Redis) is started
again. Without ``nginx``, ``redis-server`` or the ``redis`` package the tests are skipped,
unless ``LAB_REQUIRE_CLUSTER=1`` (CI), which makes that a failure. The browser test also
needs the system Chromium (as the e2e tests; ``LAB_REQUIRE_BROWSER=1`` or
``LAB_REQUIRE_CLUSTER=1`` turn its absence into a failure).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from labserve.app_server import CHROMIUM, launch_chromium
from labserve.cluster import Cluster, ClusterStartError, missing_programs, running_cluster

REPLICAS = 2
START_TIMEOUT_S = 120.0


def _missing(reason: str, *variables: str) -> None:
    """Skip, or fail when one of ``variables`` is set to 1 (CI must not skip these tests)."""
    required = [name for name in variables if os.environ.get(name) == "1"]
    if required:
        pytest.fail(f"{required[0]}=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set {variables[0]}=1 to fail instead of skipping)")


@pytest.fixture(scope="session")
def class_server() -> Iterator[Cluster]:
    """Redis, 2 × ``streamlit run app.py`` and nginx for the whole session."""
    missing = missing_programs()
    if missing:
        _missing(f"this machine lacks {', '.join(missing)} (apt-get install nginx "
                 "redis-server; pip install redis)", "LAB_REQUIRE_CLUSTER")
    try:
        with running_cluster(REPLICAS, timeout_s=START_TIMEOUT_S) as cluster:
            yield cluster
    except ClusterStartError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def cluster(class_server: Cluster) -> Cluster:
    """The session's class server with every part running (restarted if a test killed it)."""
    class_server.restart_dead()
    return class_server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless system Chromium for the session's browser tests."""
    variables = ("LAB_REQUIRE_BROWSER", "LAB_REQUIRE_CLUSTER")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed", *variables)
    if not CHROMIUM.exists():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)", *variables)
    playwright = sync_playwright().start()
    try:
        try:
            chromium = launch_chromium(playwright)
        except PlaywrightError as exc:
            _missing(f"Chromium at {CHROMIUM} did not start: {exc}", *variables)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
