"""Home: scene S1 — the maximum-likelihood recipe — and where to go next."""

import streamlit as st

from labcore.experiments.home import report
from labcore.experiments.home.run import MLEConfig, point_at, run_mle
from labcore.plots import home as plots
from labui import (
    config_form,
    download_script,
    guard,
    hidden_fields,
    init_form_state,
    notice,
    run_cached,
    sync_url,
)
from labui.figures import show_figure
from labui.nav import LABS
from labui.present import presenting, side_by_side
from labui.shell import page_setup
from labui.teacher import teacher_link
from labui.views import number

KEY = "home"
page_setup()
st.title("Uncertainty Lab")
st.markdown(
    "Train small models live and see when they know they are wrong. It starts with one recipe: "
    "**pick the distribution you believe the data come from, and its negative log-likelihood "
    "(NLL) is the loss** — here for a model that is a single number θ."
)

init_form_state(MLEConfig, key=KEY)
# Presenting, the settings go in the row above the charts (as on every page) and the charts
# get the full width; the script button goes to the sidebar.
slides = presenting()
if not slides:
    controls, figures = st.columns([1, 3])
with guard():
    config = config_form(MLEConfig, key=KEY, hidden=hidden_fields(),
                         container=None if slides else controls)
    sync_url(config)
    result = run_cached(run_mle, config)
teacher_link(config, key=KEY)
if slides:  # one row: the θ slider beside the three numbers, then the charts
    controls, *metric_cols = st.columns([4, 3, 3, 3], vertical_alignment="bottom")
    figures = st.container()
with st.sidebar if slides else controls:
    download_script("home", config)

recipe = result.recipe
with guard():
    theta = number(
        f"Try a value of {recipe.param_symbol}", key=f"{KEY}.theta", param="theta",
        default=result.true_param, min_value=result.theta_min, max_value=result.theta_max,
        step=result.theta_step, container=controls,
        help="Slide to see the model and its NLL at this value; the figures mark the best one.",
    )
    current = point_at(config, result, theta)
    best = point_at(config, result, result.closed_form)

with figures:
    cols = metric_cols if slides else st.columns(3)
    cols[0].metric(f"Mean NLL at {recipe.param_symbol} = {theta:.2f}",
                   f"{current.mean_nll:.3f} nats")
    cols[1].metric(f"{recipe.loss_name} at {recipe.param_symbol} = {theta:.2f}",
                   f"{current.mean_loss:.3f}")
    cols[2].metric(f"Best {recipe.param_symbol} ({recipe.closed_form_name})",
                   f"{result.closed_form:.3f}")
    fig_left, fig_right = st.columns(2)
    with fig_left, side_by_side(2):
        show_figure(plots.sample_figure(result, current, best), key=f"{KEY}.sample_fig")
        notice(report.data_notice(result))
    with fig_right, side_by_side(2):
        show_figure(plots.nll_figure(result, current), key=f"{KEY}.nll_fig")
        notice(report.nll_notice(result))

st.header("The recipe, step by step")
steps, formulas = st.columns([1, 1])
with steps:
    st.markdown(f"**1. Choose a distribution** for the data, with parameter "
                f"${recipe.param_latex}$:")
    st.latex(recipe.density_latex)
    st.markdown(f"**2. Let the model predict the parameter.** Here the model is the single "
                f"number ${recipe.param_latex}$ ({recipe.param_meaning}); a network would "
                "output it for every input.")
with formulas:
    st.markdown("**3. Minimise the negative log-likelihood** of the sample. Per observation:")
    st.latex(recipe.nll_latex)
    st.markdown(f"Averaged over the sample it is the familiar **{recipe.loss_name}**:")
    st.latex(recipe.loss_latex)
    st.latex(recipe.relation_latex)
    if config.distribution == "gaussian":
        st.caption("The NLL shown includes the constant ½·log(2πσ²); it moves the curve, not "
                   "its minimum.")

st.header("Where next")
for column, info in zip(st.columns(len(LABS)), LABS, strict=True):
    with column:
        st.page_link(info.page, label=info.title, icon=info.icon)
        st.caption(info.blurb)
