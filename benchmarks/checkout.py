"""Imported first by a benchmark run from the checkout: puts the project on ``sys.path``, and
ends in one line (exit 2) instead of a traceback when the Python running the benchmark lacks
the project's dependencies (a bare system Python: ``pip install .`` first, or run it with the
Python classwatch is installed in). A benchmark that renders synthetic galleries calls
``tests_on_path()`` before importing ``synthetic``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_missing = [name for name in ("cv2", "numpy") if importlib.util.find_spec(name) is None]
if _missing:
    print(f"error: {' and '.join(_missing)} not installed for {sys.executable}: install classwatch first "
          "(pip install .) or run this with the Python it is installed in", file=sys.stderr)
    raise SystemExit(2)


def tests_on_path() -> None:
    """Puts ``tests/`` on ``sys.path`` too, for ``synthetic.py``: test-only, not shipped, so not in an installed classwatch."""
    sys.path.insert(0, str(REPO / "tests"))
