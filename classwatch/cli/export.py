"""``classwatch export``: write a recorded session as CSV, JSON or a PDF report."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..settings import EXPORT_FORMATS
from .sessions import common_args, load_session


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export``."""
    p = subparsers.add_parser("export", help="write a session as CSV, JSON or a PDF report")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    p.add_argument("--out", type=Path, required=True, metavar="PATH", help="file to write (replaced if it exists)")
    common_args(p, cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from ..export import export_session
    from ..policy import load_effective

    if args.format == "pdf":
        from ..ui import report_pdf  # noqa: F401  adds the PDF writer (classwatch.export says why): Qt only for a PDF
    export_session(args.format, args.out, load_effective(), lambda: load_session(args))
    print(f"Wrote {args.out}")
    return 0
