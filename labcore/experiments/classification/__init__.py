"""The Classification lab (S5–S8, S11): UANLL, label noise, test-time augmentation, rejection."""

from labcore.experiments.lab import Lab

LAB = Lab(
    "classification", "Classification", ":material/category:",
    "Label noise, a certainty head (UANLL), test-time augmentation, rejecting unsure cases.",
    "ClassificationConfig", "run_classification", scene="Classification lab's scene",
    headline='f"test accuracy {result.metrics[\'accuracy\']:.4f}"')

__all__ = ["LAB", "ClassificationConfig", "ClassificationResult", "run_classification"]
__getattr__ = LAB.exports(ClassificationResult="run")
