"""Replacing a file atomically: a reader (or a crash) sees the old file or the new one, never half of one.

The one way classwatch replaces a file: settings, session exports, the PDF report,
training runs and the start-up probe all write through ``atomic_path``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; if the block succeeds it is synced to disk and renamed to ``target``.

    The temporary file is in ``target``'s folder because a rename is atomic only within
    one file system; it is removed whatever happens. An OSError (missing folder, no
    permission, disk full) reaches the caller, which reports it in its own words.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "r+b") as written:  # r+: Windows syncs only a file open for writing
            os.fsync(written.fileno())  # the data is on disk before the rename makes it the file
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
