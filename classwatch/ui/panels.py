"""The dashboard's side panels: how much to trust the reading, and the attention share."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .live import ROOM_ATTENTION_MEANING, SOURCE_KINDS, TREND_ARROWS, attention_status, confidence_word, expected_faces, trend_word
from ..session.model import ATTENTION_MEANING
from .widgets import BigNumber


class TrustPanel(QWidget):
    """How much to trust the reading: faces analysed of tiles, cameras off, mean confidence;
    for a classroom camera (``set_source_kind("camera")``) the faces found of those expected."""

    def __init__(self, parent: QWidget | None = None, *, size: float = 20) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        self.faces = BigNumber("faces analysed", size=size)
        self.tiles = BigNumber("tiles", size=size)
        self.off = BigNumber("cameras off", size=size)
        self.confidence = BigNumber("confidence", size=size)
        for i, w in enumerate((self.faces, self.tiles, self.off, self.confidence)):
            grid.addWidget(w, 0, i)
        self.source_kind, self.class_size = "screen", 0

    def set_source_kind(self, kind: str, class_size: int = 0) -> None:
        """"screen" (a gallery: tiles, cameras off) or "camera" (a room: faces found of those expected)."""
        if kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {kind!r}")
        self.source_kind, self.class_size = kind, class_size
        room = kind == "camera"
        self.faces.label.setText("faces found" if room else "faces analysed")
        self.tiles.label.setText("expected" if room else "tiles")
        self.off.setVisible(not room)

    def show_sample(self, sample, *, presence_only: bool = False) -> None:
        if sample is None:
            for w in (self.faces, self.tiles, self.off, self.confidence):
                w.set("\u2013")
            return
        if self.source_kind == "camera":
            expected = expected_faces(sample, self.class_size)
            of = f" of {expected} expected" if expected is not None else ""
            self.faces.set(str(sample.faces), f"{sample.faces} faces found{of} ({sample.coverage:.0%})")
            self.tiles.set("\u2013" if expected is None else str(expected),
                           "faces expected: the class size in the settings, or the most faces seen recently")
        else:
            video = max(sample.tiles - sample.camera_off, 0)
            self.faces.set(str(sample.faces), f"{sample.faces} faces analysed in {video} tiles showing video")
            self.tiles.set(str(sample.tiles), "participant tiles found in the gallery")
            self.off.set(str(sample.camera_off), "tiles with the camera off")
        self.confidence.setVisible(not presence_only)
        if sample.faces:
            pct = round(100 * sample.confidence)
            self.confidence.set(f"{pct}%", f"mean certainty of the expression model: {confidence_word(sample.confidence)}")
            self.confidence.label.setText(f"confidence \u00b7 {confidence_word(sample.confidence)}")
        else:
            self.confidence.set("\u2013")
            self.confidence.label.setText("confidence")


def attention_trend_text(slope: float | None) -> str:
    """The trend as "↗ +8 points over the last minute" (the change in percentage points) or "→ steady ..."."""
    word = trend_word(slope)
    if not word:
        return ""
    change = "steady" if word == "steady" else f"{100 * slope:+.0f} points".replace("-", "\u2212")
    return f"{TREND_ARROWS[word]} {change} over the last minute"


class AttentionPanel(QWidget):
    """The attention share now: "72%" over "facing the screen" ("facing the front" in a room,
    ``set_source_kind("camera")``), a bar, the trend and what it is not."""

    FACING = {"screen": "facing the screen", "camera": "facing the front"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        self.value = QLabel("\u2013")
        self.value.setFont(theme.font(30, bold=True))
        self.facing = self.FACING["screen"]
        self.caption = QLabel(self.facing)
        self.caption.setObjectName("muted")
        self.caption.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setObjectName("share")
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.trend = QLabel("")
        self.trend.setObjectName("muted")
        self.trend.setFont(theme.font(9.5))
        self.trend.setWordWrap(True)
        note = QLabel("Head orientation only: not concentration or learning.")
        note.setObjectName("faint")
        note.setWordWrap(True)
        note.setFont(theme.font(9))
        for w in (self.value, self.caption, self.bar, self.trend):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(note)
        self.setToolTip(ATTENTION_MEANING)

    def set_source_kind(self, kind: str) -> None:
        if kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {kind!r}")
        old, self.facing = self.facing, self.FACING[kind]
        self.setToolTip(ROOM_ATTENTION_MEANING if kind == "camera" else ATTENTION_MEANING)
        if self.caption.text() == old:
            self.caption.setText(self.facing)

    def show_sample(self, sample, min_faces: int, trend: float | None = None) -> None:
        state, title, detail = attention_status(sample, min_faces)
        if state == "value":
            self.value.setText(f"{sample.attention:.0%}")
            self.caption.setText(self.facing)
            self.bar.setValue(round(100 * sample.attention))
            self.trend.setText(attention_trend_text(trend))
        else:  # withheld: a dash, in the words the mood uses
            self.value.setText("\u2013")
            self.caption.setText(title if state != "idle" else self.facing)
            self.bar.setValue(0)
            self.trend.setText("")
        self.setAccessibleDescription(f"{self.value.text()} {self.caption.text()}. {detail}".strip())
