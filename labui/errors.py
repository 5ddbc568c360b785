"""One way to show errors on a page: what went wrong, what to change, and no tracebacks.

A page wraps its work in :func:`guard`. A ``ValueError`` (a config rule the user broke) is shown
with its message and a hint; any other exception is shown as a short generic message while the
traceback goes to the server log. Either way the page then stops cleanly.

Messages are rendered as Markdown by ``st.error``; text that may come from a user (a URL value
quoted in a message) is escaped first, and HTML is never enabled.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

import streamlit as st

logger = logging.getLogger(__name__)

VALUE_HINT = "Change the setting named above and the page will rerun."
FILE_HINT = "Fix the file and upload it again."
"""What to do about an uploaded file the lab cannot read (no setting is named there)."""

# Characters that start Markdown or LaTeX markup in st.error (links, code, emphasis, HTML tags,
# maths, tables, strike-through, headings). Backslash-escaping them shows them literally.
_MARKUP = re.compile(r"([\\`*\[\]<>$~|#])")


def escape_markdown(text: str) -> str:
    """Escape ``text`` so Markdown shows it literally (``"a*b*"`` → ``"a\\*b\\*"``)."""
    return _MARKUP.sub(r"\\\1", text)


def show_error(exc: BaseException, hint: str = VALUE_HINT) -> None:
    """Show ``exc`` with ``st.error``.

    A ``ValueError`` shows its own message (configs write them as "<what> must be <rule>.
    Got <value>.") and ``hint``, what to do next. Anything else shows "Something went wrong:
    <type>: <message>." and logs the traceback to the server log; the traceback is never shown.

    Args:
        exc: the exception to show.
        hint: the line after a ``ValueError``'s message: :data:`VALUE_HINT` for a setting,
            :data:`FILE_HINT` (or a more precise line) for an uploaded file.
    """
    if isinstance(exc, ValueError):
        st.error(f"{escape_markdown(str(exc))}\n\n{hint}")
        return
    logger.error("Page failed with %s", type(exc).__name__, exc_info=exc)
    message = str(exc).strip().rstrip(".")
    detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    st.error(
        f"Something went wrong: {escape_markdown(detail)}. The details are in the server log; "
        "try other settings or reload the page."
    )


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
