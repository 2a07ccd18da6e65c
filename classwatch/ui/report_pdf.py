"""The PDF session report: what a teacher or reviewer reads after class.

Drawn with QPainter on a QPdfWriter, so text stays text (searchable,
selectable) and the charts are vector graphics. Works without a display:
when no Qt application exists one is made, on the "offscreen" platform if
there is no display to talk to.

Page layout in millimetres on A4; ``_Doc`` turns them into device units
and starts a new page when a block does not fit.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
)

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
from .report_charts import attention_timeline, timeline
from .report_page import (
    ACCENT,
    CONTENT_W,
    DPI,
    HIGH_BAND,
    INK,
    LOW_BAND,
    MARGIN,
    MUTED,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    VALENCE,
    Doc,
    ensure_app,
    pdf_font,
    signed,
)


def when(info: SessionInfo) -> str:
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


def _title(doc: Doc, data: SessionData, summary: SessionSummary) -> None:
    info = data.info
    doc.draw_text(MARGIN, doc.y, CONTENT_W, 5, "CLASS MOOD REPORT", pdf_font(8, bold=True), ACCENT)
    doc.y += 5
    height = doc.text_height(info.name, pdf_font(20, bold=True))
    doc.draw_text(MARGIN, doc.y, CONTENT_W, height, info.name, pdf_font(20, bold=True))
    doc.y += height + 1
    doc.paragraph(when(info), pdf_font(10.5), MUTED, after=3)
    if info.status is SessionStatus.ENDED_UNEXPECTEDLY:
        # ended_at: the wall-clock time of the last write, for media sessions too.
        if info.time_base is TimeBase.MEDIA:
            text = (f"The analysis stopped unexpectedly (the app was closed or crashed) at {format_clock(info.ended_at)}, "
                    f"after {info.duration_text()}; everything analysed until then is included.")
        else:
            text = (f"The recording ended unexpectedly (the app was closed or crashed) at {format_clock(info.ended_at)}; "
                    "everything recorded until then is included.")
        doc.paragraph(text, pdf_font(9, bold=True), NEGATIVE)
    elif info.status is SessionStatus.RECORDING:
        doc.paragraph(f"This session was still being recorded; the report covers it up to {info.format_time(summary.end)}.",
                      pdf_font(9, bold=True), NEGATIVE)

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
        height = doc.text_height(value, pdf_font(8.5), CONTENT_W - label_w)
        doc.draw_text(MARGIN, doc.y, label_w, height, label, pdf_font(8.5), MUTED)
        doc.draw_text(MARGIN + label_w, doc.y, CONTENT_W - label_w, height + 1, value, pdf_font(8.5))
        doc.y += height + 0.8
    doc.y += 3


def _key_figures(doc: Doc, summary: SessionSummary) -> None:
    figures = [
        (signed(summary.mean_mood_index), "mean mood index", "from \u22121 (negative) to +1 (positive)"),
        _attention_figure(summary.mean_attention),
        (f"{summary.mean_faces:.1f}", "faces analysed", f"on average, of {summary.mean_tiles:.1f} participant tiles"),
        _cameras_off(summary.mean_camera_off),
        (f"{summary.readings}", "readings", f"of {summary.samples} samples had enough faces"),
    ]
    gap = 3.0
    box_w = (CONTENT_W - gap * (len(figures) - 1)) / len(figures)
    text_w = box_w - 5
    # Five narrow cards: a label or note may wrap, so every card is as tall as the tallest needs.
    label_h = max(doc.text_height(label, pdf_font(8.5, bold=True), text_w) for _, label, _ in figures)
    note_h = max(doc.text_height(note, pdf_font(7), text_w) for _, _, note in figures)
    box_h = 11 + label_h + 0.5 + note_h + 2
    doc.ensure(box_h)
    for i, (value, label, note) in enumerate(figures):
        x = MARGIN + i * (box_w + gap)
        doc.p.setPen(Qt.PenStyle.NoPen)
        doc.p.setBrush(QColor("#f3f5f7"))
        doc.p.drawRoundedRect(doc.rect(x, doc.y, box_w, box_h), doc.mm(1.5), doc.mm(1.5))
        doc.draw_text(x + 2.5, doc.y + 2.5, text_w, 9, value, pdf_font(17, bold=True), ACCENT)
        doc.draw_text(x + 2.5, doc.y + 11, text_w, label_h + 1, label, pdf_font(8.5, bold=True))
        doc.draw_text(x + 2.5, doc.y + 11 + label_h + 0.5, text_w, note_h + 1, note, pdf_font(7), MUTED)
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


def _expressions(doc: Doc, summary: SessionSummary) -> None:
    doc.heading("Expressions seen", space_needed=48)
    share = summary.expression_share
    if share is None:
        doc.paragraph("No expression readings in this session (too few faces, or expression analysis was off).", pdf_font(9), MUTED)
        return
    doc.paragraph("Share of face readings whose most likely expression was each class:", pdf_font(8.5), MUTED, after=2)
    label_w, bar_w, row_h = 24.0, 110.0, 5.2
    for name in EXPRESSIONS:
        value = share[name]
        color = {1: POSITIVE, 0: NEUTRAL}.get(VALENCE.get(name, -1), NEGATIVE)
        doc.draw_text(MARGIN, doc.y, label_w, row_h, name, pdf_font(8.5), INK, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        doc.p.fillRect(doc.rect(MARGIN + label_w, doc.y + 1, bar_w, row_h - 2), QColor("#eef1f4"))
        doc.p.fillRect(doc.rect(MARGIN + label_w, doc.y + 1, bar_w * value, row_h - 2), color)
        doc.draw_text(MARGIN + label_w + bar_w + 2, doc.y, 20, row_h, f"{value:.0%}" if value >= 0.005 else "<1%" if value else "0%",
                      pdf_font(8.5), INK, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        doc.y += row_h
    doc.y += 1
    doc.paragraph("Green counts as positive, red as negative and grey as 0 in the mood index.", pdf_font(7.5), MUTED)


def _segments(doc: Doc, info: SessionInfo, summary: SessionSummary) -> None:
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
    doc.paragraph(intro, pdf_font(8.5), MUTED, after=2)

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
            doc.draw_text(x - 20, doc.y, 18.5, row_h, tag, pdf_font(7.5, bold=True), tag_color,
                          Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        doc.y += row_h

    def cells(segment: Segment) -> list[str]:
        share = "n/a" if segment.attention is None else f"{segment.attention:.0%}"
        return [f"{info.format_time(segment.start)}\u2013{info.format_time(segment.end)}", segment.label or "\u2013",
                str(segment.readings), *([share] if attention else []), signed(segment.mood_index)]

    row([name for name, _ in columns], pdf_font(8, bold=True))
    for segment in summary.segments:
        if segment is summary.lowest:
            row(cells(segment), pdf_font(8.5), LOW_BAND, "lowest", NEGATIVE)
        elif segment is summary.highest:
            row(cells(segment), pdf_font(8.5), HIGH_BAND, "highest", POSITIVE)
        else:
            row(cells(segment), pdf_font(8.5))
    doc.y += 2


def _notes(doc: Doc, data: SessionData, summary: SessionSummary) -> None:
    min_faces = data.info.settings.get("min_faces", MIN_FACES)
    doc.heading("How to read these numbers", space_needed=40)
    body = pdf_font(8.5)
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
    ensure_app()
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
        doc = Doc(writer, painter, f"classwatch {__version__} \u00b7 report generated {generated} \u00b7 {data.info.name}")
        _title(doc, data, summary)
        _key_figures(doc, summary)
        timeline(doc, data, summary)
        attention_timeline(doc, data, summary)
        _expressions(doc, summary)
        _segments(doc, data.info, summary)
        _notes(doc, data, summary)
        doc.draw_footer()
    finally:
        painter.end()


# The export table's PDF entry (classwatch.export explains why it is added from here).
WRITERS["pdf"] = lambda data, out: write_pdf_report(data, summarize(data), out)
