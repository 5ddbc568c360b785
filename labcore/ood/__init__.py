"""Out-of-distribution detection: scores (higher = more in-distribution) and detection metrics,
with in-distribution as the positive class.

Metrics and logit scores live in :mod:`labcore.ood.detection`; scores of sampled predictions
(ensembles, MC dropout, UANLL certainty) in :mod:`labcore.ood.scores`.
"""

from labcore.ood.detection import (
    aupr,
    auroc,
    fpr_at_tpr,
    max_logit,
    max_softmax,
    neg_energy,
    neg_entropy,
    roc_curve,
    threshold_at_tpr,
)

__all__ = [
    "aupr",
    "auroc",
    "fpr_at_tpr",
    "max_logit",
    "max_softmax",
    "neg_energy",
    "neg_entropy",
    "roc_curve",
    "threshold_at_tpr",
]
