"""Figures of the Regression lab: bands, σ(x), calibration, training curves, comparisons, sweep.

Every builder takes a result from :mod:`labcore.experiments.regression` and returns a
``go.Figure`` with axis titles and a legend a newcomer can read. Bands are ±2σ (≈ 95 %).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from labcore.experiments.regression.run import RegressionResult
from labcore.experiments.regression.sweep import SizeSweepResult
from labcore.plots._spec import axis_key, figure, grid, merge, on_axes, scatter, vrect

TRUE_COLOR = "#222222"
DATA_COLOR = "#555555"
ADDED_COLOR = "#d6336c"
MEAN_COLOR = "#3b6fd8"
ALEATORIC_COLOR = "rgba(240, 140, 40, 0.28)"
EPISTEMIC_COLOR = "rgba(59, 111, 216, 0.35)"
TOTAL_COLOR = "rgba(120, 120, 140, 0.18)"
CONFORMAL_COLOR = "#2a9d5c"
BANDS = ("total", "aleatoric", "epistemic", "conformal", "truth", "members")

_LAYOUT = {  # the template, plotly_white, is set by _spec.figure
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
    "hovermode": "x unified",
}


def _layout(**extra: Any) -> dict[str, Any]:
    """A fresh copy of the common layout, updated with ``extra`` (deep-merged)."""
    return merge(merge({}, _LAYOUT), extra)


def _title(text: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": text}, **extra}


def _band(x: np.ndarray, lower: np.ndarray, upper: np.ndarray, color: str, name: str,
          group: str, show_legend: bool = True) -> list[dict[str, Any]]:
    """A filled band between two curves, as two traces sharing a legend entry."""
    return [
        scatter(x, upper, mode="lines", line={"width": 0}, hoverinfo="skip", legendgroup=group,
                showlegend=False),
        scatter(x, lower, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=color,
                name=name, legendgroup=group, showlegend=show_legend, hoverinfo="skip"),
    ]


def _shade_regions(result: RegressionResult, index: int = 1) -> list[dict[str, Any]]:
    """Grey outside the training range, hatched-looking gap: where there was no data.

    The shapes of subplot ``index`` (one layout list instead of an ``add_vrect`` per region).
    """
    lo, hi = result.data_range
    shapes = [vrect(x0, x1, fillcolor="#eeeeee", opacity=0.6, index=index)
              for x0, x1 in ((result.x_grid[0], lo), (hi, result.x_grid[-1]))]
    if result.gap is not None:
        shapes.append(vrect(result.gap[0], result.gap[1], fillcolor="#f4e9d8", opacity=0.7,
                            index=index))
    return shapes


def _y_range(result: RegressionResult) -> list[float]:
    """A y range that shows the data, the truth and the bands where there is data.

    Beyond the data (grey) the curves may leave the plot: a cubic's extrapolation would
    otherwise squash everything inside the data range into a line.
    """
    inside = (result.x_grid >= result.data_range[0]) & (result.x_grid <= result.data_range[1])
    parts = [result.y_train, (result.pred_mean + 2.5 * result.total_std)[inside],
             (result.pred_mean - 2.5 * result.total_std)[inside]]
    if result.true_mean is not None:
        parts += [(result.true_mean + 2 * result.true_std)[inside],
                  (result.true_mean - 2 * result.true_std)[inside]]
    lo = float(min(np.min(p) for p in parts))
    hi = float(max(np.max(p) for p in parts))
    pad = 0.1 * (hi - lo)
    return [lo - pad, hi + pad]


def band_traces(result: RegressionResult, show: Collection[str], legend: bool = True
                ) -> list[dict[str, Any]]:
    """The traces (specs) of the band figure, reused by the side-by-side comparisons."""
    x, mu = result.x_grid, result.pred_mean
    traces: list[dict[str, Any]] = []
    if "total" in show:
        traces += _band(x, mu - 2 * result.total_std, mu + 2 * result.total_std, TOTAL_COLOR,
                        "total ±2σ (aleatoric + epistemic)", "total", legend)
    if "aleatoric" in show:
        traces += _band(x, mu - 2 * result.aleatoric_std, mu + 2 * result.aleatoric_std,
                        ALEATORIC_COLOR, "aleatoric ±2σ (noise in y)", "aleatoric", legend)
    if "epistemic" in show:
        traces += _band(x, mu - 2 * result.epistemic_std, mu + 2 * result.epistemic_std,
                        EPISTEMIC_COLOR, "epistemic ±2σ (model doubt)", "epistemic", legend)
    if "members" in show and result.member_means.shape[0] > 1:
        for i, member in enumerate(result.member_means[:20]):
            traces.append(scatter(
                x, member, mode="lines", line={"color": MEAN_COLOR, "width": 0.7},
                opacity=0.35, name="each member / dropout sample", legendgroup="members",
                showlegend=legend and i == 0, hoverinfo="skip"))
    if "conformal" in show:
        for i, edge in enumerate((result.conformal_lower, result.conformal_upper)):
            traces.append(scatter(
                x, edge, mode="lines", line={"color": CONFORMAL_COLOR, "dash": "dot"},
                name="conformal 95 % band", legendgroup="conformal",
                showlegend=legend and i == 0))
    if "truth" in show and result.true_mean is not None:
        traces.append(scatter(x, result.true_mean, mode="lines", name="true mean f(x)",
                              line={"color": TRUE_COLOR, "dash": "dash"}, legendgroup="truth",
                              showlegend=legend))
        for i, sign in enumerate((-2, 2)):
            traces.append(scatter(
                x, result.true_mean + sign * result.true_std, mode="lines",
                line={"color": TRUE_COLOR, "dash": "dot", "width": 1}, name="true ±2σ(x)",
                legendgroup="truth2", showlegend=legend and i == 0))
    traces.append(scatter(x, mu, mode="lines", name="predicted mean",
                          line={"color": MEAN_COLOR, "width": 2.5}, legendgroup="mean",
                          showlegend=legend))
    traces.append(scatter(result.x_train, result.y_train, mode="markers",
                          name="training data", legendgroup="data", showlegend=legend,
                          marker={"color": DATA_COLOR, "size": 6, "opacity": 0.8}))
    if result.x_added.size:
        traces.append(scatter(result.x_added, result.y_added, mode="markers",
                              name="added points", legendgroup="added", showlegend=legend,
                              marker={"color": ADDED_COLOR, "size": 6, "symbol": "diamond"}))
    return traces


def bands_figure(result: RegressionResult, show: Collection[str] = BANDS,
                 title: str = "Prediction with uncertainty bands") -> go.Figure:
    """Data, truth and the predicted mean with toggleable ±2σ bands.

    Args:
        result: a regression run.
        show: any of "total", "aleatoric", "epistemic", "conformal", "truth", "members".
        title: the figure title.
    """
    return figure(band_traces(result, show), _layout(
        shapes=_shade_regions(result), **_title(title), height=480,
        xaxis=_title("x (input; grey = no training data)"),
        yaxis=_title("y (output, units of the data)", range=_y_range(result))))


def side_by_side_figure(results: Sequence[RegressionResult], titles: Sequence[str],
                        show: Collection[str] = ("total", "epistemic", "aleatoric", "truth")
                        ) -> go.Figure:
    """Two or more runs on the same data next to each other, same axes."""
    layout = grid(1, len(results), list(titles), shared_yaxes=True, horizontal_spacing=0.04)
    traces, shapes = [], []
    for col, result in enumerate(results, start=1):
        traces += [on_axes(trace, col) for trace in band_traces(result, show, legend=col == 1)]
        shapes += _shade_regions(result, col)
        merge(layout, {axis_key("x", col): _title("x (input)")})
    merge(layout, {"yaxis": _title("y (output)", range=_y_range(results[0])), "shapes": shapes,
                   "height": 460, **_LAYOUT})
    return figure(traces, layout)


def sigma_figure(result: RegressionResult) -> go.Figure:
    """Predicted aleatoric and epistemic σ(x) against the true noise σ(x)."""
    x = result.x_grid
    traces = [
        scatter(x, result.aleatoric_std, mode="lines", name="predicted aleatoric σ(x)",
                line={"color": "#e08a28", "width": 2.5}),
        scatter(x, result.epistemic_std, mode="lines", name="predicted epistemic σ(x)",
                line={"color": MEAN_COLOR, "width": 2.5}),
    ]
    top = float(max(np.quantile(result.aleatoric_std, 0.9),
                    np.quantile(result.epistemic_std, 0.9)))
    if result.true_std is not None:
        traces.append(scatter(x, result.true_std, mode="lines", name="true noise σ(x)",
                              line={"color": TRUE_COLOR, "dash": "dash"}))
        top = max(top, float(np.max(result.true_std)))
    return figure(traces, _layout(
        shapes=_shade_regions(result), **_title("Standard deviation: learned vs true"),
        height=380, xaxis=_title("x (input; grey = no training data)"),
        yaxis=_title("σ (units of y)", range=[0, 1.4 * top])))


def calibration_figure(result: RegressionResult) -> go.Figure:
    """Observed coverage of central intervals against the level they claim (held-out data)."""
    return figure([
        scatter([0, 1], [0, 1], mode="lines", name="perfectly calibrated",
                line={"color": TRUE_COLOR, "dash": "dash"}),
        scatter(result.calibration_expected, result.calibration_observed,
                mode="lines+markers", name="this model (test data)",
                line={"color": MEAN_COLOR, "width": 2.5}),
    ], _layout(
        **_title("Calibration of the predictive intervals"), height=380,
        xaxis=_title("claimed coverage of the central interval", range=[0, 1],
                     tickformat=".0%"),
        yaxis=_title("observed fraction of test points inside", range=[0, 1],
                     tickformat=".0%")))


def training_figure(result: RegressionResult) -> go.Figure:
    """Training loss per step and validation loss per evaluation (mean over members)."""
    steps = np.arange(1, result.train_loss.shape[0] + 1)
    traces = [scatter(steps, result.train_loss.mean(axis=1), mode="lines",
                      name="training loss", line={"color": MEAN_COLOR})]
    if result.val_loss.size:
        traces.append(scatter(result.eval_steps, result.val_loss.mean(axis=1),
                              mode="lines+markers", name="validation loss",
                              line={"color": "#e08a28"}, marker={"size": 4}))
    return figure(traces, _layout(
        **_title("Training curves"), height=360, xaxis=_title("Adam step"),
        yaxis=_title("loss (standardised y; mean over networks)")))


def sweep_figure(sweep: SizeSweepResult) -> go.Figure:
    """Mean aleatoric and epistemic σ against the number of training points (log x)."""
    return figure([
        scatter(sweep.sizes, sweep.aleatoric_std, mode="lines+markers",
                name="aleatoric σ (mean over [−4, 4])", line={"color": "#e08a28", "width": 2.5}),
        scatter(sweep.sizes, sweep.epistemic_std, mode="lines+markers",
                name="epistemic σ (mean over [−4, 4])",
                line={"color": MEAN_COLOR, "width": 2.5}),
        scatter([sweep.sizes[0], sweep.sizes[-1]], [sweep.true_std] * 2, mode="lines",
                name="true noise σ (mean over [−4, 4])",
                line={"color": TRUE_COLOR, "dash": "dash"}),
    ], _layout(
        **_title("More data: which uncertainty shrinks?"), height=400,
        xaxis=_title("training points n (log scale)", type="log"),
        yaxis=_title("σ (units of y)", rangemode="tozero")))
