"""The "Notice: …" captions of the decision maps and the noise sweep, built from the numbers.

Each caption states what the run measured and says plainly when the numbers do not show the
pattern the figure is meant to teach (then it names the preset that does). Re-exported by
:mod:`labcore.experiments.classification.report`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import ClassificationResult, DecisionMap
from labcore.experiments.classification.sweep import (
    SWEEP_LOSSES,
    SWEEP_RATES,
    SWEEP_RUNS,
    NoiseSweepResult,
    sweep_config,
)
from labcore.models.classifier import LOSS_LABELS

MAP_PRESET = "S5 · UANLL on two moons, with an ensemble (decision map)"
"""The preset whose entropy maps show the aleatoric / epistemic split."""
SPIRALS_PRESET = ("S5 · Three spirals, MC dropout, symmetric noise (σ and mutual-information "
                  "maps)")
"""The preset whose confidence and σ maps show their lessons."""
FAR_SHARE = 0.1
""""Far from the data" is the tenth of the map's cells farthest from every training point."""
HIGH_CONFIDENCE = 0.9
"""Mean confidence from which the far cells count as "still sure"."""
CLEAR_RATIO = 1.2
"""One region's mean counts as larger than another's when it is at least 1.2 times as large."""
SWEEP_MARGIN = 0.01
"""Best validation accuracies within one point of each other count as equal."""
LOSS_MARGIN = 1e-3
"""Validation-loss rises within this of each other count as equal."""
UANLL_LEAD = 0.01
"""UANLL "holds up better" than cross-entropy when its clean-test accuracy at the sweep's
highest noise rate is at least one point above cross-entropy's (and cross-entropy "holds up
better" when it is one point ahead); closer than that, neither is said to. At the default
(digits, 40 % asymmetric noise, mean of 3 runs) UANLL led by 2.4 to 10.8 points on seeds
0–9; with the 4 runs the sweep now makes, by 3.7 to 14.2 points on seeds 0–4 (on a second
machine, see :data:`~labcore.experiments.classification.sweep.SWEEP_RUNS`)."""


@dataclasses.dataclass(frozen=True)
class MapRegions:
    """Masks over a decision map's (G, G) cells.

    Attributes:
        boundary: cells whose predicted class differs from a neighbour's (4-neighbourhood).
        far: the :data:`FAR_SHARE` of cells farthest from every training point.
    """

    boundary: np.ndarray
    far: np.ndarray


def nearest_distance(points: np.ndarray, data: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Euclidean distance from each of ``points`` (m, 2) to its nearest row of ``data`` (n, 2).

    >>> nearest_distance(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 1.0]])).tolist()
    [1.0, 4.242640687119285]
    """
    out = np.empty(points.shape[0])
    for start in range(0, points.shape[0], chunk):
        diff = points[start:start + chunk, None, :] - data[None, :, :]
        out[start:start + chunk] = np.sqrt((diff**2).sum(axis=2).min(axis=1))
    return out


def map_regions(dmap: DecisionMap, x_train: np.ndarray) -> MapRegions:
    """The boundary cells and the far cells of a decision map (see :class:`MapRegions`).

    >>> dm = DecisionMap(np.arange(3.0), np.arange(2.0), np.array([[0, 0, 1], [0, 0, 1]]),
    ...                  np.ones((2, 3)), None, None, None)
    >>> map_regions(dm, np.zeros((1, 2))).boundary.astype(int).tolist()
    [[0, 1, 1], [0, 1, 1]]
    """
    classes = dmap.classes
    boundary = np.zeros(classes.shape, dtype=bool)
    across = classes[:, 1:] != classes[:, :-1]
    boundary[:, 1:] |= across
    boundary[:, :-1] |= across
    down = classes[1:] != classes[:-1]
    boundary[1:] |= down
    boundary[:-1] |= down
    g1, g2 = np.meshgrid(dmap.x1, dmap.x2)
    dist = nearest_distance(np.stack([g1.ravel(), g2.ravel()], axis=1), x_train)
    cut = np.quantile(dist, 1.0 - FAR_SHARE)
    return MapRegions(boundary=boundary, far=(dist >= cut).reshape(classes.shape))


def _map(result: ClassificationResult) -> DecisionMap:
    if result.decision_map is None:
        raise ValueError("A decision map needs a 2-D dataset. Got digits.")
    return result.decision_map


def confidence_map_notice(result: ClassificationResult) -> str:
    """The confidence map's caption: mean confidence on the boundary and far from the data.

    The lesson — confidence falls to 1/K on the boundary yet stays high where the model has
    never seen a point — is stated only when the far cells' mean confidence is at least
    :data:`HIGH_CONFIDENCE` and :data:`CLEAR_RATIO` times the boundary's.
    """
    dmap = _map(result)
    regions = map_regions(dmap, result.x_train)
    chance = 1.0 / result.n_classes
    far = float(dmap.confidence[regions.far].mean())
    if not regions.boundary.any():
        return (f"Notice: the model predicts one class over the whole map (no boundary); mean "
                f"confidence far from the data is {far:.2f}. Train longer, or try the preset "
                f"“{SPIRALS_PRESET}”.")
    edge = float(dmap.confidence[regions.boundary].mean())
    numbers = (f"mean confidence is {edge:.2f} on the decision boundary (1/K = {chance:.2f}) and "
               f"{far:.2f} in the tenth of the map farthest from any training point")
    if far >= HIGH_CONFIDENCE and far >= CLEAR_RATIO * edge:
        return (f"Notice: {numbers}: unsure where the classes meet, yet sure where it has "
                "never seen a point — confidence does not tell a new input from a familiar one.")
    if far >= CLEAR_RATIO * edge:
        return (f"Notice: {numbers}: higher away from the boundary, though here not near 1 far "
                "from the data.")
    return (f"Notice: {numbers}: here the model is not surer far from the data than on the "
            f"boundary; the preset “{SPIRALS_PRESET}” shows the usual overconfidence.")


def sigma_map_notice(result: ClassificationResult) -> str:
    """The σ map's caption: mean σ on the boundary vs elsewhere, at flipped vs kept points.

    σ at the training points is read on view 0 (``result.train.sigma``).
    """
    dmap = _map(result)
    if dmap.sigma is None or result.train.sigma is None:
        raise ValueError("The σ map needs the UANLL loss. Got "
                         f"{result.loss!r}.")
    regions = map_regions(dmap, result.x_train)
    parts, shows = [], []
    if regions.boundary.any() and (~regions.boundary).any():
        on = float(dmap.sigma[regions.boundary].mean())
        off = float(dmap.sigma[~regions.boundary].mean())
        parts.append(f"σ averages {on:.3f} on the decision boundary and {off:.3f} elsewhere")
        shows.append(on >= CLEAR_RATIO * off)
    flipped = result.flipped
    if flipped.any() and (~flipped).any():
        f_sigma = float(result.train.sigma[flipped].mean())
        k_sigma = float(result.train.sigma[~flipped].mean())
        parts.append(f"{f_sigma:.3f} at the training points whose label was flipped (✕) and "
                     f"{k_sigma:.3f} at the kept ones")
        shows.append(f_sigma >= CLEAR_RATIO * k_sigma)
    if not parts:
        return "Notice: no boundary and no flipped label on this map to compare σ with."
    text = "Notice: " + "; ".join(parts)
    if all(shows):
        return text + ": UANLL expects a larger error where classes meet and labels are wrong."
    if any(shows):
        which = "where classes meet" if shows[0] else "at the flipped labels"
        return (text + f": σ is clearly larger only {which}; σ reads the input alone, so a "
                "flipped label inside its class's region need not raise it.")
    return (text + f": here σ is not clearly larger at either; the preset “{SPIRALS_PRESET}” "
            "shows it.")


def entropy_maps_notice(result: ClassificationResult) -> str:
    """The entropy maps' caption: aleatoric on the boundary, epistemic far from the data."""
    dmap = _map(result)
    if dmap.aleatoric is None or dmap.epistemic is None:
        raise ValueError("The entropy maps need an ensemble or MC dropout. Got "
                         f"{result.method!r}.")
    regions = map_regions(dmap, result.x_train)
    far_mi = float(dmap.epistemic[regions.far].mean())
    near_mi = float(dmap.epistemic[~regions.far].mean())
    text = (f"Notice (each map has its own colour range): mutual information (epistemic) "
            f"averages {far_mi:.3f} nats in the tenth of the map farthest from the data and "
            f"{near_mi:.3f} elsewhere")
    epistemic_far = far_mi >= CLEAR_RATIO * near_mi
    aleatoric_edge = None
    if regions.boundary.any() and (~regions.boundary).any():
        on = float(dmap.aleatoric[regions.boundary].mean())
        off = float(dmap.aleatoric[~regions.boundary].mean())
        text += (f"; expected entropy (aleatoric) averages {on:.3f} nats on the boundary and "
                 f"{off:.3f} elsewhere")
        aleatoric_edge = on >= CLEAR_RATIO * off
    if epistemic_far and aleatoric_edge is not False:
        said = ["epistemic grows away from the data, where members disagree"]
        if aleatoric_edge:
            said.insert(0, "aleatoric sits where the classes meet")
        return f"{text}: {' and '.join(said)}."
    missing = []
    if aleatoric_edge is False:
        missing.append("aleatoric is not concentrated on the boundary")
    if not epistemic_far:
        missing.append("epistemic does not grow away from the data")
    return (f"{text}: here {' and '.join(missing)}; the preset “{MAP_PRESET}” shows the "
            "split.")


def _short(loss: str) -> str:
    """A loss's name without its explanation: "Brier score", "UANLL"."""
    return LOSS_LABELS[loss].split(" (")[0]


def noise_sweep_notice(sweep: NoiseSweepResult) -> str:
    """The sweep's caption: each loss's best validation accuracy and final loss rise, per rate.

    A loss "tops out lower" when its best validation accuracy at the highest rate is more than
    :data:`SWEEP_MARGIN` below the one at the lowest rate. Its validation loss "climbs back"
    by the final minus the lowest validation loss; the caption says it climbs back more with
    noisy labels when the largest rise at a noisy rate exceeds the rise at the lowest rate by
    more than :data:`LOSS_MARGIN`. The curves are the mean over each model's runs.

    Last, UANLL against cross-entropy at the highest rate (the lecture's Table I): UANLL
    "holds up better" only when its clean-test accuracy there is at least :data:`UANLL_LEAD`
    above cross-entropy's; otherwise the caption says which holds up better, or that neither
    clearly does, and names the preset that shows UANLL ahead.
    """
    best = sweep.val_accuracy.max(axis=2)
    rise = sweep.val_loss[..., -1] - sweep.val_loss.min(axis=2)
    names = [_short(loss) for loss in sweep.losses]
    rates = "/".join(f"{r:.0%}" for r in sweep.rates)
    accuracy = "; ".join(f"{name} {'/'.join(f'{a:.1%}' for a in best[i])}"
                         for i, name in enumerate(names))
    lower = [bool(best[i, -1] < best[i, 0] - SWEEP_MARGIN) for i in range(len(names))]
    text = f"Notice: best validation accuracy at {rates} flipped labels: {accuracy}"
    if all(lower):
        text += " — with more flipped labels it tops out lower for every loss."
    elif any(lower):
        text += (" — with more flipped labels it tops out lower, except for "
                 f"{', '.join(n for n, low in zip(names, lower, strict=True) if not low)}.")
    else:
        text += " — here more flipped labels do not lower it."
    climbs = [bool(rise[i, 1:].max(initial=-np.inf) > rise[i, 0] + LOSS_MARGIN)
              for i in range(len(names))]
    text += (" The final validation loss sits above its lowest point by "
             + "; ".join(f"{name} {'/'.join(f'{r:.3f}' for r in rise[i])}"
                         for i, name in enumerate(names)))
    if all(climbs):
        text += (": with flipped labels it climbs back more, for every loss — the network "
                 "starts to learn the wrong labels.")
    elif any(climbs):
        yes = ", ".join(n for n, c in zip(names, climbs, strict=True) if c)
        no = ", ".join(n for n, c in zip(names, climbs, strict=True) if not c)
        text += (f": with flipped labels it climbs back more for {yes} (the network starts to "
                 f"learn the wrong labels), not for {no}.")
    else:
        text += ": here it does not climb back more with flipped labels."
    return text + _uanll_sentence(sweep)


def uanll_lead(sweep: NoiseSweepResult) -> float:
    """UANLL's clean-test accuracy minus cross-entropy's at the sweep's highest noise rate.

    NaN when the sweep did not train both losses.
    """
    if "uanll" not in sweep.losses or "ce" not in sweep.losses:
        return float("nan")
    acc = sweep.test_accuracy[:, -1]
    return float(acc[sweep.losses.index("uanll")] - acc[sweep.losses.index("ce")])


def _uanll_sentence(sweep: NoiseSweepResult) -> str:
    """UANLL against cross-entropy at the highest noise rate (the lecture's Table I), or ""."""
    lead = uanll_lead(sweep)
    if np.isnan(lead) or sweep.rates[-1] == 0:
        return ""
    acc = sweep.test_accuracy[:, -1]
    uanll, ce = acc[sweep.losses.index("uanll")], acc[sweep.losses.index("ce")]
    runs = sweep.test_accuracy_runs.shape[-1]
    each = f" (each the mean of {runs} runs)" if runs > 1 else ""
    text = (f" At {sweep.rates[-1]:.0%} flipped labels the clean-test accuracy is UANLL "
            f"{uanll:.1%}, cross-entropy {ce:.1%}{each}: {100 * lead:+.1f} points for UANLL")
    if lead >= UANLL_LEAD:
        return text + ": UANLL holds up better under label noise, as in the lecture's Table I."
    shows = "the default settings show UANLL ahead."
    if lead <= -UANLL_LEAD:
        return text + f": here cross-entropy holds up better, unlike the lecture's Table I; {shows}"
    within = f"{100 * UANLL_LEAD:g} point{'' if UANLL_LEAD == 0.01 else 's'}"
    return text + f": within {within}, so here neither holds up clearly better; {shows}"


def sweep_network_caption(config: ClassificationConfig) -> str:
    """What the noise sweep trains: its own network and length (:func:`sweep_config` of the
    page's ``config``) and the runs per model; a caption for the "Label-noise sweep" view.
    """
    c = sweep_config(config)
    layers = f"{c.n_layers} hidden layer{'s' if c.n_layers > 1 else ''} of {c.hidden} units"
    copies = (f"{c.train_copies} augmented cop{'ies' if c.train_copies > 1 else 'y'} of every "
              f"training input at strength {c.aug_strength:g}" if c.train_copies
              else "no augmented copies")
    runs = (f", each trained {SWEEP_RUNS} times from different starting weights (the numbers "
            "are the mean of the runs)" if SWEEP_RUNS > 1 else "")
    return (f"The sweep trains its own networks, not the sidebar's: "
            f"{len(SWEEP_LOSSES)} losses × {len(SWEEP_RATES)} noise rates{runs}; each has "
            f"{layers}, trained for {c.steps} Adam steps of {c.batch_size} inputs at learning "
            f"rate {c.lr:g} on {copies}, chosen so that on the digits cross-entropy has time to "
            "learn flipped labels. The data, the kind of noise, label smoothing and the seed "
            "come from the sidebar.")
