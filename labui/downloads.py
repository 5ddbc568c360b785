"""Download buttons for a page's tables (CSV) and figures (standalone HTML)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st


def download_csv(frame: pd.DataFrame, filename: str, label: str = "Download CSV") -> None:
    """A button that downloads ``frame`` as UTF-8 CSV (without the index).

    The CSV is made only when the button is clicked (not on every run of the page). The
    button's key is ``"download.<filename>"``, so it stays the same widget across reruns;
    clicking it does not rerun the page.

    Args:
        frame: the table to download.
        filename: the file name the browser saves, e.g. ``"regression_metrics.csv"``.
        label: the button's text.
    """

    def csv() -> bytes:
        return frame.to_csv(index=False).encode("utf-8")

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
