"""The Regression lab (scenes S2–S4, S12): predictive bands, aleatoric vs epistemic uncertainty."""

from labcore.experiments.lab import Lab

LAB = Lab(
    "regression", "Regression", ":material/show_chart:",
    "MSE vs Gaussian NLL, aleatoric vs epistemic uncertainty, MC dropout and ensembles.",
    "RegressionConfig", "run_regression", scene="Regression lab's scene",
    headline='f"test NLL {result.metrics[\'nll\']:.4f} nats, '
    '95 % interval coverage {result.metrics[\'coverage_95\']:.4f}"')

__all__ = ["LAB", "RegressionConfig", "RegressionResult", "run_regression"]
__getattr__ = LAB.exports(RegressionResult="run")
