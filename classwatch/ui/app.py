"""The desktop app: QApplication setup, the tray icon and the controller that ties the parts together.

``Controller`` owns the state: the settings in force, the analysis worker
(``worker.py``), the session recorder, the ring buffer of readings and the
windows (dashboard, compact view, tray, region picker, settings, session
browser). The windows only emit signals and render what they are given.

Threads: the worker thread grabs, analyses and records each sample; the GUI
thread receives only the MoodSample (by queued signal), appends it to the
ring buffer and redraws on a display timer (once a second), so a slow frame
never stalls the window and a busy window never delays analysis.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon, QWidget

from .. import __version__
from ..errors import ClasswatchError
from ..pipeline import FrameResult
from ..policy import EffectiveSettings, apply_user_change, load_effective
from ..screenlock import SessionLock
from ..session import SessionStore, SessionWriter
from ..settings import config_dir, save_user_settings
from ..sources import Region
from . import theme
from .app_source import RoomAnalyser, app_source, session_settings, source_label, uses_camera
from .bookmark import BookmarkPopup
from .dashboard import CompactWindow, Dashboard
from .icons import app_icon, state_icon
from .live import LiveBuffer
from .region_picker import RegionPicker
from .worker import AnalysisWorker, LoopingSource, State, WorkerHandle

log = logging.getLogger(__name__)

#: Redraw interval of the dashboard (ms): plots are redrawn from the ring buffer, never per frame.
DISPLAY_MS = 1000

#: Window positions and the timeline span, next to the settings file (Qt's INI format).
WINDOW_STATE_FILE = "window-state.ini"

TRAY_STATE = {
    "idle": "idle", "stopped": "idle", "starting": "analysing", "running": "analysing",
    "paused": "paused", "fault": "error",
}


class Recorder:
    """Records the samples of one analysis run as one session.

    The session is started with the first sample (in the worker thread), so
    a run that never produced a reading leaves no empty session behind;
    bookmarks made before it are kept and written then. ``close()`` ends it.
    """

    def __init__(self, db_path: Path, keep_tracks: bool, metadata: dict) -> None:
        self.db_path = db_path
        self.keep_tracks = keep_tracks
        self.metadata = metadata
        self.model: tuple[str, str] = ("", "")
        self._lock = threading.Lock()
        self.writer: SessionWriter | None = None
        self.pending: list[tuple[float, str]] = []
        self.started_at: float | None = None
        self.closed = False

    @property
    def name(self) -> str | None:
        return self.writer.name if self.writer else None

    def _ensure(self, wall: float) -> SessionWriter:
        with self._lock:
            if self.closed:
                raise RuntimeError("recorder closed")
            if self.writer is None:
                with SessionStore(self.db_path) as store:
                    self.writer = store.start_session(
                        None, started_at=wall, model_name=self.model[0], model_version=self.model[1],
                        keep_tracks=self.keep_tracks, **self.metadata,
                    )
                self.started_at = wall
                pending, self.pending = self.pending, []
                for when, text in pending:
                    self.writer.bookmark(when, text)
            return self.writer

    def record(self, result: FrameResult, wall: float) -> None:
        """Worker thread: append one sample (committed before it returns)."""
        writer = self._ensure(wall)
        writer.append(result.mood, wall, result.tracks if self.keep_tracks else None)

    def bookmark(self, wall: float, text: str) -> None:
        with self._lock:
            if self.writer is None:
                self.pending.append((wall, text))
                return
            writer = self.writer
        writer.bookmark(wall, text)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            writer, self.writer = self.writer, None
        if writer is not None:
            writer.close()


class Controller(QObject):
    """The app's state machine: idle -> (region) -> starting -> running <-> paused / fault -> stopped."""

    state_changed = Signal(str)
    sample_received = Signal(object, float)

    def __init__(
        self,
        effective: EffectiveSettings,
        db_path: Path,
        *,
        demo: Path | None = None,
        record: bool = True,
        use_tray: bool = True,
        picker: RegionPicker | None = None,
        source_factory=None,
        pipeline_factory=None,
        retry_s: float = 3.0,
        display_ms: int = DISPLAY_MS,
        restore_windows: bool = True,
    ) -> None:
        super().__init__()
        self.effective = effective
        self.db_path = Path(db_path)
        self.demo = Path(demo) if demo else None
        #: Whether runs are recorded as sessions (``app --demo`` only with ``--record``:
        #: trying the app on a sample video must not fill the user's session list).
        self.record = record
        self.retry_s = retry_s
        self.source_factory = source_factory  # tests: () -> FrameSource
        self.pipeline_factory = pipeline_factory  # tests: () -> Analyser
        self.state = "idle"
        self.message = ""
        self.handle: WorkerHandle | None = None
        self.recorder: Recorder | None = None
        self.buffer = LiveBuffer()
        self.bookmarks: list[tuple[float, str]] = []
        self.record_error: str | None = None
        self._fault_notified = False
        self._windows: list[QWidget] = []

        s = effective.settings
        presence = not s.emotions
        self.dashboard = Dashboard(presence_only=presence, min_faces=s.min_faces, attention=s.attention)
        self.compact = CompactWindow(presence_only=presence, min_faces=s.min_faces, attention=s.attention)
        self.picker = picker or RegionPicker(self)
        self.picker.picked.connect(self._region_picked)
        self.picker.cancelled.connect(self._region_cancelled)
        self._start_after_pick = False

        d = self.dashboard
        d.start_pause_clicked.connect(self.toggle)
        d.stop_clicked.connect(self.stop)
        d.bookmark_clicked.connect(self.ask_bookmark)
        d.compact_clicked.connect(self.show_compact)
        d.region_clicked.connect(lambda: self.pick_region(start_after=False))
        d.sessions_clicked.connect(self.open_sessions)
        d.settings_clicked.connect(self.open_settings)
        d.region_action.setEnabled(self.demo is None)
        d.on_close = self._dashboard_close
        c = self.compact
        c.expand_clicked.connect(self.show_dashboard)
        c.bookmark_clicked.connect(self.ask_bookmark)
        c.start_pause_clicked.connect(self.toggle)
        # The same keys in every classwatch window (Qt has no OS-wide hotkeys; see the module notes).
        self.shortcuts: list[QShortcut] = []
        for window in (d, c):
            for keys, slot in (("Ctrl+B", self.ask_bookmark), ("Ctrl+Shift+S", self.toggle), ("Ctrl+Shift+M", self.toggle_compact)):
                sc = QShortcut(QKeySequence(keys), window)
                sc.activated.connect(slot)
                self.shortcuts.append(sc)
        self._update_source_text()

        self.tray: QSystemTrayIcon | None = None
        if use_tray and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = self._make_tray()

        self.timer = QTimer(self)
        self.timer.setInterval(display_ms)
        self.timer.timeout.connect(self.render)
        self.timer.start()
        self._apply_retention()
        self._set_state("idle")
        # Window state (not settings): where the windows were and which timeline span was shown.
        self.window_state = QSettings(str(config_dir() / WINDOW_STATE_FILE), QSettings.Format.IniFormat)
        self._compact_placed = False
        self._persist_windows = restore_windows
        if restore_windows:
            self._restore_windows()

    def _restore_windows(self) -> None:
        st = self.window_state
        geometry = st.value("dashboard/geometry")
        if geometry is not None:
            self.dashboard.restoreGeometry(geometry)
        pos = st.value("compact/pos")
        if isinstance(pos, QPoint) and QGuiApplication.screenAt(pos) is not None:
            self.compact.move(pos)
            self._compact_placed = True
        window = st.value("timeline/window")
        if window is not None:
            try:
                seconds = float(window)
                self.dashboard.timeline.set_window(seconds if seconds > 0 else None)
            except (TypeError, ValueError):
                pass

    def _save_windows(self) -> None:
        st = self.window_state
        st.setValue("dashboard/geometry", self.dashboard.saveGeometry())
        if self._compact_placed:
            st.setValue("compact/pos", self.compact.pos())
        st.setValue("timeline/window", self.dashboard.timeline.window_s or 0)
        st.sync()

    # --- tray ------------------------------------------------------------------------------

    def _make_tray(self) -> QSystemTrayIcon:
        tray = QSystemTrayIcon(state_icon("idle"), self)
        menu = QMenu()
        self.act_toggle = menu.addAction("Start analysing", self.toggle)
        self.act_region = menu.addAction("Select region\u2026", lambda: self.pick_region(start_after=False))
        self.act_region.setEnabled(self.demo is None)
        menu.addAction("Show dashboard", self.show_dashboard)
        menu.addAction("Compact view", self.show_compact)
        self.act_bookmark = menu.addAction("Add bookmark\u2026", self.ask_bookmark)
        menu.addSeparator()
        menu.addAction("Open past sessions\u2026", self.open_sessions)
        menu.addAction("Settings\u2026", self.open_settings)
        menu.addSeparator()
        self.act_stop = menu.addAction("Stop session", self.stop)
        menu.addAction("Quit classwatch", self.quit)
        tray.setContextMenu(menu)
        self._tray_menu = menu
        tray.activated.connect(self._tray_activated)
        tray.show()
        return tray

    def _tray_activated(self, reason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            if self.dashboard.isVisible() and not self.dashboard.isMinimized():
                _raise(self.dashboard)
            else:
                self.show_dashboard()

    def _update_tray(self) -> None:
        if self.tray is None:
            return
        self.tray.setIcon(state_icon(TRAY_STATE.get(self.state, "idle")))
        running = self.state in ("running", "starting", "fault")
        self.act_toggle.setText("Pause analysing" if running else ("Resume analysing" if self.state == "paused" else "Start analysing"))
        self.act_bookmark.setEnabled(self.state not in ("idle", "stopped"))
        self.act_stop.setEnabled(self.state not in ("idle", "stopped"))
        tip = {"running": "analysing", "starting": "starting", "paused": "paused", "fault": "paused: " + self.message}.get(
            self.state, "not analysing")
        latest = self.buffer.latest
        if self.state == "running" and latest is not None:
            tip += f" \u00b7 {latest.faces} faces"
            if latest.mood_index is not None:
                tip += f" \u00b7 mood {theme.signed(latest.mood_index)}"
        self.tray.setToolTip(f"classwatch \u2013 {tip}")

    # --- state -----------------------------------------------------------------------------

    def _set_state(self, state: str, message: str = "") -> None:
        self.state, self.message = state, message
        self.dashboard.set_run_state(state, message)
        self.compact.set_run_state(state, message)
        self._update_tray()
        self.state_changed.emit(state)

    def _update_source_text(self) -> None:
        if self.demo is not None:
            text = f"demo: {self.demo.name}" + ("" if self.record else " \u00b7 not recorded")
        else:
            text = source_label(self.effective.settings)
        self.dashboard.set_source_text(text)

    @property
    def running(self) -> bool:
        return self.handle is not None and self.state in ("starting", "running", "paused", "fault")

    def toggle(self) -> None:
        if self.state in ("running", "starting", "fault"):
            self.pause()
        else:
            self.start()

    def start(self, recorder: Recorder | None = None) -> None:
        """Start (or resume) analysing; with no capture region yet, ask for one first.

        recorder: go on recording into this (open) session instead of starting a new one.
        """
        if self.handle is not None and self.state == "paused":
            self.handle.resume()
            return
        if self.handle is not None:
            return
        s = self.effective.settings
        room = None
        if self.source_factory is not None:
            make_source, source_text, blank = self.source_factory, "test source", False
        elif self.demo is not None:
            demo, every = self.demo, s.sample_every_s
            make_source, source_text, blank = (lambda: LoopingSource(demo, every)), f"demo {demo}", False
        else:
            live = app_source(s)
            if live is None:  # the screen, and no region yet
                self.pick_region(start_after=True)
                return
            make_source, source_text, blank, room = live.make, live.text, live.blank_is_fault, live.room

        config = self.effective.pipeline_config()  # emotions, attention and its limits as the policy allows
        new_session = recorder is None
        if recorder is None and self.record:
            recorder = Recorder(
                self.db_path,
                keep_tracks=s.keep_tracks,
                metadata=dict(
                    source=source_text,
                    detector=config.detector,
                    settings=session_settings(s, camera=room is not None),
                ),
            )
        self.recorder = recorder

        def make_pipeline():
            pipeline = self.pipeline_factory() if self.pipeline_factory is not None else load_pipeline()
            # A room has no tiles: coverage is faces over faces expected, before the reading is recorded or shown.
            return RoomAnalyser(pipeline, room) if room is not None else pipeline

        def load_pipeline():
            from ..pipeline import Pipeline

            pipeline = Pipeline(config)
            card = pipeline.classifier.card if pipeline.classifier else None
            if recorder is not None:
                recorder.model = (card.name, card.version) if card else ("", "")
            return pipeline

        worker = AnalysisWorker(make_source, make_pipeline, s.sample_every_s, retry_s=self.retry_s,
                                record=recorder.record if recorder else None, blank_is_fault=blank,
                                locked=SessionLock().locked if blank else None)
        worker.sample_ready.connect(self._on_sample)
        worker.state_changed.connect(self._on_worker_state)
        worker.fault.connect(self._on_fault)
        worker.recovered.connect(self._on_recovered)
        worker.record_failed.connect(self._on_record_failed)
        self.handle = WorkerHandle(worker)
        if new_session:
            self.buffer.clear()
            self.bookmarks = []
            self.dashboard.timeline.set_bookmarks([])
            self.dashboard.set_session(None, None)
        self.record_error = None
        self._fault_notified = False
        self._set_state("starting")
        self.handle.start()

    def pause(self) -> None:
        if self.handle is not None:
            self.handle.pause()

    def stop(self) -> None:
        """End the session: stop the worker, close the recording."""
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.stop()
        if self.recorder is not None:
            try:
                self.recorder.close()
            except ClasswatchError as exc:
                log.warning("closing the session failed: %s", exc)
            self.recorder = None
        if handle is not None or self.state != "idle":
            self._set_state("stopped")
        self.render()

    def shutdown(self) -> None:
        if self.timer.isActive() and self._persist_windows:
            try:
                self._save_windows()
            except RuntimeError:  # windows already gone at interpreter exit
                pass
        self.timer.stop()
        self.stop()
        self.picker.cancel()
        if self.tray is not None:
            self.tray.hide()

    def quit(self) -> None:
        self.shutdown()
        QApplication.instance().quit()

    # --- worker signals (GUI thread) -------------------------------------------------------

    def _current(self) -> bool:
        """Whether the signal being handled comes from the current worker (not one already stopped)."""
        return self.handle is not None and self.sender() is self.handle.worker

    def _on_sample(self, sample, wall: float) -> None:
        if not self._current():
            return
        self.buffer.append(sample, wall)
        if self.recorder is not None and self.recorder.name and self.dashboard._session_started is None:
            self.dashboard.set_session(self.recorder.name, self.recorder.started_at)
        self.sample_received.emit(sample, wall)

    def _on_worker_state(self, state: str, message: str) -> None:
        if not self._current() or state == State.STOPPED.value:
            return  # the controller decides when a run is over
        self._set_state(state, message)
        if state == "running":
            self.render()

    def _on_fault(self, kind: str, message: str) -> None:
        if not self._current():
            return
        if self.tray is not None and not self._fault_notified and self.tray.supportsMessages():
            self.tray.showMessage("classwatch paused", message, QSystemTrayIcon.MessageIcon.Warning, 8000)
        self._fault_notified = True

    def _on_recovered(self) -> None:
        if not self._current():
            return
        self._fault_notified = False
        if self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage("classwatch", "Analysing again.", QSystemTrayIcon.MessageIcon.Information, 3000)

    def _on_record_failed(self, message: str) -> None:
        if self.sender() is not None and not self._current():
            return
        if message != self.record_error:
            self.record_error = message
            self.dashboard.banner.setText(f"<b>Not recording:</b> {message}. The live view goes on.")
            self.dashboard.banner.setVisible(True)

    # --- display ---------------------------------------------------------------------------

    def render(self) -> None:
        now = time.time()
        running = self.state in ("running", "starting", "fault", "paused") and self.handle is not None
        if self.dashboard.isVisible():
            self.dashboard.render(self.buffer, now, running=running and self.state != "paused")
        if self.compact.isVisible():
            self.compact.render(self.buffer, now)
        self._update_tray()

    def show_dashboard(self) -> None:
        self.compact.hide()
        self.dashboard.showNormal()
        _raise(self.dashboard)
        self.render()

    def show_compact(self) -> None:
        screen = self.dashboard.screen().availableGeometry()
        if not self.compact.isVisible() and not self._compact_placed:
            # Top right, out of the way of a centred call window; moved windows stay where they were put.
            self.compact.move(screen.right() - self.compact.width() - 24, screen.top() + 24)
            self._compact_placed = True
        self.dashboard.hide()
        self.compact.show()
        _raise(self.compact)
        self.render()

    def toggle_compact(self) -> None:
        if self.compact.isVisible():
            self.show_dashboard()
        else:
            self.show_compact()

    def _dashboard_close(self, event) -> None:
        if self.tray is not None and self.tray.isVisible():
            event.ignore()
            self.dashboard.hide()
            if self.tray.supportsMessages():
                self.tray.showMessage("classwatch", "classwatch keeps running here. Quit from this menu.",
                                      QSystemTrayIcon.MessageIcon.Information, 4000)
        else:
            event.accept()
            self.quit()

    def save_screenshot(self, path: Path) -> None:
        """Render the dashboard now and save it as a PNG (``--screenshot``)."""
        self.dashboard._rendered_version = -1
        self.dashboard.render(self.buffer, time.time(), running=self.handle is not None)
        QApplication.processEvents()
        if not self.dashboard.grab().save(str(path)):
            raise ClasswatchError(f"cannot write the screenshot {path}")

    # --- bookmarks -------------------------------------------------------------------------

    def ask_bookmark(self) -> None:
        """Open the bookmark popup; the moment is now, the text comes when the teacher confirms."""
        if self.handle is None:  # not analysing: nothing to bookmark
            return
        wall = time.time()
        anchor = self.dashboard.bookmark_button if self.dashboard.isVisible() else (
            self.compact.bookmark_button if self.compact.isVisible() else None)
        popup = BookmarkPopup(anchor.window() if anchor else None, wall)
        popup.chosen.connect(self.add_bookmark)
        popup.place_near(anchor)
        popup.show()
        _raise(popup)
        popup.edit.setFocus()
        self._popup = popup

    def add_bookmark(self, wall: float, text: str = "") -> bool:
        """Mark the moment on the timeline, and in the session when the run is recorded."""
        if self.handle is None:
            return False
        if self.recorder is not None:
            try:
                self.recorder.bookmark(wall, text)
            except ClasswatchError as exc:
                self._on_record_failed(str(exc))
                return False
        self.bookmarks.append((wall, text))
        self.dashboard.timeline.add_bookmark(wall, text)
        return True

    # --- region ----------------------------------------------------------------------------

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

    # --- windows ---------------------------------------------------------------------------

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
        self._windows = [w for w in self._windows if _alive(w)] + [browser]

    def _apply_retention(self) -> None:
        days = self.effective.settings.retention_days
        if days <= 0 or not self.db_path.exists():
            return
        try:
            with SessionStore(self.db_path) as store:
                deleted = store.apply_retention(days)
            if deleted:
                log.info("retention: deleted %d session(s) older than %d days", len(deleted), days)
        except ClasswatchError as exc:
            log.warning("retention not applied: %s", exc)


def _raise(widget: QWidget) -> None:
    if QApplication.platformName() != "offscreen":  # the offscreen plugin warns on raise()
        widget.raise_()
        widget.activateWindow()


def _alive(widget: QWidget) -> bool:
    try:
        widget.objectName()
        return True
    except RuntimeError:
        return False


def _source_key(s) -> tuple:
    """What a change of source is made of (a new source is a new session)."""
    return (uses_camera(s), s.camera_index, s.class_size) if uses_camera(s) else (False,)


def _reload(old: EffectiveSettings, region: Region) -> EffectiveSettings:
    """The settings in force after the region changed (re-read; fall back to patching the region in)."""
    from dataclasses import replace

    fresh = load_effective()
    if fresh.settings.region != region:  # not saved (read-only config folder): keep it for this run
        fresh = replace(old, settings=replace(old.settings, region=region))
    return fresh


# --- entry point ----------------------------------------------------------------------------


def _needs_offscreen() -> bool:
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _require_folder(path: Path) -> None:
    """Fail with one line before any window opens, not in the middle of the event loop."""
    if not Path(path).parent.is_dir():
        raise ClasswatchError(f"cannot write {path}: the folder {Path(path).parent} does not exist")


def write_startup_probe(path: Path, kind: str) -> None:
    """``--startup-probe``: the wall-clock time (a launcher compares it with its own ``time.time()``)
    and what the user now sees, ``tray`` or ``window``. Replaced atomically, so a reader polling
    for the file never sees it half written."""
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text(f"{time.time():.6f} {kind}\n", encoding="ascii")
    os.replace(tmp, path)


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


def arm_startup_probe(controller: Controller, path: Path) -> None:
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


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or [sys.argv[0] if sys.argv else "classwatch"])
    app.setApplicationName("classwatch")
    app.setOrganizationName("classwatch")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    theme.apply(app)
    return app


def run_app(
    demo: Path | None = None,
    db: Path | None = None,
    record: bool = False,
    screenshot: Path | None = None,
    quit_after: float | None = None,
    compact: bool = False,
    startup_probe: Path | None = None,
) -> int:
    """``classwatch app``: returns the exit status.

    record: record a ``demo`` run as a session (the screen is always recorded).
    """
    if screenshot is not None and quit_after is None:
        quit_after = 6.0
    if _needs_offscreen():
        if screenshot is None and quit_after is None:
            raise ClasswatchError("no display to show the app on (set DISPLAY, or use --screenshot FILE --quit-after SECONDS)")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if demo is not None:
        from ..sources import open_source

        open_source(demo)  # a bad path fails here, with one line, before any window opens
    for path in (screenshot, startup_probe):
        if path is not None:
            _require_folder(path)
    logging.basicConfig(level=logging.INFO if os.environ.get("CLASSWATCH_DEBUG") else logging.WARNING,
                        format="classwatch: %(message)s")

    effective = load_effective()
    db_path = effective.db_path(db)
    app = make_application()
    # A screenshot run is reproducible: default window sizes, no tray.
    controller = Controller(effective, db_path, demo=demo, record=demo is None or record,
                            use_tray=screenshot is None, restore_windows=screenshot is None)
    for warning in (effective.settings_warning, effective.policy_error):
        if warning:
            log.warning("%s", warning)
    if compact:
        controller.show_compact()
    else:
        controller.show_dashboard()
    if demo is not None:
        controller.start()
    if startup_probe is not None:
        arm_startup_probe(controller, Path(startup_probe))
    app.aboutToQuit.connect(controller.shutdown)

    status = {"code": 0}
    if quit_after is not None:
        def finish() -> None:
            if screenshot is not None:
                try:
                    controller.save_screenshot(Path(screenshot))
                except ClasswatchError as exc:
                    print(f"classwatch: error: {exc}", file=sys.stderr)
                    status["code"] = 2
            controller.quit()

        QTimer.singleShot(int(quit_after * 1000), finish)
    app.exec()
    controller.shutdown()
    return status["code"]
