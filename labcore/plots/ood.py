"""Figures of the OOD lab: shift curves, corruption and OOD galleries, score histograms, ROC
curves and score heatmaps over a 2-D toy.

Every builder takes a result from :mod:`labcore.experiments.ood` and returns a ``go.Figure``
with axis titles and a legend a newcomer can read. Scores are drawn with the lab's convention:
higher = looks more in-distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from labcore.data.corruptions import CORRUPTION_LABELS
from labcore.experiments.ood.run import DETECTORS, OOD_SETS, OODResult, ShiftResult, ToyOODResult
from labcore.experiments.ood.sweep import METHOD_LABELS
from labcore.plots import palette
from labcore.plots._spec import (
    axis_key,
    axis_ref,
    colorscale,
    figure,
    grid,
    merge,
    on_axes,
    scatter,
    trace,
    vrect,
)

METHOD_COLORS = palette.METHODS
SET_COLORS = palette.OOD_SETS
DETECTOR_COLORS = dict(zip(DETECTORS, palette.SERIES, strict=True))
CLASS_COLORS = list(palette.CLASSES[:4])
_LAYOUT = {  # the template, plotly_white, is set by _spec.figure
    "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.16, "xanchor": "left", "x": 0},
}
_SHIFT_PANELS = (
    ("accuracy", "Accuracy", "share of test digits correct", ".0%"),
    ("ece", "Expected calibration error", "ECE (top-label, 15 bins)", ".0%"),
    ("nll", "Negative log-likelihood", "NLL (nats per image)", ""),
    ("confidence", "Mean confidence", "mean max-softmax probability", ".0%"),
)

Spec = dict[str, Any]


def _title(text: str, **extra: Any) -> Spec:
    return {"title": {"text": text}, **extra}


def shift_figure(result: ShiftResult, corruption: str = "mean", cols: int = 2) -> go.Figure:
    """Accuracy, ECE, NLL and mean confidence against severity, one line per method.

    Args:
        result: a shift sweep.
        corruption: a corruption name, or "mean" for the average over all six.
        cols: panels per row: 2 (a 2×2 grid) or 4 (one row, for a wide, low screen).
    """
    rows = -(-len(_SHIFT_PANELS) // cols)
    layout = grid(rows, cols, [p[1] for p in _SHIFT_PANELS],
                  horizontal_spacing=0.1 if cols < 4 else 0.07, vertical_spacing=0.16)
    x_title = "corruption severity (0 = clean)" if cols < 4 else "severity (0 = clean)"
    traces = []
    for k, (metric, _, y_title, fmt) in enumerate(_SHIFT_PANELS):
        curves = result.curve(metric, corruption)
        for i, method in enumerate(result.methods):
            traces.append(on_axes(scatter(
                result.severities, curves[i], mode="lines+markers", name=METHOD_LABELS[method],
                legendgroup=method, showlegend=k == 0,
                line={"color": METHOD_COLORS[method], "width": 2.5,
                      "dash": "dot" if method == "temperature" else "solid"},
                hovertemplate=f"{METHOD_LABELS[method]}<br>severity %{{x}}: %{{y:.3f}}"
                              "<extra></extra>",
            ), k + 1))
        merge(layout, {
            axis_key("y", k + 1): _title(y_title, tickformat=fmt, rangemode="tozero"),
            axis_key("x", k + 1): _title(x_title, dtick=1),
        })
    where = ("averaged over the six corruptions" if corruption == "mean"
             else CORRUPTION_LABELS[corruption].lower())
    merge(layout, {**_title(f"Clean → heavily shifted test digits, {where}"),
                   "height": 80 + 300 * rows, **_LAYOUT})
    merge(layout, {"legend": {"y": -0.1 if rows > 1 else -0.25}})
    return figure(traces, layout)


def _mosaic(images: np.ndarray, row_gap: int, col_gap: int) -> np.ndarray:
    """(R, C, h, w) images → one array with NaN gaps: ``row_gap`` rows above each image row,
    ``col_gap`` columns between images."""
    r, c, h, w = images.shape
    out = np.full((r * (h + row_gap), c * (w + col_gap) - col_gap), np.nan)
    for i in range(r):
        for j in range(c):
            top, left = i * (h + row_gap) + row_gap, j * (w + col_gap)
            out[top: top + h, left: left + w] = images[i, j]
    return out


NARROW_COLUMNS = 6
"""The most image columns a phone's grid shows: at about 50 px an image, a note such as
"0 · 100.0%" still fits over it."""
NARROW_PLOT_PX = 340
"""The plot's width on a phone (390 px wide, less the page's and the figure's margins)."""


def _shared_word(labels: Sequence[str]) -> str:
    """The first word every label starts with, followed by a space ("severity" of "severity 0",
    "severity 1" …), or "" when they share none.

    >>> _shared_word(["severity 0", "severity 5"]), _shared_word(["a b", "c d"])
    ('severity', '')
    """
    words = {label.split(" ", 1)[0] for label in labels}
    if len(words) != 1 or not all(" " in label for label in labels):
        return ""
    return words.pop()


def _image_grid(images: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str],
                notes: np.ndarray | None, title: str, narrow: bool = False) -> go.Figure:
    """A grid of 8×8 images (ink dark on white), row and column labels, a note above each.

    ``narrow`` (a phone's width): each row's label goes above the row instead of beside it, so
    the images take the whole width; a word all column labels share becomes the axis title
    (their ticks keep the rest: "severity 0" … → "severity", 0 …); the notes are smaller, the
    colour bar lies under the grid, and at most :data:`NARROW_COLUMNS` columns are shown (the
    first), so that a note fits over its image.
    """
    if narrow:
        images, col_labels = images[:, :NARROW_COLUMNS], col_labels[:NARROW_COLUMNS]
        notes = notes[:, :NARROW_COLUMNS] if notes is not None else None
    r, c, h, w = images.shape
    row_gap = (7 if notes is not None else 4) if narrow else (4 if notes is not None else 1)
    bar = ({"orientation": "h", "len": 0.6, "thickness": 12, "y": -0.02, "yanchor": "top",
            "title": {"text": "pixel intensity", "side": "right"}} if narrow else
           {"title": {"text": "pixel<br>intensity", "side": "top"}, "len": 0.6})
    heat = trace(
        "heatmap", z=_mosaic(images, row_gap, 1), colorscale=colorscale("Greys"), zmin=0,
        zmax=1, showscale=True, colorbar=bar,
        hovertemplate="pixel intensity %{z:.2f}<extra></extra>")
    annotations: list[Spec] = []
    if notes is not None:  # one layout list instead of an add_annotation per image
        annotations = [
            {"x": j * (w + 1) + (w - 1) / 2, "y": i * (h + row_gap) + row_gap - 1.3,
             "text": str(notes[i, j]), "showarrow": False, "font": {"size": 9 if narrow else 11}}
            for i in range(r) for j in range(c)]
    shared = _shared_word(col_labels) if narrow else ""
    ticks = [label[len(shared):].strip() for label in col_labels] if shared else list(col_labels)
    x_axis: Spec = {"tickvals": [j * (w + 1) + (w - 1) / 2 for j in range(c)],
                    "ticktext": ticks, "side": "top", "showgrid": False, "zeroline": False,
                    "constrain": "domain"}
    y_axis: Spec = {"autorange": "reversed", "showgrid": False, "zeroline": False,
                    "scaleanchor": "x", "constrain": "domain"}
    if narrow:
        if shared:
            x_axis["title"] = {"text": shared, "standoff": 4}
        y_axis.update(showticklabels=False)
        annotations += [  # each row's label, left-aligned over the row's notes
            {"x": 0, "xref": "paper", "xanchor": "left", "y": i * (h + row_gap) + 1.2,
             "yanchor": "middle", "text": label, "showarrow": False, "font": {"size": 12}}
            for i, label in enumerate(row_labels)]
        # tall enough for the images to take the phone's width (scaleanchor keeps them square)
        units_px = NARROW_PLOT_PX / (c * (w + 1) - 1)
        margin, height = {"l": 8, "r": 8, "t": 110, "b": 60}, 170 + round(
            r * (h + row_gap) * units_px)
    else:
        y_axis.update(tickvals=[i * (h + row_gap) + row_gap + (h - 1) / 2 for i in range(r)],
                      ticktext=list(row_labels))
        margin, height = {"l": 150, "r": 20, "t": 80, "b": 10}, 120 + 90 * r
    layout: Spec = {"xaxis": x_axis, "yaxis": y_axis, **_title(title), "height": height,
                    "margin": margin}
    if annotations:
        layout["annotations"] = annotations
    return figure([heat], layout)


def corruption_gallery_figure(result: ShiftResult, narrow: bool = False) -> go.Figure:
    """One test digit under every corruption (rows) and severity (columns), with the first
    method's prediction and confidence above each image (``narrow``: for a phone, see
    :func:`_image_grid`)."""
    notes = np.vectorize(lambda p, q: f"{p} · {q:.1%}")(result.example_pred,
                                                        result.example_confidence)
    rows = [CORRUPTION_LABELS[c] for c in result.corruptions]
    cols = [f"severity {s}" for s in result.severities]
    return _image_grid(result.example_images, rows, cols, notes,
                       f"A test digit (a {result.example_label}) under each corruption: "
                       "predicted digit · confidence", narrow)


def ood_examples_figure(result: OODResult, narrow: bool = False) -> go.Figure:
    """Example images of the in-distribution digits and of each OOD set (one row each); the
    fooling images carry the plain network's target class and confidence (``narrow``: for a
    phone, see :func:`_image_grid`)."""
    keys = ["in", *result.ood_sets]
    images = np.stack([result.examples[k] for k in keys])
    n = images.shape[1]
    notes = np.full((len(keys), n), "", dtype=object)
    fooling_row = keys.index("fooling")
    for j in range(min(n, result.fooling.target.size)):
        notes[fooling_row, j] = (f"{result.classes[result.fooling.target[j]]} · "
                                 f"{result.fooling.confidence[j]:.1%}")
    digits = " ".join(str(c) for c in result.classes)
    labels = [f"In-distribution ({digits})", *[OOD_SETS[k] for k in result.ood_sets]]
    return _image_grid(images, labels, [f"example {j + 1}" for j in range(n)], notes,
                       "What the networks see: in-distribution digits and each OOD set", narrow)


def score_histogram_figure(result: OODResult, detector: str) -> go.Figure:
    """Histograms of one detector's score: in-distribution digits against each OOD set, with
    the threshold that keeps 95 % of in-distribution digits."""
    label = DETECTORS[detector][2]
    groups = {"in": result.scores_in[detector]} | dict(result.scores_out[detector])
    pooled = np.concatenate(list(groups.values()))
    lo, hi = float(pooled.min()), float(pooled.max())
    size = (hi - lo) / 40 if hi > lo else 1.0
    traces = []
    for key, values in groups.items():
        name = "In-distribution test digits" if key == "in" else OOD_SETS[key]
        traces.append(trace(
            "histogram", x=values, name=name, histnorm="percent", opacity=0.55,
            xbins={"start": lo, "end": hi + size, "size": size},
            marker={"color": SET_COLORS[key]},
            hovertemplate=f"{name}<br>score %{{x}}<br>%{{y:.1f}} % of the set<extra></extra>",
        ))
    threshold = result.threshold95[detector]
    # What add_vline(x, annotation_position="top right") draws: a line and its label.
    marks = {
        "shapes": [{"type": "line", "x0": threshold, "x1": threshold, "xref": "x", "y0": 0,
                    "y1": 1, "yref": "y domain", "line": {"color": palette.BLACK, "dash": "dash"}}],
        "annotations": [{"text": "threshold keeping 95 % of in-distribution digits",
                         "showarrow": False, "x": threshold, "xref": "x", "xanchor": "left",
                         "y": 1, "yref": "y domain", "yanchor": "top"}],
    }
    return figure(traces, merge(marks, {
        **_title(f"Score distributions: {label}"), "barmode": "overlay", "height": 460,
        **_LAYOUT, "xaxis": _title(f"{label} (higher = looks more in-distribution)"),
        "yaxis": _title("% of the set's images in the bin")}))


def roc_figure(result: OODResult, ood_set: str, detectors: Sequence[str]) -> go.Figure:
    """ROC curves of several detectors against one OOD set (in-distribution positive)."""
    j = result.ood_sets.index(ood_set)
    traces = [scatter([0, 1], [0, 1], mode="lines", name="chance (AUROC 0.5)",
                      line={"color": palette.BASELINE, "dash": "dash"})]
    for d in detectors:
        fpr, tpr = result.roc[d][ood_set]
        auc = result.auroc[result.detectors.index(d), j]
        traces.append(scatter(
            fpr, tpr, mode="lines", name=f"{DETECTORS[d][2]} (AUROC {auc:.2f})",
            line={"color": DETECTOR_COLORS[d], "width": 2.2, "shape": "hv"},
        ))
    # What add_hline(y=0.95, annotation_position="bottom right") draws: a line and its label.
    marks = {
        "shapes": [{"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": 0.95,
                    "y1": 0.95, "yref": "y",
                    "line": {"color": palette.BLACK, "dash": "dot", "width": 1}}],
        "annotations": [{"text": "95 % TPR", "showarrow": False, "x": 1, "xref": "x domain",
                         "xanchor": "right", "y": 0.95, "yref": "y", "yanchor": "top"}],
    }
    return figure(traces, merge(marks, {
        **_title(f"ROC: in-distribution digits vs {OOD_SETS[ood_set].lower()}"), "height": 480,
        **_LAYOUT,
        "xaxis": _title("false-positive rate (share of OOD inputs accepted)", range=[0, 1],
                        tickformat=".0%"),
        "yaxis": _title("true-positive rate (share of in-distribution digits accepted)",
                        range=[0, 1.02], tickformat=".0%")}))


def toy_figure(result: ToyOODResult, detectors: Sequence[str]) -> go.Figure:
    """Heatmaps of scores over the plane of a 2-D toy, side by side, training points on top.

    Bright means the score says "looks like the training data"; each panel has its own colour
    bar because the scores have different units.
    """
    n = len(detectors)
    layout = grid(1, n, [DETECTORS[d][2] for d in detectors], horizontal_spacing=0.2)
    traces = []
    for k, d in enumerate(detectors):
        right = layout[axis_key("x", k + 1)]["domain"][1] + 0.015
        traces.append(on_axes(trace(
            "heatmap", x=result.x_grid, y=result.y_grid, z=result.score_maps[d],
            colorscale=colorscale("Viridis"),
            colorbar={"x": right, "len": 0.8, "thickness": 12,
                      "title": {"text": "score", "side": "top"}},
            hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>score %{z:.3f}<extra></extra>",
        ), k + 1))
        for c in range(result.n_classes):
            mask = result.y_train == c
            traces.append(on_axes(scatter(
                result.x_train[mask, 0], result.x_train[mask, 1], mode="markers",
                name=f"training points, class {c}", legendgroup=f"class{c}", showlegend=k == 0,
                marker={"size": 4, "color": CLASS_COLORS[c % len(CLASS_COLORS)],
                        "line": {"width": 0.5, "color": "white"}},
                hoverinfo="skip",
            ), k + 1))
        merge(layout, {
            axis_key("x", k + 1): _title("x₁ (standardised input)", constrain="domain",
                                         range=[result.x_grid[0], result.x_grid[-1]]),
            axis_key("y", k + 1): _title("x₂ (standardised input)", constrain="domain",
                                         range=[result.y_grid[0], result.y_grid[-1]],
                                         scaleanchor=axis_ref("x", k + 1)),
        })
    merge(layout, {**_title("Scores over the input plane (bright = looks in-distribution)"),
                   "height": 440, **_LAYOUT})
    return figure(traces, layout)


def toy_profile_figure(result: ToyOODResult, detectors: Sequence[str]) -> go.Figure:
    """Mean score against distance from the centre of a 2-D toy, one panel per detector."""
    n = len(detectors)
    layout = grid(1, n, [DETECTORS[d][2] for d in detectors], horizontal_spacing=0.12)
    centres = (result.radius_edges[:-1] + result.radius_edges[1:]) / 2
    traces, shapes = [], []
    for k, d in enumerate(detectors):
        traces.append(on_axes(scatter(
            centres, result.radial_profile[d], mode="lines+markers",
            name="mean score over a ring of the plane", showlegend=k == 0,
            line={"color": DETECTOR_COLORS[d], "width": 2.5},
            hovertemplate="distance %{x:.2f} R<br>mean score %{y:.3f}<extra></extra>",
        ), k + 1))
        shapes.append(vrect(0, 1, fillcolor=palette.DATA_REGION, opacity=0.6, index=k + 1))
        merge(layout, {
            axis_key("x", k + 1): _title("distance from the centre (× data radius R)",
                                         range=[0, result.radius_edges[-1]]),
            axis_key("y", k + 1): _title("mean score in the ring"),
        })
    traces.append(scatter(  # a legend entry for the shaded band
        [None], [None], mode="markers", name="within R: where the training data lies",
        marker={"symbol": "square", "size": 12, "color": palette.DATA_REGION, "opacity": 0.6}))
    merge(layout, {"shapes": shapes,
                   **_title("The same scores against distance from the data"), "height": 400,
                   **_LAYOUT})
    merge(layout, {"legend": {"y": -0.28}, "margin": {"b": 90}})
    return figure(traces, layout)
