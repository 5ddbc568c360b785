"""Uncertainty Lab: the entry point (``streamlit run app.py``).

Sets up the page, torch's thread count and the compute device once per process, shows the
shared sidebar (device, about) and runs the page the user picked.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from labcore import device
from labui.errors import escape_markdown

ROOT = Path(__file__).resolve().parent

PAGES = [
    ("pages/regression.py", "Regression", ":material/show_chart:"),
    ("pages/classification.py", "Classification", ":material/category:"),
    ("pages/calibration.py", "Calibration", ":material/tune:"),
    ("pages/ood.py", "Out of distribution", ":material/explore_off:"),
]

ABOUT = (
    "Uncertainty Lab trains small PyTorch models while you watch, so you can see when a model "
    "knows it might be wrong: noise in the data (aleatoric uncertainty), too little data "
    "(epistemic uncertainty), calibration, and inputs unlike anything it was trained on. "
    "Every page follows one lecture on loss functions and uncertainty estimation. Change a "
    "setting and the page retrains; copy the address bar to share exactly what you see."
)


@st.cache_resource(show_spinner=False)
def start_up() -> tuple[str, str | None]:
    """Once per process: set torch's thread count and check ``LAB_DEVICE``.

    Returns:
        The device's description, e.g. ``"CPU (4 threads)"``, and None when ``LAB_DEVICE`` is
        fine; otherwise the problem, after switching the whole process to the CPU
        (``LAB_DEVICE=cpu``) so every experiment can still run.
    """
    device.configure_threads()
    try:
        chosen = device.default_device()
    except ValueError as exc:
        os.environ["LAB_DEVICE"] = "cpu"
        return device.describe_device(device.parse_device("cpu")), f"{exc} Using the CPU."
    return device.describe_device(chosen), None


st.set_page_config(page_title="Uncertainty Lab", page_icon=":material/target:", layout="wide")
device_text, device_problem = start_up()

pages = [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)]
pages += [
    st.Page(path, title=title, icon=icon) for path, title, icon in PAGES if (ROOT / path).exists()
]
page = st.navigation(pages)

with st.sidebar:
    if device_problem:
        st.error(escape_markdown(device_problem))
    st.caption(f"Computing on: {device_text}")
    with st.expander("About"):
        st.write(ABOUT)

page.run()
