"""Input checks shared by the metric functions: one place says what a bad array is.

Every check raises ``ValueError("<name> must be …. Got <value>.")``. The arrays checked here are
the lab's own (model outputs, scores), made from inputs already checked as
:class:`~labcore.errors.SettingError`: a failure is the lab's bug, and a page reports it as one.

Example:
    >>> float_array([1, 2], "scores", ndim=1)
    array([1., 2.])
    >>> float_array([1.0, float("nan")], "scores", ndim=1)
    Traceback (most recent call last):
    ...
    ValueError: scores must contain only finite numbers. Got nan.
"""

from __future__ import annotations

import numpy as np


def float_array(values: object, name: str, ndim: int | None = None,
                check_finite: bool = True, layout: str | None = None) -> np.ndarray:
    """``values`` as a non-empty float array with ``ndim`` dimensions and only finite entries.

    Args:
        values: anything ``np.asarray`` accepts.
        name: what the message calls the argument, e.g. ``"scores_in"``.
        ndim: the number of dimensions required; None accepts any.
        check_finite: refuse NaN and ±inf (leave it to the caller when False).
        layout: how the message names the required shape, e.g. ``"(S, n, K)"`` or ``"1-D"``;
            then a wrong shape and an empty array both read
            ``"<name> must be a non-empty <layout> array. Got shape …."``.

    Raises:
        ValueError: wrong number of dimensions, no entries, or a NaN/inf entry.

    Example:
        >>> float_array([[1.0, 2.0]], "logits", ndim=3, layout="(S, n, K)")
        Traceback (most recent call last):
        ...
        ValueError: logits must be a non-empty (S, n, K) array. Got shape (1, 2).
    """
    array = np.asarray(values, dtype=float)
    wrong_ndim = ndim is not None and array.ndim != ndim
    if layout is not None and (wrong_ndim or array.size == 0):
        raise ValueError(f"{name} must be a non-empty {layout} array. Got shape {array.shape}.")
    if wrong_ndim:
        raise ValueError(f"{name} must be a {ndim}-D array. Got shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty. Got shape {array.shape}.")
    if check_finite:
        finite = np.isfinite(array)
        if not finite.all():
            raise ValueError(f"{name} must contain only finite numbers. Got {array[~finite][0]}.")
    return array
