"""The lab's pages, listed once: the navigation in ``app.py`` and the links on Home read this.

Streamlit's own sidebar navigation is switched off (``client.showSidebarNavigation = false`` in
``.streamlit/config.toml``): until some session of a fresh server has run ``st.navigation``,
Streamlit treats ``pages/`` as old-style folder navigation and its sidebar list shows the raw
file names (``app``, ``calibration`` …) for as long as the first run takes. The lab draws its
own list instead (:func:`sidebar_links`), from ``app.py`` only, so the first thing a visitor
sees in the sidebar is always the lab's page titles.
"""

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


NAV_KEY = "lab_nav"  # the sidebar list's container: CSS class ``st-key-lab_nav``


def navigation_pages() -> list[st.Page]:
    """One ``st.Page`` per entry of :data:`PAGES`; Home is the default."""
    return [st.Page(p.path, title=p.title, icon=p.icon, default=p is HOME) for p in PAGES]


def sidebar_links(pages: list[st.Page]) -> None:
    """The lab's navigation: one link per page, in the sidebar, the current page marked.

    ``st.page_link`` keeps the query string out of the link, as Streamlit's own navigation
    does; presentation mode survives a page change through the session (see
    :mod:`labui.present`).
    """
    with st.sidebar.container(key=NAV_KEY):
        for page in pages:
            st.page_link(page)
