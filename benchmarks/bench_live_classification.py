"""Train live on the Classification page: frames per second next to the plain training.

A frame is what the page draws (``labui.live.draw_live``): the decision map's and the loss
curve's tables at the current weights, each serialised as ``st.vega_lite_chart`` sends it —
the table as Arrow bytes (``streamlit.dataframe_util.convert_anything_to_arrow_bytes``) and the
run's spec, built once from the first frame, as JSON (``json.dumps``, on every call).
"""

from __future__ import annotations

import json
import time
from typing import Any

from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from benchmarks.common import Row, median_time
from labcore.experiments.classification import report
from labcore.experiments.classification.live import LiveFrame, run_classification_live
from labcore.experiments.classification.run import run_classification
from labcore.plots import live as live_plots

PRESET = "S5 · UANLL on two moons, with an ensemble (decision map)"
TARGET_FPS = 10.0  # issue #14: at least 10 redraws per second


def run(quick: bool = False) -> list[Row]:
    repeats = 1 if quick else 3
    config = report.PRESETS[PRESET]
    t_plain = median_time(lambda: run_classification(config), repeats)
    counts: list[int] = []
    specs: list[dict[str, Any]] = []
    drawing: list[float] = []  # seconds per frame, over every live run

    def draw(frame: LiveFrame) -> None:
        start = time.perf_counter()
        if not specs:  # once per run, as the page does
            specs.append(live_plots.decision_map_spec(frame.scene))
            specs.append(live_plots.loss_spec(frame.total_steps, "UANLL (own loss, per sample)"))
        tables = (live_plots.decision_map_table(frame), live_plots.loss_table(frame.train_loss))
        for spec, table in zip(specs, tables, strict=True):
            convert_anything_to_arrow_bytes(table)
            json.dumps(spec)
        drawing.append(time.perf_counter() - start)
        counts.append(frame.step)

    def live() -> None:
        counts.clear()
        specs.clear()
        run_classification_live(config, draw)

    t_live = median_time(live, repeats)
    fps = len(counts) / t_live
    per_frame = sum(drawing) / len(drawing)
    return [
        Row("Classification live: frames per second, moons ensemble preset", fps, "",
            f"≥ {TARGET_FPS:g}", fps >= TARGET_FPS,
            f"{len(counts)} frames (map + loss table → Arrow, specs → JSON) in {t_live:.2f} s "
            f"for {config.steps} steps of {config.members} members; the plain run takes "
            f"{t_plain:.2f} s ({t_live - t_plain:+.2f} s for the frames)"),
        Row("Classification live: drawing one frame (map + loss table → Arrow, specs → JSON)",
            per_frame, "s", "report", None, f"{len(drawing)} frames over all runs; at most "
            f"{1 / per_frame:.0f} redraws/s if training and the map's forward pass took no time"),
        Row("Classification: plain run, moons ensemble preset", t_plain, "s", "report", None,
            "run_classification without frames (the cached page path)"),
    ]
