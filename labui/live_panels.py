"""The "Train live" panels of the Regression and Classification pages: an uncached run that
redraws its charts in place every few steps, Stop, and a replay slider over the frames kept in
the session (at most 41). The frame rules (which frames are kept, the kept weights replacing the
last step's frame) are labcore's (:mod:`labcore.experiments.live_frames`); the charts are
Vega-Lite specs made once per run, each frame sending only its table (:mod:`labui.live`).
"""

from __future__ import annotations

import streamlit as st

from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.live import keep_frames as keep_classification_frames
from labcore.experiments.classification.live import live_notice, run_classification_live
from labcore.experiments.classification.run import ClassificationResult
from labcore.experiments.live_frames import record_frame
from labcore.experiments.regression import report as regression_report
from labcore.experiments.regression.live import LiveFrame, keep_frames, run_regression_live
from labcore.experiments.regression.run import RegressionResult, UploadedRegression
from labcore.models.classifier import LOSS_LABELS
from labcore.plots import live as live_plots
from labcore.plots import regression as plots
from labui.errors import guard
from labui.live import RedrawPacer, draw_live, live_font_scale
from labui.page import LabPage
from labui.present import notice
from labui.shell import started
from labui.views import flag

CLASSIFICATION_RUN = "classification.live_run"
"""Session state: the last Classification live run's config, frames and result."""


REGRESSION_FRAMES = "regression.live_frames"


class RegressionCharts:
    """The two live charts of a run (bands, loss), drawn in place frame after frame.

    Their Vega-Lite specs are made once, from the run's first frame (the scene does not change
    while it trains); each frame only sends its tables (see :mod:`labcore.plots.live`).
    """

    def __init__(self, band_slot, loss_slot) -> None:
        self.band_slot, self.loss_slot = band_slot, loss_slot
        self.specs: tuple[dict, dict] | None = None

    def draw(self, frame: LiveFrame) -> None:
        if self.specs is None:
            scale = live_font_scale()
            self.specs = (
                live_plots.regression_bands_spec(frame.scene, plots.live_y_range(frame.scene),
                                                 font_scale=scale),
                live_plots.loss_spec(frame.total_steps,
                                     "loss (standardised y; mean over networks)",
                                     font_scale=scale))
        bands, loss = self.specs
        now = live_plots.progress_text(frame.step, frame.total_steps, frame.train_loss)
        draw_live(self.band_slot, bands, live_plots.regression_bands_table(frame),
                  "Predicted mean and its aleatoric, epistemic and total bands while the "
                  f"networks train, with the training data and the true mean. {now}")
        draw_live(self.loss_slot, loss, live_plots.loss_table(frame.train_loss),
                  f"The training loss at every step so far. {now}")


def regression_live(page: LabPage) -> RegressionResult | None:
    """"Train live": an uncached run that redraws the bands and the loss every few steps.

    The charts are redrawn in place (never taken down between frames). The frames (at most
    41) stay in the session, so after the run, or after "■ Stop" (a click reruns the page,
    which ends the training at its next redraw), the step slider replays them.
    Returns the result when this run of the page trained to the end, else None.
    """
    start, stop = st.columns(2)
    pressed = start.button("▶ Train live", key="regression.live_start", type="primary")
    stop.button("■ Stop", key="regression.live_stop",
                help="Stop the training at its next redraw; the frames so far stay.")
    counter, slider_slot, band_slot, loss_slot = st.empty(), st.empty(), st.empty(), st.empty()
    charts = RegressionCharts(band_slot, loss_slot)
    config, uploaded = page.config, page.uploaded
    ident = (config, uploaded is None)
    finished = None
    if pressed:
        recorded: list[LiveFrame] = []
        st.session_state.pop(REGRESSION_FRAMES, None)

        pacer = RedrawPacer()

        def on_frame(frame: LiveFrame) -> None:
            record_frame(recorded, frame)  # the kept weights replace the last step's frame
            st.session_state[REGRESSION_FRAMES] = (ident, keep_frames(recorded))
            pacer.wait()
            counter.markdown(f"**step {frame.step} of {frame.total_steps}**")
            charts.draw(frame)

        with guard():
            started()  # torch's threads and the device, set before the training
            finished = run_regression_live(
                config if uploaded is None else UploadedRegression(config, uploaded), on_frame)
    stored = st.session_state.get(REGRESSION_FRAMES)
    if stored is None or stored[0] != ident:
        counter.caption("Press ▶ Train live to watch the bands form as the networks train.")
        return finished
    frames = stored[1]
    steps = [f.step for f in frames]
    step = slider_slot.select_slider("Replay: step", options=steps, value=steps[-1],
                                     key=f"regression.live_step.{len(steps)}.{steps[-1]}")
    frame = frames[steps.index(step)]
    counter.markdown(f"**step {frame.step} of {frame.total_steps}**")
    charts.draw(frame)
    notice(regression_report.live_notice(frames, steps.index(step)))
    return finished


def draw_classification_frame(slots, specs, frame, loss_name: str) -> dict:
    """Draw one live frame (map, loss) in place; returns the run's specs, made on its first."""
    if not specs:
        scale = live_font_scale()
        specs["map"] = live_plots.decision_map_spec(frame.scene, font_scale=scale)
        specs["loss"] = live_plots.loss_spec(frame.total_steps, f"{loss_name} (own loss, "
                                             "per sample)", font_scale=scale)
    map_slot, loss_slot = slots
    now = live_plots.progress_text(frame.step, frame.total_steps, frame.train_loss)
    draw_live(map_slot, specs["map"], live_plots.decision_map_table(frame),
              "The network's predicted class and confidence over the plane, with the training "
              f"points, while it trains. {now}")
    draw_live(loss_slot, specs["loss"], live_plots.loss_table(frame.train_loss),
              f"The training loss at every step so far. {now}")
    return specs


def classification_live(config: ClassificationConfig) -> ClassificationResult | None:
    """The "Train live" panel (2-D toys): watch the decision map and the loss while it trains.

    Returns the live run's result when it trained this config (equal to the cached run's),
    else None.
    """
    with st.sidebar:
        if not config.is_toy:
            st.caption("Train live works on the 2-D toys: choose one under **Data → Dataset**.")
            return None
        if not flag("Train live", key="classification.live", param="live",
                    help="Watch the decision map and the loss change while the network trains."):
            return None
    model = config.model_config()
    st.subheader("Train live")
    start, stop, counter = st.columns([1, 1, 3], vertical_alignment="center")
    pressed = start.button("▶ Train live", key="classification.live_start", type="primary")
    stopped = stop.button("■ Stop", key="classification.live_stop")
    step_slot = counter.empty()
    left, right = st.columns([3, 2])
    map_slot, loss_slot, note_slot = left.empty(), right.empty(), st.empty()
    loss_name = LOSS_LABELS[config.loss].split(" (")[0]
    specs: dict = {}  # the run's chart specs, made from its first frame
    if pressed:
        record = {"config": model, "frames": [], "result": None}
        # Frames arrive here; a Stop keeps those so far.
        st.session_state[CLASSIFICATION_RUN] = record

        pacer = RedrawPacer()

        def on_frame(frame) -> None:
            record_frame(record["frames"], frame)  # kept weights replace the last step's
            pacer.wait()
            step_slot.markdown(f"**step {frame.step} of {frame.total_steps}**")
            draw_classification_frame((map_slot, loss_slot), specs, frame, loss_name)

        started()  # torch's threads and the device, set before the training
        record["result"] = run_classification_live(model, on_frame)
        record["frames"] = keep_classification_frames(record["frames"])
    record = st.session_state.get(CLASSIFICATION_RUN)
    if record is None or record["config"] != model or not record["frames"]:
        step_slot.caption("Press ▶ Train live to watch this network learn, step by step; the "
                          "charts below show it fully trained.")
        return None
    frames = record["frames"] = keep_classification_frames(record["frames"])
    if stopped or record["result"] is None:
        st.info(f"Stopped at step {frames[-1].step} of {frames[-1].total_steps}. Press "
                "▶ Train live to start again; the charts below show the fully trained model.")
    steps = [f.step for f in frames]
    chosen = steps[-1] if len(steps) < 2 else st.select_slider(
        "Replay: step", options=steps, value=steps[-1],
        key=f"classification.live_step.{len(steps)}.{steps[-1]}")
    index = steps.index(chosen)
    step_slot.markdown(f"**step {chosen} of {frames[index].total_steps}**")
    draw_classification_frame((map_slot, loss_slot), specs, frames[index], loss_name)
    notice(live_notice(frames, index), container=note_slot)
    return record["result"]
