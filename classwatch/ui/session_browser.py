"""Past sessions: pick one, see it in the same timeline as live mode, with its bookmarks and summary, export it.

Reads the session store in the GUI thread (a few thousand rows load in
milliseconds); a session still being recorded can be opened too (WAL lets
the store be read while the app writes). Export formats are those the
settings and the admin policy allow.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from . import report_pdf  # noqa: F401  adds the PDF writer to classwatch.export.WRITERS
from . import theme
from .widgets import BigNumber, card, titled_card
from .icons import app_icon
from .live import Series
from .timeline import TimelineWidget
from ..errors import ClasswatchError
from ..export import export_session
from ..policy import EffectiveSettings
from ..session import SessionData, SessionStatus, SessionStore, summarize
from ..session.model import ATTENTION_MEANING, format_duration, local_datetime

STATUS_TEXT = {
    SessionStatus.RECORDING: "recording now",
    SessionStatus.ENDED: "",
    SessionStatus.ENDED_UNEXPECTEDLY: "ended unexpectedly",
}


def is_presence_only(data: SessionData) -> bool:
    """A session recorded without expression analysis (by its settings, or by having faces but no readings)."""
    emotions = data.info.settings.get("emotions")
    if emotions is not None:
        return not emotions
    return any(r.sample.faces for r in data.samples) and not any(r.sample.mean_probs is not None for r in data.samples)


class SessionBrowser(QMainWindow):
    """``open_session(name)``, ``export(fmt, path)``; ``message`` tells what happened last."""

    exported = Signal(str)

    def __init__(self, db_path: Path, effective: EffectiveSettings) -> None:
        super().__init__()
        self.setWindowTitle("classwatch \u2013 past sessions")
        self.setWindowIcon(app_icon())
        self.db_path = Path(db_path)
        self.effective = effective
        self.data: SessionData | None = None
        self.timeline: TimelineWidget | None = None

        split = QSplitter(Qt.Orientation.Horizontal)
        self.setCentralWidget(split)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(12, 12, 6, 12)
        head = QLabel("Sessions")
        head.setFont(theme.font(12, bold=True))
        ll.addWidget(head)
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._selected)
        ll.addWidget(self.list, 1)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        ll.addWidget(refresh)
        split.addWidget(left)

        right = QWidget()
        self.right = QVBoxLayout(right)
        self.right.setContentsMargins(6, 12, 12, 12)
        self.right.setSpacing(10)
        self.title = QLabel("")
        self.title.setFont(theme.font(15, bold=True))
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("muted")
        self.right.addWidget(self.title)
        self.right.addWidget(self.subtitle)

        figures = card()
        fl = QHBoxLayout(figures)
        fl.setContentsMargins(16, 10, 16, 10)
        fl.setSpacing(20)  # six figures: keep wide values (2315, "neutral 59%") apart
        self.fig_mood = BigNumber("mean class mood")
        self.fig_attention = BigNumber("facing the screen")
        self.fig_readings = BigNumber("readings")
        self.fig_faces = BigNumber("faces on average")
        self.fig_off = BigNumber("cameras off on average")
        self.fig_top = BigNumber("most frequent expression")
        for w in (self.fig_mood, self.fig_attention, self.fig_readings, self.fig_faces, self.fig_off, self.fig_top):
            fl.addWidget(w)
        self.right.addWidget(figures)

        self.timeline_card = card()
        self.timeline_layout = QVBoxLayout(self.timeline_card)
        self.timeline_layout.setContentsMargins(10, 10, 10, 8)
        self.right.addWidget(self.timeline_card, 3)

        lower = QHBoxLayout()
        bm, bl = titled_card("Bookmarks and segments", (12, 10, 12, 10))
        self.bookmark_list = QListWidget()
        bl.addWidget(self.bookmark_list)
        lower.addWidget(bm, 3)
        ex, el = titled_card("Export", (12, 10, 12, 10))
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt, text in (("pdf", "PDF report\u2026"), ("csv", "CSV for spreadsheets\u2026"), ("json", "JSON\u2026")):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, f=fmt: self._export_dialog(f))
            allowed = fmt in effective.settings.export_formats
            b.setEnabled(allowed)
            if not allowed:
                b.setToolTip(
                    f"Not allowed: {effective.lock_reason}" if effective.is_locked("export_formats")
                    else "Turned off in the settings"
                )
            el.addWidget(b)
            self.export_buttons[fmt] = b
        el.addStretch(1)
        self.message = QLabel("")
        self.message.setObjectName("muted")
        self.message.setWordWrap(True)
        el.addWidget(self.message)
        lower.addWidget(ex, 2)
        self.right.addLayout(lower, 2)
        split.addWidget(right)
        split.setSizes([250, 900])
        self.resize(1180, 760)
        self.refresh()

    # --- listing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        current = self.data.info.name if self.data else None
        self.list.clear()
        if not self.db_path.exists():
            self._empty("No sessions recorded yet. Start analysing a class and it is recorded here.")
            return
        try:
            with SessionStore(self.db_path, create=False) as store:
                infos = store.list_sessions()
        except ClasswatchError as exc:
            self._empty(str(exc))
            return
        if not infos:
            self._empty("No sessions recorded yet.")
            return
        for info in reversed(infos):  # newest first
            when = local_datetime(info.started_at).strftime("%a %d %b %Y, %H:%M")
            dur = info.duration_text() if info.duration_s is not None else ""
            extra = STATUS_TEXT.get(info.status, "")
            item = QListWidgetItem(f"{info.name}\n{when} \u00b7 {dur}" + (f" \u00b7 {extra}" if extra else ""))
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            self.list.addItem(item)
        names = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]
        self.list.setCurrentRow(names.index(current) if current in names else 0)

    def _empty(self, text: str) -> None:
        self.title.setText("No session")
        self.subtitle.setText(text)

    def _selected(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.open_session(item.data(Qt.ItemDataRole.UserRole))

    # --- one session -----------------------------------------------------------------------

    def open_session(self, name: str) -> None:
        try:
            with SessionStore(self.db_path, create=False) as store:
                data = store.load(name)
        except ClasswatchError as exc:
            self.message.setText(str(exc))
            return
        self.data = data
        summary = summarize(data)
        info = data.info
        start = local_datetime(info.started_at)
        dur = info.duration_text()
        status = STATUS_TEXT.get(info.status, "")
        self.title.setText(info.name)
        self.subtitle.setText(
            f"{start.strftime('%A %d %B %Y, %H:%M')} \u00b7 {dur}" + (f" \u00b7 {status}" if status else "")
            + (f" \u00b7 {info.source}" if info.source else "")
        )
        presence = is_presence_only(data)
        self.fig_mood.set(theme.signed(summary.mean_mood_index) if not presence else "n/a")
        if summary.mean_attention is None:
            self.fig_attention.set("\u2013", "Attention was not measured in this session "
                                   "(switched off, too few faces, or recorded before attention existed).")
        else:
            self.fig_attention.set(f"{summary.mean_attention:.0%}", ATTENTION_MEANING)
        self.fig_readings.set(f"{summary.readings}", f"{summary.readings} of {summary.samples} samples had a class reading")
        self.fig_faces.set(f"{summary.mean_faces:.1f}")
        self.fig_off.set(f"{summary.mean_camera_off:.1f}")
        if summary.expression_share:
            top = max(summary.expression_share.items(), key=lambda kv: kv[1])
            self.fig_top.set(f"{top[0]} {round(100 * top[1])}%")
        else:
            self.fig_top.set("\u2013")
        # The same timeline as live mode, showing the whole session.
        if self.timeline is not None:
            self.timeline_layout.removeWidget(self.timeline)
            self.timeline.deleteLater()
        self.timeline = TimelineWidget(live=False, presence_only=presence)
        self.timeline_layout.addWidget(self.timeline)
        self.timeline.set_series(Series.from_samples([(r.wall_time, r.sample) for r in data.samples]))
        self.timeline.set_bookmarks([(b.wall_time, b.text) for b in data.bookmarks])
        self.bookmark_list.clear()
        for seg in summary.segments:
            clock = info.format_time(seg.start)  # a clock time, or a position in the video
            label = seg.label or "window"
            mood = "no mood reading" if seg.mood_index is None else f"mood {theme.signed(seg.mood_index)}"
            if seg.attention is not None:
                mood += f"  \u00b7  facing {seg.attention:.0%}"
            mark = ""
            if summary.lowest is seg:
                mark = "  \u2014 lowest"
            elif summary.highest is seg:
                mark = "  \u2014 highest"
            self.bookmark_list.addItem(f"{clock}  {label}  \u00b7  {format_duration(seg.end - seg.start)}  \u00b7  {mood}{mark}")
        self.message.setText("")

    # --- export ----------------------------------------------------------------------------

    def _export_dialog(self, fmt: str) -> None:
        if self.data is None:
            return
        suggested = str(Path.home() / f"{self.data.info.name}.{fmt}")
        path, _ = QFileDialog.getSaveFileName(self, f"Export as {fmt.upper()}", suggested, f"{fmt.upper()} (*.{fmt})")
        if path:
            self.export(fmt, Path(path))

    def export(self, fmt: str, path: Path) -> bool:
        """Write the open session as ``fmt`` to ``path``; True on success (the message says what happened)."""
        if self.data is None:
            return False
        try:
            export_session(fmt, path, self.effective, lambda: self.data)
        except ClasswatchError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"Saved {path}")
        self.exported.emit(str(path))
        return True
