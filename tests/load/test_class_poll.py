"""A class poll with 80 students against one real server (marker ``load``; issue #27).

80 protocol clients (:mod:`labserve.protocol`, rendering nothing) open the room's link, answer
at random moments within 5 s while their pages poll the room every 2 s, as the browser's
fragment timer does; the teacher's projector page reruns its chart fragment every second.
Every answer must be counted, the teacher's chart must show them all within 2 s of the last
one, and after Reveal to all every student's page must show the answer and the class chart.
The numbers are printed here and judged again in ``python -m benchmarks`` (bench_classroom).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.load
STUDENTS = 80
ANSWER_WINDOW_S = 5.0
CHART_WITHIN_S = 2.0


@pytest.fixture(scope="module")
def report():
    from labserve.classroom import run_class_poll

    result = run_class_poll(STUDENTS)
    print(f"\nclass poll of {STUDENTS}: last answer after {result.answered_s:.2f} s (worst answer "
          f"run {max(result.answer_s):.2f} s); teacher's chart showed {result.counted} answers "
          f"{result.chart_s:.2f} s after the last; reveal reached every student in "
          f"{result.reveal_s:.2f} s; server CPU {result.server_cpu_s:.1f} s, peak "
          f"{result.peak_mb:.0f} MB")
    return result


def test_every_answer_is_counted_on_the_teachers_chart(report) -> None:
    assert report.errors == 0
    assert report.answered_s <= ANSWER_WINDOW_S
    assert report.counted == STUDENTS


def test_the_teachers_chart_shows_every_answer_within_2_s(report) -> None:
    assert report.chart_s <= CHART_WITHIN_S


def test_the_reveal_reaches_every_student(report) -> None:
    assert report.revealed == STUDENTS
