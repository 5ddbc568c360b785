"""Uncertainty Lab: the entry point (``streamlit run app.py``).

Sets up the page, torch's thread count and the compute device once per process, shows the
shared sidebar (device, about) and runs the page the user picked.
"""

from __future__ import annotations

import streamlit as st

from labui.errors import escape_markdown
from labui.nav import navigation_pages, sidebar_links
from labui.shell import accessibility_layer, page_setup, run_page, started_if_ready
from labui.warm import start_warming

ABOUT = (
    "Uncertainty Lab trains small PyTorch models while you watch, so you can see when a model "
    "knows it might be wrong: noise in the data (aleatoric uncertainty), too little data "
    "(epistemic uncertainty), calibration, and inputs unlike anything it was trained on. "
    "Every page follows one lecture on loss functions and uncertainty estimation. Change a "
    "setting and the page retrains; copy the address bar to share exactly what you see."
)

STARTING = "chosen when PyTorch starts, before the first model trains"


page_setup(main=True)
accessibility_layer()  # readable captions, focus outlines, the "Skip to settings" link

pages = navigation_pages()
page = st.navigation(pages, position="hidden")  # the lab draws its own list: labui.nav
sidebar_links(pages)

with st.sidebar:
    device_line = st.empty()  # filled once torch is set up: the page does not wait for it
    with st.expander("About"):
        st.write(ABOUT)

# In 3 s, once this first page is drawn: train every page's default, comparisons and presets in
# the background (LAB_WARM=0 turns it off).
start_warming()
run_page(page)
device = started_if_ready()  # a page that trained has waited for it; Home does not
with device_line.container():
    if device is None:
        st.caption(f"Computing on: {STARTING}")
    else:
        device_text, device_problem = device
        if device_problem:
            st.error(escape_markdown(device_problem))
        st.caption(f"Computing on: {device_text}")
