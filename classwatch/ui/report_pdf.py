"""The PDF session report: what a teacher or reviewer reads after class.

Drawn with QPainter on a QPdfWriter, so text stays text (searchable,
selectable) and the charts are vector graphics. Works without a display:
when no Qt application exists one is made, on the "offscreen" platform if
there is no display to talk to.

Page layout in millimetres on A4; ``_Doc`` turns them into device units
and starts a new page when a block does not fit.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..aggregate import MIN_FACES
from ..errors import SessionError
from ..export import WRITERS
from ..session.exporting import atomic_output
from ..session.model import (
    ATTENTION_MEANING,
    SessionData,
    SessionInfo,
    SessionStatus,
    TimeBase,
    describe_settings,
    format_clock,
    format_count,
    format_duration,
    format_utc_offset,
    local_datetime,
)
from ..session.summary import LEVEL_RANGE, MIN_SEGMENT_SAMPLES, Segment, SessionSummary, summarize
from ..types import EXPRESSIONS

if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    # Must be set before the first QGuiApplication exists; a user's own choice is kept.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
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


def _ensure_app() -> None:
    # A QApplication, not a bare QGuiApplication: the same process may show
    # widgets later (the app exports PDFs), and widgets need a QApplication.
    global _app
    if QGuiApplication.instance() is None:
        _app = QApplication([sys.argv[0] if sys.argv else "classwatch"])


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(["Segoe UI", "Helvetica Neue", "Helvetica", "Arial", "DejaVu Sans"])
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _signed(value: float | None) -> str:
    # A real minus sign: "-0.12" reads as a dash in proportional fonts.
    return "n/a" if value is None else f"{value:+.2f}".replace("-", "\u2212")


class _Doc:
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
        self.p.setFont(_font(7.5))
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
        self.draw_text(MARGIN, self.y, CONTENT_W, 7, text, _font(12, bold=True))
        self.y += 6.5
        self.p.setPen(self.pen(RULE, 0.3))
        self.p.drawLine(QPointF(self.mm(MARGIN), self.mm(self.y)), QPointF(self.mm(MARGIN + CONTENT_W), self.mm(self.y)))
        self.y += 3


# --- sections -------------------------------------------------------------


def _when(info: SessionInfo) -> str:
    """The date, the wall-clock span and the length of a session.

    A session analysed from a file gives the time its analysis ran and the
    length of video analysed: its sample times are positions in the video,
    and reading them as clock times would put its end in the future.
    """
    start = local_datetime(info.started_at)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    zone = format_utc_offset(info.started_at)
    if info.time_base is TimeBase.MEDIA:
        span = format_clock(info.started_at) + ("" if info.ended_at is None else f"\u2013{format_clock(info.ended_at)}")
        return f"{day}, analysed {span} ({zone}) \u00b7 {info.duration_text()} analysed"
    return f"{day}, {format_clock(info.started_at)}\u2013{format_clock(info.end)} ({zone}) \u00b7 {info.duration_text()}"


def _title(doc: _Doc, data: SessionData, summary: SessionSummary) -> None:
    info = data.info
    doc.draw_text(MARGIN, doc.y, CONTENT_W, 5, "CLASS MOOD REPORT", _font(8, bold=True), ACCENT)
    doc.y += 5
    height = doc.text_height(info.name, _font(20, bold=True))
    doc.draw_text(MARGIN, doc.y, CONTENT_W, height, info.name, _font(20, bold=True))
    doc.y += height + 1
    doc.paragraph(_when(info), _font(10.5), MUTED, after=3)
    if info.status is SessionStatus.ENDED_UNEXPECTEDLY:
        # ended_at: the wall-clock time of the last write, for media sessions too.
        if info.time_base is TimeBase.MEDIA:
            text = (f"The analysis stopped unexpectedly (the app was closed or crashed) at {format_clock(info.ended_at)}, "
                    f"after {info.duration_text()}; everything analysed until then is included.")
        else:
            text = (f"The recording ended unexpectedly (the app was closed or crashed) at {format_clock(info.ended_at)}; "
                    "everything recorded until then is included.")
        doc.paragraph(text, _font(9, bold=True), NEGATIVE)
    elif info.status is SessionStatus.RECORDING:
        doc.paragraph(f"This session was still being recorded; the report covers it up to {info.format_time(summary.end)}.",
                      _font(9, bold=True), NEGATIVE)

    model = " ".join(part for part in (info.model_name, info.model_version) if part) or "\u2013"
    rows = [
        ("Source", info.source or "\u2013"),
        ("Face detector", info.detector or "\u2013"),
        ("Expression model", model),
        ("Recorded with", f"classwatch {info.app_version}" if info.app_version else "\u2013"),
        ("Settings", describe_settings(info.settings) or "\u2013"),
    ]
    label_w = 34.0
    for label, value in rows:
        height = doc.text_height(value, _font(8.5), CONTENT_W - label_w)
        doc.draw_text(MARGIN, doc.y, label_w, height, label, _font(8.5), MUTED)
        doc.draw_text(MARGIN + label_w, doc.y, CONTENT_W - label_w, height + 1, value, _font(8.5))
        doc.y += height + 0.8
    doc.y += 3


def _key_figures(doc: _Doc, summary: SessionSummary) -> None:
    figures = [
        (_signed(summary.mean_mood_index), "mean mood index", "from \u22121 (negative) to +1 (positive)"),
        _attention_figure(summary.mean_attention),
        (f"{summary.mean_faces:.1f}", "faces analysed", f"on average, of {summary.mean_tiles:.1f} participant tiles"),
        _cameras_off(summary.mean_camera_off),
        (f"{summary.readings}", "readings", f"of {summary.samples} samples had enough faces"),
    ]
    gap = 3.0
    box_w = (CONTENT_W - gap * (len(figures) - 1)) / len(figures)
    text_w = box_w - 5
    # Five narrow cards: a label or note may wrap, so every card is as tall as the tallest needs.
    label_h = max(doc.text_height(label, _font(8.5, bold=True), text_w) for _, label, _ in figures)
    note_h = max(doc.text_height(note, _font(7), text_w) for _, _, note in figures)
    box_h = 11 + label_h + 0.5 + note_h + 2
    doc.ensure(box_h)
    for i, (value, label, note) in enumerate(figures):
        x = MARGIN + i * (box_w + gap)
        doc.p.setPen(Qt.PenStyle.NoPen)
        doc.p.setBrush(QColor("#f3f5f7"))
        doc.p.drawRoundedRect(doc.rect(x, doc.y, box_w, box_h), doc.mm(1.5), doc.mm(1.5))
        doc.draw_text(x + 2.5, doc.y + 2.5, text_w, 9, value, _font(17, bold=True), ACCENT)
        doc.draw_text(x + 2.5, doc.y + 11, text_w, label_h + 1, label, _font(8.5, bold=True))
        doc.draw_text(x + 2.5, doc.y + 11 + label_h + 0.5, text_w, note_h + 1, note, _font(7), MUTED)
    doc.y += box_h + 4


def _attention_figure(mean: float | None) -> tuple[str, str, str]:
    """The key figure for attention, with what it is not: it is easily read as concentration."""
    if mean is None:
        return "n/a", "facing the screen", "attention was not measured"
    return f"{mean:.0%}", "facing the screen", "on average; head orientation, not concentration"


def _cameras_off(mean: float) -> tuple[str, str, str]:
    """The key figure for cameras off: ``none`` / ``1 camera off`` / ``2.4 cameras off``, on average."""
    count = format_count(mean)
    if count == "none":
        return count, "cameras off", "every camera was on"
    return count, "camera off" if count == "1" else "cameras off", "on average"


def _ticks(info: SessionInfo, t0: float, t1: float, max_ticks: int = 8) -> list[tuple[float, str]]:
    """Where to mark the time axis and what to write there: round local clock
    times (round positions in the video for a file), and at least both ends."""
    span = t1 - t0
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200) if span / s <= max_ticks), 14400)
    if info.time_base is TimeBase.MEDIA:
        origin = info.started_at  # positions count from the start of the video
    else:
        origin = -local_datetime(t0).utcoffset().total_seconds()  # round in local time

    def label(t: float) -> str:
        if info.time_base is TimeBase.WALL and step < 60:
            return local_datetime(t).strftime("%H:%M:%S")
        return info.format_time(t)

    first = origin + math.ceil((t0 - origin) / step) * step
    times = [first + i * step for i in range(int((t1 - first) // step) + 1)] if first <= t1 else []
    if len(times) < 2:  # a very short session: an axis needs two marks to be read
        times = [t0, t1]
    return [(t, label(t)) for t in times]


@dataclass(frozen=True)
class _Scale:
    """A chart's vertical axis: the range drawn, its labelled gridlines, and the one drawn darker (0 for the mood)."""

    lo: float
    hi: float
    grid: tuple[tuple[float, str], ...]
    baseline: float | None = None


def _chart(doc: _Doc, data: SessionData, summary: SessionSummary, *, height: float, scale: _Scale,
           readings: list[tuple[float, float | None]], bins: list[tuple[float, float | None]], color: QColor,
           empty_text: str, shade_extremes: bool) -> None:
    """One number over the session's time axis, at ``doc.y``: every reading as a thin line,
    the mean per ``summary.bin_s`` as a thick one (gaps stay gaps), bookmarks numbered
    as in the legend; the lowest / highest mood stretches shaded if ``shade_extremes``."""
    left, top = MARGIN + 11, doc.y + 6  # room for the y labels and the bookmark markers
    width = CONTENT_W - 11
    t0, t1 = summary.start, max(summary.end, summary.start + 1)
    count = sum(v is not None for _, v in readings)

    def x_of(t: float) -> float:
        return doc.mm(left + (t - t0) / (t1 - t0) * width)

    def y_of(v: float) -> float:
        return doc.mm(top + (scale.hi - v) / (scale.hi - scale.lo) * height)

    p = doc.p
    # lowest / highest stretches, behind everything
    for segment, band_color, tag in ((summary.lowest, LOW_BAND, "lowest"), (summary.highest, HIGH_BAND, "highest")):
        if segment is None or not shade_extremes:
            continue
        band = QRectF(QPointF(x_of(segment.start), doc.mm(top)), QPointF(x_of(segment.end), doc.mm(top + height)))
        p.fillRect(band, band_color)
        p.setFont(_font(6.5, bold=True))
        p.setPen(NEGATIVE if tag == "lowest" else POSITIVE)
        p.drawText(band.adjusted(doc.mm(1), 0, 0, -doc.mm(1)), int(Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft), tag)

    # grid and y labels
    for v, label in scale.grid:
        p.setPen(doc.pen(MUTED if v == scale.baseline else RULE, 0.3 if v == scale.baseline else 0.15))
        p.drawLine(QPointF(doc.mm(left), y_of(v)), QPointF(doc.mm(left + width), y_of(v)))
        doc.draw_text(MARGIN, (y_of(v) / doc.scale) - 2, 9.5, 4, label, _font(7), MUTED,
                      Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    # x ticks: clock times, or positions in the video
    for tick, text in _ticks(data.info, t0, t1):
        x = x_of(tick)
        p.setPen(doc.pen(RULE, 0.15))
        p.drawLine(QPointF(x, doc.mm(top)), QPointF(x, doc.mm(top + height)))
        doc.draw_text(x / doc.scale - 10, top + height + 1, 20, 4, text, _font(7), MUTED,
                      Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)

    def polyline(points: list[tuple[float, float | None]], max_gap: float) -> tuple[QPainterPath, list[QPointF]]:
        """The line through the points, and the points with no neighbour to join
        (a line through one point draws nothing: those are drawn as dots)."""
        path, last_t, run = QPainterPath(), None, []
        singles: list[QPointF] = []
        for t, v in [*points, (math.inf, None)]:  # the sentinel closes the last run
            if v is None or last_t is None or t - last_t > max_gap:
                if len(run) == 1:
                    singles.append(run[0])
                run = []
            if v is None:
                last_t = None
                continue
            point = QPointF(x_of(t), y_of(v))
            if run:
                path.lineTo(point)
            else:
                path.moveTo(point)
            run.append(point)
            last_t = t
        return path, singles

    def dots(points: list[QPointF], dot_color: QColor, radius_mm: float) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(dot_color)
        for point in points:
            p.drawEllipse(point, doc.mm(radius_mm), doc.mm(radius_mm))
        p.setBrush(Qt.BrushStyle.NoBrush)

    p.setBrush(Qt.BrushStyle.NoBrush)
    # A bin's mean is drawn at its middle, which for the last bin may lie past the end.
    p.setClipRect(QRectF(QPointF(doc.mm(left), doc.mm(top)), QPointF(doc.mm(left + width), doc.mm(top + height))))
    raw, raw_singles = polyline(readings, max_gap=10.0)
    p.setPen(doc.pen(RAW_LINE, 0.12))
    p.drawPath(raw)
    mean, mean_singles = polyline([(t + summary.bin_s / 2, m) for t, m in bins], max_gap=summary.bin_s * 1.5)
    p.setPen(doc.pen(color, 0.6))
    p.drawPath(mean)
    if count <= FEW_READINGS:
        # Each reading a dot: a thin line between two points is easily missed.
        dots([QPointF(x_of(t), y_of(v)) for t, v in readings if v is not None], color, 0.8)
    else:
        dots(raw_singles, RAW_LINE, 0.25)
        dots(mean_singles, color, 0.5)
    p.setClipping(False)
    if not count:
        doc.draw_text(left, top + height / 4 - 3, width, 6, empty_text, _font(9), MUTED, Qt.AlignmentFlag.AlignCenter)

    # bookmarks: numbered markers on dashed lines, named in the legend below the mood chart
    for number, bookmark in enumerate(data.bookmarks, 1):
        if not t0 <= bookmark.wall_time <= t1:
            continue
        x = x_of(bookmark.wall_time)
        p.setPen(doc.pen(INK, 0.2, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(x, doc.mm(top)), QPointF(x, doc.mm(top + height)))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(INK)
        p.drawEllipse(QPointF(x, doc.mm(top - 2.6)), doc.mm(2.2), doc.mm(2.2))
        doc.draw_text(x / doc.scale - 3, top - 4.6, 6, 4, str(number), _font(6.5, bold=True), QColor("white"),
                      Qt.AlignmentFlag.AlignCenter)

    p.setPen(doc.pen(MUTED, 0.2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(QPointF(doc.mm(left), doc.mm(top)), QPointF(doc.mm(left + width), doc.mm(top + height))))
    doc.y = top + height + 7


def _legend(readings: list[tuple[float, float | None]], summary: SessionSummary, mean_of: str) -> str:
    """How to read a chart drawn by ``_chart``: ``mean_of`` names what its thick line averages.
    Empty for a chart without readings, which says so itself."""
    count = sum(v is not None for _, v in readings)
    if not count:
        return ""
    if count <= FEW_READINGS:
        return f"Each dot is one reading ({count} in all): too few to draw a line through time."
    return f"Thick line: {mean_of} per {format_duration(summary.bin_s)}; thin grey line: every reading."


def _timeline(doc: _Doc, data: SessionData, summary: SessionSummary) -> None:
    doc.heading("Mood over time", space_needed=80)
    readings = [(r.wall_time, r.sample.mood_index) for r in data.samples]
    values = [m for _, m in summary.timeline if m is not None] + [m for _, m in readings if m is not None]
    # The smallest symmetric range that holds every reading: small swings stay
    # visible, and 0 (balanced) is always the middle line.
    extent = next((r for r in (0.2, 0.4, 0.6, 1.0) if all(abs(v) <= r for v in values)), 1.0)
    grid = tuple((v, "0" if v == 0 else _signed(v)) for v in (-extent, -extent / 2, 0.0, extent / 2, extent))
    _chart(doc, data, summary, height=62.0, scale=_Scale(-extent, extent, grid, baseline=0.0), readings=readings,
           bins=summary.timeline, color=ACCENT, empty_text="No mood readings in this session", shade_extremes=True)

    legend = [_legend(readings, summary, "mean mood index")]
    if summary.lowest is not None:
        legend.append("Shaded: the lowest and highest stretches (see below).")
    if data.info.time_base is TimeBase.MEDIA:
        legend.append("Times are positions in the video analysed.")
    if any(legend):
        doc.paragraph(" ".join(part for part in legend if part), _font(7.5), MUTED, after=1)
    if data.bookmarks:
        marks = "    ".join(f"{n}\u2002{data.info.format_time(b.wall_time)} {b.text}" for n, b in enumerate(data.bookmarks, 1))
        doc.paragraph("Bookmarks:  " + marks, _font(8), INK, after=2)


def _attention_timeline(doc: _Doc, data: SessionData, summary: SessionSummary) -> None:
    """Its own chart rather than a second line on the mood's: a share in [0, 1]
    on the mood's \u22121..+1 axis would need a second scale, and be misread on the first."""
    if summary.mean_attention is None:
        return  # the key figure says "not measured"; an empty chart would add nothing
    doc.heading("Attention over time", space_needed=48)
    readings = [(r.wall_time, r.sample.attention) for r in data.samples]
    grid = tuple((v, f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0))
    _chart(doc, data, summary, height=30.0, scale=_Scale(0.0, 1.0, grid), readings=readings,
           bins=summary.attention_timeline, color=ATTENTION, empty_text="", shade_extremes=False)
    legend = _legend(readings, summary, "share of participants facing the screen")
    doc.paragraph(legend, _font(7.5), MUTED, after=2)


def _expressions(doc: _Doc, summary: SessionSummary) -> None:
    doc.heading("Expressions seen", space_needed=48)
    share = summary.expression_share
    if share is None:
        doc.paragraph("No expression readings in this session (too few faces, or expression analysis was off).", _font(9), MUTED)
        return
    doc.paragraph("Share of face readings whose most likely expression was each class:", _font(8.5), MUTED, after=2)
    label_w, bar_w, row_h = 24.0, 110.0, 5.2
    for name in EXPRESSIONS:
        value = share[name]
        color = {1: POSITIVE, 0: NEUTRAL}.get(VALENCE.get(name, -1), NEGATIVE)
        doc.draw_text(MARGIN, doc.y, label_w, row_h, name, _font(8.5), INK, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        doc.p.fillRect(doc.rect(MARGIN + label_w, doc.y + 1, bar_w, row_h - 2), QColor("#eef1f4"))
        doc.p.fillRect(doc.rect(MARGIN + label_w, doc.y + 1, bar_w * value, row_h - 2), color)
        doc.draw_text(MARGIN + label_w + bar_w + 2, doc.y, 20, row_h, f"{value:.0%}" if value >= 0.005 else "<1%" if value else "0%",
                      _font(8.5), INK, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        doc.y += row_h
    doc.y += 1
    doc.paragraph("Green counts as positive, red as negative and grey as 0 in the mood index.", _font(7.5), MUTED)


def _segments(doc: _Doc, info: SessionInfo, summary: SessionSummary) -> None:
    doc.heading("Lowest and highest stretches", space_needed=30)
    if summary.segment_kind == "bookmarks":
        intro = "The session split at its bookmarks. "
    else:
        intro = f"The session in windows of {format_duration(summary.window_s)} (no bookmarks were set). "
    if summary.level:
        intro += (f"The mood stayed level: every stretch was within {LEVEL_RANGE:.2f} of the others, "
                  "so none is singled out as the lowest or highest.")
    elif summary.lowest is None:
        intro += f"Fewer than two stretches had {MIN_SEGMENT_SAMPLES} or more readings, so none is singled out."
    else:
        intro += f"Only stretches with at least {MIN_SEGMENT_SAMPLES} readings are ranked."
    doc.paragraph(intro, _font(8.5), MUTED, after=2)

    when = "In the video" if info.time_base is TimeBase.MEDIA else "When"
    # Attention only where it was measured; the mood stays last, where its lowest / highest tag goes.
    attention = summary.mean_attention is not None
    columns = ((when, 30.0), ("Stretch", 62.0 if attention else 86.0), ("Readings", 22.0),
               *((("Attention", 24.0),) if attention else ()), ("Mood index", 36.0))
    row_h = 5.6

    def row(cells: list[str], font: QFont, fill: QColor | None = None, tag: str = "", tag_color: QColor = INK) -> None:
        doc.ensure(row_h)
        if fill is not None:
            doc.p.fillRect(doc.rect(MARGIN, doc.y, CONTENT_W, row_h), fill)
        x = MARGIN + 1.5
        for (_, width), cell in zip(columns, cells):
            doc.draw_text(x, doc.y, width - 2, row_h, cell, font, INK, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            x += width
        if tag:
            doc.draw_text(x - 20, doc.y, 18.5, row_h, tag, _font(7.5, bold=True), tag_color,
                          Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        doc.y += row_h

    def cells(segment: Segment) -> list[str]:
        share = "n/a" if segment.attention is None else f"{segment.attention:.0%}"
        return [f"{info.format_time(segment.start)}\u2013{info.format_time(segment.end)}", segment.label or "\u2013",
                str(segment.readings), *([share] if attention else []), _signed(segment.mood_index)]

    row([name for name, _ in columns], _font(8, bold=True))
    for segment in summary.segments:
        if segment is summary.lowest:
            row(cells(segment), _font(8.5), LOW_BAND, "lowest", NEGATIVE)
        elif segment is summary.highest:
            row(cells(segment), _font(8.5), HIGH_BAND, "highest", POSITIVE)
        else:
            row(cells(segment), _font(8.5))
    doc.y += 2


def _notes(doc: _Doc, data: SessionData, summary: SessionSummary) -> None:
    min_faces = data.info.settings.get("min_faces", MIN_FACES)
    doc.heading("How to read these numbers", space_needed=40)
    body = _font(8.5)
    doc.paragraph(
        "The mood index summarises the facial expressions the expression model reads on the analysed faces. "
        "For each face it is P(happy) \u2212 (P(angry) + P(disgust) + P(fear) + P(sad)); surprise and neutral count 0. "
        "A confident smile counts close to +1 and an unsure one less: positive minus negative expressions, weighted "
        "by the model's confidence. The class index is the mean over the faces of a sample, from \u22121 (all "
        "clearly negative) to +1 (all clearly happy); values near 0 mean mostly neutral or mixed expressions.", body)
    doc.paragraph(
        f"{ATTENTION_MEANING} A participant whose face cannot be found counts as facing away; one whose camera is "
        "off is left out, not counted as away.", body)
    doc.paragraph(
        f"No mood or attention reading is made when fewer than {min_faces} faces are analysed: a number about one or "
        "two people would be a statement about individuals. Such moments, and pauses of the analysis, are gaps in "
        "the charts.", body)
    doc.heading("Limits", space_needed=30)
    for line in (
        "Expressions are not emotions, and neither is the mood index a measure of engagement or learning: people "
        "who concentrate often look neutral or frown, and a smile can be politeness.",
        "What the model reads depends on lighting, camera angle, video quality, glasses, age and culture; it makes "
        "mistakes, and more on some faces than others. Only people with their camera on are counted.",
        "Use the report to reflect on the lesson (which activity landed, when attention dropped), compare trends "
        "rather than single values, and never to judge, grade or single out a student.",
        "In the European Union, inferring emotions in education institutions is prohibited (AI Act, Art. 5(1)(f)); "
        "make sure this use is allowed where you teach.",
    ):
        doc.paragraph("\u2022  " + line, body, after=1.5)
    doc.heading("Privacy", space_needed=20)
    tracks = ("Per-face numbers under anonymous track ids were also recorded for this session, as the administrator's "
              "policy allowed; they are not shown here." if data.info.keeps_tracks else "No per-face numbers were recorded.")
    doc.paragraph(
        "This report contains class-level numbers only. No images or face crops were stored, and nothing in it "
        f"identifies a student. {tracks}", body)


def write_pdf_report(data: SessionData, summary: SessionSummary, out_path: str | os.PathLike) -> None:
    """Write the A4 report of a session to ``out_path`` (replaced if it exists).

    Raises SessionError when the file cannot be written.
    """
    _ensure_app()
    out_path = Path(out_path)
    with atomic_output(out_path) as tmp:
        _render(tmp, data, summary)


def _render(path: Path, data: SessionData, summary: SessionSummary) -> None:
    # The writer lives only in this function, so its file is closed before the
    # caller renames it into place (Windows cannot rename an open file).
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    writer.setTitle(f"Class mood report: {data.info.name}")
    writer.setAuthor("classwatch")
    writer.setCreator(f"classwatch {__version__}")
    painter = QPainter()
    if not painter.begin(writer):
        raise SessionError(f"cannot write the PDF report to {path}")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
        doc = _Doc(writer, painter, f"classwatch {__version__} \u00b7 report generated {generated} \u00b7 {data.info.name}")
        _title(doc, data, summary)
        _key_figures(doc, summary)
        _timeline(doc, data, summary)
        _attention_timeline(doc, data, summary)
        _expressions(doc, summary)
        _segments(doc, data.info, summary)
        _notes(doc, data, summary)
        doc.draw_footer()
    finally:
        painter.end()


# The export table's PDF entry (classwatch.export explains why it is added from here).
WRITERS["pdf"] = lambda data, out: write_pdf_report(data, summarize(data), out)
