"""The lab's pages, listed once: the navigation in ``app.py`` and the links on Home read this."""

from __future__ import annotations

import dataclasses

import streamlit as st


@dataclasses.dataclass(frozen=True)
class PageInfo:
    """One page of the lab.

    Attributes:
        path: the page script, relative to the repository root.
        title: the name shown in the navigation and on links.
        icon: a Material icon (``":material/…:"``).
        blurb: one sentence on what a visitor can do there.
    """

    path: str
    title: str
    icon: str
    blurb: str


HOME = PageInfo("pages/home.py", "Home", ":material/home:",
                "The maximum-likelihood recipe: every loss in the lab comes from one idea.")
LABS = (
    PageInfo("pages/regression.py", "Regression", ":material/show_chart:",
             "MSE vs Gaussian NLL, aleatoric vs epistemic uncertainty, MC dropout and "
             "ensembles."),
    PageInfo("pages/classification.py", "Classification", ":material/category:",
             "Label noise, a certainty head (UANLL), test-time augmentation, rejecting unsure "
             "cases."),
    PageInfo("pages/calibration.py", "Calibration", ":material/tune:",
             "Do 80 %-confident predictions come true 80 % of the time? Reliability diagrams, "
             "ECE."),
    PageInfo("pages/ood.py", "Out of distribution", ":material/explore_off:",
             "Inputs unlike the training data: accuracy falls, but does the confidence fall "
             "too?"),
)
PAGES = (HOME, *LABS)


def navigation_pages() -> list[st.Page]:
    """One ``st.Page`` per entry of :data:`PAGES`; Home is the default."""
    return [st.Page(p.path, title=p.title, icon=p.icon, default=p is HOME) for p in PAGES]
