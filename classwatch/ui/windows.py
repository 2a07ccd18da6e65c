"""Where the app's windows go: their remembered places, and bringing one to the front."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from ..settings import config_dir

#: Window positions and the timeline span, next to the settings file (Qt's INI format).
WINDOW_STATE_FILE = "window-state.ini"


class WindowPlaces:
    """Where the dashboard and the compact view were, and which timeline span was shown.

    Window state, not settings: kept apart from the settings file so that moving a
    window never rewrites (or fights over) what the teacher or an admin chose.
    """

    def __init__(self, dashboard, compact) -> None:
        self.dashboard, self.compact = dashboard, compact
        self.store = QSettings(str(config_dir() / WINDOW_STATE_FILE), QSettings.Format.IniFormat)
        self.compact_placed = False

    def restore(self) -> None:
        st = self.store
        geometry = st.value("dashboard/geometry")
        if geometry is not None:
            self.dashboard.restoreGeometry(geometry)
        pos = st.value("compact/pos")
        if isinstance(pos, QPoint) and QGuiApplication.screenAt(pos) is not None:
            self.compact.move(pos)
            self.compact_placed = True
        window = st.value("timeline/window")
        if window is not None:
            try:
                seconds = float(window)
                self.dashboard.timeline.set_window(seconds if seconds > 0 else None)
            except (TypeError, ValueError):
                pass

    def save(self) -> None:
        st = self.store
        st.setValue("dashboard/geometry", self.dashboard.saveGeometry())
        if self.compact_placed:
            st.setValue("compact/pos", self.compact.pos())
        st.setValue("timeline/window", self.dashboard.timeline.window_s or 0)
        st.sync()

    def place_compact(self) -> None:
        """Top right, out of the way of a centred call window; a moved window stays where it was put."""
        if self.compact.isVisible() or self.compact_placed:
            return
        screen = self.dashboard.screen().availableGeometry()
        self.compact.move(screen.right() - self.compact.width() - 24, screen.top() + 24)
        self.compact_placed = True


def raise_window(widget: QWidget) -> None:
    if QApplication.platformName() != "offscreen":  # the offscreen plugin warns on raise()
        widget.raise_()
        widget.activateWindow()


def alive(widget: QWidget) -> bool:
    """Whether the Qt object behind ``widget`` still exists (a window closed with WA_DeleteOnClose)."""
    try:
        widget.objectName()
        return True
    except RuntimeError:
        return False
