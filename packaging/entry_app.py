"""Frozen entry point of the windowed `classwatch-app` executable: the tray app."""

import sys

from classwatch.cli import main

sys.exit(main(["app", *sys.argv[1:]]))
