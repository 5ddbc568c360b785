"""The OOD page's claims at its default (issue #13): shift lowers accuracy and raises ECE with
severity (Ovadia et al. 2019), and fooling images reach ≥ 99 % confidence (Nguyen et al. 2015),
with room to spare on seeds 0–4 (issue #22).

The tests train the page's own default, ``OODLabConfig()``, with its fixed seed or seeds 0–4.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from labcore.data.classification import load_digits_split
from labcore.experiments.ood import report
from labcore.experiments.ood.config import OODLabConfig
from labcore.experiments.ood.fooling import TARGET_CONFIDENCE, make_fooling_images
from labcore.experiments.ood.models import train_models
from labcore.experiments.ood.run import run_ood, run_shift

SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def shift():
    assert report.PRESETS[report.SHIFT_PRESET] == OODLabConfig()
    return run_shift(OODLabConfig().shift_config())


@pytest.mark.science
def test_accuracy_falls_and_ece_rises_at_every_severity(shift):
    # Plain network, averaged over the six corruptions, seed 0. Measured accuracy
    # 0.959 0.945 0.889 0.778 0.628 0.425 and ECE 0.023 0.035 0.063 0.137 0.239 0.403 at
    # severities 0–5 (seed 1: 0.961 … 0.479 and 0.019 … 0.352). Bounds: every step lowers
    # accuracy by ≥ 0.5 points and raises ECE by ≥ 0.005; clean → 5 loses ≥ 25 points.
    acc, ece = shift.curve("accuracy")[0], shift.curve("ece")[0]
    assert shift.methods[0] == "plain"
    assert np.all(np.diff(acc) <= -0.005), f"accuracy by severity {acc.round(3)}"
    assert np.all(np.diff(ece) >= 0.005), f"ECE by severity {ece.round(3)}"
    assert acc[0] - acc[-1] >= 0.25, f"accuracy {acc[0]:.3f} → {acc[-1]:.3f}"
    # Over-confident: confidence falls less than accuracy (measured 0.981 → 0.828).
    conf = shift.curve("confidence")[0]
    assert conf[0] - conf[-1] < acc[0] - acc[-1], f"confidence {conf.round(3)}"
    notice = report.shift_notice(shift)
    assert "ECE rises at every step" in notice
    assert f"accuracy {acc[0]:.1%} → {acc[-1]:.1%}" in notice, notice


@pytest.mark.science
def test_fooling_images_reach_99_percent_at_the_default():
    # The plain network of the detection view (digits 0–4, default settings, seed 0), attacked
    # as the page attacks it (run.FOOLING_AIM). Measured: lowest confidence 0.99901 (0.9905
    # when the attack stopped at 99 %). Checked with torch's own softmax of the network's
    # logits. Bound: every image ≥ 0.998.
    from labcore.experiments.ood.config import FOOLING_AIM

    config = OODLabConfig().detection_config()
    data = load_digits_split(config.seed, classes=config.classes)
    plain = train_models(("plain",), config, data)["plain"]
    fooling = make_fooling_images(plain, config.n_fooling, config.seed,
                                  target_confidence=FOOLING_AIM)
    logits = torch.as_tensor(plain.predict(fooling.images).logits[0])
    probs = torch.softmax(logits, dim=-1).numpy()
    target = probs[np.arange(len(probs)), fooling.target]
    assert target.min() >= 0.998, f"lowest target confidence {target.min():.4f}"
    assert np.all(probs.argmax(axis=1) == fooling.target)
    # The images are not digits: far from every training image (measured mean distance).
    nearest = np.sqrt(((fooling.images[:, None] - data.x_train[None]) ** 2).sum(-1)).min(1)
    assert nearest.min() > 1.0, f"closest fooling image to a training digit: {nearest.min():.2f}"


@pytest.mark.science
def test_fooling_images_clear_99_percent_with_room_on_seeds_0_to_4():
    # The detection view's run at seeds 0–4. When the attack stopped at 99 % the least sure
    # image sat at 0.99055, 0.99008, 0.99010, 0.99008, 0.99013: just over the caption's
    # line. Aiming at 99.9 % it sits at ≥ 0.9990 on every seed (at most 51 ascent steps of
    # 300). Bounds: every image ≥ 0.998, and the caption says "every one of the 60" with the
    # lowest confidence it measured.
    lowest = []
    for seed in SEEDS:
        result = run_ood(OODLabConfig(seed=seed).detection_config())
        plain = result.fooling_confidence["plain"]
        # The page's confidence (softmax of the logits) is the attack's own (log-softmax
        # averaged in log space) to float precision.
        assert np.allclose(plain, result.fooling.confidence, atol=1e-5)
        lowest.append(plain.min())
        notice = report.fooling_notice(result)
        assert (f"every one of the {plain.size} its target digit with at least "
                f"{plain.min():.1%}") in notice, notice
    assert min(lowest) >= 0.998, f"lowest confidence per seed {np.round(lowest, 5)}"
    assert min(lowest) >= TARGET_CONFIDENCE


@pytest.mark.science
def test_the_shift_caption_states_the_ensemble_without_a_verdict(shift):
    # The ensemble's accuracy at severity 5 minus the plain network's: +6.4, +0.8, +2.2, +2.5,
    # +2.2 points on seeds 0–4 and −4.3 to +2.1 on seeds 5–9, so the caption gives the numbers
    # and no "holds up better" that a different seed would contradict.
    acc, ece = shift.curve("accuracy"), shift.curve("ece")
    i = shift.methods.index("ensemble")
    notice = report.shift_notice(shift)
    assert (f"The deep ensemble has accuracy {acc[i, -1]:.1%} and ECE {ece[i, -1]:.3f} at "
            f"severity 5 ({100 * (acc[i, -1] - acc[0, -1]):+.1f} points of accuracy") in notice
    assert "holds up" not in notice and "more robust" not in notice
