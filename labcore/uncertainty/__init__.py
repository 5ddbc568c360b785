"""Predictive uncertainty: aleatoric/epistemic decompositions, confidence and certainty, test-time
view aggregation and selective prediction. Numpy in, numpy out.

The decompositions live in :mod:`labcore.uncertainty.decomposition`, TTA aggregation in
:mod:`labcore.uncertainty.aggregation`, rejection curves in :mod:`labcore.uncertainty.selective`.
"""

from labcore.uncertainty.decomposition import (
    certainty_from_log_var,
    confidence,
    entropy_decomposition,
    predictive_entropy,
    variance_decomposition,
)

__all__ = [
    "certainty_from_log_var",
    "confidence",
    "entropy_decomposition",
    "predictive_entropy",
    "variance_decomposition",
]
