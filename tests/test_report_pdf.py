"""The PDF report, rendered offscreen: a real PDF with the session's title, numbers and notes."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtGui")

from classwatch.errors import SessionError  # noqa: E402
from classwatch.session import SessionStatus, SessionStore, TimeBase, summarize  # noqa: E402
from classwatch.cli.export import register  # noqa: E402
from classwatch.session.model import ATTENTION_MEANING  # noqa: E402
from classwatch.ui.report_page import signed  # noqa: E402
from classwatch.ui.report_pdf import write_pdf_report  # noqa: E402
from session_samples import T0, build, demo_session  # noqa: E402


def _pdf_text(path: Path) -> str | None:
    """The text of the PDF via poppler's pdftotext, or None where poppler is not installed."""
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_report_is_a_pdf_with_title_metadata_and_the_summary(tmp_path: Path) -> None:
    data = demo_session()
    out = tmp_path / "report.pdf"
    write_pdf_report(data, summarize(data), out)
    raw = out.read_bytes()
    assert raw.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b", raw))
    assert 1 <= pages <= 3
    # Document info: Qt writes the title as UTF-16BE.
    assert "Class mood report: Year 9 maths".encode("utf-16-be") in raw
    assert b"classwatch" in raw
    text = _pdf_text(out)
    if text is None:
        pytest.skip("pdftotext not installed: text content not checked")
    for expected in ("Year 9 maths", "Mood over time", "Expressions seen", "Lowest and highest stretches",
                     "How to read these numbers", "Quiz", "Group work", "fer-mini 1.2.0", "lowest", "highest",
                     "Privacy", "Expressions are not emotions"):
        assert expected in text, expected


def test_report_of_a_session_without_readings_still_renders(tmp_path: Path) -> None:
    data = build("quiet", seconds=30, mood=lambda i: None)
    out = tmp_path / "quiet.pdf"
    write_pdf_report(data, summarize(data), out)
    text = _pdf_text(out)
    assert out.read_bytes().startswith(b"%PDF-")
    if text is not None:
        assert "No mood readings in this session" in text


def test_pdf_export_from_the_cli_and_unwritable_paths(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite"
    with SessionStore(db) as store:
        store.import_session(build(seconds=120))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    out = tmp_path / "maths.pdf"
    args = parser.parse_args(["export", "maths", "--format", "pdf", "--out", str(out), "--db", str(db)])
    assert args.func(args) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    with pytest.raises(SessionError, match="does not exist"):
        write_pdf_report(build(seconds=3), summarize(build(seconds=3)), tmp_path / "missing" / "r.pdf")
    with pytest.raises(SessionError, match="is a folder"):
        write_pdf_report(build(seconds=3), summarize(build(seconds=3)), tmp_path)
    assert not list(tmp_path.glob("*.tmp")), "no half-written report is left behind"


# --- issue 20: short, flat and file-analysed sessions, and plain wording -----------------


def _report_text(tmp_path: Path, data) -> str:
    out = tmp_path / "report.pdf"
    write_pdf_report(data, summarize(data), out)
    assert out.read_bytes().startswith(b"%PDF-")
    text = _pdf_text(out)
    if text is None:
        pytest.skip("pdftotext not installed: text content not checked")
    # One line (wrapping depends on the fonts installed), ligatures undone ("ﬀ" is "ff").
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_two_readings_get_an_axis_and_dots_not_an_empty_box(tmp_path: Path) -> None:
    text = _report_text(tmp_path, build("short", seconds=2))
    assert "09:00:00" in text and "09:00:02" in text  # both ends of the time axis are labelled
    assert "Each dot is one reading (2 in all)" in text


def test_a_flat_mood_is_reported_as_level(tmp_path: Path) -> None:
    text = _report_text(tmp_path, build("flat", seconds=600, mood=lambda i: 0.3))
    assert "The mood stayed level" in text
    assert "Shaded" not in text
    assert text.count("highest") == 2  # the heading and "none is singled out as the lowest or highest"


def test_settings_and_cameras_off_read_as_words(tmp_path: Path) -> None:
    data = build(seconds=30)
    settings = {"emotions": True, "every": 1.0, "min_faces": 3}
    text = _report_text(tmp_path, replace(data, info=replace(data.info, settings=settings)))
    assert "Expressions read \u00b7 one reading a second \u00b7 mood shown from 3 faces" in text
    assert "min_faces" not in text and "True" not in text
    assert "camera off" in text and "cameras off" not in text
    data = build(seconds=30, mood=lambda i: 0.2)
    no_camera_off = [replace(r, sample=replace(r.sample, camera_off=0)) for r in data.samples]
    text = _report_text(tmp_path, replace(data, samples=no_camera_off))
    assert "every camera was on" in text and "0.0" not in text


def test_a_video_session_reports_the_video_length_and_no_clock_time_in_the_future(tmp_path: Path) -> None:
    """12 minutes of video, analysis killed after 40 s: never "ended ... at 09:12"."""
    data = build("lecture video", seconds=720)
    info = replace(data.info, time_base=TimeBase.MEDIA, status=SessionStatus.ENDED_UNEXPECTEDLY, ended_at=T0 + 40)
    text = _report_text(tmp_path, replace(data, info=info))
    assert "analysed 09:00\u201309:00" in text and "11 min of video analysed" in text
    assert "stopped unexpectedly (the app was closed or crashed) at 09:00" in text
    assert "In the video" in text and "0:00\u20132:00" in text  # stretches at positions in the video
    assert "09:12" not in text and "09:10" not in text


# --- issue 21: attention ----------------------------------------------------------------


def test_attention_has_a_figure_a_chart_a_column_and_says_what_it_is(tmp_path: Path) -> None:
    data = demo_session()
    summary = summarize(data)
    text = _report_text(tmp_path, data)
    # The key figure, beside the mood (the values line up in one row of the layout text).
    assert f"{signed(summary.mean_mood_index)} {summary.mean_attention:.0%} {summary.mean_faces:.1f}" in text
    assert "facing the" in text  # the card label (how it wraps depends on the fonts installed)
    assert "Attention over time" in text
    assert "Thick line: share of participants facing the screen per 30 s" in text
    # Per stretch, between the readings and the mood: the dip during group work.
    group_work = next(s for s in summary.segments if s.label == "Group work")
    assert f"Group work {group_work.readings} {group_work.attention:.0%} {signed(group_work.mood_index)}" in text
    assert " ".join(ATTENTION_MEANING.split()) in text


def test_a_session_without_attention_says_not_measured_and_draws_no_attention_chart(tmp_path: Path) -> None:
    text = _report_text(tmp_path, build("old class", seconds=600, bookmarks={300: "Quiz"}))
    assert "n/a" in text and "attention was not" in text
    assert "Attention over time" not in text and "Attention Mood index" not in text
    assert " ".join(ATTENTION_MEANING.split()) in text  # still explained: the figure card names it


def test_presence_only_with_attention_draws_the_attention_chart(tmp_path: Path) -> None:
    data = build("presence", seconds=300, attention=lambda i: 0.5)
    data = replace(data, samples=[replace(r, sample=replace(r.sample, mood_index=None, mean_probs=None)) for r in data.samples])
    text = _report_text(tmp_path, data)
    assert "No mood readings in this session" in text and "Each dot is one reading (0 in all)" not in text
    assert "Attention over time" in text and "50%" in text
