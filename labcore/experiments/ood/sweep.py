"""Distribution shift (scene S10): accuracy and calibration as corruptions grow.

``run_shift(config)`` trains each model the chosen methods need once, on clean digits, then
feeds it the test images under every corruption of :mod:`labcore.data.corruptions` at severities
0–5 and measures accuracy, ECE, NLL and mean confidence — the view of Ovadia et al. 2019: as
the shift grows accuracy falls, and the confidence of most methods falls more slowly, so the
mistakes become overconfident.
"""

import dataclasses

import numpy as np

from labcore import calibration as cal
from labcore.data.classification import augment_views, load_digits_split
from labcore.data.corruptions import CORRUPTIONS, MAX_SEVERITY, corrupt_all
from labcore.experiments.ood.config import MethodName, ShiftConfig
from labcore.experiments.ood.models import ModelName, predict, train_models
from labcore.models.train import Progress

METHOD_LABELS: dict[str, str] = {
    "plain": "Plain (cross-entropy)",
    "temperature": "Temperature scaling",
    "mc_dropout": "MC dropout",
    "ensemble": "Deep ensemble",
    "uanll": "UANLL",
    "tta": "Test-time augmentation",
}
METRICS = ("accuracy", "ece", "nll", "confidence")
N_BINS = 15  # equal-width bins of the top-label ECE
EXAMPLE_CONFIDENCE = 0.95  # the gallery's digit is one the model is this sure of when clean
_MODEL_OF: dict[str, ModelName] = {
    "plain": "plain", "temperature": "plain", "tta": "plain",
    "mc_dropout": "mc_dropout", "ensemble": "ensemble", "uanll": "uanll",
}


@dataclasses.dataclass(frozen=True)
class ShiftResult:
    """Metrics of every method under every corruption and severity.

    Severity 0 is the clean test set (the same numbers in every corruption's row).

    Attributes:
        methods: the methods compared, in order.
        corruptions: the corruption names, in the order of the metric arrays.
        severities: (6,) 0, 1, …, 5.
        accuracy, ece, nll, confidence: (methods, corruptions, 6) accuracy, top-label ECE
            (15 equal-width bins), mean NLL in nats and mean max-softmax confidence.
        temperature: T fitted on clean validation logits (NaN when temperature scaling is off).
        example_images: (corruptions, 6, 8, 8) one test image under each corruption: of those
            the first method gets right with ≥ 95 % confidence when clean, the one it gets
            wrong most often under shift.
        example_label: its true digit.
        example_pred, example_confidence: (corruptions, 6) the first method's predicted digit
            and confidence for each example.
        n_test: test images per corruption and severity.
    """

    methods: tuple[str, ...]
    corruptions: tuple[str, ...]
    severities: np.ndarray
    accuracy: np.ndarray
    ece: np.ndarray
    nll: np.ndarray
    confidence: np.ndarray
    temperature: float
    example_images: np.ndarray
    example_label: int
    example_pred: np.ndarray
    example_confidence: np.ndarray
    n_test: int

    def curve(self, metric: str, corruption: str = "mean") -> np.ndarray:
        """(methods, 6) one metric against severity, for a corruption or averaged over all.

        Args:
            metric: "accuracy", "ece", "nll" or "confidence".
            corruption: a corruption name, or "mean" for the average over corruptions.
        """
        if metric not in METRICS:
            raise ValueError(f"Metric must be one of {', '.join(METRICS)}. Got {metric!r}.")
        values = getattr(self, metric)
        if corruption == "mean":
            return values.mean(axis=1)
        if corruption not in self.corruptions:
            raise ValueError(f"Corruption must be 'mean' or one of {', '.join(self.corruptions)}. "
                             f"Got {corruption!r}.")
        return values[:, self.corruptions.index(corruption)]


def _method_probs(
    method: MethodName, models: dict, x: np.ndarray, config: ShiftConfig, temperature: float
) -> np.ndarray:
    """(n, K) predictive probabilities of one method."""
    model_name = _MODEL_OF[method]
    model = models[model_name]
    if method == "temperature":
        return cal.softmax(model.predict(x).logits[0], temperature)
    if method == "tta":
        views = augment_views(x, config.views, config.seed, (8, 8), config.tta_strength)
        logits = model.predict(views).logits[0].reshape(config.views, x.shape[0], -1)
        return cal.softmax(logits).mean(axis=0)
    return predict(model_name, model, x, config.mc_samples).mean_probs


def _metrics(probs: np.ndarray, labels: np.ndarray) -> tuple[float, float, float, float]:
    """Accuracy, ECE, NLL, mean confidence of (n, K) probabilities."""
    return (
        float(np.mean(probs.argmax(axis=1) == labels)),
        cal.expected_calibration_error(probs, labels, N_BINS),
        cal.nll(probs, labels),
        float(np.mean(probs.max(axis=1))),
    )


def _example_index(probs: np.ndarray, labels: np.ndarray) -> int:
    """Of the test images the method gets right with ≥ 95 % confidence when clean (or, if
    there are none, right at all), the one it gets wrong most often under shift.

    Args:
        probs: (corruptions, 6, n, K) one method's probabilities; severity 0 is clean.
        labels: (n,) true classes.
    """
    wrong = probs.argmax(axis=-1) != labels  # (C, 6, n)
    eligible = ~wrong[0, 0] & (probs[0, 0].max(axis=-1) >= EXAMPLE_CONFIDENCE)
    if not eligible.any():
        eligible = ~wrong[0, 0]
    count = np.where(eligible, wrong[:, 1:].sum(axis=(0, 1)), -1)
    return int(np.argmax(count))


def run_shift(config: ShiftConfig, progress: Progress | None = None) -> ShiftResult:
    """Train each needed model once on clean digits, then test it on every corrupted test set.

    Args:
        config: the methods and model settings.
        progress: ``progress(fraction, message)``, called every few training steps and once
            per method and corruption while testing.

    Raises:
        ValueError: a bad config, or training diverged.

    References:
        Ovadia et al., "Can You Trust Your Model's Uncertainty? Evaluating Predictive
        Uncertainty Under Dataset Shift", NeurIPS 2019.
    """
    data = load_digits_split(config.seed)
    needed = tuple(dict.fromkeys(_MODEL_OF[m] for m in config.methods))
    models = train_models(needed, config, data, progress, (0.0, 0.7))
    temperature = float("nan")
    if config.temperature:
        temperature = cal.fit_temperature(models["plain"].predict(data.x_val).logits[0],
                                          data.y_val)
    shifted = corrupt_all(data.x_test, config.seed)  # (C, 5, n, d)
    n_c, n_s = len(CORRUPTIONS), MAX_SEVERITY + 1
    n_test = data.x_test.shape[0]
    values = np.zeros((len(METRICS), len(config.methods), n_c, n_s))
    first_probs = np.zeros((n_c, n_s, n_test, data.n_classes))  # the first method's
    steps = len(config.methods) * (n_c + 1)
    for i, method in enumerate(config.methods):
        clean = _method_probs(method, models, data.x_test, config, temperature)
        values[:, i, :, 0] = np.array(_metrics(clean, data.y_test))[:, None]
        if i == 0:
            first_probs[:, 0] = clean
        for c, name in enumerate(CORRUPTIONS):
            if progress is not None:
                done = i * (n_c + 1) + c + 1
                progress(0.7 + 0.3 * done / steps,
                         f"Testing {METHOD_LABELS[method]} on {name.replace('_', ' ')}")
            stacked = shifted[c].reshape(-1, shifted.shape[-1])
            probs = _method_probs(method, models, stacked, config, temperature)
            probs = probs.reshape(MAX_SEVERITY, n_test, -1)
            for s in range(MAX_SEVERITY):
                values[:, i, c, s + 1] = _metrics(probs[s], data.y_test)
            if i == 0:
                first_probs[c, 1:] = probs
    k = _example_index(first_probs, data.y_test)
    examples = np.concatenate(
        [np.broadcast_to(data.x_test[k], (n_c, 1, data.x_test.shape[1])), shifted[:, :, k]],
        axis=1,
    ).reshape(n_c, n_s, 8, 8)
    return ShiftResult(
        methods=config.methods, corruptions=CORRUPTIONS, severities=np.arange(n_s),
        accuracy=values[0], ece=values[1], nll=values[2], confidence=values[3],
        temperature=temperature, example_images=examples,
        example_label=int(data.y_test[k]), example_pred=first_probs[:, :, k].argmax(axis=-1),
        example_confidence=first_probs[:, :, k].max(axis=-1), n_test=n_test,
    )
