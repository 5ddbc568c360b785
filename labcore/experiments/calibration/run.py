"""The Calibration lab: label smoothing vs temperature scaling, reliability diagrams, ECE (S9).

``run_calibration(config)`` trains two classifiers on the same split — plain cross-entropy and
cross-entropy on smoothed labels (ε) — and keeps their validation and test logits. It fits one
temperature per model on the validation logits (NLL, Guo et al. 2017). Everything the page
draws is then computed from those cached logits by cheap functions: :func:`rescore` (one model
at any temperature), :func:`four_panels` (the 2×2 grid) and :func:`temperature_curves` (NLL and
ECE against T). Moving the temperature slider never retrains.

The sweeps, which retrain, live in :mod:`labcore.experiments.calibration.sweep`.

References:
    Guo et al., "On Calibration of Modern Neural Networks", ICML 2017.
    Müller, Kornblith and Hinton, "When Does Label Smoothing Help?", NeurIPS 2019.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from labcore import calibration as cal
from labcore.data.classification import ClassificationData, load_digits_split, make_toy
from labcore.device import rng_for
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.models.classifier import ClassifierSpec, train_classifier
from labcore.models.train import Progress

ModelKind = Literal["plain", "smoothed"]

T_MIN, T_MAX = 0.1, 5.0  # the page's temperature slider
TEMPERATURE_GRID = np.geomspace(0.1, 10.0, 81)  # T values of the NLL/ECE-vs-T curves


@dataclasses.dataclass(frozen=True)
class TrainedModel:
    """One trained classifier, as logits on held-out data plus its fitted temperature.

    Attributes:
        kind: "plain" (ε = 0) or "smoothed".
        name: how the page names it, e.g. "CE + label smoothing (ε = 0.1)".
        smoothing: the ε it was trained with.
        val_logits: (n_val, K) logits on the validation set (fits the temperature).
        test_logits: (n_test, K) logits on the test set (everything shown is scored here).
        temperature: T > 0 minimising the validation NLL of softmax(z/T).
        val_nll: validation NLL at T = 1 (nats).
        val_nll_scaled: validation NLL at the fitted T (never above ``val_nll``).
    """

    kind: ModelKind
    name: str
    smoothing: float
    val_logits: np.ndarray
    test_logits: np.ndarray
    temperature: float
    val_nll: float
    val_nll_scaled: float


@dataclasses.dataclass(frozen=True)
class CalibrationRun:
    """The two trained models of one config and the labels they are scored against.

    Attributes:
        dataset: the dataset's name.
        n_classes: K.
        y_val, y_test: (n_val,), (n_test,) clean integer labels.
        plain, smoothed: the two models (the same one when ε = 0).
    """

    dataset: str
    n_classes: int
    y_val: np.ndarray
    y_test: np.ndarray
    plain: TrainedModel
    smoothed: TrainedModel

    def model(self, kind: ModelKind) -> TrainedModel:
        """The "plain" or the "smoothed" model."""
        if kind not in ("plain", "smoothed"):
            raise ValueError(f"Model must be 'plain' or 'smoothed'. Got {kind!r}.")
        return self.plain if kind == "plain" else self.smoothed


@dataclasses.dataclass(frozen=True)
class Scores:
    """One model at one temperature, scored on the test set.

    Attributes:
        name: the model's name and the temperature, for titles.
        temperature: the T the logits were divided by.
        bins: the reliability bins (top-label confidence).
        accuracy: fraction of correct argmax predictions.
        mean_confidence: mean of max_k p_k; above ``accuracy`` means over-confident on average.
        ece, mce: expected and maximum calibration error with ``bins``.
        nll: mean −log p(true class) in nats (exact log-softmax).
        brier: Σ_k (p_k − y_k)² averaged over samples, in [0, 2].
    """

    name: str
    temperature: float
    bins: cal.ReliabilityBins
    accuracy: float
    mean_confidence: float
    ece: float
    mce: float
    nll: float
    brier: float


def load_data(config: CalibrationConfig) -> ClassificationData:
    """The split the config names: digits with ``train_size`` training images, or a 2-D toy.

    Digits: the seeded 50 / 20 / 30 split of :func:`load_digits_split`, then
    :func:`limit_training_set` keeps ``train_size`` of the training images.
    """
    if config.dataset == "digits":
        return limit_training_set(load_digits_split(config.seed), config.train_size, config.seed)
    return make_toy(config.dataset, n=config.n_points, noise=config.toy_noise, seed=config.seed)


def limit_training_set(data: ClassificationData, size: int, seed: int) -> ClassificationData:
    """Keep ``size`` training samples, the same number of each class; the rest join the test set.

    Class c keeps ``size // K`` samples, one more for the first ``size % K`` classes, drawn
    with the seed's "train_subset" stream. The samples left out are never seen in training,
    so scoring them too makes the test-set ECE less noisy. Validation data is unchanged.

    Args:
        data: a split with clean labels.
        size: training samples to keep, at most K × the smallest class's training count.
        seed: seeds which samples are kept.

    Raises:
        ValueError: ``size`` is below K or more than a class can give.

    Example:
        >>> from labcore.data.classification import load_digits_split
        >>> data = limit_training_set(load_digits_split(0), 150, seed=0)
        >>> len(data.y_train), np.bincount(data.y_train).tolist() == [15] * 10, len(data.y_test)
        (150, True, 1288)
    """
    k = data.n_classes
    per_class = np.bincount(data.y_train, minlength=k)
    wanted = size // k + (np.arange(k) < size % k)
    if size < k or np.any(wanted > per_class):
        raise ValueError(f"The training set must keep between {k} and {k * per_class.min()} "
                         f"samples (the same number per class). Got {size}.")
    rng = rng_for(seed, "train_subset")
    keep = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(data.y_train == c), int(n), replace=False)
        for c, n in enumerate(wanted)]))
    rest = np.setdiff1d(np.arange(data.y_train.size), keep)
    return dataclasses.replace(
        data, x_train=data.x_train[keep], y_train=data.y_train[keep],
        x_test=np.concatenate([data.x_test, data.x_train[rest]]),
        y_test=np.concatenate([data.y_test, data.y_train[rest]]))


def classifier_spec(config: CalibrationConfig, **changes: int | float) -> ClassifierSpec:
    """The classifier the config trains (cross-entropy with its ε), with ``changes`` applied."""
    spec = ClassifierSpec(loss="ce", smoothing=config.smoothing, hidden=config.hidden,
                          n_layers=config.n_layers, steps=config.steps, lr=config.lr,
                          seed=config.seed)
    return dataclasses.replace(spec, **changes)


def _model_name(smoothing: float) -> str:
    return "Plain CE" if smoothing == 0 else f"CE + label smoothing (ε = {smoothing:g})"


def train_model(
    data: ClassificationData, spec: ClassifierSpec, kind: ModelKind, progress: Progress | None,
    progress_range: tuple[float, float], label: str,
) -> TrainedModel:
    """Train one classifier, keep its held-out logits and fit its temperature on validation.

    Args:
        data: the split (training labels train, validation labels fit T, test labels score).
        spec: what to train.
        kind: "plain" or "smoothed", recorded on the result.
        progress: ``progress(fraction, message)``, called every few training steps.
        progress_range: the slice of the caller's progress bar this training fills.
        label: what the progress message calls this training.

    Raises:
        ValueError: training diverged (the message says what to change).
    """
    trained = train_classifier(spec, data.x_train, data.y_train, data.x_val, data.y_val,
                               data.n_classes, progress=progress, progress_range=progress_range,
                               label=label)
    val_logits = trained.predict(data.x_val).logits[0]
    test_logits = trained.predict(data.x_test).logits[0]
    temperature = cal.fit_temperature(val_logits, data.y_val)
    before, after = cal.nll_at_temperatures(val_logits, data.y_val, [1.0, temperature])
    return TrainedModel(kind=kind, name=_model_name(spec.smoothing), smoothing=spec.smoothing,
                        val_logits=val_logits, test_logits=test_logits,
                        temperature=temperature, val_nll=float(before),
                        val_nll_scaled=float(after))


def run_calibration(config: CalibrationConfig, progress: Progress | None = None) -> CalibrationRun:
    """Train plain CE and CE with label smoothing ε; fit each model's temperature.

    Only the training fields of ``config`` matter (see :func:`training_config`). With ε = 0
    one network is trained and used for both rows.

    Args:
        config: the experiment.
        progress: ``progress(fraction, message)``, called every few training steps.

    Raises:
        ValueError: a bad config, or training diverged (the message says what to change).
    """
    data = load_data(config)
    plain_range = (0.0, 0.5) if config.smoothing > 0 else (0.0, 1.0)
    plain = train_model(data, classifier_spec(config, smoothing=0.0), "plain", progress,
                        plain_range, "plain CE")
    if config.smoothing > 0:
        smoothed = train_model(data, classifier_spec(config), "smoothed", progress, (0.5, 1.0),
                               f"CE + label smoothing ε = {config.smoothing:g}")
    else:
        smoothed = dataclasses.replace(plain, kind="smoothed")
    if progress is not None:
        progress(1.0, "Done")
    return CalibrationRun(dataset=data.name, n_classes=data.n_classes, y_val=data.y_val,
                          y_test=data.y_test, plain=plain, smoothed=smoothed)


def score_logits(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0,
                 n_bins: int = 15, strategy: cal.BinStrategy = "uniform",
                 name: str = "") -> Scores:
    """Accuracy, ECE, MCE, NLL, Brier and reliability bins of softmax(logits / T).

    Args:
        logits: (n, K) logits.
        labels: (n,) integer labels.
        temperature: T > 0.
        n_bins: bins of the ECE and the diagram.
        strategy: "uniform" (equal width) or "quantile" (equal mass).
        name: a title for the result.
    """
    probs = cal.softmax(logits, temperature)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    bins = cal.reliability_bins(confidence, correct, n_bins, strategy)
    return Scores(
        name=name, temperature=float(temperature), bins=bins,
        accuracy=float(correct.mean()), mean_confidence=float(confidence.mean()),
        ece=bins.ece, mce=bins.mce,
        nll=float(cal.nll_at_temperatures(logits, labels, [temperature])[0]),
        brier=cal.brier_score(probs, labels),
    )


def rescore(run: CalibrationRun, kind: ModelKind, temperature: float, n_bins: int = 15,
            strategy: cal.BinStrategy = "uniform", name: str | None = None) -> Scores:
    """Score one cached model on the test set at any temperature, without retraining.

    Args:
        run: a result of :func:`run_calibration`.
        kind: "plain" or "smoothed".
        temperature: T > 0 (the slider's value, 1 for the raw model, or the fitted T).
        n_bins: bins of the ECE and the diagram.
        strategy: "uniform" or "quantile".
        name: a title for the result (default: the model's name and T).
    """
    model = run.model(kind)
    title = name if name is not None else f"{model.name} · T = {temperature:.2f}"
    return score_logits(model.test_logits, run.y_test, temperature, n_bins, strategy, title)


def four_panels(run: CalibrationRun, n_bins: int = 15,
                strategy: cal.BinStrategy = "uniform") -> tuple[Scores, ...]:
    """The 2×2 grid: (plain, raw), (plain, scaled), (smoothed, raw), (smoothed, scaled).

    "Scaled" divides the test logits by the temperature fitted on the validation logits.
    """
    panels = []
    for kind in ("plain", "smoothed"):
        model = run.model(kind)
        for temperature, how in ((1.0, "raw"), (model.temperature, "temperature-scaled")):
            scores = rescore(run, kind, temperature, n_bins, strategy)
            panels.append(dataclasses.replace(
                scores, name=f"{model.name} · {how} (T = {temperature:.2f})"))
    return tuple(panels)


@dataclasses.dataclass(frozen=True)
class TemperatureCurves:
    """NLL and ECE of one model against the temperature, on validation and test data.

    Attributes:
        temperatures: (G,) the grid of T.
        val_nll, test_nll: (G,) mean NLL in nats.
        val_ece, test_ece: (G,) top-label ECE with the chosen bins.
        t_nll: the T minimising the validation NLL (the model's fitted temperature).
        t_ece: the grid T minimising the validation ECE (:func:`fit_temperature_ece`).
        n_bins, strategy: the bins of the ECE.
    """

    temperatures: np.ndarray
    val_nll: np.ndarray
    test_nll: np.ndarray
    val_ece: np.ndarray
    test_ece: np.ndarray
    t_nll: float
    t_ece: float
    n_bins: int
    strategy: cal.BinStrategy


def temperature_curves(run: CalibrationRun, kind: ModelKind, n_bins: int = 15,
                       strategy: cal.BinStrategy = "uniform",
                       grid: np.ndarray = TEMPERATURE_GRID) -> TemperatureCurves:
    """NLL and ECE against T for one model: where the two criteria put their minimum.

    NLL is a proper scoring rule and smooth in T; ECE is neither, so the T that minimises it
    (on a grid) can differ from the NLL fit — which is why both are shown.
    """
    model = run.model(kind)

    def eces(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return np.array([cal.expected_calibration_error(cal.softmax(logits, t), labels, n_bins,
                                                        strategy) for t in grid])

    val_ece = eces(model.val_logits, run.y_val)
    t_ece = cal.fit_temperature_ece(model.val_logits, run.y_val, grid=grid, n_bins=n_bins,
                                    strategy=strategy)
    return TemperatureCurves(
        temperatures=np.asarray(grid, dtype=float),
        val_nll=cal.nll_at_temperatures(model.val_logits, run.y_val, grid),
        test_nll=cal.nll_at_temperatures(model.test_logits, run.y_test, grid),
        val_ece=val_ece, test_ece=eces(model.test_logits, run.y_test),
        t_nll=model.temperature, t_ece=t_ece, n_bins=n_bins, strategy=strategy,
    )
