"""Figures of the calibrator shoot-out: small-multiple reliability diagrams, ECE/NLL vs set size.

The diagrams are the Calibration lab's own (:func:`labcore.plots.calibration.reliability_figure`:
bar = accuracy of the bin, tick = its mean confidence, hatched = the gap), one per calibrator
and one for the raw model, so the shoot-out reads like the rest of the page.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from labcore.calibration.calibrators import CALIBRATORS
from labcore.calibration.comparison import CalibratorScores, SizeCurve
from labcore.experiments.calibration.methods import CalibratorView
from labcore.experiments.calibration.run import Scores
from labcore.plots._spec import axis_keys, figure, grid, merge, on_axes, scatter
from labcore.plots.calibration import DIAGONAL_COLOR, reliability_figure

COLORS = {  # one colour per calibrator, the same in every figure
    "temperature": "#2a9d5c",
    "vector": "#3b6fd8",
    "matrix": "#8e44ad",
    "histogram": "#e08a28",
    "isotonic": "#c0262f",
    "platt": "#17a2b8",
}
COUNT_LABEL = "count"  # the name of the annotations that write a panel's tallest count
_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
    "legend": {"orientation": "h", "yanchor": "top", "xanchor": "left", "x": 0},
}


def _as_scores(row: CalibratorScores) -> Scores:
    """A shoot-out row in the shape the lab's reliability diagram draws (no temperature)."""
    bins = row.bins
    mce = float(np.nanmax(bins.gap)) if np.any(bins.counts > 0) else 0.0
    return Scores(name=row.display, temperature=math.nan, bins=bins, accuracy=row.accuracy,
                  mean_confidence=row.mean_confidence, ece=row.ece, mce=mce, nll=row.nll,
                  brier=row.brier)


def _panel_title(row: CalibratorScores) -> str:
    changed = "" if row.name == "none" else f" · {row.changed:.1%} changed"
    return (f"{row.display}<br><sup>ECE {row.ece:.3f} · NLL {row.nll:.3f}<br>"
            f"accuracy {row.accuracy:.1%}{changed}</sup>")


def shootout_figure(view: CalibratorView, cols: int = 4) -> go.Figure:
    """One reliability diagram per calibrator (the raw model first), all on the test set.

    Titles give each panel's test ECE, NLL, accuracy and the share of predictions whose class
    the calibrator changed.
    """
    result = view.shootout
    rows = (result.uncalibrated, *result.rows)
    fig = reliability_figure([_as_scores(r) for r in rows], cols=cols,
                             titles=[_panel_title(r) for r in rows], strategy=result.strategy,
                             title="Each calibrator's reliability diagram on the test set")
    for annotation in fig.layout.annotations:
        annotation.font.size = 12
    fig.layout.margin.t = 110  # the title above three-line panel titles
    # Four panels a row leave a bin a few pixels wide: the counts written above every bar ran
    # into each other (or, squeezed into their bars, shrank to specks). Only the tallest bin's
    # count is written, at full size, ending at that bar's right edge so that it runs left over
    # the lower bars of its own panel, never into the next panel; hovering shows every count.
    for bar in fig.select_traces(selector={"type": "bar", "textposition": "outside"}):
        counts = np.asarray(bar.y, dtype=float)
        text_size = bar.textfont.size or 10
        bar.text, bar.textposition = None, "none"
        if not counts.size:
            continue
        i = int(np.argmax(counts))
        fig.add_annotation(
            x=float(np.asarray(bar.x)[i] + np.asarray(bar.width)[i] / 2), y=float(counts[i]),
            xref=bar.xaxis, yref=bar.yaxis, text=f"{int(counts[i])}", name=COUNT_LABEL,
            xanchor="right", yanchor="bottom", showarrow=False, font={"size": text_size})
    # Four panels a row leave no room for the long axis title under each: "confidence" (the
    # figure's caption and legend say it is the max softmax probability, in equal-width bins).
    # The y-axis titles, the same in every column, are written in the first column only: in the
    # others they sat against the neighbouring panel's last tick and count.
    for name in fig.layout:
        axis = fig.layout[name]
        if name.startswith("xaxis") and axis.title.text and "confidence" in axis.title.text:
            axis.title.text = "confidence (max softmax)"
        if name.startswith("yaxis") and (int(name[5:] or 1) - 1) % cols:
            axis.title.text = None
    return fig


def size_figure(curve: SizeCurve) -> go.Figure:
    """Test ECE and test NLL of each calibrator against the calibration-set size (log x)."""
    sizes = curve.sizes
    averaged = (f" (sizes below {int(sizes[-1])}: mean of {curve.repeats} random subsets)"
                if curve.repeats > 1 else "")
    layout = grid(1, 2, ("Test ECE (0 = calibrated)", "Test NLL (lower is better)"),
                  horizontal_spacing=0.1)
    traces = []
    for col, (values, raw) in enumerate(((curve.ece, curve.uncalibrated_ece),
                                         (curve.nll, curve.uncalibrated_nll)), start=1):
        legend = col == 1
        for name in curve.names:
            traces.append(on_axes(scatter(
                sizes, values[name], mode="lines+markers", name=CALIBRATORS[name],
                line={"color": COLORS.get(name, "#555555"), "width": 2.5}, legendgroup=name,
                showlegend=legend,
                hovertemplate=f"{CALIBRATORS[name]}: %{{y:.3f}} with %{{x}} points"
                              "<extra></extra>"), col))
        traces.append(on_axes(scatter(
            [sizes[0], sizes[-1]], [raw, raw], mode="lines",
            name="uncalibrated model (needs no calibration points)",
            line={"color": DIAGONAL_COLOR, "dash": "dash"}, legendgroup="raw",
            showlegend=legend, hoverinfo="skip"), col))
    for key in axis_keys(layout, "x"):
        merge(layout[key], {"title": {"text": "calibration points (validation subset, log "
                                              "scale)"},
                            "type": "log", "tickvals": sizes.tolist(),
                            "ticktext": [str(int(s)) for s in sizes]})
    merge(layout, {"yaxis": {"title": {"text": "ECE (top-label, test set)"},
                             "rangemode": "tozero"},
                   "yaxis2": {"title": {"text": "NLL (nats per test prediction)"},
                              "rangemode": "tozero"}})
    merge(layout, {"height": 440, **_LAYOUT,
                   "title": {"text": f"Which calibrators overfit a small calibration set"
                                     f"{averaged}", "font": {"size": 14}}})
    merge(layout, {"legend": {"y": -0.22}, "margin": {"b": 120, "t": 80}})
    return figure(traces, layout)
