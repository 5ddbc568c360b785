"""Download buttons for a page's tables (CSV), figures (standalone HTML) and scene (a Python
script).

Every CSV the lab writes goes through :func:`csv_bytes`, which keeps a spreadsheet from running
a cell as a formula: a class label or column name from a user's file such as
``=HYPERLINK(…)`` arrives as text (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import streamlit as st

from labcore.config import Config
from labcore.script import scene_script

if TYPE_CHECKING:  # imported where used: a page that downloads nothing never pays for it
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""How a cell that a spreadsheet would run as a formula starts (OWASP, CSV injection)."""
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_text(value: Any) -> Any:
    r"""``value`` as a CSV cell no spreadsheet runs: text that starts like a formula gets a
    leading single quote; numbers, and text that is a plain number such as ``"-1"``, stay.

    Example:
        >>> spreadsheet_text('=HYPERLINK("https://evil.example")'), spreadsheet_text("-1")
        ('\'=HYPERLINK("https://evil.example")', '-1')
        >>> spreadsheet_text(-1.5), spreadsheet_text("@SUM(A1)"), spreadsheet_text("cat")
        (-1.5, "'@SUM(A1)", 'cat')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV without the index, its text cells and column names made safe for
    spreadsheets (:func:`spreadsheet_text`); numeric columns are written as they are.

    Lines end in CRLF (RFC 4180): then a cell holding a carriage return is quoted too, so it
    stays one cell.
    """
    import pandas as pd

    safe = frame.rename(columns=spreadsheet_text)
    for column in range(safe.shape[1]):
        values = safe.iloc[:, column]
        if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            safe.isetitem(column, values.map(spreadsheet_text))
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def download_csv(frame: pd.DataFrame, filename: str, label: str = "Download CSV") -> None:
    """A button that downloads ``frame`` as UTF-8 CSV (without the index).

    The CSV (:func:`csv_bytes`: no cell runs as a spreadsheet formula) is made only when the
    button is clicked (not on every run of the page). The
    button's key is ``"download.<filename>"``, so it stays the same widget across reruns;
    clicking it does not rerun the page.

    Args:
        frame: the table to download.
        filename: the file name the browser saves, e.g. ``"regression_metrics.csv"``.
        label: the button's text.
    """

    def csv() -> bytes:
        return csv_bytes(frame)

    st.download_button(
        label,
        data=csv,
        file_name=filename,
        mime="text/csv",
        key=f"download.{filename}",
        on_click="ignore",
    )


def download_figure_html(fig: Any, filename: str, label: str = "Download figure") -> None:
    """A button that downloads a plotly figure as a standalone, interactive HTML file.

    The file includes plotly.js (about 4 MB), so it opens offline. It is generated only when
    the button is clicked. The key is ``"download.<filename>"``.

    Args:
        fig: a ``plotly.graph_objects.Figure``.
        filename: the file name the browser saves, e.g. ``"regression_bands.html"``.
        label: the button's text.
    """

    def html() -> str:
        return fig.to_html(include_plotlyjs=True, full_html=True)

    st.download_button(
        label,
        data=html,
        file_name=filename,
        mime="text/html",
        key=f"download.{filename}",
        on_click="ignore",
    )


def download_pair(frame: pd.DataFrame, csv_name: str, csv_label: str, fig: Any,
                  html_name: str) -> None:
    """Side by side: the table as CSV and the figure as standalone HTML.

    Args:
        frame: the table behind the figure.
        csv_name: its file name, e.g. ``"regression_bands.csv"``.
        csv_label: the CSV button's text, e.g. ``"Download the bands (CSV)"``.
        fig: the figure.
        html_name: its file name, e.g. ``"regression_bands.html"``.
    """
    left, right = st.columns(2)
    with left:
        download_csv(frame, csv_name, csv_label)
    with right:
        download_figure_html(fig, html_name, "Download the figure (HTML)")


def download_script(page: str, config: Config, label: str = "⬇ Python script",
                    extra: Callable[[], tuple[Sequence[str], Sequence[str]]] | None = None
                    ) -> None:
    """A button that downloads a short script reproducing the page's scene with ``labcore``.

    The script (:func:`labcore.script.scene_script`) writes out the config's non-default
    fields, runs the page's experiment and prints its headline metric. It is made only when
    the button is clicked. The file is ``"<page>_scene.py"``; the key is
    ``"download.<page>_scene.py"``.

    Args:
        page: a key of :data:`labcore.script.SCRIPTS`, e.g. ``"regression"``.
        config: the config the page passes to its run function (the OOD page may pass its
            whole config: the script keeps the detection experiment's fields).
        label: the button's text.
        extra: called when the script is made: ``(then, uses)`` for
            :func:`~labcore.script.scene_script` (what the page shows beyond its headline, as
            chosen at that moment), or None.
    """
    filename = f"{page}_scene.py"

    def source() -> str:
        then, uses = extra() if extra is not None else ((), ())
        return scene_script(page, config, then, uses)

    st.download_button(
        label,
        data=source,
        file_name=filename,
        mime="text/x-python",
        key=f"download.{filename}",
        on_click="ignore",
        help="A short Python script that runs this experiment with labcore and prints the "
        "page's headline number: continue in a notebook.",
    )
