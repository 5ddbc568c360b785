"""The Regression lab (scenes S2–S4, S12): predictive bands, aleatoric vs epistemic uncertainty."""

from labcore.experiments.lab import Lab, lazy_exports

LAB = Lab(
    key="regression", title="Regression", icon=":material/show_chart:",
    blurb="MSE vs Gaussian NLL, aleatoric vs epistemic uncertainty, MC dropout and ensembles.",
    config="labcore.experiments.regression:RegressionConfig",
    run="labcore.experiments.regression:run_regression",
    presets="labcore.experiments.regression.report:PRESETS",
    scene="Regression lab's scene",
    headline='f"test NLL {result.metrics[\'nll\']:.4f} nats, '
    '95 % interval coverage {result.metrics[\'coverage_95\']:.4f}"',
)

__all__ = ["LAB", "RegressionConfig", "RegressionResult", "run_regression"]
__getattr__ = lazy_exports(__name__, {
    "RegressionConfig": "labcore.experiments.regression.config",
    "RegressionResult": "labcore.experiments.regression.run",
    "run_regression": "labcore.experiments.regression.run",
})
