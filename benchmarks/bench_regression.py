"""Regression engine speed: one model vs scikit-learn, batched vs sequential ensembles.

The page's default run is timed in ``bench_pages`` (its retrain, and the server's redraw).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch

from benchmarks.common import Row, median_time
from labcore.losses import mse
from labcore.models.mlp import BatchedMLP
from labcore.models.train import TrainConfig, train

N_POINTS, STEPS, HIDDEN = 500, 1000, 64


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-4, 4, N_POINTS)
    y = x**3 + 3 * rng.standard_normal(N_POINTS)
    return (x - x.mean()) / x.std(), (y - y.mean()) / y.std()


def _train_torch(x: torch.Tensor, y: torch.Tensor, members: int, seed: int = 0) -> None:
    model = BatchedMLP(members, 1, 1, hidden=HIDDEN, n_layers=2, seed=seed)

    def loss_fn(m, batch):
        return mse(m(batch[0])[..., 0], batch[1], reduction="member")

    train(model, loss_fn, (x, y), TrainConfig(steps=STEPS, lr=1e-3, eval_every=50))


def _train_sklearn(x: np.ndarray, y: np.ndarray) -> None:
    from sklearn.neural_network import MLPRegressor

    model = MLPRegressor(
        hidden_layer_sizes=(HIDDEN, HIDDEN), solver="adam", batch_size=N_POINTS,
        learning_rate_init=1e-3, max_iter=STEPS, tol=0.0, n_iter_no_change=STEPS + 1,
        shuffle=False, random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x[:, None], y)
    assert model.n_iter_ == STEPS


def run(quick: bool = False) -> list[Row]:
    """Training speed with every core, as scikit-learn's BLAS uses them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        return _training_rows(quick)
    finally:
        torch.set_num_threads(threads)


def _training_rows(quick: bool) -> list[Row]:
    repeats = 1 if quick else 3
    x_np, y_np = _data()
    x = torch.as_tensor(x_np, dtype=torch.float32)[:, None]
    y = torch.as_tensor(y_np, dtype=torch.float32)

    t_one = median_time(lambda: _train_torch(x, y, 1), repeats)
    t_sk = median_time(lambda: _train_sklearn(x_np, y_np), repeats)
    t_batched = median_time(lambda: _train_torch(x, y, 5), repeats)
    t_seq = median_time(lambda: [_train_torch(x, y, 1, seed=s) for s in range(5)], repeats)
    return [
        Row("one model: torch / sklearn MLPRegressor", t_one / t_sk, "×", "≤ 1 ×",
            t_one / t_sk <= 1.0,
            f"2×{HIDDEN}, {STEPS} full-batch Adam steps, {N_POINTS} pts, "
            f"{torch.get_num_threads()} threads: "
            f"{t_one:.2f} s vs {t_sk:.2f} s"),
        Row("5-member ensemble: sequential / batched", t_seq / t_batched, "×", "≥ 2 ×",
            t_seq / t_batched >= 2.0, f"{t_seq:.2f} s vs {t_batched:.2f} s"),
        Row("5-member ensemble batched / one model", t_batched / t_one, "×", "≤ 2 ×",
            t_batched / t_one <= 2.0, f"{t_batched:.2f} s vs {t_one:.2f} s"),
    ]

