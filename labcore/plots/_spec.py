"""Build figures as plain specs (dicts), wrapped in a ``go.Figure`` without re-validation.

Why: ``go.Figure`` validates every property as it is set, ``template="plotly_white"``
deep-copies and re-validates the whole template in every figure, and ``add_vrect`` /
``add_annotation`` / ``update_*axes(row=…, col=…)`` each walk the layout again. For the lab's
figures that was 25–450 ms per figure, on every run of a page, for every session: 15 students
redrawing one cached Regression result spent more CPU building figures than the one training
they shared.

Here a builder writes the spec plotly would have produced — the same dicts, keys and arrays —
and :func:`figure` wraps it with ``_validate=False``; the template is converted to a dict once
per process, and subplot grids come from ``make_subplots`` once per geometry (:func:`grid`).
``python -m benchmarks.bench_figures`` checks for every figure that plotly's validating
constructor leaves the spec unchanged (what the browser receives is what a validated figure
would send).

Example:
    >>> fig = figure([scatter([0, 1], [1, 2], name="a")], {"title": {"text": "t"}})
    >>> fig.data[0].name, fig.layout.title.text, fig.layout.template.layout.plot_bgcolor
    ('a', 't', 'white')
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

TEMPLATE = "plotly_white"
_TITLE_MARK = "\x00title"


@functools.cache
def _template(name: str) -> dict[str, Any]:
    """The named template as a plain dict (converted once per process; never mutated)."""
    return pio.templates[name].to_plotly_json()


def figure(data: Iterable[Mapping[str, Any]], layout: Mapping[str, Any],
           template: str = TEMPLATE) -> go.Figure:
    """A ``go.Figure`` of ``data`` (trace dicts with ``"type"``) and ``layout``, not re-validated.

    The figure copies the spec (arrays included), so the caller's dicts and the cached
    template stay untouched. The spec must be in plotly's own normal form (e.g. a title as
    ``{"text": ...}``, not a string): nothing here rewrites it.
    """
    spec = {"template": _template(template), **layout}
    return go.Figure(data=[dict(trace) for trace in data], layout=spec, _validate=False)


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars inside lists made Python scalars, as plotly's array
    validators do (a float32 in a list is then written with float64 digits, as before)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [e.item() if isinstance(e, np.generic) else _plain(e) for e in value]
    return value


def plain_text(text: str) -> str:
    """``text`` from a user (a class label, a column name) for a Plotly title, legend or hover
    text, shown as the same characters: Plotly reads ``<a href>``, ``<b>``, ``<br>`` and
    entities there, so ``&``, ``<`` and ``>`` become entities.

    Example:
        >>> plain_text("<a href='x'>a & b</a>")
        "&lt;a href='x'&gt;a &amp; b&lt;/a&gt;"
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trace(kind: str, **props: Any) -> dict[str, Any]:
    """A trace spec of type ``kind``; properties given as None are left out (unset), as
    ``go.<Kind>(prop=None)`` leaves them."""
    return {"type": kind, **{k: _plain(v) for k, v in props.items() if v is not None}}


@functools.cache
def _colorscale(name: str) -> tuple[tuple[float, str], ...]:
    spec = go.Heatmap(colorscale=name).to_plotly_json()["colorscale"]
    return tuple((float(stop), str(color)) for stop, color in spec)


def colorscale(name: str) -> list[list[Any]]:
    """A named colour scale ("Viridis") as the list of [stop, colour] plotly expands it to."""
    return [[stop, color] for stop, color in _colorscale(name)]


def scatter(x: Any, y: Any, **props: Any) -> dict[str, Any]:
    """A scatter trace spec (see :func:`trace`)."""
    return trace("scatter", x=x, y=y, **props)


def merge(target: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``update`` into ``target`` as ``fig.update_layout`` does; returns ``target``.

    Dicts merge key by key; anything else (numbers, strings, lists) replaces.

    Example:
        >>> merge({"margin": {"l": 1, "b": 2}}, {"margin": {"b": 3}, "height": 4})
        {'margin': {'l': 1, 'b': 3}, 'height': 4}
    """
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge(target[key], value)
        elif isinstance(value, Mapping):
            target[key] = merge({}, value)
        else:
            target[key] = value
    return target


def axis_ref(letter: str, index: int) -> str:
    """The reference of subplot ``index`` (1-based, row by row): ``"x"``, ``"x2"``, …"""
    return letter if index == 1 else f"{letter}{index}"


def axis_key(letter: str, index: int) -> str:
    """The layout key of that axis: ``"xaxis"``, ``"xaxis2"``, …"""
    return f"{letter}axis" if index == 1 else f"{letter}axis{index}"


def axis_keys(layout: Mapping[str, Any], letter: str) -> list[str]:
    """The layout's ``letter`` axes in plotly's order (``xaxis``, ``xaxis2``, … ``xaxis10``)."""
    pattern = re.compile(rf"{letter}axis(\d*)")
    found = [(int(m.group(1) or 1), key) for key in layout if (m := pattern.fullmatch(key))]
    return [key for _, key in sorted(found)]


def on_axes(trace: Mapping[str, Any], index: int) -> dict[str, Any]:
    """``trace`` placed in subplot ``index``, as ``fig.add_trace(trace, row=…, col=…)`` does."""
    return {**trace, "xaxis": axis_ref("x", index), "yaxis": axis_ref("y", index)}


def vrect(x0: Any, x1: Any, *, fillcolor: str, opacity: float, index: int = 1) -> dict[str, Any]:
    """The shape ``fig.add_vrect(x0, x1, fillcolor, opacity, line_width=0, layer="below")``
    draws in subplot ``index``: full height of the plot area, behind the traces."""
    return {"type": "rect", "x0": x0, "x1": x1, "xref": axis_ref("x", index), "y0": 0, "y1": 1,
            "yref": f"{axis_ref('y', index)} domain", "fillcolor": fillcolor, "opacity": opacity,
            "line": {"width": 0}, "layer": "below"}


@functools.lru_cache(maxsize=64)
def _grid_layout(arguments: str) -> dict[str, Any]:
    layout = make_subplots(**json.loads(arguments)).layout
    spec = layout.to_plotly_json()
    spec.pop("template", None)  # make_subplots applies plotly's default; figure() sets ours
    return spec


def grid(rows: int = 1, cols: int = 1, subplot_titles: Sequence[str] | None = None,
         **options: Any) -> dict[str, Any]:
    """The layout ``make_subplots(rows, cols, subplot_titles, **options)`` makes, as a dict.

    ``make_subplots`` runs once per geometry (which titles are empty, not their text; the
    options must be JSON values); each call returns a fresh copy with the titles filled in.
    Subplot ``index`` (see :func:`axis_ref`) counts row by row from the top left.
    """
    arguments = {"rows": rows, "cols": cols, **options}
    if subplot_titles is not None:
        arguments["subplot_titles"] = [_TITLE_MARK if t else "" for t in subplot_titles]
    layout = copy.deepcopy(_grid_layout(json.dumps(arguments, sort_keys=True)))
    texts = iter([t for t in subplot_titles or () if t])
    for annotation in layout.get("annotations", ()):
        if annotation.get("text") == _TITLE_MARK:
            annotation["text"] = next(texts)
    return layout
