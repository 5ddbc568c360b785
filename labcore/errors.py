"""Errors that know whose they are.

A :class:`SettingError` is the user's to fix: a setting, a typed value or an uploaded file that
breaks a rule the lab states. Its message names what to change and ends "Got <value>." The
pages show it as it is, with a line saying what to do next. Every other exception is the lab's
own fault (a bug, a broken invariant, a library failing): the page shows a short report with an
id, and the server log keeps the traceback under that id.

Both are ``ValueError`` subclasses where a ``ValueError`` was raised before, so code that catches
``ValueError`` (URL readers, scripts, tests) keeps working; only the UI tells them apart.

Example:
    >>> err = SettingError("Points (n_points) must be at most 2000. Got 5000.", field="n_points")
    >>> isinstance(err, ValueError), err.field
    (True, 'n_points')
    >>> isinstance(FileError("The file has no rows. Got 0."), SettingError)
    True
"""

from __future__ import annotations


class SettingError(ValueError):
    """A setting or typed value the user can change; ``field`` names the setting when one is at
    fault (URL readers use it to drop just that parameter)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FileError(SettingError):
    """An uploaded file the lab cannot use as it is: the fix is in the file, not a setting."""
