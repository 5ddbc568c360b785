"""Upload a CSV, preview it, pick its columns: the page gets validated ``UserData`` or nothing.

Everything lives in this session's widget state, so another session never sees the file; the
data's content digest keys the cached results.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.config import Config
from labcore.data.user_csv import (
    DROP_INVALID_LABEL,
    MAX_MB,
    MAX_ROWS,
    Task,
    UserData,
    check_size,
    prepare,
    read_csv_bytes,
)
from labui.errors import escape_markdown, show_error
from labui.presets import preset_picker

SIZE_HINT = f"Upload a smaller file: a sample of at most {MAX_ROWS:,} rows is enough."
COLUMNS_HINT = "Pick other columns in the sidebar, or fix the file and upload it again."
"""After a problem with the chosen columns (their values, the rows, the classes)."""
REFUSED = "This file is not used: the message on the page says why."


def _default(columns: list[str], wanted: str, fallback: int) -> int:
    lowered = [c.lower() for c in columns]
    if wanted in lowered:
        return lowered.index(wanted)
    return min(fallback, len(columns) - 1)


def _refused(exc: ValueError, container: DeltaGenerator, hint: str | None = None) -> None:
    """The file cannot be used: why and what to do in the main area (``st.error``), and a line
    under the uploader pointing there (on a phone the open sidebar covers the main area).

    A :class:`~labcore.errors.FileError` shows its message and ``hint`` (by default
    :data:`~labui.errors.FILE_HINT`); a plain ``ValueError`` is the lab's bug, reported with
    an id by :func:`~labui.errors.show_error`."""
    show_error(exc, hint=hint)
    container.caption(f":red[{REFUSED}]")


def csv_upload(
    *,
    key: str,
    task: Task,
    inputs: tuple[str, ...],
    target: str,
    container: DeltaGenerator = st.sidebar,
) -> UserData | None:
    """A file uploader with a preview, a column picker and a "drop bad rows" switch.

    Args:
        key: prefix of the widget keys.
        task: "regression" or "classification" (what the target column must hold).
        inputs: the role names of the input columns, e.g. ("x",) or ("x1", "x2").
        target: the role name of the target column, e.g. "y" or "label".
        container: where the widgets go.

    Returns:
        The validated data, or None while no usable file is there (a message says why).
    """
    upload = container.file_uploader(
        f"CSV file (columns {', '.join((*inputs, target))}; at most {MAX_MB} MB, "
        f"{MAX_ROWS:,} rows)",
        type=["csv", "txt"],
        key=f"{key}.file",
        help="A table with a header row. Names may differ: pick the columns below.",
    )
    if upload is None:
        st.info(f"Upload a CSV file in the sidebar with columns {', '.join((*inputs, target))} "
                "to train on your own data.")
        return None
    try:  # the size first: a file over the limit is never read
        check_size(upload.size, name=upload.name)
    except ValueError as exc:
        return _refused(exc, container, SIZE_HINT)
    try:
        frame = read_csv_bytes(upload.getvalue(), name=upload.name)
    except ValueError as exc:
        return _refused(exc, container)
    columns = list(frame.columns)
    # An expander's label is Markdown: the file's name is shown as text.
    with st.expander(f"Preview of {escape_markdown(upload.name)} ({len(frame)} rows)",
                     expanded=False):
        st.dataframe(frame.head(20).astype(str), hide_index=True)
    picked = [
        container.selectbox(f"Column for {role}", columns, index=_default(columns, role, i),
                            key=f"{key}.col.{role}")
        for i, role in enumerate((*inputs, target))
    ]
    drop = container.toggle(DROP_INVALID_LABEL, value=False, key=f"{key}.drop")
    try:
        data = prepare(frame, picked[:-1], picked[-1], task, drop_invalid=drop)
    except ValueError as exc:
        return _refused(exc, container, COLUMNS_HINT)
    if data.n_dropped:
        st.caption(f"Dropped {data.n_dropped} row(s) with missing or infinite values.")
    return data


def _source_key(key: str) -> str:
    return f"{key}.source"


def using_upload(key: str) -> bool:
    """Whether the page with form ``key`` trains on the user's file (its "Data" choice)."""
    return st.session_state.get(_source_key(key)) == "upload"


def data_source(
    *,
    key: str,
    presets: Mapping[str, Config],
    task: Task,
    inputs: tuple[str, ...],
    target: str,
    generated_label: str,
) -> UserData | None:
    """A "Data" choice in the sidebar: generated data (with the presets) or the user's CSV.

    Returns:
        None for generated data (the preset picker is shown), or the validated upload; while
        no usable file is there the page stops after the uploader's message.
    """
    sources = {"generated": generated_label,
               "upload": f"My CSV file ({', '.join((*inputs, target))})"}
    source = st.sidebar.radio("Data", list(sources), format_func=sources.get,
                              key=_source_key(key), horizontal=True)
    if source == "generated":
        preset_picker(presets, key=key)
        return None
    data = csv_upload(key=f"{key}.upload", task=task, inputs=inputs, target=target)
    if data is None:
        st.stop()
    return data
