"""Train live: redraws per second of the Regression page's default run, beside plain training.

A redraw is what the page does for each frame: build the band and loss figures and serialise
them as Streamlit does (``plotly.io.to_json(fig, validate=False)``); the training runs in the
same loop, so the rate is frames over the whole live run's wall time.
"""

from __future__ import annotations

import time

import plotly.io as pio

from benchmarks.common import Row, median_time
from labcore.experiments.regression.live import LiveFrame, run_regression_live
from labcore.experiments.regression.run import RegressionConfig, run_regression
from labcore.plots import regression as plots

TARGET_FPS = 10.0


def _live_run(config: RegressionConfig) -> tuple[float, int, float]:
    """Wall time, frame count and drawing time of one live run that draws every frame."""
    frames, drawing = 0, 0.0

    def draw(frame: LiveFrame) -> None:
        nonlocal frames, drawing
        start = time.perf_counter()
        pio.to_json(plots.live_bands_figure(frame), validate=False)
        pio.to_json(plots.live_loss_figure(frame), validate=False)
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
            f"{frames} frames (build + to_json of 2 figures each) in {wall:.2f} s; the same "
            f"training without frames: {plain:.2f} s"),
        Row("Train live: live run / plain run", wall / plain, "×", "report", None,
            f"{wall:.2f} s vs {plain:.2f} s"),
        Row("Train live: drawing one frame (2 figures + to_json)", drawing / frames, "s",
            "report", None, f"at most {frames / drawing:.0f} redraws/s if training took no "
            "time"),
    ]
