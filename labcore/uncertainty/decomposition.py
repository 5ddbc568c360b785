"""Split predictive uncertainty into its aleatoric and epistemic parts.

Every function takes numpy arrays of per-sample predictions — from MC dropout passes, ensemble
members or test-time-augmented views, stacked on a leading axis ``S`` — and returns numpy arrays.
Nothing here loops over samples in Python.

Two decompositions of the lecture:

* regression (Gaussian mixture): total variance = mean of variances (aleatoric) + variance of
  means (epistemic);
* classification (categorical mixture): total entropy H[mean p] = mean entropy (aleatoric) +
  mutual information (epistemic).

References:
    Kendall & Gal, "What Uncertainties Do We Need in Bayesian Deep Learning for Computer
    Vision?", NeurIPS 2017.
    Depeweg et al., "Decomposition of Uncertainty in Bayesian Deep Learning for Efficient and
    Risk-sensitive Learning", ICML 2018.
"""

from __future__ import annotations

import numpy as np

from labcore.checks import float_array

_PROB_TOLERANCE = 1e-6  # slack for float32 rounding when checking that values lie in [0, 1]


def _check_probabilities(probs: np.ndarray, name: str) -> np.ndarray:
    low, high = probs.min(), probs.max()
    if low < -_PROB_TOLERANCE or high > 1 + _PROB_TOLERANCE:
        raise ValueError(
            f"{name} must be probabilities in [0, 1]. Got values from {low:g} to {high:g}."
        )
    return np.clip(probs, 0.0, 1.0)


def _entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy in nats over the last axis, with 0·log 0 = 0."""
    positive = probs > 0
    logs = np.log(np.where(positive, probs, 1.0))
    return -np.sum(np.where(positive, probs * logs, 0.0), axis=-1)


def variance_decomposition(
    means: np.ndarray, variances: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the variance of a uniform mixture of Gaussians into aleatoric and epistemic parts.

    With S members each predicting N(μ_s, σ²_s) for every point,

        mean       = (1/S) Σ_s μ_s
        aleatoric  = (1/S) Σ_s σ²_s                  (noise the members agree is there)
        epistemic  = (1/S) Σ_s (μ_s − mean)²         (disagreement; population variance, ddof=0)

    and aleatoric + epistemic is exactly the variance of the mixture (law of total variance).

    Args:
        means: (S, n) predicted means, one row per MC pass or ensemble member.
        variances: (S, n) predicted variances σ², all ≥ 0.

    Returns:
        ``(mean, aleatoric_var, epistemic_var)``, each of shape (n,).

    Raises:
        ValueError: the shapes differ, are not 2-D, or a variance is negative.

    References:
        Kendall & Gal 2017; Lakshminarayanan et al., "Simple and Scalable Predictive
        Uncertainty Estimation using Deep Ensembles", NeurIPS 2017.
    """
    means = float_array(means, "means", ndim=2)
    variances = float_array(variances, "variances", ndim=2)
    if means.shape != variances.shape:
        raise ValueError(
            f"means and variances must have the same shape. Got {means.shape} and "
            f"{variances.shape}."
        )
    if variances.min() < 0:
        raise ValueError(f"variances must be ≥ 0. Got {variances.min():g}.")
    mean = means.mean(axis=0)
    aleatoric = variances.mean(axis=0)
    epistemic = means.var(axis=0)
    return mean, aleatoric, epistemic


def entropy_decomposition(
    prob_samples: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split predictive entropy into expected entropy and mutual information (nats).

    With S sampled class distributions p_s (MC passes, members or views) for each point,

        total      = H[(1/S) Σ_s p_s]                 (entropy of the averaged prediction)
        aleatoric  = (1/S) Σ_s H[p_s]                 (expected entropy)
        epistemic  = total − aleatoric ≥ 0            (mutual information I[y; θ])

    where H[p] = −Σ_k p_k log p_k and 0·log 0 = 0. Epistemic is clipped at 0 to remove
    negative rounding noise; by Jensen's inequality it is never negative in exact arithmetic.

    Args:
        prob_samples: (S, n, K) probabilities; each row over K should sum to 1.

    Returns:
        ``(total, aleatoric, epistemic)``, each of shape (n,).

    Raises:
        ValueError: not 3-D, or values outside [0, 1].

    References:
        Depeweg et al. 2018; Houlsby et al., "Bayesian Active Learning for Classification and
        Preference Learning" (BALD), 2011.
    """
    probs = float_array(prob_samples, "prob_samples", ndim=3)
    probs = _check_probabilities(probs, "prob_samples")
    total = _entropy(probs.mean(axis=0))
    aleatoric = _entropy(probs).mean(axis=0)
    epistemic = np.maximum(total - aleatoric, 0.0)
    return total, aleatoric, epistemic


def confidence(probs: np.ndarray) -> np.ndarray:
    """Confidence = the largest class probability, max_k p_k.

    Args:
        probs: (n, K) probabilities.

    Returns:
        (n,) confidences in [1/K, 1] when rows sum to 1.

    Raises:
        ValueError: not 2-D, or values outside [0, 1].
    """
    probs = _check_probabilities(float_array(probs, "probs", ndim=2), "probs")
    return probs.max(axis=-1)


def predictive_entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy of each predicted distribution, H[p] = −Σ_k p_k log p_k in nats (0·log 0 = 0).

    Args:
        probs: (n, K) probabilities.

    Returns:
        (n,) entropies in [0, log K].

    Raises:
        ValueError: not 2-D, or values outside [0, 1].
    """
    probs = _check_probabilities(float_array(probs, "probs", ndim=2), "probs")
    return _entropy(probs)


def certainty_from_log_var(log_var: np.ndarray) -> np.ndarray:
    """UANLL certainty 1/(1 + σ²) = 1/(1 + e^s) = sigmoid(−s), computed without overflow.

    Uses a = e^{−|s|} ∈ (0, 1]: certainty = a/(1 + a) for s ≥ 0 and 1/(1 + a) for s < 0.

    Args:
        log_var: predicted log-variances s, any shape.

    Returns:
        Certainties in [0, 1], same shape as ``log_var`` (in (0, 1) unless |s| is huge).

    Raises:
        ValueError: ``log_var`` contains NaN.
    """
    s = np.asarray(log_var, dtype=float)
    if np.isnan(s).any():
        raise ValueError("log_var must not contain NaN. Got NaN.")
    a = np.exp(-np.abs(s))
    return np.where(s >= 0, a / (1.0 + a), 1.0 / (1.0 + a))
