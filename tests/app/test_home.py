"""Home page (scene S1) in Streamlit's AppTest: the app's default page, with URL state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import sample_data

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_home(query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30)
    for name, value in (query or {}).items():
        app.query_params[name] = value
    return app.run()


@pytest.fixture
def at() -> AppTest:
    return open_home()


def _theta_slider(app: AppTest):
    return app.slider(key="home.theta")


def _metric(app: AppTest, starts: str) -> str:
    return next(m.value for m in app.metric if m.label.startswith(starts))


def test_home_is_the_default_page_and_leads_with_two_charts(at: AppTest) -> None:
    assert not at.exception
    assert at.title[0].value == "Uncertainty Lab"
    assert len(at.get("plotly_chart")) == 2
    assert len(at.get("latex")) >= 3


def test_best_value_is_the_sample_mean_of_the_drawn_sample(at: AppTest) -> None:
    # The Gaussian's NLL is minimised by the sample mean, computed here from the same seed.
    sample = sample_data(MLEConfig())
    assert float(_metric(at, "Best μ")) == pytest.approx(float(np.mean(sample)), abs=5e-4)


@pytest.mark.parametrize("distribution", ["laplace", "bernoulli", "categorical", "gaussian"])
def test_changing_distribution_reruns_and_goes_to_the_url(at: AppTest, distribution: str) -> None:
    at.selectbox(key="home.distribution").set_value(distribution).run()
    assert not at.exception
    assert not at.error
    assert len(at.get("plotly_chart")) == 2
    expected = None if distribution == "gaussian" else distribution  # the default is not written
    assert at.query_params.get("distribution") == expected


def test_controls_that_do_nothing_are_hidden(at: AppTest) -> None:
    keys = {w.key for w in at.slider}
    assert {"home.true_mu", "home.scale"} <= keys and "home.true_p" not in keys
    at.selectbox(key="home.distribution").set_value("bernoulli").run()
    keys = {w.key for w in at.slider}
    assert "home.true_p" in keys and not {"home.true_mu", "home.scale"} & keys


def test_a_link_reproduces_the_settings() -> None:
    at = open_home({"distribution": "bernoulli", "true_p": "0.8", "n_samples": "50"})
    assert not at.exception and not at.error
    assert at.selectbox(key="home.distribution").value == "bernoulli"
    assert at.slider(key="home.true_p").value == pytest.approx(0.8)
    sample = sample_data(MLEConfig(distribution="bernoulli", true_p=0.8, n_samples=50))
    assert float(_metric(at, "Best λ")) == pytest.approx(sample.mean(), abs=5e-4)


def test_a_bad_link_value_is_reported_and_the_default_used() -> None:
    at = open_home({"n_samples": "5000"})
    assert not at.exception
    assert "Sample size (n_samples) must be between 1 and 200. Got 5000." in at.error[0].value
    assert at.slider(key="home.n_samples").value == MLEConfig().n_samples


def test_moving_the_parameter_slider_reruns(at: AppTest) -> None:
    _theta_slider(at).set_value(2.5).run()
    assert not at.exception
    assert _theta_slider(at).value == pytest.approx(2.5)
    assert any("2.50" in m.label for m in at.metric)
    assert at.query_params["theta"] == "2.5"
    again = open_home(dict(at.query_params))  # a fresh session from the copied link
    assert again.slider(key="home.theta").value == pytest.approx(2.5)


def test_probability_slider_after_switching_to_bernoulli(at: AppTest) -> None:
    at.selectbox(key="home.distribution").set_value("bernoulli").run()
    _theta_slider(at).set_value(0.9).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2


def test_changing_sample_settings_reruns(at: AppTest) -> None:
    at.slider(key="home.n_samples").set_value(1).run()
    at.number_input(key="home.seed").set_value(5).run()
    at.slider(key="home.scale").set_value(4.0).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert at.query_params["n_samples"] == "1" and at.query_params["seed"] == "5"


def test_a_new_sample_keeps_the_theta_the_slider_shows_and_the_url_says_so() -> None:
    """The θ slider's range follows the sample; when it moves, the θ the page computes with
    (its metrics) and the URL must stay the value the slider shows (they once jumped to the
    new range's minimum, μ = −2, while the slider still showed 1.00)."""
    at = open_home()
    at.query_params["n_samples"] = "5"  # another sample: the θ range becomes [−2, 4]
    at.run()
    slider = at.slider(key="home.theta")
    assert slider.min == -2.0 and slider.value == 1.0
    assert [m.label for m in at.metric][:2] == ["Mean NLL at μ = 1.00", "MSE at μ = 1.00"]
    assert "theta" not in at.query_params  # 1.0 is the default: the link need not say it
