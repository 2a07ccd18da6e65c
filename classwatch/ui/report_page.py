"""The PDF report's page: A4 in millimetres, its colours and fonts, and ``Doc``, a cursor over the pages
that starts a new page when a block does not fit. Works without a display (see ``ensure_app``)."""

from __future__ import annotations

import os
import sys

if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    # Must be set before the first QGuiApplication exists; a user's own choice is kept.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QGuiApplication,
    QPainter,
    QPdfWriter,
    QPen,
)
from PySide6.QtWidgets import QApplication  # noqa: E402

PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
MARGIN = 18.0
CONTENT_W = PAGE_W - 2 * MARGIN
FOOTER_H = 10.0
DPI = 300

INK = QColor("#1f2328")
MUTED = QColor("#59636e")
RULE = QColor("#d1d9e0")
ACCENT = QColor("#1f5fa8")
ATTENTION = QColor("#6f4aa8")  # apart from the mood's blue and the red / green of the shaded stretches
RAW_LINE = QColor("#aeb8c2")
POSITIVE = QColor("#2e7d4f")
NEGATIVE = QColor("#b83a3a")
NEUTRAL = QColor("#8a939c")
LOW_BAND = QColor(184, 58, 58, 38)
HIGH_BAND = QColor(46, 125, 79, 38)

#: Up to this many readings the chart shows each one as a dot instead of lines.
FEW_READINGS = 20

#: Sign of each expression in the mood index (for the colour of its bar).
VALENCE = {"happy": 1, "surprise": 0, "neutral": 0}

_app: QGuiApplication | None = None  # kept alive for the life of the process


def ensure_app() -> None:
    # A QApplication, not a bare QGuiApplication: the same process may show
    # widgets later (the app exports PDFs), and widgets need a QApplication.
    global _app
    if QGuiApplication.instance() is None:
        _app = QApplication([sys.argv[0] if sys.argv else "classwatch"])


def pdf_font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(["Segoe UI", "Helvetica Neue", "Helvetica", "Arial", "DejaVu Sans"])
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def signed(value: float | None) -> str:
    # A real minus sign: "-0.12" reads as a dash in proportional fonts.
    return "n/a" if value is None else f"{value:+.2f}".replace("-", "\u2212")


class Doc:
    """A cursor over the pages: positions in mm from the top-left of the page."""

    def __init__(self, writer: QPdfWriter, painter: QPainter, footer: str) -> None:
        self.writer = writer
        self.p = painter
        self.footer = footer
        self.scale = writer.resolution() / 25.4  # device units per mm
        self.y = MARGIN
        self.page = 1

    def mm(self, value: float) -> float:
        return value * self.scale

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(self.mm(x), self.mm(y), self.mm(w), self.mm(h))

    def pen(self, color: QColor, width_mm: float = 0.25, style=Qt.PenStyle.SolidLine) -> QPen:
        pen = QPen(color, self.mm(width_mm), style)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    def fits(self, height: float) -> bool:
        return self.y + height <= PAGE_H - MARGIN - FOOTER_H

    def ensure(self, height: float) -> None:
        if not self.fits(height):
            self.new_page()

    def new_page(self) -> None:
        self.draw_footer()
        self.writer.newPage()
        self.page += 1
        self.y = MARGIN

    def draw_footer(self) -> None:
        self.p.setFont(pdf_font(7.5))
        self.p.setPen(MUTED)
        y = PAGE_H - MARGIN - 4
        left_w = CONTENT_W - 20  # the rest is for the page number
        text = self.p.fontMetrics().elidedText(self.footer, Qt.TextElideMode.ElideRight, int(self.mm(left_w)))
        self.p.drawText(self.rect(MARGIN, y, left_w, 5), Qt.AlignmentFlag.AlignLeft, text)
        self.p.drawText(self.rect(MARGIN, y, CONTENT_W, 5), Qt.AlignmentFlag.AlignRight, f"page {self.page}")

    def text_height(self, text: str, font: QFont, width: float = CONTENT_W) -> float:
        self.p.setFont(font)
        bound = self.p.boundingRect(self.rect(0, 0, width, 1000), Qt.TextFlag.TextWordWrap, text)
        return bound.height() / self.scale

    def draw_text(self, x: float, y: float, w: float, h: float, text: str, font: QFont, color: QColor = INK,
                  align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) -> None:
        self.p.setFont(font)
        self.p.setPen(color)
        self.p.drawText(self.rect(x, y, w, h), int(align) | int(Qt.TextFlag.TextWordWrap), text)

    def paragraph(self, text: str, font: QFont, color: QColor = INK, after: float = 2.0) -> None:
        """Wrapped text across the content width; moves to a new page first if it does not fit."""
        height = self.text_height(text, font)
        self.ensure(height)
        self.draw_text(MARGIN, self.y, CONTENT_W, height + 1, text, font, color)
        self.y += height + after

    def heading(self, text: str, space_needed: float = 30.0) -> None:
        """A section title, kept on the same page as the first ``space_needed`` mm of its section."""
        self.ensure(9 + space_needed)
        self.y += 3
        self.draw_text(MARGIN, self.y, CONTENT_W, 7, text, pdf_font(12, bold=True))
        self.y += 6.5
        self.p.setPen(self.pen(RULE, 0.3))
        self.p.drawLine(QPointF(self.mm(MARGIN), self.mm(self.y)), QPointF(self.mm(MARGIN + CONTENT_W), self.mm(self.y)))
        self.y += 3


# --- sections -------------------------------------------------------------
