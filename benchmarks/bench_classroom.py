"""A classroom at once: one student alone vs N students together, at the server.

Both classes are protocol clients (:mod:`labserve.classroom`, rendering nothing), each on a
fresh server: every student opens Home, then all open Regression at the same instant and flip
one setting. Also: the Home page alone vs while another session trains for about 10 s.
"""

from __future__ import annotations

from benchmarks.common import Row
from labserve.classroom import ClassroomReport, run_responsiveness, run_server_classroom

STUDENTS = 20
WORST_LIMIT_S = 10.0
MEMORY_LIMIT_MB = 2560


def run(quick: bool = False) -> list[Row]:
    n = 5 if quick else STUDENTS
    one = run_server_classroom(1)
    many = run_server_classroom(n)
    return [*_class_rows(one, many, n), _responsiveness_row(*run_responsiveness())]


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
