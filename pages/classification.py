"""Classification lab: UANLL, label noise, test-time augmentation, rejection (S5–S8, S11)."""

import dataclasses

import pandas as pd
import streamlit as st

from labcore.experiments import classification
from labcore.experiments.classification import flips, inspector, notices, report
from labcore.experiments.classification.run import ClassificationResult, run_classification
from labcore.experiments.classification.sweep import (
    SWEEP_RATES,
    run_noise_sweep,
    run_noise_sweep_upload,
    sweep_config,
)
from labcore.experiments.classification.upload import (
    UploadedClassification,
    run_classification_upload,
)
from labcore.models.classifier import S_MAX, S_MIN
from labcore.plots import classification as plots
from labui import download_csv, download_figure_html, download_pair, guard, notice, run_cached
from labui.errors import escape_markdown
from labui.figures import show_figure
from labui.live_panels import classification_live
from labui.page import LabPage, page_header, page_sidebar, settings, show_view, start_settings
from labui.present import presenting
from labui.shell import lazy_expander
from labui.teacher import Quiz, predict_then_reveal, quiz_mode
from labui.upload import data_source
from labui.views import choice, number

LAB = classification.LAB
KEY = LAB.key
DATA_FIELDS = {"dataset", "n_points", "toy_noise"}
SPLITS = {"test": "Test set (clean labels)", "train": "Training set (noisy labels)"}


def for_markdown(result: ClassificationResult) -> ClassificationResult:
    """``result`` with its class labels and input column names escaped for Markdown.

    A user's file names them: captions, notices, the inspector's facts and ``st.table`` render
    Markdown, so a label such as ``![t](https://…)`` would otherwise fetch an image in every
    viewer's browser. Tables drawn as data (``st.dataframe``), figures and downloads take the
    result itself.
    """
    return dataclasses.replace(
        result, class_names=tuple(map(escape_markdown, result.class_names)),
        feature_names=tuple(map(escape_markdown, result.feature_names)))


def summary(page: LabPage) -> None:
    """The headline numbers and the TTA notice: above the view, or below it on a projector
    (where the view's first chart must fit the screen)."""
    config, result = page.config, page.result
    m = result.metrics
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Test accuracy (clean labels)", f"{m['accuracy']:.1%}")
    c2.metric("…predicting from all views (TTA)", f"{m['tta_accuracy']:.1%}")
    c3.metric("ECE (15 equal-width bins)", f"{m['ece']:.3f}")
    c4.metric("Training labels flipped", f"{int(m['n_flipped'])} of {result.y_train.size}")
    notice(report.tta_notice(result, config))


REJECT_QUIZ = Quiz(
    key=f"{KEY}.quiz.reject",
    question="The model sets aside its least certain test predictions and keeps the rest. What "
    "happens to the accuracy on the predictions it keeps?",
    options=("It rises", "It stays the same", "It falls"),
    correct="It rises",
    explanation="It rises when the score ranks mistakes as less certain: the set-aside "
    "predictions hold more than their share of errors. A score no better than chance would "
    "leave accuracy flat.",
)
def flipped_view(page: LabPage) -> None:
    """Scene S5's question: does the model notice its flipped training labels?"""
    result = page.result
    st.markdown("**Does this model notice its flipped training labels?** Each training sample's "
                "score, split by whether its label was swapped. Some scores read the label the "
                "sample was given; others look at the input alone.")
    if result.flipped.any():
        scores = flips.flip_score_options(result)
        chosen = choice("Score", list(scores), key=f"{KEY}.flip_score", param="flip_score",
                        format_func=scores.get)
        values, axis = flips.flip_score(result, chosen)
        show_figure(plots.flip_histogram_figure(result, values, axis), key=f"{KEY}.flip_fig")
        notice(flips.flip_notice(result, chosen))
        st.dataframe(pd.DataFrame(flips.flip_rows(result)), hide_index=True)
        st.caption("AUROC for telling kept (positive) from flipped training labels: 0.5 = "
                   "chance, 1 = perfect. \"Within the classes with flips\" leaves out the "
                   "classes whose labels were never swapped, which a score can tell apart by "
                   "their inputs alone.")
    else:
        st.info("No training label was flipped: raise **Label noise rate** in the sidebar.")


def inspector_view(page: LabPage) -> None:
    """Scene S7: one sample's views, flags and final class under each aggregation."""
    config, result = page.config, page.result
    st.markdown(
        "**Scene S7.** The model sees V views of one sample (view 0 is the sample itself) and "
        "says a class, a confidence co_s and — with UANLL — a certainty ce_s for each. The "
        "thresholds in the sidebar turn them into flags co_h and ce_h."
    )
    left, right = st.columns([2, 3])
    with left:
        split = choice("Samples from", list(SPLITS), key=f"{KEY}.split", param="split",
                       format_func=SPLITS.get)
        low, high, start = inspector.index_limits(result, split)
        index = number(
            f"Sample index ({low}–{high})", key=f"{KEY}.sample.{split}", param="sample",
            default=start, min_value=low, max_value=high, step=1, kind="number_input",
            help="Which sample to inspect. The lecture's slide shows test sample 14.")
        with guard():
            index = inspector.check_index(result, split, int(index))
            facts = inspector.sample_facts(for_markdown(result), split, index)
        st.markdown("  \n".join(f"**{name}:** {value}" for name, value in facts.items()))
        if result.image_shape is not None:
            show_figure(plots.digit_figure(result, split, index), key=f"{KEY}.digit_fig")
            notice("Notice: look-alike digits (1/7, 3/8, 4/9, 5/6) are the ones whose "
                   "training labels asymmetric noise swaps.")
    with right:
        st.markdown(f"**Per view** — thresholds t_co = {config.t_co:.2f} on confidence, "
                    f"t_ce = {config.t_ce:.2f} on certainty")
        st.dataframe(pd.DataFrame(inspector.view_rows(result, split, index, config.t_co,
                                                   config.t_ce)), hide_index=True)
        st.caption("co_s = max softmax probability, co_h = 1 if co_s ≥ t_co; ce_s = 1/(1+σ²) "
                   "from UANLL's s = log σ², ce_h = 1 if ce_s ≥ t_ce. "
                   + report.certainty_range_note(result))
        st.markdown("**Final class under each aggregation**")
        final = inspector.final_rows(for_markdown(result), split, index, config.t_co, config.t_ce)
        st.table(pd.DataFrame(final).set_index("aggregation"))  # st.table renders Markdown
        st.caption("Ties go to the class of the earliest view (view 0 first); when no view "
                   "passes a threshold, the flag vote falls back to the plain mode.")
    if page.uploaded is not None:
        st.info("The image views (the digit and its shifted, rotated copies) need the digits "
                "data set; your rows are 2-D points, so each sample and its jittered views are "
                "shown on the decision map instead.")
    if result.image_shape is not None:
        show_figure(plots.views_figure(result, split, index), key=f"{KEY}.views_fig")
        notice(inspector.views_notice(for_markdown(result), split, index))
    else:
        whole, close = st.columns(2)
        with whole:
            show_figure(plots.inspector_map_figure(result, split, index),
                            key=f"{KEY}.point_fig")
            notice("Notice: where the sample (star) sits relative to the black decision "
                   "boundary and to the flipped labels (✕).")
        with close:
            show_figure(plots.inspector_map_figure(result, split, index, zoom=0.8),
                            key=f"{KEY}.point_zoom_fig")
            notice("Notice: views that land across the boundary vote for the other class; "
                   "raise the augmentation strength to spread them.")
    st.markdown("**Every aggregation on the whole test set** (at the thresholds above)")
    st.dataframe(pd.DataFrame(report.aggregation_rows(result, config.t_co, config.t_ce)),
                 hide_index=True)
    st.caption("The spread of the views measures augmentation sensitivity — how much the "
               "prediction moves under small changes of the input — not epistemic uncertainty.")


def map_view(page: LabPage) -> None:
    """The decision map of a 2-D toy: confidence, σ and the entropy split."""
    result = page.result
    if result.decision_map is None:
        st.info("The decision map needs 2-D points: choose a toy under **Data → Dataset** in "
                "the sidebar, or the preset \"S5 · UANLL on two moons\".")
    else:
        left, right = st.columns(2)
        with left:
            show_figure(plots.map_figure(result, "confidence"), key=f"{KEY}.conf_map")
            notice(notices.confidence_map_notice(result))
        with right:
            if result.decision_map.sigma is not None:
                show_figure(plots.map_figure(result, "sigma"), key=f"{KEY}.sigma_map")
                notice(notices.sigma_map_notice(result))
            else:
                st.info("Choose the UANLL loss to see its per-point σ.")
        if result.decision_map.epistemic is not None:
            fig = plots.entropy_maps_figure(result)
            show_figure(fig, key=f"{KEY}.entropy_maps")
            notice(notices.entropy_maps_notice(result))
            download_figure_html(fig, "classification_entropy_maps.html",
                                 "Download the figure (HTML)")
        else:
            st.info("Choose **Deep ensemble** or **MC dropout** as the epistemic method to "
                    "split the uncertainty into aleatoric and epistemic maps.")


def noise_view(page: LabPage) -> None:
    """Scene S6: each loss trained at rising label-noise rates."""
    config = page.config
    st.markdown(f"**Scene S6.** One network trained on labels with "
                f"{', '.join(f'{r:.0%}' for r in SWEEP_RATES)} {config.noise_kind} noise, with "
                "each loss; validation and test labels are clean.")
    st.caption(notices.sweep_network_caption(config))
    with guard():
        if page.uploaded is None:
            sweep = run_cached(run_noise_sweep, sweep_config(config), label="Noise sweep")
        else:
            sweep = run_cached(run_noise_sweep_upload,
                               UploadedClassification(sweep_config(config), page.uploaded),
                               label="Noise sweep on your data")
    fig = plots.noise_curves_figure(sweep)
    show_figure(fig, key=f"{KEY}.sweep_fig")
    notice(notices.noise_sweep_notice(sweep))
    rows = pd.DataFrame(report.sweep_rows(sweep))
    st.dataframe(rows, hide_index=True)
    st.caption("AURC: area under risk vs coverage when rejecting by the score (lower is "
               "better). Flip AUROC: how well a score separates kept from flipped training "
               "labels (0.5 = not at all). p(given label) and UANLL's residual e^(−s)·Σ(y−h)² "
               "read the label each sample was given; certainty (UANLL) and confidence (the "
               "other losses) look at the input alone.")
    download_csv(rows, "classification_noise_sweep.csv", "Download the table (CSV)")


def reject_view(page: LabPage) -> None:
    """Scene S8: set the least certain predictions aside, keep the rest."""
    config, result = page.config, page.result
    if not predict_then_reveal(REJECT_QUIZ):
        st.stop()
    st.markdown("**Scene S8.** What to do with uncertain predictions? Set them aside (for a "
                "human, or another test) and keep the rest: accuracy on what is kept rises as "
                "coverage falls.")
    marks = report.accepted_subsets(result, config.t_co, config.t_ce)
    fig = plots.coverage_figure(result, marks)
    show_figure(fig, key=f"{KEY}.coverage_fig")
    notice("Notice: a useful score climbs towards the dotted best-possible curve; a score "
           "no better than chance stays on the grey line. Diamonds mark the thresholds.")
    st.dataframe(pd.DataFrame(report.selective_rows(result, config.t_co, config.t_ce)),
                 hide_index=True)
    st.dataframe(pd.DataFrame(report.metrics_rows(result)), hide_index=True)
    download_pair(pd.DataFrame(report.view_table(result)), "classification_test_scores.csv",
                  "Download every test prediction (CSV)", fig, "classification_coverage.html")


def maths() -> None:
    st.markdown("**The trick: a regression loss that classifies (UANLL, scene S5).** Treat the "
                "N class outputs h = softmax(z) as a regression onto the one-hot (or smoothed) "
                "target y, with Gaussian noise of one variance σ² per sample shared by all N "
                "outputs. Its negative log-likelihood, without constants, with s = log σ²:")
    st.latex(r"L_C = \frac{1}{2m}\sum_{i=1}^{m}\Big(e^{-s_i}\sum_{k=1}^{N}(y_{ik}-h_{ik})^2"
             r" + N\,s_i\Big)")
    st.markdown("The first term is the square loss of the softmax outputs (the Brier score), "
                "which alone already classifies well (scene S11): it is smallest when h puts "
                "its mass on the labelled class. The "
                "network also outputs s. A large s excuses a large error but costs N·s, so for "
                "fixed h the best s is the log of the mean squared error over the classes:")
    st.latex(r"s_i^\ast = \log\frac{\sum_k (y_{ik}-h_{ik})^2}{N}, \qquad "
             r"\text{certainty} = \frac{1}{1+\sigma_i^2} = \frac{1}{1+e^{s_i}}")
    st.markdown(f"σ is predicted from the input alone, so it flags inputs whose labels are "
                f"hard to fit (look-alike digits, noisy classes), not which label was flipped: "
                f"that needs a score that reads the label, such as the residual "
                f"e^(−s)·Σ(y−h)² or the probability of the given label. With softmax outputs "
                f"Σ(y−h)² ≤ 2, so at the optimum σ² ≤ 2/N and certainty ≥ 1/(1+2/N) (0.833 "
                f"for 10 classes). Here s is clamped to [{S_MIN:g}, {S_MAX:g}], so certainty "
                f"stays between 1/(1+e^{S_MAX:g}) ≈ 0.018 and 1/(1+e^{S_MIN:g}) ≈ 0.9997.")
    st.markdown("**Entropy decomposition** over S ensemble members or dropout passes p_s:")
    st.latex(r"\underbrace{H\big[\tfrac1S\textstyle\sum_s p_s\big]}_{\text{total}} = "
             r"\underbrace{\tfrac1S\textstyle\sum_s H[p_s]}_{\text{aleatoric}} + "
             r"\underbrace{I[y;\theta]}_{\text{epistemic}\;\ge 0}")
    st.markdown("Over TTA views instead of members the same mutual information measures "
                "augmentation sensitivity. Label smoothing ε puts 1−ε on the labelled class and "
                "ε/(N−1) on every other class (PyTorch's label_smoothing=α is ε = α(N−1)/N). "
                "NLL is −log p(true class) in nats; ECE is top-label with 15 equal-width bins.")


VIEWS = {
    "flipped": ("Flipped labels", flipped_view), "reject": ("Reject uncertain", reject_view),
    "inspector": ("Sample inspector", inspector_view), "map": ("Decision map", map_view),
    "noise": ("Label-noise sweep", noise_view),
}

page_header(
    "Classification: does the model know when a label is wrong?",
    "A small network learns to classify handwritten digits (or 2-D points) from labels, some of "
    "which were deliberately swapped. Besides the class it reports how sure it is — with UANLL, "
    "a per-sample σ that grows on inputs whose labels are hard to fit — and how well each "
    "training label fits what it has learned.")
start_settings(LAB)
uploaded = data_source(key=KEY, presets=report.PRESETS, task="classification", inputs=("x1", "x2"),
                       target="label", generated_label="Generated (digits or 2-D toys)")
config = settings(LAB, hidden=DATA_FIELDS if uploaded is not None else (), started=True)
with guard():
    live_result = classification_live(config) if uploaded is None else None
    if live_result is not None:
        result = live_result
    elif uploaded is None:
        result = run_cached(run_classification, config.model_config())
    else:
        result = run_cached(run_classification_upload,
                            UploadedClassification(config.model_config(), uploaded),
                            label="Your data")
page = LabPage(LAB, config, result, uploaded)
if uploaded is not None:  # the A/B view trains A and the seeds on the same file
    page.runner = lambda variant, label: run_cached(
        run_classification_upload, UploadedClassification(variant.model_config(), uploaded),
        label=label)
page_sidebar(page, script=config.model_config())  # what the page trained: thresholds aside
if uploaded is not None:
    st.caption(report.upload_summary(for_markdown(result), config.label_noise,
                                     config.noise_kind))
if not presenting():
    summary(page)
show_view(page, VIEWS, default="reject" if quiz_mode() else "flipped")
if presenting():
    summary(page)
lazy_expander("The maths behind this page", maths, key=f"{KEY}.maths")
