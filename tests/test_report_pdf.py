"""The PDF report, rendered offscreen: a real PDF with the session's title, numbers and notes."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtGui")

from classwatch.errors import SessionError  # noqa: E402
from classwatch.session import SessionStore, summarize  # noqa: E402
from classwatch.session.commands import register  # noqa: E402
from classwatch.ui.report_pdf import write_pdf_report  # noqa: E402
from session_samples import build, demo_session  # noqa: E402


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
