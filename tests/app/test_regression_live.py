"""Train live on the Regression page (AppTest): ?live=1, "▶ Train live", frames kept for the
replay slider, and the same final chart as the page without live training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from labcore.experiments.regression.live import frame_interval

APP = str(Path(__file__).resolve().parents[2] / "app.py")
KEY = "regression"
QUERY = {"steps": "200", "members": "2", "hidden": "32"}


def open_page(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/regression.py")
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    return at


def bands(at: AppTest) -> list[dict]:
    (chart,) = [c for c in at.get("plotly_chart") if c.key == f"{KEY}.bands_fig"]
    return json.loads(chart.proto.spec)["data"]


def test_train_live_records_its_frames_and_ends_on_the_plain_chart() -> None:
    plain = open_page(QUERY)
    assert not plain.exception and not plain.error
    assert f"{KEY}.live_start" not in {b.key for b in plain.button}  # live is off by default

    at = open_page({**QUERY, "live": "1"})
    assert at.toggle(key=f"{KEY}.live").value
    at.button(key=f"{KEY}.live_start").click().run()
    assert not at.exception and not at.error
    _, frames = at.session_state[f"{KEY}.live_frames"]
    every = frame_interval(200)
    assert [f.step for f in frames] == list(range(every, 201, every))  # 10 frames
    # After the run the slider replays any frame; it starts on the last.
    (slider,) = [s for s in at.select_slider if s.key.startswith(f"{KEY}.live_step")]
    assert slider.value == 200 and list(slider.options) == [str(f.step) for f in frames]
    assert any(c.value.startswith("Notice: step 200 of 200") for c in at.caption)
    # The final band chart has the same traces and numbers as without live training.
    live_traces, plain_traces = bands(at), bands(plain)
    assert [t.get("name") for t in live_traces] == [t.get("name") for t in plain_traces]
    for a, b in zip(live_traces, plain_traces, strict=True):
        assert a == b
    # Scrubbing back shows an earlier frame.
    slider.set_value(every * 3).run()
    assert not at.exception
    live_fig = next(c for c in at.get("plotly_chart") if c.key == f"{KEY}.live_fig")
    title = json.loads(live_fig.proto.spec)["layout"]["title"]["text"]
    assert title == f"Training live: step {every * 3} of 200"
    assert np.isfinite(frames[2].train_loss).all()
