"""Home: what the lab is, where to go next, and scene S1 — the maximum-likelihood recipe."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from labcore.experiments.home import run as mle
from labcore.plots import home as plots
from labui.shell import page_setup

ROOT = Path(__file__).resolve().parent.parent

PAGE_MAP = [
    (
        "pages/regression.py",
        "Regression",
        ":material/show_chart:",
        "MSE vs Gaussian NLL, aleatoric vs epistemic uncertainty, MC dropout and ensembles.",
    ),
    (
        "pages/classification.py",
        "Classification",
        ":material/category:",
        "Label noise, a certainty head (UANLL), test-time augmentation, rejecting unsure cases.",
    ),
    (
        "pages/calibration.py",
        "Calibration",
        ":material/tune:",
        "Do 80 %-confident predictions come true 80 % of the time? Reliability diagrams, ECE.",
    ),
    (
        "pages/ood.py",
        "Out of distribution",
        ":material/explore_off:",
        "Inputs unlike the training data: accuracy falls, but does the confidence fall too?",
    ),
]

DATA_NOTES = {
    "gaussian": "Move μ and the bell slides along the data; the dashed best fit sits on the "
    "sample mean, not on the true μ — the sample is all the fit can see.",
    "laplace": "The Laplace density has a sharp peak; the best fit sits on the sample median, "
    "so a far-out observation pulls it less than it would pull a mean.",
    "bernoulli": "At the best λ the model's probabilities equal the observed fractions: the "
    "orange outlined bars match the grey ones.",
    "categorical": "At the best p₀ the orange outlined bar for class 0 matches the observed "
    "frequency; classes 1 and 2 keep their fixed 2 : 1 split, so they need not match.",
}
NLL_NOTES = {
    "gaussian": "The NLL is lowest exactly at the sample mean, and the MSE curve lies on it: "
    "minimising MSE is maximum likelihood under a Gaussian with fixed σ.",
    "laplace": "The NLL is lowest at the sample median (flat between the two middle values when "
    "n is even): minimising MAE is maximum likelihood under a Laplace with fixed b.",
    "bernoulli": "The NLL and BCE are the same curve, lowest at the fraction of ones: BCE is "
    "the Bernoulli negative log-likelihood.",
    "categorical": "The NLL and cross-entropy are the same curve, lowest at the class-0 "
    "frequency: cross-entropy is the categorical negative log-likelihood.",
}


@st.cache_data(show_spinner=False, max_entries=256)
def run(config: mle.MLEConfig) -> mle.MLEResult:
    """Cached :func:`labcore.mle.run_mle`."""
    return mle.run_mle(config)


def page_link(path: str, label: str, icon: str, blurb: str) -> None:
    """Link to a page; plain text when the app did not register it (file run on its own)."""
    try:
        st.page_link(path, label=label, icon=icon, help=blurb)
    except StreamlitAPIException:  # this file was started on its own, without app.py
        st.markdown(f"**{label}**")
    st.caption(blurb)


page_setup()
st.title("Uncertainty Lab")
st.markdown(
    "Train small models live and see when they know they are wrong. Every page trains a few "
    "PyTorch models in seconds and shows, with figures, how much a prediction can be trusted "
    "— and why."
)

with st.container(border=True):
    st.markdown("**Pages**")
    available = [entry for entry in PAGE_MAP if (ROOT / entry[0]).exists()]
    for entry in available:
        page_link(*entry)
    if not available:
        st.caption("The other pages appear here as they are added.")
    st.caption("Start below: every loss in the lab comes from one recipe.")

st.header("The maximum-likelihood recipe")
st.markdown(
    "Fit one number θ to a sample of data. Pick the distribution you believe the data come "
    "from, and its negative log-likelihood (NLL) *is* the loss you would minimise."
)

specs = mle.MLEConfig.field_specs()
defaults = mle.MLEConfig()
choices = specs["distribution"].choices or {}
left, right = st.columns([1, 2])
with left:
    distribution = st.selectbox(
        specs["distribution"].label,
        options=list(choices),
        format_func=choices.__getitem__,
        help=specs["distribution"].help,
        key="mle_distribution",
    )
    location = distribution in ("gaussian", "laplace")
    true_key = "true_mu" if location else "true_p"
    true_spec = specs[true_key]
    true_value = st.slider(
        true_spec.label,
        min_value=float(true_spec.min),
        max_value=float(true_spec.max),
        value=float(getattr(defaults, true_key)),
        step=float(true_spec.step),
        help=true_spec.help,
        key=f"mle_{true_key}",
    )
    n_spec = specs["n_samples"]
    n_samples = st.slider(
        n_spec.label,
        min_value=int(n_spec.min),
        max_value=int(n_spec.max),
        value=defaults.n_samples,
        help=n_spec.help,
        key="mle_n_samples",
    )
    scale = defaults.scale
    if location:
        scale_spec = specs["scale"]
        scale = st.slider(
            scale_spec.label,
            min_value=float(scale_spec.min),
            max_value=float(scale_spec.max),
            value=defaults.scale,
            step=float(scale_spec.step),
            help=scale_spec.help,
            key="mle_scale",
        )
    seed_spec = specs["seed"]
    seed = st.number_input(
        seed_spec.label,
        min_value=int(seed_spec.min),
        max_value=int(seed_spec.max),
        value=defaults.seed,
        step=1,
        help=seed_spec.help,
        key="mle_seed",
    )

try:
    config = mle.MLEConfig(
        distribution=distribution,
        n_samples=int(n_samples),
        seed=int(seed),
        scale=float(scale),
        **{true_key: float(true_value)},
    )
    result = run(config)
except ValueError as error:
    st.error(str(error))
    st.stop()

recipe = result.recipe
with right:
    st.markdown(
        f"**1. Choose a distribution** for the data, with parameter ${recipe.param_latex}$:"
    )
    st.latex(recipe.density_latex)
    st.markdown(
        f"**2. Let the model predict the parameter.** Here the model is the single number "
        f"${recipe.param_latex}$ ({recipe.param_meaning}); a network would output it per input."
    )
    st.markdown("**3. Minimise the negative log-likelihood** of the sample. Per observation:")
    st.latex(recipe.nll_latex)
    st.markdown(f"Averaged over the sample it is the familiar **{recipe.loss_name}**:")
    st.latex(recipe.loss_latex)
    st.latex(recipe.relation_latex)
    if distribution == "gaussian":
        st.caption(
            "The NLL shown includes the constant ½·log(2πσ²); it moves the curve, not its minimum."
        )

try:
    theta = st.slider(
        f"Try a value of {recipe.param_symbol}",
        min_value=result.theta_min,
        max_value=result.theta_max,
        value=result.true_param,
        step=result.theta_step,
        help="Slide to see the model and its NLL at this value; the figures mark the best one.",
        key=f"mle_theta_{'_'.join(config.to_strings().values())}",
    )
    current = mle.point_at(config, result, theta)
    best = mle.point_at(config, result, result.closed_form)
except ValueError as error:
    st.error(str(error))
    st.stop()

cols = st.columns(3)
cols[0].metric(f"Mean NLL at {recipe.param_symbol} = {theta:.2f}", f"{current.mean_nll:.3f} nats")
cols[1].metric(
    f"{recipe.loss_name} at {recipe.param_symbol} = {theta:.2f}", f"{current.mean_loss:.3f}"
)
cols[2].metric(
    f"Best {recipe.param_symbol} ({recipe.closed_form_name})", f"{result.closed_form:.3f}"
)

fig_left, fig_right = st.columns(2)
with fig_left:
    st.plotly_chart(plots.sample_figure(result, current, best))
    st.caption(DATA_NOTES[distribution])
with fig_right:
    st.plotly_chart(plots.nll_figure(result, current))
    st.caption(NLL_NOTES[distribution])
