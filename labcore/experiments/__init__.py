"""One package per lab, each of the same shape (see :mod:`labcore.experiments.lab`): its
config, its run function, its report (the numbers and sentences the page shows), its live
runner and sweeps where it has them. ``run_<lab>(config, progress)`` returns a frozen result.

:data:`LABS` is every lab's descriptor, in the order of the navigation; importing it loads no
engine (each descriptor loads its config and run function on first use).
"""

from labcore.experiments import calibration, classification, home, ood, regression
from labcore.experiments.lab import Lab

LABS: tuple[Lab, ...] = (home.LAB, regression.LAB, classification.LAB, calibration.LAB, ood.LAB)
"""Home first, then the labs in teaching order."""
LAB_BY_KEY: dict[str, Lab] = {lab.key: lab for lab in LABS}
