"""Figures for scene S1 (Home page): the data with the fitted model, and the NLL curve over θ.

Builders take :class:`labcore.experiments.home.run.MLEResult` /
:class:`labcore.experiments.home.run.MLEPoint` and return a
``go.Figure``; they compute nothing but axis ranges.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from labcore.experiments.home.run import MLEPoint, MLEResult
from labcore.plots import palette
from labcore.plots._spec import figure, grid, merge, scatter, trace

DATA_COLOR = palette.DATA
CURRENT_COLOR = palette.MODEL
BEST_COLOR = palette.ORANGE  # the best fit (the page calls it orange)
LOSS_COLOR = palette.REDDISH_PURPLE
TRUE_COLOR = palette.TRUTH

_LOSS_UNITS = {
    "gaussian": "units of y²",
    "laplace": "units of y",
    "bernoulli": "nats per sample",
    "categorical": "nats per sample",
}
_THETA_AXIS = {
    "gaussian": "μ, candidate centre (units of y)",
    "laplace": "μ, candidate centre (units of y)",
    "bernoulli": "λ, candidate P(y = 1)",
    "categorical": "p₀, candidate P(y = class 0)",
}
_LAYOUT = {  # the template, plotly_white, is set by _spec.figure
    "height": 420,
    "margin": {"l": 60, "r": 60, "t": 50, "b": 40},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0},
}


def _title(text: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": text}, **extra}


def sample_figure(result: MLEResult, current: MLEPoint, best: MLEPoint) -> go.Figure:
    """The observed sample with the model p(y | θ) at the slider's θ and at the best θ.

    Args:
        result: the sample and its distribution.
        current: the model at the slider's θ.
        best: the model at the NLL minimiser (closed form).

    Returns:
        Histogram + density curves (Gaussian, Laplace) or grouped bars (Bernoulli, categorical).
    """
    recipe = result.recipe
    sym = recipe.param_symbol
    n = result.sample.size
    current_name = f"model at the slider: {sym} = {current.theta:.2f}"
    best_name = f"best fit: {sym} = {recipe.closed_form_name} = {best.theta:.3f}"
    if result.frequencies.size == 0:
        traces = [
            trace("histogram", x=result.sample, histnorm="probability density",
                  name=f"data, histogram (n = {n})", marker={"color": DATA_COLOR}, opacity=0.6),
            scatter(result.sample, [0.0] * n, mode="markers",
                    marker={"symbol": "line-ns-open", "size": 14, "color": TRUE_COLOR},
                    name="each observation yᵢ"),
            scatter(current.support, current.density, mode="lines",
                    line={"color": CURRENT_COLOR, "width": 3}, name=current_name),
            scatter(best.support, best.density, mode="lines",
                    line={"color": BEST_COLOR, "width": 2, "dash": "dash"}, name=best_name),
        ]
        layout = {
            "xaxis": _title("y, observed value (units of the data)"),
            "yaxis": _title("probability density (per unit of y)", rangemode="tozero"),
            **_title("The sample and the fitted density"),
        }
    else:
        labels = [f"y = {k}" for k in result.support]
        if result.distribution == "categorical":
            labels = [f"class {k}" for k in result.support]
        traces = [
            trace("bar", x=labels, y=result.frequencies, name=f"observed fraction (n = {n})",
                  marker={"color": DATA_COLOR}),
            trace("bar", x=labels, y=current.density, name=current_name,
                  marker={"color": CURRENT_COLOR}),
            trace("bar", x=labels, y=best.density, name=best_name,
                  marker={"color": "rgba(0,0,0,0)", "line": {"color": BEST_COLOR, "width": 3}}),
        ]
        layout = {
            "barmode": "group", "xaxis": _title("y, observed outcome"),
            "yaxis": _title("probability (fraction of the sample)", range=[0, 1.05]),
            **_title("The sample and the fitted probabilities"),
        }
    return figure(traces, merge(layout, _LAYOUT))


def nll_figure(result: MLEResult, current: MLEPoint) -> go.Figure:
    """Mean NLL over θ, the familiar loss on an aligned right axis, and the key θ values.

    The right axis is aligned so that loss = (NLL − c) / a: where the mean NLL equals
    a · loss + c exactly, the dashed loss curve lies on the NLL curve.

    Args:
        result: the NLL and loss curves on the grid and the minimisers.
        current: the slider's θ and its mean NLL.

    Returns:
        A figure with a left axis in nats per sample and a right axis in the loss's units.
    """
    recipe = result.recipe
    sym = recipe.param_symbol
    lo, hi = float(result.mean_nll.min()), float(result.mean_nll.max())
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    lo, hi = lo - pad, hi + pad
    a, c = result.loss_scale, result.loss_offset

    left, right = {"xaxis": "x", "yaxis": "y"}, {"xaxis": "x", "yaxis": "y2"}
    traces = [
        scatter(result.grid, result.mean_nll, mode="lines",
                line={"color": CURRENT_COLOR, "width": 4}, name="mean NLL (left axis)", **left),
        scatter(result.grid, result.mean_loss, mode="lines",
                line={"color": LOSS_COLOR, "width": 2, "dash": "dash"},
                name=f"{recipe.loss_name} (right axis)", **right),
        scatter([result.true_param, result.true_param], [lo, hi], mode="lines",
                line={"color": TRUE_COLOR, "width": 1, "dash": "dot"},
                name=f"true {sym} = {result.true_param:.2f} (data were drawn with it)", **left),
        scatter([result.closed_form, result.closed_form], [lo, hi], mode="lines",
                line={"color": BEST_COLOR, "width": 2, "dash": "dash"},
                name=f"{recipe.closed_form_name} = {result.closed_form:.3f}", **left),
        scatter([result.grid_minimiser], [float(result.mean_nll.min())], mode="markers",
                marker={"symbol": "star", "size": 16, "color": BEST_COLOR},
                name=f"lowest NLL on the grid: {sym} = {result.grid_minimiser:.3f}", **left),
        scatter([current.theta], [current.mean_nll], mode="markers",
                marker={"symbol": "circle", "size": 12, "color": CURRENT_COLOR,
                        "line": {"color": "white", "width": 2}},
                name=f"slider: {sym} = {current.theta:.2f}, NLL = {current.mean_nll:.3f}",
                **left),
    ]
    layout = grid(specs=[[{"secondary_y": True}]])
    merge(layout, {
        "xaxis": _title(_THETA_AXIS[result.distribution]),
        "yaxis": _title("mean NLL (nats per sample)", range=[lo, hi]),
        "yaxis2": _title(f"{recipe.loss_name} ({_LOSS_UNITS[result.distribution]})",
                         range=[(lo - c) / a, (hi - c) / a], showgrid=False, tickmode="auto"),
        **_title(f"Mean NLL and {recipe.loss_name} over {sym}"), **_LAYOUT})
    return figure(traces, merge(layout, {"height": 480}))
