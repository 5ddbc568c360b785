"""Train and query classifiers: cross-entropy (with smoothing), the Brier score, or UANLL.

One :class:`labcore.models.mlp.BatchedMLP` carries K class outputs (plus one log-variance output s
for UANLL); an ensemble is M members trained in one batched pass, MC dropout keeps dropout on
at test time. Every experiment page that classifies (Classification, Calibration, OOD) trains
through :func:`train_classifier` and reads predictions through :meth:`TrainedClassifier.predict`
(or :func:`predict_views` for V test-time views averaged over the members).

:func:`train_classifier` also records the validation accuracy at every evaluation (read from
the same forward pass that gives the validation loss) and can give every member its own loss
and its own training labels, so that M members of one network train on M differently noised
label sets in one batched pass (the Classification lab's noise sweep).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch

from labcore.device import default_device
from labcore.losses import brier, cross_entropy, member_mean, smooth_labels, uanll
from labcore.models.lean import LeanStep, leanable
from labcore.models.mlp import BatchedMLP
from labcore.models.train import Progress, Snapshot, TrainConfig, TrainHistory, train
from labcore.uncertainty.decomposition import certainty_from_log_var

LossName = Literal["ce", "brier", "uanll"]
S_MIN, S_MAX = -8.0, 4.0
"""UANLL's s = log σ² is clamped to [−8, 4]: certainty 1/(1+e^s) then spans 0.018 … 0.9997.
The squared error of a softmax output against a one-hot target is at most 2, so the optimum
s* = log(SSE/N) never needs more than log(2/N) < 0 at the top."""

LOSS_LABELS = {
    "ce": "Cross-entropy",
    "brier": "Brier score (square loss of the softmax on one-hot targets)",
    "uanll": "UANLL (uncertainty-aware NLL)",
}


@dataclasses.dataclass(frozen=True)
class ClassifierSpec:
    """How to build and train a classifier.

    Attributes:
        loss: "ce", "brier" (the Brier score: square loss of the softmax against one-hot
            targets; Hui & Belkin 2021 use the square loss on raw outputs) or "uanll".
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
    """A trained network (or ensemble) with what is needed to query it.

    Attributes:
        model: the M members.
        spec: how it was built and trained (``spec.loss`` is "uanll" when any member is).
        n_classes: K.
        history: training and validation losses per member.
        device: where the model lives.
        val_accuracy: (E, M) accuracy of each member on the validation labels, at the steps
            in ``history.eval_steps``.
    """

    model: BatchedMLP
    spec: ClassifierSpec
    n_classes: int
    history: TrainHistory
    device: torch.device
    val_accuracy: np.ndarray

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
                    out = out.reshape(self.model.members * mc_samples, xb.shape[0], -1)
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
    if loss == "brier":
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
    member_losses: Sequence[LossName] | None = None,
    snapshot: Snapshot | None = None,
    snapshot_every: int | None = None,
) -> TrainedClassifier:
    """Train a classifier on (possibly noisy) training labels, validating on clean ones.

    The validation loss is each member's training loss, with the same smoothing; the
    validation accuracy of every member is recorded at every evaluation.

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
        snapshot, snapshot_every: passed to :func:`labcore.models.train.train` (live views).

    Raises:
        ValueError: a bad spec or label shape, or training diverged (the message says what to
            change).
    """
    if member_losses is None and spec.loss not in LOSS_LABELS:
        raise ValueError(f"loss must be one of {sorted(LOSS_LABELS)}. Got {spec.loss!r}.")
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
    yv_index = torch.as_tensor(np.asarray(y_val), device=device)
    accuracies: list[np.ndarray] = []
    member_loss = _member_loss_fn(losses, n_classes, device)

    def loss_fn(m: BatchedMLP, batch) -> torch.Tensor:
        y = batch[1].transpose(0, 1) if per_member else batch[1]
        return member_loss(m(batch[0]), y)

    if len(set(losses)) == 1 and spec.loss in ("ce", "uanll"):
        # the same step, its gradient by hand (labcore.models.lean)
        loss_fn.lean_for = lambda m: (ClassifierStep(m, spec.loss, n_classes, per_member)
                                      if leanable(m) else None)

    def val_loss_fn(m: BatchedMLP, batch) -> torch.Tensor:
        out = m(batch[0])
        hits = out[..., :n_classes].argmax(dim=-1) == yv_index
        accuracies.append(hits.float().mean(dim=1).cpu().numpy())
        return member_loss(out, batch[1])

    config = TrainConfig(steps=spec.steps, lr=spec.lr, weight_decay=spec.weight_decay,
                         batch_size=spec.batch_size, eval_every=max(1, spec.steps // 40),
                         patience=spec.patience, seed=spec.seed)
    history = train(model, loss_fn, (xt, yt), config, val_data=(xv, targets(y_val)),
                    val_loss_fn=val_loss_fn, progress=progress,
                    progress_range=progress_range, label=label, snapshot=snapshot,
                    snapshot_every=snapshot_every)
    val_accuracy = np.asarray(accuracies, dtype=float).reshape(-1, spec.members)
    return TrainedClassifier(model, spec, n_classes, history, device, val_accuracy)


MemberLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class ClassifierStep(LeanStep):
    """:func:`classifier_loss` with its gradient by hand, for cross-entropy and UANLL: the
    calls autograd's backward formulas make (see :mod:`labcore.models.lean`), so the gradient
    is autograd's to the bit.

    ``y`` is (n, K) target rows shared by the members, or (n, M, K) one set per member
    (``per_member``), as the training loop hands out rows.
    """

    def __init__(self, model: BatchedMLP, loss: LossName, n_classes: int,
                 per_member: bool) -> None:
        super().__init__(model)
        self.loss, self.n_classes, self.per_member = loss, n_classes, per_member

    def prepare(self, made: dict[str, torch.Tensor]) -> None:
        k = self.n_classes
        if self.loss == "ce":  # NegBackward0 and SumBackward1 of the mean's gradient
            made["grad_terms"] = (-made["grad_rows"]).unsqueeze(-1).expand(made["out"].shape)
        else:
            grad_out = made["grad_out"]
            made["grad_logits"], made["grad_s"] = grad_out[..., :k], grad_out[..., k]
            made["logits"], made["s"] = made["out"][..., :k], made["out"][..., k]

    def head(self, out: torch.Tensor, y: torch.Tensor,
             made: dict[str, torch.Tensor]) -> torch.Tensor:
        targets = y.transpose(0, 1) if self.per_member else y
        if self.loss == "ce":
            log_probs = torch.log_softmax(out, dim=-1)
            value = member_mean(-(targets * log_probs).sum(dim=-1))
            torch.ops.aten._log_softmax_backward_data.out(
                made["grad_terms"] * targets, log_probs, -1, out.dtype, out=made["grad_out"])
            return value
        # UANLL: labcore.losses.uanll of the softmax and the clamped s, step by step
        raw_s = made["s"]
        s = raw_s.clamp(S_MIN, S_MAX)
        probs = torch.softmax(made["logits"], dim=-1)
        miss = targets - probs
        sse = (miss**2).sum(dim=-1)
        inv_var = torch.exp(-s)
        value = member_mean(0.5 * (inv_var * sse + self.n_classes * s))
        grad = made["grad_rows"] * 0.5  # MulBackward0
        grad_sse = grad * inv_var
        grad_s = -((grad * sse) * inv_var) + grad * self.n_classes  # Exp, Neg; MulBackward0
        inside = (raw_s >= S_MIN).logical_and_(raw_s <= S_MAX)  # ClampBackward1
        torch.where(inside, grad_s, torch.zeros((), dtype=out.dtype), out=made["grad_s"])
        grad_miss = grad_sse.unsqueeze(-1).expand(miss.shape) * (2.0 * miss.pow(1.0))
        # (the kernel writes contiguous rows: into the strided columns by a copy)
        made["grad_logits"].copy_(torch.ops.aten._softmax_backward_data(
            -grad_miss, probs, -1, out.dtype))
        return value


def _member_loss_fn(losses: list[LossName], n_classes: int, device: torch.device) -> MemberLoss:
    """``f(out, y) -> (M,)``: each member's loss under its own loss; y is (n, K) or (M, n, K)."""
    groups = [(loss, [i for i, name in enumerate(losses) if name == loss])
              for loss in dict.fromkeys(losses)]
    if len(groups) == 1:
        return lambda out, y: classifier_loss(out, y, n_classes, groups[0][0])
    order = torch.as_tensor([i for _, members in groups for i in members], device=device)
    restore = torch.argsort(order)
    index = [(loss, torch.as_tensor(members, device=device)) for loss, members in groups]

    def member_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        parts = [classifier_loss(out[idx], y[idx] if y.dim() == 3 else y, n_classes, loss)
                 for loss, idx in index]
        return torch.cat(parts)[restore]

    return member_loss


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
