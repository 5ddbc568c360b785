"""A classroom at once: one student alone vs N students together, at the server.

Both classes are protocol clients (:mod:`labserve.classroom`, rendering nothing), each on a
fresh server: every student opens Home, then all open Regression at the same instant and flip
one setting. Also: the Home page alone vs while another session trains for about 10 s, and a
class poll (issue #27): 80 students answer within 5 s, the teacher's chart must count them all
within 2 s of the last answer.
"""

from __future__ import annotations

from benchmarks.common import Row
from labserve.classroom import (
    ClassroomReport,
    PollReport,
    run_class_poll,
    run_responsiveness,
    run_server_classroom,
)

STUDENTS = 20
WORST_LIMIT_S = 10.0
MEMORY_LIMIT_MB = 2560
POLL_STUDENTS = 80
POLL_ANSWER_S = 5.0  # the class answers within this window
POLL_CHART_S = 2.0  # the teacher's chart shows every answer this soon after the last


def run(quick: bool = False) -> list[Row]:
    n = 5 if quick else STUDENTS
    one = run_server_classroom(1)
    many = run_server_classroom(n)
    rows = [*_class_rows(one, many, n), _responsiveness_row(*run_responsiveness())]
    return [*rows, *_poll_rows(run_class_poll(20 if quick else POLL_STUDENTS))]


def _failed(report: ClassroomReport) -> str:
    return f"sessions with an error: {sum(bool(e) for e in report.errors)}"


def _class_rows(one: ClassroomReport, many: ClassroomReport, n: int) -> list[Row]:
    where = f"classroom of {n}"
    alone = one.first_chart_s[0]
    errors = sum(bool(e) for e in one.errors + many.errors)
    return [
        Row("classroom of 1: time to first chart", alone, "s", note="one student opens "
            "Regression on a fresh server (trains the default once); " + _failed(one)),
        Row(f"{where}: median time to first chart", many.median_first, "s",
            note=f"all {n} ask for Regression at the same instant; {many.median_first / alone:.1f}"
            " × one student's time"),
        Row(f"{where}: worst time to first chart", many.worst_first, "s",
            f"≤ {WORST_LIMIT_S:g} s", many.worst_first <= WORST_LIMIT_S and errors == 0,
            f"{many.worst_first / alone:.1f} × one student's time; " + _failed(many)),
        Row(f"{where}: worst time after a change", max(many.after_change_s), "s",
            note=f"every session flips Early stopping (one new training for all); one student: "
            f"{one.after_change_s[0]:.2f} s"),
        Row(f"{where}: trainings run", many.trainings, "", "= 2", many.trainings == 2,
            f"{2 * n} requests, 2 distinct configs; one student: {one.trainings}"),
        Row(f"{where}: server CPU while the class worked", many.server_cpu_s, "s",
            note=f"one student: {one.server_cpu_s:.2f} CPU-s; clients {many.client_cpu_s:.2f} "
            "CPU-s"),
        Row(f"{where}: server peak memory", many.peak_mb, "MB", f"≤ {MEMORY_LIMIT_MB} MB",
            many.peak_mb <= MEMORY_LIMIT_MB, f"VmHWM; one student: {one.peak_mb:.0f} MB"),
    ]


def _responsiveness_row(alone: float, during: float, long_run: float) -> Row:
    return Row("Home page while another session trains / alone", during / alone, "×",
               note=f"first chart {during:.2f} s vs {alone:.2f} s; the other session's ~10 s "
               f"training took {long_run:.1f} s")


def _poll_rows(poll: PollReport) -> list[Row]:
    n = poll.students
    all_in = poll.counted == n and poll.errors == 0 and poll.answered_s <= POLL_ANSWER_S
    return [
        Row(f"class poll of {n}: teacher's chart shows every answer after the last", poll.chart_s,
            "s", f"≤ {POLL_CHART_S:g} s", poll.chart_s <= POLL_CHART_S and all_in,
            f"{poll.counted}/{n} counted; answers over {poll.answered_s:.1f} s (worst answer "
            f"run {max(poll.answer_s):.2f} s), chart fragment every 1 s, every student's page "
            f"polling every 2 s; errors {poll.errors}"),
        Row(f"class poll of {n}: Reveal to all reaches every student", poll.reveal_s, "s",
            note=f"{poll.revealed}/{n} pages show the answer and the class chart (each then "
            f"reruns the page, results from the cache); server CPU {poll.server_cpu_s:.1f} s, "
            f"peak {poll.peak_mb:.0f} MB"),
    ]
