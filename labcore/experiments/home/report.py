"""The Home page's "Notice:" lines, built from the sample on screen.

Each states the theorem the chart shows (the NLL's minimiser is the sample mean, median,
fraction of ones or class-0 frequency) with this sample's numbers, so a student can check it
against the chart: the grid's lowest NLL, the closed-form value and the true parameter.
"""

from __future__ import annotations

import numpy as np

from labcore.experiments.home.run import MLEResult


def data_notice(result: MLEResult) -> str:
    """What to notice in the sample-and-model figure.

    Example:
        >>> from labcore.experiments.home.config import MLEConfig
        >>> from labcore.experiments.home.run import run_mle
        >>> data_notice(run_mle(MLEConfig()))[:60]
        'Notice: the dashed best fit sits on the sample mean, μ = 0.8'
    """
    symbol = result.recipe.param_symbol
    best, true = f"{result.closed_form:.2f}", f"{result.true_param:.2f}"
    if result.distribution == "gaussian":
        return (f"Notice: the dashed best fit sits on the sample mean, {symbol} = {best}, not on "
                f"the true {symbol} = {true}: the sample is all the fit can see. Move the slider "
                "and the bell slides along the data.")
    if result.distribution == "laplace":
        return (f"Notice: the best fit sits on the sample median, {symbol} = {best} (true "
                f"{symbol} = {true}); the sharp peak means a far-out observation pulls it less "
                "than it would pull a mean.")
    if result.distribution == "bernoulli":
        return (f"Notice: at the best {symbol} = {best} the model's probability of a one equals "
                f"the observed fraction of ones ({result.frequencies[-1]:.2f}): the orange "
                f"outlined bars match the grey ones (the data were drawn with {symbol} = {true}).")
    return (f"Notice: at the best {symbol} = {best} the orange outlined bar for class 0 matches "
            f"its observed frequency ({result.frequencies[0]:.2f}); classes 1 and 2 keep their "
            "fixed 2 : 1 split, so they need not match.")


def nll_notice(result: MLEResult) -> str:
    """What to notice in the NLL-over-θ figure: where it is lowest, and the familiar loss.

    Example:
        >>> from labcore.experiments.home.config import MLEConfig
        >>> from labcore.experiments.home.run import run_mle
        >>> "MSE" in nll_notice(run_mle(MLEConfig()))
        True
    """
    r, symbol = result.recipe, result.recipe.param_symbol
    where = f"lowest at {symbol} = {result.closed_form:.2f}, the {r.closed_form_name}"
    if result.distribution == "gaussian":
        return (f"Notice: the NLL is {where}; the MSE curve has its minimum at the same place: "
                "minimising MSE is maximum likelihood under a Gaussian with fixed σ.")
    if result.distribution == "laplace":
        ordered = np.sort(result.sample)
        n = len(ordered)
        if n % 2 == 0:
            low, high = ordered[n // 2 - 1], ordered[n // 2]
            where = (f"flat and lowest between the two middle observations, {low:.2f} and "
                     f"{high:.2f}; the sample median {result.closed_form:.2f} lies between them")
        return (f"Notice: the NLL is {where}: minimising MAE is maximum likelihood under a "
                "Laplace with fixed b.")
    return (f"Notice: the NLL and the {r.loss_name} are the same curve, {where}: the "
            f"{r.loss_name} is this distribution's negative log-likelihood.")
