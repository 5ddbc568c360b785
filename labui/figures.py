"""Show a plotly figure the same way on every page: as built, with a crisp PNG export."""

from __future__ import annotations

from typing import Any

import streamlit as st

PNG_SCALE = 3  # the modebar's camera saves at 3× the shown size: sharp on slides


def figure_config(filename: str) -> dict[str, Any]:
    """Plotly's client config: the modebar's camera saves a PNG at :data:`PNG_SCALE`× named
    ``filename``; no plotly logo, no box/lasso select (they do nothing here).

    Example:
        >>> figure_config("regression_bands")["toImageButtonOptions"]["scale"]
        3
    """
    return {
        "displaylogo": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {"format": "png", "scale": PNG_SCALE, "filename": filename},
    }


def show_figure(fig: Any, *, key: str, filename: str | None = None) -> None:
    """Draw ``fig`` where the page is (a column, the main area).

    Streamlit's own chart theme is off (``theme=None``): it recolours traces and replaces any
    colour from #000001 to #000040 (its placeholders), which would turn the dark end of scales
    like Magma into the theme's colours. The figure's own template and colour scales are drawn
    exactly as built.

    Args:
        fig: a ``plotly.graph_objects.Figure``.
        key: the element key, e.g. ``"regression.bands_fig"``.
        filename: the PNG's file name without extension; by default the key with dots and a
            ``_fig`` suffix turned into a name (``"regression_bands"``).
    """
    name = filename or key.removesuffix("_fig").replace(".", "_")
    st.plotly_chart(fig, key=key, theme=None, config=figure_config(name))
