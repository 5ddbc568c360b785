"""Figures of the Classification lab: digits and their views, decision maps, the noise sweep,
flipped-label histograms and accuracy–coverage curves.

Every builder takes results from :mod:`labcore.experiments.classification` (and the report's
numbers) and returns a ``go.Figure`` with axis titles and a legend a newcomer can read.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labcore.experiments.classification.report import (
    SCORE_LABELS,
    Split,
    class_label,
    split_of,
)
from labcore.experiments.classification.run import ClassificationResult, DecisionMap
from labcore.experiments.classification.sweep import NoiseSweepResult
from labcore.models.classifier import LOSS_LABELS
from labcore.uncertainty.selective import AcceptedSubset, oracle_accuracy

CLASS_COLORS = ("#3b6fd8", "#e08a28", "#2a9d5c", "#d6336c", "#7048e8", "#8c6d31", "#17a2b8",
                "#868e96", "#b5a000", "#5f3dc4")
SCORE_COLORS = {"confidence": "#3b6fd8", "certainty": "#e08a28", "view_agreement": "#2a9d5c",
                "members_agree": "#7048e8"}
RATE_COLORS = ("#2a9d5c", "#e08a28", "#d6336c")
FLIPPED_COLOR = "#d6336c"
DARK = "#222222"

_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0},
}


def _image(values: np.ndarray, shape: tuple[int, int]) -> go.Heatmap:
    """An image as a grey heatmap, row 0 at the top, ink dark on white."""
    return go.Heatmap(z=np.asarray(values).reshape(shape)[::-1], colorscale="Greys", zmin=0,
                      zmax=1, showscale=False, hovertemplate="pixel value %{z:.2f}<extra></extra>")


def _bare_axes(fig: go.Figure) -> None:
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="",
                     scaleanchor="x")


def digit_figure(result: ClassificationResult, split: Split, index: int) -> go.Figure:
    """One 8×8 digit (view 0, the input itself) as a grey image without axis clutter."""
    x = split_of(result, split).view_inputs[0, index]
    fig = go.Figure(_image(x, result.image_shape))
    _bare_axes(fig)
    fig.update_layout(title=f"{split.capitalize()} sample {index} (8×8 pixels, ink = dark)",
                      height=340, width=340, template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def views_figure(result: ClassificationResult, split: Split, index: int) -> go.Figure:
    """Every view of one digit in a row, each titled with the class the model gave it."""
    pred = split_of(result, split)
    views = pred.view_inputs[:, index]
    classes = pred.view_probs[:, index].argmax(axis=1)
    n_views = views.shape[0]
    cols = min(n_views, 8)
    rows = -(-n_views // cols)
    titles = [f"view {v}{' (input)' if v == 0 else ''}: {classes[v]}" for v in range(n_views)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.01,
                        vertical_spacing=0.08)
    for v in range(n_views):
        fig.add_trace(_image(views[v], result.image_shape), row=v // cols + 1, col=v % cols + 1)
    _bare_axes(fig)
    for v in range(n_views):  # keep every small image square
        axis = "x" if v == 0 else f"x{v + 1}"
        fig.update_yaxes(scaleanchor=axis, row=v // cols + 1, col=v % cols + 1)
    fig.update_annotations(font_size=11)
    fig.update_layout(title="The views the model saw (title: its predicted class)",
                      height=60 + 150 * rows, template="plotly_white", showlegend=False,
                      margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


def _map_base(dmap: DecisionMap, z: np.ndarray, colorscale: str, bar_title: str,
              zmin: float | None = None, zmax: float | None = None) -> list:
    """A heatmap of ``z`` over the grid with the class boundaries drawn as black lines."""
    heat = go.Heatmap(x=dmap.x1, y=dmap.x2, z=z, colorscale=colorscale, zmin=zmin, zmax=zmax,
                      colorbar={"title": {"text": bar_title, "side": "right"}, "len": 0.8},
                      hovertemplate="x1 %{x:.2f}, x2 %{y:.2f}<br>" + bar_title
                      + " %{z:.3f}<extra></extra>")
    n_classes = int(dmap.classes.max()) + 1
    boundary = go.Contour(
        x=dmap.x1, y=dmap.x2, z=dmap.classes, showscale=False, hoverinfo="skip",
        contours={"coloring": "none", "start": 0.5, "end": max(n_classes - 1.5, 0.5),
                  "size": 1},
        line={"color": DARK, "width": 2}, name="decision boundary", showlegend=True)
    return [heat, boundary]


def _training_points(result: ClassificationResult, legend: bool = True) -> list[go.Scatter]:
    """Training points coloured by the label the model was given; flipped ones as ✕."""
    traces = []
    x, noisy, flipped = result.x_train, result.y_train_noisy, result.flipped
    for k in range(result.n_classes):
        keep = (noisy == k) & ~flipped
        traces.append(go.Scatter(
            x=x[keep, 0], y=x[keep, 1], mode="markers",
            name=f"training label {class_label(result, k)}",
            marker={"color": CLASS_COLORS[k % 10], "size": 5, "line": {"width": 0.5,
                                                                          "color": "white"}},
            legendgroup=f"class{k}", showlegend=legend, hoverinfo="skip"))
    if flipped.any():
        traces.append(go.Scatter(
            x=x[flipped, 0], y=x[flipped, 1], mode="markers",
            name="flipped label (colour = the wrong label)",
            marker={"color": [CLASS_COLORS[k % 10] for k in noisy[flipped]], "size": 8,
                    "symbol": "x", "line": {"width": 1, "color": DARK}},
            legendgroup="flipped", showlegend=legend, hoverinfo="skip"))
    return traces


def _axis_titles(result: ClassificationResult) -> tuple[str, str]:
    """The two axis titles, "feature <column> (standardised)", in input order."""
    return tuple(f"feature {name} (standardised)" for name in result.feature_names)


def _map_layout(fig: go.Figure, result: ClassificationResult, title: str,
                height: int = 470) -> None:
    x_title, y_title = _axis_titles(result)
    fig.update_layout(title=title, height=height, **_LAYOUT)
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, scaleanchor="x")


def map_figure(result: ClassificationResult, layer: str) -> go.Figure:
    """One heatmap over the 2-D plane with the decision boundary and the training points.

    Args:
        result: a run on a 2-D toy.
        layer: "confidence" or "sigma" (UANLL only).
    """
    dmap = result.decision_map
    if dmap is None:
        raise ValueError("A decision map needs a 2-D dataset. Got digits.")
    if layer == "confidence":
        traces = _map_base(dmap, dmap.confidence, "Viridis", "confidence",
                           zmin=1.0 / result.n_classes, zmax=1.0)
        title = "Confidence max p(class | x) (bright = sure)"
    elif layer == "sigma" and dmap.sigma is not None:
        traces = _map_base(dmap, dmap.sigma, "Magma", "UANLL σ", zmin=0.0)
        title = "UANLL σ = e^(s/2) (bright = the model expects a large error)"
    else:
        raise ValueError(f"layer must be 'confidence' or, for UANLL, 'sigma'. Got {layer!r}.")
    fig = go.Figure(traces + _training_points(result))
    _map_layout(fig, result, title)
    return fig


def entropy_maps_figure(result: ClassificationResult) -> go.Figure:
    """Aleatoric (expected entropy) next to epistemic (mutual information), each its own range.

    The aleatoric map spans 0 … log K nats; mutual information is usually far smaller, so on
    the same range it would look empty: it gets 0 … its own maximum, with its own colour bar.
    """
    dmap = result.decision_map
    if dmap is None or dmap.epistemic is None:
        raise ValueError("The entropy maps need a 2-D dataset and an ensemble or MC dropout.")
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=[
        "Aleatoric: expected entropy (members agree it is noisy)",
        "Epistemic: mutual information (members disagree)"])
    tops = (float(np.log(result.n_classes)), max(float(np.max(dmap.epistemic)), 1e-6))
    for col, (z, top) in enumerate(zip((dmap.aleatoric, dmap.epistemic), tops, strict=True),
                                   start=1):
        heat, boundary = _map_base(dmap, z, "Cividis", "nats", zmin=0.0, zmax=top)
        heat.update(colorbar={"title": {"text": "nats", "side": "right"}, "len": 0.8,
                              "x": 0.43 if col == 1 else 1.0})
        boundary.update(showlegend=col == 1)
        fig.add_trace(heat, row=1, col=col)
        fig.add_trace(boundary, row=1, col=col)
        for trace in _training_points(result, legend=col == 1):
            fig.add_trace(trace, row=1, col=col)
        fig.update_xaxes(title_text=_axis_titles(result)[0], row=1, col=col)
    fig.update_yaxes(title_text=_axis_titles(result)[1], row=1, col=1)
    fig.update_layout(height=470, **_LAYOUT)
    return fig


def inspector_map_figure(result: ClassificationResult, split: Split, index: int,
                         zoom: float | None = None) -> go.Figure:
    """The confidence map with one sample (a star) and its V jittered views (small dots).

    Args:
        result: a run on a 2-D toy.
        split: "test" or "train".
        index: the sample.
        zoom: half-width of a close-up window around the sample (feature units); None shows
            the whole map.
    """
    fig = map_figure(result, "confidence")
    pred = split_of(result, split)
    views = pred.view_inputs[:, index]
    classes = pred.view_probs[:, index].argmax(axis=1)
    fig.add_trace(go.Scatter(
        x=views[1:, 0], y=views[1:, 1], mode="markers", name="its views (colour = class)",
        marker={"color": [CLASS_COLORS[k % 10] for k in classes[1:]], "size": 10,
                "line": {"width": 1.5, "color": "white"}}))
    fig.add_trace(go.Scatter(
        x=[views[0, 0]], y=[views[0, 1]], mode="markers", name=f"{split} sample {index}",
        marker={"color": CLASS_COLORS[classes[0] % 10], "size": 18, "symbol": "star",
                "line": {"width": 2, "color": DARK}}))
    title = f"{split.capitalize()} sample {index} on the confidence map"
    if zoom is not None:
        cx, cy = float(views[0, 0]), float(views[0, 1])
        fig.update_xaxes(range=[cx - zoom, cx + zoom])
        fig.update_yaxes(range=[cy - zoom, cy + zoom])
        title = f"Close-up: sample {index} (star) and its views (dots)"
    fig.update_layout(title=title)
    return fig


def noise_curves_figure(sweep: NoiseSweepResult) -> go.Figure:
    """Validation loss (top) and accuracy (bottom) per loss (columns), one line per noise rate."""
    titles = [LOSS_LABELS[loss] for loss in sweep.losses]
    fig = make_subplots(rows=2, cols=len(sweep.losses), subplot_titles=titles,
                        shared_xaxes=True, vertical_spacing=0.1, horizontal_spacing=0.07)
    for i in range(len(sweep.losses)):
        for j, rate in enumerate(sweep.rates):
            style = {"color": RATE_COLORS[j % 3], "width": 2}
            common = {"x": sweep.eval_steps, "mode": "lines", "legendgroup": f"r{j}",
                      "line": style}
            name = f"{rate:.0%} of labels flipped"
            fig.add_trace(go.Scatter(y=sweep.val_loss[i, j], name=name, showlegend=i == 0,
                                     **common), row=1, col=i + 1)
            fig.add_trace(go.Scatter(y=sweep.val_accuracy[i, j], name=name, showlegend=False,
                                     **common), row=2, col=i + 1)
        fig.update_xaxes(title_text="Adam step", row=2, col=i + 1)
    fig.update_yaxes(title_text="validation loss (own loss)", row=1, col=1)
    fig.update_yaxes(title_text="validation accuracy", row=2, col=1)
    fig.update_yaxes(tickformat=".0%", row=2)
    fig.update_yaxes(matches=f"y{len(sweep.losses) + 1}", row=2)  # one accuracy scale
    fig.update_layout(title=f"Training on {sweep.noise_kind} label noise, validated on clean "
                      "labels", height=560, **_LAYOUT)
    fig.update_layout(legend={"y": -0.12})
    return fig


def flip_histogram_figure(result: ClassificationResult) -> go.Figure:
    """How unsure the model is about training samples whose label was flipped vs kept."""
    pred = result.train
    score, name = ((pred.certainty, "UANLL certainty 1/(1+σ²)") if pred.certainty is not None
                   else (pred.confidence, "confidence (max softmax)"))
    fig = go.Figure()
    for mask, label, color in ((~result.flipped, "label kept (clean)", "#3b6fd8"),
                               (result.flipped, "label flipped (wrong)", FLIPPED_COLOR)):
        fig.add_trace(go.Histogram(x=score[mask], name=f"{label}: {int(mask.sum())} samples",
                                   histnorm="probability", nbinsx=30, opacity=0.6,
                                   marker_color=color))
    fig.update_layout(barmode="overlay", title=f"Training samples: {name} on view 0",
                      height=380, **_LAYOUT)
    fig.update_xaxes(title=name)
    fig.update_yaxes(title="share of the group's samples", tickformat=".0%")
    return fig


def coverage_figure(result: ClassificationResult,
                    marks: Mapping[str, AcceptedSubset] | None = None) -> go.Figure:
    """Accuracy on the accepted test predictions against coverage, for each rejection score.

    Args:
        result: a classification run (its ``curves``).
        marks: accepted subsets at the chosen thresholds, drawn as large markers
            ("confidence", "certainty").
    """
    accuracy = float(result.metrics["accuracy"])
    coverage = np.linspace(0.01, 1.0, 200)
    fig = go.Figure([
        go.Scatter(x=coverage, y=oracle_accuracy(coverage, accuracy), mode="lines",
                   name="best possible (every mistake rejected first)",
                   line={"color": DARK, "dash": "dot"}),
        go.Scatter(x=[0, 1], y=[accuracy, accuracy], mode="lines",
                   name=f"rejecting at random (accuracy stays {accuracy:.1%})",
                   line={"color": "#999999", "dash": "dash"}),
    ])
    for name, curve in result.curves.items():
        fig.add_trace(go.Scatter(
            x=curve.coverage, y=curve.accuracy, mode="lines",
            name=f"reject lowest {SCORE_LABELS[name]}",
            line={"color": SCORE_COLORS[name], "width": 2.5, "shape": "hv"}))
    for name, subset in (marks or {}).items():
        if name in SCORE_COLORS and subset.n_accepted:
            fig.add_trace(go.Scatter(
                x=[subset.coverage], y=[subset.accuracy], mode="markers",
                name=f"{name} threshold {subset.threshold:.2f}",
                marker={"color": SCORE_COLORS[name], "size": 14, "symbol": "diamond",
                        "line": {"width": 1.5, "color": DARK}}))
    low = min(float(min(c.accuracy.min() for c in result.curves.values())), accuracy)
    fig.update_layout(title="Reject the least trustworthy predictions: accuracy vs coverage",
                      height=480, **_LAYOUT)
    fig.update_xaxes(title="coverage: share of test predictions kept", tickformat=".0%",
                     range=[0, 1.02])
    fig.update_yaxes(title="accuracy on the kept predictions", tickformat=".0%",
                     range=[max(0.0, low - 0.05), 1.01])
    return fig
