"""``classwatch bench``: its arguments and report; ``classwatch.bench`` does the measuring."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import InputError


def _count(value: str) -> int:
    """A whole number of at least 1 (argparse shows the message as a one-line usage error)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``bench``."""
    p = sub.add_parser("bench", help="end-to-end speed on real screenshots and the bundled demo recording")
    p.add_argument("--repeats", type=_count, default=9, help="timed runs per configuration (default: 9)")
    p.add_argument("--galleries", type=Path, metavar="DIR",
                   help="labelled real screenshots (a folder with labels.json; default: the development set beside a checkout)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from ..bench import format_report, run_bench

    galleries = args.galleries
    if galleries is not None and not (galleries / "labels.json").is_file():
        raise InputError(f"no labels.json in {galleries}")
    report = run_bench(repeats=args.repeats, **({"galleries": galleries} if galleries is not None else {}))
    print(json.dumps(report) if args.json else format_report(report))
    return 0
