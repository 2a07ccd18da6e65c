"""``classwatch cameras``: the cameras ``analyze --camera`` can read."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``cameras``."""
    p = sub.add_parser("cameras", help="list the cameras analyze --camera can read")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cameras)


def cmd_cameras(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ..sources import list_cameras

    cameras = list_cameras()
    if args.json:
        print(json.dumps([asdict(camera) for camera in cameras]))
    elif not cameras:
        print("no camera found (one in use by another program is not listed)")
    for camera in [] if args.json else cameras:
        print(f"{camera.index}  {camera.width}x{camera.height}  {camera.name or '(no name)'}")
    return 0
