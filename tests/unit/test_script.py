"""The "Download as Python script" scripts: valid, minimal, and reproducing the page's number.

Each script runs in a fresh ``python`` process (one thread, on the CPU) and must print the same
headline metric as the page's run function called here, in this process. The expected numbers
are read from the result directly (calibration: the ECE recomputed from the logits), not from
the script's own headline expression.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from labcore import calibration as cal
from labcore.config import Config
from labcore.experiments.calibration.config import CalibrationConfig
from labcore.experiments.calibration.run import run_calibration
from labcore.experiments.classification.config import ClassificationConfig
from labcore.experiments.classification.run import run_classification
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import run_mle
from labcore.experiments.ood.config import OODConfig, OODLabConfig
from labcore.experiments.ood.run import DETECTORS, run_ood
from labcore.experiments.regression.config import RegressionConfig
from labcore.experiments.regression.run import run_regression
from labcore.script import SCRIPTS, config_source, scene_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def one_cpu_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The same device and thread count here as in the script's process."""
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run_script(source: str, tmp_path: Path) -> str:
    """Run ``source`` as a file in a fresh interpreter; return what it printed."""
    path = tmp_path / "scene.py"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LAB_DEVICE": "cpu", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "LAB_TORCH_THREADS": "1"}
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _home(config: MLEConfig) -> list[str]:
    return [f"{run_mle(config).closed_form:.4f}"]


def _regression(config: RegressionConfig) -> list[str]:
    metrics = run_regression(config).metrics
    return [f"{metrics['nll']:.4f}", f"{metrics['coverage_95']:.4f}"]


def _classification(config: ClassificationConfig) -> list[str]:
    return [f"{run_classification(config).metrics['accuracy']:.4f}"]


def _calibration(config: CalibrationConfig) -> list[str]:
    run = run_calibration(config)
    t = run.plain.temperature
    before, after = (cal.expected_calibration_error(
        cal.softmax(run.plain.test_logits, temperature), run.y_test, n_bins=config.n_bins,
        strategy=config.strategy) for temperature in (1.0, t))
    return [f"{before:.4f}", f"{after:.4f}", f"{t:.4f}"]


def _ood(config: OODConfig) -> list[str]:
    result = run_ood(config)
    column = result.auroc[:, result.ood_sets.index("held_out")]
    best = result.detectors[int(np.argmax(column))]
    return [DETECTORS[best][2], f"{column.max():.4f}"]


# Every page once, the cheap ones at their defaults; the training pages with short, changed
# configs (a default writes an empty call, checked without training below), so the file runs
# in seconds rather than minutes.
CASES: list[tuple[str, Config, Callable[[Any], list[str]]]] = [
    ("home", MLEConfig(), _home),
    ("home", MLEConfig(distribution="bernoulli", n_samples=50, true_p=0.7, seed=3), _home),
    ("regression", RegressionConfig(steps=200), _regression),
    ("regression", RegressionConfig(method="mc_dropout", steps=200, n_points=40, mc_samples=10,
                                    loss="beta_nll", gap_width=2.0), _regression),
    ("classification", ClassificationConfig(dataset="moons", steps=100, loss="ce",
                                            label_noise=0.2, n_views=2), _classification),
    ("calibration", CalibrationConfig(dataset="blobs", n_points=600, steps=100, n_bins=10,
                                      strategy="quantile"), _calibration),
]


@pytest.mark.parametrize(("page", "config", "expected"), CASES,
                         ids=[f"{p}-{'default' if c == type(c)() else 'changed'}"
                              for p, c, _ in CASES])
def test_script_prints_the_pages_headline(page: str, config: Config,
                                          expected: Callable[[Any], list[str]],
                                          tmp_path: Path) -> None:
    source = scene_script(page, config)
    compile(source, f"{page}_scene.py", "exec")  # valid Python
    printed = run_script(source, tmp_path)
    print(f"{page}: {printed}")  # shown with pytest -rP
    numbers = expected(config)
    assert all(n in printed for n in numbers), f"script printed {printed!r}, run gave {numbers}"


def test_the_ood_pages_whole_config_keeps_the_detection_fields(tmp_path: Path) -> None:
    page_config = OODLabConfig(steps=100, members=2, hidden=32, n_fooling=10, mc_samples=5,
                               toy="circles")  # toy is another view's field: not in the script
    source = scene_script("ood", page_config)
    assert "toy" not in source
    printed = run_script(source, tmp_path)
    numbers = _ood(page_config.detection_config())
    assert all(n in printed for n in numbers), f"script printed {printed!r}, run gave {numbers}"


def _config_in(source: str) -> Config:
    """The config the script builds, evaluated alone (no training)."""
    tree = ast.parse(source)
    (assign,) = [n for n in tree.body if isinstance(n, ast.Assign)
                 and getattr(n.targets[0], "id", None) == "config"]
    imports = ast.Module([n for n in tree.body if isinstance(n, ast.ImportFrom)], [])
    names: dict[str, Any] = {}
    exec(compile(imports, "imports", "exec"), names)
    return eval(compile(ast.Expression(assign.value), "config", "eval"), names)


@pytest.mark.parametrize("page", list(SCRIPTS))
def test_defaults_are_written_as_an_empty_call(page: str) -> None:
    cls = {"home": MLEConfig, "regression": RegressionConfig,
           "classification": ClassificationConfig, "calibration": CalibrationConfig,
           "ood": OODConfig}[page]
    source = scene_script(page, cls())
    assert f"config = {cls.__name__}()\n" in source
    assert _config_in(source) == cls()


def test_only_changed_fields_are_written_and_read_back_exactly() -> None:
    config = RegressionConfig(lr=0.0033, function="sine", early_stopping=True, n_points=35)
    text = config_source(config)
    assert text.splitlines() == ["RegressionConfig(", "    function='sine',", "    n_points=35,",
                                 "    lr=0.0033,", "    early_stopping=True,", ")"]
    assert _config_in(scene_script("regression", config)) == config


def test_unknown_page_and_foreign_config_are_errors() -> None:
    with pytest.raises(ValueError, match="Got 'nope'"):
        scene_script("nope", MLEConfig())
    with pytest.raises(ValueError, match="Got MLEConfig without"):
        scene_script("regression", MLEConfig())


@pytest.mark.parametrize("page", list(SCRIPTS))
def test_the_script_sets_torch_up_like_the_server_before_it_trains(page: str) -> None:
    # The server runs torch with labcore.device.configure_threads (one thread by default); a
    # script on all cores may sum in another order and print a number the page does not show.
    cls = {"home": MLEConfig, "regression": RegressionConfig,
           "classification": ClassificationConfig, "calibration": CalibrationConfig,
           "ood": OODConfig}[page]
    tree = ast.parse(scene_script(page, cls()))
    calls = [ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Expr | ast.Assign)]
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert "from labcore.device import configure_threads, describe_device" in imports
    run_name = SCRIPTS[page].run
    assert calls.index("configure_threads()") < calls.index(f"{run_name}(config)")
    assert calls[calls.index("configure_threads()") + 1] == (
        "print(f'Computing on: {describe_device()}')")


def test_a_script_on_a_machine_without_lab_settings_uses_one_thread(tmp_path: Path) -> None:
    # No LAB_TORCH_THREADS, no OMP_NUM_THREADS: torch alone would take every core.
    path = tmp_path / "home_scene.py"
    path.write_text(scene_script("home", MLEConfig()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "OMP_", "MKL_"))}
    env.update(PYTHONPATH=str(ROOT), LAB_DEVICE="cpu")
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    first, headline = done.stdout.strip().splitlines()
    assert first == "Computing on: CPU (1 thread)"
    assert headline == f"maximum-likelihood μ = {run_mle(MLEConfig()).closed_form:.4f} " \
                       "(data drawn with 1.0000)"
