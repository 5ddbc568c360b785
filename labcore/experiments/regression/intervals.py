"""What the Regression page reports about its other intervals: the quantile network, CQR and
the constant-width conformal band side by side (issue #15), and the Gaussian-process reference
band (the Bayesian yardstick) beside the network's epistemic band.
"""

from __future__ import annotations

import math

import numpy as np

from labcore.experiments.regression.report import (
    CQR_PRESET,
    WIDER,
    band_summary,
    fmt,
    grid_regions,
)
from labcore.experiments.regression.run import RegressionResult

INTERVAL_METHODS = {
    "quantile": ("Quantile network", "pinball loss, the α/2 and 1 − α/2 quantiles; no guarantee"),
    "cqr": ("CQR", "the quantiles moved out by Q from the calibration scores; coverage ≥ 1 − α "
            "on average"),
    "constant": ("Constant-width conformal", "μ ± q, q from |y − μ| on the same calibration "
                 "points; coverage ≥ 1 − α on average, one width everywhere"),
    "gaussian": ("Gaussian μ ± z·σ", "the Gaussian model's central interval; exact only if "
                 "its σ is right"),
    "truth": ("True interval", "f(x) ± z·σ(x), the best interval at this level"),
}


def interval_rows(result: RegressionResult) -> list[dict[str, str]]:
    """The interval table: method, test coverage, mean width, width ratio edge/centre, meaning.

    Coverage and width are on the 1,000 held-out test points; the ratio is the mean width for
    the outer quarter of each half of the data range over the inner quarter (1 = constant).
    """
    q = result.quantile
    rows = []
    for key, (coverage, width, ratio) in q.rows.items():
        name, meaning = INTERVAL_METHODS[key]
        rows.append({
            "method": name,
            "coverage": "—" if math.isnan(coverage) else f"{coverage:.1%}",
            "mean width": "—" if math.isnan(width) else f"{width:.3g}",
            "width edge / centre": f"{ratio:.2f}",
            "meaning": meaning,
        })
    return rows


ADAPTS = 1.5
"""An interval "follows the noise" when it is at least this many times as wide at the edges of
the data as at the centre (and the true interval is too)."""


def interval_notice(result: RegressionResult) -> str:
    """The caption of the interval table: coverage and adaptivity, read from the numbers."""
    q = result.quantile
    level = f"{q.level:.0%}"
    cqr_cov, cqr_width, cqr_ratio = q.rows["cqr"]
    con_cov, con_width, _ = q.rows["constant"]
    coverage = (f"on 1,000 held-out points CQR covers {cqr_cov:.1%} (mean width "
                f"{fmt(cqr_width)}) and the constant-width band {con_cov:.1%} (width "
                f"{fmt(con_width)}), both aiming for {level} (Q = {q.cqr_q:.3g} from "
                f"{q.n_calibration} calibration points).")
    true_ratio = q.rows.get("truth", (math.nan,) * 3)[2]
    cqr = f"CQR's interval is {cqr_ratio:.1f}× as wide at the edges of the data as at its centre"
    if math.isnan(true_ratio):
        shape = f"{cqr}; the constant-width band is 1.0× by construction."
    elif true_ratio < ADAPTS:
        shape = (f"The true noise is about the same everywhere here (true interval "
                 f"{true_ratio:.1f}× as wide at the edges), so one width is right too; the "
                 f"preset \"{CQR_PRESET}\" shows CQR adapting where a constant band cannot.")
    elif cqr_ratio >= ADAPTS:
        shape = (f"{cqr} ({true_ratio:.1f}× for the true interval): it follows σ(x), while "
                 "the constant-width band keeps one width everywhere (1.0×).")
    else:
        shape = (f"{cqr}, against {true_ratio:.1f}× for the true interval: the quantile "
                 f"network did not pick up σ(x) on these settings; the preset "
                 f"\"{CQR_PRESET}\" shows it.")
    return f"Notice: {coverage} {shape}"


def interval_table(result: RegressionResult) -> dict[str, list]:
    """The interval table as numbers, for the CSV download."""
    q = result.quantile
    return {
        "method": list(q.rows),
        "level": [q.level] * len(q.rows),
        "test_coverage": [v[0] for v in q.rows.values()],
        "mean_width": [v[1] for v in q.rows.values()],
        "width_ratio_edge_over_centre": [v[2] for v in q.rows.values()],
    }


def gp_notice(result: RegressionResult) -> str:
    """The caption of the GP reference: its noise σ and epistemic band beside the network's."""
    gp, b = result.gp, band_summary(result)
    inside, gap, beyond = grid_regions(result)
    g_in, g_out = float(np.mean(gp.std[inside])), float(np.mean(gp.std[beyond]))
    truth = "" if math.isnan(b["true_inside"]) else f", the true σ {fmt(b['true_inside'])}"
    noise = (f"the Gaussian process fitted one noise σ = {fmt(gp.noise_std)} for all x; the "
             f"network's aleatoric σ averages {fmt(b['aleatoric_inside'])} among the "
             f"points{truth}.")
    if g_out >= WIDER * g_in:
        band = "opens up beyond the data"
    else:
        band = "is not clearly wider beyond the data than among the points here"
    if gap.any():
        g_gap = float(np.mean(gp.std[gap]))
        band += (f" and {'opens up' if g_gap >= WIDER * g_in else 'is not clearly wider'} in "
                 f"the gap ({fmt(g_gap)})")
    network = ("" if result.member_means.shape[0] == 1 else
               f"; the network's: {fmt(b['epistemic_inside'])} and "
               f"{fmt(b['epistemic_beyond'])}")
    return (f"Notice: {noise} Its epistemic band (dashed) {band} — mean epistemic σ "
            f"{fmt(g_in)} among the points, {fmt(g_out)} beyond the data{network}.")
