"""Train live: frames while the Regression lab trains, and a result identical to the plain run;
the bands chart's y range; the captions built from the numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from labcore.experiments.live_frames import record_frame
from labcore.experiments.regression import compare, report
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.live import (
    frame_interval,
    keep_frames,
    run_regression_live,
)
from labcore.experiments.regression.run import run_regression
from labcore.plots import regression as plots

CONFIGS = {
    "ensemble": RegressionConfig(steps=200, members=3, hidden=32),
    "mc_dropout": RegressionConfig(steps=200, method="mc_dropout", mc_samples=10, hidden=32),
    "none_mse": RegressionConfig(steps=200, method="none", loss="mse", hidden=32),
}


def _assert_same(a, b) -> None:
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=field.name)
        else:
            assert x == y, field.name


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_live_result_equals_the_plain_one_and_frames_are_well_formed(name: str) -> None:
    config = CONFIGS[name]
    frames = []
    live = run_regression_live(config, frames.append, frame_every=25)
    _assert_same(run_regression(config), live)
    # Every 25 of 200 steps (a multiple: no extra frame after the last).
    assert [f.step for f in frames] == list(range(25, 201, 25))
    for f in frames:
        assert f.total_steps == 200 and f.train_loss.shape == (f.step,)
        assert f.pred_mean.shape == f.aleatoric_std.shape == live.x_grid.shape
        assert np.all(f.aleatoric_std > 0) and np.all(f.epistemic_std >= 0)
        np.testing.assert_allclose(f.total_std**2, f.aleatoric_std**2 + f.epistemic_std**2)
    # The last frame's loss curve is the result's, averaged over the members.
    np.testing.assert_array_equal(frames[-1].train_loss, live.train_loss.mean(axis=1))
    # Each frame's curve is the start of the final one (the frames saw the same training).
    for f in frames:
        np.testing.assert_array_equal(f.train_loss, frames[-1].train_loss[: f.step])
    if name == "none_mse":  # one network: no spread between members
        assert not any(f.epistemic_std.any() for f in frames)
    if name == "ensemble":  # no sampling: the last frame is the result on the grid
        np.testing.assert_allclose(frames[-1].pred_mean, live.pred_mean, rtol=1e-12)
        np.testing.assert_allclose(frames[-1].epistemic_std, live.epistemic_std, rtol=1e-9)
        np.testing.assert_allclose(frames[-1].aleatoric_std, live.aleatoric_std, rtol=1e-9)


def test_the_default_gives_25_frames_and_a_last_frame_after_an_odd_step_count() -> None:
    assert frame_interval(RegressionConfig().steps) == 20  # 500 / 20 = 25 frames
    frames = []
    run_regression_live(RegressionConfig(steps=130, members=2, hidden=16), frames.append,
                        frame_every=50)
    assert [f.step for f in frames] == [50, 100, 130]


def test_the_kept_weights_frame_replaces_the_last_frame_at_the_same_step() -> None:
    # The default (Gaussian NLL, 500 steps) ends worse on the validation points than at its
    # best, so the networks get earlier weights back and the runner sends a second frame at
    # step 500; recorded by the shared rule, the frames are one per 20 steps and end on it.
    sent, recorded = [], []

    def on_frame(frame) -> None:
        sent.append(frame)
        record_frame(recorded, frame)

    result = run_regression_live(RegressionConfig(), on_frame)
    assert [f.step for f in sent][-3:] == [480, 500, 500]
    assert [f.step for f in recorded] == list(range(20, 501, 20))
    assert recorded[-1] is sent[-1]
    # An ensemble samples nothing: the kept frame is the result on the grid, the replaced not.
    np.testing.assert_allclose(recorded[-1].pred_mean, result.pred_mean, rtol=1e-12)
    assert not np.allclose(sent[-2].pred_mean, result.pred_mean, rtol=1e-6)


def test_keep_frames_thins_evenly_and_keeps_both_ends() -> None:
    assert keep_frames(list(range(5)), 10) == [0, 1, 2, 3, 4]
    assert keep_frames(list(range(101)), 5) == [0, 25, 50, 75, 100]
    with pytest.raises(ValueError, match="Got 1"):
        keep_frames([0, 1], 1)


def test_frame_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="Got 0"):
        run_regression_live(CONFIGS["none_mse"], lambda f: None, frame_every=0)


def test_y_limits_clip_a_wild_band_at_half_the_reference_span() -> None:
    # Reference [0, 10]: a band down to −2 is kept, one up to 30 is cut at 10 + 0.5·10 = 15;
    # then 5 % of the height 17 on each side.
    lo, hi = plots.y_limits([np.array([0.0, 10.0])], [np.array([-2.0, 30.0])])
    assert lo == pytest.approx(-2 - 0.05 * 17) and hi == pytest.approx(15 + 0.05 * 17)
    assert plots.y_limits([np.array([1.0, 3.0, np.nan])]) == pytest.approx([0.9, 3.1])


@pytest.mark.science
def test_the_default_y_range_shows_the_truth_and_the_band_over_the_whole_grid() -> None:
    result = run_regression(report.PRESETS["S2 · Cubic, 20 points (Lakshminarayanan et al. 2017)"])
    lo, hi = plots._y_range(result)
    t_lo, t_hi = result.true_mean - 2 * result.true_std, result.true_mean + 2 * result.true_std
    # The cubic reaches ±216 at x = ±6 (true σ = 3): the whole truth band is on the chart.
    assert lo <= t_lo.min() and hi >= t_hi.max(), (lo, hi)
    b_lo = result.pred_mean - 2 * result.total_std
    b_hi = result.pred_mean + 2 * result.total_std
    inside = np.mean((b_lo >= lo) & (b_hi <= hi))
    assert inside == 1.0, f"band on the chart on {inside:.0%} of the grid, range {lo, hi}"
    # …and the ensemble's band opens up beyond the data, where the old range cut it off.
    beyond = np.abs(result.x_grid) > 4
    assert result.epistemic_std[beyond].mean() > 1.5 * result.epistemic_std[~beyond].mean()


def test_the_live_y_range_is_the_data_and_truth_band_padded_5_percent_in_every_frame() -> None:
    frames = []
    run_regression_live(CONFIGS["none_mse"], frames.append, frame_every=100)
    scene = frames[0].scene
    # The reference span: the training y and the truth ± 2σ(x) on the grid, padded by 5 % of
    # its height on each side (y_limits' rule, checked by hand in the test above).
    lo = min(scene.y_train.min(), (scene.true_mean - 2 * scene.true_std).min())
    hi = max(scene.y_train.max(), (scene.true_mean + 2 * scene.true_std).max())
    pad = 0.05 * (hi - lo)
    assert plots.live_y_range(scene) == pytest.approx([lo - pad, hi + pad])
    # One scene per run: the first and last frame give the same axis (it does not jump).
    assert plots.live_y_range(frames[-1].scene) == plots.live_y_range(scene)
    notice = report.live_notice(frames, 0)
    assert notice.startswith("Notice: step 100 of 200") and "no epistemic band" in notice


def _calibrated(expected: np.ndarray, observed: np.ndarray) -> RegressionConfig:
    result = run_regression(CONFIGS["none_mse"])
    return dataclasses.replace(result, calibration_expected=expected,
                               calibration_observed=observed)


def test_the_calibration_caption_reads_the_largest_gap() -> None:
    levels = np.array([0.5, 0.9, 0.95])
    over = report.calibration_notice(_calibrated(levels, np.array([0.48, 0.80, 0.93])))
    assert "central 90% interval holds 80.0%" in over and "too narrow" in over
    assert "-10.0%" in over
    fine = report.calibration_notice(_calibrated(levels, np.array([0.51, 0.92, 0.95])))
    assert "within 2.0% of the diagonal" in fine and report.GAP_PRESET in fine
    wide = report.calibration_notice(_calibrated(levels, np.array([0.60, 0.95, 0.97])))
    assert "too wide" in wide and "+10.0%" in wide


def test_the_mse_vs_nll_caption_reads_the_spread_of_sigma_and_the_rmse() -> None:
    base = run_regression(CONFIGS["none_mse"])  # constant true noise (cubic)
    x = base.x_grid
    varying = 1.0 + (x - x.min())  # 1 … 13 on the grid

    def with_(std: np.ndarray, rmse: float):
        return dataclasses.replace(base, aleatoric_std=std,
                                   metrics={**base.metrics, "rmse": rmse})

    names = list(compare.loss_comparison(CONFIGS["none_mse"]))
    inside = (x >= -4) & (x <= 4)
    ratio = np.percentile(varying[inside], 90) / np.percentile(varying[inside], 10)
    runs = dict(zip(names, [with_(np.full(x.shape, 2.0), 1.0), with_(varying, 1.2),
                            with_(varying, 1.0)], strict=True))
    notice = compare.loss_comparison_notice(runs)
    assert f"varies {ratio:.1f}× for the Gaussian NLL" in notice
    assert "the true σ(x) is about the same everywhere here, 1.0×" in notice
    assert "fits the mean less" in notice  # 1.2 > 1.05 · 1.0
    runs[names[1]] = with_(varying, 1.02)  # within 5 %: the effect is absent, and said so
    assert "does not show on these settings" in compare.loss_comparison_notice(runs)
