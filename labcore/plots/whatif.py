"""Figures of "What if?": A and B on the same axes, and the headline numbers over N seeds.

:func:`spread_figure` draws :class:`labcore.whatif.Spread` values as strips (one panel per
headline number, the current seed a large diamond); with B beside A, lines join the runs that
share a seed, so a difference can be judged against the seed-to-seed noise. Each lab's A/B
figure, ``<lab>_ab(config_a, result_a, config_b, result_b)``, draws what the lab's page shows
for both results: overlaid where two curves read well together (regression bands, the
accuracy–coverage curves, NLL curves, shift curves), side by side where they do not (two
reliability diagrams).

A is always :data:`A_COLOUR` and B :data:`B_COLOUR` (except in the OOD figure, where colour
already means the method: there A is solid and B dashed). Legend names start with the run's
label ("A: predicted mean"); ``labels=("A", "B")`` renames them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.calibration.run import CalibrationRun, ModelKind, rescore
from labcore.experiments.classification.report import SCORE_LABELS
from labcore.experiments.classification.run import ClassificationResult
from labcore.experiments.home.run import MLEResult
from labcore.experiments.ood.sweep import METHOD_LABELS, ShiftResult
from labcore.experiments.regression.run import RegressionResult
from labcore.plots import palette
from labcore.plots._spec import (
    axis_key,
    figure,
    grid,
    merge,
    on_axes,
    plain_text,
    scatter,
    trace,
)
from labcore.plots.calibration import STRATEGY_NAMES
from labcore.plots.regression import y_limits
from labcore.whatif import Spread

A_COLOUR = palette.BLUE  # run A on every What-if figure
B_COLOUR = palette.VERMILLION  # run B (blue against vermillion: apart for every colour vision)
PAIR_COLOUR = palette.rgba(palette.GREY, 0.5)  # the faint line joining one seed's A and B
TARGET_COLOUR = palette.BASELINE
Z95 = 1.96  # a central 95 % Gaussian interval is mean ± 1.96 σ
JITTER = 0.3  # how far a strip's points spread sideways (x units; A and B are 1 apart)
MAX_PER_ROW = 4  # headline-number panels in one row; more take two rows

Spec = dict[str, Any]
Labels = tuple[str, str]

_LAYOUT = {  # the template, plotly_white, is set by _spec.figure
    "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0},
}
_SCORE_DASH = {"confidence": "solid", "certainty": "dash", "view_agreement": "dot",
               "members_agree": "dashdot"}


def _title(text: str, **extra: Any) -> Spec:
    return {"title": {"text": text}, **extra}


def _layout(**extra: Any) -> Spec:
    """A fresh copy of the common layout, updated with ``extra`` (deep-merged)."""
    return merge(merge({}, _LAYOUT), extra)


def _name(label: str, what: str) -> str:
    """A legend name: the run's label (shown as text), then what the trace is."""
    return f"{plain_text(label)}: {what}"


# --- the headline numbers over N seeds ---------------------------------------------------------

def jitter(n: int) -> np.ndarray:
    """(n,) sideways offsets in [−JITTER/2, JITTER/2) for a strip of n points: a fixed
    low-discrepancy sequence (multiples of the golden ratio), so a redraw does not move them.

    >>> jitter(3).round(3).tolist()
    [-0.15, 0.035, -0.079]
    """
    return JITTER * ((np.arange(n) * 0.6180339887) % 1.0 - 0.5)


def _finite(values: np.ndarray) -> list[float | None]:
    """Values as plotly draws them: a value that is not finite is left out (None)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _axis_label(spread: Spread) -> str:
    unit = spread.number.unit.strip()
    return plain_text(spread.number.label) + (f" ({unit})" if unit else "")


def _strip(spread: Spread, x: float, label: str | None, colour: str, legend: bool,
           mark_legend: bool) -> list[Spec]:
    """One setting's strip: a box (median, quartiles), a point per seed, the current seed."""
    number = spread.number
    xs = x + jitter(spread.values.size)
    who = f"{plain_text(label)}, " if label is not None else ""
    value = f"%{{y:.{number.digits}f}}{plain_text(number.unit)}"
    finite = spread.values[np.isfinite(spread.values)]
    return [
        trace("box", x=[x] * finite.size, y=finite, width=0.55, boxpoints=False,
              line={"color": colour, "width": 1}, fillcolor=palette.rgba(colour, 0.08),
              name=_name(label, "median and quartiles") if label else "median and quartiles",
              legendgroup=f"box{label}", showlegend=False, hoverinfo="y"),
        scatter(xs, _finite(spread.values), mode="markers",
                marker={"color": palette.rgba(colour, 0.75), "size": 8},
                customdata=spread.seeds.astype(int).tolist(),
                name=_name(label, "one dot per seed") if label else "one dot per seed",
                legendgroup=f"seeds{label}", showlegend=legend,
                hovertemplate=f"{who}seed %{{customdata}}<br>{_axis_label(spread)}: {value}"
                              "<extra></extra>"),
        scatter([xs[0]], _finite(spread.values[:1]), mode="markers",
                marker={"color": colour, "size": 15, "symbol": "diamond",
                        "line": {"color": palette.BLACK, "width": 1.5}},
                name=f"this seed (seed {int(spread.seeds[0])})", legendgroup="current",
                showlegend=mark_legend,
                hovertemplate=f"{who}this seed ({int(spread.seeds[0])})<br>"
                              f"{_axis_label(spread)}: {value}<extra></extra>"),
    ]


def _pairs(a: Spread, b: Spread, x_b: float) -> tuple[list[float | None], list[float | None]]:
    """x then y of the segments joining each seed's A value (x 0) to its B value (x ``x_b``),
    paired by position as :func:`labcore.whatif.wins` pairs them; None breaks the line."""
    xa, xb = jitter(a.values.size), x_b + jitter(b.values.size)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for i, (va, vb) in enumerate(zip(_finite(a.values), _finite(b.values), strict=True)):
        xs += [float(xa[i]), float(xb[i]), None]
        ys += [va, vb, None]
    return xs, ys


def spread_figure(a: Sequence[Spread], b: Sequence[Spread] | None = None, *,
                  labels: Labels = ("A", "B")) -> go.Figure:
    """The headline numbers over N seeds: one panel per number, a strip of dots per setting.

    Each dot is one seed's value; the box spans the quartiles with the median; the large
    diamond is the current seed (``values[0]``); a dashed line marks a number's target. With
    ``b``, B's strip stands beside A's and faint lines join the two runs of the same seed.

    Args:
        a: A's spreads (or the only setting's), one per headline number.
        b: B's spreads, the same numbers (by key), or None.
        labels: the names of A and B in the legend and under the strips.

    Raises:
        ValueError: no spreads, or A and B do not have the same numbers.
    """
    if not a:
        raise ValueError("A spread figure needs at least one headline number. Got none.")
    if b is not None and [s.number.key for s in a] != [s.number.key for s in b]:
        raise ValueError(f"A and B must have the same headline numbers. Got "
                         f"{[s.number.key for s in a]} and {[s.number.key for s in b]}.")
    rows = 1 if len(a) <= MAX_PER_ROW else 2
    cols = -(-len(a) // rows)
    layout = grid(rows, cols, [s.number.rule for s in a], horizontal_spacing=0.08,
                  vertical_spacing=0.22)
    traces: list[Spec] = []
    paired = b is not None and all(sa.values.size == sb.values.size
                                   for sa, sb in zip(a, b, strict=True))
    for k, spread in enumerate(a):
        index, first = k + 1, k == 0
        other = b[k] if b is not None else None
        if other is not None and paired:
            xs, ys = _pairs(spread, other, 1.0)
            traces.append(on_axes(scatter(
                xs, ys, mode="lines", line={"color": PAIR_COLOUR, "width": 1},
                name=f"the same seed in {plain_text(labels[0])} and {plain_text(labels[1])}",
                legendgroup="pairs", showlegend=first,
                hoverinfo="skip"), index))
        strips = [(0.0, spread, labels[0] if other is not None else None, A_COLOUR)]
        if other is not None:
            strips.append((1.0, other, labels[1], B_COLOUR))
        for g, (x, s, label, colour) in enumerate(strips):
            traces += [on_axes(t, index) for t in _strip(s, x, label, colour, first,
                                                         first and g == 0)]
        number = spread.number
        if number.better == "target":
            right = 1.5 if other is not None else 0.5
            traces.append(on_axes(scatter(
                [-0.5, right], [number.target] * 2, mode="lines",
                line={"color": TARGET_COLOUR, "dash": "dash", "width": 1.5},
                name="target (dashed line)", legendgroup="target",
                showlegend=not any(t.get("legendgroup") == "target" for t in traces),
                hovertemplate=f"target {number.text(number.target)}<extra></extra>"), index))
        ticks = ([0, 1], [plain_text(labels[0]), plain_text(labels[1])]) if other is not None \
            else ([0], ["these settings"])
        bottom = index + cols > len(a)  # nothing below: the x title has room
        merge(layout, {
            axis_key("x", index): {
                **(_title("setting (dot = one seed)" if other is not None else "dot = one seed")
                   if bottom else {}),
                "tickvals": ticks[0], "ticktext": ticks[1], "range": [-0.5, ticks[0][-1] + 0.5],
                "showgrid": False, "zeroline": False},
            axis_key("y", index): _title(_axis_label(spread)),
        })
    for index in range(len(a) + 1, rows * cols + 1):  # an empty last panel
        merge(layout, {axis_key("x", index): {"visible": False},
                       axis_key("y", index): {"visible": False}})
    n_a = a[0].values.size
    n_b = b[0].values.size if b is not None else n_a
    seeds = f"{n_a} seeds" if n_a == n_b else f"{n_a} and {n_b} seeds"
    title = (f"{plain_text(labels[0])} and {plain_text(labels[1])} over {seeds}, paired by "
             "seed" if b is not None else f"The headline numbers over {seeds}")
    merge(layout, {**_title(title), "height": 360 if rows == 1 else 420, **_LAYOUT})
    merge(layout, {"legend": {"yref": "container", "y": 0, "yanchor": "bottom"},
                   "margin": {"t": 70, "b": 95}})
    return figure(traces, layout)


# --- one A/B figure per lab --------------------------------------------------------------------

def _same(x: np.ndarray | None, y: np.ndarray | None) -> bool:
    return x is not None and y is not None and x.shape == y.shape and bool(np.allclose(x, y))


def regression_ab(config_a: Any, result_a: RegressionResult, config_b: Any,
                  result_b: RegressionResult, *, labels: Labels = ("A", "B")) -> go.Figure:
    """A's and B's predicted mean and 95 % band (mean ± 1.96 · total σ) on the same axes,
    with the true mean and its 95 % range where known, and each run's training points
    (A circles, B crosses)."""
    runs = ((labels[0], result_a, A_COLOUR, "circle"), (labels[1], result_b, B_COLOUR, "x"))
    traces: list[Spec] = []
    for label, r, colour, _ in runs:
        x, half = r.x_grid, Z95 * r.total_std
        traces += [
            scatter(x, r.pred_mean + half, mode="lines", line={"color": colour, "width": 1},
                    legendgroup=f"band{label}", showlegend=False, hoverinfo="skip"),
            scatter(x, r.pred_mean - half, mode="lines", line={"color": colour, "width": 1},
                    fill="tonexty", fillcolor=palette.rgba(colour, 0.15),
                    name=_name(label, "95 % band (mean ± 1.96σ, aleatoric + epistemic)"),
                    legendgroup=f"band{label}", hoverinfo="skip"),
        ]
    one_truth = (_same(result_a.true_mean, result_b.true_mean)
                 and _same(result_a.true_std, result_b.true_std)
                 and _same(result_a.x_grid, result_b.x_grid))
    for label, r, colour, _ in runs[:1] if one_truth else runs:
        if r.true_mean is None:
            continue
        who = "" if one_truth else f"{plain_text(label)}: "
        group = "" if one_truth else label
        line = palette.TRUTH if one_truth else colour
        traces.append(scatter(r.x_grid, r.true_mean, mode="lines", name=f"{who}true mean f(x)",
                              line={"color": line, "dash": "dash", "width": 1.5},
                              legendgroup=f"truth{group}",
                              hovertemplate=f"{who}true mean %{{y:.2f}}<extra></extra>"))
        for i, sign in enumerate((-Z95, Z95)):
            traces.append(scatter(
                r.x_grid, r.true_mean + sign * r.true_std, mode="lines",
                line={"color": line, "dash": "dot", "width": 1},
                name=f"{who}true 95 % range (f(x) ± 1.96σ(x))", legendgroup=f"truth95{group}",
                showlegend=i == 0, hoverinfo="skip"))
    for label, r, colour, symbol in runs:
        traces.append(scatter(r.x_train, r.y_train, mode="markers",
                              name=_name(label, "training data"), legendgroup=f"data{label}",
                              marker={"color": palette.rgba(colour, 0.45), "size": 6,
                                      "symbol": symbol}, hoverinfo="skip"))
    for label, r, colour, _ in runs:
        traces.append(scatter(r.x_grid, r.pred_mean, mode="lines",
                              name=_name(label, "predicted mean"), legendgroup=f"mean{label}",
                              line={"color": colour, "width": 2.5},
                              hovertemplate=f"{plain_text(label)} mean %{{y:.2f}} "
                                            f"± %{{customdata:.2f}}<extra></extra>",
                              customdata=Z95 * r.total_std))
    reference, bands = [], []
    for _, r, _, _ in runs:
        reference.append(r.y_train)
        if r.true_mean is not None:
            reference += [r.true_mean - Z95 * r.true_std, r.true_mean + Z95 * r.true_std]
        bands += [r.pred_mean - Z95 * r.total_std, r.pred_mean + Z95 * r.total_std]
    return figure(traces, _layout(
        **_title(f"Predicted mean and 95 % band: {plain_text(labels[0])} and "
                 f"{plain_text(labels[1])} on the same axes"),
        height=420, hovermode="x unified", margin={"b": 50},
        xaxis=_title("x (input)"),
        yaxis=_title("y (output, units of the data)", range=y_limits(reference, bands))))


def _reliability_curve(run: CalibrationRun, kind: ModelKind, config: CalibrationConfig,
                       label: str, colour: str) -> tuple[Spec, float]:
    """One raw network's reliability curve (mean confidence → accuracy of each filled bin)
    and its ECE, with the config's bins."""
    scores = rescore(run, kind, 1.0, config.n_bins, config.strategy)
    bins = scores.bins
    filled = bins.counts > 0
    plain = kind == "plain"
    return scatter(
        bins.mean_confidence[filled], bins.accuracy[filled], mode="lines+markers",
        name=_name(label, f"{run.model(kind).name} (ECE {scores.ece:.3f})"),
        line={"color": colour, "width": 2.5 if plain else 2, "dash": "solid" if plain else "dash"},
        marker={"color": colour, "size": 8, "symbol": "circle" if plain else "diamond"},
        customdata=bins.counts[filled].astype(int).tolist(),
        hovertemplate=f"{plain_text(label)}, {run.model(kind).name}<br>mean confidence "
                      "%{x:.3f}<br>accuracy %{y:.3f}<br>%{customdata} predictions"
                      "<extra></extra>"), scores.ece


def calibration_ab(config_a: CalibrationConfig, result_a: CalibrationRun,
                   config_b: CalibrationConfig, result_b: CalibrationRun, *,
                   labels: Labels = ("A", "B")) -> go.Figure:
    """A's and B's reliability curves side by side (A | B), each with its own bins
    (``n_bins``, ``strategy``): the plain network (solid) and, when ε > 0, the label-smoothed
    one (dashed), both raw (T = 1), against the diagonal of perfect calibration."""
    runs = ((labels[0], config_a, result_a, A_COLOUR), (labels[1], config_b, result_b, B_COLOUR))
    titles, traces = [], []
    for col, (label, config, run, colour) in enumerate(runs, start=1):
        kinds: tuple[ModelKind, ...] = (("plain", "smoothed") if run.smoothed.smoothing > 0
                                        else ("plain",))
        eces = []
        for kind in kinds:
            curve, ece = _reliability_curve(run, kind, config, label, colour)
            traces.append(on_axes(curve, col))
            eces.append(f"{'plain' if kind == 'plain' else 'smoothed'} {ece:.3f}")
        traces.append(on_axes(scatter(
            [0, 1], [0, 1], mode="lines", name="perfect calibration (accuracy = confidence)",
            line={"color": palette.REFERENCE, "dash": "dash"}, legendgroup="diagonal",
            showlegend=col == 1, hoverinfo="skip"), col))
        binning = STRATEGY_NAMES.get(config.strategy, config.strategy)
        titles.append(f"{plain_text(label)}: {config.n_bins} {binning} bins<br>"
                      f"<sup>ECE {' · '.join(eces)}</sup>")
    layout = grid(1, 2, titles, horizontal_spacing=0.1)
    for col in (1, 2):
        merge(layout, {
            axis_key("x", col): _title("confidence (mean in the bin)", range=[0, 1.02]),
            axis_key("y", col): _title("accuracy in the bin", range=[0, 1.02]),
        })
    merge(layout, {**_title(f"Reliability, raw networks (T = 1): {plain_text(labels[0])} | "
                            f"{plain_text(labels[1])}"), "height": 420, **_LAYOUT})
    merge(layout, {"margin": {"t": 90, "b": 50}, "legend": {"y": -0.18}})
    return figure(traces, layout)


def classification_ab(config_a: Any, result_a: ClassificationResult, config_b: Any,
                      result_b: ClassificationResult, *,
                      labels: Labels = ("A", "B")) -> go.Figure:
    """A's and B's accuracy on the kept test predictions against coverage, rejecting the
    least certain first (one line per rejection score each run has; the line's dash is the
    score, its colour the run)."""
    traces, low = [], 1.0
    for label, r, colour in ((labels[0], result_a, A_COLOUR), (labels[1], result_b, B_COLOUR)):
        for score, curve in r.curves.items():
            what = f"reject lowest {SCORE_LABELS[score]}"
            traces.append(scatter(
                curve.coverage, curve.accuracy, mode="lines", name=_name(label, what),
                line={"color": colour, "width": 2.5, "shape": "hv",
                      "dash": _SCORE_DASH.get(score, "solid")},
                hovertemplate=f"{plain_text(label)}, {what}<br>coverage %{{x:.0%}}: accuracy "
                              "%{y:.1%}<extra></extra>"))
            low = min(low, float(curve.accuracy.min()))
    return figure(traces, _layout(
        **_title(f"Reject the least certain: accuracy vs coverage, {plain_text(labels[0])} "
                 f"and {plain_text(labels[1])}"), height=420,
        xaxis=_title("coverage: share of test predictions kept", tickformat=".0%",
                     range=[0, 1.02]),
        yaxis=_title("accuracy on the kept predictions", tickformat=".0%",
                     range=[max(0.0, low - 0.05), 1.01])))


_SHIFT_AB = (  # metric, panel title, y-axis title, tick format
    ("accuracy", "Accuracy (higher is better)", "share of test digits correct", ".0%"),
    ("ece", "Calibration error (lower is better)", "ECE (top-label, 15 bins)", ""),
)


def ood_ab(config_a: Any, result_a: ShiftResult, config_b: Any, result_b: ShiftResult, *,
           labels: Labels = ("A", "B")) -> go.Figure:
    """Accuracy and ECE against corruption severity (mean over the corruptions), each method
    of A solid and of B dashed (colour = the method), two panels sharing the severity axis."""
    layout = grid(1, 2, [p[1] for p in _SHIFT_AB], horizontal_spacing=0.1)
    runs = ((labels[0], result_a, "solid", "circle"), (labels[1], result_b, "dash", "diamond"))
    traces = []
    for k, (metric, _, y_title, fmt) in enumerate(_SHIFT_AB):
        for label, r, dash, symbol in runs:
            curves = r.curve(metric)
            for i, method in enumerate(r.methods):
                name = _name(label, METHOD_LABELS[method])
                traces.append(on_axes(scatter(
                    r.severities, curves[i], mode="lines+markers", name=name,
                    legendgroup=f"{label}{method}", showlegend=k == 0,
                    line={"color": palette.METHODS[method], "width": 2.5, "dash": dash},
                    marker={"symbol": symbol, "size": 7},
                    hovertemplate=f"{name}<br>severity %{{x}}: %{{y:.3f}}<extra></extra>"),
                    k + 1))
        merge(layout, {
            axis_key("x", k + 1): _title("corruption severity (0 = clean)", dtick=1,
                                         range=[-0.2, 5.2], **({"matches": "x"} if k else {})),
            axis_key("y", k + 1): _title(y_title, tickformat=fmt, rangemode="tozero"),
        })
    merge(layout, {**_title(f"Growing shift, mean over the corruptions: "
                            f"{plain_text(labels[0])} solid, {plain_text(labels[1])} dashed"),
                   "height": 420, **_LAYOUT})
    merge(layout, {"margin": {"t": 80}, "legend": {"y": -0.2}})
    return figure(traces, layout)


def home_ab(config_a: Any, result_a: MLEResult, config_b: Any, result_b: MLEResult, *,
            labels: Labels = ("A", "B")) -> go.Figure:
    """A's and B's mean NLL over the parameter θ, each estimate (the closed-form minimiser,
    a dashed line; the grid's lowest NLL, a star) and the true θ (dotted): one panel, or
    two side by side when A and B fit different distributions (different θ)."""
    runs = ((labels[0], result_a, A_COLOUR), (labels[1], result_b, B_COLOUR))
    same = result_a.distribution == result_b.distribution
    layout = grid(1, 1 if same else 2, None if same else [plain_text(label) for label, *_ in runs],
                  horizontal_spacing=0.1)
    traces = []
    for col, (label, r, colour) in enumerate(runs, start=1):
        index = 1 if same else col
        panel = runs if same else ((label, r, colour),)
        lo = min(float(p.mean_nll.min()) for _, p, _ in panel)
        hi = max(float(p.mean_nll.max()) for _, p, _ in panel)
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        lo, hi = lo - pad, hi + pad
        sym = r.recipe.param_symbol
        traces += [on_axes(t, index) for t in (
            scatter(r.grid, r.mean_nll, mode="lines", line={"color": colour, "width": 3},
                    name=_name(label, f"mean NLL (n = {r.sample.size})"),
                    hovertemplate=f"{plain_text(label)}: {sym} %{{x:.3f}}, mean NLL %{{y:.3f}}"
                                  "<extra></extra>"),
            scatter([r.closed_form] * 2, [lo, hi], mode="lines",
                    line={"color": colour, "width": 2, "dash": "dash"},
                    name=_name(label, f"estimate {sym} = {r.recipe.closed_form_name} = "
                                      f"{r.closed_form:.3f}"),
                    legendgroup=f"estimate{label}", hoverinfo="skip"),
            scatter([r.grid_minimiser], [float(r.mean_nll.min())], mode="markers",
                    marker={"symbol": "star", "size": 14, "color": colour,
                            "line": {"color": palette.BLACK, "width": 1}},
                    name=_name(label, "lowest NLL on the grid"), legendgroup=f"estimate{label}",
                    showlegend=False,
                    hovertemplate=f"{plain_text(label)}: lowest NLL on the grid at {sym} = "
                                  "%{x:.3f}<extra></extra>"))]
        shared_truth = same and result_a.true_param == result_b.true_param
        if not shared_truth or col == 1:
            who = "" if shared_truth else f"{plain_text(label)}: "
            traces.append(on_axes(scatter(
                [r.true_param] * 2, [lo, hi], mode="lines",
                line={"color": palette.TRUTH, "width": 1.5,
                      "dash": "dot" if col == 1 or not same else "dashdot"},
                name=f"{who}true {sym} = {r.true_param:.2f} (the data were drawn with it)",
                hoverinfo="skip"), index))
        merge(layout, {
            axis_key("x", index): _title(f"{sym}: {r.recipe.param_meaning}"),
            axis_key("y", index): _title("mean NLL (nats per sample)", range=[lo, hi]),
        })
    merge(layout, {**_title(f"Mean NLL over the parameter: {plain_text(labels[0])} and "
                            f"{plain_text(labels[1])}"), "height": 420, **_LAYOUT})
    merge(layout, {"margin": {"t": 60 if same else 80}})
    return figure(traces, layout)
