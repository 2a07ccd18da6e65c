"""What the teacher changes while the app runs: the capture region, the settings, and the windows they open.

Part of the ``Controller`` (``controller.py``), kept apart because it is about
reacting to changes, not about the run: a change of region goes on recording
into the same session, a change of what the analysis computes starts a new
one (a session records the settings it ran with).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ..errors import ClasswatchError
from ..policy import EffectiveSettings, apply_user_change, load_effective
from ..settings import save_user_settings
from ..sources import Region
from .app_source import uses_camera
from .windows import alive

log = logging.getLogger(__name__)


class ChoicesMixin:
    """The Controller's region and settings handling (uses its effective settings, windows and run)."""

    def pick_region(self, start_after: bool = False) -> None:
        if self.demo is not None:
            return
        self._start_after_pick = start_after
        own = [w.frameGeometry() for w in (self.dashboard, self.compact) if w.isVisible()]
        self.picker.open(self.effective.settings.region, own)

    def _region_picked(self, region: Region) -> None:
        try:
            user = apply_user_change(self.effective, region=asdict(region))
            save_user_settings(user)
        except ClasswatchError as exc:
            log.warning("cannot save the region: %s", exc)
        self.effective = _reload(self.effective, region)
        self._update_source_text()
        if self.handle is not None and not uses_camera(self.effective.settings):
            self._restart_worker(new_session=False)  # same session, new region
        elif self._start_after_pick:
            self.start()
        self._start_after_pick = False

    def _region_cancelled(self) -> None:
        self._start_after_pick = False

    def _restart_worker(self, new_session: bool) -> None:
        recorder, self.recorder = self.recorder, None
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.stop()
        if new_session and recorder is not None:
            recorder.close()
            recorder = None
        self.start(recorder)

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.effective, self.dashboard if self.dashboard.isVisible() else None)
        dialog.saved.connect(self._settings_saved)
        dialog.open()
        self._windows.append(dialog)

    def _settings_saved(self, user) -> None:
        old = self.effective
        self.effective = load_effective()
        s = self.effective.settings
        if s.start_on_login != old.settings.start_on_login:
            from .autostart import set_autostart

            try:
                set_autostart(s.start_on_login)
            except OSError as exc:
                QMessageBox.warning(self.dashboard, "classwatch", f"Could not change start on login: {exc}")
        self.dashboard.min_faces = self.compact.min_faces = s.min_faces
        self.dashboard.set_presence_only(not s.emotions)
        self.compact.presence_only = not s.emotions
        self.dashboard.set_attention(s.attention)
        self.compact.set_attention(s.attention)
        self.dashboard._rendered_version = -1
        self._update_source_text()
        changed = (old.pipeline_config() != self.effective.pipeline_config()
                   or old.settings.sample_every_s != s.sample_every_s
                   or _source_key(old.settings) != _source_key(s))
        if changed and self.handle is not None:
            self._restart_worker(new_session=True)  # a session records the settings it ran with
        self.render()

    def open_sessions(self) -> None:
        from .session_browser import SessionBrowser

        browser = SessionBrowser(self.db_path, self.effective)
        browser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        browser.show()
        self._windows = [w for w in self._windows if alive(w)] + [browser]


def _source_key(s) -> tuple:
    """What a change of source is made of (a new source is a new session)."""
    return (uses_camera(s), s.camera_index, s.class_size) if uses_camera(s) else (False,)


def _reload(old: EffectiveSettings, region: Region) -> EffectiveSettings:
    """The settings in force after the region changed (re-read; fall back to patching the region in)."""
    fresh = load_effective()
    if fresh.settings.region != region:  # not saved (read-only config folder): keep it for this run
        fresh = replace(old, settings=replace(old.settings, region=region))
    return fresh
