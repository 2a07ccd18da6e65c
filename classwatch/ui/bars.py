"""Expression distribution now: one horizontal bar per expression, in a fixed order.

The order never changes (positive first, then neutral and surprise, then the
negative ones), so a glance finds the same bar in the same place every time.
Shares are the class's mean probabilities (they sum to 100 %).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme
from ..types import EXPRESSIONS

DISPLAY_ORDER = ("happy", "neutral", "surprise", "sad", "fear", "angry", "disgust")
assert sorted(DISPLAY_ORDER) == sorted(EXPRESSIONS)


class ExpressionBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shares: np.ndarray | None = None  # (7,) in EXPRESSIONS order
        self.placeholder = "No reading"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 150)
        self.setAccessibleName("Expressions now")

    def set_shares(self, shares: np.ndarray | None, placeholder: str = "No reading") -> None:
        self.shares = None if shares is None else np.asarray(shares, np.float32).reshape(-1)
        self.placeholder = placeholder
        if self.shares is not None:
            desc = ", ".join(f"{n} {round(100 * self.share(n))} %" for n in DISPLAY_ORDER)
            self.setAccessibleDescription(desc)
        self.update()

    def share(self, name: str) -> float:
        if self.shares is None:
            return 0.0
        return float(self.shares[EXPRESSIONS.index(name)])

    def sizeHint(self) -> QSize:
        return QSize(280, 200)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        rows = len(DISPLAY_ORDER)
        row_h = min(30.0, h / rows)
        top = (h - row_h * rows) / 2
        label_w = min(82.0, w * 0.3)
        pct_w = 44.0
        bar_x = label_w + 8
        bar_w = max(10.0, w - bar_x - pct_w - 6)
        f = theme.font(10)
        f.setPixelSize(int(max(11, min(14, row_h * 0.48))))
        p.setFont(f)
        have = self.shares is not None
        for i, name in enumerate(DISPLAY_ORDER):
            y = top + i * row_h
            p.setPen(QColor(theme.TEXT if have else theme.FAINT))
            p.drawText(QRectF(0, y, label_w, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            track = QRectF(bar_x, y + row_h * 0.22, bar_w, row_h * 0.56)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255, 14))
            p.drawRoundedRect(track, 3, 3)
            if not have:
                continue
            share = max(0.0, min(1.0, self.share(name)))
            if share > 0.002:
                p.setBrush(theme.expression_color(name, 230))
                p.drawRoundedRect(QRectF(track.x(), track.y(), max(3.0, bar_w * share), track.height()), 3, 3)
            p.setPen(QColor(theme.MUTED))
            p.drawText(QRectF(bar_x + bar_w + 4, y, pct_w, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"{round(100 * share)} %")
        if not have:
            f2 = theme.font(10)
            f2.setPixelSize(13)
            p.setFont(f2)
            box = p.fontMetrics().boundingRect(self.placeholder)
            bw, bh = box.width() + 24, box.height() + 12
            panel = QRectF(bar_x + (bar_w - bw) / 2, (h - bh) / 2, bw, bh)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.PANEL))
            p.drawRoundedRect(panel, 6, 6)
            p.setPen(QColor(theme.MUTED))
            p.drawText(panel, Qt.AlignmentFlag.AlignCenter, self.placeholder)
        p.end()
