"""The Home page's "A/B · seeds" view (:mod:`labcore.whatif`): its headline numbers and the
lecture's comparison.

The model is one number θ fitted by maximum likelihood (:func:`~.run.run_mle`, instant). The
headline numbers are the estimate, its error against the θ the sample was drawn with, and the
mean NLL at the best θ. That NLL has no better direction: it is the sample's own fit, lower
for a small sample that happens to bunch up, so a lower value does not mean a better estimate
(the error says that).
"""

from __future__ import annotations

import numpy as np

from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import MLEResult, run_mle
from labcore.whatif import Number, WhatIf

ADVICE = "draw fewer samples"


def headline(config: MLEConfig, result: MLEResult) -> tuple[Number, ...]:
    """The maximum-likelihood θ, its distance to the true θ and the lowest mean NLL."""
    return (
        Number("estimate", "maximum-likelihood estimate of θ", result.closed_form, None, 3),
        Number("error", "error |estimate − true θ|",
               abs(result.closed_form - result.true_param), "lower", 3),
        Number("nll", "mean NLL at the best θ (the curve's minimum)",
               float(np.min(result.mean_nll)), None, 3, " nats"),
    )


def parts(config: MLEConfig) -> list:
    """Nothing to train: drawing a sample and a curve of θ takes milliseconds."""
    return []


WHATIF = WhatIf(
    run=run_mle,
    trained=lambda config: config,
    headline=headline,
    parts=parts,
    advice=ADVICE,
    comparisons={
        # Seeds 0–4: error 0.11–1.99 lower with 200 draws; B has the lower error on 19 of
        # seeds 0–19. (With 5 draws against 200 seed 4 lands closer with 5, by luck.)
        "S1 · 1 draw vs 200 (Gaussian)": (MLEConfig(n_samples=1), MLEConfig(n_samples=200)),
    },
    figure="labcore.plots.whatif:home_ab",
    caption="Notice where each NLL curve has its minimum, the estimate, and how far it lies "
    "from the true θ: more draws bring it closer on most seeds, not on every one.",
)
