"""A test page for presentation mode: the page flow of a real page on the fake experiment.

It is its own main script (``page_setup(main=True)``, as ``app.py``), so the sidebar's
presentation toggle, the stylesheet and the page config come from the real shell. A figure
with one line, a notice under it and a quiz in front of it show what a page looks like.
"""

from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from fake_experiment import PRESETS, FakeConfig, run_fake  # noqa: E402

import labui  # noqa: E402
from labui.figures import show_figure  # noqa: E402
from labui.shell import page_setup  # noqa: E402
from labui.teacher import Quiz, predict_then_reveal, teacher_link  # noqa: E402

KEY = "fx"
QUIZ = Quiz(key=f"{KEY}.quiz", question="Is the mean of lr · (0 … n − 1) positive?",
            options=("Yes", "No"), correct="Yes", explanation="lr > 0 and n ≥ 5.")

page_setup(main=True)
st.title("Presentation fixture")
labui.init_form_state(FakeConfig, key=KEY, presets=PRESETS)
with labui.guard():
    config = labui.config_form(FakeConfig, key=KEY, hidden=labui.hidden_fields())
    labui.sync_url(config)
    result = labui.run_cached(run_fake, config)
teacher_link(config, key=KEY)

if predict_then_reveal(QUIZ):
    figure = go.Figure(go.Scatter(y=result.values, mode="lines+markers", name="values",
                                  line={"width": 2}, marker={"size": 5}))
    show_figure(figure, key=f"{KEY}.values_fig")
    labui.notice(f"Notice: the mean is {result.mean:.4f}.")
