"""The app's controller: the state machine that ties the run, the recorder and the windows together.

``Controller`` owns the state: the settings in force, the analysis worker
(``worker.py``, which runs ``runtime.loop.run``), the session recorder
(``runtime.Recorder``), the ring buffer of readings and the windows
(dashboard, compact view, tray, region picker, settings, session browser).
The windows only emit signals and render what they are given.

Threads: the worker thread grabs, analyses and records each sample; the GUI
thread receives only the MoodSample (by queued signal), appends it to the
ring buffer and redraws on a display timer (once a second), so a slow frame
never stalls the window and a busy window never delays analysis.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from ..errors import ClasswatchError
from ..policy import EffectiveSettings
from ..runtime import Recorder, SessionSpec, State
from ..screenlock import SessionLock
from ..session import SessionStore
from .app_source import choose_source, source_label, uses_camera
from .bookmark import BookmarkPopup
from .choices import ChoicesMixin
from .compact import CompactWindow
from .dashboard import Dashboard
from .live import LiveBuffer
from .region_picker import RegionPicker
from .tray import AppTray
from .windows import WindowPlaces, raise_window
from .worker import AnalysisWorker, WorkerHandle

log = logging.getLogger(__name__)

#: Redraw interval of the dashboard (ms): plots are redrawn from the ring buffer, never per frame.
DISPLAY_MS = 1000


class Controller(ChoicesMixin, QObject):
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
        self.state = State.IDLE
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
        # The same keys in every classwatch window (Qt has no OS-wide hotkeys).
        self.shortcuts: list[QShortcut] = []
        for window in (d, c):
            for keys, slot in (("Ctrl+B", self.ask_bookmark), ("Ctrl+Shift+S", self.toggle), ("Ctrl+Shift+M", self.toggle_compact)):
                sc = QShortcut(QKeySequence(keys), window)
                sc.activated.connect(slot)
                self.shortcuts.append(sc)
        self._update_source_text()

        self.tray: AppTray | None = None
        if use_tray and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = AppTray(self)

        self.timer = QTimer(self)
        self.timer.setInterval(display_ms)
        self.timer.timeout.connect(self.render)
        self.timer.start()
        self._apply_retention()
        self._set_state(State.IDLE)
        self.places = WindowPlaces(self.dashboard, self.compact)
        self._persist_windows = restore_windows
        if restore_windows:
            self.places.restore()

    # --- state -----------------------------------------------------------------------------

    def _set_state(self, state: State, message: str = "") -> None:
        self.state, self.message = state, message
        self.dashboard.set_run_state(state, message)
        self.compact.set_run_state(state, message)
        self._update_tray()
        self.state_changed.emit(state.value)

    def _update_tray(self) -> None:
        if self.tray is not None:
            self.tray.show_state(self.state, self.message, self.buffer.latest)

    def _update_source_text(self) -> None:
        """The source line, and the views' wording for it (a gallery on the screen, or a room):
        called whenever the settings or the source change."""
        s = self.effective.settings
        if self.demo is not None:
            text = f"demo: {self.demo.name}" + ("" if self.record else " \u00b7 not recorded")
        else:
            text = source_label(s)
        self.dashboard.set_source_text(text)
        camera = self.demo is None and uses_camera(s)
        kind, class_size = ("camera", s.class_size) if camera else ("screen", 0)
        self.dashboard.set_source_kind(kind, class_size)
        self.compact.set_source_kind(kind, class_size)

    @property
    def running(self) -> bool:
        return self.handle is not None and self.state.in_run

    def toggle(self) -> None:
        if self.state.active:
            self.pause()
        else:
            self.start()

    def start(self, recorder: Recorder | None = None) -> None:
        """Start (or resume) analysing; with no capture region yet, ask for one first.

        recorder: go on recording into this (open) session instead of starting a new one.
        """
        if self.handle is not None and self.state is State.PAUSED:
            self.handle.resume()
            return
        if self.handle is not None:
            return
        s = self.effective.settings
        source = choose_source(s, self.demo, self.source_factory)
        if source is None:  # the screen, and no region yet
            self.pick_region(start_after=True)
            return

        config = self.effective.pipeline_config()  # emotions, attention and its limits as the policy allows
        new_session = recorder is None
        if recorder is None and self.record:
            extra = {"class_size": s.class_size} if source.room is not None else {}
            spec = SessionSpec(source.text, config, s.sample_every_s, keep_tracks=s.keep_tracks, extra=extra)
            recorder = Recorder(self.db_path, spec)
        self.recorder = recorder

        def make_pipeline():
            if self.pipeline_factory is not None:
                return self.pipeline_factory()
            from ..pipeline import Pipeline

            return Pipeline(config)

        blank = source.blank_is_fault
        worker = AnalysisWorker(source.make, make_pipeline, s.sample_every_s, retry_s=self.retry_s,
                                recorder=recorder, room=source.room, blank_is_fault=blank,
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
        self._set_state(State.STARTING)
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
        if handle is not None or self.state is not State.IDLE:
            self._set_state(State.STOPPED)
        self.render()

    def shutdown(self) -> None:
        if self.timer.isActive() and self._persist_windows:
            try:
                self.places.save()
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

    def _on_worker_state(self, value: str, message: str) -> None:
        state = State(value)
        if not self._current() or state is State.STOPPED:
            return  # the controller decides when a run is over
        self._set_state(state, message)
        if state is State.RUNNING:
            self.render()

    def _on_fault(self, kind: str, message: str) -> None:
        if not self._current():
            return
        if self.tray is not None and not self._fault_notified:
            self.tray.notify("classwatch paused", message, warning=True, ms=8000)
        self._fault_notified = True

    def _on_recovered(self) -> None:
        if not self._current():
            return
        self._fault_notified = False
        if self.tray is not None:
            self.tray.notify("classwatch", "Analysing again.", ms=3000)

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
        running = self.state.in_run and self.handle is not None
        if self.dashboard.isVisible():
            self.dashboard.render(self.buffer, now, running=running and self.state is not State.PAUSED)
        if self.compact.isVisible():
            self.compact.render(self.buffer, now)
        self._update_tray()

    def show_dashboard(self) -> None:
        self.compact.hide()
        self.dashboard.showNormal()
        raise_window(self.dashboard)
        self.render()

    def show_compact(self) -> None:
        self.places.place_compact()
        self.dashboard.hide()
        self.compact.show()
        raise_window(self.compact)
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
            self.tray.notify("classwatch", "classwatch keeps running here. Quit from this menu.")
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
        raise_window(popup)
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
