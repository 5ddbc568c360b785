"""The house rules (README's "Layout" section), checked on the source: who may import
streamlit, plotly and the launcher, that every module or function a docstring names exists,
and the one lab shape (packages, descriptors, settings declared once, pages of view functions)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_engine_never_imports_streamlit():
    offenders = [p.relative_to(ROOT) for p in _python_files("labcore")
                 if "streamlit" in _imported_roots(p)]
    assert offenders == []


def test_only_labcore_plots_imports_plotly():
    plots = ROOT / "labcore" / "plots"
    offenders = [p.relative_to(ROOT) for p in _python_files("labcore")
                 if "plotly" in _imported_roots(p) and plots not in p.parents]
    assert offenders == []


def test_the_checker_sees_imports():
    # Guards the two tests above against passing vacuously: the regression page does import
    # streamlit and the regression figures do import plotly.
    assert "streamlit" in _imported_roots(ROOT / "pages" / "regression.py")
    assert "plotly" in _imported_roots(ROOT / "labcore" / "plots" / "regression.py")


def _html_calls_with_text_from_outside(path: Path) -> list[int]:
    """Lines of ``st.html`` calls whose markup is not a string constant of the module: only
    constant markup (a stylesheet, a script the lab wrote) may go through ``st.html``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {t.id for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                 for t in node.targets if isinstance(t, ast.Name)}
    bad = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "html" and ast.unparse(node.func.value) == "st"):
            arg = node.args[0] if node.args else None
            constant = (isinstance(arg, ast.Constant) and isinstance(arg.value, str)) or (
                isinstance(arg, ast.Name) and arg.id in constants)
            if not constant:
                bad.append(node.lineno)
    return bad


def test_no_page_renders_raw_html():
    # User text (file names, column names, labels) reaches the page; Streamlit escapes HTML in
    # markdown unless told otherwise, so nobody may tell it otherwise. st.html may only take a
    # string constant of its module (labui/present.py's stylesheet, the scripts the lab wrote).
    sources = [ROOT / "app.py", *_python_files("pages"), *_python_files("labui")]
    offenders = [p.relative_to(ROOT) for p in sources
                 if any(s in p.read_text(encoding="utf-8")
                        for s in ("unsafe_allow_html", "components.html"))
                 or _html_calls_with_text_from_outside(p)]
    assert offenders == []


def test_the_html_checker_sees_markup_built_from_a_variable(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('import streamlit as st\nCSS = "<style></style>"\nst.html(CSS)\n'
                    'name = input()\nst.html(f"<b>{name}</b>")\n')
    assert _html_calls_with_text_from_outside(page) == [5]


def _magic_lines(path: Path) -> list[int]:
    """Lines of a script's bare module-level expressions besides its docstring: Streamlit's
    "magic" writes each one on the page (a string meant as a constant's docstring shows up
    above the title)."""
    body = ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module docstring: magic skips it
    return [node.lineno for node in body
            if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call)]


def test_no_page_script_writes_a_bare_value_by_magic():
    scripts = [ROOT / "app.py", *_python_files("pages")]
    offenders = {str(p.relative_to(ROOT)): lines for p in scripts if (lines := _magic_lines(p))}
    assert offenders == {}


def test_the_magic_checker_sees_a_constant_docstring(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('"""The page."""\nimport streamlit as st\nKEY = "k"\n"""What KEY is."""\n'
                    'st.write(KEY)\n')
    assert _magic_lines(page) == [4]


# Pictographs (U+1F000–U+1FAFF: 📌, 📊, 🎯 …) exist only in colour emoji fonts, which a school's
# Linux projector machine may lack: Debian's Chromium here drew "📌 Pin as A" with an empty
# box. Symbols from the older blocks (✓ ✗ ✕ ⬇ ⇄ ▶) are in DejaVu Sans and the like.
_PICTOGRAPH = re.compile("[\U0001F000-\U0001FAFF]")


def _pictographs_in_strings(path: Path) -> list[tuple[int, str]]:
    """(line, character) of every pictograph in a string literal of ``path`` (text the app
    may show; comments and docstrings are not shown)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                          | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr)}
    return [(node.lineno, char) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docs for char in _PICTOGRAPH.findall(node.value)]


def test_no_text_the_app_shows_needs_an_emoji_font():
    shown = [ROOT / "app.py", *_python_files("pages"), *_python_files("labui"),
             *_python_files("labcore")]
    offenders = {str(p.relative_to(ROOT)): found for p in shown
                 if (found := _pictographs_in_strings(p))}
    assert offenders == {}, "use a Streamlit icon (icon=\":material/…:\") instead"


def test_the_pictograph_checker_sees_an_emoji_label(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('"""📌 in a docstring is not shown."""\nimport streamlit as st\n'
                    '# 📌 nor in a comment\nst.button("\U0001F4CC Pin as A")\n'
                    'st.button("✕ Clear")\n')
    assert _pictographs_in_strings(page) == [(4, "\U0001F4CC")]


_DOTTED = re.compile(r"\b((?:labcore|labui|labserve)(?:\.[A-Za-z_]\w*)+)")
_PATH = re.compile(r"\b((?:labcore|labui|labserve|pages|tests|benchmarks)/[\w/]+\.py)\b")


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` names a module, or an attribute reached from the longest module."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return False
        return True
    return False


def _named_in_text(path: Path) -> tuple[set[str], set[str]]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    docs = [ast.get_docstring(node) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                          | ast.AsyncFunctionDef)]
    comments = [line for line in source.splitlines() if line.strip().startswith("#")]
    text = "\n".join([d for d in docs if d] + comments)
    return set(_DOTTED.findall(text)), set(_PATH.findall(text))


def test_every_module_or_function_a_docstring_names_exists():
    files = [*_python_files("labcore"), *_python_files("labui"), *_python_files("labserve"),
             *_python_files("pages"), ROOT / "app.py"]
    missing = []
    for path in files:
        dotted, paths = _named_in_text(path)
        missing += [f"{path.relative_to(ROOT)}: {name}" for name in sorted(dotted)
                    if not _resolves(name)]
        missing += [f"{path.relative_to(ROOT)}: {name}" for name in sorted(paths)
                    if not (ROOT / name).exists()]
    assert missing == []


def test_the_reference_checker_sees_a_stale_name():
    # Guards the test above against passing vacuously.
    assert _resolves("labcore.models.mlp.BatchedMLP")
    assert not _resolves("labcore.models.BatchedMLP")
    assert not _resolves("labcore.experiments.calibration_sweep")
    assert _DOTTED.findall("see :func:`labcore.device.configure_threads`.") == [
        "labcore.device.configure_threads"]


def _app_sources() -> list[Path]:
    """Every module of the app and the engine: what a student's ``streamlit run app.py`` runs."""
    return [ROOT / "app.py", *_python_files("pages"), *_python_files("labui"),
            *_python_files("labcore")]


def test_the_app_and_the_engine_never_import_the_launcher():
    # labserve starts and measures the app from outside (the class server, the benchmarks); the
    # image ships without it, so an import of it from the app would fail only in production.
    offenders = [p.relative_to(ROOT) for p in _app_sources() if "labserve" in _imported_roots(p)]
    assert offenders == []


def test_the_launcher_checker_sees_an_import_of_labserve(tmp_path):
    # Guards the test above against passing vacuously: labui/run.py as it was before the results
    # cache moved into labui (it imported labserve.shared_cache).
    old = tmp_path / "run.py"
    old.write_text("import streamlit as st\n"
                   "from labserve.shared_cache import from_environment, result_key\n",
                   encoding="utf-8")
    assert "labserve" in _imported_roots(old)
    assert ROOT / "labui" / "run.py" in _app_sources()


SHARED_SETTINGS = ("hidden", "n_layers", "steps", "lr", "members", "dropout", "mc_samples",
                   "seed", "n_bins")
"""Settings several labs have: each is declared with a factory of labcore.fields, so the labs
show one label for it (issue #24: they were once declared five times)."""


def _experiment_configs() -> list[type]:
    """Every Config subclass defined in a module of labcore.experiments."""
    import pkgutil

    import labcore.experiments
    from labcore.config import Config

    found: dict[str, type] = {}
    for module in pkgutil.walk_packages(labcore.experiments.__path__, "labcore.experiments."):
        for value in vars(importlib.import_module(module.name)).values():
            if (isinstance(value, type) and issubclass(value, Config)
                    and value.__module__.startswith("labcore.experiments.")):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def _hand_declared(cls: type) -> list[str]:
    """``Class.field`` for each shared setting of ``cls`` not made by labcore.fields."""
    import dataclasses

    from labcore.fields import SHARED

    return [f"{cls.__qualname__}.{f.name}" for f in dataclasses.fields(cls)
            if f.name in SHARED_SETTINGS and SHARED not in f.metadata]


def test_no_lab_declares_a_shared_setting_by_hand():
    configs = _experiment_configs()
    assert [c for cls in configs for c in _hand_declared(cls)] == []
    # Not vacuous: the five labs' configs are among those checked.
    names = {cls.__qualname__ for cls in configs}
    assert {"ClassificationConfig", "RegressionConfig", "CalibrationConfig", "ModelSettings",
            "MLEConfig"} <= names


def test_the_shared_setting_checker_sees_a_hand_declared_seed():
    import dataclasses

    from labcore.config import Config, param

    @dataclasses.dataclass(frozen=True)
    class Old(Config):
        seed: int = param(0, label="Seed", help="Same seed, same result.", min=0, max=9999)

    assert _hand_declared(Old) == [
        "test_the_shared_setting_checker_sees_a_hand_declared_seed.<locals>.Old.seed"]


# --- one lab shape -------------------------------------------------------------------------------

LAB_MODULES = ("config.py", "run.py", "report.py")
"""What every lab package has (Home included); ``cost.py``, ``live.py`` and ``sweep.py`` where
the lab checks a budget, trains live or sweeps a setting."""


def _lab_packages() -> list[Path]:
    return sorted(p for p in (ROOT / "labcore" / "experiments").iterdir()
                  if (p / "__init__.py").exists())


def _config_classes_outside_config_py(path: Path) -> list[str]:
    """Names of classes in ``path`` that derive from a ``…Config``/``Config``/``…Settings``/
    ``…Data`` config base (by name): configs belong in the lab's ``config.py``."""
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            if any(b == "Config" or b.endswith(("Config", "Settings")) for b in bases):
                found.append(node.name)
    return found


def test_every_lab_package_has_the_lab_shape_and_a_descriptor_in_labs():
    from labcore.experiments import LABS

    packages = _lab_packages()
    assert [p.name for p in packages] == sorted(lab.key for lab in LABS)
    for package in packages:
        missing = [m for m in LAB_MODULES if not (package / m).exists()]
        assert not missing, f"{package.name} lacks {missing}"
        for module in package.glob("*.py"):
            if module.name != "config.py":
                assert not _config_classes_outside_config_py(module), module
    for lab in LABS:
        assert (ROOT / lab.page).exists()
        assert lab.config_class().__module__ == f"labcore.experiments.{lab.key}.config"


def test_the_config_checker_sees_a_config_outside_config_py(tmp_path):
    stray = tmp_path / "run.py"
    stray.write_text("class ShiftConfig(ModelSettings, ShiftMethods):\n    pass\n")
    assert _config_classes_outside_config_py(stray) == ["ShiftConfig"]


def test_the_navigation_and_the_scripts_read_the_lab_descriptors():
    from labcore.experiments import LABS
    from labcore.script import SCRIPTS
    from labui.nav import PAGES

    assert PAGES == LABS
    assert list(SCRIPTS) == [lab.key for lab in LABS]
    nav = (ROOT / "labui" / "nav.py").read_text() + (ROOT / "labcore" / "script.py").read_text()
    assert "pages/regression.py" not in nav and "RegressionConfig" not in nav


def _module_level_view_chains(path: Path) -> list[int]:
    """Lines of module-level ``if view == …`` statements: a page's views are functions."""
    tree = ast.parse(path.read_text())
    return [node.lineno for node in tree.body
            if isinstance(node, ast.If) and "view" in ast.unparse(node.test).split()[:1]]


def test_every_lab_page_draws_its_views_from_functions_of_the_page_context():
    for page in sorted((ROOT / "pages").glob("*.py")):
        assert not _module_level_view_chains(page), page
        if page.stem != "home":
            assert "show_view(" in page.read_text() or "choose_view(" in page.read_text(), page


def test_the_view_checker_sees_a_module_level_chain(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('view = "a"\nif view == "a":\n    pass\nelif view == "b":\n    pass\n')
    assert _module_level_view_chains(page) == [2]


def test_the_public_experiment_names_import_from_their_lab_packages():
    # DESIGN.md's contract: RegressionConfig / run_regression from labcore.experiments.regression,
    # and the same shape for classification, calibration and the OOD shift sweep.
    from labcore.experiments.calibration import CalibrationConfig, run_calibration
    from labcore.experiments.classification import ClassificationConfig, run_classification
    from labcore.experiments.ood import ShiftConfig, run_shift
    from labcore.experiments.regression import RegressionConfig, RegressionResult, run_regression

    for config, run in ((RegressionConfig, run_regression),
                        (ClassificationConfig, run_classification),
                        (CalibrationConfig, run_calibration), (ShiftConfig, run_shift)):
        assert config.__module__.endswith(".config") and callable(run)
        assert config().seed == 0
    assert "pred_mean" in {f.name for f in dataclasses.fields(RegressionResult)}


def test_importing_the_lab_descriptors_loads_no_engine():
    # The navigation reads every lab's title on the first page load: no torch for that.
    code = ("import sys, labcore.experiments as e, labui.nav; "
            "print(len(e.LABS), 'torch' in sys.modules, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["5", "False", "False"]
