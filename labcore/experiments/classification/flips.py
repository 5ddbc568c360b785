"""The Classification lab's "Flipped labels" view: which scores notice a swapped training label,
the table of their AUROCs and the caption that reads them (numbers the page shows)."""

from __future__ import annotations

import math

import numpy as np

from labcore.experiments.classification.report import CERTAINTY_FLAGS, fmt
from labcore.experiments.classification.run import ClassificationResult
from labcore.ood.detection import auroc

FLIP_SCORES: dict[str, tuple[str, bool]] = {
    "given_label": ("p(given label): the model's probability of the training label", True),
    "weighted_residual": ("UANLL residual e^(−s)·Σ(y−h)² against the training label", True),
    "confidence": ("confidence (max softmax)", False),
    "certainty": ("UANLL certainty 1/(1+σ²)", False),
}
"""Scores of a training sample's label: name → (label, whether it reads the given label).

A score that reads the label changes when the label does; confidence and certainty score the
input alone and give it the same value whichever label it carries."""

_FLIP_AXES = {"given_label": "p(given label | x)", "confidence": "confidence (max softmax)",
              "certainty": "UANLL certainty 1/(1+σ²)"}


def flip_score_options(result: ClassificationResult) -> dict[str, str]:
    """The scores the flipped-label histogram can draw for this run: name → what it is.

    The label-aware p(given label) comes first (the default); certainty only with UANLL.
    Each label says whether the score reads the training label or the input only.
    """
    names = ["given_label", "confidence"]
    if result.train.certainty is not None:
        names.append("certainty")
    return {name: f"{FLIP_SCORES[name][0].split(':')[0]} — "
                  f"{'reads the label' if FLIP_SCORES[name][1] else 'input only'}"
            for name in names}


def flip_score(result: ClassificationResult, name: str) -> tuple[np.ndarray, str]:
    """One score of every training sample (higher = the label looks right) and its axis title."""
    options = flip_score_options(result)
    if name not in options:
        raise ValueError(f"score must be one of {sorted(options)}. Got {name!r}.")
    values = {"given_label": result.given_label_prob, "confidence": result.train.confidence,
              "certainty": result.train.certainty}[name]
    return values, _FLIP_AXES[name]


def _noisy_classes(result: ClassificationResult) -> np.ndarray:
    """Mask of training samples whose true class had any label flipped."""
    return np.isin(result.y_train, np.unique(result.y_train[result.flipped]))


def flip_rows(result: ClassificationResult) -> list[dict[str, str]]:
    """Every flipped-label score of this run: whether it reads the label, and its AUROCs.

    Two AUROCs for telling kept (positive) from flipped labels: over all training samples,
    and within the classes that had labels flipped. An input-only score can still reach the
    first by finding the noisy classes; inside them it cannot tell which labels were flipped.
    """
    m = result.metrics
    within = _noisy_classes(result)
    kept, flipped = within & ~result.flipped, within & result.flipped
    rows = []
    for name, (label, reads) in FLIP_SCORES.items():
        overall = m.get(f"flip_auroc_{name}", math.nan)
        if math.isnan(overall):
            continue
        if name == "weighted_residual":
            score = -result.label_residual  # a large residual means a label that looks wrong
        else:
            score = flip_score(result, name)[0]
        inner = auroc(score[kept], score[flipped]) if kept.any() else math.nan
        rows.append({"score": label, "reads the training label?": "yes" if reads else "no",
                     "AUROC, all training samples": f"{overall:.3f}",
                     "AUROC within the classes with flips": fmt(inner)})
    return rows


CERTAINTY_FLAGS_AUROC = 0.8
"""From this AUROC on, UANLL's certainty is said to flag the flipped training labels."""


def certainty_flags(result: ClassificationResult) -> bool:
    """Whether UANLL's certainty flags this run's flipped labels (AUROC ≥ 0.8)."""
    auc = result.metrics.get("flip_auroc_certainty", math.nan)
    return not math.isnan(auc) and auc >= CERTAINTY_FLAGS_AUROC


def _certainty_sentence(result: ClassificationResult) -> str:
    """What UANLL's certainty does with this run's flipped labels, or "" for other losses."""
    auc = result.metrics.get("flip_auroc_certainty", math.nan)
    if math.isnan(auc):
        return ""
    if certainty_flags(result):
        return (f" UANLL's certainty flags them here (AUROC {auc:.3f} ≥ "
                f"{CERTAINTY_FLAGS_AUROC}): the network learned a larger σ on the very training "
                "images whose labels it could not fit.")
    return (f" UANLL's certainty does not flag them here (AUROC {auc:.3f}, below "
            f"{CERTAINTY_FLAGS_AUROC}); the preset “{CERTAINTY_FLAGS}” shows it doing so.")


def flip_notice(result: ClassificationResult, name: str) -> str:
    """The caption under the flipped-label histogram of score ``name``, with this run's numbers.

    Says whether the score reads the training label, where the flipped samples sit (from the
    medians of the two groups) and the score's AUROC; then the AUROCs of the other kind, and
    whether UANLL's certainty flags the flipped labels (AUROC ≥ 0.8) or which preset does.
    """
    score, _ = flip_score(result, name)
    label, reads = FLIP_SCORES[name]
    m = result.metrics
    short = label.split(":")[0]
    lower = float(np.median(score[result.flipped])) < float(np.median(score[~result.flipped]))
    where = ("sit further left" if lower else "do not sit further left")
    auc = m[f"flip_auroc_{name}"]
    facts = (f"flipped samples {where} (median {np.median(score[result.flipped]):.3f} against "
             f"{np.median(score[~result.flipped]):.3f} for kept labels); AUROC {auc:.3f} "
             "(0.5 = chance, 1 = perfect)")
    blind = ("the same value whichever label it carries: on a training image it can only "
             "reflect what the network learned from the label it trained on there (a larger σ "
             "where it could not fit it) or which classes are noisy, never the label itself")
    certainty = _certainty_sentence(result)
    if reads:
        input_only = [n for n in ("confidence", "certainty")
                      if not math.isnan(m.get(f"flip_auroc_{n}", math.nan))]
        others = " and ".join(f"{n} (AUROC {m[f'flip_auroc_{n}']:.3f})" for n in input_only)
        return (f"Notice: {short} reads the training label: {facts}. The input-only scores, "
                f"{others}, give an input {blind}.{certainty}")
    if name == "certainty":
        return (f"Notice: {short} does not read the training label: it gives an input {blind}. "
                f"Here {facts}.{certainty} p(given label), which reads the label: AUROC "
                f"{m['flip_auroc_given_label']:.3f}.")
    return (f"Notice: {short} does not read the training label: it gives an input {blind}. "
            f"Here {facts}. p(given label), which reads the label: AUROC "
            f"{m['flip_auroc_given_label']:.3f}.{certainty}")
