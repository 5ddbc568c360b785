"""The uncertainty X-ray's figure: each member's predictive Gaussian at one x and their mixture."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from labcore.experiments.regression.xray import XRay
from labcore.plots import palette
from labcore.plots._spec import figure, scatter

MAX_MEMBER_CURVES = 20
"""Member densities drawn (MC dropout may have 200 passes; the mixture uses them all)."""


def xray_figure(ray: XRay, kind: str = "member") -> go.Figure:
    """Densities of y at ``ray.x``: each member's N(μ_s, σ_s²) thin, their mixture (the band the
    page draws) thick, the true N(f(x), σ(x)²) dashed where it is known; the members' means as
    ticks on the y axis.

    Args:
        ray: :func:`labcore.experiments.regression.xray.xray` at some x.
        kind: what one prediction is called in the legend ("member", "dropout pass").
    """
    traces = []
    shown = min(len(ray.means), MAX_MEMBER_CURVES)
    for s in range(shown):
        traces.append(scatter(
            ray.y, ray.member_pdfs[s], mode="lines", legendgroup="members", showlegend=s == 0,
            name=f"each {kind}'s Gaussian N(μ_s, σ_s²)"
            + (f" ({shown} of {len(ray.means)} shown)" if shown < len(ray.means) else ""),
            line={"color": palette.rgba(palette.MODEL, 0.45), "width": 1.2},
            hovertemplate=f"{kind} {s + 1}: μ = {ray.means[s]:.3g}, σ = {ray.stds[s]:.3g}"
            "<extra></extra>"))
    traces.append(scatter(
        ray.y, ray.mixture_pdf, mode="lines", name="their mixture: the predictive band",
        line={"color": palette.MODEL, "width": 3},
        hovertemplate="y %{x:.3g}: density %{y:.3g}<extra></extra>"))
    top = float(np.max(ray.member_pdfs[:shown]))
    if ray.true_mean is not None and ray.true_std is not None:
        z = (ray.y - ray.true_mean) / ray.true_std
        truth = np.exp(-0.5 * z**2) / (ray.true_std * np.sqrt(2 * np.pi))
        traces.append(scatter(ray.y, truth, mode="lines", name="true distribution of y",
                              line={"color": palette.TRUTH, "dash": "dash", "width": 2}))
        top = max(top, float(np.max(truth[np.isfinite(truth)])))
    traces.append(scatter(
        ray.means, np.zeros_like(ray.means), mode="markers", name=f"each {kind}'s mean μ_s",
        marker={"symbol": "line-ns", "size": 14, "line": {"width": 2, "color": palette.MODEL}},
        hovertemplate="μ_s = %{x:.3g}<extra></extra>"))
    return figure(traces, {
        "title": {"text": f"Uncertainty X-ray at x = {ray.x:.3g} ({ray.where})"},
        "height": 380,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.26, "xanchor": "left", "x": 0},
        "xaxis": {"title": {"text": "y (units of y): the value predicted at this x"}},
        "yaxis": {"title": {"text": "probability density (1 / units of y)"},
                  "range": [0, 1.15 * top]},
    })
