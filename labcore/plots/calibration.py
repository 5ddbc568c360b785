"""Figures of the Calibration lab: reliability diagrams, NLL/ECE against T, sweeps, ECE variants.

Every builder takes results from :mod:`labcore.experiments.calibration` (or rows from
:mod:`labcore.experiments.calibration.report`) and returns a ``go.Figure`` with axis titles and
a legend a newcomer can read.

A reliability diagram (Guo et al. 2017, Fig. 1) groups test predictions by confidence: the bar
is the accuracy of the bin, the black tick its mean confidence, the shaded part between them
the gap; a bar below the diagonal means the model was more confident than it was right. The
small panel under each diagram counts the predictions per bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from labcore.experiments.calibration.run import Scores, TemperatureCurves
from labcore.experiments.calibration.sweep import SweepResult
from labcore.plots import palette
from labcore.plots._spec import axis_key, axis_keys, figure, grid, merge, on_axes, scatter, trace

ACCURACY_COLOR = palette.ACCURACY
OVER_COLOR = palette.OVERCONFIDENT_FILL  # opaque, so a gap drawn over a bar keeps its own colour
OVER_LINE = palette.OVERCONFIDENT
UNDER_COLOR = palette.UNDERCONFIDENT_FILL
UNDER_LINE = palette.UNDERCONFIDENT
COUNT_COLOR = palette.COUNT
DIAGONAL_COLOR = palette.REFERENCE
VAL_COLOR = palette.VALIDATION
TEST_COLOR = palette.TEST
FIT_NLL_COLOR = palette.BLUISH_GREEN
FIT_ECE_COLOR = palette.REDDISH_PURPLE
CURRENT_COLOR = palette.BLACK
STRATEGY_NAMES = {"uniform": "equal-width", "quantile": "equal-mass"}

_LAYOUT = {  # the template, plotly_white, is set by _spec.figure
    "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
    "legend": {"orientation": "h", "yanchor": "top", "xanchor": "left", "x": 0},
    "barmode": "overlay",
}
TITLED_TOP = 90  # the top margin of a figure with a title above (two-line) panel titles
PAIR_HEIGHT = 430  # pixels per diagram + count panel
SPACER = 0.3  # height of the empty row between two pairs, relative to the diagram's 0.7

Spec = dict[str, Any]


def _title(text: str, **extra: Any) -> Spec:
    return {"title": {"text": text}, **extra}


def _diagram_traces(scores: Scores, legend: bool) -> tuple[list[Spec], list[Spec]]:
    """Traces of one reliability diagram (top) and of its count panel (bottom).

    Counts are written above bins at least 0.03 wide (narrower equal-mass bins would overlap);
    hovering shows every bin.
    """
    bins = scores.bins
    filled = bins.counts > 0
    lo, hi = bins.edges[:-1][filled], bins.edges[1:][filled]
    mid, width = (lo + hi) / 2, (hi - lo) * 0.94
    acc, conf, counts = bins.accuracy[filled], bins.mean_confidence[filled], bins.counts[filled]
    over, under = conf > acc, conf < acc
    hover = [f"confidence in ({a:.3f}, {b:.3f}]<br>{n} predictions<br>accuracy {x:.3f}<br>"
             f"mean confidence {c:.3f}" for a, b, n, x, c in zip(lo, hi, counts, acc, conf,
                                                                 strict=True)]
    top = [
        trace("bar", x=mid, y=acc, width=width, name="accuracy of the predictions in the bin",
              marker={"color": ACCURACY_COLOR}, legendgroup="acc", showlegend=legend,
              hovertext=hover, hoverinfo="text"),
        trace("bar", x=mid[over], y=(conf - acc)[over], base=acc[over].tolist(),
              width=width[over],
              name="gap: more confident than right (over-confident)",
              marker={"color": OVER_COLOR, "pattern": {"shape": "/", "fgcolor": OVER_LINE}},
              legendgroup="over",
              showlegend=legend, hoverinfo="skip"),
        trace("bar", x=mid[under], y=(acc - conf)[under], base=conf[under].tolist(),
              width=width[under],
              name="gap: more right than confident (under-confident)",
              marker={"color": UNDER_COLOR, "pattern": {"shape": "\\", "fgcolor": UNDER_LINE}},
              legendgroup="under",
              showlegend=legend, hoverinfo="skip"),
        scatter(mid, conf, mode="markers", name="mean confidence in the bin",
                marker={"symbol": "line-ew", "size": 14, "line": {"width": 2.5,
                                                                 "color": palette.BLACK}},
                legendgroup="conf", showlegend=legend, hoverinfo="skip"),
        scatter([0, 1], [0, 1], mode="lines", name="perfect calibration (accuracy = "
                "confidence)", line={"color": DIAGONAL_COLOR, "dash": "dash"},
                legendgroup="diag", showlegend=legend, hoverinfo="skip"),
    ]
    bottom = [
        trace("bar", x=mid, y=counts, width=width, name="predictions per bin (lower panels)",
              marker={"color": COUNT_COLOR}, textposition="outside",
              text=[str(n) if w >= 0.03 else "" for n, w in zip(counts, width, strict=True)],
              textfont={"size": 10}, cliponaxis=False, legendgroup="count",
              showlegend=legend, hovertext=hover, hoverinfo="text"),
    ]
    return top, bottom


def panel_title(scores: Scores) -> str:
    """Two-line title: the model, then ECE, accuracy and mean confidence."""
    return (f"{scores.name}<br><sup>ECE {scores.ece:.3f} · accuracy {scores.accuracy:.1%} · "
            f"mean confidence {scores.mean_confidence:.1%}</sup>")


def reliability_figure(panels: Sequence[Scores], cols: int = 2,
                       titles: Sequence[str] | None = None, strategy: str | None = "uniform",
                       title: str | None = None) -> go.Figure:
    """Reliability diagrams with bin counts, ``cols`` per row (the 2×2 grid, or just one).

    Args:
        panels: scored models, filled row by row.
        cols: diagrams per row.
        titles: one title per panel (default :func:`panel_title`).
        strategy: "uniform" or "quantile", named in the axis title (None: not named, e.g.
            when the panels use different bins).
        title: the figure's title (default: what the diagrams show).
    """
    if not panels:
        raise ValueError("panels must hold at least one scored model. Got none.")
    cols = min(cols, len(panels))
    n_pairs = -(-len(panels) // cols)
    heights: list[float] = []
    for r in range(n_pairs):
        heights += [0.7, 0.3] + ([SPACER] if r < n_pairs - 1 else [])
    names = list(titles) if titles is not None else [panel_title(p) for p in panels]
    subplot_titles = []
    for row in range(len(heights)):
        for col in range(cols):
            i = (row // 3) * cols + col
            is_top = row % 3 == 0
            subplot_titles.append(names[i] if is_top and i < len(panels) else "")
    layout = grid(len(heights), cols, subplot_titles, row_heights=heights,
                  vertical_spacing=0.035 / n_pairs, horizontal_spacing=0.08)
    x_title = "confidence = max softmax probability"
    if strategy is not None:
        x_title += f" ({STRATEGY_NAMES.get(strategy, strategy)} bins)"
    traces: list[Spec] = []
    for i, scores in enumerate(panels):
        row, col = (i // cols) * 3 + 1, i % cols + 1
        diagram, counts = (row - 1) * cols + col, row * cols + col  # subplots, row by row
        top, bottom = _diagram_traces(scores, legend=i == 0)
        traces += [on_axes(t, diagram) for t in top] + [on_axes(t, counts) for t in bottom]
        merge(layout, {
            axis_key("x", diagram): {"range": [0, 1], "showticklabels": False},
            axis_key("y", diagram): _title("accuracy in the bin", range=[0, 1.02]),
            axis_key("x", counts): {"range": [0, 1], **_title(x_title)},
            axis_key("y", counts): _title("predictions", rangemode="tozero",
                                          range=[0, 1.3 * float(scores.bins.counts.max())]),
        })
    for r in range(n_pairs - 1):  # the spacer rows hold no data
        spacer = (r * 3 + 2) * cols  # subplots before the spacer row
        for col in range(1, cols + 1):
            merge(layout, {axis_key("x", spacer + col): {"visible": False},
                           axis_key("y", spacer + col): {"visible": False}})
    # The legend sits below the last x-axis title; one column wraps it into more rows.
    height, top = PAIR_HEIGHT * n_pairs + (90 if cols > 1 else 150), TITLED_TOP
    bottom = 150 if cols > 1 else 210
    if title is None:
        title = f"Reliability diagram{'s' if len(panels) > 1 else ''}: accuracy vs confidence"
    merge(layout, {"height": height, **_LAYOUT, **_title(title)})
    merge(layout, {"legend": {"y": -75 / (height - top - bottom)},
                   "margin": {"b": bottom, "t": top}})
    return figure(traces, layout)


def _vertical(x: float, y_low: float, y_high: float, name: str, color: str, dash: str,
              legend: bool) -> Spec:
    return scatter([x, x], [y_low, y_high], mode="lines", name=name,
                   line={"color": color, "dash": dash, "width": 2}, legendgroup=name,
                   showlegend=legend, hovertemplate=f"{name}<extra></extra>")


def temperature_figure(curves: TemperatureCurves, current: float | None = None) -> go.Figure:
    """NLL and ECE of one model against T, with the NLL-fitted, ECE-fitted (and a chosen) T."""
    t = curves.temperatures
    binning = STRATEGY_NAMES.get(curves.strategy, curves.strategy)
    layout = grid(1, 2, ("NLL against T (lower is better)",
                         f"ECE against T ({curves.n_bins} {binning} bins)"),
                  horizontal_spacing=0.1)
    panels = ((curves.val_nll, curves.test_nll), (curves.val_ece, curves.test_ece))
    traces: list[Spec] = []
    for col, (val, test) in enumerate(panels, start=1):
        legend = col == 1
        traces.append(on_axes(scatter(t, val, mode="lines", name="validation set (fits T)",
                                      line={"color": VAL_COLOR, "width": 2.5},
                                      legendgroup="val", showlegend=legend), col))
        traces.append(on_axes(scatter(t, test, mode="lines", name="test set (what we report)",
                                      line={"color": TEST_COLOR, "width": 2.5},
                                      legendgroup="test", showlegend=legend), col))
        low = float(min(val.min(), test.min()))
        high = float(max(val.max(), test.max()))
        marks = [
            (curves.t_nll, f"T fitted by NLL = {curves.t_nll:.2f}", FIT_NLL_COLOR, "dash"),
            (curves.t_ece, f"T fitted by ECE = {curves.t_ece:.2f}", FIT_ECE_COLOR, "dot"),
        ]
        if current is not None:
            marks.append((current, f"chosen T = {current:.2f}", CURRENT_COLOR, "solid"))
        for x, name, color, dash in marks:
            traces.append(on_axes(_vertical(x, low, high, name, color, dash, legend), col))
    for key in axis_keys(layout, "x"):
        merge(layout[key], {
            **_title("temperature T (log scale; T > 1 softens, T < 1 sharpens)"),
            "type": "log", "tickvals": [0.1, 0.2, 0.5, 1, 2, 5, 10]})
    merge(layout, {"yaxis": _title("NLL (nats per prediction)"),
                   "yaxis2": _title("ECE (0 = calibrated)", rangemode="tozero")})
    merge(layout, {"height": 420, **_LAYOUT, **_title("NLL and ECE against the temperature T")})
    merge(layout, {"legend": {"y": -0.22}, "margin": {"b": 110, "t": TITLED_TOP}})
    return figure(traces, layout)


def sweep_figure(sweep: SweepResult, x_title: str) -> go.Figure:
    """Accuracy vs confidence, ECE before/after scaling, and the fitted T against a setting."""
    x = sweep.values
    layout = grid(1, 3, ("Accuracy vs mean confidence (test)",
                         "ECE before and after scaling (test)",
                         "Temperature fitted on validation"), horizontal_spacing=0.08)
    lines = (
        (1, sweep.accuracy, "accuracy", ACCURACY_COLOR, "solid"),
        (1, sweep.mean_confidence, "mean confidence (above accuracy = over-confident)",
         palette.VERMILLION, "solid"),
        (2, sweep.ece, "ECE of the raw model", VAL_COLOR, "solid"),
        (2, sweep.ece_scaled, "ECE after temperature scaling", FIT_NLL_COLOR, "solid"),
        (3, sweep.temperature, "fitted T (> 1: raw model over-confident)", FIT_ECE_COLOR,
         "solid"),
        (3, np.ones_like(x), "T = 1 (no change needed)", DIAGONAL_COLOR, "dash"),
    )
    traces = [on_axes(scatter(x, y, mode="lines+markers" if dash == "solid" else "lines",
                              name=name, line={"color": color, "dash": dash, "width": 2.5}),
                      col) for col, y, name, color, dash in lines]
    log_x = sweep.parameter in ("steps", "hidden")
    # On a log axis, tick exactly the values tried; plotly's log ticks read "5 100 2 5 1000".
    x_axis = (_title(x_title, type="log", tickvals=x, ticktext=[f"{v:g}" for v in x])
              if log_x else _title(x_title))
    for key in axis_keys(layout, "x"):
        merge(layout[key], x_axis)
    merge(layout, {
        "yaxis": _title("fraction of test predictions", tickformat=".0%"),
        "yaxis2": _title("ECE (15 equal-width bins)", rangemode="tozero"),
        "yaxis3": _title("fitted temperature T (log scale)", type="log"),
    })
    merge(layout, {"height": 430, **_LAYOUT, **_title("Accuracy, ECE and fitted T against "
                                                      + x_title.split(" (")[0])})
    merge(layout, {"legend": {"y": -0.25}, "margin": {"b": 120, "t": TITLED_TOP}})
    return figure(traces, layout)


def variants_figure(rows: Sequence[dict[str, object]]) -> go.Figure:
    """The ECE of one set of predictions under each definition, as horizontal bars."""
    labels = [f"{r['scores']}, {r['bins']} {r['binning']} bins" for r in rows]
    values = [float(r["ECE"]) for r in rows]  # type: ignore[arg-type]
    colors = [ACCURACY_COLOR if r["scores"] == "top-label" else VAL_COLOR for r in rows]
    traces = [trace("bar", x=values, y=labels, orientation="h", marker={"color": colors},
                    text=[f"{v:.4f}" for v in values], textposition="outside",
                    cliponaxis=False, showlegend=False,
                    hovertemplate="%{y}: ECE %{x:.4f}<extra></extra>")]
    for name, color in (("top-label ECE (confidence of the predicted class)", ACCURACY_COLOR),
                        ("class-wise ECE (every class's probability)", VAL_COLOR)):
        traces.append(trace("bar", x=[None], y=[None], orientation="h", name=name,
                            marker={"color": color}))
    layout = merge({"height": 360}, _LAYOUT)
    merge(layout, {"legend": {"y": -0.25}, "margin": {"l": 230, "b": 110, "r": 60},
                   **_title("Same predictions, six ECEs")})
    merge(layout, {"xaxis": _title("ECE (0 = calibrated)", rangemode="tozero"),
                   "yaxis": _title("", autorange="reversed")})
    return figure(traces, layout)
