"""The compact always-on-top window: the mood, the faces, the attention share, the status dot, a bookmark button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .gauge import MoodGauge
from .icons import app_icon
from .live import ROOM_ATTENTION_MEANING, SOURCE_KINDS, LiveBuffer, attention_status, expected_faces, reading_status
from ..runtime import State
from ..session.model import ATTENTION_MEANING
from .widgets import RUN_TEXT, StatusPill


class CompactWindow(QWidget):
    """A small always-on-top view: the number, the faces, the attention share, the status dot, a bookmark button."""

    expand_clicked = Signal()
    bookmark_clicked = Signal()
    start_pause_clicked = Signal()

    def __init__(self, *, presence_only: bool = False, min_faces: int = 3, attention: bool = True) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle("classwatch")
        self.setWindowIcon(app_icon())
        self.presence_only = presence_only
        self.min_faces = min_faces
        self._rendered_version = -1
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(10)
        left = QVBoxLayout()
        left.setSpacing(2)
        self.gauge = MoodGauge(compact=True)
        self.gauge.setFixedSize(120, 84)
        left.addWidget(self.gauge)
        # Under the number it belongs with (the status line beside it has no room for it).
        self.attention = QLabel("")
        self.attention.setFont(theme.font(9.5, bold=True))
        self.attention.setStyleSheet(f"color: {theme.ATTENTION};")
        self.attention.setAlignment(Qt.AlignmentFlag.AlignCenter)
        left.addWidget(self.attention)
        layout.addLayout(left)
        col = QVBoxLayout()
        col.setSpacing(2)
        top = QHBoxLayout()
        self.status = StatusPill(compact=True)
        top.addWidget(self.status)
        self.status_text = QLabel(RUN_TEXT[State.IDLE])
        self.status_text.setFont(theme.font(9.5, bold=True))
        top.addWidget(self.status_text, 1)
        col.addLayout(top)
        self.faces = QLabel("\u2013")
        self.faces.setFont(theme.font(10))
        col.addWidget(self.faces)
        self.detail = QLabel("")
        self.detail.setObjectName("muted")
        self.detail.setFont(theme.font(9))
        self.detail.setWordWrap(True)
        col.addWidget(self.detail)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.start_pause_clicked)
        self.bookmark_button = QPushButton("\u2691")
        self.bookmark_button.setToolTip("Bookmark this moment (Ctrl+B)")
        self.bookmark_button.clicked.connect(self.bookmark_clicked)
        expand = QPushButton("\u2922")
        expand.setToolTip("Back to the full dashboard")
        expand.clicked.connect(self.expand_clicked)
        for b in (self.pause_button, self.bookmark_button, expand):
            b.setStyleSheet("padding: 3px 9px;")
            buttons.addWidget(b)
        col.addLayout(buttons)
        layout.addLayout(col, 1)
        self._fault = False
        self.source_kind, self.class_size = "screen", 0
        self.set_attention(attention)
        self.set_run_state(State.IDLE)

    def set_source_kind(self, kind: str, class_size: int = 0) -> None:
        """"screen" (faces, tiles, cameras off) or "camera" (faces found of those expected); see Dashboard."""
        if kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {kind!r}")
        self.source_kind, self.class_size = kind, class_size
        self._rendered_version = -1

    def set_attention(self, on: bool) -> None:
        self.attention.setVisible(on)
        self.setFixedSize(320, 128 if on else 112)
        self._rendered_version = -1

    def set_run_state(self, state: State, message: str = "") -> None:
        state = State(state)
        self.status.set_state(state)
        self.status_text.setText(RUN_TEXT[state])
        running = state.active
        self.pause_button.setText("Pause" if running else ("Resume" if state is State.PAUSED else "Start"))
        self.bookmark_button.setEnabled(state.in_run)
        self._fault = state is State.FAULT
        if self._fault:
            self.detail.setText(message)
            self.setToolTip(message)
        else:
            self.detail.setText("")
            self.setToolTip("")
            self._rendered_version = -1

    def render(self, buffer: LiveBuffer, now: float | None = None) -> None:
        if buffer.version == self._rendered_version:
            return
        self._rendered_version = buffer.version
        s = buffer.latest
        state, title, _ = attention_status(s, self.min_faces)
        self.attention.setText(f"{s.attention:.0%} facing" if state == "value" else "\u2013 facing")
        self.attention.setToolTip(title or (ROOM_ATTENTION_MEANING if self.source_kind == "camera" else ATTENTION_MEANING))
        if s is None:
            self.faces.setText("\u2013")
            self.gauge.set_idle("\u2013")
            return
        if self.source_kind == "camera":
            expected = expected_faces(s, self.class_size)
            self.faces.setText(f"{s.faces} faces" + (f" of {expected} expected" if expected is not None else " found"))
        else:
            self.faces.setText(f"{s.faces} faces \u00b7 {s.tiles} tiles \u00b7 {s.camera_off} off")
        if self.presence_only:
            self.gauge.set_unavailable(f"{s.faces}", "faces")
            return
        state, title, _ = reading_status(s, self.min_faces)
        if state == "value":
            self.gauge.set_value(s.mood_index)
            word = theme.mood_word(s.mood_index)
        else:
            self.gauge.set_unavailable("\u2013")
            word = "too few faces for a reading" if s.faces < self.min_faces else "no reading"
        if not self._fault:
            self.detail.setText(word)
