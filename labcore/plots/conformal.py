"""Figures of conformal prediction sets: coverage vs target, set sizes, the largest sets.

Coverage is measured on the test set; the guarantee of split conformal says it lies, on average
over random splits, between the target 1 − α and 1 − α + 1/(n + 1).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from labcore.calibration.conformal_sets import SCORES
from labcore.experiments.calibration.methods import ConformalView
from labcore.plots import _spec
from labcore.plots._spec import merge, on_axes, scatter

COLORS = {"lac": "#3b6fd8", "aps": "#e08a28", "raps": "#2a9d5c"}
COVERED_COLOR = "#3b6fd8"
MISSED_COLOR = "#d6333c"
GUIDE_COLOR = "#555555"
_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
    "legend": {"orientation": "h", "yanchor": "top", "xanchor": "left", "x": 0},
}
_BARE_AXIS = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": ""}


def coverage_figure(view: ConformalView) -> go.Figure:
    """Empirical test coverage against the target 1 − α (left) and mean set size (right).

    Left: the diagonal (coverage = target) and the finite-sample upper bound
    1 − α + 1/(n + 1); the chosen α is marked.
    """
    curve = view.curve
    target = curve.target
    layout = _spec.grid(1, 2, ("Coverage of the true label (test set)", "Mean set size (test set)"),
                        horizontal_spacing=0.1)
    traces = [
        on_axes(scatter(target, target, mode="lines", name="target: coverage = 1 − α",
                        line={"color": GUIDE_COLOR, "dash": "dash"}, hoverinfo="skip"), 1),
        on_axes(scatter(target, curve.upper_bound, mode="lines",
                        name=f"upper bound 1 − α + 1/(n + 1), n = {curve.n_cal}",
                        line={"color": GUIDE_COLOR, "dash": "dot"}, hoverinfo="skip"), 1),
    ]
    for col, values in ((1, curve.coverage), (2, curve.mean_size)):
        for name in curve.scores:
            traces.append(on_axes(scatter(
                target, values[name], mode="lines+markers", name=SCORES[name],
                line={"color": COLORS[name], "width": 2.5}, legendgroup=name,
                showlegend=col == 1,
                hovertemplate="1 − α = %{x:.2f}: %{y:.3f}<extra></extra>"), col))
    chosen = 1 - view.sets.alpha
    size_top = max(float(np.max(v)) for v in curve.mean_size.values())
    for col, (low, high) in ((1, (float(target.min()) - 0.05, 1.0)), (2, (0.0, size_top))):
        traces.append(on_axes(scatter(
            [chosen, chosen], [low, high], mode="lines", name=f"chosen α = {view.sets.alpha:g}",
            line={"color": "#222222", "width": 1.5}, legendgroup="chosen",
            showlegend=col == 1, hoverinfo="skip"), col))
    for key in _spec.axis_keys(layout, "x"):
        merge(layout[key], {"title": {"text": "target coverage 1 − α"}})
    merge(layout, {"yaxis": {"title": {"text": "fraction of test labels in their set"}},
                   "yaxis2": {"title": {"text": "classes per set (average)"},
                              "rangemode": "tozero"}})
    merge(layout, {"height": 440, **_LAYOUT,
                   "title": {"text": "Coverage and set size against the target coverage"}})
    merge(layout, {"legend": {"y": -0.22}, "margin": {"b": 130, "t": 90}})
    return _spec.figure(traces, layout)


def set_size_figure(view: ConformalView) -> go.Figure:
    """How many test points got a set of each size, split by whether it holds the label."""
    k = view.sizes_covered.shape[0]
    sizes = np.arange(k)
    traces = [
        _spec.trace("bar", x=sizes, y=view.sizes_covered, name="set holds the true label",
                    marker={"color": COVERED_COLOR},
                    hovertemplate="size %{x}: %{y} test points, label inside<extra></extra>"),
        _spec.trace("bar", x=sizes, y=view.sizes_missed, name="set misses the true label",
                    marker={"color": MISSED_COLOR},
                    hovertemplate="size %{x}: %{y} test points, label missed<extra></extra>"),
    ]
    sets = view.sets
    layout = {
        "barmode": "stack", "height": 380, **_LAYOUT,
        "title": {"text": f"Set sizes ({sets.score.upper()}, α = {sets.alpha:g}; mean "
                          f"{sets.mean_size:.2f})"},
        "xaxis": {"title": {"text": "classes in the prediction set (0 = empty set)"},
                  "tickvals": sizes.tolist()},
        "yaxis": {"title": {"text": "test points"}, "rangemode": "tozero"},
    }
    merge(layout, {"legend": {"y": -0.25}, "margin": {"b": 110}})
    return _spec.figure(traces, layout)


def largest_sets_figure(view: ConformalView, cols: int = 4) -> go.Figure:
    """The test digits with the largest sets, titled with the true label and the set (when no
    set holds two classes, the figure's title says so: the digits are the least sure ones).

    Raises:
        ValueError: the view has no images (a 2-D toy, or no config was given).
    """
    if view.images is None:
        raise ValueError("largest_sets_figure needs digit images: call conformal_view with the "
                         "run's config on the digits data. Got a view without images.")
    m = view.images.shape[0]
    cols = max(1, min(cols, m))
    rows = -(-m // cols)
    titles = [f"true {y} · set {{{', '.join(map(str, s))}}}" if s else f"true {y} · set {{}}"
              for y, s in zip(view.labels, view.members, strict=True)]
    layout = _spec.grid(rows, cols, titles, horizontal_spacing=0.02, vertical_spacing=0.12)
    for key in _spec.axis_keys(layout, "x"):
        merge(layout[key], _BARE_AXIS)
    for key in _spec.axis_keys(layout, "y"):
        merge(layout[key], _BARE_AXIS)
    traces = []
    for i in range(m):
        layout[_spec.axis_key("y", i + 1)]["scaleanchor"] = "x" if i == 0 else f"x{i + 1}"
        traces.append(on_axes(_spec.trace(
            "heatmap", z=np.asarray(view.images[i])[::-1], colorscale=_spec.colorscale("Greys"),
            zmin=0, zmax=1, showscale=False,
            hovertemplate=f"top probability {view.top_probs[i]:.2f}<br>pixel %{{z:.2f}}"
                          "<extra></extra>"), i + 1))
    for annotation in layout.get("annotations", ()):
        merge(annotation, {"font": {"size": 11}})
    # Two short lines: a plotly title does not wrap, and a phone is 390 px wide.
    if view.max_size >= 2:
        title = ("Test digits with the largest sets<br><sup>true label · classes in the set, "
                 "most probable first</sup>")
    else:  # every set holds one class or none: the least sure digits, said as such
        title = (f"The least sure test digits<br><sup>every set holds at most one class at "
                 f"α = {view.sets.alpha:g}</sup>")
    merge(layout, {"title": {"text": title},
                   "height": 80 + 190 * rows, "showlegend": False,
                   "margin": {"l": 10, "r": 10, "t": 80, "b": 10}})
    return _spec.figure(traces, layout)
