"""Regression lab: predictive bands, aleatoric vs epistemic uncertainty (scenes S2–S4, S12)."""

import dataclasses
import functools

import pandas as pd
import streamlit as st

from labcore.experiments import regression
from labcore.experiments.regression import compare, intervals, report
from labcore.experiments.regression import sweep as size_sweep
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.cost import check_before_after
from labcore.experiments.regression.run import (
    RegressionResult,
    UploadedRegression,
    run_regression,
    run_regression_upload,
)
from labcore.experiments.regression.sweep import run_size_sweep, sweep_config
from labcore.experiments.regression.xray import xray, xray_notice, xray_rows
from labcore.plots import regression as plots
from labcore.plots.xray import xray_figure
from labui import (
    data_editor,
    download_csv,
    download_figure_html,
    download_pair,
    guard,
    notice,
    run_cached,
)
from labui.figures import show_figure
from labui.live_panels import regression_live
from labui.page import LabPage, page_header, page_sidebar, settings, show_view, start_settings
from labui.shell import lazy_expander
from labui.state import rerun_page
from labui.teacher import Quiz, predict_then_reveal, quiz_mode
from labui.upload import data_source
from labui.views import flag, flag_value, multi_choice, number

LAB = regression.LAB
KEY = LAB.key
# The Bands view's "Train live" switch. While it is on, the view runs as the whole page, not as
# a fragment: its Stop button must interrupt the training (labui.page.draw_view).
LIVE = f"{KEY}.live"
DATA_FIELDS = {"function", "noise_shape", "noise_scale", "n_points", "gap_width", "x_noise",
               "add_where", "add_n", "add_regions", "drop_points"}
BAND_NAMES = {
    "total": "Total", "aleatoric": "Aleatoric", "epistemic": "Epistemic",
    "truth": "Truth", "conformal": "Conformal", "members": "Members",
    "quantile": "Quantile / CQR", "gp": "Gaussian process",
}

def run_variant(page: LabPage, variant: RegressionConfig, label: str):
    """The same data with other model settings (cached like the main run)."""
    if page.uploaded is None:
        return run_cached(run_regression, variant, label=label)
    return run_cached(run_regression_upload, UploadedRegression(variant, page.uploaded),
                      label=label)


def add_quiz(config: RegressionConfig) -> Quiz:
    """The question before points added inside the gap or everywhere are shown."""
    return Quiz(
        key=f"{KEY}.quiz.add",
        question=f"{config.add_n} points are added "
        f"{'inside the gap' if config.add_where == 'gap' else 'everywhere'}. Where they land, "
        "which band gets narrower?",
        options=("Both bands", "Only the epistemic band", "Only the aleatoric band", "Neither"),
        correct="Only the epistemic band",
        explanation="New points show the model what the curve does there, but each y is as "
        "noisy as before, so the aleatoric band stays near the true noise (its estimate there "
        "can move a little either way).",
    )


MSE_QUIZ = Quiz(
    key=f"{KEY}.quiz.mse",
    question="The same networks see the same data, trained once with MSE and once with the "
    "Gaussian NLL. Whose noise band can be wider in some places than in others?",
    options=("The MSE model's", "The NLL model's", "Both", "Neither"),
    correct="The NLL model's",
    explanation="It predicts σ(x) for every x, while the MSE model has one σ for all x, "
    "estimated from held-out residuals.",
)


def adding(page: LabPage) -> bool:
    """Whether the settings add points (inside the gap or everywhere) to generated data."""
    return page.config.add_where != "nowhere" and page.uploaded is None


def xray_panel(page: LabPage, result: RegressionResult) -> None:
    """The uncertainty X-ray at the x the user picked: each member's Gaussian there, their
    mixture, and the split of its variance into aleatoric and epistemic."""
    grid = result.x_grid
    x = number("X-ray at x", key=data_editor.XRAY_X, param="xray",
               default=data_editor.xray_default(grid, result.data_range),
               min_value=round(float(grid[0]), 2), max_value=round(float(grid[-1]), 2),
               step=0.01, help="The input to look through; a click on the chart sets it too.")
    kind = "dropout pass" if page.config.method == "mc_dropout" else "member"
    with guard():
        ray = xray(result, x)
    left, right = st.columns([3, 2])
    with left:
        show_figure(xray_figure(ray, kind), key=f"{KEY}.xray_fig")
    with right:
        st.markdown(f"**Where the band's variance at x = {ray.x:.3g} comes from**")
        st.table(pd.DataFrame(xray_rows(ray)).set_index("part"))
    notice(xray_notice(ray, kind + "s" if kind == "member" else "dropout passes"))


def bands_view(page: LabPage) -> None:
    """The bands with their picker, σ(x), the test metrics and the data editor."""
    config, result = page.config, page.result
    # The bands already show the added points: the question comes first.
    if adding(page) and not predict_then_reveal(add_quiz(config)):
        st.stop()
    optional = {"truth": result.true_mean, "quantile": result.quantile, "gp": result.gp}
    bands = [b for b in BAND_NAMES if optional.get(b, True) is not None]
    # A band that appears (quantile, GP) is shown: a new set of options starts a new picker.
    extras = "".join(f".{b}" for b in ("quantile", "gp") if b in bands)
    shown = multi_choice(
        "Bands to show (each ±2σ ≈ 95 %)", bands, key=f"{KEY}.bands{extras}", param="bands",
        default=[b for b in ("total", "aleatoric", "epistemic", "truth", "quantile", "gp")
                 if b in bands],
        format_func=BAND_NAMES.get,
    )
    live = flag("Train live", key=LIVE, param="live", on_change=rerun_page,  # see LIVE
                help="Watch the bands form while the networks train (a fresh, uncached run).")
    mode = data_editor.chart_mode(st, edits=page.uploaded is None)
    if live:
        # Trained to the end: the same numbers as the cached run, drawn below.
        result = regression_live(page) or result
    fig = plots.bands_figure(result, show=shown or ())
    panel = functools.partial(xray_panel, page, result)  # what the X-ray sees, under the chart
    if page.uploaded is None:  # in Add / Remove mode the chart takes drags and clicks
        data_editor.drag_data(dataclasses.replace(page, result=result), fig, mode, panel)
    elif mode == "xray":
        data_editor.xray_chart(fig, data_editor.current_xray_x(result.x_grid, result.data_range))
        panel()
    else:
        show_figure(fig, key=f"{KEY}.bands_fig")
    notice(report.bands_notice(result, config))
    left, right = st.columns(2)
    with left:
        show_figure(plots.sigma_figure(result), key=f"{KEY}.sigma_fig")
        notice(report.sigma_notice(result, config))
        if result.gp is not None:
            notice(intervals.gp_notice(result))
    with right:
        st.markdown("**Held-out test metrics** (1,000 fresh points from the same process)")
        st.table(pd.DataFrame(report.metrics_rows(result)).set_index("metric"))
    download_pair(pd.DataFrame(report.grid_table(result)), "regression_bands.csv",
                  "Download the bands (CSV)", fig, "regression_bands.html")
    if result.quantile is not None:
        st.subheader(f"Quantile regression and CQR ({result.quantile.level:.0%} intervals)")
        left, right = st.columns(2)
        with left:
            width_fig = plots.interval_width_figure(result)
            show_figure(width_fig, key=f"{KEY}.width_fig")
        with right:
            st.markdown("**Coverage on 1,000 held-out points**")
            st.table(pd.DataFrame(intervals.interval_rows(result)).set_index("method"))
        notice(intervals.interval_notice(result))
        download_pair(pd.DataFrame(intervals.interval_table(result)), "regression_intervals.csv",
                      "Download the interval table (CSV)", width_fig,
                      "regression_interval_widths.html")


def mse_vs_nll_view(page: LabPage) -> None:
    """The same networks trained with MSE and with the Gaussian NLL, side by side."""
    config = page.config
    if not predict_then_reveal(MSE_QUIZ):
        st.stop()
    with guard():
        runs = {name: run_variant(page, variant, f"{name.split(':')[0]} model")
                for name, variant in compare.loss_comparison(config).items()}
    fig = plots.side_by_side_figure(list(runs.values()), list(runs))
    show_figure(fig, key=f"{KEY}.compare_fig")
    notice(compare.loss_comparison_notice(runs))
    for column, (name, run) in zip(st.columns(len(runs)), runs.items(), strict=True):
        column.metric(f"Test RMSE — {name.split(':')[0]}", f"{run.metrics['rmse']:.3f}")
    download_figure_html(fig, "regression_mse_vs_nll.html", "Download the figure (HTML)")


def more_data_view(page: LabPage) -> None:
    """Before and after adding points, and the sweep over training-set sizes."""
    config, result = page.config, page.result
    if page.uploaded is not None:
        st.info("Adding points and the size sweep need generated data, where new points can be "
                "drawn from the same process: switch the data source to Generated.")
        return
    if config.add_where == "nowhere":
        st.info("Choose where to add points under **Add data** in the sidebar (inside the gap "
                "needs a gap width above 0), then compare before and after here.")
    else:
        if not predict_then_reveal(add_quiz(config)):
            st.stop()
        with guard():
            check_before_after(config, config.replace(add_where="nowhere"))
            before = run_cached(run_regression, config.replace(add_where="nowhere"),
                                label="Before adding points")
        summary = report.gap_summary(before, result)
        fig = plots.side_by_side_figure(
            [before, result], ["Before", f"After adding {config.add_n} points"])
        show_figure(fig, key=f"{KEY}.before_after_fig")
        where = "inside the gap" if config.gap is not None else "over the data range"
        notice(report.more_data_notice(summary, where))
        c1, c2 = st.columns(2)
        c1.metric(f"Mean epistemic σ {where}", f"{summary['epistemic_after']:.3f}",
                  f"{summary['epistemic_after'] - summary['epistemic_before']:+.3f}",
                  delta_color="inverse")
        c2.metric(f"Mean aleatoric σ {where}", f"{summary['aleatoric_after']:.3f}",
                  f"{summary['aleatoric_after'] - summary['aleatoric_before']:+.3f}",
                  delta_color="off")
    st.subheader("Sweep: 20 → 1,000 training points")
    sweep_cfg = sweep_config(config)
    if st.button("Run the sweep (6 trainings)", key=f"{KEY}.sweep_button"):
        st.session_state[f"{KEY}.sweep_for"] = sweep_cfg
    if st.session_state.get(f"{KEY}.sweep_for") == sweep_cfg:
        with guard():
            sweep = run_cached(run_size_sweep, sweep_cfg, label="Size sweep")
        show_figure(plots.sweep_figure(sweep), key=f"{KEY}.sweep_fig")
        notice(size_sweep.sweep_notice(sweep))
        download_csv(pd.DataFrame(size_sweep.sweep_table(sweep)), "regression_sweep.csv",
                     "Download the sweep (CSV)")
    else:
        st.caption("Retrains the current settings (an ensemble if no method is chosen) at "
                   "n = 20, 50, 100, 200, 500 and 1,000.")


def calibration_view(page: LabPage) -> None:
    """The calibration of the bands and the training curves."""
    config, result = page.config, page.result
    left, right = st.columns(2)
    with left:
        show_figure(plots.calibration_figure(result), key=f"{KEY}.calibration_fig")
        notice(report.calibration_notice(result))
    with right:
        show_figure(plots.training_figure(result), key=f"{KEY}.training_fig")
        steps = int(result.metrics["steps_run"])
        notice(f"Notice: validation loss flattening or rising is where early stopping "
               f"keeps the weights. Ran {steps} of {config.steps} steps.")


def maths() -> None:
    st.markdown("**MSE is a Gaussian NLL with σ fixed.** For y ~ N(h(x), σ²):")
    st.latex(r"-\log p(y\mid x) = \tfrac12\log 2\pi + \log\sigma + \frac{(y-h(x))^2}{2\sigma^2}")
    st.markdown("With σ fixed only the last term depends on the network, so minimising it is "
                "minimising the MSE. Here σ is then estimated from held-out residuals.")
    st.markdown("**Heteroscedastic loss.** Let the network also output s(x) = log σ²(x):")
    st.latex(r"L = \frac{1}{2m}\sum_{i=1}^m \left(e^{-s_i}(y_i-h_i)^2 + s_i\right)")
    st.markdown("A large s lowers the penalty for a miss but costs s itself: the best s is the "
                "log of the squared error the model expects at that x. β-NLL multiplies each "
                "term by σ²ᵝ (held fixed in the gradient) so noisy regions still pull on the mean.")
    st.markdown("**The variance output is bounded.** In standardised units the network's raw "
                "output r gives σ² = 10⁻⁶ + softplus(r), bent smoothly under a ceiling of "
                "(2·sd(y))² (Lakshminarayanan et al. 2017 use the softplus). Beyond the "
                "training inputs σ keeps its value at the data's edge: no point there shows "
                "the noise, while the mean, and so the epistemic spread, extrapolates.")
    st.markdown("**Decomposition** over S ensemble members or dropout samples with means μₛ "
                "and variances σₛ²:")
    st.latex(r"\underbrace{\tfrac1S\textstyle\sum_s \sigma_s^2}_{\text{aleatoric}} + "
             r"\underbrace{\tfrac1S\textstyle\sum_s (\mu_s-\bar\mu)^2}_{\text{epistemic}} = "
             r"\text{total variance}")
    st.markdown("**Conformal band.** On n calibration points that played no part in training "
                "(a separate draw; for your own data, the validation rows), take the scores "
                "|y − μ|/σ; the ⌈(n+1)·0.95⌉-th smallest, q, gives the band μ ± q·σ, which "
                "covers at least 95 % of new points from the same process, whatever the model. "
                "If the calibration points also set σ or early stopping, this is approximate.")
    st.markdown("**Quantile regression and CQR.** The pinball loss ρ_τ(y − q) = max(τ(y − q), "
                "(τ − 1)(y − q)) is minimised by the τ-quantile of y, so a network trained on "
                "it at τ = α/2 and 1 − α/2 predicts an interval without assuming a Gaussian. "
                "CQR (Romano et al. 2019) scores each calibration point by "
                "max(q̂_lo − y, y − q̂_hi) and moves both quantiles out by the "
                "⌈(n+1)(1−α)⌉-th smallest score, Q: the interval then covers at least 1 − α "
                "of new points on average, and it keeps the quantiles' shape.")
    st.markdown("**Gaussian-process reference.** A GP with kernel C·RBF + white noise, fitted "
                "by maximum marginal likelihood on the same points (scikit-learn); the dashed "
                "band is its posterior mean ± 2 standard deviations of the latent f(x) "
                "(epistemic only); the white-noise level is its one aleatoric σ².")
    st.markdown("Metrics use 1,000 held-out points; the Gaussian NLL includes the ½·log 2π "
                "constant. Training runs on standardised x and y; results are in data units.")


VIEWS = {
    "bands": ("Bands", bands_view),
    "mse_vs_nll": ("MSE vs NLL", mse_vs_nll_view),
    "more_data": ("Would more data help?", more_data_view),
    "calibration": ("Calibration & training", calibration_view),
}

intro = page_header("Regression: how sure is the curve?")
start_settings(LAB)
uploaded = data_source(key=KEY, presets=report.PRESETS, task="regression", inputs=("x",),
                       target="y", generated_label="Generated (the truth is known)")
source = "data whose truth we know" if uploaded is None else "your data"
intro.caption(
    f"A network learns y from x on {source}. It predicts a mean and, depending on the loss, "
    "how noisy y is (aleatoric) — an ensemble or MC dropout adds how unsure the model itself "
    "is (epistemic)."
)
config = settings(LAB, hidden=DATA_FIELDS if uploaded is not None else (), started=True)
with guard():
    if uploaded is None:
        result = run_cached(run_regression, config)
    else:
        result = run_cached(run_regression_upload, UploadedRegression(config, uploaded),
                            label="Your data")
page = LabPage(LAB, config, result, uploaded)
if uploaded is not None:  # the A/B view trains A and the seeds on the same file
    page.runner = lambda variant, label: run_variant(page, variant, label)
page_sidebar(page, extra=data_editor.xray_script)
quiz_view = "more_data" if adding(page) else "mse_vs_nll"  # the view a quiz link opens on
show_view(page, VIEWS, default=quiz_view if quiz_mode() else "bands",
          whole_page=("bands",) if flag_value(key=LIVE, param="live") else ())
lazy_expander("The maths behind this page", maths, key=f"{KEY}.maths")
