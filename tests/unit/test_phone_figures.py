"""A phone's figures: subplots restacked into one column (labui.phone_figures.one_column).

The geometry is checked against numbers worked out by hand from the figure's height, margins
and plotly's domains; the browser test (tests/e2e/test_phone.py) measures the drawn chart.
"""

from __future__ import annotations

import pytest
from plotly.subplots import make_subplots

from labui.phone_figures import (
    AXIS_TITLE_PX,
    MODEBAR_PX,
    TICKS_PX,
    TITLE_LINE_PX,
    one_column,
)
from labui.present_figures import TITLE_PAD


def _grid(rows: int, cols: int, **options):
    titles = [f"panel {i + 1}" for i in range(rows * cols)]
    fig = make_subplots(rows, cols, subplot_titles=titles, **options)
    for i in range(rows * cols):
        fig.add_scatter(x=[0, 1], y=[i, i + 1], name=f"trace {i + 1}", row=i // cols + 1,
                        col=i % cols + 1)
    fig.update_layout(height=500, margin={"t": 60, "b": 40, "l": 50, "r": 20})
    return fig


def _domain(layout, name):
    return tuple(layout[name]["domain"])


def test_a_row_of_two_panels_becomes_a_column_with_each_panel_as_tall_as_before():
    fig = _grid(1, 2)
    fig.update_xaxes(title_text="x")
    phone = one_column(fig).to_plotly_json()["layout"]
    # Before: a plot area 500 − 60 − 40 = 400 px tall, each panel its whole height.
    # After: panel 1, then under it its ticks and x title and panel 2's one-line title, then
    # panel 2: 400 + 36 + 26 + 22 + 400 px.
    gap = TICKS_PX + AXIS_TITLE_PX + TITLE_LINE_PX
    plot = 400 + gap + 400
    assert phone["height"] == round(plot + 60 + 40)
    assert _domain(phone, "xaxis") == _domain(phone, "xaxis2") == (0.0, 1.0)
    assert _domain(phone, "yaxis") == pytest.approx(((gap + 400) / plot, 1.0))
    assert _domain(phone, "yaxis2") == pytest.approx((0.0, 400 / plot))
    # Each subplot title over its own panel, centred on the full width.
    titles = {a["text"]: (a["x"], a["y"]) for a in phone["annotations"]}
    assert titles["panel 1"] == pytest.approx((0.5, 1.0))
    assert titles["panel 2"] == pytest.approx((0.5, 400 / plot))


def test_a_grid_goes_column_by_column_and_keeps_the_space_inside_a_column():
    fig = _grid(2, 2, vertical_spacing=0.2)
    before = fig.to_plotly_json()["layout"]
    phone = one_column(fig).to_plotly_json()["layout"]
    tops = {name: _domain(phone, name)[1] for name in ("yaxis", "yaxis2", "yaxis3", "yaxis4")}
    # Reading order on the phone: left column (panels 1, 3), then the right one (2, 4).
    assert tops["yaxis"] > tops["yaxis3"] > tops["yaxis2"] > tops["yaxis4"]
    # Inside the left column the space between panels 1 and 3 stays what it was in px:
    # 0.2 of the 400 px plot area = 80 px (more than ticks + title need: 36 + 22).
    plot_px = phone["height"] - 60 - 40
    kept = (_domain(phone, "yaxis")[0] - _domain(phone, "yaxis3")[1]) * plot_px
    assert kept == pytest.approx(0.2 * 400, abs=0.01)
    # Each panel keeps its height in px.
    for name in ("yaxis", "yaxis2", "yaxis3", "yaxis4"):
        low, high = _domain(before, name)
        new_low, new_high = _domain(phone, name)
        assert (new_high - new_low) * plot_px == pytest.approx((high - low) * 400, abs=0.01)


def test_a_y_axis_shared_along_a_row_shows_its_numbers_on_every_panel():
    fig = _grid(1, 3, shared_yaxes=True)
    before = fig.to_plotly_json()["layout"]
    assert before["yaxis2"]["showticklabels"] is False  # beside the first panel: not repeated
    phone = one_column(fig).to_plotly_json()["layout"]
    assert [phone[name].get("showticklabels", True) for name in ("yaxis", "yaxis2", "yaxis3")
            ] == [True, True, True]
    assert phone["yaxis3"]["matches"] == "y"  # still the same scale


def test_one_panel_or_one_column_comes_back_unchanged():
    single = _grid(1, 1)
    column = _grid(2, 1)
    assert one_column(single) is single
    assert one_column(column) is column


def test_one_panel_gets_only_its_too_long_title_fitted():
    fig = _grid(1, 1)
    long = "A test digit (a 2) under each corruption: predicted class and confidence"
    fig.update_layout(title={"text": long})
    phone = one_column(fig).to_plotly_json()["layout"]
    lines = phone["title"]["text"].split("<br>")
    assert len(lines) >= 2 and " ".join(lines) == long
    # The plot area keeps its height: the figure grows by what the top margin grew.
    assert phone["height"] - phone["margin"]["t"] == 500 - 60
    assert phone["margin"]["t"] > 60
    assert phone["xaxis"]["domain"] == [0.0, 1.0]  # the one panel stays where it was


def test_a_secondary_axis_stays_on_its_panel():
    fig = make_subplots(1, 2, specs=[[{"secondary_y": True}, {}]])
    fig.add_scatter(x=[0, 1], y=[0, 1], row=1, col=1)
    fig.add_scatter(x=[0, 1], y=[5, 6], row=1, col=1, secondary_y=True)
    fig.add_scatter(x=[0, 1], y=[1, 0], row=1, col=2)
    phone = one_column(fig).to_plotly_json()["layout"]
    overlay = next(axis for name, axis in phone.items()
                   if name.startswith("yaxis") and axis.get("overlaying"))
    assert overlay["overlaying"] == "y"  # drawn over the first panel, wherever it is now
    assert _domain(phone, "yaxis")[0] > _domain(phone, "yaxis3")[1]


def test_notes_move_with_their_panel_and_the_legend_keeps_its_distance():
    fig = _grid(1, 2)
    # A note at the centre of the right panel, and a legend 40 px under the plot area.
    right = fig.layout.xaxis2.domain
    fig.add_annotation(text="note", x=(right[0] + right[1]) / 2, y=0.5, xref="paper",
                       yref="paper", showarrow=False)
    fig.update_layout(legend={"orientation": "h", "y": -40 / 400, "yanchor": "top"})
    phone = one_column(fig).to_plotly_json()["layout"]
    plot_px = phone["height"] - 60 - 40
    note = next(a for a in phone["annotations"] if a["text"] == "note")
    low, high = _domain(phone, "yaxis2")
    assert note["x"] == pytest.approx(0.5)
    assert note["y"] == pytest.approx((low + high) / 2)
    assert phone["legend"]["y"] * plot_px == pytest.approx(-40)


def test_a_long_subplot_title_is_wrapped_to_a_phones_width_and_gets_room():
    fig = _grid(1, 2)
    long = "CE + label smoothing (ε = 0.01) · temperature-scaled (T = 0.87) on the test set"
    fig.layout.annotations[1].text = long
    phone = one_column(fig).to_plotly_json()["layout"]
    title = next(a for a in phone["annotations"] if "label smoothing" in a["text"])
    lines = title["text"].split("<br>")
    assert len(lines) >= 2 and "".join(lines).replace(" ", "") == long.replace(" ", "")
    # The space over panel 2 grows with the title's lines: ticks + its lines × 20 px.
    plot_px = phone["height"] - 60 - 40
    gap = (_domain(phone, "yaxis")[0] - _domain(phone, "yaxis2")[1]) * plot_px
    assert gap == pytest.approx(TICKS_PX + TITLE_LINE_PX * len(lines), abs=0.01)


def test_the_figure_passed_in_is_not_changed():
    fig = _grid(2, 2)
    before = fig.to_plotly_json()
    one_column(fig)
    assert fig.to_plotly_json() == before


def test_a_colour_bar_beside_a_panel_moves_with_it():
    fig = make_subplots(1, 2)
    fig.add_scatter(x=[0, 1], y=[0, 1], row=1, col=1)
    # Centred on the right panel, 80 % of its height.
    fig.add_heatmap(z=[[1, 2], [3, 4]], colorbar={"y": 0.5, "len": 0.8}, row=1, col=2)
    phone = one_column(fig)
    low, high = phone.layout.yaxis2.domain
    bar = phone.data[1].colorbar
    assert bar.y == pytest.approx((low + high) / 2)
    assert bar.len == pytest.approx(0.8 * (high - low))  # the same px: 80 % of the panel
    assert fig.data[1].colorbar.y == 0.5


def test_a_legend_under_an_x_title_that_wraps_moves_down_by_the_lines_added():
    fig = _grid(1, 1)
    fig.update_xaxes(title_text="confidence = max softmax probability (equal-width bins)")
    fig.update_layout(legend={"orientation": "h", "y": -60 / 400, "yanchor": "top"})
    phone = one_column(fig).to_plotly_json()["layout"]
    title = phone["xaxis"]["title"]
    lines = title["text"].count("<br>") + 1
    assert lines == 2
    # One more line at the title's font (12 px × 1.3 line height) under the plot area:
    added = (lines - 1) * title["font"]["size"] * 1.3
    assert phone["margin"]["b"] == round(40 + added)
    assert phone["legend"]["y"] * 400 == pytest.approx(-60 - added)
    assert phone["height"] - phone["margin"]["t"] - phone["margin"]["b"] == 400


def test_a_title_sits_under_the_toolbar_a_phone_always_shows():
    fig = _grid(1, 1)
    fig.update_layout(title={"text": "Short", "font": {"size": 16}})
    phone = one_column(fig).to_plotly_json()["layout"]
    title = phone["title"]
    assert (title["yref"], title["y"], title["yanchor"]) == ("container", 1, "top")
    assert title["pad"]["t"] == MODEBAR_PX + TITLE_PAD
    # Under the chart's top edge: the toolbar, the title's line (16 px × 1.3), a 4 px gap
    # and the panel's one-line subplot title, then the plot area, as tall as before.
    needed = MODEBAR_PX + TITLE_PAD + 16 * 1.3 + 4 + TITLE_LINE_PX
    assert phone["margin"]["t"] == round(needed)
    assert phone["height"] - phone["margin"]["t"] - phone["margin"]["b"] == 400


def test_a_grids_top_margin_holds_the_toolbar_the_title_and_the_top_panels_title():
    fig = _grid(1, 2)
    fig.update_layout(title={"text": "Short", "font": {"size": 16}})
    phone = one_column(fig).to_plotly_json()["layout"]
    # The toolbar, the title's one line, a 4 px gap, then "panel 1"'s one line over panel 1.
    needed = MODEBAR_PX + TITLE_PAD + 16 * 1.3 + 4 + TITLE_LINE_PX
    assert phone["margin"]["t"] == round(needed)
    top_title = next(a for a in phone["annotations"] if a["text"] == "panel 1")
    assert top_title["y"] == pytest.approx(1.0)  # right over the top panel, under the title
