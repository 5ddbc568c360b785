"""One way to show errors on a page: what went wrong, what to change, and no tracebacks.

A page wraps its work in :func:`guard`. A :class:`~labcore.errors.SettingError` (a rule the user
broke, with a setting or a file) is shown with its message and what to do next; any other
exception — a plain ``ValueError`` included — is the lab's own bug: the page shows one sentence
with a short report id, and the server log keeps the id with the traceback. Either way the page
then stops cleanly.

Messages are rendered as Markdown by ``st.error``; text that may come from a user (a URL value
quoted in a message, a file's column names, a class label) goes through :func:`escape_markdown`
first, so it shows as the same characters, and HTML is never enabled.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterator

import streamlit as st

from labcore.errors import FileError, SettingError

logger = logging.getLogger(__name__)

VALUE_HINT = "Change the setting named above and the page will rerun."
FILE_HINT = "Fix the file and upload it again."
"""What to do about an uploaded file the lab cannot read (no setting is named there)."""

WORD_JOINER = "\u2060"
"""An invisible character that breaks an autolink or a shortcode apart without being seen."""
MAX_SHOWN = 1000
"""The most characters of an exception's message a page shows (the rest is cut)."""

# What Streamlit's Markdown (GitHub-flavoured, plus maths, emoji shortcodes, colour directives
# and icons) would turn into something other than the characters themselves:
_SPECIAL = re.compile(
    r"[\\`*\[\]<>$~|#&]"  # code, emphasis, links and images, HTML, maths, strike-through,
    #                     tables, headings, entities (&#58; is a ":"): a backslash escapes them
    r"|(?<![^\W_])_|_(?![^\W_])"  # an _ that can emphasise: any but one between letters/digits
    r"|:(?=[\w+-]*[/:{])"  # https://, :material/…:, :smile:, :name{…} (a directive)
    r"|@"  # e-mail autolinks (a@b.example)
    r"|(?i:www)(?=\.)"  # www. autolinks
)
_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]")
_LINE_START = re.compile(r"\A(\s*)([-+=]|\d+[.)](?=\s|$))")  # a list item, rule, underline


def _neutralise(match: re.Match[str]) -> str:
    found = match.group()
    if found[0] in ":@wW":  # autolinks are found in the text after escapes are undone
        return found + WORD_JOINER
    return "\\" + found


def escape_markdown(text: str) -> str:
    r"""``text`` as Markdown that Streamlit shows as the same characters: no link, image, bold,
    HTML, maths, autolink, emoji or directive can come out of it.

    Markdown-significant characters get a backslash (an ``_`` between two letters or digits,
    as in ``n_points``, cannot emphasise and is left alone). GitHub-flavoured Markdown turns
    bare ``https://…``, ``www.…`` and e-mail addresses into links even when escaped, and
    Streamlit reads ``:smile:`` and ``:material/…:`` as icons, so an invisible word joiner
    (U+2060) goes after such a ``:``, after every ``@`` and after ``www``; copied from the
    page, such a link no longer works. Line breaks and tabs become
    spaces (a message is one paragraph), and a list or heading marker at the start is escaped.

    Example:
        >>> print(escape_markdown("a*b* [l](u) <i> $x$ n_points __b__"))
        a\*b\* \[l\](u) \<i\> \$x\$ n_points \_\_b\_\_
        >>> escape_markdown("https://evil.example") == "https:\u2060//evil.example"
        True
    """
    escaped = _SPECIAL.sub(_neutralise, _BREAKS.sub(" ", text))
    return _LINE_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", escaped, count=1)


def _clip(text: str) -> str:
    """At most :data:`MAX_SHOWN` characters of ``text``, with its length when cut."""
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[:MAX_SHOWN]}… ({len(text):,} characters)"


def show_error(exc: BaseException, hint: str | None = None) -> None:
    """Show ``exc`` with ``st.error``.

    A :class:`~labcore.errors.SettingError` shows its own message (written as "<what> must be
    <rule>. Got <value>.") and ``hint``, what to do next. Anything else is reported as the lab's
    bug (:func:`report_bug`): one sentence with a report id on the page, the traceback in the
    server log; the traceback is never shown.

    Args:
        exc: the exception to show.
        hint: the line after a setting's message; None picks :data:`FILE_HINT` for a
            :class:`~labcore.errors.FileError` and :data:`VALUE_HINT` otherwise. Upload
            widgets pass a more precise line.
    """
    if not isinstance(exc, SettingError):
        report_bug(exc)
        return
    if hint is None:
        hint = FILE_HINT if isinstance(exc, FileError) else VALUE_HINT
    st.error(f"{escape_markdown(_clip(str(exc)))}\n\n{hint}")


def bug_message(report_id: str) -> str:
    """What a page says about the lab's own failure: no details, an id to pass on.

    Example:
        >>> bug_message("1a2b3c4d").startswith("Something went wrong in the lab (report 1a2b3c4d).")
        True
    """
    return (f"Something went wrong in the lab (report {report_id}). It is not your mistake: "
            "reload the page or try other settings; if it happens again, tell your teacher the "
            "id.")


def report_bug(exc: BaseException) -> str:
    """Log ``exc`` with its traceback under a new report id, show :func:`bug_message`.

    Returns:
        The report id: 8 hexadecimal characters, also in the log line.
    """
    report_id = uuid.uuid4().hex[:8]
    logger.error("Report %s: the page failed with %s", report_id, type(exc).__name__,
                 exc_info=exc)
    st.error(bug_message(report_id))
    return report_id


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Show any exception raised in the block with :func:`show_error`, then stop the page.

    Streamlit's own control flow (``st.stop``, ``st.rerun``) derives from ``BaseException`` and
    passes through untouched.

    Example:
        >>> with guard():  # doctest: +SKIP
        ...     config = config_form(RegressionConfig, key="regression")
    """
    try:
        yield
    except Exception as exc:
        show_error(exc)
        st.stop()
