"""Home page (scene S1) runs in Streamlit's AppTest and reacts to its widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "home.py")


@pytest.fixture
def at() -> AppTest:
    st.cache_data.clear()
    app = AppTest.from_file(PAGE, default_timeout=30)
    app.run()
    return app


def _theta_slider(app: AppTest):
    return next(s for s in app.slider if s.key.startswith("mle_theta_"))


def test_page_runs_and_shows_two_charts(at: AppTest) -> None:
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert at.title[0].value == "Uncertainty Lab"
    assert len(at.get("latex")) >= 3


@pytest.mark.parametrize("distribution", ["laplace", "bernoulli", "categorical", "gaussian"])
def test_changing_distribution_reruns(at: AppTest, distribution: str) -> None:
    at.selectbox(key="mle_distribution").set_value(distribution).run()
    assert not at.exception
    assert not at.error
    assert len(at.get("plotly_chart")) == 2


def test_moving_the_parameter_slider_reruns(at: AppTest) -> None:
    _theta_slider(at).set_value(2.5).run()
    assert not at.exception
    assert _theta_slider(at).value == pytest.approx(2.5)
    assert any("2.50" in m.label for m in at.metric)


def test_probability_slider_after_switching_to_bernoulli(at: AppTest) -> None:
    at.selectbox(key="mle_distribution").set_value("bernoulli").run()
    _theta_slider(at).set_value(0.9).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2


def test_changing_sample_settings_reruns(at: AppTest) -> None:
    at.slider(key="mle_n_samples").set_value(1).run()
    at.number_input(key="mle_seed").set_value(5).run()
    at.slider(key="mle_scale").set_value(4.0).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
