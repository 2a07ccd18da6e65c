"""Tray and window icons, from the SVG files in ``assets/icons``.

One icon per app state (``idle``, ``analysing``, ``paused``, ``error``) plus the
application icon. The SVGs are rendered by Qt at whatever size the tray asks
for (16 px on Windows, 22 px on most Linux panels, 2x on HiDPI); if a file is
missing (a broken install) a plain drawn disk keeps the tray usable.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from ..resources import asset_path

STATES = ("idle", "analysing", "paused", "error")

_FALLBACK = {"idle": "#8A939C", "analysing": "#4696E6", "paused": "#5c6773", "error": "#E8A13A"}


def icon_file(name: str):
    """Path of ``assets/icons/<name>.svg``."""
    return asset_path(f"icons/{name}.svg")


def _drawn(color: str) -> QIcon:
    icon = QIcon()
    for size in (16, 22, 32, 64):
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(QColor(color))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QRectF(1, 1, size - 2, size - 2))
        p.end()
        icon.addPixmap(pix)
    return icon


@lru_cache(maxsize=None)
def _load(name: str, fallback: str) -> QIcon:
    path = icon_file(name)
    icon = QIcon(str(path)) if path.is_file() else QIcon()
    if icon.isNull() or icon.pixmap(16, 16).isNull():
        return _drawn(fallback)
    return icon


def state_icon(state: str) -> QIcon:
    """The tray icon of a state: one of ``STATES``."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; one of {STATES}")
    return _load(f"tray-{state}", _FALLBACK[state])


def app_icon() -> QIcon:
    return _load("classwatch", "#4696E6")
