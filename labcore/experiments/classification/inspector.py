"""One sample under the Classification lab's inspector: its facts, its views and its final
class under each aggregation, at the decision thresholds t_co and t_ce.

Everything here reads a cached
:class:`~labcore.experiments.classification.run.ClassificationResult`, so choosing another
sample or moving a threshold never retrains (:mod:`~labcore.experiments.classification.report`
holds the presets and the whole-test-set tables).
"""

from __future__ import annotations

import functools

import numpy as np

from labcore.errors import SettingError
from labcore.experiments.classification.report import Split, class_label, split_of
from labcore.experiments.classification.run import ClassificationResult, SplitPredictions
from labcore.uncertainty.aggregation import AGGREGATION_LABELS, aggregate_views, hard_flags

LECTURE_SAMPLE = 14  # the lecture's TTA slide shows test sample i = 14


def index_limits(result: ClassificationResult, split: Split) -> tuple[int, int, int]:
    """(smallest, largest, starting) sample index of a split; it starts at the lecture's 14."""
    last = split_of(result, split).classes.shape[0] - 1
    return 0, last, min(LECTURE_SAMPLE, last)


def check_index(result: ClassificationResult, split: Split, index: int) -> int:
    """``index`` if it names a sample of the split, else a SettingError saying the range."""
    n = split_of(result, split).classes.shape[0]
    if not 0 <= index < n:
        raise SettingError(f"Sample index must be between 0 and {n - 1}. Got {index}.")
    return int(index)


def _sample(result: ClassificationResult, split: Split, index: int
            ) -> tuple[SplitPredictions, int]:
    """The split's predictions and ``index`` checked against it (see :func:`check_index`)."""
    return split_of(result, split), check_index(result, split, index)


def sample_facts(result: ClassificationResult, split: Split, index: int) -> dict[str, str]:
    """What the inspector prints about one sample: labels, prediction, confidence, certainty."""
    pred, index = _sample(result, split, index)
    name = functools.partial(class_label, result)
    if split == "test":
        facts = {"Label": f"{name(result.y_test[index])} (test labels are clean)"}
    else:
        true, given = name(result.y_train[index]), name(result.y_train_noisy[index])
        note = f"flipped from {true}" if result.flipped[index] else "not flipped"
        facts = {"True class": true, "Training label": f"{given} ({note})"}
    facts["Prediction on the input (view 0)"] = name(pred.classes[index])
    facts["Confidence co_s (view 0)"] = f"{pred.confidence[index]:.4f}"
    facts["Predictive entropy"] = f"{pred.total_entropy[index]:.4f} nats"
    if pred.certainty is not None:
        facts["Certainty ce_s (view 0)"] = f"{pred.certainty[index]:.4f}"
        facts["σ = e^(s/2) (view 0)"] = f"{pred.sigma[index]:.4f}"
    if pred.n_samples > 1:
        facts["Epistemic: mutual information over members"] = f"{pred.epistemic[index]:.4f} nats"
    facts["Augmentation sensitivity (MI over views)"] = (
        f"{pred.augmentation_sensitivity[index]:.4f} nats")
    return facts


def view_rows(
    result: ClassificationResult, split: Split, index: int, t_co: float, t_ce: float
) -> list[dict[str, object]]:
    """The lecture's per-view table for one sample: class, co_s, co_h, ce_s, ce_h per view."""
    pred, index = _sample(result, split, index)
    probs = pred.view_probs[:, index]
    confidence = probs.max(axis=1)
    rows = []
    for v in range(probs.shape[0]):
        cls = int(probs[v].argmax())
        row: dict[str, object] = {
            "view": "0 (input)" if v == 0 else str(v),
            "predicted class": class_label(result, cls) if result.class_names else cls,
            "co_s": f"{confidence[v]:.4f}",
            "co_h": int(hard_flags(confidence[v], t_co)),
        }
        if pred.view_certainty is not None:
            certainty = pred.view_certainty[v, index]
            row["ce_s"] = f"{certainty:.4f}"
            row["ce_h"] = int(hard_flags(certainty, t_ce))
        rows.append(row)
    return rows


def final_rows(
    result: ClassificationResult, split: Split, index: int, t_co: float, t_ce: float
) -> list[dict[str, str]]:
    """The final class of one sample under each aggregation, and whether it is right."""
    pred, index = _sample(result, split, index)
    certainty = None if pred.view_certainty is None else pred.view_certainty[:, [index]]
    truth = int((result.y_test if split == "test" else result.y_train)[index])
    rows = []
    for name, agg in aggregate_views(pred.view_probs[:, [index]], certainty, t_co, t_ce).items():
        cls = int(agg.classes[0])
        note = "no view passed: mode used" if agg.fell_back[0] else ""
        rows.append({"aggregation": AGGREGATION_LABELS[name],
                     "final class": class_label(result, cls),
                     "right?": "✓" if cls == truth else "✗", "note": note})
    return rows


def views_notice(result: ClassificationResult, split: Split, index: int) -> str:
    """The caption under one sample's views: how many keep the class of the input itself.

    Reads the per-view classes of the sample; when every view agrees it says so and points to
    a stronger augmentation.
    """
    pred, index = _sample(result, split, index)
    classes = pred.view_probs[:, index].argmax(axis=1)
    n_views, first = classes.size, int(classes[0])
    kept = int(np.sum(classes == first))
    name = class_label(result, first)
    if n_views < 2:
        return "Notice: V = 1: only the input itself, no augmented view to compare with."
    if kept == n_views:
        return (f"Notice: all {n_views} views keep the input's class {name}: this sample is "
                "easy for the model under these augmentations; try a harder one, or raise the "
                "augmentation strength.")
    others = sorted({class_label(result, c) for c in classes if c != first})
    return (f"Notice: {kept} of {n_views} views keep the input's class {name}; the other "
            f"{n_views - kept} say {', '.join(others)}: a shift or a small rotation is enough "
            "to change what the model sees in this sample.")
