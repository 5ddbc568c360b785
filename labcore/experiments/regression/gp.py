"""A Gaussian-process reference band for the Regression lab: "the Bayesian yardstick".

scikit-learn's ``GaussianProcessRegressor`` with ``ConstantKernel · RBF + WhiteKernel`` is
fitted on the network's training points (hyper-parameters by maximum marginal likelihood,
``normalize_y=True``). Its posterior over the latent function f gives an epistemic band that
theory says should be thin where there is data and open up away from it, and its fitted white
noise is a homoscedastic estimate of the aleatoric σ² to set beside the network's.
"""

from __future__ import annotations

import dataclasses

import numpy as np

GP_MAX_POINTS = 500
"""The most training points the GP is fitted on: each marginal-likelihood step costs O(n³)
(measured on a loaded 2-core machine, one BLAS thread: 2.8 s at n = 300, 17 s at n = 1000)."""
GP_RESTARTS = 2
"""Optimiser restarts from random hyper-parameters (seeded), besides the initial guess."""


@dataclasses.dataclass(frozen=True)
class GPBand:
    """The GP's posterior on the grid (units of y).

    Attributes:
        mean: (G,) posterior mean of f(x).
        std: (G,) posterior standard deviation of the latent f(x): epistemic only.
        noise_std: √(fitted white-noise variance): the GP's one aleatoric σ for all x.
        kernel: the fitted kernel, as scikit-learn prints it (standardised y).
    """

    mean: np.ndarray
    std: np.ndarray
    noise_std: float
    kernel: str


def fit_gp(x: np.ndarray, y: np.ndarray, x_grid: np.ndarray, seed: int) -> GPBand:
    """Fit the GP on (x, y) and return its latent posterior on ``x_grid``.

    scikit-learn's predictive std includes the fitted white noise (``WhiteKernel`` adds its
    level on the diagonal); the latent variance is that minus the noise variance, both in
    units of y (``normalize_y`` scales them by var(y)).

    Args:
        x, y: (n,) training points, n ≤ GP_MAX_POINTS.
        x_grid: (G,) where to evaluate the posterior.
        seed: seeds the optimiser's restarts.

    Raises:
        ValueError: more than GP_MAX_POINTS points.
    """
    # Imported here: scikit-learn's import takes about a second, and only this option needs it.
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from threadpoolctl import threadpool_limits

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size > GP_MAX_POINTS:
        raise ValueError(
            f"The Gaussian-process reference fits at most {GP_MAX_POINTS:,} training points "
            f"(its cost grows as n³): use fewer points or switch it off. Got {x.size:,}."
        )
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(1.0, (1e-2, 1e2))
              + WhiteKernel(0.1, (1e-6, 1e1)))
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True,
                                  n_restarts_optimizer=GP_RESTARTS, random_state=seed)
    with threadpool_limits(1):  # one BLAS thread, like torch's: sessions share the cores
        gp.fit(x[:, None], y)
        mean, std = gp.predict(np.asarray(x_grid, dtype=float)[:, None], return_std=True)
    y_scale = float(np.std(y)) or 1.0  # what normalize_y divides by
    noise_var = float(gp.kernel_.k2.noise_level) * y_scale**2
    latent_var = np.maximum(std**2 - noise_var, 0.0)
    return GPBand(mean=np.asarray(mean, dtype=float), std=np.sqrt(latent_var),
                  noise_std=float(np.sqrt(noise_var)), kernel=str(gp.kernel_))
