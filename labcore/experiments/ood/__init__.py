"""The OOD lab (S10, S4): distribution shift, OOD detection, fooling images, 2-D maps."""

from labcore.experiments.lab import Lab, lazy_exports

LAB = Lab(
    key="ood", title="Out of distribution", icon=":material/explore_off:",
    blurb="Inputs unlike the training data: accuracy falls, but does the confidence fall too?",
    config="labcore.experiments.ood.config:OODConfig", run="labcore.experiments.ood.run:run_ood",
    presets="labcore.experiments.ood.report:PRESETS",
    scene="OOD lab's detection scene",
    headline='"best detector of held-out digits: {} (AUROC {:.4f})".format('
    '*best_detector(result, \'held_out\'))',
    uses=("labcore.experiments.ood.report:best_detector",),
)

__all__ = ["LAB", "ShiftConfig", "ShiftResult", "run_shift"]
__getattr__ = lazy_exports(__name__, {
    "ShiftConfig": "labcore.experiments.ood.config",
    "ShiftResult": "labcore.experiments.ood.sweep",
    "run_shift": "labcore.experiments.ood.sweep",
})
