"""The Classification lab (S5–S8, S11): UANLL, label noise, test-time augmentation, rejection."""

from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import ClassificationResult, run_classification

__all__ = ["ClassificationConfig", "ClassificationResult", "run_classification"]
