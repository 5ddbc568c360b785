"""What a user feels, at the real server, beside each page's retrain in labcore.

The server is ``streamlit run app.py``; the clients speak Streamlit's protocol
(:mod:`labserve.protocol`): they send what the browser sends and time the messages that come
back, rendering nothing, so every time is the server's. Measured:

- cold start: the process started → the Home page's first chart;
- per page, a changed setting → the redrawn chart: each repeat sets a new seed, so the page
  trains a new config of the same size as its default one, which the retrain row times in
  labcore alone (no Streamlit, no cache) in the same run;
- per page, the same settings in another session: a cache hit, no new training;
- the Calibration page's temperature slider, which rescores cached logits;
- the Home page's θ slider, which redraws its two figures from the cached result;
- the server's peak memory after all of that.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable

import numpy as np

from benchmarks.common import Row, p50, timed_row, timings
from labserve.app_server import LOG_CACHE_MISSES, peak_rss_mb, running_app
from labserve.protocol import RunTimes, connect, run_sync

MEMORY_LIMIT_MB = 1536
SLIDER_LIMIT_S = 0.2
TEMPERATURES = [t for t in np.round(np.linspace(0.5, 3.0, 26), 2).tolist() if t != 1.0]


def _home() -> object:
    from labcore.experiments.home.config import MLEConfig
    from labcore.experiments.home.run import run_mle

    return run_mle(MLEConfig())


def _regression() -> object:
    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.run import run_regression

    return run_regression(RegressionConfig())


def _classification() -> object:
    from labcore.experiments.classification.config import ClassificationConfig
    from labcore.experiments.classification.run import run_classification

    return run_classification(ClassificationConfig().model_config())


def _calibration() -> object:
    from labcore.experiments.calibration.config import CalibrationConfig, training_config
    from labcore.experiments.calibration.run import run_calibration

    return run_calibration(training_config(CalibrationConfig()))


def _ood() -> object:
    from labcore.experiments.ood.config import OODLabConfig
    from labcore.experiments.ood.run import run_shift

    return run_shift(OODLabConfig().shift_config())


@dataclasses.dataclass(frozen=True)
class Page:
    """A page of the app and the labcore call its default settings make."""

    title: str
    path: str  # its URL path name ("" is Home, the default page)
    key: str  # the prefix of its widget keys
    retrain: Callable[[], object]  # the labcore run function on the page's default config
    call: str  # that call, as text for the table
    retrain_limit_s: float | None = None  # the target for it, where there is one


PAGES = [
    Page("Home", "", "home", _home, "run_mle(MLEConfig())"),
    Page("Regression", "regression", "regression", _regression,
         "run_regression(RegressionConfig()): cubic, 20 points, 5-member NLL ensemble", 1.5),
    Page("Classification", "classification", "classification", _classification,
         "run_classification(default): digits, UANLL, 40 % asymmetric noise, TTA"),
    Page("Calibration", "calibration", "calibration", _calibration,
         "run_calibration(default): plain CE + ε = 0.1, temperatures fitted"),
    Page("OOD", "ood", "ood", _ood,
         "run_shift(default): plain, temperature scaling, ensemble × 6 corruptions × 5 "
         "severities", 10.0),
]


@dataclasses.dataclass
class ServerTimes:
    """What the protocol clients measured on one server."""

    cold_start_s: float = float("nan")
    redraw_s: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    cache_hit_s: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    trained_on_hit: dict[str, int] = dataclasses.field(default_factory=dict)
    slider_s: list[float] = dataclasses.field(default_factory=list)
    trained_on_slider: int = 0
    theta_s: list[float] = dataclasses.field(default_factory=list)
    trained_on_theta: int = 0
    peak_mb: float = float("nan")


def _chart(times: RunTimes, what: str) -> float:
    """Seconds to the run's last chart; a run with an error or no chart fails the benchmark."""
    if times.error or not times.charts:
        raise RuntimeError(f"{what}: {times.error or 'no chart was drawn'}")
    return times.last_chart_s


async def _cold_start(app) -> float:
    """Seconds from starting the server's process to the Home page's first chart."""
    async with connect(app.ws_url) as user:
        sent = time.perf_counter()
        home = await user.open("")
        _chart(home, "Home, cold start")
        return sent - app.started + home.first_chart_s


async def _measure(app, repeats: int, slider_repeats: int) -> ServerTimes:
    out = ServerTimes(cold_start_s=await _cold_start(app))
    for page in PAGES:
        async with connect(app.ws_url) as user:
            # The first visit trains the default settings (what the revisits find cached).
            _chart(await user.open(page.path), f"{page.title}, first visit")
            out.redraw_s[page.title] = [
                _chart(await user.set(f"{page.key}.seed", seed), f"{page.title}, seed {seed}")
                for seed in range(1, repeats + 1)]
        before = app.trainings()
        hits = []
        for _ in range(repeats):
            async with connect(app.ws_url) as visitor:
                hits.append(_chart(await visitor.open(page.path), f"{page.title}, revisit"))
        out.cache_hit_s[page.title] = hits
        out.trained_on_hit[page.title] = app.trainings() - before
    async with connect(app.ws_url) as user:
        await user.open("calibration")
        views = user.widgets["calibration.view"].options
        await user.set("calibration.view", next(v for v in views if v.startswith("Temperature")))
        before = app.trainings()
        for t in itertools.islice(itertools.cycle(TEMPERATURES), slider_repeats):
            out.slider_s.append(
                _chart(await user.set("calibration.temperature", t), f"slider at T = {t}"))
        out.trained_on_slider = app.trainings() - before
    async with connect(app.ws_url) as user:
        await user.open("")
        before = app.trainings()
        for theta in itertools.islice(itertools.cycle(_thetas()), slider_repeats):
            out.theta_s.append(_chart(await user.set("home.theta", theta), f"θ = {theta}"))
        out.trained_on_theta = app.trainings() - before
    out.peak_mb = peak_rss_mb(app.pid)
    return out


def _thetas() -> list[float]:
    """Ten values on the Home page's θ slider (its default settings), on the slider's steps."""
    from labcore.experiments.home.config import MLEConfig
    from labcore.experiments.home.run import run_mle

    result = run_mle(MLEConfig())
    low, high, step = result.theta_min, result.theta_max, result.theta_step
    values = np.round(np.linspace(low, high, 12)[1:-1] / step) * step
    return [round(float(v), 6) for v in values]


def _theta_in_labcore(repeats: int) -> float:
    """The labcore part of one θ move: two MLE points, both figures as JSON."""
    from labcore.experiments.home.config import MLEConfig
    from labcore.experiments.home.run import point_at, run_mle
    from labcore.plots import home as plots

    config = MLEConfig()
    result = run_mle(config)
    thetas = itertools.cycle(_thetas())

    def redraw() -> None:
        current = point_at(config, result, next(thetas))
        best = point_at(config, result, result.closed_form)
        plots.sample_figure(result, current, best).to_json()
        plots.nll_figure(result, current).to_json()

    return p50(timings(redraw, repeats, warmup=2))


def _slider_in_labcore(repeats: int) -> float:
    """The labcore part of one slider move: 2 rescores, the tables, the figure as JSON."""
    from labcore.experiments.calibration import report
    from labcore.experiments.calibration.config import CalibrationConfig
    from labcore.experiments.calibration.run import rescore
    from labcore.plots import calibration as plots

    config = CalibrationConfig()
    run = _calibration()
    temperatures = itertools.cycle(TEMPERATURES)

    def redraw() -> None:
        scores = rescore(run, "plain", float(next(temperatures)), config.n_bins, config.strategy)
        raw = rescore(run, "plain", 1.0, config.n_bins, config.strategy)
        report.comparison_rows(raw, scores)
        report.ece_table(scores)
        report.ece_sum_text(scores)
        plots.reliability_figure([scores], cols=1, strategy=config.strategy).to_json()

    return p50(timings(redraw, repeats, warmup=2))


def run(quick: bool = False) -> list[Row]:
    repeats = 2 if quick else 5
    slider_repeats = 5 if quick else 20
    retrain = {page.title: timings(page.retrain, repeats, warmup=1) for page in PAGES}
    slider_labcore = _slider_in_labcore(slider_repeats)
    theta_labcore = _theta_in_labcore(slider_repeats)
    with running_app(extra_env=LOG_CACHE_MISSES) as app:
        server = run_sync(_measure(app, repeats, slider_repeats))
    cold = [server.cold_start_s]
    for _ in range(0 if quick else 2):
        with running_app() as app:
            cold.append(run_sync(_cold_start(app)))

    rows = [timed_row("cold start → first chart (Home)", cold,
                      note=f"streamlit run app.py to the Home page's first chart; {len(cold)} "
                      "fresh server(s)")]
    for page in PAGES:
        redraw, hits = server.redraw_s[page.title], server.cache_hit_s[page.title]
        trained = server.trained_on_hit[page.title]
        extra = p50(redraw) - p50(retrain[page.title])
        rows += [
            timed_row(f"{page.title}: retrain (labcore, default config)", retrain[page.title],
                      page.retrain_limit_s, f"{page.call}; no Streamlit, no cache"),
            timed_row(f"{page.title}: changed setting → redrawn chart", redraw,
                      note=f"server, protocol client; a new seed each time ({len(redraw)}×): "
                      f"the page adds {extra:+.2f} s to its retrain"),
            Row(f"{page.title}: same settings, another session", p50(hits), "s",
                "no training", trained == 0,
                f"a cache hit; new trainings: {trained} in {len(hits)} visits", max(hits)),
        ]
    rows += [
        dataclasses.replace(
            timed_row("Calibration: temperature slider → redrawn chart", server.slider_s,
                      SLIDER_LIMIT_S,
                      f"rescores cached logits; new trainings: {server.trained_on_slider}; "
                      f"labcore's part (2 rescores, tables, figure JSON) {slider_labcore:.3f} s"),
            ok=p50(server.slider_s) <= SLIDER_LIMIT_S and server.trained_on_slider == 0),
        dataclasses.replace(
            timed_row("Home: θ slider → redrawn charts", server.theta_s, SLIDER_LIMIT_S,
                      f"redraws both figures from the cached result; new trainings: "
                      f"{server.trained_on_theta}; labcore's part (2 MLE points, 2 figures as "
                      f"JSON) {theta_labcore:.3f} s"),
            ok=p50(server.theta_s) <= SLIDER_LIMIT_S and server.trained_on_theta == 0),
        Row("server peak memory after every page", server.peak_mb, "MB",
            f"≤ {MEMORY_LIMIT_MB} MB", server.peak_mb <= MEMORY_LIMIT_MB,
            f"VmHWM of the server after the {len(PAGES)} pages, the repeats and the slider"),
    ]
    return rows
