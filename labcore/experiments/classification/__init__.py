"""The Classification lab (S5–S8, S11): UANLL, label noise, test-time augmentation, rejection."""

from labcore.experiments.lab import Lab, lazy_exports

LAB = Lab(
    key="classification", title="Classification", icon=":material/category:",
    blurb="Label noise, a certainty head (UANLL), test-time augmentation, rejecting unsure "
    "cases.",
    config="labcore.experiments.classification:ClassificationConfig",
    run="labcore.experiments.classification:run_classification",
    presets="labcore.experiments.classification.report:PRESETS",
    scene="Classification lab's scene",
    headline='f"test accuracy {result.metrics[\'accuracy\']:.4f}"',
)

__all__ = ["LAB", "ClassificationConfig", "ClassificationResult", "run_classification"]
__getattr__ = lazy_exports(__name__, {
    "ClassificationConfig": "labcore.experiments.classification.config",
    "ClassificationResult": "labcore.experiments.classification.run",
    "run_classification": "labcore.experiments.classification.run",
})
