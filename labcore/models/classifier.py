"""Train and query classifiers: cross-entropy (with smoothing), square loss, or UANLL.

One :class:`labcore.models.BatchedMLP` carries K class outputs (plus one log-variance output s
for UANLL); an ensemble is M members trained in one batched pass, MC dropout keeps dropout on
at test time. Every experiment page that classifies (Classification, Calibration, OOD) trains
through :func:`train_classifier` and reads predictions through :meth:`TrainedClassifier.predict`.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import torch

from labcore.device import default_device
from labcore.losses import brier, cross_entropy, smooth_labels, uanll
from labcore.models.mlp import BatchedMLP
from labcore.models.train import Progress, TrainConfig, TrainHistory, train

LossName = Literal["ce", "mse", "uanll"]
S_MIN, S_MAX = -8.0, 4.0
"""UANLL's s = log σ² is clamped to [−8, 4]: certainty 1/(1+e^s) then spans 0.018 … 0.9997.
The squared error of a softmax output against a one-hot target is at most 2, so the optimum
s* = log(SSE/N) never needs more than log(2/N) < 0 at the top."""

LOSS_LABELS = {
    "ce": "Cross-entropy",
    "mse": "Square loss on one-hot targets",
    "uanll": "UANLL (uncertainty-aware NLL)",
}


@dataclasses.dataclass(frozen=True)
class ClassifierSpec:
    """How to build and train a classifier.

    Attributes:
        loss: "ce", "mse" (square loss of the softmax against one-hot targets) or "uanll".
        smoothing: ε of the lecture's label smoothing, applied to the targets of every loss.
        hidden: units per hidden layer.
        n_layers: hidden layers.
        members: ensemble size M (1 = a single network).
        dropout: dropout rate (used at test time by MC dropout).
        steps: Adam steps.
        lr: learning rate.
        batch_size: samples per step (None = full batch).
        weight_decay: L2 penalty.
        patience: early-stopping patience in evaluations (None = off).
        seed: seeds weights, dropout and batch order.
    """

    loss: LossName = "ce"
    smoothing: float = 0.0
    hidden: int = 128
    n_layers: int = 2
    members: int = 1
    dropout: float = 0.0
    steps: int = 400
    lr: float = 3e-3
    batch_size: int | None = 128
    weight_decay: float = 0.0
    patience: int | None = None
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class ClassifierOutput:
    """Predictions of S members or dropout passes (numpy).

    Attributes:
        logits: (S, n, K) class scores z.
        log_var: (S, n) UANLL's s, or None for other losses.
    """

    logits: np.ndarray
    log_var: np.ndarray | None

    @property
    def probs(self) -> np.ndarray:
        """(S, n, K) softmax of each sample's logits."""
        z = self.logits - self.logits.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    @property
    def mean_probs(self) -> np.ndarray:
        """(n, K) the predictive distribution: the mean of the S softmax outputs."""
        return self.probs.mean(axis=0)


@dataclasses.dataclass
class TrainedClassifier:
    """A trained network (or ensemble) with what is needed to query it."""

    model: BatchedMLP
    spec: ClassifierSpec
    n_classes: int
    history: TrainHistory
    device: torch.device

    def predict(self, x: np.ndarray, mc_samples: int = 0, chunk: int = 8192) -> ClassifierOutput:
        """Logits (and s) for inputs x.

        Args:
            x: (n, d) inputs, or (V, n, d) views (flattened to V·n rows and reshaped back, so
                the result is then (S, V·n, K)).
            mc_samples: T > 0 runs T passes with dropout on (MC dropout); 0 uses the members
                with dropout off.
            chunk: rows per forward pass (bounds memory).
        """
        x = np.asarray(x, dtype=np.float32)
        flat = x.reshape(-1, x.shape[-1])
        outs = []
        with torch.no_grad():
            for start in range(0, flat.shape[0], chunk):
                xb = torch.as_tensor(flat[start : start + chunk], device=self.device)
                if mc_samples > 0:
                    reps = xb.repeat(mc_samples, 1)
                    out = self.model(reps, dropout=True)
                    out = out.reshape(self.model.n_members * mc_samples, xb.shape[0], -1)
                else:
                    out = self.model(xb, dropout=False)
                outs.append(out)
        out = torch.cat(outs, dim=1)
        logits = out[..., : self.n_classes].cpu().numpy().astype(np.float64)
        log_var = None
        if self.spec.loss == "uanll":
            log_var = out[..., self.n_classes].clamp(S_MIN, S_MAX).cpu().numpy().astype(np.float64)
        return ClassifierOutput(logits=logits, log_var=log_var)


def _split_heads(out: torch.Tensor, n_classes: int, loss: LossName):
    logits = out[..., :n_classes]
    s = out[..., n_classes].clamp(S_MIN, S_MAX) if loss == "uanll" else None
    return logits, s


def classifier_loss(
    out: torch.Tensor, targets: torch.Tensor, n_classes: int, loss: LossName
) -> torch.Tensor:
    """Per-member loss (M,) of network outputs (M, n, K[+1]) against target rows (n, K)."""
    logits, s = _split_heads(out, n_classes, loss)
    if loss == "ce":
        return cross_entropy(logits, targets, reduction="member")
    probs = torch.softmax(logits, dim=-1)
    if loss == "mse":
        return brier(probs, targets, reduction="member")
    return uanll(probs, s, targets, reduction="member")


def train_classifier(
    spec: ClassifierSpec,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    n_classes: int,
    *,
    progress: Progress | None = None,
    progress_range: tuple[float, float] = (0.0, 1.0),
    label: str = "Training",
) -> TrainedClassifier:
    """Train a classifier on (possibly noisy) training labels, validating on clean ones.

    The validation loss is the same loss as training, with the same smoothing.

    Raises:
        ValueError: a bad spec, or training diverged (the message says what to change).
    """
    if spec.loss not in LOSS_LABELS:
        raise ValueError(f"loss must be one of {sorted(LOSS_LABELS)}. Got {spec.loss!r}.")
    device = default_device()
    out_dim = n_classes + (1 if spec.loss == "uanll" else 0)
    model = BatchedMLP(spec.members, x_train.shape[1], out_dim, hidden=spec.hidden,
                       n_layers=spec.n_layers, dropout=spec.dropout, seed=spec.seed,
                       device=device)

    def tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32), device=device)
        yt = smooth_labels(torch.as_tensor(y, device=device), n_classes, spec.smoothing)
        return xt, yt

    def loss_fn(m: BatchedMLP, batch) -> torch.Tensor:
        return classifier_loss(m(batch[0]), batch[1], n_classes, spec.loss)

    config = TrainConfig(steps=spec.steps, lr=spec.lr, weight_decay=spec.weight_decay,
                         batch_size=spec.batch_size, eval_every=max(1, spec.steps // 40),
                         patience=spec.patience, seed=spec.seed)
    history = train(model, loss_fn, tensors(x_train, y_train), config,
                    val_data=tensors(x_val, y_val), progress=progress,
                    progress_range=progress_range, label=label)
    return TrainedClassifier(model, spec, n_classes, history, device)
