"""OOD scores of S sampled predictions: ensembles, MC dropout and UANLL certainty.

:mod:`labcore.ood` scores one network's (n, K) logits. Here the input is what
:meth:`labcore.models.classifier.TrainedClassifier.predict` returns — logits of S members or dropout
passes, shape (S, n, K), and UANLL's log-variance s, shape (S, n) — and every score follows the
same convention: higher means "more in-distribution".

Example (two members that disagree completely, hand-checkable):
    >>> p = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # (S=2, n=1, K=2)
    >>> float(neg_mutual_information(p)[0])  # −(H[½, ½] − mean(0, 0)) = −log 2
    -0.6931471805599453

References:
    Lakshminarayanan et al., "Simple and Scalable Predictive Uncertainty Estimation using Deep
    Ensembles", NeurIPS 2017.
    Gal & Ghahramani, "Dropout as a Bayesian Approximation", ICML 2016.
    Malinin & Gales, "Predictive Uncertainty Estimation via Prior Networks", NeurIPS 2018
    (mutual information as an OOD score).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from labcore.calibration.temperature import softmax
from labcore.checks import float_array
from labcore.ood import detection as ood
from labcore.uncertainty.decomposition import (
    certainty_from_log_var,
    confidence,
    entropy_decomposition,
    predictive_entropy,
)

ScoreName = Literal[
    "max_softmax", "max_logit", "neg_entropy", "neg_energy", "neg_mutual_info", "uanll_certainty"
]
SCORE_NAMES: tuple[ScoreName, ...] = (
    "max_softmax", "max_logit", "neg_entropy", "neg_energy", "neg_mutual_info", "uanll_certainty",
)
SCORE_LABELS: dict[str, str] = {
    "max_softmax": "max softmax probability",
    "max_logit": "max logit",
    "neg_entropy": "−entropy",
    "neg_energy": "−energy (logsumexp)",
    "neg_mutual_info": "−mutual information",
    "uanll_certainty": "UANLL certainty",
}


def neg_mutual_information(prob_samples: np.ndarray) -> np.ndarray:
    """Negative mutual information between the label and the model, −I[y; θ], in nats.

        I = H[(1/S) Σ_s p_s] − (1/S) Σ_s H[p_s]   (epistemic part of the predictive entropy)

    It is 0 when all S samples agree and at most log K; the score −I is highest (0) for inputs
    the members agree on.

    Args:
        prob_samples: (S, n, K) class probabilities of S members or dropout passes, S ≥ 2.

    Returns:
        (n,) scores in [−log K, 0].

    Raises:
        ValueError: fewer than two samples (one network has no disagreement to measure).
    """
    probs = np.asarray(prob_samples, dtype=float)
    if probs.ndim == 3 and probs.shape[0] < 2:
        raise ValueError(
            "Mutual information needs at least two ensemble members or dropout passes. "
            f"Got S = {probs.shape[0]}."
        )
    return -entropy_decomposition(probs)[2]


def uanll_certainty(log_var: np.ndarray) -> np.ndarray:
    """UANLL certainty 1/(1 + σ²) = sigmoid(−s), averaged over S samples when given (S, n).

    Args:
        log_var: (n,) or (S, n) predicted log-variances s.

    Returns:
        (n,) certainties in (0, 1).
    """
    s = np.asarray(log_var, dtype=float)
    if s.ndim not in (1, 2) or s.size == 0:
        raise ValueError(f"log_var must be a non-empty (n,) or (S, n) array. Got {s.shape}.")
    certainty = certainty_from_log_var(s)
    return certainty if s.ndim == 1 else certainty.mean(axis=0)


def ood_score(
    name: ScoreName,
    logits: np.ndarray,
    log_var: np.ndarray | None = None,
    temperature: float = 1.0,
) -> np.ndarray:
    """One OOD score of S sampled predictions (S = 1 for a single network).

    - ``max_softmax``: max_k p̄_k with p̄ = (1/S) Σ_s softmax(z_s/T), the predictive
      distribution;
    - ``neg_entropy``: Σ_k p̄_k log p̄_k;
    - ``max_logit`` and ``neg_energy``: the :mod:`labcore.ood` score of each sample's logits,
      averaged over the S samples;
    - ``neg_mutual_info``: :func:`neg_mutual_information` of the S softmax outputs (S ≥ 2);
    - ``uanll_certainty``: :func:`uanll_certainty` of ``log_var``.

    For S = 1 the first four equal :func:`labcore.ood.max_softmax`, ``neg_entropy``,
    ``max_logit`` and ``neg_energy`` of ``logits[0]``.

    Args:
        name: which score.
        logits: (S, n, K) logits.
        log_var: (S, n) UANLL log-variances; needed for ``uanll_certainty`` only.
        temperature: T > 0 applied to the softmax and the energy.

    Returns:
        (n,) scores, higher = more in-distribution.

    Raises:
        ValueError: an unknown score, logits not (S, n, K), or a score the model cannot give.
    """
    # Finiteness is checked by the score that reads the logits (UANLL certainty does not).
    z = float_array(logits, "logits", ndim=3, check_finite=False, layout="(S, n, K)")
    if name == "uanll_certainty":
        if log_var is None:
            raise ValueError("UANLL certainty needs a model trained with the UANLL loss. Got none.")
        return uanll_certainty(log_var)
    if name in ("max_softmax", "neg_entropy", "neg_mutual_info"):
        probs = softmax(z, temperature)
        if name == "neg_mutual_info":
            return neg_mutual_information(probs)
        mean = probs.mean(axis=0)
        return confidence(mean) if name == "max_softmax" else -predictive_entropy(mean)
    if name == "max_logit":
        return np.mean([ood.max_logit(member) for member in z], axis=0)
    if name == "neg_energy":
        return np.mean([ood.neg_energy(member, temperature) for member in z], axis=0)
    raise ValueError(f"Score must be one of {', '.join(SCORE_NAMES)}. Got {name!r}.")
