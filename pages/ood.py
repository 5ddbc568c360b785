"""OOD lab: distribution shift and out-of-distribution detection (scenes S10 and S4).

The view is chosen before the settings (each view's form shows only the fields its experiment
uses); then each view is a function of the page context (:class:`labui.page.LabPage`) that runs
its own cached experiment from ``page.config``.
"""

import pandas as pd
import streamlit as st

from labcore.data.corruptions import CORRUPTION_LABELS, CORRUPTIONS
from labcore.experiments.ood import LAB, report
from labcore.experiments.ood.run import (
    DETECTORS,
    OOD_SETS,
    OODConfig,
    OODLabConfig,
    ShiftConfig,
    ToyOODConfig,
    run_ood,
    run_shift,
    run_toy_ood,
)
from labcore.plots import ood as plots
from labui import download_csv, download_figure_html, download_pair, guard, notice, run_cached
from labui.figures import show_figure
from labui.page import (
    LabPage,
    choose_view,
    draw_view,
    page_header,
    page_sidebar,
    settings,
    start_settings,
    with_compare,
)
from labui.present import on_a_phone, presenting
from labui.shell import lazy_expander
from labui.teacher import Quiz, predict_then_reveal
from labui.views import choice, multi_choice
from labui.whatif import VIEW as WHATIF_VIEW

# the A/B view compares shift sweeps (labcore.experiments.ood.whatif)
VIEW_CONFIGS = {"shift": ShiftConfig, "detection": OODConfig, "toy": ToyOODConfig,
                WHATIF_VIEW: ShiftConfig}
DETECTOR_NAMES = {key: label for key, (_, _, label) in DETECTORS.items()}
SHIFT_QUIZ = Quiz(
    key=f"{LAB.key}.quiz.shift",
    question="Digits get noisier and more blurred. Accuracy falls — and the model's "
    "confidence?",
    options=("Falls just as much", "Falls, but much less than accuracy", "Stays the same"),
    correct="Falls, but much less than accuracy",
    explanation="The plain network stays confident on inputs it gets wrong (over-confident "
    "mistakes), and that gap widens with the severity of the shift.",
)


def distribution_shift(page: LabPage) -> None:
    """Accuracy, confidence, ECE and NLL of each method as corruptions grow more severe."""
    if not predict_then_reveal(SHIFT_QUIZ):
        st.stop()
    with guard():
        shift = run_cached(run_shift, page.config.shift_config(), label="Shift sweep")
    corruption = choice(
        "Corruption", ["mean", *CORRUPTIONS], key=page.state_key("corruption"),
        param="corruption", kind="selectbox",
        format_func=lambda c: "Average over all six" if c == "mean" else CORRUPTION_LABELS[c])
    fig = plots.shift_figure(shift, corruption, cols=4 if presenting() else 2)
    show_figure(fig, key=page.state_key("shift_fig"))
    notice(report.shift_notice(shift, corruption))
    st.dataframe(pd.DataFrame(report.shift_rows(shift, corruption)), hide_index=True)
    fitted = (f" Fitted temperature T = {shift.temperature:.2f} (clean validation digits)."
              if page.config.temperature else "")
    st.caption(f"Each cell: clean → severity 5, for the corruption chosen above.{fitted}")
    gallery = plots.corruption_gallery_figure(shift, narrow=on_a_phone())
    show_figure(gallery, key=page.state_key("gallery_fig"))
    notice("Notice: where a person still reads the digit easily, the prediction already "
           "flips, often with high confidence. (Shown: of the test digits the first method "
           "gets right with ≥ 95 % confidence, the one it gets wrong most often.)")
    lazy_expander("What each severity means", lambda: st.dataframe(
        pd.DataFrame(report.corruption_rows()), hide_index=True),
        key=page.state_key("severities"))
    download_pair(pd.DataFrame(report.shift_table(shift)), "ood_shift.csv",
                  "Download every metric (CSV)", fig, "ood_shift.html")


def ood_detection(page: LabPage) -> None:
    """How well each score separates clean digits from each OOD set: tables, histogram, ROC."""
    with guard():
        det = run_cached(run_ood, page.config.detection_config(), label="OOD detection")
    st.markdown(report.CONVENTION)
    metric = choice("Table", list(report.DETECTION_METRICS), key=page.state_key("metric"),
                    param="table", default="auroc", format_func=report.DETECTION_METRICS.get)
    st.dataframe(pd.DataFrame(report.detection_rows(det, metric)), hide_index=True)
    notice(report.detection_notice(det))
    detector = choice("Score for the histogram", list(DETECTORS),
                      key=page.state_key("hist_detector"), param="histogram",
                      default="plain_energy", kind="selectbox", format_func=DETECTOR_NAMES.get)
    show_figure(plots.score_histogram_figure(det, detector), key=page.state_key("hist_fig"))
    notice("Notice: a set is easy to detect when its histogram sits left of the dashed "
           "line; every input right of it is accepted as in-distribution.")
    c1, c2 = st.columns([1, 2])
    ood_set = choice("OOD set for the ROC curves", list(OOD_SETS), key=page.state_key("roc_set"),
                     param="roc_set", kind="selectbox", format_func=OOD_SETS.get, container=c1)
    chosen = multi_choice("Detectors", list(DETECTORS), key=page.state_key("roc_detectors"),
                          param="detectors", kind="multiselect", container=c2,
                          default=["plain_msp", "plain_energy", "ensemble_mi", "mc_mi"],
                          format_func=DETECTOR_NAMES.get)
    show_figure(plots.roc_figure(det, ood_set, chosen or []), key=page.state_key("roc_fig"))
    notice("Notice: a curve hugging the top-left corner separates well; where a curve "
           "crosses the dotted 95 % TPR line, read off its FPR at 95 % TPR.")
    show_figure(plots.ood_examples_figure(det, narrow=on_a_phone()),
                key=page.state_key("examples_fig"))
    notice(report.fooling_notice(det))
    st.dataframe(pd.DataFrame(report.fooling_rows(det)), hide_index=True)
    download_csv(pd.DataFrame(report.detection_table(det)), "ood_detection.csv",
                 "Download the detection metrics (CSV)")


def toy_2d(page: LabPage) -> None:
    """Two scores mapped over the plane of a 2-D toy problem, and their radial profiles."""
    with guard():
        toy = run_cached(run_toy_ood, page.config.toy_config(), label="2-D toy")
    c1, c2 = st.columns(2)
    left_d = choice("Left panel", list(DETECTORS), key=page.state_key("toy_left"), param="left",
                    kind="selectbox", format_func=DETECTOR_NAMES.get, container=c1)
    right_d = choice("Right panel", list(DETECTORS), key=page.state_key("toy_right"),
                     param="right", default="ensemble_mi", kind="selectbox",
                     format_func=DETECTOR_NAMES.get, container=c2)
    fig = plots.toy_figure(toy, [left_d, right_d])
    show_figure(fig, key=page.state_key("toy_fig"))
    notice("Notice: the plain network's max softmax is bright (near 100 %) almost "
           "everywhere far from the training points; only its extrapolated class boundary "
           "is dark. The ensemble's −mutual information darkens far away in wedges where "
           "the members' boundaries part — and stays bright where they all agree.")
    profile = plots.toy_profile_figure(toy, [left_d, right_d])
    show_figure(profile, key=page.state_key("toy_profile_fig"))
    notice(f"Notice: {report.toy_summary(toy)} {report.toy_accuracy_text(toy)}")
    download_figure_html(fig, "ood_toy.html", "Download the figure (HTML)")


def maths() -> None:
    st.markdown("**Scores** (higher = more in-distribution) from logits z and p = softmax(z):")
    st.latex(r"\max_k p_k,\quad \max_k z_k,\quad \textstyle\sum_k p_k\log p_k,\quad "
             r"-E(z)=\log\sum_k e^{z_k}")
    st.markdown("With S ensemble members or dropout passes, p̄ is the mean of their softmax "
                "outputs and the mutual information is the part of the entropy that comes from "
                "their disagreement:")
    st.latex(r"I = H\Big[\tfrac1S\textstyle\sum_s p_s\Big] - \tfrac1S\textstyle\sum_s H[p_s]"
             r"\;\ge 0,\qquad \text{score} = -I")
    st.markdown("UANLL's certainty is 1/(1+σ²) = sigmoid(−s) of its predicted log-variance s.")
    st.markdown("**Detection metrics.** In-distribution digits are positives. AUROC = "
                "P(s_in > s_out) + ½·P(s_in = s_out). FPR at 95 % TPR takes the threshold t "
                "that keeps 95 % of in-distribution scores (s ≥ t) and reports the share of OOD "
                "scores ≥ t.")
    st.markdown("**Shift metrics.** ECE = Σ_b (n_b/N)·|accuracy_b − confidence_b| over 15 "
                "equal-width confidence bins (top label); NLL = −mean log p(true class), in "
                "nats. Temperature scaling divides the logits by one T fitted by minimising the "
                "NLL on clean validation digits (Guo et al. 2017).")
    st.markdown(report.fooling_method_text())
    st.markdown("References: Ovadia et al. 2019; Hendrycks & Dietterich 2019; Hendrycks & "
                "Gimpel 2017; Liu et al. 2020; Lakshminarayanan et al. 2017; Gal & Ghahramani "
                "2016; Nguyen et al. 2015; Hein et al. 2019.")


VIEWS = with_compare({"shift": ("Distribution shift", distribution_shift),
                      "detection": ("OOD detection", ood_detection),
                      "toy": ("2-D toy", toy_2d)})

page_header(
    "Out of distribution",
    "A network trained on clean digits meets inputs unlike its training data: corrupted "
    "digits, digits it never saw, noise and images made to fool it. Does it notice, or does it "
    "stay confident while it gets them wrong?",
)
# the view comes first: its experiment decides which settings the form shows and checks
start_settings(LAB, OODLabConfig, picker=True)
view = choose_view(LAB, {name: label for name, (label, _) in VIEWS.items()})
config = settings(LAB, OODLabConfig, rules=VIEW_CONFIGS[view],
                  hidden=OODLabConfig.hidden_for(VIEW_CONFIGS[view]), started=True)
page = LabPage(LAB, config)
page_sidebar(page)
draw_view(page, VIEWS[view][1])
lazy_expander("The maths behind this page", maths, key=page.state_key("maths"))
