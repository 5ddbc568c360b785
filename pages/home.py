"""Home: scene S1 — the maximum-likelihood recipe — and where to go next.

Settings → one cached draw of the sample → the θ explorer, the recipe's formulas and the labs;
each part a function of the page context (:class:`labui.page.LabPage`).
"""

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labcore.experiments.home import LAB, report
from labcore.experiments.home.run import point_at, run_mle
from labcore.plots import home as plots
from labui import download_script, guard, notice, run_cached
from labui.figures import show_figure
from labui.nav import LABS
from labui.page import LabPage, page_header, settings, start_settings
from labui.present import presenting
from labui.present_figures import side_by_side
from labui.teacher import teacher_link
from labui.views import number
from labui.whatif import pin_button, whatif_section


def explore(page: LabPage, controls: DeltaGenerator, figures: DeltaGenerator,
            metric_cols: list[DeltaGenerator] | None) -> None:
    """The θ slider (in ``controls``), the NLL and the loss at θ, and the two figures.

    Args:
        page: the page context; ``page.result`` is the sample and its NLL curve.
        controls: where the slider goes.
        figures: where the numbers and the figures go.
        metric_cols: the three columns of the numbers when presenting (beside the slider), or
            None to put them in a row of ``figures``.
    """
    config, result = page.config, page.result
    recipe = result.recipe
    with guard():
        theta = number(
            f"Try a value of {recipe.param_symbol}", key=page.state_key("theta"), param="theta",
            default=result.true_param, min_value=result.theta_min, max_value=result.theta_max,
            step=result.theta_step, container=controls,
            help="Slide to see the model and its NLL at this value; the figures mark the best "
            "one.",
        )
        current = point_at(config, result, theta)
        best = point_at(config, result, result.closed_form)

    with figures:
        cols = metric_cols if metric_cols is not None else st.columns(3)
        cols[0].metric(f"Mean NLL at {recipe.param_symbol} = {theta:.2f}",
                       f"{current.mean_nll:.3f} nats")
        cols[1].metric(f"{recipe.loss_name} at {recipe.param_symbol} = {theta:.2f}",
                       f"{current.mean_loss:.3f}")
        cols[2].metric(f"Best {recipe.param_symbol} ({recipe.closed_form_name})",
                       f"{result.closed_form:.3f}")
        fig_left, fig_right = st.columns(2)
        with fig_left, side_by_side(2):
            show_figure(plots.sample_figure(result, current, best),
                        key=page.state_key("sample_fig"))
            notice(report.data_notice(result))
        with fig_right, side_by_side(2):
            show_figure(plots.nll_figure(result, current), key=page.state_key("nll_fig"))
            notice(report.nll_notice(result))


def recipe_steps(page: LabPage) -> None:
    """The recipe in three steps, with the chosen distribution's density, NLL and loss."""
    recipe = page.result.recipe
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
        if page.config.distribution == "gaussian":
            st.caption("The NLL shown includes the constant ½·log(2πσ²); it moves the curve, "
                       "not its minimum.")


def where_next() -> None:
    """One link per lab, with its blurb."""
    st.header("Where next")
    for column, info in zip(st.columns(len(LABS)), LABS, strict=True):
        with column:
            st.page_link(info.page, label=info.title, icon=info.icon)
            st.caption(info.blurb)


page_header("Uncertainty Lab").markdown(
    "Train small models live and see when they know they are wrong. It starts with one recipe: "
    "**pick the distribution you believe the data come from, and its negative log-likelihood "
    "(NLL) is the loss** — here for a model that is a single number θ."
)
start_settings(LAB)
# Presenting, the settings go in the row above the charts (as on every page) and the charts
# get the full width; the script button goes to the sidebar.
slides = presenting()
metric_cols = None
if not slides:
    controls, figures = st.columns([1, 3])
config = settings(LAB, container=None if slides else controls, started=True)
with guard():
    # numpy only: the page need not wait for torch's start-up (labui.shell.begin_start_up)
    page = LabPage(LAB, config, run_cached(run_mle, config, torch=False))
teacher_link(config, key=LAB.key)
pin_button(LAB.key, config)
if slides:  # one row: the θ slider beside the three numbers, then the charts
    controls, *metric_cols = st.columns([4, 3, 3, 3], vertical_alignment="bottom")
    figures = st.container()
with st.sidebar if slides else controls:
    download_script(LAB.key, config)
explore(page, controls, figures, metric_cols)
recipe_steps(page)
whatif_section(page)
where_next()
