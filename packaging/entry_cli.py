"""Frozen entry point of the `classwatch` command-line executable."""

import sys

from classwatch.cli import main

sys.exit(main())
