"""The class mood gauge: a diverging arc from -1 to +1, readable at a glance.

The arc is the colour scale itself (orange - grey - blue, see ``theme``),
faint along its whole length and solid from the centre (0, at the top) to the
current value, so the length and the colour of the filled part both say the
same thing. The number sits large in the middle with a few words and the
trend underneath. When there is no reading (too few faces, presence-only,
not analysing) the arc stays faint and the middle says why, instead of a
number.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QConicalGradient, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme
from .live import TREND_ARROWS, trend_word

#: The arc runs from START_DEG (value -1, lower left) clockwise through 90 (value 0, top) to 90 - (START_DEG - 90).
START_DEG = 215.0
SWEEP_DEG = 2 * (START_DEG - 90.0)


def value_angle(value: float) -> float:
    """Angle in degrees (Qt convention: counter-clockwise from 3 o'clock) of a value in [-1, 1]."""
    v = max(-1.0, min(1.0, value))
    return START_DEG - (v + 1.0) / 2.0 * SWEEP_DEG


class MoodGauge(QWidget):
    """States: ``value`` (a number and a trend), ``unavailable`` (a reason), ``idle``."""

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.compact = compact
        self.state = "idle"
        self.value: float | None = None
        self.trend: float | None = None
        self.title = "Not analysing"
        self.detail = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(90, 70) if compact else QSize(220, 170))
        self.setAccessibleName("Class mood gauge")

    # --- state -------------------------------------------------------------------------------

    def set_value(self, value: float, trend: float | None = None) -> None:
        self.state, self.value, self.trend = "value", max(-1.0, min(1.0, float(value))), trend
        self.title, self.detail = "", ""
        self.setAccessibleDescription(f"Class mood {theme.signed(self.value)}, {theme.mood_word(self.value)}")
        self.update()

    def set_unavailable(self, title: str, detail: str = "") -> None:
        self.state, self.value, self.trend = "unavailable", None, None
        self.title, self.detail = title, detail
        self.setAccessibleDescription(f"{title}. {detail}")
        self.update()

    def set_idle(self, title: str = "Not analysing", detail: str = "") -> None:
        self.set_unavailable(title, detail)
        self.state = "idle"

    @property
    def text(self) -> str:
        """What the middle of the gauge says (for tests and accessibility)."""
        if self.state == "value":
            return theme.signed(self.value)
        return self.title

    def sizeHint(self) -> QSize:
        return QSize(130, 90) if self.compact else QSize(300, 230)

    # --- painting ----------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        # The arc's bounding circle: as large as fits, leaving room below for text.
        below = 0.30 if not self.compact else 0.18
        r = min(w / 2.0 - 8, (h - 8) / (1.0 + math.sin(math.radians(START_DEG - 180)) + below))
        r = max(r, 20.0)
        thick = max(6.0, r * (0.13 if not self.compact else 0.17))
        cx, cy = w / 2.0, 6 + r + thick / 2
        rect = QRectF(cx - r, cy - r, 2 * r, 2 * r)
        self._draw_arc(p, rect, thick)
        self._draw_text(p, cx, cy, r, thick)
        p.end()

    def _scale_pen(self, rect: QRectF, thick: float, alpha: int) -> QPen:
        """A pen whose colour follows the mood scale around the arc (a conical gradient)."""
        end_deg = START_DEG - SWEEP_DEG  # value +1
        grad = QConicalGradient(rect.center(), end_deg)
        # Positions run counter-clockwise from +1: 0 -> +1, mid -> 0, SWEEP -> -1.
        span = SWEEP_DEG / 360.0
        for i in range(9):
            v = 1.0 - 2.0 * i / 8
            grad.setColorAt(span * i / 8, theme.mood_color(v, alpha))
        grad.setColorAt(min(1.0, span + 0.01), theme.mood_color(-1.0, alpha))
        grad.setColorAt(1.0, theme.mood_color(1.0, alpha))
        return QPen(QBrush(grad), thick, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)

    def _draw_arc(self, p: QPainter, rect: QRectF, thick: float) -> None:
        if self.state == "value":
            p.setPen(self._scale_pen(rect, thick, 60))
        else:
            faint = QColor(theme.FAINT)
            faint.setAlpha(90)
            p.setPen(QPen(faint, thick, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawArc(rect, int(START_DEG * 16), int(-SWEEP_DEG * 16))
        if self.state != "value" or self.value is None:
            return
        # Filled part: from 0 (top) to the value, coloured by the same scale.
        v = self.value
        a0, a1 = value_angle(0.0), value_angle(v)
        if abs(a1 - a0) > 0.2:
            p.setPen(self._scale_pen(rect, thick, 255))
            p.drawArc(rect, int(a0 * 16), int((a1 - a0) * 16))
        # Marker: a ring at the value.
        ang = math.radians(a1)
        cx, cy, r = rect.center().x(), rect.center().y(), rect.width() / 2
        pt = QPointF(cx + r * math.cos(ang), cy - r * math.sin(ang))
        p.setPen(QPen(QColor(theme.BG), max(2.0, thick * 0.18)))
        p.setBrush(QColor(theme.TEXT))
        p.drawEllipse(pt, thick * 0.62, thick * 0.62)

    def _draw_text(self, p: QPainter, cx: float, cy: float, r: float, thick: float) -> None:
        compact = self.compact
        if self.state == "value":
            size = max(12.0, r * (0.42 if not compact else 0.5))
            f = theme.font(size, weight=QFont.Weight.DemiBold)
            f.setPixelSize(int(size))
            p.setFont(f)
            p.setPen(QColor(theme.TEXT))  # the arc carries the colour; the number stays plain and legible
            box = QRectF(cx - r, cy - size * 0.95, 2 * r, size * 1.2)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, theme.signed(self.value))
            if compact:
                return
            small = max(9.0, r * 0.12)
            f2 = theme.font(small)
            f2.setPixelSize(int(small))
            p.setFont(f2)
            p.setPen(QColor(theme.TEXT))
            p.drawText(QRectF(cx - r, cy + size * 0.28, 2 * r, small * 1.5), Qt.AlignmentFlag.AlignCenter,
                       theme.mood_word(self.value))
            word = trend_word(self.trend)
            if word:
                arrow = TREND_ARROWS[word]
                p.setPen(QColor(theme.MUTED))
                p.drawText(QRectF(cx - r, cy + size * 0.28 + small * 1.5, 2 * r, small * 1.5),
                           Qt.AlignmentFlag.AlignCenter, f"{arrow} {word} over the last minute")
            self._draw_scale_labels(p, cx, cy, r, thick)
            return
        # No reading: say why, calmly, in the middle.
        size = max(10.0, r * (0.15 if not compact else 0.2))
        f = theme.font(size, weight=QFont.Weight.DemiBold)
        f.setPixelSize(int(size))
        p.setFont(f)
        p.setPen(QColor(theme.TEXT if self.state == "unavailable" else theme.MUTED))
        width = 2 * r * 0.86
        p.drawText(QRectF(cx - width / 2, cy - r * 0.42, width, r * 0.55),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap, self.title)
        if self.detail and not compact:
            small = max(9.0, r * 0.105)
            f2 = theme.font(small)
            f2.setPixelSize(int(small))
            p.setFont(f2)
            p.setPen(QColor(theme.MUTED))
            p.drawText(QRectF(cx - width / 2, cy + r * 0.17, width, r * 0.75),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, self.detail)
        if not compact:
            self._draw_scale_labels(p, cx, cy, r, thick)

    def _draw_scale_labels(self, p: QPainter, cx: float, cy: float, r: float, thick: float) -> None:
        small = max(9.0, r * 0.095)
        f = theme.font(small)
        f.setPixelSize(int(small))
        p.setFont(f)
        p.setPen(QColor(theme.FAINT if self.state != "value" else theme.MUTED))
        for value, text in ((-1.0, "\u22121 negative"), (1.0, "positive +1")):
            ang = math.radians(value_angle(value))
            x = cx + r * math.cos(ang)
            y = cy - r * math.sin(ang) + thick * 0.6 + small * 0.2
            wbox = r * 1.1
            if value < 0:
                box = QRectF(x - thick, y, wbox, small * 1.6)
                align = Qt.AlignmentFlag.AlignLeft
            else:
                box = QRectF(x + thick - wbox, y, wbox, small * 1.6)
                align = Qt.AlignmentFlag.AlignRight
            p.drawText(box, align | Qt.AlignmentFlag.AlignTop, text)
