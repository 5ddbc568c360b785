"""The Home page's settings (scene S1): which distribution, how many draws, which truth."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from labcore import fields
from labcore.config import Config, param

Distribution = Literal["gaussian", "laplace", "bernoulli", "categorical"]


@dataclasses.dataclass(frozen=True)
class MLEConfig(Config):
    """What the student chooses in scene S1; the same config always gives the same sample."""

    distribution: Distribution = param(
        "gaussian", label="Distribution", group="Data",
        help="The assumed shape of p(y | θ). Its negative log-likelihood becomes the loss.",
        choices={"gaussian": "Gaussian → MSE", "laplace": "Laplace → MAE (L1)",
                 "bernoulli": "Bernoulli → BCE",
                 "categorical": "Categorical, 3 classes → cross-entropy"},
    )
    n_samples: int = param(20, label="Sample size", group="Data", min=1, max=200,
                           help="How many observations are drawn.")
    true_mu: float = param(
        1.0, label="True μ", group="Data", min=-5.0, max=5.0, step=0.1,
        help="Centre of the distribution the data are drawn from (Gaussian and Laplace).")
    true_p: float = param(
        0.3, label="True λ or p₀", group="Data", min=0.01, max=0.99, step=0.01,
        help="Probability of y = 1 (Bernoulli) or of class 0 (categorical) in the data.")
    scale: float = param(
        1.0, label="Scale σ or b", group="Data", min=0.1, max=5.0, step=0.1,
        help="Known spread: σ for the Gaussian, b for the Laplace. Only the centre is fitted.")
    seed: int = fields.seed(max=2**31 - 1, group="Data", help="Same seed, same sample.")

    @classmethod
    def inactive_fields(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """Gaussian and Laplace use μ and a scale; Bernoulli and categorical use a probability."""
        if values.get("distribution") in ("gaussian", "laplace"):
            return frozenset({"true_p"})
        return frozenset({"true_mu", "scale"})

    @property
    def is_location(self) -> bool:
        """True when θ is a centre μ in units of y (Gaussian, Laplace)."""
        return self.distribution in ("gaussian", "laplace")

    @property
    def true_param(self) -> float:
        """The value of θ the data are drawn with: ``true_mu`` or ``true_p``."""
        return self.true_mu if self.is_location else self.true_p
