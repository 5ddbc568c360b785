"""Figures of the Regression lab: bands, σ(x), calibration, training curves, comparisons, sweep.

Every builder takes a result from :mod:`labcore.experiments.regression` and returns a
``go.Figure`` with axis titles and a legend a newcomer can read. Bands are ±2σ (≈ 95 %).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from labcore.experiments.regression.live import LiveScene
from labcore.experiments.regression.run import RegressionResult
from labcore.experiments.regression.sweep import SizeSweepResult
from labcore.plots import palette
from labcore.plots._spec import axis_key, figure, grid, merge, on_axes, scatter, vrect

TRUE_COLOR = palette.TRUTH
DATA_COLOR = palette.DATA
ADDED_COLOR = palette.ADDED
MEAN_COLOR = palette.MODEL
ALEATORIC_COLOR = palette.rgba(palette.ALEATORIC, 0.3)
EPISTEMIC_COLOR = palette.rgba(palette.EPISTEMIC, 0.4)
TOTAL_COLOR = palette.rgba(palette.TOTAL, 0.2)
CONFORMAL_COLOR = palette.CONFORMAL
CQR_COLOR = palette.REDDISH_PURPLE  # the quantile network and its CQR band
QUANTILE_FILL = palette.rgba(palette.REDDISH_PURPLE, 0.18)
GP_COLOR = palette.WINE  # the Gaussian-process reference
BANDS = ("total", "aleatoric", "epistemic", "conformal", "quantile", "gp", "truth", "members")

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
    shapes = [vrect(x0, x1, fillcolor=palette.NO_DATA, opacity=0.6, index=index)
              for x0, x1 in ((result.x_grid[0], lo), (hi, result.x_grid[-1]))]
    if result.gap is not None:
        shapes.append(vrect(result.gap[0], result.gap[1], fillcolor=palette.NO_DATA, opacity=0.7,
                            index=index))
    return shapes


BAND_ROOM = 0.5
"""How far the predicted bands may reach past the data and the truth, as a fraction of their
span on each side: enough for an ensemble's band to open up beyond the data, not enough for one
wild member (or an early, unfitted training step) to squash the rest of the chart."""


def _finite(parts: Sequence[np.ndarray]) -> np.ndarray:
    values = np.concatenate([np.ravel(p) for p in parts]) if parts else np.empty(0)
    return values[np.isfinite(values)]


def y_limits(reference: Sequence[np.ndarray], bands: Sequence[np.ndarray] = (),
             room: float = BAND_ROOM, pad: float = 0.05) -> list[float]:
    """A y range holding every ``reference`` value and the ``bands`` up to ``room`` past them.

    With the reference spanning [lo, hi] and s = hi − lo, the range is the reference widened to
    the bands' extremes, but to at most [lo − room·s, hi + room·s], then padded by ``pad`` of its
    height on each side (non-finite values are ignored).

    >>> y_limits([np.array([0.0, 10.0])], [np.array([-2.0, 30.0])])  # 30 is cut at 10 + 5
    [-2.85, 15.85]
    """
    ref = _finite(reference)
    lo, hi = float(ref.min()), float(ref.max())
    span = hi - lo or 1.0
    band = _finite(bands)
    if band.size:
        lo = min(lo, max(float(band.min()), lo - room * span))
        hi = max(hi, min(float(band.max()), hi + room * span))
    margin = pad * (hi - lo)
    return [lo - margin, hi + margin]


def _y_range(*results: RegressionResult) -> list[float]:
    """A y range that shows the data, the truth and the bands over the whole grid.

    The reference is the data and the truth ± 2σ(x) over the whole plotted x range (beyond the
    data too: a cubic's truth keeps climbing there, and the point of Lakshminarayanan et al.'s
    figure is the ensemble's band opening up beside it); the predicted ±2σ bands may reach
    :data:`BAND_ROOM` of that span further (:func:`y_limits`).
    """
    reference, bands = [], []
    for result in results:
        reference.append(result.y_train)
        if result.true_mean is not None:
            reference += [result.true_mean - 2 * result.true_std,
                          result.true_mean + 2 * result.true_std]
        bands += [result.pred_mean - 2 * result.total_std, result.pred_mean + 2 * result.total_std]
        if result.quantile is not None:
            bands += [result.quantile.cqr_lower, result.quantile.cqr_upper]
        if result.gp is not None:
            bands += [result.gp.mean - 2 * result.gp.std, result.gp.mean + 2 * result.gp.std]
    return y_limits(reference, bands)


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
    if "quantile" in show and result.quantile is not None:
        traces += _interval_traces(result, legend)
    if "gp" in show and result.gp is not None:
        gp = result.gp
        for i, sign in enumerate((-2, 2)):
            traces.append(scatter(
                x, gp.mean + sign * gp.std, mode="lines",
                line={"color": GP_COLOR, "dash": "dash", "width": 1.5},
                name="Gaussian process: epistemic ±2σ (the Bayesian yardstick)",
                legendgroup="gp", showlegend=legend and i == 0))
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


def _interval_traces(result: RegressionResult, legend: bool) -> list[dict[str, Any]]:
    """The quantile network's band (filled), CQR's edges (solid) and the constant band's."""
    q, x = result.quantile, result.x_grid
    level = f"{q.level:.0%}"
    traces = _band(x, q.lower, q.upper, QUANTILE_FILL,
                   f"quantile network {level} (pinball loss, uncalibrated)", "quantile", legend)
    for i, edge in enumerate((q.cqr_lower, q.cqr_upper)):
        traces.append(scatter(x, edge, mode="lines", line={"color": CQR_COLOR, "width": 2},
                              name=f"CQR {level} band (quantiles + conformal)",
                              legendgroup="cqr", showlegend=legend and i == 0))
    for i, edge in enumerate((q.constant_lower, q.constant_upper)):
        traces.append(scatter(x, edge, mode="lines",
                              line={"color": CONFORMAL_COLOR, "dash": "dashdot", "width": 1.5},
                              name=f"constant-width conformal {level} band (μ ± q)",
                              legendgroup="constant", showlegend=legend and i == 0))
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
    merge(layout, {"yaxis": _title("y (output)", range=_y_range(*results)), "shapes": shapes,
                   "height": 460, **_LAYOUT, **_title("The same data, each model's bands")})
    merge(layout, {"margin": {"t": 80}})
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
    if result.gp is not None:
        traces += [
            scatter(x, result.gp.std, mode="lines", name="Gaussian process: epistemic σ(x)",
                    line={"color": GP_COLOR, "dash": "dash", "width": 1.5}),
            scatter(x[[0, -1]], [result.gp.noise_std] * 2, mode="lines",
                    name="Gaussian process: its one noise σ (aleatoric)",
                    line={"color": GP_COLOR, "dash": "dot", "width": 1.5}),
        ]
    if result.true_std is not None:
        traces.append(scatter(x, result.true_std, mode="lines", name="true noise σ(x)",
                              line={"color": TRUE_COLOR, "dash": "dash"}))
        top = max(top, float(np.max(result.true_std)))
    return figure(traces, _layout(
        shapes=_shade_regions(result), **_title("Standard deviation: learned vs true"),
        height=380, xaxis=_title("x (input; grey = no training data)"),
        yaxis=_title("σ (units of y)", range=[0, 1.4 * top])))


def interval_width_figure(result: RegressionResult) -> go.Figure:
    """Width of each interval at the quantile level against x, beside the true interval's."""
    q, x = result.quantile, result.x_grid
    level = f"{q.level:.0%}"
    traces = [
        scatter(x, q.cqr_upper - q.cqr_lower, mode="lines", name=f"CQR {level}",
                line={"color": CQR_COLOR, "width": 2.5}),
        scatter(x, q.constant_upper - q.constant_lower, mode="lines",
                name=f"constant-width conformal {level}",
                line={"color": CONFORMAL_COLOR, "dash": "dashdot", "width": 2}),
        scatter(x, q.upper - q.lower, mode="lines",
                name=f"quantile network {level} (before calibration)",
                line={"color": CQR_COLOR, "dash": "dot", "width": 1.5}),
    ]
    if q.true_width is not None:
        traces.append(scatter(x, q.true_width, mode="lines",
                              name=f"true central {level} interval of y given x",
                              line={"color": TRUE_COLOR, "dash": "dash"}))
    return figure(traces, _layout(
        shapes=_shade_regions(result), **_title(f"How wide is each {level} interval?"),
        height=380, xaxis=_title("x (input; grey = no training data)"),
        yaxis=_title("interval width (units of y)", rangemode="tozero")))


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


def live_y_range(scene: LiveScene) -> list[float]:
    """One y range for every frame of a live run: the data and the truth ± 2σ(x) on the grid.

    Fixed while the model trains (the axis does not jump between frames); an early frame's band
    may leave it.
    """
    reference = [scene.y_train]
    if scene.true_mean is not None:
        reference += [scene.true_mean - 2 * scene.true_std, scene.true_mean + 2 * scene.true_std]
    return y_limits(reference)
