"""A fresh server draws Home before torch is imported (labui.shell.begin_start_up): Home's
imports, its run and its figures must not import torch, or its first chart waits 2 s more."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HOME = """
import sys
import labui.nav, labui.shell, labui.errors, labui.warm, labui.page, labui.figures
import labui.teacher, labui.whatif, labui.present
from labcore.experiments.home.config import MLEConfig
from labcore.experiments.home.run import point_at, run_mle
from labcore.plots import home as plots
config = MLEConfig()
result = run_mle(config, None)
plots.sample_figure(result, point_at(config, result, 1.0), point_at(config, result, 1.0))
print("torch" in sys.modules)
"""


def test_home_imports_runs_and_draws_without_torch() -> None:
    out = subprocess.run([sys.executable, "-c", HOME], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False", out.stderr[-2000:]


def test_the_start_up_thread_sets_torch_up_once_and_a_training_page_waits_for_it() -> None:
    code = ("import sys; from labui.shell import begin_start_up, started\n"
            "f = begin_start_up(); assert begin_start_up() is f\n"
            "text, problem = started(); import torch\n"
            "print(text, problem, torch.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True,
                         env={"PATH": "/usr/bin:/bin", "LAB_DEVICE": "cpu",
                              "LAB_TORCH_THREADS": "1", "HOME": str(Path.home())})
    assert out.stdout.split() == ["CPU", "(1", "thread)", "None", "1"], out.stderr[-2000:]
