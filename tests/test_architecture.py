"""The core must run without Qt: only classwatch.ui may import PySide6 or pyqtgraph."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "classwatch"
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_qt_import_outside_ui():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in QT_MODULES:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not offenders, offenders


def test_analysis_does_not_load_qt():
    code = (
        "import sys, classwatch.pipeline, classwatch.cli, classwatch.bench\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in %r]\n"
        "assert not loaded, loaded\n" % (QT_MODULES,)
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_import_contracts_hold():
    """The contracts in pyproject.toml (layers, Qt only in ui, ...), also where CI's `lint-imports` step is not run."""
    pytest.importorskip("importlinter")
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stdout[-3000:]
