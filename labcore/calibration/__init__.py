"""Calibration metrics: classifiers (reliability, ECE, temperature) and regressors (coverage, CRPS).

Numpy in, numpy or float out. See :mod:`labcore.calibration.classification`,
:mod:`labcore.calibration.temperature` and :mod:`labcore.calibration.regression`.
"""

from labcore.calibration.classification import (
    BinStrategy,
    ReliabilityBins,
    brier_score,
    classwise_ece,
    expected_calibration_error,
    maximum_calibration_error,
    nll,
    reliability_bins,
)
from labcore.calibration.regression import (
    Reduction,
    central_interval,
    conformal_interval,
    crps_gaussian,
    interval_coverage,
    normal_cdf,
    normal_ppf,
    probability_integral_transform,
    regression_calibration_curve,
    regression_nll,
    split_conformal_quantile,
    split_conformal_scaled,
)
from labcore.calibration.temperature import (
    fit_temperature,
    fit_temperature_ece,
    log_softmax,
    nll_at_temperatures,
    softmax,
)

__all__ = [
    "BinStrategy",
    "Reduction",
    "ReliabilityBins",
    "brier_score",
    "central_interval",
    "classwise_ece",
    "conformal_interval",
    "crps_gaussian",
    "expected_calibration_error",
    "fit_temperature",
    "fit_temperature_ece",
    "interval_coverage",
    "log_softmax",
    "maximum_calibration_error",
    "nll",
    "nll_at_temperatures",
    "normal_cdf",
    "normal_ppf",
    "probability_integral_transform",
    "regression_calibration_curve",
    "regression_nll",
    "reliability_bins",
    "softmax",
    "split_conformal_quantile",
    "split_conformal_scaled",
]
