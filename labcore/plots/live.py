"""Charts of "Train live" that a browser redraws in place: one Vega-Lite spec per run, a table
per frame.

A live run sends a new frame about ten times a second. A Plotly chart whose figure changes is a
new chart to the browser: it is taken down and drawn again, and the chart area stays blank
while it is (a few hundred milliseconds on a classroom laptop, longer than the time between
frames). A Vega-Lite chart whose spec stays the same while only its data changes is updated in
place by Streamlit. So everything that is the same in every frame of a run — marks, axes with
fixed ranges, colours, legend, titles — is the spec, built once from the run's fixed scene;
each frame is only a table (:class:`LiveTable`). The step is shown above the chart, not in it.

The specs use the lab's palette and say what every colour means, like the Plotly figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from labcore.experiments.classification import live as classification_live
from labcore.experiments.regression import live as regression_live
from labcore.plots import palette

Spec = dict[str, Any]

BANDS = (  # (name in the legend, colour, opacity), drawn back to front
    ("total ±2σ (aleatoric + epistemic)", palette.TOTAL, 0.25),
    ("aleatoric ±2σ (noise in y)", palette.ALEATORIC, 0.35),
    ("epistemic ±2σ (model doubt)", palette.EPISTEMIC, 0.45),
)
TRUE_MEAN = "true mean f(x)"
PREDICTED = "predicted mean"
DATA = "training data"
ADDED = "added points"
LOSS = "training loss"
FONT = "sans-serif"


def _config(font_scale: float) -> Spec:
    """Text sizes (scaled ×``font_scale`` in presentation mode) and the lab's plain look."""
    size = 12 * font_scale
    return {
        "font": FONT,
        "axis": {"labelFontSize": size, "titleFontSize": size * 1.05, "grid": True,
                 "gridColor": "#eeeeee", "labelOverlap": "greedy", "tickCount": 8},
        "legend": {"labelFontSize": size, "titleFontSize": size, "orient": "bottom",
                   "columns": 2, "labelLimit": 400, "titleLimit": 600, "symbolStrokeWidth": 2},
        "title": {"fontSize": size * 1.25, "anchor": "start", "fontWeight": "normal"},
        "view": {"stroke": None},
    }


def _scale(names: Sequence[str], colours: Sequence[str]) -> Spec:
    return {"domain": list(names), "range": list(colours)}


def _layer(kind: str, mark: Spec, encoding: Spec) -> Spec:
    return {"transform": [{"filter": f"datum.layer === '{kind}'"}], "mark": mark,
            "encoding": encoding}


def _quantitative(field: str, title: str | None = None, domain: Sequence[float] | None = None,
                  **extra: Any) -> Spec:
    channel: Spec = {"field": field, "type": "quantitative", **extra}
    if title is not None:
        channel["title"] = title
    if domain is not None:
        channel["scale"] = {"domain": [float(v) for v in domain], "nice": False, "zero": False}
    return channel


# --- Regression: the bands while the networks train --------------------------------------------


def regression_bands_spec(scene: regression_live.LiveScene, y_range: Sequence[float], *,
                          height: int = 440, font_scale: float = 1.0) -> Spec:
    """The bands chart of a live regression run: fixed axes, one legend for every colour.

    Args:
        scene: the run's data and truth (fixed while it trains).
        y_range: the y axis, the same for every frame.
        height: in pixels.
        font_scale: text size factor (presentation mode).
    """
    x_domain = (float(scene.x_grid[0]), float(scene.x_grid[-1]))
    names = [name for name, _, _ in BANDS] + [PREDICTED, DATA]
    colours = [colour for _, colour, _ in BANDS] + [palette.MODEL, palette.DATA]
    if scene.true_mean is not None:
        names.insert(3, TRUE_MEAN)
        colours.insert(3, palette.TRUTH)
    if scene.x_added.size:
        names.append(ADDED)
        colours.append(palette.ADDED)
    colour = {"field": "series", "type": "nominal", "scale": _scale(names, colours),
              "title": None, "sort": names}
    x = _quantitative("x", "x (input; grey = no training data)", x_domain)
    y = _quantitative("y", "y (output, units of the data)", y_range)
    clip = {"clip": True}
    layers = [
        _layer("no_data", {"type": "rect", "color": palette.NO_DATA, "opacity": 0.6},
               {"x": _quantitative("x", None, x_domain), "x2": {"field": "x2"}}),
        _layer("band", {"type": "area", **clip}, {
            "x": x, "y": _quantitative("lo", None, y_range), "y2": {"field": "hi"},
            "color": colour, "opacity": {"field": "opacity", "type": "quantitative",
                                         "scale": None, "legend": None},
            "detail": {"field": "series"}}),
        _layer("truth", {"type": "line", "strokeWidth": 2, "strokeDash": [6, 4], **clip},
               {"x": x, "y": y, "color": colour}),
        _layer("mean", {"type": "line", "strokeWidth": 2.5, **clip},
               {"x": x, "y": y, "color": colour}),
        _layer("point", {"type": "circle", "size": 36, "opacity": 0.85, **clip},
               {"x": x, "y": y, "color": colour}),
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "The bands while the networks train (each ±2σ ≈ 95 %)",
        "height": height, "width": "container", "layer": layers, "config": _config(font_scale),
    }


def regression_bands_table(frame: regression_live.LiveFrame) -> pd.DataFrame:
    """One frame's rows for :func:`regression_bands_spec` (layer, series, x, y, lo, hi …)."""
    scene, x, mu = frame.scene, frame.scene.x_grid, frame.pred_mean
    parts = []
    lo, hi = scene.data_range
    no_data = [(x[0], lo), (hi, x[-1])] + ([scene.gap] if scene.gap is not None else [])
    parts.append(pd.DataFrame({"layer": "no_data", "series": "no data",
                               "x": [a for a, _ in no_data], "x2": [b for _, b in no_data]}))
    for (name, _, opacity), std in zip(
            BANDS, (frame.total_std, frame.aleatoric_std, frame.epistemic_std), strict=True):
        parts.append(pd.DataFrame({"layer": "band", "series": name, "x": x,
                                   "lo": mu - 2 * std, "hi": mu + 2 * std, "opacity": opacity}))
    if scene.true_mean is not None:
        parts.append(pd.DataFrame({"layer": "truth", "series": TRUE_MEAN, "x": x,
                                   "y": scene.true_mean}))
    parts.append(pd.DataFrame({"layer": "mean", "series": PREDICTED, "x": x, "y": mu}))
    n_added = scene.x_added.size
    n_data = scene.x_train.size - n_added
    parts.append(pd.DataFrame({"layer": "point", "series": DATA, "x": scene.x_train[:n_data],
                               "y": scene.y_train[:n_data]}))
    if n_added:
        parts.append(pd.DataFrame({"layer": "point", "series": ADDED, "x": scene.x_added,
                                   "y": scene.y_added}))
    return pd.concat(parts, ignore_index=True)


# --- The loss while training (both labs) --------------------------------------------------------


def loss_spec(total_steps: int, y_title: str, *, height: int = 300,
              font_scale: float = 1.0) -> Spec:
    """The training loss so far on an x axis as long as the whole run.

    The y axis follows the loss (it falls by orders of magnitude on some runs), so it may
    rescale between frames; the x axis is fixed.
    """
    x = _quantitative("step", "Adam step", (0, total_steps))
    y = _quantitative("loss", y_title, None)
    y["scale"] = {"zero": False}
    colour = {"field": "series", "type": "nominal", "title": None,
              "scale": _scale([LOSS], [palette.MODEL])}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Training loss so far", "height": height, "width": "container",
        "mark": {"type": "line", "strokeWidth": 2},
        "encoding": {"x": x, "y": y, "color": colour}, "config": _config(font_scale),
    }


def progress_text(step: int, total_steps: int, train_loss: np.ndarray) -> str:
    """A frame's numbers in words, for a screen reader (the live charts' text alternative).

    >>> progress_text(40, 200, np.array([2.0, 1.5, 1.25]))
    'Step 40 of 200: training loss 1.25 (it started at 2, lowest so far 1.25).'
    """
    if train_loss.size == 0:
        return f"Step {step} of {total_steps}."
    return (f"Step {step} of {total_steps}: training loss {train_loss[-1]:.3g} (it started at "
            f"{train_loss[0]:.3g}, lowest so far {np.min(train_loss):.3g}).")


def loss_table(train_loss: np.ndarray) -> pd.DataFrame:
    """The (step, loss) rows of a loss curve, step counted from 1."""
    return pd.DataFrame({"step": np.arange(1, train_loss.size + 1), "loss": train_loss,
                         "series": LOSS})


# --- Classification: the decision map while the network trains ----------------------------------


def _class_names(n_classes: int) -> list[str]:
    return [f"class {k}" for k in range(n_classes)]


def decision_map_spec(scene: classification_live.LiveScene, *, height: int = 440,
                      font_scale: float = 1.0) -> Spec:
    """Where the network says each class is (colour) and how sure it is (strength).

    Each grid cell is coloured by the predicted class, stronger where the top probability is
    higher (from 1/K, a guess, to 1); the training points on top carry their given label's
    colour, flipped labels as ✕.
    """
    k = scene.n_classes
    names = _class_names(k)
    colours = [palette.CLASSES[i % len(palette.CLASSES)] for i in range(k)]
    colour = {"field": "label", "type": "nominal", "scale": _scale(names, colours),
              "title": "colour = class (predicted in the map, given for the points)"}
    x_domain = (float(scene.x1[0]), float(scene.x1[-1]))
    y_domain = (float(scene.x2[0]), float(scene.x2[-1]))
    dx = float(scene.x1[1] - scene.x1[0]) / 2
    dy = float(scene.x2[1] - scene.x2[0]) / 2
    x = _quantitative("x", "feature x1 (standardised)", x_domain)
    y = _quantitative("y", "feature x2 (standardised)", y_domain)
    cell = [{"calculate": f"datum.x - {dx}", "as": "x_lo"},
            {"calculate": f"datum.x + {dx}", "as": "x_hi"},
            {"calculate": f"datum.y - {dy}", "as": "y_lo"},
            {"calculate": f"datum.y + {dy}", "as": "y_hi"}]
    layers = [
        {"transform": [{"filter": "datum.layer === 'map'"}, *cell],
         "mark": {"type": "rect"},
         "encoding": {
             "x": _quantitative("x_lo", "feature x1 (standardised)", x_domain),
             "x2": {"field": "x_hi"},
             "y": _quantitative("y_lo", "feature x2 (standardised)", y_domain),
             "y2": {"field": "y_hi"}, "color": colour,
             "opacity": {"field": "confidence", "type": "quantitative",
                         "title": "confidence max p(class | x)",
                         "scale": {"domain": [1.0 / k, 1.0], "range": [0.05, 0.85]}}}},
        _layer("point", {"type": "circle", "size": 28, "stroke": "white", "strokeWidth": 0.6,
                         "opacity": 1}, {"x": x, "y": y, "color": colour}),
        _layer("flipped", {"type": "point", "shape": "cross", "size": 70, "filled": True,
                           "stroke": palette.BLACK, "strokeWidth": 0.6, "opacity": 1},
               {"x": x, "y": y, "color": colour}),
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Decision map while the network trains (strong colour = sure; ✕ = flipped "
                 "label)",
        "height": height, "width": "container", "layer": layers,
        "config": _config(font_scale),
    }


def decision_map_table(frame: classification_live.LiveFrame) -> pd.DataFrame:
    """One frame's rows for :func:`decision_map_spec`: grid cells, then the training points."""
    scene = frame.scene
    names = np.array(_class_names(scene.n_classes))
    grid_x, grid_y = np.meshgrid(scene.x1, scene.x2)  # rows along x2, as frame.classes
    cells = pd.DataFrame({"layer": "map", "x": grid_x.ravel(), "y": grid_y.ravel(),
                          "label": names[frame.classes.ravel()],
                          "confidence": frame.confidence.ravel()})
    flipped = scene.flipped.astype(bool)
    points = pd.DataFrame({"layer": np.where(flipped, "flipped", "point"),
                           "x": scene.x_train[:, 0], "y": scene.x_train[:, 1],
                           "label": names[scene.y_train_noisy]})
    return pd.concat([cells, points], ignore_index=True)
