"""Upload a CSV, preview it, pick its columns: the page gets validated ``UserData`` or nothing.

Everything lives in this session's widget state, so another session never sees the file; the
data's content digest keys the cached results.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.config import Config
from labcore.data.user_csv import MAX_BYTES, MAX_ROWS, Task, UserData, prepare, read_csv_bytes
from labui.errors import show_error
from labui.presets import preset_picker


def _default(columns: list[str], wanted: str, fallback: int) -> int:
    lowered = [c.lower() for c in columns]
    if wanted in lowered:
        return lowered.index(wanted)
    return min(fallback, len(columns) - 1)


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
    limit = MAX_BYTES // (1024 * 1024)
    upload = container.file_uploader(
        f"CSV file (columns {', '.join((*inputs, target))}; at most {limit} MB, "
        f"{MAX_ROWS} rows)",
        type=["csv", "txt"],
        key=f"{key}.file",
        help="A table with a header row. Names may differ: pick the columns below.",
    )
    if upload is None:
        st.info(f"Upload a CSV file in the sidebar with columns {', '.join((*inputs, target))} "
                "to train on your own data.")
        return None
    try:
        frame = read_csv_bytes(upload.getvalue(), name=upload.name)
    except ValueError as exc:
        show_error(exc)
        return None
    columns = list(frame.columns)
    with st.expander(f"Preview of {upload.name} ({len(frame)} rows)", expanded=False):
        st.dataframe(frame.head(20).astype(str), hide_index=True)
    picked = [
        container.selectbox(f"Column for {role}", columns, index=_default(columns, role, i),
                            key=f"{key}.col.{role}")
        for i, role in enumerate((*inputs, target))
    ]
    drop = container.toggle("Drop rows with missing or infinite values", value=False,
                            key=f"{key}.drop")
    try:
        data = prepare(frame, picked[:-1], picked[-1], task, drop_invalid=drop)
    except ValueError as exc:
        show_error(exc)
        return None
    if data.n_dropped:
        st.caption(f"Dropped {data.n_dropped} row(s) with missing or infinite values.")
    return data



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
                              key=f"{key}.source", horizontal=True)
    if source == "generated":
        preset_picker(presets, key=key)
        return None
    data = csv_upload(key=f"{key}.upload", task=task, inputs=inputs, target=target)
    if data is None:
        st.stop()
    return data
