"""The OOD image grids (corruption gallery, OOD examples) on a computer and on a phone.

Built from small hand-made images, so every number is read off the inputs: a grid of r rows and
c columns of h×w images has r·(h + gap) mosaic rows and c·(w + 1) − 1 columns.
"""

from __future__ import annotations

import numpy as np

from labcore.plots.ood import _image_grid

R, C, H, W = 2, 3, 8, 8
ROWS = ["Gaussian noise", "Blur"]
COLS = ["severity 0", "severity 1", "severity 2"]


def _grid(narrow: bool):
    images = np.arange(R * C * H * W, dtype=float).reshape(R, C, H, W) / (R * C * H * W)
    notes = np.array([[f"{i}{j} · 90%" for j in range(C)] for i in range(R)], dtype=object)
    return _image_grid(images, ROWS, COLS, notes, "A grid", narrow=narrow)


def test_on_a_computer_the_row_labels_sit_beside_the_rows():
    fig = _grid(narrow=False)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (R * (H + 4), C * (W + 1) - 1)  # 4 gap rows for the notes
    layout = fig.to_dict()["layout"]
    assert list(layout["yaxis"]["ticktext"]) == ROWS
    assert list(layout["yaxis"]["tickvals"]) == [4 + 3.5, 12 + 4 + 3.5]  # row middles
    assert list(layout["xaxis"]["ticktext"]) == COLS
    assert layout["margin"]["l"] == 150
    assert len(layout["annotations"]) == R * C  # the notes only
    assert layout["height"] == 120 + 90 * R


def test_on_a_phone_the_images_take_the_width_and_the_labels_go_above_the_rows():
    fig = _grid(narrow=True)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (R * (H + 7), C * (W + 1) - 1)  # 7 gap rows: a label and a note line
    layout = fig.to_dict()["layout"]
    assert layout["margin"]["l"] == 8 and layout["margin"]["r"] == 8
    assert layout["yaxis"]["showticklabels"] is False
    assert list(layout["xaxis"]["ticktext"]) == ["0", "1", "2"]
    assert layout["xaxis"]["title"]["text"] == "severity"
    labels = [a for a in layout["annotations"] if a["text"] in ROWS]
    assert [a["text"] for a in labels] == ROWS
    assert all(a["xref"] == "paper" and a["x"] == 0 and a["xanchor"] == "left" for a in labels)
    notes = [a for a in layout["annotations"] if a["text"] not in ROWS]
    assert len(notes) == R * C and {a["font"]["size"] for a in notes} == {9}
    for i, label in enumerate(labels):  # each label above its row's notes, below the row above
        row_notes = [a["y"] for a in notes if a["text"].startswith(str(i))]
        assert i * (H + 7) < label["y"] < min(row_notes) < i * (H + 7) + 7
    assert fig.data[0].colorbar.orientation == "h"


def test_column_labels_without_a_shared_first_word_stay_whole_on_a_phone():
    images = np.zeros((1, 2, H, W))
    fig = _image_grid(images, ["row"], ["clean", "noisy"], None, "t", narrow=True).to_dict()
    assert list(fig["layout"]["xaxis"]["ticktext"]) == ["clean", "noisy"]
    assert "title" not in fig["layout"]["xaxis"] or not fig["layout"]["xaxis"]["title"].get(
        "text")


def test_on_a_phone_at_most_six_columns_fill_its_width():
    images = np.zeros((2, 8, H, W))
    notes = np.full((2, 8), "0 · 100.0%", dtype=object)
    fig = _image_grid(images, ["a", "b"], [f"example {j + 1}" for j in range(8)], notes, "t",
                      narrow=True)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (2 * (H + 7), 6 * (W + 1) - 1)  # the first six columns: 2 × 15 by 53
    layout = fig.to_dict()["layout"]
    assert list(layout["xaxis"]["ticktext"]) == ["1", "2", "3", "4", "5", "6"]
    assert len([a for a in layout["annotations"] if a["text"] == "0 · 100.0%"]) == 2 * 6
    # square pixels across 340 px: 53 units → 6.415 px a unit, 30 rows → 192 px, plus margins
    assert layout["height"] == 170 + round(30 * 340 / 53)
