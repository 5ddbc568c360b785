"""The Calibration lab (S9): label smoothing vs temperature scaling, reliability, ECE."""

from labcore.experiments.lab import Lab, lazy_exports

LAB = Lab(
    key="calibration", title="Calibration", icon=":material/tune:",
    blurb="Do 80 %-confident predictions come true 80 % of the time? Reliability diagrams, "
    "ECE.",
    config="labcore.experiments.calibration:CalibrationConfig",
    run="labcore.experiments.calibration:run_calibration",
    presets="labcore.experiments.calibration.report:PRESETS",
    scene="Calibration lab's scene",
    headline='f"plain CE test ECE {rescore(result, \'plain\', 1.0, config.n_bins, '
    'config.strategy).ece:.4f} -> {rescore(result, \'plain\', result.plain.temperature, '
    'config.n_bins, config.strategy).ece:.4f} after temperature scaling '
    '(T = {result.plain.temperature:.4f})"',
    uses=("labcore.experiments.calibration.run:rescore",),
)

__all__ = ["LAB", "CalibrationConfig", "CalibrationRun", "run_calibration"]
__getattr__ = lazy_exports(__name__, {
    "CalibrationConfig": "labcore.experiments.calibration.config",
    "CalibrationRun": "labcore.experiments.calibration.run",
    "run_calibration": "labcore.experiments.calibration.run",
})
