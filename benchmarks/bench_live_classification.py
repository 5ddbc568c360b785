"""Train live on the Classification page: frames per second next to the plain training.

A frame is what the page draws: the decision map and the loss curve at the current weights,
each built as a figure and serialised as Streamlit sends it (``plotly.io.to_json``).
"""

from __future__ import annotations

import plotly.io as pio

from benchmarks.common import Row, median_time
from labcore.experiments.classification import report
from labcore.experiments.classification.live import LiveFrame, run_classification_live
from labcore.experiments.classification.run import run_classification
from labcore.plots import classification as plots

PRESET = "S5 · UANLL on two moons, with an ensemble (decision map)"
TARGET_FPS = 10.0  # issue #14: at least 10 redraws per second


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    config = report.PRESETS[PRESET]
    t_plain = median_time(lambda: run_classification(config), repeats)
    counts: list[int] = []

    def draw(frame: LiveFrame) -> None:
        pio.to_json(plots.live_map_figure(frame), validate=False)
        pio.to_json(plots.live_loss_figure(frame, "UANLL"), validate=False)
        counts.append(frame.step)

    def live() -> None:
        counts.clear()
        run_classification_live(config, draw)

    t_live = median_time(live, repeats)
    fps = len(counts) / t_live
    return [
        Row("Classification live: frames per second, moons ensemble preset", fps, "",
            f"≥ {TARGET_FPS:g}", fps >= TARGET_FPS,
            f"{len(counts)} frames (map + loss figure, to_json) in {t_live:.2f} s for "
            f"{config.steps} steps of {config.members} members; the plain run takes "
            f"{t_plain:.2f} s ({t_live - t_plain:+.2f} s for the frames)"),
        Row("Classification: plain run, moons ensemble preset", t_plain, "s", "report", None,
            "run_classification without frames (the cached page path)"),
    ]
