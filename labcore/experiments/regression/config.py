"""The settings of the Regression lab: one frozen config whose fields carry their limits."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from labcore import fields
from labcore.budget import check_computation
from labcore.calibration.conformal_sets import min_calibration_points
from labcore.config import Config, param
from labcore.experiments.regression import cost
from labcore.experiments.regression.gp import GP_MAX_POINTS
from labcore.experiments.regression.regions import check_edits, n_region_points, parse_drops


@dataclasses.dataclass(frozen=True)
class RegressionConfig(Config):
    """Everything that defines one Regression-lab experiment."""

    function: Literal["cubic", "sine", "linear", "step"] = param(
        "cubic", label="True function", group="Data",
        help="The curve the data comes from. Cubic is the example of Lakshminarayanan et al. 2017.",
        choices={"cubic": "Cubic  y = x³", "sine": "Sine  y = 2 sin(1.5x)",
                 "linear": "Linear  y = 0.8x + 1", "step": "Step  y = ±1.5"},
    )
    noise_shape: Literal["constant", "growing", "bump"] = param(
        "constant", label="Noise shape σ(x)", group="Data",
        help="How the true noise varies with x: the same everywhere (homoscedastic) or not.",
        choices={"constant": "Constant", "growing": "Growing with |x|",
                 "bump": "A bump near x = 1.5"},
    )
    noise_scale: float = param(
        1.0, label="Noise level", group="Data", min=0.1, max=3.0, step=0.1,
        help="Multiplies the function's natural noise σ0 (cubic: σ0 = 3, sine and step: 0.3).",
    )
    n_points: int = param(
        20, label="Training points", group="Data", min=5, max=2000, step=5,
        help="How many (x, y) pairs the model trains on, drawn uniformly on [−4, 4].",
    )
    gap_width: float = param(
        0.0, label="Gap width", group="Data", min=0.0, max=4.0, step=0.5,
        help="An interval around x = 0 with no training data (0 = no gap).",
    )
    x_noise: float = param(
        0.0, label="Noise on inputs x", group="Data", min=0.0, max=1.0, step=0.05,
        help="Standard deviation of noise added to the inputs the model sees (errors in x).",
    )
    loss: Literal["mse", "gaussian_nll", "beta_nll"] = param(
        "gaussian_nll", label="Loss", group="Model",
        help="MSE learns only the mean (one σ from held-out residuals); Gaussian NLL also "
        "learns σ(x); β-NLL reweights NLL so the mean is not neglected where σ is large.",
        choices={"mse": "MSE (homoscedastic)", "gaussian_nll": "Gaussian NLL (heteroscedastic)",
                 "beta_nll": "β-NLL (heteroscedastic)"},
    )
    beta: float = param(
        0.5, label="β (β-NLL only)", group="Model", min=0.0, max=1.0, step=0.1,
        help="0 is the plain Gaussian NLL; 1 gives the mean the same gradient as MSE.",
    )
    method: Literal["none", "mc_dropout", "ensemble"] = fields.epistemic_method(
        "ensemble", ("none", "mc_dropout", "ensemble"))
    members: int = fields.ensemble_members()
    dropout: float = fields.dropout_rate(0.1)
    mc_samples: int = fields.mc_samples(50, max=200)
    hidden: int = fields.hidden_units(64, min=8, max=256, step=8)
    n_layers: int = fields.hidden_layers(2)
    steps: int = fields.training_steps(
        500, min=100, max=5000, step=100,
        help="Adam steps (full batch unless a batch size is set).")
    lr: float = fields.learning_rate(
        0.01, max=1.0,
        help="Adam's largest step size: it falls along half a cosine to nearly 0 at the last "
        "step, so training ends settled. Too high and training diverges; the page then says so.")
    batch_size: int = fields.batch_size(0, max=1000, step=10)
    early_stopping: bool = param(
        False, label="Early stopping", group="Training",
        help="Keep each network's weights from its best validation loss; stop when it stalls.",
    )
    add_where: Literal["nowhere", "gap", "everywhere"] = param(
        "nowhere", label="Add points", group="Add data",
        help="Add extra training points inside the gap or across the whole range (scene S3).",
        choices={"nowhere": "Nowhere", "gap": "Inside the gap", "everywhere": "Everywhere"},
    )
    add_n: int = param(
        50, label="Points to add", group="Add data", min=0, max=1000, step=10,
        help="How many extra points to add.",
    )
    add_regions: str = param(
        "", label="Added regions (from:to:points)", group="Add data",
        help="Points added by dragging across the chart, as from:to:points separated by commas "
        "(e.g. -3.5:-2:20,1:2.5:20): each draws that many points from the true process with x "
        "in [from, to].",
    )
    drop_points: str = param(
        "", label="Dropped points", group="Add data",
        help="Generated training points left out (clicked on the chart), by index from the "
        "left (0 is the leftmost), separated by commas.",
    )
    quantile_band: bool = param(
        False, label="Quantile regression + CQR", group="Intervals",
        help="Also train a network with the pinball loss to predict two quantiles of y, and "
        "widen its interval by conformal calibration (CQR, Romano et al. 2019).",
    )
    interval_level: float = param(
        0.9, label="Interval level 1 − α", group="Intervals", min=0.5, max=0.99, step=0.01,
        help="The coverage the quantile, CQR and constant-width conformal intervals aim for "
        "(0.9: the 5 % and 95 % quantiles).",
    )
    gp_reference: bool = param(
        False, label="Gaussian-process reference", group="Intervals",
        help="Fit a Gaussian process (RBF + white noise, scikit-learn) on the same points and "
        "draw its epistemic band dashed: the Bayesian yardstick.",
    )
    seed: int = fields.seed()

    @classmethod
    def inactive_fields(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """β only for β-NLL, members only for ensembles, dropout and T only for MC dropout,
        the number of added points only when points are added."""
        method = values.get("method")
        inactive = set()
        if values.get("loss") != "beta_nll":
            inactive.add("beta")
        if method != "ensemble":
            inactive.add("members")
        if method != "mc_dropout":
            inactive.update(("dropout", "mc_samples"))
        if values.get("add_where") == "nowhere":
            inactive.add("add_n")
        if not values.get("quantile_band"):
            inactive.add("interval_level")
        return frozenset(inactive)

    def check(self) -> None:
        super().check()
        check_edits(self.add_regions, self.drop_points, self.n_points)
        check_computation(cost.run_parts(self), cost.ADVICE)  # the run as a whole
        if self.add_where == "gap" and self.gap_width == 0:
            raise ValueError(
                "Adding points inside the gap needs a gap: set Gap width above 0 or add points "
                f"everywhere. Got gap_width = {self.gap_width}."
            )
        if self.quantile_band:
            alpha = 1 - self.interval_level
            need = min_calibration_points(alpha)
            if self.n_calibration < need:
                raise ValueError(
                    f"CQR at the {self.interval_level:.0%} level needs at least {need} "
                    f"calibration points, and {self.n_points} training points give "
                    f"{self.n_calibration} (half as many, at least 20): lower the interval "
                    f"level or use more points. Got interval_level = {self.interval_level:g}."
                )
        n_fit = self.n_train
        if self.gp_reference and n_fit > GP_MAX_POINTS:
            raise ValueError(
                f"The Gaussian-process reference fits at most {GP_MAX_POINTS:,} training points "
                f"(its cost grows as n³): use fewer points or switch it off. Got {n_fit:,}."
            )

    @property
    def n_train(self) -> int:
        """Training points: generated, minus the dropped ones, plus every added point."""
        added = self.add_n if self.add_where != "nowhere" else 0
        return (self.n_points - len(parse_drops(self.drop_points)) + added
                + n_region_points(self.add_regions))

    @property
    def n_calibration(self) -> int:
        """Points in the separate calibration draw of generated data: max(20, n_points // 2)."""
        return max(20, self.n_points // 2)

    @property
    def gap(self) -> tuple[float, float] | None:
        """The interval with no training data, or None."""
        return (-self.gap_width / 2, self.gap_width / 2) if self.gap_width > 0 else None

    @property
    def heteroscedastic(self) -> bool:
        """Whether the network predicts σ(x) itself."""
        return self.loss != "mse"
