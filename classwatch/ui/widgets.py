"""Small building blocks of the app's windows: cards, an elided label, the status pill, a big figure."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from . import theme
from ..runtime import State


#: What the views say for each run state.
RUN_TEXT = {
    State.IDLE: "Not analysing",
    State.STARTING: "Starting\u2026",
    State.RUNNING: "Analysing",
    State.PAUSED: "Paused",
    State.FAULT: "Paused \u00b7 retrying",
    State.STOPPED: "Not analysing",
}


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("card")
    return frame


def titled_card(title: str, margins: tuple[int, int, int, int] = (16, 12, 16, 14)) -> tuple[QFrame, QVBoxLayout]:
    """A card with a bold title on top; returns the card and its layout for the content."""
    frame = card()
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(*margins)
    label = QLabel(title)
    label.setFont(theme.font(11, bold=True))
    layout.addWidget(label)
    return frame, layout


class ElidedLabel(QLabel):
    """One line of text that gives way to its neighbours when the window is narrow:
    it shrinks with an ellipsis and shows the whole text as its tooltip, rather than
    pushing the text beside it off the edge of the window."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setText(text)

    def text(self) -> str:  # the whole text, not what fits
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 2, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(min(self.sizeHint().width(), self.fontMetrics().horizontalAdvance("\u2026") * 6),
                     super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.width())
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


class StatusPill(QWidget):
    """A dot and a word: amber and "Analysing" whenever capture runs."""

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.state = State.IDLE
        self.text = RUN_TEXT[State.IDLE]
        self.compact = compact
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Analysis status")

    def set_state(self, state: State, text: str | None = None) -> None:
        self.state = State(state)
        self.text = text or RUN_TEXT.get(state, state)
        self.setAccessibleDescription(self.text)
        self.setToolTip(self.text)
        self.updateGeometry()
        self.update()

    def _color(self) -> QColor:
        return QColor({State.RUNNING: theme.REC, State.STARTING: theme.REC, State.FAULT: theme.WARN}.get(self.state, theme.FAINT))

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        if self.compact:
            return QSize(18, 18)
        return QSize(fm.horizontalAdvance(self.text) + 40, max(26, fm.height() + 10))

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = self._color()
        h = self.height()
        if not self.compact:
            bg = QColor(color)
            bg.setAlpha(40 if self.state.active else 25)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), h / 2, h / 2)
        d = 10 if not self.compact else 12
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        x = 11 if not self.compact else (self.width() - d) / 2
        p.drawEllipse(int(x), int((h - d) / 2), d, d)
        if not self.compact:
            p.setPen(QColor(theme.TEXT))
            p.setFont(self.font())
            p.drawText(self.rect().adjusted(28, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.text)
        p.end()


class BigNumber(QWidget):
    """A large number over a small label ("12" / "faces analysed")."""

    def __init__(self, label: str, parent: QWidget | None = None, *, size: float = 22) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.value = QLabel("\u2013")
        self.value.setFont(theme.font(size, bold=True))
        self.label = QLabel(label)
        self.label.setObjectName("muted")
        self.label.setFont(theme.font(9.5))
        layout.addWidget(self.value)
        layout.addWidget(self.label)

    def set(self, text: str, tooltip: str = "") -> None:
        self.value.setText(text)
        self.setToolTip(tooltip)
