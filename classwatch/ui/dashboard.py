"""The dashboard window (its compact companion is ``compact.py``).

Both are views: the controller (``controller.py``) owns the state and the ring
buffer and calls ``render(buffer, now)`` from its display timer; the buttons
only emit signals. Nothing here knows about threads, capture or the store.

Layout, top to bottom: a header with the "analysing" indicator and the main
actions; a banner when analysis is paused by a fault (or a first-run hint);
the mood gauge with how much to trust it, beside the expressions now and the
attention share (which stays in presence-only mode, and is hidden when
attention is switched off); the timeline; a footer with the session and the
privacy line.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .bars import ExpressionBars
from .gauge import MoodGauge
from .icons import app_icon
from .live import LiveBuffer, reading_status
from .timeline import TimelineWidget
from ..runtime import State
from ..session.model import format_duration
from .panels import AttentionPanel, TrustPanel
from .widgets import ElidedLabel, StatusPill, card, titled_card

PRIVACY_LINE = "Class aggregates only \u00b7 no images stored"
PRIVACY_TIP = ("classwatch shows and records numbers about the whole class, never about one person. "
               "No screen picture or face image is written anywhere; it stays in memory for one reading.")

#: The words that depend on what is read (``set_source_kind``): a video-call gallery or a classroom camera.
WORDING = {
    "screen": {
        "start": "Start analysing the video-call gallery (Ctrl+Shift+S)",
        "idle": "Press Start and select the video-call gallery.",
        "hint": "<b>Getting started:</b> open your Zoom, Teams or Meet <b>gallery view</b>, press <b>Start</b>, "
                "then drag a rectangle around the participant tiles. The reading appears within seconds.",
        "presence": "Presence-only mode: expression analysis is switched off by the admin policy. "
                    "Only faces, tiles and cameras off are counted.",
        "compact": "A small always-on-top view to keep beside the call (Ctrl+Shift+M)",
    },
    "camera": {
        "start": "Start reading the classroom camera (Ctrl+Shift+S)",
        "idle": "Press Start to read the classroom camera.",
        "hint": "<b>Getting started:</b> point the camera at the class and press <b>Start</b>. "
                "The reading appears within seconds.",
        "presence": "Presence-only mode: expression analysis is switched off by the admin policy. "
                    "Only the faces found, of those expected, are counted.",
        "compact": "A small always-on-top view to keep on screen during the lesson (Ctrl+Shift+M)",
    },
}


class Dashboard(QMainWindow):
    start_pause_clicked = Signal()
    stop_clicked = Signal()
    bookmark_clicked = Signal()
    compact_clicked = Signal()
    region_clicked = Signal()
    sessions_clicked = Signal()
    settings_clicked = Signal()

    def __init__(self, *, presence_only: bool = False, min_faces: int = 3, attention: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("classwatch")
        self.setWindowIcon(app_icon())
        self.setObjectName("dashboard")
        self.min_faces = min_faces
        self.presence_only = presence_only
        self.attention_on = attention
        self.run_state = State.IDLE
        self._fault_message = ""
        self._rendered_version = -1
        self._session_started: float | None = None
        self._session_name = ""

        root = QWidget()
        self.setCentralWidget(root)
        outer = QVBoxLayout(root)
        outer.setContentsMargins(16, 12, 16, 10)
        outer.setSpacing(10)

        # header
        header = QHBoxLayout()
        header.setSpacing(10)
        name = QLabel("classwatch")
        name.setFont(theme.font(15, bold=True))
        header.addWidget(name)
        self.status = StatusPill()
        self.status.setFont(theme.font(10.5, bold=True))
        header.addWidget(self.status)
        header.addStretch(1)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start_pause_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End this session")
        self.stop_button.clicked.connect(self.stop_clicked)
        self.bookmark_button = QPushButton("\u2691  Bookmark")
        self.bookmark_button.setToolTip("Mark this moment, e.g. \u201cnew topic\u201d (Ctrl+B)")
        self.bookmark_button.clicked.connect(self.bookmark_clicked)
        self.compact_button = QPushButton("Compact")
        self.compact_button.clicked.connect(self.compact_clicked)
        more = QToolButton()
        more.setText("\u22EF")
        more.setToolTip("More")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more.setStyleSheet("QToolButton { border: none; font-size: 18px; padding: 0 6px; } QToolButton::menu-indicator { image: none; }")
        menu = QMenu(more)
        self.region_action = menu.addAction("Select capture region\u2026", self.region_clicked.emit)
        menu.addAction("Past sessions\u2026", self.sessions_clicked.emit)
        menu.addAction("Settings\u2026", self.settings_clicked.emit)
        more.setMenu(menu)
        self.more_menu = menu
        for w in (self.start_button, self.stop_button, self.bookmark_button, self.compact_button, more):
            header.addWidget(w)
        outer.addLayout(header)

        # banners
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        outer.addWidget(self.banner)
        self.hint = QLabel(WORDING["screen"]["hint"])
        self.hint.setWordWrap(True)
        self.hint.setObjectName("muted")
        outer.addWidget(self.hint)

        # main row: gauge + trust | expressions (or presence numbers)
        row = QHBoxLayout()
        row.setSpacing(12)
        self.mood_card, mc = titled_card("Class mood")
        self.gauge = MoodGauge()
        mc.addWidget(self.gauge, 1)
        self.trust = TrustPanel()
        mc.addWidget(self.trust)
        row.addWidget(self.mood_card, 5)

        self.expr_card, ec = titled_card("Expressions now")
        self.bars = ExpressionBars()
        ec.addWidget(self.bars, 1)
        note = QLabel("Share of the class, from facial expression only: a hint about the room, not about learning.")
        note.setObjectName("faint")
        note.setWordWrap(True)
        note.setFont(theme.font(9))
        ec.addWidget(note)
        row.addWidget(self.expr_card, 4)

        self.presence_card, pc = titled_card("Presence", margins=(20, 14, 20, 16))
        pc.addStretch(1)
        self.presence = TrustPanel(size=34)
        self.presence.confidence.setVisible(False)
        pc.addWidget(self.presence)
        pc.addStretch(1)
        self.presence_note = pnote = QLabel(WORDING["screen"]["presence"])
        pnote.setObjectName("muted")
        pnote.setWordWrap(True)
        pc.addWidget(pnote)
        row.addWidget(self.presence_card, 9)

        self.attention_card, ac = titled_card("Attention")
        self.attention = AttentionPanel()
        ac.addWidget(self.attention, 1)
        self.attention_card.setMinimumWidth(150)
        row.addWidget(self.attention_card, 2)
        outer.addLayout(row, 4)

        # timeline
        self.timeline_card = card()
        tc = QVBoxLayout(self.timeline_card)
        tc.setContentsMargins(10, 10, 10, 8)
        self.timeline = TimelineWidget(live=True, presence_only=presence_only)
        tc.addWidget(self.timeline)
        self.timeline_card.setMinimumHeight(250)
        outer.addWidget(self.timeline_card, 5)

        # footer: the source over the session on the left, so both fit beside the
        # privacy line at the default size; the privacy line is always whole, and
        # a very long file or session name gives way with an ellipsis (and a tooltip).
        footer = QHBoxLayout()
        footer.setSpacing(14)
        where = QVBoxLayout()
        where.setSpacing(0)
        self.source_label = ElidedLabel()
        self.source_label.setObjectName("muted")
        where.addWidget(self.source_label)
        self.session_label = ElidedLabel()
        self.session_label.setObjectName("muted")
        where.addWidget(self.session_label)
        footer.addLayout(where, 1)
        self.privacy_label = QLabel(PRIVACY_LINE)
        self.privacy_label.setObjectName("faint")
        self.privacy_label.setToolTip(PRIVACY_TIP)
        self.privacy_label.setMinimumWidth(self.privacy_label.sizeHint().width())
        footer.addWidget(self.privacy_label, 0, Qt.AlignmentFlag.AlignTop)  # on the first line
        outer.addLayout(footer)

        #: Called with the QCloseEvent instead of closing (the controller hides to the tray).
        self.on_close = None
        self.source_kind = "screen"
        self.set_source_kind("screen")
        self.set_presence_only(presence_only)
        self.set_attention(attention)
        self.set_run_state(State.IDLE)
        # Never so narrow that the cards cut their figures short: the mood card's four
        # figures ("confidence · good" the widest), the expressions and the attention.
        self.setMinimumSize(860, 560)
        self.resize(self.sizeHint())

    # --- modes and states ------------------------------------------------------------------

    def set_presence_only(self, presence_only: bool) -> None:
        if presence_only != self.timeline.presence_only:
            layout = self.timeline_card.layout()
            old = self.timeline
            self.timeline = TimelineWidget(live=True, presence_only=presence_only)
            self.timeline.set_source_kind(self.source_kind)
            layout.replaceWidget(old, self.timeline)
            old.deleteLater()
            self.timeline.set_attention_visible(self.attention_on)
            self._rendered_version = -1
        self.presence_only = presence_only
        self.mood_card.setVisible(not presence_only)
        self.expr_card.setVisible(not presence_only)
        self.presence_card.setVisible(presence_only)

    def set_source_kind(self, kind: str, class_size: int = 0) -> None:
        """What is read: "screen" (a video-call gallery: tiles, cameras off, facing the screen) or
        "camera" (a classroom: faces found of ``class_size`` or of the most seen recently, facing
        the front). Set by the controller from the settings, never guessed from the numbers."""
        if kind not in WORDING:
            raise ValueError(f"unknown source kind {kind!r}")
        words = WORDING[kind]
        self.source_kind = kind
        for panel in (self.trust, self.presence):
            panel.set_source_kind(kind, class_size)
        self.attention.set_source_kind(kind)
        self.timeline.set_source_kind(kind)
        self.hint.setText(words["hint"])
        self.presence_note.setText(words["presence"])
        self.compact_button.setToolTip(words["compact"])
        self._rendered_version = -1  # the figures are worded anew at the next render
        self.set_run_state(self.run_state, self._fault_message)

    def set_attention(self, on: bool) -> None:
        """Attention switched on or off (the setting, or the admin policy): off hides it everywhere."""
        self.attention_on = on
        self.attention_card.setVisible(on)
        self.timeline.set_attention_visible(on)
        self._rendered_version = -1  # switched back on, it shows the latest reading at the next render

    def set_run_state(self, state: State, message: str = "") -> None:
        state = self.run_state = State(state)
        self._fault_message = message
        words = WORDING[self.source_kind]
        self.status.set_state(state)
        running = state.active
        self.start_button.setText("Pause" if running else ("Resume" if state is State.PAUSED else "Start"))
        self.start_button.setToolTip("Pause analysing (Ctrl+Shift+S)" if running else words["start"])
        self.stop_button.setEnabled(state.in_run)
        self.bookmark_button.setEnabled(state.in_run)
        if state is State.FAULT:
            self.show_fault(message)
        else:
            self.clear_fault()
        self.hint.setVisible(state is State.IDLE)
        if not state.in_run and self._session_started is None:
            self.gauge.set_idle("Not analysing", words["idle"])
        elif state is State.STARTING:
            self.gauge.set_idle("Starting\u2026", "Loading the models and opening the capture.")

    def show_fault(self, message: str) -> None:
        self.banner.setText(f"<b>Analysis paused.</b> {message} <br>classwatch retries every few seconds and "
                            "resumes by itself; everything recorded so far is kept.")
        self.banner.setVisible(True)

    def clear_fault(self) -> None:
        self.banner.setVisible(False)

    def set_source_text(self, text: str) -> None:
        self.source_label.setText(text)

    def set_session(self, name: str | None, started: float | None) -> None:
        self._session_name = name or ""
        self._session_started = started

    def session_text(self, now: float) -> str:
        if not self._session_name:
            return ""
        elapsed = format_duration(now - self._session_started) if self._session_started else ""
        return f"Session \u201c{self._session_name}\u201d \u00b7 {elapsed}"

    # --- rendering (display timer) ---------------------------------------------------------

    def render(self, buffer: LiveBuffer, now: float | None = None, *, running: bool = True) -> None:
        """Show the newest reading; redraws the plots only when the buffer changed."""
        now = time.time() if now is None else now
        self.session_label.setText(self.session_text(now))
        if buffer.version == self._rendered_version:
            if running:
                self.timeline.follow_now(now)
            return
        self._rendered_version = buffer.version
        sample = buffer.latest
        if self.presence_only:
            self.presence.show_sample(sample, presence_only=True)
        else:
            state, title, detail = reading_status(sample, self.min_faces)
            if state == "value":
                self.gauge.set_value(sample.mood_index, buffer.trend(now))
                self.bars.set_shares(sample.mean_probs)
            else:
                if sample is not None or self.run_state.in_run:
                    self.gauge.set_unavailable(title, detail) if sample is not None else self.gauge.set_idle(title, detail)
                self.bars.set_shares(None, "No class reading" if sample is not None else "No reading yet")
            self.trust.show_sample(sample)
        if self.attention_on:
            self.attention.show_sample(sample, self.min_faces, buffer.trend(now, of="attention"))
        if len(buffer):
            self.timeline.set_series(buffer.series(), now if running else None)  # scrolls too
        elif running:
            self.timeline.follow_now(now)

    def sizeHint(self) -> QSize:
        """1080 x 800, or less on a small screen (a 1366 x 768 laptop also shows the call)."""
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None:
            return QSize(1080, 800)
        return QSize(min(1080, int(screen.width() * 0.8)), min(800, int(screen.height() * 0.9)))

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.on_close is not None:
            self.on_close(event)
        else:
            super().closeEvent(event)
