"""The Calibration lab (S9): label smoothing vs temperature scaling, reliability, ECE."""

from labcore.experiments.calibration.run import CalibrationConfig, CalibrationRun, run_calibration

__all__ = ["CalibrationConfig", "CalibrationRun", "run_calibration"]
