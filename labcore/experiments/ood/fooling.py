"""Fooling images: inputs no person would recognise that a network classifies with ≥ 99 %.

Start from uniform noise and climb the gradient of the network's log-probability of a target
class with respect to the *input*, keeping every pixel in [0, 1], until the network is at least
99 % sure (Nguyen et al. 2015, Sec. 3.3 and Simonyan et al. 2014's class-model visualisation).
Each step moves every pixel by a fixed amount in the direction of the gradient's sign
(projected signed gradient ascent, as in the iterative attack of Kurakin et al. 2017):

    x ← clip(x + η · sign(∇_x log p(target | x)), 0, 1)

An image stops moving once it reaches the target confidence, so each one is just over the line.

References:
    Nguyen, Yosinski & Clune, "Deep Neural Networks are Easily Fooled: High Confidence
    Predictions for Unrecognizable Images", CVPR 2015.
    Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks: Visualising Image
    Classification Models and Saliency Maps", ICLR workshop 2014.
    Kurakin, Goodfellow & Bengio, "Adversarial Examples in the Physical World", ICLR workshop
    2017.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from labcore.device import rng_for
from labcore.models.classifier import TrainedClassifier
from labcore.models.train import Progress

TARGET_CONFIDENCE = 0.99


@dataclasses.dataclass(frozen=True)
class FoolingImages:
    """Images made to fool a classifier, and how sure it is of them.

    Attributes:
        images: (n, d) float32 pixels in [0, 1].
        start: (n, d) the uniform noise each image started from.
        target: (n,) the class each image was pushed towards (0, 1, …, K−1, 0, 1, …).
        confidence: (n,) the network's probability of the target class at the end.
        steps: (n,) ascent steps each image took (``max_steps`` if it never got there).
    """

    images: np.ndarray
    start: np.ndarray
    target: np.ndarray
    confidence: np.ndarray
    steps: np.ndarray

    @property
    def reached(self) -> np.ndarray:
        """(n,) whether each image reached the target confidence."""
        return self.confidence >= TARGET_CONFIDENCE


def _log_prob(model: torch.nn.Module, x: torch.Tensor, target: torch.Tensor, k: int):
    """log of the members' mean softmax probability of ``target``, (n,)."""
    log_p = torch.log_softmax(model(x, dropout=False)[..., :k], dim=-1)  # (M, n, K)
    picked = log_p.gather(-1, target.expand(log_p.shape[0], -1).unsqueeze(-1)).squeeze(-1)
    return torch.logsumexp(picked, dim=0) - np.log(log_p.shape[0])


def make_fooling_images(
    classifier: TrainedClassifier,
    n: int,
    seed: int = 0,
    *,
    target_confidence: float = TARGET_CONFIDENCE,
    step_size: float = 0.02,
    max_steps: int = 300,
    progress: Progress | None = None,
) -> FoolingImages:
    """Push uniform-noise images until ``classifier`` gives each one its target class ≥ 99 %.

    Args:
        classifier: the network to fool (an ensemble is fooled on its mean probability).
        n: how many images; targets cycle through the classes.
        seed: seeds the starting noise.
        target_confidence: stop an image once its target probability reaches this.
        step_size: η, how far each pixel moves per step (pixels are in [0, 1]).
        max_steps: give up on an image after this many steps.
        progress: ``progress(fraction, message)`` every few steps.

    Returns:
        The images, where they started, their targets, final confidences and steps taken.
    """
    if n < 1:
        raise ValueError(f"Number of fooling images must be at least 1. Got {n}.")
    if not 0 < target_confidence < 1:
        raise ValueError(f"Target confidence must be between 0 and 1. Got {target_confidence}.")
    k = classifier.n_classes
    d = classifier.model.in_dim
    device = classifier.device
    start = rng_for(seed, "fooling").random((n, d)).astype(np.float32)
    target_np = np.arange(n) % k
    x = torch.as_tensor(start, device=device)
    target = torch.as_tensor(target_np, device=device)
    threshold = float(np.log(target_confidence))
    steps = torch.full((n,), max_steps, dtype=torch.long, device=device)
    active = torch.ones(n, dtype=torch.bool, device=device)
    for step in range(max_steps + 1):
        x_var = x.detach().requires_grad_(True)
        log_p = _log_prob(classifier.model, x_var, target, k)
        done = (log_p.detach() >= threshold) & active
        steps[done] = step
        active &= ~done
        if not bool(active.any()) or step == max_steps:
            break
        (grad,) = torch.autograd.grad(log_p[active].sum(), x_var)
        x = torch.where(active[:, None], (x + step_size * grad.sign()).clamp(0.0, 1.0), x)
        if progress is not None and step % 10 == 0:
            progress(step / max_steps, f"fooling images: step {step}, {int(active.sum())} left")
    with torch.no_grad():
        confidence = torch.exp(_log_prob(classifier.model, x, target, k))
    return FoolingImages(
        images=x.detach().cpu().numpy().astype(np.float32), start=start, target=target_np,
        confidence=confidence.cpu().numpy().astype(float), steps=steps.cpu().numpy(),
    )
