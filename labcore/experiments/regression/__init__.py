"""The Regression lab (scenes S2–S4, S12): predictive bands, aleatoric vs epistemic uncertainty."""

from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import RegressionResult, run_regression

__all__ = ["RegressionConfig", "RegressionResult", "run_regression"]
