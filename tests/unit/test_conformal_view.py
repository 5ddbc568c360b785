"""The conformal view's largest-sets panel: what it says when every set holds one class.

A hand-made run whose numbers can be checked on paper. Three classes; LAC scores a class by
1 − its probability. The 99 calibration points give their true class the probability
1 − i/100 (i = 0 … 98), so their scores are 0.00, 0.01, …, 0.98 and q̂ at α is the
⌈100 · (1 − α)⌉-th smallest: 0.49 at α = 0.5, 0.59 at α = 0.4, 0.69 at α = 0.3. The 8 test
points give class 0 (their label) 0.6 and class 1 ``second``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from labcore.experiments.calibration import methods

N_CAL, N_TEST = 99, 8


def _run(second: float) -> SimpleNamespace:
    p_true = 1 - np.arange(N_CAL) / 100
    cal = np.stack([p_true, (1 - p_true) / 2, (1 - p_true) / 2], axis=1)
    test = np.tile([1 - second, second, 0.0], (N_TEST, 1))
    model = SimpleNamespace(name="Plain CE", val_logits=np.log(np.clip(cal, 1e-12, None)),
                            test_logits=np.log(np.clip(test, 1e-12, None)))
    return SimpleNamespace(model=lambda kind: model, y_val=np.zeros(N_CAL, dtype=np.int64),
                           y_test=np.zeros(N_TEST, dtype=np.int64), n_classes=3)


def test_all_single_classes_say_why_and_the_alpha_that_shows_larger_sets() -> None:
    # α = 0.5: q̂ = 0.49 takes class 0 (score 0.4) but not class 1 (score 0.6).
    view = methods.conformal_view(_run(second=0.4), "plain", 0.5, "lac")
    assert view.sets.qhat == pytest.approx(0.49)
    assert view.max_size == 1 and view.accuracy == 1.0
    # α = 0.4 still has q̂ = 0.59 < 0.6; α = 0.3 has q̂ = 0.69 ≥ 0.6: every test set {0, 1}.
    assert view.larger_alpha == 0.3
    assert methods.largest_sets_caption(view) == (
        "Notice: every test digit gets a single class at α = 0.5: the model's top class is "
        "right on 1.000 of the test digits, already more than 1 − α = 0.500, so no set needs "
        "a second class. Shown: the 8 test digits the model is least sure of. Lower α to 0.3 "
        "to see larger sets.")
    lower = methods.conformal_view(_run(second=0.4), "plain", 0.3, "lac")
    assert lower.max_size == 2 and lower.larger_alpha is None
    assert lower.members == ((0, 1),) * N_TEST
    assert methods.largest_sets_caption(lower) == (
        "Notice: at α = 0.3, 8 of 8 test digits get more than one class; the largest set holds "
        "2 classes. Shown: the 8 test digits with the largest sets.")


def test_when_no_alpha_gives_larger_sets_the_caption_says_down_to_which() -> None:
    # Class 1 scores 0.99, above every calibration score (at most 0.98): no α admits it. The
    # smallest α that 99 calibration points allow is 0.01 (n ≥ 1/α − 1 = 99).
    view = methods.conformal_view(_run(second=0.01), "plain", 0.1, "lac")
    assert view.max_size == 1 and view.larger_alpha is None
    assert methods.largest_sets_caption(view).endswith(
        "No α down to 0.01 (the smallest 99 calibration points allow) gives 8 test digits a "
        "larger set.")


def test_the_suggested_alphas_are_values_the_alpha_control_can_take() -> None:
    assert methods.ALPHA_STEPS[:6] == (0.5, 0.4, 0.3, 0.2, 0.1, 0.09)
    assert methods.ALPHA_STEPS[-1] == 0.001
    assert all(round(a * 1000) == pytest.approx(a * 1000) for a in methods.ALPHA_STEPS)
