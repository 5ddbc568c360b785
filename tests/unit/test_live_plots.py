"""Train live's Vega-Lite charts (labcore.plots.live): one spec per run, a table per frame.

The in-place claim: Streamlit updates a Vega-Lite chart where it stands when its spec (sent as
JSON text) is the same and only its data changed, so the spec made from a real run's first
frame must equal, as JSON text, the one made from its last. Every number a table carries is
the frame's, recomputed here from the frame's arrays (the bands as mean ± 2σ, the map's cells
looked up by their coordinates), and every colour is the palette's, by meaning, as in the
static Plotly charts of the same pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from labcore.data.regression import true_mean
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.live import run_classification_live
from labcore.experiments.regression import regions
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.live import run_regression_live
from labcore.plots import classification as classification_plots
from labcore.plots import live, palette
from labcore.plots import regression as regression_plots

# A gap (−1, 1) and a region added beyond the data (4.5 … 5.5): every layer of the bands chart.
REGRESSION = RegressionConfig(steps=100, members=2, hidden=16, gap_width=2.0,
                              add_regions="4.5:5.5:5")
MOONS = ClassificationConfig(dataset="moons", n_points=100, hidden=16, steps=50, members=2,
                             n_views=2, label_noise=0.2)
BLOBS = MOONS.replace(dataset="blobs")  # three classes


@pytest.fixture(scope="module")
def regression_frames() -> list:
    frames: list = []
    run_regression_live(REGRESSION, frames.append, frame_every=50)
    assert [f.step for f in frames] == [50, 100]
    return frames


@pytest.fixture(scope="module")
def moons_frames() -> list:
    frames: list = []
    run_classification_live(MOONS, frames.append)
    assert len(frames) >= 2 and frames[-1].step == MOONS.steps
    return frames


@pytest.fixture(scope="module")
def blobs_frames() -> list:
    frames: list = []
    run_classification_live(BLOBS, frames.append)
    return frames


def bands_spec(frame) -> dict[str, Any]:
    return live.regression_bands_spec(frame.scene, regression_plots.live_y_range(frame.scene))


def rows(table: pd.DataFrame, layer: str, series: str | None = None) -> pd.DataFrame:
    keep = table["layer"] == layer
    if series is not None:
        keep &= table["series"].str.startswith(series)
    return table[keep]


# --- one spec per run ---------------------------------------------------------------------------


def test_a_regression_runs_specs_are_the_same_json_in_its_first_and_last_frame(
        regression_frames) -> None:
    first, last = regression_frames[0], regression_frames[-1]
    for make in (bands_spec, lambda f: live.loss_spec(f.total_steps, "loss")):
        a, b = make(first), make(last)
        assert a == b
        assert json.dumps(a) == json.dumps(b)  # the text Streamlit compares
        # Valid JSON for a browser (no NaN, no numpy scalars): it reads back as itself.
        assert json.loads(json.dumps(a, allow_nan=False)) == a
    # A second run of the same config (new arrays, new scene object) gives the same spec: the
    # spec depends on the scene's values only.
    again: list = []
    run_regression_live(REGRESSION, again.append, frame_every=50)
    assert json.dumps(bands_spec(again[0])) == json.dumps(bands_spec(first))


def test_a_classification_runs_map_spec_is_the_same_json_in_its_first_and_last_frame(
        moons_frames) -> None:
    first, last = moons_frames[0], moons_frames[-1]
    a, b = live.decision_map_spec(first.scene), live.decision_map_spec(last.scene)
    assert a == b and json.dumps(a) == json.dumps(b)
    assert json.loads(json.dumps(a, allow_nan=False)) == a
    assert live.loss_spec(first.total_steps, "UANLL") == live.loss_spec(last.total_steps, "UANLL")


def _columns(table: pd.DataFrame) -> list[tuple[str, str]]:
    return [(name, str(dtype)) for name, dtype in table.dtypes.items()]


def test_every_frames_table_has_the_same_columns(regression_frames, moons_frames) -> None:
    # The spec names these fields; a frame whose table lacked one would draw nothing there.
    first, last = regression_frames[0], regression_frames[-1]
    assert _columns(live.regression_bands_table(first)) == \
        _columns(live.regression_bands_table(last))
    assert len(live.regression_bands_table(first)) == len(live.regression_bands_table(last))
    first, last = moons_frames[0], moons_frames[-1]
    assert _columns(live.decision_map_table(first)) == _columns(live.decision_map_table(last))
    assert _columns(live.loss_table(first.train_loss)) == \
        _columns(live.loss_table(last.train_loss))


# --- the tables carry the frame's numbers -------------------------------------------------------


@pytest.mark.parametrize("which", [0, -1])
def test_the_band_rows_are_the_frames_mean_plus_minus_two_sigma(regression_frames,
                                                                which: int) -> None:
    frame = regression_frames[which]
    table = live.regression_bands_table(frame)
    x, mu = frame.scene.x_grid, frame.pred_mean
    bands = {}
    for name, std in (("total", frame.total_std), ("aleatoric", frame.aleatoric_std),
                      ("epistemic", frame.epistemic_std)):
        band = rows(table, "band", name)
        assert len(band) == x.size, name
        np.testing.assert_array_equal(band["x"], x)
        np.testing.assert_allclose(band["lo"], mu - 2 * std, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(band["hi"], mu + 2 * std, rtol=1e-12, atol=1e-12)
        bands[name] = band
    # total² = aleatoric² + epistemic², so the total band holds both others at every x.
    for name in ("aleatoric", "epistemic"):
        assert np.all(bands["total"]["lo"].to_numpy() <= bands[name]["lo"].to_numpy() + 1e-9)
        assert np.all(bands["total"]["hi"].to_numpy() >= bands[name]["hi"].to_numpy() - 1e-9)
    mean = rows(table, "mean")
    np.testing.assert_array_equal(mean["x"], x)
    np.testing.assert_allclose(mean["y"], mu, rtol=1e-12)
    # The dashed truth is the cubic itself, computed here from x alone.
    truth = rows(table, "truth")
    np.testing.assert_allclose(truth["y"], true_mean("cubic", x), rtol=1e-12)


def test_the_point_rows_are_the_training_data_and_the_added_points(regression_frames) -> None:
    scene = regression_frames[-1].scene
    table = live.regression_bands_table(regression_frames[-1])
    data, added = rows(table, "point", "training data"), rows(table, "point", "added points")
    assert (len(data), len(added)) == (20, 5)
    # Generated points first, added ones after: together exactly the scene's training set.
    np.testing.assert_array_equal(np.concatenate([data["x"], added["x"]]), scene.x_train)
    np.testing.assert_array_equal(np.concatenate([data["y"], added["y"]]), scene.y_train)
    # …and the generated ones are the config's own draw (nothing dropped), the added ones lie
    # in their region.
    np.testing.assert_array_equal(data["x"], regions.generated_inputs(REGRESSION))
    assert np.all((added["x"] >= 4.5) & (added["x"] <= 5.5))


def test_the_grey_no_data_rows_are_outside_the_data_and_the_gap(regression_frames) -> None:
    # By hand: the grid spans [−6, 6]; the data [−4, 4], widened to 5.5 by the added region;
    # the gap of width 2 is (−1, 1). Grey: [−6, −4], [5.5, 6] and the gap.
    shaded = rows(live.regression_bands_table(regression_frames[-1]), "no_data")
    assert sorted(zip(shaded["x"], shaded["x2"], strict=True)) == [
        (-6.0, -4.0), (-1.0, 1.0), (5.5, 6.0)]


def test_the_loss_rows_count_steps_from_one(regression_frames, moons_frames) -> None:
    for frame in (regression_frames[0], moons_frames[-1]):
        table = live.loss_table(frame.train_loss)
        np.testing.assert_array_equal(table["step"], np.arange(1, frame.step + 1))
        np.testing.assert_array_equal(table["loss"], frame.train_loss)
        spec = live.loss_spec(frame.total_steps, "loss")
        assert spec["encoding"]["x"]["scale"]["domain"] == [0.0, float(frame.total_steps)]


@pytest.mark.parametrize("which", [0, -1])
def test_the_map_rows_are_the_frames_cells_looked_up_by_their_coordinates(moons_frames,
                                                                          which: int) -> None:
    frame = moons_frames[which]
    scene = frame.scene
    cells = rows(live.decision_map_table(frame), "map")
    assert len(cells) == scene.x1.size * scene.x2.size  # one row per grid cell
    # Each row's (x, y) names its cell: column j of x1, row i of x2 (rows along x2).
    j = np.searchsorted(scene.x1, cells["x"].to_numpy())
    i = np.searchsorted(scene.x2, cells["y"].to_numpy())
    np.testing.assert_array_equal(scene.x1[j], cells["x"])
    np.testing.assert_array_equal(scene.x2[i], cells["y"])
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == len(cells)  # each cell once
    np.testing.assert_array_equal(cells["confidence"], frame.confidence[i, j])
    assert list(cells["label"]) == [f"class {k}" for k in frame.classes[i, j]]
    # …in the order of a meshgrid of (x1, x2) raveled, x1 fastest.
    g1, g2 = np.meshgrid(scene.x1, scene.x2)
    np.testing.assert_array_equal(cells["x"], g1.ravel())
    np.testing.assert_array_equal(cells["y"], g2.ravel())
    np.testing.assert_array_equal(cells["confidence"], frame.confidence.ravel())
    # The top probability of K classes lies in [1/K, 1]: inside the opacity scale's domain.
    k = scene.n_classes
    assert cells["confidence"].min() >= 1 / k - 1e-6 and cells["confidence"].max() <= 1 + 1e-6


def test_the_map_points_are_the_training_set_with_flipped_labels_marked(moons_frames) -> None:
    scene = moons_frames[-1].scene
    table = live.decision_map_table(moons_frames[-1])
    points = table[table["layer"] != "map"]
    np.testing.assert_array_equal(points["x"], scene.x_train[:, 0])
    np.testing.assert_array_equal(points["y"], scene.x_train[:, 1])
    assert list(points["label"]) == [f"class {k}" for k in scene.y_train_noisy]
    flipped = scene.flipped.astype(bool)
    assert flipped.any() and not flipped.all()  # label_noise 0.2: some flipped, not all
    assert list(points["layer"]) == ["flipped" if f else "point" for f in flipped]


# --- colours: the palette's, by meaning ---------------------------------------------------------

HEX = re.compile(r"#[0-9a-fA-F]{6}")
COLOUR_KEY = re.compile(r".*([cC]olor|[fF]ill|[sS]troke)$")
NAMED = {"white": "#FFFFFF"}


def _colours(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, colour) for every colour in a spec: a hex code anywhere, any string under a
    colour property (color, fill, stroke, gridColor …), every string in a scale's range."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            if isinstance(value, str) and (COLOUR_KEY.fullmatch(key) or HEX.fullmatch(value)):
                yield here, value
            elif key == "range" and isinstance(value, list):  # strings: a colour scale's
                yield from ((f"{here}[{n}]", v) for n, v in enumerate(value)
                            if isinstance(v, str))
            else:
                yield from _colours(value, here)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _colours(value, f"{path}[{n}]")
    elif isinstance(node, str) and HEX.fullmatch(node):
        yield path, node


def _channels(colour: str) -> tuple[int, int, int]:
    code = NAMED.get(colour, colour).lstrip("#")
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def _is_tint(target: tuple[int, int, int], base: tuple[int, int, int]) -> bool:
    """Whether some a in [0, 1] turns every channel c of ``base`` into ``target``'s as
    c + a·(255 − c), to rounding (a taken from the channel furthest from white)."""
    room = [255 - c for c in base]
    k = int(np.argmax(room))
    if room[k] == 0:  # white itself
        return target == (255, 255, 255)
    a = (target[k] - base[k]) / room[k]
    return 0 <= a <= 1 and all(abs(c + a * r - t) <= 1 for c, r, t in zip(
        base, room, target, strict=True))


def _tint_of_declared(colour: str) -> bool:
    """Whether ``colour`` is a declared colour mixed with white (:func:`_is_tint`), the
    palette's only way to make a light shade; a declared colour itself is its 0 % tint."""
    if colour not in NAMED and not HEX.fullmatch(colour):
        return False
    return any(_is_tint(_channels(colour), _channels(base)) for base in palette.DECLARED)


def test_the_tint_check_by_hand() -> None:
    assert _tint_of_declared("#EEEEEE")  # pale grey #DDDDDD half-way to white: 221 + 17
    assert _tint_of_declared("white") and _tint_of_declared("#0072B2")
    assert not _tint_of_declared("#FF0000") and not _tint_of_declared("red")


def _specs(regression_frames, moons_frames, blobs_frames) -> dict[str, dict[str, Any]]:
    return {
        "bands": bands_spec(regression_frames[0]),
        "loss": live.loss_spec(100, "loss"),
        "moons map": live.decision_map_spec(moons_frames[0].scene),
        "blobs map": live.decision_map_spec(blobs_frames[0].scene),
    }


def test_every_colour_is_a_palette_colour_or_a_tint_of_one(regression_frames, moons_frames,
                                                           blobs_frames) -> None:
    declared = {c.upper() for c in palette.DECLARED}
    for name, spec in _specs(regression_frames, moons_frames, blobs_frames).items():
        found = list(_colours(spec))
        assert found, name
        for path, colour in found:
            if ".config." in path:  # the chart's furniture (grid lines): a light shade
                assert _tint_of_declared(colour), (name, path, colour)
            elif path.endswith(".stroke") and colour == "white":  # a point's outline
                continue
            else:  # a colour that means something: declared exactly
                assert colour.upper() in declared, (name, path, colour)


def _legend(spec: dict[str, Any]) -> dict[str, str]:
    """Legend entry → colour, from the colour scales of every layer."""
    found: dict[str, str] = {}
    for layer in spec.get("layer", [spec]):
        scale = layer.get("encoding", {}).get("color", {}).get("scale")
        if scale:
            found.update(zip(scale["domain"], scale["range"], strict=True))
    return found


def test_each_meaning_has_the_colour_it_has_in_the_static_charts(
        regression_frames, moons_frames, blobs_frames) -> None:
    specs = _specs(regression_frames, moons_frames, blobs_frames)
    legend = {name.split(" ±")[0]: colour for name, colour in _legend(specs["bands"]).items()}
    static = regression_plots  # the Plotly bands chart of the same page
    assert legend == {
        "total": palette.base_hex(static.TOTAL_COLOR),
        "aleatoric": palette.base_hex(static.ALEATORIC_COLOR),
        "epistemic": palette.base_hex(static.EPISTEMIC_COLOR),
        "true mean f(x)": static.TRUE_COLOR,
        "predicted mean": static.MEAN_COLOR,
        "training data": static.DATA_COLOR,
        "added points": static.ADDED_COLOR,
    }
    for name, k in (("moons map", 2), ("blobs map", 3)):
        assert _legend(specs[name]) == {
            f"class {c}": classification_plots.CLASS_COLORS[c] for c in range(k)}, name
    assert _legend(specs["loss"]) == {"training loss": palette.MODEL}


# --- titles, and a spec Vega-Lite accepts -------------------------------------------------------


def _axis_titles(spec: dict[str, Any], channel: str) -> set[str]:
    """The explicit titles the layers give ``channel`` (Vega-Lite shows these over defaults)."""
    titles = set()
    for layer in spec.get("layer", [spec]):
        encoding = layer.get("encoding", {}).get(channel, {})
        if "title" in encoding:
            titles.add(encoding["title"])
    return titles


def test_every_chart_has_a_title_and_one_title_per_axis(regression_frames, moons_frames,
                                                         blobs_frames) -> None:
    for name, spec in _specs(regression_frames, moons_frames, blobs_frames).items():
        assert isinstance(spec["title"], str) and spec["title"].strip(), name
        for channel in ("x", "y"):
            titles = _axis_titles(spec, channel)
            # One explicit title (layers that repeat it agree): not none, not "x, lo" merged.
            assert len(titles) == 1, (name, channel, titles)
            (title,) = titles
            assert isinstance(title, str) and len(title) > 3, (name, channel, title)


def test_every_spec_is_valid_vega_lite(regression_frames, moons_frames, blobs_frames) -> None:
    for spec in _specs(regression_frames, moons_frames, blobs_frames).values():
        if "layer" in spec:
            alt.LayerChart.from_dict(spec)  # validates against the Vega-Lite JSON schema
        else:  # a single view needs its data; the page passes it beside the spec
            alt.Chart.from_dict({**spec, "data": {"name": "table"}})
