"""Train live: redraws per second of the Regression page's default run, beside plain training.

A redraw is what the page does for each frame (``labui.live.draw_live``): the Vega-Lite specs
of the bands and the loss are built once per run, from its first frame; every frame builds the
two tables and Streamlit serialises them — each table to Arrow bytes
(``streamlit.dataframe_util.convert_anything_to_arrow_bytes``, what ``st.vega_lite_chart``
sends) and the unchanged spec to JSON (``json.dumps``, done again on every call). The training
runs in the same loop, so the rate is frames over the whole live run's wall time.
"""

from __future__ import annotations

import json
import time
from typing import Any

from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from benchmarks.common import Row, median_time
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.live import LiveFrame, run_regression_live
from labcore.experiments.regression.run import run_regression
from labcore.plots import live as live_plots
from labcore.plots import regression as plots

TARGET_FPS = 10.0


def _live_run(config: RegressionConfig) -> tuple[float, int, float]:
    """Wall time, frame count and drawing time of one live run that draws every frame."""
    frames, drawing = 0, 0.0
    specs: list[dict[str, Any]] = []

    def draw(frame: LiveFrame) -> None:
        nonlocal frames, drawing
        start = time.perf_counter()
        if not specs:  # once per run, as the page does
            specs.append(live_plots.regression_bands_spec(
                frame.scene, plots.live_y_range(frame.scene)))
            specs.append(live_plots.loss_spec(frame.total_steps, "loss"))
        tables = (live_plots.regression_bands_table(frame),
                  live_plots.loss_table(frame.train_loss))
        for spec, table in zip(specs, tables, strict=True):
            convert_anything_to_arrow_bytes(table)
            json.dumps(spec)
        drawing += time.perf_counter() - start
        frames += 1

    start = time.perf_counter()
    run_regression_live(config, draw)
    return time.perf_counter() - start, frames, drawing


def run(quick: bool = False) -> list[Row]:
    """Frames per second of the default live run, and its cost over the plain run."""
    config = RegressionConfig()
    repeats = 1 if quick else 3
    plain = median_time(lambda: run_regression(config), repeats)
    _live_run(config)  # warm-up
    runs = [_live_run(config) for _ in range(repeats)]
    runs.sort()
    wall, frames, drawing = runs[len(runs) // 2]
    fps = frames / wall
    return [
        Row("Train live: redraws per second (default regression)", fps, "", f"≥ {TARGET_FPS:g}",
            fps >= TARGET_FPS,
            f"{frames} frames (2 tables → Arrow + 2 specs → JSON each) in {wall:.2f} s; the "
            f"same training without frames: {plain:.2f} s"),
        Row("Train live: live run / plain run", wall / plain, "×", "report", None,
            f"{wall:.2f} s vs {plain:.2f} s"),
        Row("Train live: drawing one frame (2 tables → Arrow + specs → JSON)", drawing / frames,
            "s", "report", None, f"at most {frames / drawing:.0f} redraws/s if training took "
            "no time"),
    ]
