"""The text alternative of a chart (:func:`labcore.plots.describe.describe_figure`).

Each figure is made by hand, so every number in its description can be checked by eye: a line
y = [1, 4, 2] runs from 1 to 4 with mean 7/3 = 2.33.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from labcore.plots import describe
from labcore.plots._spec import figure, on_axes, scatter, trace
from labcore.plots.describe import FALLBACK_NAME, MAX_CHARS, describe_figure, number_text


def test_a_line_says_its_axes_its_range_and_its_mean() -> None:
    fig = figure([scatter([0, 1, 2], [1, 4, 2], mode="lines", name="mean")], {
        "title": {"text": "Prediction"}, "xaxis": {"title": {"text": "x (input)"}},
        "yaxis": {"title": {"text": "y (output)"}}})
    text = describe_figure(fig)
    assert text.name == "Prediction"
    assert text.description == ("Line chart. x axis: x (input). y axis: y (output). "
                                "mean: line, x from 0 to 2, y from 1 to 4, mean 2.33.")


def test_a_band_is_its_two_edges_read_as_one_trace() -> None:
    """An unnamed upper edge, then the lower edge filled up to it: one band, named after the
    filled trace, from the lowest lower edge to the highest upper edge; width = upper − lower."""
    x = [0, 1, 2]
    upper, lower = [3.0, 5.0, 4.0], [1.0, 2.0, 3.0]
    fig = figure([scatter(x, upper, mode="lines", showlegend=False),
                  scatter(x, lower, mode="lines", fill="tonexty", name="total ±2σ")],
                 {"title": {"text": "Bands"}})
    width = np.mean(np.subtract(upper, lower))  # (2 + 3 + 1) / 3 = 2
    assert describe_figure(fig).description == (
        f"Band chart. total ±2σ: band, x from 0 to 2, y from 1 to 5, mean width "
        f"{number_text(width)}.")


def test_points_bars_histograms_and_heatmaps() -> None:
    fig = figure([
        scatter([1, 2, 3, None], [5, 6, 7, None], mode="markers", name="training data"),
        trace("bar", x=["a", "b", "c", "d"], y=[2, 9, 4, 7], name="counts"),
        trace("histogram", x=[0.5, 1.5, 2.5, 3.5], name="scores"),
        trace("heatmap", x=[10, 20, 30], y=[0, 1], z=[[1, 2, 3], [4, 8, 5]], name="map"),
    ], {"title": {"text": "Four kinds"}})
    description = describe_figure(fig).description
    assert description.startswith("Chart with points, bars, histograms and heatmaps. ")
    assert "training data: 3 points, x from 1 to 3, y from 5 to 7." in description
    assert "counts: 4 bars, largest b (9), d (7), c (4)." in description
    assert "scores: histogram of 4 values from 0.5 to 3.5, mean 2." in description
    assert "map: grid of 2 × 3 cells, values from 1 to 8, highest at x 20, y 1." in description


def test_horizontal_bars_read_their_values_from_x() -> None:
    fig = figure([trace("bar", x=[0.1, 0.3], y=["ECE", "MCE"], orientation="h",
                        name="raw")], {"title": {"text": "Six ECEs"}})
    assert describe_figure(fig).description == "Bar chart. raw: 2 bars, largest MCE (0.3), " \
        "ECE (0.1)."


def test_a_percent_axis_gives_percentages() -> None:
    fig = figure([scatter([0, 1], [0.5, 0.942], mode="lines", name="accuracy")], {
        "title": {"text": "t"}, "yaxis": {"tickformat": ".0%"}})
    assert "y from 50% to 94.2%, mean 72.1%" in describe_figure(fig).description


def test_panels_are_counted_and_legend_only_traces_skipped() -> None:
    fig = figure([on_axes(scatter([0, 1], [1, 2], mode="lines", name="a"), 1),
                  on_axes(scatter([0, 1], [3, 4], mode="lines", name="b"), 2),
                  scatter([None], [None], mode="markers", name="legend only")],
                 {"title": {"text": "Two panels"}})
    description = describe_figure(fig).description
    assert description.startswith("Line chart in 2 panels. ")
    assert "legend only" not in description


def test_the_name_is_the_title_as_plain_text_or_the_panel_titles() -> None:
    titled = figure([], {"title": {"text": "Set sizes<br><sup>α = 0.1 &amp; &lt;b&gt;</sup>"}})
    assert describe_figure(titled).name == "Set sizes — α = 0.1 & <b>"
    panels = {"annotations": [
        {"text": "left", "xref": "paper", "yref": "paper", "yanchor": "bottom", "x": 0.2},
        {"text": "right", "xref": "paper", "yref": "paper", "yanchor": "bottom", "x": 0.8}]}
    assert describe_figure(figure([], panels)).name == "left · right"
    assert describe_figure(figure([], {})).name == FALLBACK_NAME
    assert describe_figure(figure([], {})).description == "Empty chart."


def test_many_traces_are_capped_and_the_rest_counted() -> None:
    traces = [scatter([0, 1], [i, i + 1], mode="lines", name=f"member {i}") for i in range(30)]
    text = describe_figure(figure(traces, {"title": {"text": "Members"}})).description
    assert len(text) <= MAX_CHARS
    shown = text.count(": line,")
    assert 1 <= shown <= describe.MAX_TRACES
    assert text.endswith(f"And {30 - shown} more traces.")


def test_the_json_the_browser_gets_describes_the_same_as_the_figure() -> None:
    """``st.plotly_chart`` sends plotly's JSON, with numpy arrays as base64 typed arrays."""
    fig = figure([scatter(np.arange(5.0), np.array([3.0, 1.0, 4.0, 1.0, 5.0]), mode="lines",
                          name="y")], {"title": {"text": "Typed"}})
    sent = fig.to_json()
    assert "bdata" in sent
    assert describe_figure(sent) == describe_figure(json.loads(sent)) == describe_figure(fig)
    assert "y from 1 to 5, mean 2.8" in describe_figure(sent).description


@pytest.mark.parametrize(("value", "shown"), [
    (2 / 3, "0.667"), (1234.5, "1230"), (-0.25, "-0.25"), (0.0, "0"), (1e-5, "1e-05"),
    (float("nan"), "not a number"), (float("inf"), "∞")])
def test_numbers_have_three_significant_digits(value: float, shown: str) -> None:
    assert number_text(value) == shown


def test_a_plotly_figure_built_the_usual_way_is_described_too() -> None:
    fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 4, 2], mode="lines", name="mean"),
                    layout={"title": "A curve"})
    text = describe_figure(fig)
    assert text.name == "A curve"
    assert "y from 1 to 4, mean 2.33" in text.description


def test_a_flat_line_is_at_its_value_and_numeric_labels_are_rounded() -> None:
    """A mean of 1e-15 on a curve reaching 1 is rounding error: it is said as 0."""
    fig = figure([scatter([0, 2], [3, 3], mode="lines", name="true σ"),
                  scatter([-1, 0, 1], [-1.0, 0.0, 1.0 + 3e-15], mode="lines", name="odd"),
                  trace("bar", x=[0.0333333333, 0.9666666667], y=[5, 8], name="bins")],
                 {"title": {"text": "t"}, "yaxis": {"title": {"text": "σ"}},
                  "yaxis2": {"title": {"text": "count"}}})
    description = describe_figure(fig).description
    assert "y axes: σ; count." in description
    assert "true σ: line, x from 0 to 2, y at 3." in description
    assert "odd: line, x from -1 to 1, y from -1 to 1, mean 0." in description
    assert "bins: 2 bars, largest 0.967 (8), 0.0333 (5)." in description


def test_a_titled_figure_names_its_panels() -> None:
    panels = [{"text": f"model {k}<br><sup>ECE 0.0{k}</sup>", "xref": "paper", "yref": "paper",
               "yanchor": "bottom", "x": k / 6} for k in range(1, 6)]
    fig = figure([], {"title": {"text": "Reliability"}, "annotations": panels})
    assert describe_figure(fig).description == (
        "Empty chart. Panels: model 1 — ECE 0.01; model 2 — ECE 0.02; model 3 — ECE 0.03; "
        "model 4 — ECE 0.04; and 1 more.")
