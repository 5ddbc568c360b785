"""Training and querying for the Classification lab, on top of ``labcore.classifier``.

:func:`fit_with_curves` is :func:`labcore.classifier.train_classifier` plus two things the
lab's label-noise scene needs: the validation *accuracy* at every evaluation (read from the
same forward pass that gives the validation loss), and optional per-member training labels, so
that M members of one :class:`labcore.models.BatchedMLP` can train on M differently noised
label sets in one batched pass (the noise sweep trains its three noise rates together).

:func:`predict_views` turns a trained classifier and V views of n inputs into the per-view
numbers the lab shows: probabilities, certainties and σ averaged over the S members or
dropout passes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from labcore.device import default_device
from labcore.losses import smooth_labels
from labcore.models.classifier import (
    LOSS_LABELS,
    ClassifierSpec,
    LossName,
    TrainedClassifier,
    classifier_loss,
)
from labcore.models.mlp import BatchedMLP
from labcore.models.train import Progress, TrainConfig, train
from labcore.uncertainty.decomposition import certainty_from_log_var


@dataclasses.dataclass
class FitResult:
    """A trained classifier and its validation accuracy at every evaluation.

    Attributes:
        classifier: the trained network(s), queried with ``predict``.
        val_accuracy: (E, M) accuracy of each member on the clean validation labels, at the
            steps in ``classifier.history.eval_steps``.
    """

    classifier: TrainedClassifier
    val_accuracy: np.ndarray


def fit_with_curves(
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
    member_losses: Sequence[LossName] | None = None,
) -> FitResult:
    """Train like :func:`labcore.classifier.train_classifier`, also recording validation accuracy.

    Args:
        spec: loss, architecture and optimiser settings (``spec.members`` = M).
        x_train: (n, d) training inputs.
        y_train: (n,) training labels shared by every member, or (M, n) one label set per
            member.
        x_val: (n_val, d) validation inputs.
        y_val: (n_val,) clean validation labels.
        n_classes: K.
        progress: ``progress(fraction, message)`` every few steps.
        progress_range: the slice of the caller's progress bar this training fills.
        label: what the progress message calls this training.
        member_losses: one loss per member, overriding ``spec.loss``. When any is "uanll"
            every member gets the s output (unused by the others, so it never changes) and the
            returned classifier's ``spec.loss`` is "uanll", so ``predict`` returns s for all
            members; only the UANLL members' s means anything.

    Raises:
        ValueError: a bad spec or label shape, or training diverged (the message says what to
            change).
    """
    losses = list(member_losses) if member_losses is not None else [spec.loss] * spec.members
    if len(losses) != spec.members or any(loss not in LOSS_LABELS for loss in losses):
        raise ValueError(
            f"Each of the {spec.members} members needs a loss from {sorted(LOSS_LABELS)}. "
            f"Got {losses}."
        )
    if "uanll" in losses:
        spec = dataclasses.replace(spec, loss="uanll")
    y_train = np.asarray(y_train)
    per_member = y_train.ndim == 2
    if per_member and y_train.shape[0] != spec.members:
        raise ValueError(
            f"Per-member labels need one row per member ({spec.members}). "
            f"Got shape {y_train.shape}."
        )
    device = default_device()
    out_dim = n_classes + (1 if spec.loss == "uanll" else 0)  # K scores (+ s for UANLL)
    model = BatchedMLP(spec.members, x_train.shape[1], out_dim, hidden=spec.hidden,
                       n_layers=spec.n_layers, dropout=spec.dropout, seed=spec.seed,
                       device=device)

    def targets(y: np.ndarray) -> torch.Tensor:
        return smooth_labels(torch.as_tensor(y, device=device), n_classes, spec.smoothing)

    xt = torch.as_tensor(np.asarray(x_train, dtype=np.float32), device=device)
    # Rows must be indexed along dimension 0 by the training loop: (n, M, K) per member.
    yt = torch.stack([targets(row) for row in y_train], dim=1) if per_member else targets(y_train)
    xv = torch.as_tensor(np.asarray(x_val, dtype=np.float32), device=device)
    yv = targets(y_val)
    yv_index = torch.as_tensor(np.asarray(y_val), device=device)
    accuracies: list[np.ndarray] = []

    groups = [(loss, [i for i, name in enumerate(losses) if name == loss])
              for loss in dict.fromkeys(losses)]
    order = torch.as_tensor([i for _, members in groups for i in members], device=device)
    restore = torch.argsort(order)

    def member_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(M,) loss of each member with its own loss; y is (n, K) or (M, n, K)."""
        if len(groups) == 1:
            return classifier_loss(out, y, n_classes, groups[0][0])
        parts = []
        for loss, members in groups:
            idx = torch.as_tensor(members, device=device)
            y_part = y[idx] if y.dim() == 3 else y
            parts.append(classifier_loss(out[idx], y_part, n_classes, loss))
        return torch.cat(parts)[restore]

    def loss_fn(m: BatchedMLP, batch) -> torch.Tensor:
        y = batch[1].transpose(0, 1) if per_member else batch[1]
        return member_loss(m(batch[0]), y)

    def val_loss_fn(m: BatchedMLP, batch) -> torch.Tensor:
        out = m(batch[0])
        hits = out[..., :n_classes].argmax(dim=-1) == yv_index
        accuracies.append(hits.float().mean(dim=1).cpu().numpy())
        return member_loss(out, batch[1])

    config = TrainConfig(steps=spec.steps, lr=spec.lr, weight_decay=spec.weight_decay,
                         batch_size=spec.batch_size, eval_every=max(1, spec.steps // 40),
                         patience=spec.patience, seed=spec.seed)
    history = train(model, loss_fn, (xt, yt), config, val_data=(xv, yv),
                    val_loss_fn=val_loss_fn, progress=progress,
                    progress_range=progress_range, label=label)
    classifier = TrainedClassifier(model, spec, n_classes, history, device)
    val_accuracy = np.asarray(accuracies, dtype=float).reshape(-1, spec.members)
    return FitResult(classifier, val_accuracy)


@dataclasses.dataclass(frozen=True)
class ViewScores:
    """Predictions for V views of n inputs, averaged over S members or dropout passes.

    Attributes:
        member_probs: (S, n, K) softmax of each member on view 0 (the inputs themselves).
        probs: (V, n, K) mean over members of the softmax, per view.
        certainty: (V, n) mean over members of 1/(1 + σ²), or None without an s output.
        sigma: (V, n) √(mean over members of σ²) = √(mean e^s), or None.
    """

    member_probs: np.ndarray
    probs: np.ndarray
    certainty: np.ndarray | None
    sigma: np.ndarray | None


def predict_views(
    classifier: TrainedClassifier, views: np.ndarray, mc_samples: int = 0
) -> ViewScores:
    """Query ``classifier`` on every view and average over its members (or dropout passes).

    Args:
        classifier: a trained classifier.
        views: (V, n, d) inputs; view 0 is the unaugmented input.
        mc_samples: T > 0 keeps dropout on for T passes (MC dropout); 0 uses the members.
    """
    n_views, n = views.shape[:2]
    out = classifier.predict(views, mc_samples=mc_samples)
    probs = out.probs.reshape(out.probs.shape[0], n_views, n, -1)
    certainty = sigma = None
    if out.log_var is not None:
        s = out.log_var.reshape(-1, n_views, n)
        certainty = certainty_from_log_var(s).mean(axis=0)
        sigma = np.sqrt(np.exp(s).mean(axis=0))
    return ViewScores(member_probs=probs[:, 0], probs=probs.mean(axis=0),
                      certainty=certainty, sigma=sigma)
