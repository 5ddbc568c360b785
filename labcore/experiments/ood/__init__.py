"""The OOD lab (S10, S4): distribution shift, OOD detection, fooling images, 2-D maps."""

from labcore.experiments.lab import Lab

LAB = Lab(
    "ood", "Out of distribution", ":material/explore_off:",
    "Inputs unlike the training data: accuracy falls, but does the confidence fall too?",
    "OODConfig", "run_ood", scene="OOD lab's detection scene",
    headline='"best detector of held-out digits: {} (AUROC {:.4f})".format('
    '*best_detector(result, \'held_out\'))', uses=("labcore.experiments.ood.report:best_detector",))

__all__ = ["LAB", "OODConfig", "OODResult", "ShiftConfig", "ShiftResult", "run_ood", "run_shift"]
__getattr__ = LAB.exports(OODResult="run", ShiftConfig="config", ShiftResult="sweep",
                          run_shift="sweep")
