"""``classwatch app``: the command that starts the desktop app.

Importing this module does not import Qt (``classwatch.cli`` imports it at
start-up and the analysis commands must not pay for, or depend on, Qt); the
app itself is imported when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _seconds(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return number


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demo", type=Path, metavar="PATH",
                   help="analyse an image, video or folder (looped at the sampling rate) instead of the screen; "
                   "not recorded unless --record is given")
    p.add_argument("--record", action="store_true",
                   help="with --demo: record the demo run as a session in the session list")
    p.add_argument("--db", type=Path, metavar="PATH", help="session database (default: the user data folder)")
    p.add_argument("--compact", action="store_true", help="start in the small always-on-top view")
    p.add_argument("--screenshot", type=Path, metavar="FILE", help="save the dashboard as a PNG, then exit")
    p.add_argument("--quit-after", type=_seconds, metavar="SECONDS",
                   help="exit after this many seconds (with --screenshot: when the picture is taken; default 6)")
    p.add_argument("--startup-probe", type=Path, metavar="FILE",
                   help="once the tray icon (or, with no system tray, the window) is up, write the time and "
                   "'tray' or 'window' to FILE (benchmarks/launch_time.py)")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``app`` subcommand; returns its parser."""
    p = subparsers.add_parser(
        "app",
        help="start the desktop app: tray icon, live class-mood dashboard (the default command)",
        description="Start the desktop app. Without --demo it analyses a region of the screen: "
        "press Start and drag a rectangle around the video-call gallery.",
    )
    add_arguments(p)
    p.set_defaults(func=cmd_app)
    return p


def cmd_app(args: argparse.Namespace) -> int:
    from ..errors import ClasswatchError
    from ..ui.app import run_app

    demo, record = getattr(args, "demo", None), getattr(args, "record", False)
    if record and demo is None:
        raise ClasswatchError("--record goes with --demo (analysing the screen is always recorded)")
    return run_app(
        demo=demo,
        record=record,
        db=getattr(args, "db", None),
        screenshot=getattr(args, "screenshot", None),
        quit_after=getattr(args, "quit_after", None),
        compact=getattr(args, "compact", False),
        startup_probe=getattr(args, "startup_probe", None),
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m classwatch.cli.app [options]``: the app command on its own (same options),
    with the CLI's error convention: a ClasswatchError is one line on stderr and exit status 2."""
    import sys

    from ..errors import ClasswatchError

    parser = argparse.ArgumentParser(prog="classwatch app", description="Start the classwatch desktop app.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_app(args)
    except ClasswatchError as exc:
        print(f"classwatch: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
