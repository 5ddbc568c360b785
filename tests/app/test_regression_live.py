"""Train live on the Regression page (AppTest): ?live=1, "▶ Train live", frames kept for the
replay slider, and the same final chart as the page without live training.

The live charts are Vega-Lite charts (``st.vega_lite_chart``): the spec travels as JSON text,
each frame's rows as Arrow bytes, decoded here and compared with the frames' own numbers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
from app_helpers import open_app
from streamlit.testing.v1 import AppTest

from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.live import frame_interval
from labcore.experiments.regression.run import run_regression

KEY = "regression"
QUERY = {"steps": "200", "members": "2", "hidden": "32"}


def open_page(query: dict[str, str]) -> AppTest:
    return open_app("pages/regression.py", query)


def live_charts(at: AppTest) -> list[tuple[str, pd.DataFrame]]:
    """The page's Vega-Lite charts, in page order: (spec JSON text, the rows it was sent)."""
    return [(c.proto.spec, pa.ipc.open_stream(c.proto.data.data).read_all().to_pandas())
            for c in at.get("vega_lite_chart")]


def band(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    return rows[(rows["layer"] == "band") & rows["series"].str.startswith(name)]


def assert_shows(rows: pd.DataFrame, mean: np.ndarray, stds: dict[str, np.ndarray]) -> None:
    """The live bands chart's rows hold this mean and its ±2σ bands."""
    np.testing.assert_allclose(rows.loc[rows["layer"] == "mean", "y"], mean, rtol=1e-9)
    for name, std in stds.items():
        np.testing.assert_allclose(band(rows, name)["lo"], mean - 2 * std, rtol=1e-9,
                                   atol=1e-9, err_msg=name)
        np.testing.assert_allclose(band(rows, name)["hi"], mean + 2 * std, rtol=1e-9,
                                   atol=1e-9, err_msg=name)


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
    # The live charts, bands then loss, show the last frame: the step counter says so, and the
    # band rows are the plain run's (an ensemble's last frame is its result on the grid).
    assert "**step 200 of 200**" in [m.value for m in at.markdown]
    (band_spec, band_rows), (loss_spec, loss_rows) = live_charts(at)
    plain_result = run_regression(RegressionConfig(steps=200, members=2, hidden=32))
    assert_shows(band_rows, plain_result.pred_mean, {
        "total": plain_result.total_std, "aleatoric": plain_result.aleatoric_std,
        "epistemic": plain_result.epistemic_std})
    np.testing.assert_array_equal(loss_rows["step"], np.arange(1, 201))
    np.testing.assert_allclose(loss_rows["loss"], frames[-1].train_loss, rtol=1e-6)
    # Scrubbing back shows an earlier frame: new rows under the same spec (drawn in place).
    slider.set_value(every * 3).run()
    assert not at.exception
    assert f"**step {every * 3} of 200**" in [m.value for m in at.markdown]
    (band_spec_3, band_rows_3), (loss_spec_3, loss_rows_3) = live_charts(at)
    assert (band_spec_3, loss_spec_3) == (band_spec, loss_spec)
    frame = frames[2]
    assert frame.step == every * 3
    assert_shows(band_rows_3, frame.pred_mean, {
        "total": frame.total_std, "aleatoric": frame.aleatoric_std,
        "epistemic": frame.epistemic_std})
    assert len(loss_rows_3) == every * 3
    assert json.loads(band_spec)["title"].startswith("The bands while the networks train")
    assert np.isfinite(frames[2].train_loss).all()
