"""The lab's pages, read from the labs' descriptors (:data:`labcore.experiments.LABS`): the
navigation in ``app.py`` and the links on Home read this.

Streamlit's own sidebar navigation is switched off (``client.showSidebarNavigation = false`` in
``.streamlit/config.toml``): until some session of a fresh server has run ``st.navigation``,
Streamlit treats ``pages/`` as old-style folder navigation and its sidebar list shows the raw
file names (``app``, ``calibration`` …) for as long as the first run takes. The lab draws its
own list instead (:func:`sidebar_links`), from ``app.py`` only, so the first thing a visitor
sees in the sidebar is always the lab's page titles.
"""

from __future__ import annotations

import streamlit as st

from labcore import experiments

PAGES = experiments.LABS
"""Every page, Home first, in the navigation's order."""
HOME, LABS = PAGES[0], PAGES[1:]


NAV_KEY = "lab_nav"  # the sidebar list's container: CSS class ``st-key-lab_nav``


def navigation_pages() -> list[st.Page]:
    """One ``st.Page`` per entry of :data:`PAGES`; Home is the default."""
    return [st.Page(p.page, title=p.title, icon=p.icon, default=p is HOME) for p in PAGES]


def sidebar_links(pages: list[st.Page]) -> None:
    """The lab's navigation: one link per page, in the sidebar, the current page marked.

    ``st.page_link`` keeps the query string out of the link, as Streamlit's own navigation
    does; presentation mode survives a page change through the session (see
    :mod:`labui.present`).
    """
    with st.sidebar.container(key=NAV_KEY):
        for page in pages:
            st.page_link(page)
