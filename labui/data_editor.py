"""The Regression chart as a data editor: add points by dragging, remove them by clicking, or
type an x range; undo and reset. The edits live in the config's ``add_regions`` and
``drop_points`` fields (so in the URL: sharing the link shares the data).

Every callback takes the config the page showed when the edit was made: Streamlit runs a
callback before the next run of the page, so it cannot read the page's variables.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import streamlit as st

from labcore.experiments.regression import chart_edits, drag_report, regions
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.cost import check_before_after
from labcore.experiments.regression.run import run_regression
from labui.errors import escape_markdown, guard
from labui.figures import show_figure
from labui.page import LabPage
from labui.present import notice
from labui.run import run_cached
from labui.state import rerun_page
from labui.views import choice, number

KEY = "regression"

DRAG_HISTORY = f"{KEY}.drag_history"
EDIT_FIELDS = ("add_regions", "drop_points")


def set_edits(config: RegressionConfig, fields: tuple[str, str], *, remember: bool = True) -> None:
    """Put the edit fields in the form (a callback: runs before the form's widgets exist);
    ``config`` is the page's config when the edit was made (for Undo's history)."""
    if remember:
        history = st.session_state.setdefault(DRAG_HISTORY, [])
        history.append((config.add_regions, config.drop_points))
    for name, value in zip(EDIT_FIELDS, fields, strict=True):
        st.session_state[f"{KEY}.{name}"] = value
    rerun_page()  # the page trains on the edited data (the chart is inside a view's fragment)


CHART_MODES = {"look": "Look", "add": "Add points", "remove": "Remove points", "xray": "X-ray"}
CHART_HELP = {
    "look": "Hover for values; the page scrolls over the chart (on a phone too).",
    "add": "Drag a box (or a lasso) across x: that many points are drawn from the true "
           "process over its x range.",
    "remove": "Click a grey training point to remove it; the box tool in the chart's toolbar "
              "removes every point inside a box.",
    "xray": "Click the predicted mean at any x (on a phone: tap once to see the value, again "
            "to pick it), or set x under the chart, to see each member's prediction there and "
            "how the band splits into aleatoric and epistemic.",
}
XRAY_X = f"{KEY}.xray_x"
"""The X-ray's x (its slider's key; a click on the chart in X-ray mode sets it)."""
RANGE_ERROR = f"{KEY}.range_error"


def apply_edit(config: RegressionConfig, edited: tuple[str, str] | None) -> None:
    """Put an edit in the form if the page can train on it; else say why, keep the data."""
    st.session_state.pop(RANGE_ERROR, None)
    if edited is None:
        return
    try:
        regions.check_edits(*edited, config.n_points)
    except ValueError as exc:
        st.session_state[RANGE_ERROR] = str(exc)
        return
    set_edits(config, edited)


def on_drag(config: RegressionConfig, mode: str) -> None:
    """A selection on the chart: a drag adds a region, a click or box drops points."""
    apply_edit(config, chart_edits.apply_selection(
        config.add_regions, config.drop_points, st.session_state.get(f"{KEY}.bands_fig"),
        st.session_state.get(f"{KEY}.drag_n", regions.DEFAULT_PER_DRAG),
        regions.generated_inputs(config), mode=mode))


def edit_range(config: RegressionConfig, action: str) -> None:
    """The keyboard's way to edit: add N points over [from, to], or remove those there."""
    state = st.session_state
    state.pop(RANGE_ERROR, None)
    x0, x1 = state[f"{KEY}.range_from"], state[f"{KEY}.range_to"]
    try:
        if action == "add":
            edited = (chart_edits.add_range(config.add_regions, x0, x1, state[f"{KEY}.range_n"]),
                      config.drop_points)
        else:
            edited = chart_edits.remove_range(config.add_regions, config.drop_points,
                                          regions.generated_inputs(config), x0, x1)
    except ValueError as exc:
        state[RANGE_ERROR] = str(exc)
        return
    if edited is None:
        state[RANGE_ERROR] = (f"No training point is left to remove between x = {x0:g} and "
                              f"{x1:g}: widen the range.")
        return
    apply_edit(config, edited)


def undo_drag(config: RegressionConfig) -> None:
    """Back to the edits before the last one (this session's), or remove the last region."""
    history = st.session_state.get(DRAG_HISTORY) or []
    current = (config.add_regions, config.drop_points)
    while history and history[-1] == current:
        history.pop()
    previous = history.pop() if history else chart_edits.undo_edit(*current)
    set_edits(config, previous, remember=False)


def range_form(config: RegressionConfig) -> None:
    """Add or remove points by typing an x range (no pointer needed)."""
    with st.form(f"{KEY}.range_form", border=True):
        st.markdown("**Add points or remove them by x range**")
        n, lo, hi, add, remove = st.columns(5, vertical_alignment="bottom")
        n.number_input("Points", min_value=1, max_value=200, value=regions.DEFAULT_PER_DRAG,
                       step=1, key=f"{KEY}.range_n", help="How many points Add draws.")
        lo.number_input("From x", value=-1.0, step=0.5, key=f"{KEY}.range_from")
        hi.number_input("To x", value=1.0, step=0.5, key=f"{KEY}.range_to")
        add.form_submit_button("Add", on_click=edit_range, args=(config, "add"),
                               help="Draw that many points from the true process over the range.")
        remove.form_submit_button("Remove", on_click=edit_range, args=(config, "remove"),
                                  help="Remove every generated training point in the range.")
    if RANGE_ERROR in st.session_state:
        st.error(escape_markdown(st.session_state[RANGE_ERROR]))


def chart_mode(container, *, edits: bool = True) -> str:
    """What a drag or click on the bands chart does (:data:`CHART_MODES`), kept in ?chart=;
    without ``edits`` (a user's own data: no points can be drawn) only Look and X-ray."""
    modes = [m for m in CHART_MODES if edits or m in ("look", "xray")]
    return choice("On the chart", modes, key=f"{KEY}.chart_mode" + ("" if edits else ".own"),
                  param="chart", default="look", format_func=CHART_MODES.get,
                  container=container,
                  help=" ".join(f"{CHART_MODES[m]}: {CHART_HELP[m]}" for m in modes))


def on_xray_pick() -> None:
    """A click on the chart in X-ray mode: its x becomes the X-ray's x (to 0.01)."""
    event = st.session_state.get(f"{KEY}.bands_fig") or {}
    points = (event.get("selection") or {}).get("points") or []
    if points and "x" in points[0]:
        st.session_state[XRAY_X] = round(float(points[0]["x"]), 2)


def xray_script() -> tuple[list[str], list[str]]:
    """The X-ray's lines for the page's script (:func:`labui.downloads.download_script`): the
    split at the x on screen when the chart is in X-ray mode, else nothing."""
    if st.session_state.get(f"{KEY}.chart_mode") != "xray" or XRAY_X not in st.session_state:
        return [], []
    x = float(st.session_state[XRAY_X])
    return ([f"ray = xray(result, {x!r})  # the page's uncertainty X-ray",
             'print(f"at x = {ray.x:g}: aleatoric {ray.aleatoric_var:.4f} + epistemic '
             '{ray.epistemic_var:.4f} = total {ray.total_var:.4f} (y²)")',
             "print(xray_notice(ray))"],
            ["labcore.experiments.regression.xray:xray",
             "labcore.experiments.regression.xray:xray_notice"])


def xray_default(x_grid, data_range: tuple[float, float]) -> float:
    """Where the X-ray starts: half-way between the chart's left end and the data (beyond
    the data, where the members disagree most)."""
    return round((float(x_grid[0]) + data_range[0]) / 2, 1)


def current_xray_x(x_grid, data_range: tuple[float, float]) -> float:
    """The X-ray's x before its slider is drawn (the chart, above it, marks it): this
    session's, else the link's ``?xray=`` when it is a number on the chart, else the start."""
    if XRAY_X in st.session_state:
        return float(st.session_state[XRAY_X])
    try:
        x = float(st.query_params.get("xray", "nan"))
    except ValueError:
        x = math.nan
    return x if x_grid[0] <= x <= x_grid[-1] else xray_default(x_grid, data_range)


def xray_chart(fig, x: float | None = None) -> None:
    """The bands chart in X-ray mode: a click (a tap) on the mean curve picks its x; no drag,
    so a phone still scrolls over it. ``x``, the X-ray's current input, is marked."""
    fig.update_layout(hovermode="closest", dragmode=False)
    if x is not None:
        fig.add_vline(x=x, line={"color": "#444444", "dash": "dot", "width": 1.5},
                      annotation={"text": f"X-ray x = {x:g}", "font": {"color": "#444444"}})
    # Plotly selects markers, not lines: the mean curve gets invisible markers to click, and
    # a selection dims nothing (the pick only moves the X-ray).
    fig.update_traces(selector={"type": "scatter"}, unselected={"marker": {"opacity": 1}})
    fig.update_traces(selector={"name": "predicted mean"}, mode="lines+markers",
                      marker={"size": 10, "opacity": 0}, selected={"marker": {"opacity": 0}},
                      unselected={"marker": {"opacity": 0}})
    show_figure(fig, key=f"{KEY}.bands_fig", on_select=on_xray_pick, selection_mode=("points",))


def drag_data(page: LabPage, fig, mode: str, below_chart: Callable[[], None] | None = None
              ) -> None:
    """The bands chart as an editor, in the mode the user picked: look (the default: the page
    scrolls over it), add points (drag a box), remove points (click or box), X-ray (click to
    pick an x; ``below_chart`` then draws what is seen there, right under the chart); undo,
    reset, and the same edits by typing an x range."""
    config, result = page.config, page.result
    if mode == "look":
        show_figure(fig, key=f"{KEY}.bands_fig")
    elif mode == "xray":
        xray_chart(fig, current_xray_x(result.x_grid, result.data_range))
        if below_chart is not None:
            below_chart()
    else:
        # "closest": a click selects the point under the pointer (with the figure's "x unified"
        # hover, Plotly selects the first curve at that x, and the click removes nothing).
        fig.update_layout(dragmode="select" if mode == "add" else "pan", hovermode="closest")
        show_figure(fig, key=f"{KEY}.bands_fig", on_select=functools.partial(on_drag, config, mode),
                    selection_mode=("box", "lasso") if mode == "add" else
                    ("points", "box", "lasso"))
    edited = bool(config.add_regions or config.drop_points)
    per_drag, undo, reset = st.columns([2, 1, 1], vertical_alignment="bottom")
    if mode == "add":
        with per_drag:
            number("Points per drag", key=f"{KEY}.drag_n", param="drag_n",
                   default=regions.DEFAULT_PER_DRAG, min_value=1, max_value=200, step=1,
                   kind="number_input", help="How many points a box or lasso drag adds.")
    else:
        per_drag.caption(CHART_HELP[mode])
    undo.button("Undo", key=f"{KEY}.drag_undo", on_click=undo_drag, args=(config,),
                disabled=not (edited or st.session_state.get(DRAG_HISTORY)),
                help="Remove the last added region or dropped point.")
    reset.button("Reset", key=f"{KEY}.drag_reset", on_click=set_edits, args=(config, ("", "")),
                 disabled=not edited, help="Remove every added region and dropped point.")
    st.caption(regions.count_line(config), help="Choose Add points or Remove points above the "
               "chart to edit the data by pointer, or type a range below. The edits are in "
               "the link, so sharing it shares the data.")
    range_form(config)
    if config.add_regions:
        with guard():
            check_before_after(config, config.replace(add_regions=""))
            before = run_cached(run_regression, config.replace(add_regions=""),
                                label="Before the dragged points")
        rows = drag_report.region_summary(before, result, config.add_regions)
        notice(drag_report.drag_notice(rows, result.member_means.shape[0]))
    else:
        notice(drag_report.drag_notice([], result.member_means.shape[0]))
