"""An OS file lock that says "a process is recording this session right now".

Why a lock and not a stored pid or heartbeat: the operating system releases
the lock the moment its process dies, however it dies (kill -9, crash,
power loss), so "lock free" means "the writer is gone" with no guessing:
no pid that may have been reused after a reboot, no heartbeat timeout that
would misread a paused recording as a crash.

``flock`` (POSIX) and ``msvcrt.locking`` (Windows) both conflict between two
opens of the file in the *same* process too, so the app can record and list
sessions at the same time. (``fcntl.lockf`` would not do: a process never
conflicts with its own POSIX record locks, and closing any descriptor of
the file drops them all.) Network file systems may not honour these locks;
the session database belongs on a local disk anyway (SQLite's WAL mode
needs it too).
"""

from __future__ import annotations

import os
from pathlib import Path

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class WriterLock:
    """Held by the one process recording a session, from start to close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock; OSError if the file cannot be made or someone holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            raise OSError(f"{self.path} is locked by another writer")
        self._fd = fd

    def release(self) -> None:
        """Drop the lock and remove its file; safe to call twice."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)
        remove_quietly(self.path)


def is_held(path: Path) -> bool:
    """True while some process (this one included) holds the lock at ``path``."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        # Cannot even look (permissions): claim it is held, the safe answer, so
        # a live recording is never declared dead or deleted.
        return True
    try:
        if not _try_lock(fd):
            return True
        _unlock(fd)
        return False
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    """Delete a lock file that may already be gone (or, on Windows, still open elsewhere)."""
    try:
        path.unlink()
    except OSError:
        pass
