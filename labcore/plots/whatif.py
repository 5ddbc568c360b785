"""Figures of "What if?": A and B on the same axes, and the headline numbers over N seeds.

:func:`~labcore.plots.spread.spread_figure` (re-exported here) draws the headline numbers over
N seeds as strips. Each lab's A/B figure, ``<lab>_ab(config_a, result_a, config_b,
result_b)``, draws what the lab's page shows for both results: overlaid where two curves read
well together (regression bands, the accuracy–coverage curves, NLL curves, shift curves), side
by side where they do not (two reliability diagrams).

A is always :data:`A_COLOUR` and B :data:`B_COLOUR` (except in the OOD figure, where colour
already means the method: there A is solid and B dashed). Legend names start with the run's
label ("A: predicted mean"); ``labels=("A", "B")`` renames them.
"""

from __future__ import annotations

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
from labcore.plots._spec import axis_key, figure, grid, merge, on_axes, plain_text, scatter
from labcore.plots.calibration import STRATEGY_NAMES
from labcore.plots.regression import y_limits
from labcore.plots.spread import (
    A_COLOUR,
    B_COLOUR,
    LAYOUT,
    Z95,
    Labels,
    Spec,
    layout_spec,
    legend_name,
    spread_figure,
    title_spec,
)

__all__ = ["A_COLOUR", "B_COLOUR", "calibration_ab", "classification_ab", "home_ab", "ood_ab",
           "regression_ab", "spread_figure"]

_SCORE_DASH = {"confidence": "solid", "certainty": "dash", "view_agreement": "dot",
               "members_agree": "dashdot"}


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
                    name=legend_name(label, "95 % band (mean ± 1.96σ, aleatoric + epistemic)"),
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
                              name=legend_name(label, "training data"), legendgroup=f"data{label}",
                              marker={"color": palette.rgba(colour, 0.45), "size": 6,
                                      "symbol": symbol}, hoverinfo="skip"))
    for label, r, colour, _ in runs:
        traces.append(scatter(r.x_grid, r.pred_mean, mode="lines",
                              name=legend_name(label, "predicted mean"), legendgroup=f"mean{label}",
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
    return figure(traces, layout_spec(
        **title_spec(f"Predicted mean and 95 % band: {plain_text(labels[0])} and "
                 f"{plain_text(labels[1])} on the same axes"),
        height=420, hovermode="x unified", margin={"b": 50},
        xaxis=title_spec("x (input)"),
        yaxis=title_spec("y (output, units of the data)", range=y_limits(reference, bands))))


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
        name=legend_name(label, f"{run.model(kind).name} (ECE {scores.ece:.3f})"),
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
            axis_key("x", col): title_spec("confidence (mean in the bin)", range=[0, 1.02]),
            axis_key("y", col): title_spec("accuracy in the bin", range=[0, 1.02]),
        })
    merge(layout, {**title_spec(f"Reliability, raw networks (T = 1): {plain_text(labels[0])} | "
                            f"{plain_text(labels[1])}"), "height": 420, **LAYOUT})
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
                curve.coverage, curve.accuracy, mode="lines", name=legend_name(label, what),
                line={"color": colour, "width": 2.5, "shape": "hv",
                      "dash": _SCORE_DASH.get(score, "solid")},
                hovertemplate=f"{plain_text(label)}, {what}<br>coverage %{{x:.0%}}: accuracy "
                              "%{y:.1%}<extra></extra>"))
            low = min(low, float(curve.accuracy.min()))
    return figure(traces, layout_spec(
        **title_spec(f"Reject the least certain: accuracy vs coverage, {plain_text(labels[0])} "
                 f"and {plain_text(labels[1])}"), height=420,
        xaxis=title_spec("coverage: share of test predictions kept", tickformat=".0%",
                     range=[0, 1.02]),
        yaxis=title_spec("accuracy on the kept predictions", tickformat=".0%",
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
                name = legend_name(label, METHOD_LABELS[method])
                traces.append(on_axes(scatter(
                    r.severities, curves[i], mode="lines+markers", name=name,
                    legendgroup=f"{label}{method}", showlegend=k == 0,
                    line={"color": palette.METHODS[method], "width": 2.5, "dash": dash},
                    marker={"symbol": symbol, "size": 7},
                    hovertemplate=f"{name}<br>severity %{{x}}: %{{y:.3f}}<extra></extra>"),
                    k + 1))
        merge(layout, {
            axis_key("x", k + 1): title_spec("corruption severity (0 = clean)", dtick=1,
                                         range=[-0.2, 5.2], **({"matches": "x"} if k else {})),
            axis_key("y", k + 1): title_spec(y_title, tickformat=fmt, rangemode="tozero"),
        })
    merge(layout, {**title_spec(f"Growing shift, mean over the corruptions: "
                            f"{plain_text(labels[0])} solid, {plain_text(labels[1])} dashed"),
                   "height": 420, **LAYOUT})
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
                    name=legend_name(label, f"mean NLL (n = {r.sample.size})"),
                    hovertemplate=f"{plain_text(label)}: {sym} %{{x:.3f}}, mean NLL %{{y:.3f}}"
                                  "<extra></extra>"),
            scatter([r.closed_form] * 2, [lo, hi], mode="lines",
                    line={"color": colour, "width": 2, "dash": "dash"},
                    name=legend_name(label, f"estimate {sym} = {r.recipe.closed_form_name} = "
                                      f"{r.closed_form:.3f}"),
                    legendgroup=f"estimate{label}", hoverinfo="skip"),
            scatter([r.grid_minimiser], [float(r.mean_nll.min())], mode="markers",
                    marker={"symbol": "star", "size": 14, "color": colour,
                            "line": {"color": palette.BLACK, "width": 1}},
                    name=legend_name(label, "lowest NLL on the grid"),
                    legendgroup=f"estimate{label}", showlegend=False,
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
            axis_key("x", index): title_spec(f"{sym}: {r.recipe.param_meaning}"),
            axis_key("y", index): title_spec("mean NLL (nats per sample)", range=[lo, hi]),
        })
    merge(layout, {**title_spec(f"Mean NLL over the parameter: {plain_text(labels[0])} and "
                            f"{plain_text(labels[1])}"), "height": 420, **LAYOUT})
    merge(layout, {"margin": {"t": 60 if same else 80}})
    return figure(traces, layout)
