"""Recording one session: ``SessionWriter`` appends its samples and bookmarks as they happen."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from ..errors import SessionError
from ..types import MoodSample, Tracks
from . import writerlock
from .database import END_SESSION, guard, transaction, translated
from .model import Bookmark, TimeBase, quantize_time
from .rows import insert_bookmark, insert_sample


def lock_path(db_path: Path, session_id: int) -> Path:
    return db_path.with_name(db_path.name + "-writers") / f"{session_id}.lock"


def settings_json(settings: dict | None) -> str:
    try:
        return json.dumps(settings or {}, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SessionError(f"session settings must be plain JSON values: {exc}") from exc


class SessionWriter:
    """Appends one session's samples and bookmarks as they happen.

    Every call commits before it returns. Thread-safe: the capture worker may
    append while the GUI thread adds bookmarks. Made by ``SessionStore.start_session``.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, session_id: int, name: str,
                 keep_tracks: bool, time_base: TimeBase, lock: writerlock.WriterLock) -> None:
        self.path = path
        self.name = name
        self.keeps_tracks = keep_tracks
        self.time_base = time_base
        self.samples_written = 0
        self._conn = conn
        self._session_id = session_id
        self._lock = lock
        self._mutex = threading.Lock()

    def _live_conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"session {self.name!r} is closed")
        return self._conn

    def _written(self, conn: sqlite3.Connection) -> None:
        """In a media-time session, note when this write happened (in its transaction):
        where the session ends if the process dies before ``close()``."""
        if self.time_base is TimeBase.MEDIA:
            conn.execute("UPDATE sessions SET last_write_at = ? WHERE id = ?", (quantize_time(time.time()), self._session_id))

    @guard("recording a sample")
    def append(self, sample: MoodSample, wall_time: float, tracks: Tracks | None = None) -> None:
        """Record one sample made at ``wall_time`` (UTC epoch seconds; in a
        media-time session, the session start plus the sample's media time).

        tracks: that frame's per-track numbers; dropped unless the session keeps them.
        """
        with self._mutex:
            conn = self._live_conn()
            with transaction(conn):
                insert_sample(conn, self._session_id, wall_time, sample, tracks if self.keeps_tracks else None)
                self._written(conn)
            self.samples_written += 1

    @guard("adding a bookmark")
    def bookmark(self, wall_time: float, text: str) -> Bookmark:
        with self._mutex:
            conn = self._live_conn()
            with transaction(conn):
                self._written(conn)
                return insert_bookmark(conn, self._session_id, wall_time, text)

    def close(self, ended_at: float | None = None) -> None:
        """Mark the session ended (at ``ended_at``, default now: the wall-clock
        time it stopped) and let go of it. Safe to call twice.

        A wall-clock session's end is moved to its last sample or bookmark if
        it would be earlier (a clock that went back, a caller's mistake).

        If the end cannot be written (full disk), the lock is released anyway:
        the session then reads as ended-unexpectedly, with its samples intact.
        """
        with self._mutex:
            if self._conn is None:
                return
            conn, self._conn = self._conn, None
            try:
                with translated(self.path, "ending the session"), transaction(conn):
                    end = quantize_time(time.time() if ended_at is None else ended_at)
                    conn.execute(END_SESSION, {"end": end, "id": self._session_id})
            finally:
                # Unlock only after ended_at is committed (SessionStore._info relies on that order).
                self._lock.release()
                conn.close()

    def __enter__(self) -> "SessionWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
