"""A test page for labui: the page flow of every real page, on the fake experiment.

The test sets ``st.session_state["fail"]`` to ``"value"`` (a setting the user broke) or
``"runtime"`` (the lab's bug) to make the page raise inside :func:`labui.guard`. The page
stores its config in ``st.session_state["config"]`` for the test to read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from fake_experiment import PRESETS, FakeConfig, run_fake  # noqa: E402

import labui  # noqa: E402
from labcore.errors import SettingError  # noqa: E402
from labui.teacher import teacher_link  # noqa: E402

KEY = "fx"

st.title("Fixture")
labui.init_form_state(FakeConfig, key=KEY, presets=PRESETS)
labui.preset_picker(PRESETS, key=KEY)
with labui.guard():
    config = labui.config_form(FakeConfig, key=KEY, hidden=labui.hidden_fields())
    labui.sync_url(config)
    st.session_state["config"] = config
    failure = st.session_state.get("fail")
    if failure == "value":
        raise SettingError("Widgets (w) must be <b>fun</b>. Got 3.")
    if failure == "runtime":
        raise RuntimeError("boom")
    result = labui.run_cached(run_fake, config)

st.metric("Mean", f"{result.mean:.4f}")
labui.download_csv(pd.DataFrame({"value": result.values}), "fake.csv", "Download CSV")
labui.download_figure_html(go.Figure(go.Scatter(y=result.values)), "fake.html", "Download figure")
teacher_link(config, key=KEY)
