"""The OOD lab's "A/B · seeds" view (:mod:`labcore.whatif`): the shift sweep's headline numbers
and the lecture's comparisons.

The view compares shift sweeps (:func:`~.sweep.run_shift`): the page's form is
:class:`~.config.OODLabConfig`, and the sweep trains its :meth:`~.config.OODLabConfig.shift_config`.
A sweep measures every method switched on; the headline numbers are those of the **first
method in the page's list** (plain, temperature scaling, MC dropout, ensemble, UANLL, TTA, in
that order; the first row of the shift table, and the method the page's notice and gallery
read), averaged over the six corruptions. So "only the plain network" against "only the deep
ensemble" compares the two, and A and B always have the same numbers.
"""

from __future__ import annotations

from labcore.experiments.ood.config import OODLabConfig, ShiftConfig
from labcore.experiments.ood.cost import ADVICE, shift_parts
from labcore.experiments.ood.sweep import ShiftResult, run_shift
from labcore.whatif import Number, WhatIf

FIRST = "first method listed"


def headline(config: OODLabConfig, result: ShiftResult) -> tuple[Number, ...]:
    """The first method's accuracy, ECE and NLL at severity 5 (mean over the corruptions)
    and its fall in accuracy from the clean test set to severity 5."""
    accuracy, ece, nll = (result.curve(metric)[0] for metric in ("accuracy", "ece", "nll"))
    return (
        Number("accuracy_5", f"accuracy at severity 5 ({FIRST})", float(accuracy[-1]),
               "higher", 3),
        Number("ece_5", f"ECE at severity 5 ({FIRST})", float(ece[-1]), "lower", 3),
        Number("nll_5", f"NLL at severity 5 ({FIRST})", float(nll[-1]), "lower", 3, " nats"),
        Number("accuracy_drop", f"fall in accuracy from clean to severity 5 ({FIRST})",
               float(accuracy[0] - accuracy[-1]), "lower", 3),
    )


def shift_config(config: OODLabConfig) -> ShiftConfig:
    """What the shift sweep trains: the page's settings, its fields only."""
    return config.shift_config()


ONLY = {name: False for name in ("plain", "temperature", "mc_dropout", "ensemble", "uanll",
                                 "tta")}

WHATIF = WhatIf(
    run=run_shift,
    trained=shift_config,
    headline=headline,
    parts=shift_parts,
    advice=ADVICE + ", or fewer methods or views",
    comparisons={
        "S10 · One network vs a deep ensemble under shift": (
            OODLabConfig(**(ONLY | {"plain": True})),
            OODLabConfig(**(ONLY | {"ensemble": True}))),
    },
    figure="labcore.plots.whatif:ood_ab",
    caption="Notice how far each method's ECE climbs with the severity: accuracy falls for "
    "both, and the one whose confidence falls with it stays calibrated.",
)
