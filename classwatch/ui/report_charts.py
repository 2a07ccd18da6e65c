"""The PDF report's charts: the mood and the attention over time, with their axes and legends."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QPainterPath,
)

from ..session.model import (
    SessionData,
    SessionInfo,
    TimeBase,
    format_duration,
    local_datetime,
)
from ..session.summary import SessionSummary
from .report_page import (
    ACCENT,
    ATTENTION,
    CONTENT_W,
    FEW_READINGS,
    HIGH_BAND,
    INK,
    LOW_BAND,
    MARGIN,
    MUTED,
    NEGATIVE,
    POSITIVE,
    RAW_LINE,
    RULE,
    Doc,
    pdf_font,
    signed,
)


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


def _chart(doc: Doc, data: SessionData, summary: SessionSummary, *, height: float, scale: _Scale,
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
        p.setFont(pdf_font(6.5, bold=True))
        p.setPen(NEGATIVE if tag == "lowest" else POSITIVE)
        p.drawText(band.adjusted(doc.mm(1), 0, 0, -doc.mm(1)), int(Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft), tag)

    # grid and y labels
    for v, label in scale.grid:
        p.setPen(doc.pen(MUTED if v == scale.baseline else RULE, 0.3 if v == scale.baseline else 0.15))
        p.drawLine(QPointF(doc.mm(left), y_of(v)), QPointF(doc.mm(left + width), y_of(v)))
        doc.draw_text(MARGIN, (y_of(v) / doc.scale) - 2, 9.5, 4, label, pdf_font(7), MUTED,
                      Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    # x ticks: clock times, or positions in the video
    for tick, text in _ticks(data.info, t0, t1):
        x = x_of(tick)
        p.setPen(doc.pen(RULE, 0.15))
        p.drawLine(QPointF(x, doc.mm(top)), QPointF(x, doc.mm(top + height)))
        doc.draw_text(x / doc.scale - 10, top + height + 1, 20, 4, text, pdf_font(7), MUTED,
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
        doc.draw_text(left, top + height / 4 - 3, width, 6, empty_text, pdf_font(9), MUTED, Qt.AlignmentFlag.AlignCenter)

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
        doc.draw_text(x / doc.scale - 3, top - 4.6, 6, 4, str(number), pdf_font(6.5, bold=True), QColor("white"),
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


def timeline(doc: Doc, data: SessionData, summary: SessionSummary) -> None:
    doc.heading("Mood over time", space_needed=80)
    readings = [(r.wall_time, r.sample.mood_index) for r in data.samples]
    values = [m for _, m in summary.timeline if m is not None] + [m for _, m in readings if m is not None]
    # The smallest symmetric range that holds every reading: small swings stay
    # visible, and 0 (balanced) is always the middle line.
    extent = next((r for r in (0.2, 0.4, 0.6, 1.0) if all(abs(v) <= r for v in values)), 1.0)
    grid = tuple((v, "0" if v == 0 else signed(v)) for v in (-extent, -extent / 2, 0.0, extent / 2, extent))
    _chart(doc, data, summary, height=62.0, scale=_Scale(-extent, extent, grid, baseline=0.0), readings=readings,
           bins=summary.timeline, color=ACCENT, empty_text="No mood readings in this session", shade_extremes=True)

    legend = [_legend(readings, summary, "mean mood index")]
    if summary.lowest is not None:
        legend.append("Shaded: the lowest and highest stretches (see below).")
    if data.info.time_base is TimeBase.MEDIA:
        legend.append("Times are positions in the video analysed.")
    if any(legend):
        doc.paragraph(" ".join(part for part in legend if part), pdf_font(7.5), MUTED, after=1)
    if data.bookmarks:
        marks = "    ".join(f"{n}\u2002{data.info.format_time(b.wall_time)} {b.text}" for n, b in enumerate(data.bookmarks, 1))
        doc.paragraph("Bookmarks:  " + marks, pdf_font(8), INK, after=2)


def attention_timeline(doc: Doc, data: SessionData, summary: SessionSummary) -> None:
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
    doc.paragraph(legend, pdf_font(7.5), MUTED, after=2)
