"""Calibration metrics: classifiers (reliability, ECE, temperature) and regressors (coverage, CRPS).

Numpy in, numpy or float out. See :mod:`labcore.calibration.classification`,
:mod:`labcore.calibration.temperature` and :mod:`labcore.calibration.regression`.
"""

from labcore.calibration.calibrators import CALIBRATORS, fit_calibrator
from labcore.calibration.classification import (
    N_BINS,
    BinStrategy,
    ReliabilityBins,
    brier_score,
    classwise_ece,
    expected_calibration_error,
    maximum_calibration_error,
    nll,
    reliability_bins,
)
from labcore.calibration.comparison import shootout, size_curve
from labcore.calibration.conformal_sets import (
    conformal_quantile,
    coverage_curve,
    min_calibration_points,
    prediction_sets,
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
    "CALIBRATORS",
    "N_BINS",
    "BinStrategy",
    "Reduction",
    "ReliabilityBins",
    "brier_score",
    "central_interval",
    "classwise_ece",
    "conformal_interval",
    "conformal_quantile",
    "coverage_curve",
    "crps_gaussian",
    "expected_calibration_error",
    "fit_calibrator",
    "fit_temperature",
    "fit_temperature_ece",
    "interval_coverage",
    "log_softmax",
    "maximum_calibration_error",
    "min_calibration_points",
    "nll",
    "nll_at_temperatures",
    "normal_cdf",
    "normal_ppf",
    "prediction_sets",
    "probability_integral_transform",
    "regression_calibration_curve",
    "regression_nll",
    "reliability_bins",
    "shootout",
    "size_curve",
    "softmax",
    "split_conformal_quantile",
    "split_conformal_scaled",
]
