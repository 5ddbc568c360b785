"""The Classification page's "Train live" mode in Streamlit's AppTest (2-D toys only).

The live map and loss are Vega-Lite charts (``st.vega_lite_chart``): each frame's rows arrive
as Arrow bytes, decoded here and compared with the frames' own numbers.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pyarrow as pa
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

import labcore.experiments.classification.run as engine

KEY = "classification"
QUERY = {"dataset": "moons", "n_points": "300", "hidden": "32", "steps": "100",
         "n_views": "4", "view": "map", "live": "1"}
CONFIG = engine.ClassificationConfig(dataset="moons", n_points=300, hidden=32, steps=100,
                                     n_views=4)


def open_page(query: dict[str, str]) -> AppTest:
    return open_app("pages/classification.py", query)


def heatmap_z(at: AppTest, key_prefix: str) -> np.ndarray:
    charts = [c for c in at.get("plotly_chart") if c.key.startswith(key_prefix)]
    assert len(charts) == 1, [c.key for c in at.get("plotly_chart")]
    heat = next(t for t in json.loads(charts[0].proto.spec)["data"] if t["type"] == "heatmap")
    z = heat["z"]
    if isinstance(z, dict):  # plotly's typed array
        flat = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
        return flat.reshape([int(n) for n in z["shape"].split(",")])
    return np.asarray(z, dtype=float)


def live_map(at: AppTest) -> tuple[str, np.ndarray]:
    """The live map chart's spec text and its confidence on the grid, rows along x2, each cell
    placed by its own (x, y) on the last frame's grid."""
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2, [c.proto.spec[:80] for c in charts]  # the map, then the loss
    spec = charts[0].proto.spec
    rows = pa.ipc.open_stream(charts[0].proto.data.data).read_all().to_pandas()
    cells = rows[rows["layer"] == "map"]
    scene = at.session_state[f"{KEY}.live_run"]["frames"][-1].scene
    grid = np.full((scene.x2.size, scene.x1.size), np.nan)
    grid[np.searchsorted(scene.x2, cells["y"]), np.searchsorted(scene.x1, cells["x"])] = \
        cells["confidence"]
    assert not np.isnan(grid).any()  # every cell drawn
    return spec, grid


def test_train_live_draws_frames_and_ends_with_the_plain_result() -> None:
    at = open_page(QUERY)
    assert not at.exception and not at.error
    assert at.toggle(key=f"{KEY}.live").value
    at.button(key=f"{KEY}.live_start").click().run()
    assert not at.exception and not at.error
    record = at.session_state[f"{KEY}.live_run"]
    frames = record["frames"]
    # 100 steps, a frame every ceil(100 / 25) = 4 steps: 25 frames, all kept (≤ 30).
    assert [f.step for f in frames] == list(range(4, 101, 4))
    assert record["config"] == CONFIG
    plain = engine.run_classification(CONFIG)
    np.testing.assert_array_equal(record["result"].decision_map.confidence,
                                  plain.decision_map.confidence)
    # The page's confidence map after the live run shows the plain run's numbers.
    np.testing.assert_allclose(heatmap_z(at, f"{KEY}.conf_map"), plain.decision_map.confidence)
    # The live map shows the last frame, whose map is the final one.
    spec, shown = live_map(at)
    np.testing.assert_allclose(shown, frames[-1].confidence)
    np.testing.assert_allclose(shown, plain.decision_map.confidence, rtol=1e-6)
    assert any(m.value == "**step 100 of 100**" for m in at.markdown)
    assert f"{plain.metrics['accuracy']:.1%}" == at.metric[0].value
    # Replaying an earlier frame redraws the map and its caption, without retraining.
    at.select_slider[0].set_value(8).run()
    assert not at.exception
    spec_8, shown_8 = live_map(at)
    assert spec_8 == spec  # the same spec: the browser redraws the map in place
    np.testing.assert_allclose(shown_8, frames[1].confidence)
    assert any(m.value == "**step 8 of 100**" for m in at.markdown)
    assert any(c.value.startswith("Notice: at step 8 of 100") for c in at.caption)


def test_digits_say_live_mode_needs_a_toy() -> None:
    at = open_page({"live": "1"})
    assert not at.exception
    assert not [t for t in at.toggle if t.key == f"{KEY}.live"]
    assert any("Train live works on the 2-D toys" in c.value for c in at.sidebar.caption)
