"""Exporting a session: the one export step behind ``classwatch export`` and the session browser.

``export_session`` checks the admin policy, then picks the format's writer from
WRITERS; each writer replaces its file atomically and reports failure as a
SessionError.

The PDF report is drawn with Qt, which nothing below ``classwatch.ui`` may import
(the "Qt only in ui" contract in pyproject.toml; CSV and JSON exports must work
without Qt). So the table does not import it: ``classwatch.ui.report_pdf`` adds its
writer to WRITERS when it is imported, which the session browser does, and the CLI
does only when it is asked for a PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .policy import EffectiveSettings
from .session.exporting import write_csv, write_json
from .session.model import SessionData

Writer = Callable[[SessionData, Path], None]

#: Format name -> writer; "pdf" is added by classwatch.ui.report_pdf (see above).
WRITERS: dict[str, Writer] = {"csv": write_csv, "json": write_json}


def export_session(fmt: str, out: Path, effective: EffectiveSettings, load: Callable[[], SessionData]) -> None:
    """Write the session that ``load`` returns as ``fmt`` to ``out`` (replaced if it exists).

    The policy is checked first and ``load`` called only then: a refused format does
    no work and writes nothing (PolicyError). A failed write is a SessionError.
    """
    effective.check_export(fmt)
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r} (the PDF writer is added by importing classwatch.ui.report_pdf)")
    WRITERS[fmt](load(), Path(out))
