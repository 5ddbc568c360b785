"""Every chart a page sends is a figure plotly itself accepts unchanged.

The figure builders write their specs directly (without plotly's per-property validation, which
was most of a figure's cost); here plotly validates each spec the page actually sent: a
misspelled property raises, and a spec plotly would have written differently does not compare
equal.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from app_helpers import open_app

PAGES = {
    "home": (None, {"distribution": "categorical"}),
    "regression": ("pages/regression.py", {"steps": "100", "gap_width": "2"}),
    "classification": ("pages/classification.py",
                       {"preset": "S5 · UANLL on two moons, with an ensemble (decision map)",
                        "steps": "100", "view": "map"}),
    "calibration": ("pages/calibration.py", {"steps": "100", "smoothing": "0.1"}),
    "ood": ("pages/ood.py", {"steps": "100", "members": "2", "view": "toy"}),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_chart_is_a_valid_plotly_figure(name: str) -> None:
    page, query = PAGES[name]
    at = open_app(page, query)
    assert not at.exception and not at.error, [e.value for e in at.error]
    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        sent = json.loads(chart.proto.spec)
        checked = json.loads(go.Figure(sent).to_json())  # raises on an unknown property
        assert checked == sent, chart.key
