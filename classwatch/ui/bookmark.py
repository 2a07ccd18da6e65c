"""The bookmark popup: mark this moment, optionally say what it was.

The moment is taken when the button or shortcut is pressed, not when the
text is confirmed: typing "asked a question" takes a few seconds and the
mark belongs where the question was. Enter saves (text optional), a preset
saves at once, Esc cancels.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from . import theme

PRESETS = ("New topic", "Asked a question", "Group work", "Break")


class BookmarkPopup(QDialog):
    """``chosen(wall_time, text)`` when saved; nothing when cancelled."""

    chosen = Signal(float, str)

    def __init__(self, parent: QWidget | None = None, wall_time: float | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.FramelessWindowHint)
        self.wall_time = time.time() if wall_time is None else wall_time
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("bookmarkPopup")
        self.setStyleSheet(f"#bookmarkPopup {{ border: 1px solid {theme.ACCENT}; border-radius: 10px; }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        title = QLabel(f"\u2691  Bookmark at {datetime.fromtimestamp(self.wall_time).strftime('%H:%M:%S')}")
        title.setFont(theme.font(11, bold=True))
        layout.addWidget(title)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("What happened? (optional, Enter to save)")
        self.edit.setMaxLength(200)
        self.edit.returnPressed.connect(self.save)
        layout.addWidget(self.edit)
        row = QHBoxLayout()
        row.setSpacing(6)
        for text in PRESETS:
            b = QPushButton(text)
            b.setAutoDefault(False)
            b.setStyleSheet("padding: 4px 10px;")
            b.clicked.connect(lambda _=False, t=text: self.save(t))
            row.addWidget(b)
        layout.addLayout(row)
        hint = QLabel("Enter saves \u00b7 Esc cancels")
        hint.setObjectName("faint")
        layout.addWidget(hint)
        self.setMinimumWidth(430)

    def save(self, text: str | None = None) -> None:
        text = self.edit.text() if text is None else text
        self.chosen.emit(self.wall_time, text.strip())
        self.accept()

    def place_near(self, widget: QWidget | None) -> None:
        """Show under ``widget`` (a button) when it is visible, else in the middle of the screen."""
        self.adjustSize()
        if widget is not None and widget.isVisible():
            pos = widget.mapToGlobal(widget.rect().bottomLeft())
            screen = widget.screen().availableGeometry()
            x = min(max(pos.x() - self.width() // 2, screen.left()), screen.right() - self.width())
            y = min(pos.y() + 6, screen.bottom() - self.height())
            self.move(x, y)
        else:
            screen = QGuiApplication.primaryScreen().availableGeometry()
            self.move(screen.center().x() - self.width() // 2, screen.center().y() - self.height() // 2)
