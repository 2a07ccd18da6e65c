"""``--startup-probe``: when classwatch is first visible, for the launch-time benchmark (benchmarks/launch_time.py)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from ..atomic import atomic_path


def write_startup_probe(path: Path, kind: str) -> None:
    """``--startup-probe``: the wall-clock time (a launcher compares it with its own ``time.time()``)
    and what the user now sees, ``tray`` or ``window``. Replaced atomically, so a reader polling
    for the file never sees it half written."""
    with atomic_path(path) as tmp:
        tmp.write_text(f"{time.time():.6f} {kind}\n", encoding="ascii")


class _FirstPaint(QObject):
    """Event filter that calls ``done`` once, when the watched window paints for the first time."""

    def __init__(self, window: QWidget, done) -> None:
        super().__init__(window)
        self.done = done
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # Not inside the paint: once it has been flushed to the screen, on the next turn of the loop.
            QTimer.singleShot(0, self.done)
        return False


def arm_startup_probe(controller, path: Path) -> None:
    """Write the startup probe when classwatch is first visible.

    With a tray icon: on the first turn of the event loop after it was shown (Qt reports no
    "docked" event; the icon has been handed to the tray host by then). Without a system tray
    (Qt's offscreen platform, a bare X server): when the window shown at start first paints.
    """
    if controller.tray is not None and controller.tray.isVisible():
        QTimer.singleShot(0, lambda: write_startup_probe(path, "tray"))
        return
    window = controller.compact if controller.compact.isVisible() else controller.dashboard
    _FirstPaint(window, lambda: write_startup_probe(path, "window"))
