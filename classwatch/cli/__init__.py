"""The ``classwatch`` command line: the parser, and what an error looks like.

One module per command group (``analyze``, ``cameras``, ``evaluate``, ``bench``,
``sessions``, ``export``, ``policy``, ``app``); each has ``register(subparsers)``,
which adds its commands and sets ``func`` to a handler that returns an exit status.
Importing them loads neither the models nor Qt: each handler imports what it needs.

Every user mistake (bad path, corrupt model, no faces, ...) is a
ClasswatchError: it is printed as one line on stderr and the exit status is 2,
as are usage errors (a bad flag value). Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from .. import __version__
from ..errors import ClasswatchError
from . import analyze, app, bench, cameras, evaluate, export, policy, sessions

EXIT_USER_ERROR = 2
#: 128 + SIGPIPE: what a Unix tool stopped by a closed pipe (`cat big | head`) exits with.
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """Usage errors in the one-line form of every other error (the usage is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"classwatch: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="classwatch", description="Anonymous class-mood readings from a video-call gallery.")
    parser.add_argument("--version", action="version", version=f"classwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (analyze, cameras, evaluate, bench, sessions, export, policy, app):  # the order of --help
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `classwatch` is the teacher's way in: start the app
        args = parser.parse_args(["app"])
    try:
        status = args.func(args)
        sys.stdout.flush()  # a reader that went away shows here, not in Python's own flush at exit
        return status
    except ClasswatchError as exc:
        print(f"classwatch: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # `classwatch analyze BIG_FOLDER --json | head`: the reader has what it wanted, so stop
        # quietly. The Python docs' recipe: stdout now goes to the null device, so the flush at
        # exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
