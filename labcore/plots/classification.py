"""Figures of the Classification lab: digits and their views, decision maps, the noise sweep,
flipped-label histograms and accuracy–coverage curves.

Every builder takes results from :mod:`labcore.experiments.classification` (and the report's
numbers) and returns a ``go.Figure`` with axis titles and a legend a newcomer can read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from labcore.experiments.classification.report import (
    SCORE_LABELS,
    Split,
    class_label,
    split_of,
)
from labcore.experiments.classification.run import ClassificationResult, DecisionMap
from labcore.experiments.classification.sweep import NoiseSweepResult
from labcore.models.classifier import LOSS_LABELS
from labcore.plots import _spec, palette
from labcore.plots._spec import merge, on_axes, plain_text, scatter
from labcore.uncertainty.selective import AcceptedSubset, oracle_accuracy

CLASS_COLORS = palette.CLASSES
SCORE_COLORS = {"confidence": palette.METHODS["plain"], "certainty": palette.METHODS["uanll"],
                "view_agreement": palette.METHODS["tta"],
                "members_agree": palette.METHODS["ensemble"]}
RATE_COLORS = (palette.BLUISH_GREEN, palette.ORANGE, palette.VERMILLION)
FLIPPED_COLOR = palette.VERMILLION
DARK = palette.BLACK

_LAYOUT = {  # the template, plotly_white, is set by _spec.figure
    "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0},
}
_BARE_AXIS = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": ""}

Spec = dict[str, Any]


def _layout(**extra: Any) -> Spec:
    """A fresh copy of the common layout, updated with ``extra`` (deep-merged)."""
    return merge(merge({}, _LAYOUT), extra)


def _title(text: str, **extra: Any) -> Spec:
    return {"title": {"text": text}, **extra}


def _image(values: np.ndarray, shape: tuple[int, int]) -> Spec:
    """An image as a grey heatmap, row 0 at the top, ink dark on white."""
    return _spec.trace("heatmap", z=np.asarray(values).reshape(shape)[::-1],
                       colorscale=_spec.colorscale("Greys"),
                       zmin=0, zmax=1, showscale=False,
                       hovertemplate="pixel value %{z:.2f}<extra></extra>")


def digit_figure(result: ClassificationResult, split: Split, index: int) -> go.Figure:
    """One 8×8 digit (view 0, the input itself) as a grey image without axis clutter."""
    x = split_of(result, split).view_inputs[0, index]
    return _spec.figure([_image(x, result.image_shape)], {
        "xaxis": dict(_BARE_AXIS), "yaxis": {**_BARE_AXIS, "scaleanchor": "x"},
        **_title(f"{split.capitalize()} sample {index} (8×8 pixels, ink = dark)"),
        "height": 340, "width": 340, "margin": {"l": 10, "r": 10, "t": 50, "b": 10}})


def views_figure(result: ClassificationResult, split: Split, index: int) -> go.Figure:
    """Every view of one digit in a row, each titled with the class the model gave it."""
    pred = split_of(result, split)
    views = pred.view_inputs[:, index]
    classes = pred.view_probs[:, index].argmax(axis=1)
    n_views = views.shape[0]
    cols = min(n_views, 8)
    rows = -(-n_views // cols)
    titles = [f"view {v}{' (input)' if v == 0 else ''}: {classes[v]}" for v in range(n_views)]
    layout = _spec.grid(rows, cols, titles, horizontal_spacing=0.01, vertical_spacing=0.08)
    for key in _spec.axis_keys(layout, "x"):
        merge(layout[key], _BARE_AXIS)
    for key in _spec.axis_keys(layout, "y"):
        merge(layout[key], {**_BARE_AXIS, "scaleanchor": "x"})
    for v in range(n_views):  # keep every small image square (subplot v + 1, row by row)
        layout[_spec.axis_key("y", v + 1)]["scaleanchor"] = _spec.axis_ref("x", v + 1)
    for annotation in layout.get("annotations", ()):
        merge(annotation, {"font": {"size": 11}})
    merge(layout, {**_title("The views the model saw (title: its predicted class)"),
                   "height": 60 + 150 * rows, "showlegend": False,
                   "margin": {"l": 10, "r": 10, "t": 70, "b": 10}})
    return _spec.figure([on_axes(_image(views[v], result.image_shape), v + 1)
                         for v in range(n_views)], layout)


def _map_base(dmap: DecisionMap, z: np.ndarray, scale: str, bar_title: str,
              zmin: float | None = None, zmax: float | None = None) -> list[Spec]:
    """A heatmap of ``z`` over the grid with the class boundaries drawn as black lines."""
    heat = _spec.trace("heatmap", x=dmap.x1, y=dmap.x2, z=z, colorscale=_spec.colorscale(scale),
                       zmin=zmin, zmax=zmax,
                       colorbar={"title": {"text": bar_title, "side": "right"}, "len": 0.8},
                       hovertemplate="x1 %{x:.2f}, x2 %{y:.2f}<br>" + bar_title
                       + " %{z:.3f}<extra></extra>")
    n_classes = int(dmap.classes.max()) + 1
    boundary = _spec.trace(
        "contour", x=dmap.x1, y=dmap.x2, z=dmap.classes, showscale=False, hoverinfo="skip",
        contours={"coloring": "none", "start": 0.5, "end": max(n_classes - 1.5, 0.5),
                  "size": 1},
        line={"color": DARK, "width": 2}, name="decision boundary", showlegend=True)
    return [heat, boundary]


def _training_points(result: ClassificationResult, legend: bool = True) -> list[Spec]:
    """Training points coloured by the label the model was given; flipped ones as ✕."""
    return _labelled_points(result.x_train, result.y_train_noisy, result.flipped,
                            result.n_classes, functools.partial(class_label, result), legend)


def _labelled_points(x: np.ndarray, noisy: np.ndarray, flipped: np.ndarray, n_classes: int,
                     name: Callable[[int], str] = str, legend: bool = True) -> list[Spec]:
    """Points (n, 2) coloured by their given label ``noisy``; those in ``flipped`` as ✕."""
    traces = []
    for k in range(n_classes):
        keep = (noisy == k) & ~flipped
        traces.append(scatter(
            x[keep, 0], x[keep, 1], mode="markers",
            name=f"training label {plain_text(name(k))}",  # a user's label, shown as text
            marker={"color": CLASS_COLORS[k % 10], "size": 5, "line": {"width": 0.5,
                                                                          "color": "white"}},
            legendgroup=f"class{k}", showlegend=legend, hoverinfo="skip"))
    if flipped.any():
        traces.append(scatter(
            x[flipped, 0], x[flipped, 1], mode="markers",
            name="flipped label (colour = the wrong label)",
            marker={"color": [CLASS_COLORS[k % 10] for k in noisy[flipped]], "size": 8,
                    "symbol": "x", "line": {"width": 1, "color": DARK}},
            legendgroup="flipped", showlegend=legend, hoverinfo="skip"))
    return traces


def _axis_titles(result: ClassificationResult) -> tuple[str, str]:
    """The two axis titles, "feature <column> (standardised)", in input order (a user's column
    names shown as text)."""
    return tuple(f"feature {plain_text(name)} (standardised)" for name in result.feature_names)


def _map_spec(result: ClassificationResult, layer: str) -> tuple[list[Spec], Spec]:
    """The traces and layout of :func:`map_figure`."""
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
    x_title, y_title = _axis_titles(result)
    layout = _layout(**_title(title), height=470, xaxis=_title(x_title),
                     yaxis=_title(y_title, scaleanchor="x"))
    return traces + _training_points(result), layout


def map_figure(result: ClassificationResult, layer: str) -> go.Figure:
    """One heatmap over the 2-D plane with the decision boundary and the training points.

    Args:
        result: a run on a 2-D toy.
        layer: "confidence" or "sigma" (UANLL only).
    """
    return _spec.figure(*_map_spec(result, layer))


def entropy_maps_figure(result: ClassificationResult) -> go.Figure:
    """Aleatoric (expected entropy) next to epistemic (mutual information), each its own range.

    The aleatoric map spans 0 … log K nats; mutual information is usually far smaller, so on
    the same range it would look empty: it gets 0 … its own maximum, with its own colour bar.
    """
    dmap = result.decision_map
    if dmap is None or dmap.epistemic is None:
        raise ValueError("The entropy maps need a 2-D dataset and an ensemble or MC dropout.")
    layout = _spec.grid(1, 2, [
        "Aleatoric: expected entropy (members agree it is noisy)",
        "Epistemic: mutual information (members disagree)"], horizontal_spacing=0.14)
    x_title, y_title = _axis_titles(result)
    tops = (float(np.log(result.n_classes)), max(float(np.max(dmap.epistemic)), 1e-6))
    traces = []
    for col, (z, top) in enumerate(zip((dmap.aleatoric, dmap.epistemic), tops, strict=True),
                                   start=1):
        heat, boundary = _map_base(dmap, z, "Cividis", "nats", zmin=0.0, zmax=top)
        merge(heat, {"colorbar": {"title": {"text": "nats", "side": "right"}, "len": 0.8,
                                  "x": 0.43 if col == 1 else 1.0}})
        boundary["showlegend"] = col == 1
        traces += [on_axes(t, col) for t in
                   [heat, boundary, *_training_points(result, legend=col == 1)]]
        merge(layout, {_spec.axis_key("x", col): _title(x_title)})
    merge(layout, {"yaxis": _title(y_title), "height": 470, **_LAYOUT,
                   **_title("Where the uncertainty is aleatoric and where it is epistemic")})
    merge(layout, {"margin": {"t": 90}})
    return _spec.figure(traces, layout)


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
    traces, layout = _map_spec(result, "confidence")
    pred = split_of(result, split)
    views = pred.view_inputs[:, index]
    classes = pred.view_probs[:, index].argmax(axis=1)
    traces.append(scatter(
        views[1:, 0], views[1:, 1], mode="markers", name="its views (colour = class)",
        marker={"color": [CLASS_COLORS[k % 10] for k in classes[1:]], "size": 10,
                "line": {"width": 1.5, "color": "white"}}))
    traces.append(scatter(
        [views[0, 0]], [views[0, 1]], mode="markers", name=f"{split} sample {index}",
        marker={"color": CLASS_COLORS[classes[0] % 10], "size": 18, "symbol": "star",
                "line": {"width": 2, "color": DARK}}))
    title = f"{split.capitalize()} sample {index} on the confidence map"
    if zoom is not None:
        cx, cy = float(views[0, 0]), float(views[0, 1])
        merge(layout, {"xaxis": {"range": [cx - zoom, cx + zoom]},
                       "yaxis": {"range": [cy - zoom, cy + zoom]}})
        title = f"Close-up: sample {index} (star) and its views (dots)"
    merge(layout, _title(title))
    return _spec.figure(traces, layout)


def noise_curves_figure(sweep: NoiseSweepResult) -> go.Figure:
    """Validation loss (top) and accuracy (bottom) per loss (columns), one line per noise rate."""
    n = len(sweep.losses)
    layout = _spec.grid(2, n, [LOSS_LABELS[loss] for loss in sweep.losses], shared_xaxes=True,
                        vertical_spacing=0.1, horizontal_spacing=0.07)
    traces = []
    for i in range(n):
        for j, rate in enumerate(sweep.rates):
            style = {"color": RATE_COLORS[j % 3], "width": 2}
            common = {"x": sweep.eval_steps, "mode": "lines", "legendgroup": f"r{j}",
                      "line": style}
            name = f"{rate:.0%} of labels flipped"
            traces.append(on_axes(_spec.trace("scatter", y=sweep.val_loss[i, j], name=name,
                                              showlegend=i == 0, **common), i + 1))
            traces.append(on_axes(_spec.trace("scatter", y=sweep.val_accuracy[i, j], name=name,
                                              showlegend=False, **common), n + i + 1))
        merge(layout, {_spec.axis_key("x", n + i + 1): _title("Adam step")})
    merge(layout, {"yaxis": _title("validation loss (own loss)"),
                   _spec.axis_key("y", n + 1): _title("validation accuracy")})
    for col in range(1, n + 1):  # one accuracy scale: every lower panel matches the first
        merge(layout[_spec.axis_key("y", n + col)], {"tickformat": ".0%", "matches": f"y{n + 1}"})
    merge(layout, {**_title(f"Training on {sweep.noise_kind} label noise, validated on clean "
                            "labels"), "height": 560, **_LAYOUT})
    merge(layout, {"legend": {"y": -0.12}})
    return _spec.figure(traces, layout)


def flip_histogram_figure(result: ClassificationResult, score: np.ndarray | None = None,
                          name: str | None = None) -> go.Figure:
    """A score of the training samples whose label was flipped vs kept.

    ``score`` (one value per training sample) and its axis ``name`` default to UANLL
    certainty (confidence without UANLL).
    """
    pred = result.train
    if score is None:
        score, name = ((pred.certainty, "UANLL certainty 1/(1+σ²)")
                       if pred.certainty is not None
                       else (pred.confidence, "confidence (max softmax)"))
    traces = [
        _spec.trace("histogram", x=score[mask], name=f"{label}: {int(mask.sum())} samples",
                    histnorm="probability", nbinsx=30, opacity=0.6, marker={"color": color})
        for mask, label, color in ((~result.flipped, "label kept (clean)", palette.BLUE),
                                   (result.flipped, "label flipped (wrong)", FLIPPED_COLOR))]
    return _spec.figure(traces, _layout(
        barmode="overlay", **_title(f"Training samples: {name} on view 0"), height=380,
        xaxis=_title(name), yaxis=_title("share of the group's samples", tickformat=".0%")))


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
    traces = [
        scatter(coverage, oracle_accuracy(coverage, accuracy), mode="lines",
                name="best possible (every mistake rejected first)",
                line={"color": DARK, "dash": "dot"}),
        scatter([0, 1], [accuracy, accuracy], mode="lines",
                name=f"rejecting at random (accuracy stays {accuracy:.1%})",
                line={"color": palette.BASELINE, "dash": "dash"}),
    ]
    for name, curve in result.curves.items():
        traces.append(scatter(
            curve.coverage, curve.accuracy, mode="lines",
            name=f"reject lowest {SCORE_LABELS[name]}",
            line={"color": SCORE_COLORS[name], "width": 2.5, "shape": "hv"}))
    for name, subset in (marks or {}).items():
        if name in SCORE_COLORS and subset.n_accepted:
            traces.append(scatter(
                [subset.coverage], [subset.accuracy], mode="markers",
                name=f"{name} threshold {subset.threshold:.2f}",
                marker={"color": SCORE_COLORS[name], "size": 14, "symbol": "diamond",
                        "line": {"width": 1.5, "color": DARK}}))
    low = min(float(min(c.accuracy.min() for c in result.curves.values())), accuracy)
    return _spec.figure(traces, _layout(
        **_title("Reject the least trustworthy predictions: accuracy vs coverage"), height=480,
        xaxis=_title("coverage: share of test predictions kept", tickformat=".0%",
                     range=[0, 1.02]),
        yaxis=_title("accuracy on the kept predictions", tickformat=".0%",
                     range=[max(0.0, low - 0.05), 1.01])))
