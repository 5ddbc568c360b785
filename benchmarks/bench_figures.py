"""Building the pages' figures: what a redraw costs besides training, per page.

Every page turns its (cached) result into plotly figures on every run — for each student, on
every rerun. :mod:`labcore.plots` writes each figure as a finished spec and wraps it without
plotly's per-property validation (:mod:`labcore.plots._spec`). Measured here, on results of
the pages' default settings:

- per page, building the figures its default view shows (the Home page: its θ slider's), and
  beside it what ``st.plotly_chart`` then spends turning them into JSON (``to_dict`` +
  ``to_json``, as Streamlit calls them) and how large that JSON is;
- all builders of all pages (every view, sweeps included): their total build time, and a check
  that plotly's validating constructor leaves every spec exactly as built — what the browser
  receives is what a validated figure would send.

Run alone: ``python -m benchmarks.bench_figures [--quick]``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from benchmarks.common import Row, p50, timed_row, timings

Builders = dict[str, Callable[[], Any]]


def _results(quick: bool) -> dict[str, Any]:
    """Results to draw: the pages' default runs, small runs for the other views' shapes."""
    from labcore.experiments.calibration import report as cal_report
    from labcore.experiments.calibration.config import CalibrationConfig, training_config
    from labcore.experiments.calibration.run import four_panels, run_calibration, temperature_curves
    from labcore.experiments.calibration.sweep import run_width_sweep
    from labcore.experiments.calibration.sweep import sweep_config as cal_sweep_config
    from labcore.experiments.classification import report as cls_report
    from labcore.experiments.classification.config import ClassificationConfig
    from labcore.experiments.classification.run import run_classification
    from labcore.experiments.classification.sweep import run_noise_sweep
    from labcore.experiments.classification.sweep import sweep_config as cls_sweep_config
    from labcore.experiments.home.config import MLEConfig
    from labcore.experiments.home.run import point_at, run_mle
    from labcore.experiments.ood.config import OODConfig, ShiftConfig, ToyOODConfig
    from labcore.experiments.ood.run import run_ood, run_shift, run_toy_ood
    from labcore.experiments.regression.config import RegressionConfig
    from labcore.experiments.regression.run import run_regression
    from labcore.experiments.regression.sweep import run_size_sweep
    from labcore.experiments.regression.sweep import sweep_config as reg_sweep_config

    # Figures depend on the results' shapes, not on how well the networks trained: the extra
    # views' results use few steps (OOD's default shift sweep alone trains for ~10 s).
    few = {"steps": 100}
    mle = MLEConfig()
    mle_result = run_mle(mle)
    cal_config = CalibrationConfig()
    cal_run = run_calibration(training_config(cal_config))
    cls = run_classification(ClassificationConfig().model_config())
    bars = MLEConfig(distribution="categorical")
    bars_result = run_mle(bars)
    out: dict[str, Any] = {
        "home": (mle_result, point_at(mle, mle_result, mle_result.true_param + 0.5),
                 point_at(mle, mle_result, mle_result.closed_form)),
        "home_bars": (bars_result, point_at(bars, bars_result, bars_result.true_param),
                      point_at(bars, bars_result, bars_result.closed_form)),
        "regression": run_regression(RegressionConfig()),
        "classification": cls,
        "marks": cls_report.accepted_subsets(cls, 0.7, 0.5),
        "cal_run": cal_run,
        "cal_panels": four_panels(cal_run, cal_config.n_bins, cal_config.strategy),
        "cal_curves": temperature_curves(cal_run, "plain", cal_config.n_bins,
                                         cal_config.strategy),
        "cal_variants": cal_report.ece_variants(cal_run, "plain", 1.0),
        "regression_gap": run_regression(RegressionConfig(
            gap_width=2.0, add_where="gap", add_n=10, **few)),
        "toy": run_classification(ClassificationConfig(
            dataset="moons", method="ensemble", members=3, **few).model_config()),
        "shift": run_shift(ShiftConfig(hidden=32, members=2, **few)),
        "detection": run_ood(OODConfig(hidden=32, members=2, n_fooling=10, **few)),
        "ood_toy": run_toy_ood(ToyOODConfig(hidden=32, members=2, **few)),
    }
    if not quick:  # the sweeps: several trainings each
        out["size_sweep"] = run_size_sweep(reg_sweep_config(RegressionConfig(**few)))
        out["noise_sweep"] = run_noise_sweep(cls_sweep_config(ClassificationConfig(**few)))
        out["cal_sweep"] = run_width_sweep(cal_sweep_config(CalibrationConfig(**few), "hidden"))
    return out


def _default_views(r: dict[str, Any]) -> dict[str, tuple[str, Builders]]:
    """Per page: what its default view draws on each run."""
    from labcore.plots import calibration, classification, home, ood, regression

    reg, (mle, current, best) = r["regression"], r["home"]
    return {
        "Home": ("θ slider: sample + NLL figures", {
            "sample": lambda: home.sample_figure(mle, current, best),
            "nll": lambda: home.nll_figure(mle, current)}),
        "Regression": ("default view: bands + σ figures", {
            "bands": lambda: regression.bands_figure(
                reg, show=("total", "aleatoric", "epistemic", "truth")),
            "sigma": lambda: regression.sigma_figure(reg)}),
        "Classification": ("default view: flipped-label histogram", {
            "flip": lambda: classification.flip_histogram_figure(r["classification"])}),
        "Calibration": ("default view: 2×2 reliability grid", {
            "grid": lambda: calibration.reliability_figure(r["cal_panels"], cols=2)}),
        "OOD": ("default view: shift curves", {
            "shift": lambda: ood.shift_figure(r["shift"])}),
    }


def _every_builder(r: dict[str, Any]) -> Builders:
    """Every builder of every page, on every kind of result it draws."""
    from labcore.plots import calibration, classification, home, ood, regression

    reg, gap, cls, toy = r["regression"], r["regression_gap"], r["classification"], r["toy"]
    panels, det, otoy = r["cal_panels"], r["detection"], r["ood_toy"]
    out: Builders = {name: build for _, builders in _default_views(r).values()
                     for name, build in builders.items()}
    bars, bars_current, bars_best = r["home_bars"]
    out |= {
        "categorical sample": lambda: home.sample_figure(bars, bars_current, bars_best),
        "categorical NLL": lambda: home.nll_figure(bars, bars_current),
        "bands, every band": lambda: regression.bands_figure(reg),
        "bands, gap + added points": lambda: regression.bands_figure(gap),
        "MSE vs NLL": lambda: regression.side_by_side_figure([reg, gap, reg], ["a", "b", "c"]),
        "regression calibration": lambda: regression.calibration_figure(reg),
        "regression training": lambda: regression.training_figure(reg),
        "digit": lambda: classification.digit_figure(cls, "test", 14),
        "views": lambda: classification.views_figure(cls, "test", 14),
        "confidence map": lambda: classification.map_figure(toy, "confidence"),
        "σ map": lambda: classification.map_figure(toy, "sigma"),
        "entropy maps": lambda: classification.entropy_maps_figure(toy),
        "inspector close-up": lambda: classification.inspector_map_figure(
            toy, "train", 3, zoom=0.8),
        "coverage": lambda: classification.coverage_figure(cls, r["marks"]),
        "one reliability diagram": lambda: calibration.reliability_figure(panels[:1], cols=1),
        "temperature curves": lambda: calibration.temperature_figure(r["cal_curves"], 1.5),
        "ECE variants": lambda: calibration.variants_figure(r["cal_variants"]),
        "corruption gallery": lambda: ood.corruption_gallery_figure(r["shift"]),
        "OOD examples": lambda: ood.ood_examples_figure(det),
        "score histogram": lambda: ood.score_histogram_figure(det, "plain_msp"),
        "ROC": lambda: ood.roc_figure(det, "held_out", ["plain_msp", "ensemble_mi"]),
        "toy score maps": lambda: ood.toy_figure(otoy, ["plain_msp", "ensemble_mi"]),
        "toy profiles": lambda: ood.toy_profile_figure(otoy, ["plain_msp", "ensemble_mi"]),
    }
    if "size_sweep" in r:
        out |= {
            "size sweep": lambda: regression.sweep_figure(r["size_sweep"]),
            "noise sweep": lambda: classification.noise_curves_figure(r["noise_sweep"]),
            "calibration sweep": lambda: calibration.sweep_figure(r["cal_sweep"], "width"),
        }
    return out


def streamlit_json(fig: Any) -> str:
    """The spec ``st.plotly_chart`` sends: the figure's ``to_dict()`` through ``to_json``."""
    import plotly.io as pio

    return pio.to_json(fig.to_dict(), validate=False)


def validated_json(fig: Any) -> str:
    """The same spec after plotly's validating constructor has read it back."""
    import plotly.graph_objects as go

    return streamlit_json(go.Figure(fig.to_dict()))


def _same(a: str, b: str) -> bool:
    """Equal as JSON (key order aside; NaN equals NaN)."""
    return json.dumps(json.loads(a), sort_keys=True) == json.dumps(json.loads(b), sort_keys=True)


def run(quick: bool = False) -> list[Row]:
    repeats = 5 if quick else 20
    results = _results(quick)
    rows = []
    for page, (what, builders) in _default_views(results).items():
        figures = [build() for build in builders.values()]
        build = timings(lambda b=builders: [f() for f in b.values()], repeats, warmup=2)
        serialise = timings(lambda f=figures: [streamlit_json(x) for x in f], repeats, warmup=1)
        size = sum(len(streamlit_json(f)) for f in figures) / 1000
        rows.append(timed_row(
            f"{page}: {what}", build,
            note=f"build, per run of the page; then st.plotly_chart's to_dict + to_json "
            f"{p50(serialise) * 1000:.1f} ms for {size:.0f} kB of JSON"))
    every = _every_builder(results)
    total = timings(lambda: [build() for build in every.values()], max(3, repeats // 4), 1)
    changed = [name for name, build in every.items()
               if not _same(streamlit_json(fig := build()), validated_json(fig))]
    rows += [
        timed_row(f"every figure builder ({len(every)} figures, all pages)", total,
                  note="each built once, default and small runs; sweeps "
                  f"{'left out (--quick)' if quick else 'included'}"),
        Row("figure specs left unchanged by plotly's validation", len(every) - len(changed), "",
            f"all {len(every)}", not changed,
            "go.Figure(fig.to_dict()) gives the same JSON as the fast build"
            + (f"; changed: {', '.join(changed)}" if changed else "")),
    ]
    return rows


if __name__ == "__main__":
    from benchmarks.common import format_table
    from labcore.device import configure_threads

    configure_threads()
    print(format_table(run(quick="--quick" in sys.argv)))
