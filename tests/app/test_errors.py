"""What a page shows for an error depends on whose it is (labui.errors, labcore.errors).

A SettingError is the user's: its message and what to do next. Anything else — a plain
ValueError included — is the lab's bug: one sentence with a report id on the page, and the
same id with the traceback in the server log.
"""

from __future__ import annotations

import logging
import re
import traceback

import pytest
from streamlit.testing.v1 import AppTest

from labui.errors import FILE_HINT, VALUE_HINT, bug_message

REPORT = re.compile(r"\(report ([0-9a-f]{8})\)")


def _raising_page() -> None:
    import streamlit as st

    from labcore.errors import FileError, SettingError
    from labui.errors import guard

    def train_the_model() -> None:  # a frame the traceback names
        kind = st.session_state["raise"]
        if kind == "setting":
            raise SettingError("Learning rate (lr) must be at most 0.1. Got 5.", field="lr")
        if kind == "file":
            raise FileError("Column 'y' must hold numbers only. Got 1 values that are not "
                            "numbers, for example '*many*'.")
        if kind == "value":
            raise ValueError("logits must be a 3-D array. Got shape (1, 2).")
        raise RuntimeError("CUDA error: device-side assert triggered")

    with guard():
        train_the_model()
    st.write("not reached")


def _run(kind: str) -> AppTest:
    at = AppTest.from_function(_raising_page, default_timeout=30)
    at.session_state["raise"] = kind
    at.run()
    assert not at.exception  # the page stopped cleanly
    assert not at.markdown or all("not reached" not in m.value for m in at.markdown)
    return at


def test_a_setting_error_shows_its_message_and_says_to_change_the_setting():
    at = _run("setting")
    assert [e.value for e in at.error] == [
        "Learning rate (lr) must be at most 0.1. Got 5.\n\n" + VALUE_HINT]


def test_a_file_error_says_to_fix_the_file_not_a_setting():
    (error,) = _run("file").error
    assert error.value == (
        "Column 'y' must hold numbers only. Got 1 values that are not numbers, for example "
        "'\\*many\\*'.\n\n" + FILE_HINT)  # the file's own text shown literally
    assert VALUE_HINT not in error.value


@pytest.mark.parametrize(("kind", "exc_type", "secret"), [
    ("value", ValueError, "logits must be a 3-D array"),
    ("runtime", RuntimeError, "device-side assert"),
])
def test_any_other_error_is_a_bug_report_whose_id_is_in_the_log(kind, exc_type, secret, caplog):
    with caplog.at_level(logging.ERROR, logger="labui.errors"):
        at = _run(kind)
    (error,) = at.error
    found = REPORT.search(error.value)
    assert found, error.value
    report_id = found.group(1)
    assert error.value == bug_message(report_id)
    # Nothing of the failure reaches the page: no message, no type, no traceback.
    for leak in (secret, exc_type.__name__, "Traceback", "train_the_model", VALUE_HINT):
        assert leak not in error.value
    # The log has the id, the type and the traceback, in one ERROR record.
    (record,) = [r for r in caplog.records if report_id in r.getMessage()]
    assert record.levelno == logging.ERROR and exc_type.__name__ in record.getMessage()
    assert record.exc_info and record.exc_info[0] is exc_type
    logged = "".join(traceback.format_exception(*record.exc_info))
    assert "train_the_model" in logged and secret in logged


def test_two_failures_get_two_report_ids():
    ids = {REPORT.search(_run("runtime").error[0].value).group(1) for _ in range(2)}
    assert len(ids) == 2
