"""A classroom at once: 20 sessions against one real server (marker ``load``).

Every session opens the Regression page with the default preset, waits for its chart, then
flips one setting and waits for the new chart. Every session must render with no exception,
and identical configs must be computed once: two trainings in all (the default and the
changed setting), whatever the number of students. The class runs twice: as 20 headless
Chromium sessions, and as 20 clients that speak Streamlit's protocol without rendering (the
server's side alone). Timings and memory are reported here and judged in
``python -m benchmarks`` (machines are shared; no timed assertions in tests).
"""

from __future__ import annotations

import math
import os

import pytest

from labserve.app_server import CHROMIUM

pytestmark = [pytest.mark.load, pytest.mark.e2e]
STUDENTS = 20


@pytest.fixture(scope="module")
def report():
    try:
        import playwright  # noqa: F401
    except ImportError:
        reason = "the Python package playwright is not installed"
    else:
        reason = "" if CHROMIUM.exists() else f"no Chromium at {CHROMIUM}"
    if reason:
        if os.environ.get("LAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LAB_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from labserve.classroom import run_classroom

    result = run_classroom(STUDENTS)
    print(
        f"\nclassroom of {STUDENTS}: first chart median {result.median_first:.1f} s, worst "
        f"{result.worst_first:.1f} s; after a change worst {max(result.after_change_s):.1f} s; "
        f"trainings {result.trainings}; server peak {result.peak_mb:.0f} MB"
    )
    return result


def test_every_student_sees_a_chart_and_no_exception(report):
    failures = [(i, e) for i, e in enumerate(report.errors) if e]
    assert failures == []
    assert len(report.first_chart_s) == STUDENTS


def test_identical_configs_are_trained_once_for_the_whole_class(report):
    # 20 sessions × (default + one changed setting) = 40 requests, but only 2 distinct configs.
    assert report.trainings == 2


@pytest.fixture(scope="module")
def server_report():
    from labserve.classroom import run_server_classroom

    result = run_server_classroom(STUDENTS)
    print(
        f"\nserver side, {STUDENTS} protocol clients: first chart median "
        f"{result.median_first:.1f} s, worst {result.worst_first:.1f} s; after a change worst "
        f"{max(result.after_change_s):.1f} s; trainings {result.trainings}; server peak "
        f"{result.peak_mb:.0f} MB"
    )
    return result


def test_every_protocol_session_gets_both_charts_and_no_exception(server_report):
    assert [e for e in server_report.errors if e] == []
    assert len(server_report.first_chart_s) == STUDENTS
    assert all(math.isfinite(t) for t in server_report.first_chart_s + server_report.after_change_s)


def test_a_burst_of_identical_requests_trains_once_per_config(server_report):
    assert server_report.trainings == 2
