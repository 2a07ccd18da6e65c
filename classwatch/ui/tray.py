"""The tray icon: the run's state at a glance, and the app's commands while no window is open."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ..runtime import State
from ..types import MoodSample
from . import theme
from .icons import state_icon
from .windows import raise_window

#: The tray icon shown in each run state (``icons.STATES``).
TRAY_STATE = {
    State.IDLE: "idle", State.STOPPED: "idle", State.STARTING: "analysing", State.RUNNING: "analysing",
    State.PAUSED: "paused", State.FAULT: "error",
}


class AppTray(QSystemTrayIcon):
    """The controller's tray icon and menu (``controller``: the ``Controller`` whose commands it offers)."""

    def __init__(self, controller) -> None:
        super().__init__(state_icon("idle"), controller)
        c = self.controller = controller
        menu = QMenu()
        self.act_toggle = menu.addAction("Start analysing", c.toggle)
        self.act_region = menu.addAction("Select region\u2026", lambda: c.pick_region(start_after=False))
        self.act_region.setEnabled(c.demo is None)
        menu.addAction("Show dashboard", c.show_dashboard)
        menu.addAction("Compact view", c.show_compact)
        self.act_bookmark = menu.addAction("Add bookmark\u2026", c.ask_bookmark)
        menu.addSeparator()
        menu.addAction("Open past sessions\u2026", c.open_sessions)
        menu.addAction("Settings\u2026", c.open_settings)
        menu.addSeparator()
        self.act_stop = menu.addAction("Stop session", c.stop)
        menu.addAction("Quit classwatch", c.quit)
        self.setContextMenu(menu)
        self._menu = menu  # the tray does not own its menu: keep it alive
        self.activated.connect(self._activated)
        self.show()

    def _activated(self, reason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            dashboard = self.controller.dashboard
            if dashboard.isVisible() and not dashboard.isMinimized():
                raise_window(dashboard)
            else:
                self.controller.show_dashboard()

    def show_state(self, state: State, message: str, latest: MoodSample | None) -> None:
        self.setIcon(state_icon(TRAY_STATE.get(state, "idle")))
        self.act_toggle.setText("Pause analysing" if state.active else (
            "Resume analysing" if state is State.PAUSED else "Start analysing"))
        self.act_bookmark.setEnabled(state.in_run)
        self.act_stop.setEnabled(state.in_run)
        tip = {State.RUNNING: "analysing", State.STARTING: "starting", State.PAUSED: "paused",
               State.FAULT: "paused: " + message}.get(state, "not analysing")
        if state is State.RUNNING and latest is not None:
            tip += f" \u00b7 {latest.faces} faces"
            if latest.mood_index is not None:
                tip += f" \u00b7 mood {theme.signed(latest.mood_index)}"
        self.setToolTip(f"classwatch \u2013 {tip}")

    def notify(self, title: str, message: str, warning: bool = False, ms: int = 4000) -> None:
        """A balloon message, where the tray can show one."""
        if self.supportsMessages():
            icon = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
            self.showMessage(title, message, icon, ms)
