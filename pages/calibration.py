"""Calibration lab: reliability diagrams, ECE, label smoothing vs temperature scaling (S9).

Settings → one cached run (the two networks and their fitted temperatures) → the chosen view.
Each view is a function of the page context (:class:`labui.page.LabPage`): ``page.config`` is
the form's settings, ``page.result`` the cached run.
"""

import pandas as pd
import streamlit as st

from labcore.calibration import N_BINS
from labcore.calibration.conformal_sets import SCORES
from labcore.experiments.calibration import LAB, methods, notices, report
from labcore.experiments.calibration.config import CalibrationConfig, training_config
from labcore.experiments.calibration.run import (
    T_MAX,
    T_MIN,
    four_panels,
    rescore,
    run_calibration,
    temperature_curves,
)
from labcore.experiments.calibration.sweep import (
    SWEEP_SYMBOLS,
    SWEEP_VALUES,
    run_length_sweep,
    run_smoothing_sweep,
    run_width_sweep,
    sweep_config,
)
from labcore.plots import calibration as plots
from labcore.plots import calibrators as calibrator_plots
from labcore.plots import conformal as conformal_plots
from labui import download_csv, download_figure_html, download_pair, guard, notice, run_cached
from labui.figures import show_figure
from labui.page import LabPage, page_header, page_sidebar, settings, show_view
from labui.present import presenting
from labui.present_figures import height_limit
from labui.shell import lazy_expander
from labui.teacher import Quiz, predict_then_reveal, quiz_mode
from labui.views import choice, flag, number

T_KEY = f"{LAB.key}.temperature"
SWEEPS = {
    "smoothing": (run_smoothing_sweep, "ECE vs label smoothing ε"),
    "steps": (run_length_sweep, "Over-confidence vs training length"),
    "hidden": (run_width_sweep, "Over-confidence vs model size"),
}
T_QUIZ = Quiz(
    key=f"{LAB.key}.quiz.t",
    question="Dividing every logit by a temperature T = 2 before the softmax: what happens to "
    "the model's accuracy?",
    options=("It goes up", "It goes down", "It stays exactly the same"),
    correct="It stays exactly the same",
    explanation="Dividing all logits by one positive number keeps their order, so every "
    "predicted class is unchanged; only the confidences move.",
)


def _set_temperature(value: float) -> None:
    st.session_state[T_KEY] = value


@st.cache_data(show_spinner="Fitting the calibrators…", max_entries=32)
def _calibrators(_run, trained: CalibrationConfig, kind: str, cal_size: int, n_bins: int,
                 strategy: str):
    """The shoot-out of one cached run (``trained``, its training config, is the cache key)."""
    return methods.calibrator_view(_run, kind, cal_size, n_bins, trained.seed, strategy)


@st.cache_data(show_spinner="Refitting the calibrators on smaller sets…", max_entries=16)
def _size_curve(_run, trained: CalibrationConfig, kind: str, n_bins: int, strategy: str):
    return methods.size_view(_run, kind, n_bins, trained.seed, strategy)


@st.cache_data(show_spinner=False, max_entries=64)
def _conformal(_run, trained: CalibrationConfig, kind: str, alpha: float, score: str):
    return methods.conformal_view(_run, kind, alpha, score, config=trained, seed=trained.seed)


def _model_picker(page: LabPage) -> str:
    """The "Model" switch between the run's two networks; returns ``"plain"`` or ``"smoothed"``."""
    names = {"plain": page.result.plain.name, "smoothed": page.result.smoothed.name}
    return choice("Model", list(names), key=page.state_key("model"), param="model",
                  format_func=names.get)


def four_models(page: LabPage) -> None:
    """Reliability diagrams of both networks, raw and temperature-scaled, and their metrics."""
    config, run = page.config, page.result
    if not predict_then_reveal(T_QUIZ):  # equal accuracy before and after scaling is the answer
        st.stop()
    panels = four_panels(run, config.n_bins, config.strategy)
    # one row of four on a projector: a 2×2 grid does not fit its height; with only the view
    # switch above it, the row may be taller than most first charts
    fig = plots.reliability_figure(panels, cols=4 if presenting() else 2,
                                   strategy=config.strategy)
    with height_limit(500):
        show_figure(fig, key=page.state_key("grid_fig"))
    notice(notices.four_models_notice(panels, config.smoothing, run.plain.name))
    st.caption("How to read it: red hatching is over-confidence (bar below the diagonal), "
               "orange is under-confidence; bins with only a few predictions (see the counts) "
               "have noisy gaps, which the ECE weights by their count and the MCE does not.")
    st.markdown("**Test-set metrics** (lower is better for ECE, MCE, NLL and Brier)")
    metrics = pd.DataFrame(report.metrics_rows(panels))
    st.dataframe(metrics, hide_index=True)
    st.markdown("**Temperatures, fitted on the validation set by minimising NLL**")
    st.dataframe(pd.DataFrame(report.fit_rows(run)), hide_index=True)
    download_pair(metrics, "calibration_metrics.csv",
                  "Download the metrics (CSV)", fig, "calibration_reliability.html")


def temperature_slider(page: LabPage) -> None:
    """One network rescored at the slider's temperature, with the ECE's table bin by bin."""
    config, run = page.config, page.result
    if not predict_then_reveal(T_QUIZ):
        st.stop()
    kind = _model_picker(page)
    model = run.model(kind)
    b1, b2, _ = st.columns([1, 1, 2])
    b1.button("Raw model (T = 1)", on_click=_set_temperature, args=(1.0,),
              key=page.state_key("t_one"))
    fitted = report.slider_temperature(model.temperature)
    b2.button(f"Fitted T = {fitted:.2f}", on_click=_set_temperature, args=(fitted,),
              key=page.state_key("t_fit"))
    temperature = number(
        "Temperature T (divides the logits before the softmax; nothing is retrained)",
        key=T_KEY, param="T", default=1.0, min_value=T_MIN, max_value=T_MAX, step=0.01,
        help="T > 1 softens every prediction, T < 1 sharpens it; the predicted class never "
        "changes.")
    with guard():
        scores = rescore(run, kind, temperature, config.n_bins, config.strategy)
        raw = rescore(run, kind, 1.0, config.n_bins, config.strategy)
    left, right = st.columns([3, 2])
    with left:
        show_figure(plots.reliability_figure([scores], cols=1, strategy=config.strategy),
                    key=page.state_key("slider_fig"))
        notice(notices.slider_notice(raw, scores, model.temperature))
    with right:
        st.markdown("**Test-set metrics at T = 1 and at the slider's T**")
        st.dataframe(pd.DataFrame(report.comparison_rows(raw, scores)), hide_index=True)
    st.subheader("The ECE, bin by bin (the lecture's table)")
    table = pd.DataFrame(report.ece_table(scores))
    st.dataframe(table, hide_index=True)
    st.markdown(f"Weighted sum of the differences, weight = share of the predictions in the "
                f"bin; empty bins add nothing:\n\n`{report.ece_sum_text(scores)}`")
    download_csv(table, "calibration_ece_table.csv", "Download the ECE table (CSV)")


def nll_or_ece(page: LabPage) -> None:
    """Test NLL and ECE over the temperature, and the two temperatures fitted by each."""
    config, run = page.config, page.result
    kind = _model_picker(page)
    with guard():
        curves = temperature_curves(run, kind, config.n_bins, config.strategy)
        at_nll = rescore(run, kind, curves.t_nll, config.n_bins, config.strategy,
                         name=f"T fitted by NLL on validation (T = {curves.t_nll:.2f})")
        at_ece = rescore(run, kind, curves.t_ece, config.n_bins, config.strategy,
                         name=f"T fitted by ECE on validation (T = {curves.t_ece:.2f})")
    fig = plots.temperature_figure(curves)
    show_figure(fig, key=page.state_key("curves_fig"))
    notice(notices.curves_notice(curves, at_nll, at_ece))
    st.markdown("**Test-set metrics at the two fitted temperatures**")
    st.dataframe(pd.DataFrame(report.metrics_rows((at_nll, at_ece))), hide_index=True)
    download_figure_html(fig, "calibration_vs_temperature.html", "Download the figure (HTML)")


def many_eces(page: LabPage) -> None:
    """One network's predictions scored by six ECE variants; equal-width vs equal-mass bins."""
    run = page.result
    c1, c2 = st.columns([2, 1])
    with c1:
        kind = _model_picker(page)
    with c2:
        scaled = flag("After temperature scaling", key=page.state_key("variants_scaled"),
                      param="scaled")
    temperature = run.model(kind).temperature if scaled else 1.0
    with guard():
        rows = report.ece_variants(run, kind, temperature)
        pair = [rescore(run, kind, temperature, N_BINS, "uniform"),
                rescore(run, kind, temperature, N_BINS, "quantile")]
    fig = plots.variants_figure(rows)
    show_figure(fig, key=page.state_key("variants_fig"))
    notice(f"Notice: one set of predictions, six numbers. {report.variants_spread(rows)} "
           "Always say which ECE you report.")
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    show_figure(
        plots.reliability_figure(pair, cols=2, strategy=None, titles=[
            f"{N_BINS} equal-width bins · ECE {pair[0].ece:.4f}",
            f"{N_BINS} equal-mass bins · ECE {pair[1].ece:.4f}"]),
        key=page.state_key("binning_fig"))
    notice(notices.binning_notice(*pair))


def sweeps(page: LabPage) -> None:
    """One setting swept over several trainings, run on a button press."""
    which = choice("Sweep", list(SWEEPS), key=page.state_key("sweep"), param="sweep",
                   format_func=lambda k: SWEEPS[k][1])
    fn, title = SWEEPS[which]
    cfg = sweep_config(page.config, which)
    values = ", ".join(f"{v:g}" for v in SWEEP_VALUES[which])
    st.subheader(title)
    trains = "plain CE" if which != "smoothing" else "CE with label smoothing"
    ran_for = page.state_key(f"sweep_for.{which}")
    if st.button(f"Run the sweep ({len(SWEEP_VALUES[which])} trainings)",
                 key=page.state_key(f"sweep_button.{which}")):
        st.session_state[ran_for] = cfg
    if st.session_state.get(ran_for) == cfg:
        with guard():
            sweep = run_cached(fn, cfg, label=f"Sweep ({title})")
        fig = plots.sweep_figure(sweep, report.SWEEP_LABELS[which])
        show_figure(fig, key=page.state_key(f"sweep_fig.{which}"))
        notice(notices.sweep_notice(sweep))
        download_csv(pd.DataFrame(report.sweep_table(sweep)), f"calibration_sweep_{which}.csv",
                     "Download the sweep (CSV)")
    else:
        st.caption(f"Retrains {trains} with the sidebar's other settings at "
                   f"{SWEEP_SYMBOLS[which]} = "
                   f"{values}; each model is scored on the test set (ECE with 15 equal-width "
                   "bins) before and after temperature scaling.")


def calibrators(page: LabPage) -> None:
    """Every calibrator fitted on the same validation points, and how each fares on fewer."""
    config, run = page.config, page.result
    kind = _model_picker(page)
    n_val = len(run.y_val)
    cal_size = number(
        "Calibration points (a stratified subset of the validation set)",
        key=page.state_key("cal_size"), param="cal_size", default=n_val,
        min_value=2 * run.n_classes, max_value=n_val, step=1,
        help="Every calibrator is fitted on the same points; fewer points show which overfit.")
    trained = training_config(config)
    with guard():
        shoot = _calibrators(run, trained, kind, cal_size, config.n_bins, config.strategy)
        curve = _size_curve(run, trained, kind, config.n_bins, config.strategy)
    fig = calibrator_plots.shootout_figure(shoot)
    show_figure(fig, key=page.state_key("shootout_fig"))
    notice(methods.shootout_caption(shoot))
    st.markdown(f"**Test-set metrics** ({shoot.shootout.n_test} test predictions; every "
                f"calibrator fitted on the same {shoot.shootout.cal_size} validation points)")
    rows = pd.DataFrame(methods.shootout_rows(shoot))
    st.dataframe(rows, hide_index=True)
    download_pair(rows, "calibration_shootout.csv", "Download the shoot-out (CSV)", fig,
                  "calibration_shootout.html")
    st.subheader("Which calibrators overfit a small calibration set?")
    size_fig = calibrator_plots.size_figure(curve)
    show_figure(size_fig, key=page.state_key("size_fig"))
    notice(methods.size_caption(curve))
    download_figure_html(size_fig, "calibration_size_curve.html", "Download the figure (HTML)")


def conformal_sets(page: LabPage) -> None:
    """Split-conformal prediction sets at miscoverage α: coverage, set sizes, largest sets."""
    run = page.result
    kind = _model_picker(page)
    c1, c2 = st.columns(2)
    with c1:
        alpha = number(
            "Miscoverage α (each set should hold the true class 1 − α of the time)",
            key=page.state_key("alpha"), param="alpha", default=0.1, min_value=0.001,
            max_value=0.5, step=0.001, format="%.3f")
    with c2:
        score = choice("Conformity score", list(SCORES), key=page.state_key("score"),
                       param="score", format_func=SCORES.get, kind="radio")
    enough, requirement = report.conformal_requirement(len(run.y_val), alpha)
    if not enough:
        st.error(requirement)
        return
    with guard():
        sets = _conformal(run, training_config(page.config), kind, alpha, score)
    st.markdown(f"**The finite-sample guarantee.** {requirement} Then, on average over "
                "random splits, at least 1 − α of new test labels fall in their set.")
    fig = conformal_plots.coverage_figure(sets)
    show_figure(fig, key=page.state_key("coverage_fig"))
    notice(methods.conformal_caption(sets))
    show_figure(conformal_plots.set_size_figure(sets), key=page.state_key("set_size_fig"))
    if sets.images is not None:
        show_figure(conformal_plots.largest_sets_figure(sets), key=page.state_key("largest_fig"))
        notice(methods.largest_sets_caption(sets))
        if sets.max_size <= 1 and sets.larger_alpha is not None:
            st.button(f"Lower α to {sets.larger_alpha:g}", key=page.state_key("larger_alpha"),
                      on_click=st.session_state.__setitem__,
                      args=(page.state_key("alpha"), sets.larger_alpha))
    download_pair(pd.DataFrame(report.coverage_table(sets.curve)),
                  "calibration_conformal_coverage.csv", "Download the coverage (CSV)", fig,
                  "calibration_conformal_coverage.html")


def why_it_works() -> None:
    st.markdown(
        "**Why does label smoothing work?** With one-hot targets, cross-entropy keeps "
        "rewarding a larger gap between the true class's logit and the others even after every "
        "training example is classified correctly, so the logits grow and the softmax creeps "
        "toward 1: the network becomes sure of everything it has seen. Smoothed targets put "
        "1 − ε on the true class and ε/(K − 1) on each other class. Cross-entropy is smallest "
        "when the softmax equals the target, which happens at a finite logit gap:")
    st.latex(r"z_{\text{true}} - z_{\text{other}} = \log\frac{(1-\varepsilon)(K-1)}{\varepsilon}"
             r"\qquad(\varepsilon = 0.1,\ K = 10:\ \log 81 \approx 4.39)")
    st.markdown(
        "Growing further is now penalised, so the logits stay bounded and examples of one "
        "class gather in tight, evenly spaced clusters (the lecture's penultimate-layer "
        "figure; Müller et al. 2019). The price: every training example is pulled to about "
        "1 − ε confidence, however easy it is. When the model is more accurate than 1 − ε, it "
        "ends up under-confident — what the digits show at ε = 0.1 (the preset “"
        f"{report.PRESET_TOO_MUCH}”) — and temperature scaling with T < 1 sharpens it again.")
    st.markdown(
        "**Why does ECE compare accuracy with confidence?** A confidence is a claim about a "
        "frequency: of all the predictions made with confidence 0.8, 80 % should be right. "
        "One prediction cannot confirm or refute that (it is simply right or wrong), but a "
        "group can. So ECE groups predictions into bins of similar confidence and compares "
        "each bin's accuracy (how often it was right) with its mean confidence (how often it "
        "claimed to be right). In the ideal world the two match in every bin, P(correct | "
        "confidence = c) = c, and the ECE is 0:")
    st.latex(r"\mathrm{ECE} = \sum_{b=1}^{B} \frac{n_b}{N}\,\bigl|\mathrm{acc}_b - "
             r"\mathrm{conf}_b\bigr|")
    st.markdown(
        "ECE alone is not enough: a model that always states its overall accuracy as its "
        "confidence has ECE ≈ 0 yet says nothing about which predictions are risky. That is "
        "why the tables also show accuracy and two proper scoring rules, NLL and Brier.")
    st.markdown("**Temperature scaling** divides all logits by one number T > 0, fitted on "
                "validation data by minimising the NLL (Guo et al. 2017):")
    st.latex(r"p_k = \frac{e^{z_k/T}}{\sum_j e^{z_j/T}},\qquad "
             r"T^\ast = \arg\min_{T>0} -\frac{1}{n}\sum_{i=1}^{n}\log p_{i,y_i}(T)")
    st.markdown(
        "Dividing by T keeps the order of the logits, so the predicted class and the accuracy "
        "never change; only the confidences do.")
    st.markdown(
        "**Definitions on this page.** Confidence = the largest softmax probability. ECE and "
        "MCE are top-label (the predicted class only) with the sidebar's bins, (lower, upper] "
        "with 0 in the first bin; MCE is the largest gap of a non-empty bin. NLL is the mean "
        "−log p(true class) in nats. Brier = Σₖ (pₖ − yₖ)² averaged over samples, from 0 "
        "(perfect) to 2. Everything is measured on the test set; only T is fitted on the "
        "validation set. PyTorch's `label_smoothing = α` is ε = α(K − 1)/K here.")



page_header(
    "Calibration: does “90 % sure” mean right 90 % of the time?",
    "Two networks learn the same classes: one with plain cross-entropy (CE), one with label "
    "smoothing ε. Each is then temperature-scaled on held-out validation data. Reliability "
    "diagrams and the expected calibration error (ECE) show whose confidence you can trust.",
)
config = settings(LAB, picker=True)
with guard():
    page = LabPage(LAB, config, run_cached(run_calibration, training_config(config)))
page_sidebar(page)
if config.smoothing == 0:
    st.info("ε = 0: both rows show the same plain CE model. Set **Label smoothing ε** above 0 in "
            "the sidebar to compare.")
show_view(page, {
    "four": ("Four models", four_models),
    "temperature": ("Temperature slider", temperature_slider),
    "nll_or_ece": ("NLL or ECE?", nll_or_ece),
    "many_eces": ("One model, many ECEs", many_eces),
    "sweeps": ("Sweeps", sweeps),
    "calibrators": ("Calibrator shoot-out", calibrators),
    "conformal": ("Conformal sets", conformal_sets),
}, default="temperature" if quiz_mode() else "four")
lazy_expander("Why these ideas work (the lecture's self-study questions 3 and 4)", why_it_works,
              key=page.state_key("why"))
