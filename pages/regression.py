"""Regression lab: predictive bands, aleatoric vs epistemic uncertainty (scenes S2–S4, S12)."""

import pandas as pd
import streamlit as st

from labcore.experiments.regression import report
from labcore.experiments.regression.run import (
    RegressionConfig,
    UploadedRegression,
    run_regression,
    run_regression_upload,
)
from labcore.experiments.regression.sweep import run_size_sweep, sweep_config
from labcore.plots import regression as plots
from labui import (
    config_form,
    download_csv,
    download_figure_html,
    download_pair,
    guard,
    hidden_fields,
    init_form_state,
    run_cached,
    sync_url,
)
from labui.figures import show_figure
from labui.shell import lazy_expander, page_setup
from labui.teacher import Quiz, predict_then_reveal, quiz_mode, teacher_link
from labui.upload import data_source
from labui.views import choice, multi_choice

KEY = "regression"
DATA_FIELDS = {"function", "noise_shape", "noise_scale", "n_points", "gap_width", "x_noise",
               "add_where", "add_n"}
VIEWS = {
    "bands": "Bands", "mse_vs_nll": "MSE vs NLL", "more_data": "Would more data help?",
    "calibration": "Calibration & training",
}
BAND_NAMES = {
    "total": "Total", "aleatoric": "Aleatoric", "epistemic": "Epistemic",
    "truth": "Truth", "conformal": "Conformal", "members": "Members",
}

page_setup()
st.title("Regression: how sure is the curve?")
intro = st.empty()

init_form_state(RegressionConfig, key=KEY, presets=report.PRESETS)
uploaded = data_source(key=KEY, presets=report.PRESETS, task="regression", inputs=("x",),
                       target="y", generated_label="Generated (the truth is known)")
source = "data whose truth we know" if uploaded is None else "your data"
intro.caption(
    f"A network learns y from x on {source}. It predicts a mean and, depending on the loss, "
    "how noisy y is (aleatoric) — an ensemble or MC dropout adds how unsure the model itself "
    "is (epistemic)."
)
hidden = hidden_fields() | (DATA_FIELDS if uploaded is not None else set())
with guard():
    config = config_form(RegressionConfig, key=KEY, hidden=hidden)
    sync_url(config)
    if uploaded is None:
        result = run_cached(run_regression, config)
    else:
        result = run_cached(run_regression_upload, UploadedRegression(config, uploaded),
                            label="Your data")
teacher_link(config, key=KEY)


def run_variant(variant: RegressionConfig, label: str):
    """The same data with other model settings (cached like the main run)."""
    if uploaded is None:
        return run_cached(run_regression, variant, label=label)
    return run_cached(run_regression_upload, UploadedRegression(variant, uploaded), label=label)


ADD_QUIZ = Quiz(
    key=f"{KEY}.quiz.add",
    question=f"{config.add_n} points are added "
    f"{'inside the gap' if config.add_where == 'gap' else 'everywhere'}. Where they land, which "
    "band gets narrower?",
    options=("Both bands", "Only the epistemic band", "Only the aleatoric band", "Neither"),
    correct="Only the epistemic band",
    explanation="New points show the model what the curve does there, but each y is as noisy "
    "as before, so the aleatoric band stays near the true noise (its estimate there can move a "
    "little either way).",
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
adding = config.add_where != "nowhere" and uploaded is None
quiz_view = "more_data" if adding else "mse_vs_nll"
view = choice("View", list(VIEWS), key=f"{KEY}.view", param="view", format_func=VIEWS.get,
              default=quiz_view if quiz_mode() else "bands")

if view == "bands":
    if adding and not predict_then_reveal(ADD_QUIZ):  # the bands already show the added points
        st.stop()
    bands = [b for b in BAND_NAMES if uploaded is None or b != "truth"]
    shown = multi_choice(
        "Bands to show (each ±2σ ≈ 95 %)", bands, key=f"{KEY}.bands", param="bands",
        default=[b for b in ("total", "aleatoric", "epistemic", "truth") if b in bands],
        format_func=BAND_NAMES.get,
    )
    fig = plots.bands_figure(result, show=shown or ())
    show_figure(fig, key=f"{KEY}.bands_fig")
    st.caption(report.bands_notice(result, config))
    left, right = st.columns(2)
    with left:
        show_figure(plots.sigma_figure(result), key=f"{KEY}.sigma_fig")
        st.caption(report.sigma_notice(result, config))
    with right:
        st.markdown("**Held-out test metrics** (1,000 fresh points from the same process)")
        st.table(pd.DataFrame(report.metrics_rows(result)).set_index("metric"))
    download_pair(pd.DataFrame(report.grid_table(result)), "regression_bands.csv",
                  "Download the bands (CSV)", fig, "regression_bands.html")

elif view == "mse_vs_nll":
    if not predict_then_reveal(MSE_QUIZ):
        st.stop()
    with guard():
        runs = {name: run_variant(variant, f"{name.split(':')[0]} model")
                for name, variant in report.loss_comparison(config).items()}
    fig = plots.side_by_side_figure(list(runs.values()), list(runs))
    show_figure(fig, key=f"{KEY}.compare_fig")
    st.caption(
        "Notice: same data, same networks. MSE's noise band has one width everywhere; the "
        "NLL models' bands widen where y is noisier. Plain NLL divides each miss by σ², so where "
        "it calls the data noisy it stops fitting the mean; β-NLL weights those points back in "
        "(compare the test RMSE below). Try the preset \"β-NLL: a noisy bump\"."
    )
    for column, (name, run) in zip(st.columns(len(runs)), runs.items(), strict=True):
        column.metric(f"Test RMSE — {name.split(':')[0]}", f"{run.metrics['rmse']:.3f}")
    download_figure_html(fig, "regression_mse_vs_nll.html", "Download the figure (HTML)")

elif view == "more_data" and uploaded is not None:
    st.info("Adding points and the size sweep need generated data, where new points can be "
            "drawn from the same process: switch the data source to Generated.")

elif view == "more_data":
    if config.add_where == "nowhere":
        st.info("Choose where to add points under **Add data** in the sidebar (inside the gap "
                "needs a gap width above 0), then compare before and after here.")
    else:
        if not predict_then_reveal(ADD_QUIZ):
            st.stop()
        with guard():
            before = run_cached(run_regression, config.replace(add_where="nowhere"),
                                label="Before adding points")
        summary = report.gap_summary(before, result)
        fig = plots.side_by_side_figure(
            [before, result], ["Before", f"After adding {config.add_n} points"])
        show_figure(fig, key=f"{KEY}.before_after_fig")
        where = "inside the gap" if config.gap is not None else "over the data range"
        st.caption(report.more_data_notice(summary, where))
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
        st.caption(report.sweep_notice(sweep))
        download_csv(pd.DataFrame(report.sweep_table(sweep)), "regression_sweep.csv",
                     "Download the sweep (CSV)")
    else:
        st.caption("Retrains the current settings (an ensemble if no method is chosen) at "
                   "n = 20, 50, 100, 200, 500 and 1,000.")

else:
    left, right = st.columns(2)
    with left:
        show_figure(plots.calibration_figure(result), key=f"{KEY}.calibration_fig")
        st.caption("Notice: points below the diagonal mean intervals that are too narrow "
                   "(overconfident); above it, too wide.")
    with right:
        show_figure(plots.training_figure(result), key=f"{KEY}.training_fig")
        steps = int(result.metrics["steps_run"])
        st.caption(f"Notice: validation loss flattening or rising is where early stopping "
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
    st.markdown("Metrics use 1,000 held-out points; the Gaussian NLL includes the ½·log 2π "
                "constant. Training runs on standardised x and y; results are in data units.")


lazy_expander("The maths behind this page", maths, key=f"{KEY}.maths")
