"""Where bundled files live, in a source checkout, an installed wheel or a frozen build.

Everything that loads a model or an asset asks here, so there is exactly one
place that knows about ``sys._MEIPASS`` (PyInstaller) and about the wheel
layout (``models/`` and ``assets/`` are installed inside the package as
``classwatch/_data/``).
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _roots() -> list[Path]:
    roots = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        roots.append(Path(frozen))
    roots.append(_PACKAGE / "_data")  # installed wheel
    roots.append(_PACKAGE.parent)  # source checkout
    return roots


def _find(kind: str, name: str) -> Path:
    for root in _roots():
        path = root / kind / name
        if path.exists():
            return path
    # Not found: return the checkout path so the error message names a real place.
    return _roots()[-1] / kind / name


def model_path(name: str) -> Path:
    """Path of a file in ``models/``."""
    return _find("models", name)


def asset_path(name: str) -> Path:
    """Path of a file in ``assets/``."""
    return _find("assets", name)
