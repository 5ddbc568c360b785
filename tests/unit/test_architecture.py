"""The house rules of DESIGN.md, checked on the source: who may import streamlit and plotly."""

from __future__ import annotations

import ast
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


def test_no_page_renders_raw_html():
    # User text (file names, column names, labels) reaches the page; Streamlit escapes HTML in
    # markdown unless told otherwise, so nobody may tell it otherwise.
    # labui/present.py adds one constant stylesheet (no user text); tests/app/test_present.py
    # checks that its only st.html call takes that constant.
    sources = [ROOT / "app.py", *_python_files("pages"), *_python_files("labui")]
    sources.remove(ROOT / "labui" / "present.py")
    offenders = [p.relative_to(ROOT) for p in sources
                 if any(s in p.read_text(encoding="utf-8")
                        for s in ("unsafe_allow_html", "st.html(", "components.html"))]
    assert offenders == []
