"""The session database: one SQLite file holding every recorded session.

This module is the store (list, load, start, import, delete, retention);
``database.py`` holds the schema, migrations, connections and error
translation, ``rows.py`` the row <-> value conversions, ``writer.py`` the
``SessionWriter`` that records one session.

Recording
    ``SessionStore.start_session()`` returns a ``SessionWriter``; each
    ``append()`` is its own committed transaction, so a sample is on disk
    before ``append`` returns. The database runs in WAL mode with
    ``synchronous=FULL``: WAL lets the CLI or the review window read while the
    app records, and FULL makes every commit survive power loss, not only a
    killed process (NORMAL may lose the last commits on power loss). At about
    one sample a second that is one fsync a second, which costs nothing.

Ended unexpectedly
    A writer holds an OS file lock (``writerlock.py``) from start to
    ``close()``. ``close()`` writes ``ended_at``; a session with no
    ``ended_at`` whose lock is free was abandoned by a dead process and is
    reported as ``ended-unexpectedly``, ending at the last thing it recorded
    (for a media-time session, the wall-clock time of its last write). This
    is derived on every read rather than written back, so reading (the CLI's
    ``sessions list``) never modifies the database.

Times
    A wall-clock session's end is never earlier than its last sample or
    bookmark: ending it clamps ``ended_at``. A media-time session (a video or
    folder, see ``TimeBase``) keeps the wall-clock ``ended_at`` it was given.

Privacy
    Only numbers are stored: no images, no crops. Per-track numbers are
    stored only for sessions started with ``keep_tracks=True`` (the admin
    policy's decision). Deleted rows are overwritten (``secure_delete``) and
    the WAL is checkpointed after a delete, so a deleted session does not
    linger in the file.

Errors
    Every sqlite3 error leaving this module becomes a one-line SessionError;
    a file that is not ours is never written to.
"""


from __future__ import annotations

import difflib
import json
import sqlite3
import time
from pathlib import Path

from .. import __version__
from ..errors import SessionError
from ..types import Tracks
from . import writerlock
from .database import END_SESSION, SAMPLE_COLUMNS, SESSION_QUERY, connect, guard, transaction
from .model import Bookmark, RecordedSample, SessionData, SessionInfo, SessionStatus, TimeBase, auto_name, check_name, quantize_time
from .rows import insert_bookmark, insert_sample, sample_from_row, tracks_from_rows
from .writer import SessionWriter, lock_path, settings_json


class SessionStore:
    """All sessions in one database file.

    ``create=False`` (for commands that only read or delete) refuses to make
    a new empty database at a mistyped path. Use one store per thread; a
    ``SessionWriter`` has its own connection and may be used from any thread.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self._conn = connect(self.path, create=create)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "SessionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # reading

    @guard("listing sessions")
    def list_sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        rows = self._conn.execute(SESSION_QUERY + " ORDER BY s.started_at, s.id").fetchall()
        return [self._info(row) for row in rows]

    @guard("reading a session")
    def get(self, name: str) -> SessionInfo:
        return self._info(self._row(name))

    @guard("reading a session")
    def load(self, name: str) -> SessionData:
        """A whole session: metadata, samples in recording order, bookmarks in time order."""
        # One read snapshot, so a session being recorded is read consistently.
        with transaction(self._conn, write=False):
            row = self._row(name)
            keeps_tracks = bool(row["keeps_tracks"])
            sample_rows = self._conn.execute(
                f"SELECT id, {', '.join(SAMPLE_COLUMNS)} FROM samples WHERE session_id = ? ORDER BY id", (row["id"],)
            ).fetchall()
            tracks = self._tracks_by_sample(row["id"]) if keeps_tracks else {}
            bookmarks = self._conn.execute(
                "SELECT wall_time, text FROM bookmarks WHERE session_id = ? ORDER BY wall_time, id", (row["id"],)
            ).fetchall()
        # Status after the snapshot: _info re-reads ended_at and must see the latest commit.
        info = self._info(row)
        samples = [
            RecordedSample(r["wall_time"], sample_from_row(r), tracks.get(r["id"], Tracks.empty()) if keeps_tracks else None)
            for r in sample_rows
        ]
        return SessionData(info, samples, [Bookmark(b["wall_time"], b["text"]) for b in bookmarks])

    def _tracks_by_sample(self, session_id: int) -> dict[int, Tracks]:
        rows = self._conn.execute(
            "SELECT tr.* FROM track_readings AS tr JOIN samples AS s ON s.id = tr.sample_id "
            "WHERE s.session_id = ? ORDER BY tr.rowid",
            (session_id,),
        ).fetchall()
        grouped: dict[int, list[sqlite3.Row]] = {}
        for row in rows:
            grouped.setdefault(row["sample_id"], []).append(row)
        return {sample_id: tracks_from_rows(group) for sample_id, group in grouped.items()}

    def _row(self, name: str) -> sqlite3.Row:
        row = self._conn.execute(SESSION_QUERY + " WHERE s.name = ?", (name,)).fetchone()
        if row is None:
            names = [r[0] for r in self._conn.execute("SELECT name FROM sessions")]
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SessionError(
                f"there is no session named {name!r} in {self.path}.{hint} "
                "Run `classwatch sessions list` to see the recorded sessions."
            )
        return row

    def _info(self, row: sqlite3.Row) -> SessionInfo:
        ended_at = row["ended_at"]
        if ended_at is not None:
            status = SessionStatus.ENDED
        elif writerlock.is_held(lock_path(self.path, row["id"])):
            status = SessionStatus.RECORDING
        else:
            # The row was read before the lock was probed: the writer may have
            # closed in between (close() writes ended_at before it unlocks).
            # Only a session still without an end after the probe is abandoned.
            ended_at = self._conn.execute("SELECT ended_at FROM sessions WHERE id = ?", (row["id"],)).fetchone()[0]
            if ended_at is not None:
                status = SessionStatus.ENDED
            else:
                status = SessionStatus.ENDED_UNEXPECTEDLY
                ended_at = row["last_activity"] if row["last_write_at"] is None else row["last_write_at"]
                writerlock.remove_quietly(lock_path(self.path, row["id"]))  # stale, left by the dead writer
        return SessionInfo(
            name=row["name"],
            started_at=row["started_at"],
            ended_at=ended_at,
            status=status,
            source=row["source"],
            detector=row["detector"],
            model_name=row["model_name"],
            model_version=row["model_version"],
            settings=json.loads(row["settings"]),
            app_version=row["app_version"],
            keeps_tracks=bool(row["keeps_tracks"]),
            sample_count=row["sample_count"],
            time_base=TimeBase(row["time_base"]),
            last_recorded_at=row["last_activity"],
        )

    # writing

    @guard("starting a session")
    def start_session(
        self,
        name: str | None = None,
        *,
        started_at: float | None = None,
        source: str = "",
        detector: str = "",
        model_name: str = "",
        model_version: str = "",
        settings: dict | None = None,
        app_version: str = __version__,
        keep_tracks: bool = False,
        time_base: TimeBase = TimeBase.WALL,
    ) -> "SessionWriter":
        """Create a session and return its writer (close it, or use it as a context manager).

        name: unique; None names it after its local start time ("2025-03-04_0915",
            then "2025-03-04_0915-2", ...).
        keep_tracks: record per-track numbers; pass the admin policy's answer.
        time_base: MEDIA when analysing a video or folder: samples are then
            appended at ``started_at`` + their position in the media.
        """
        started_at = quantize_time(time.time() if started_at is None else started_at)
        time_base = TimeBase(time_base)
        conn = connect(self.path, create=True, threaded=True)
        lock: writerlock.WriterLock | None = None
        try:
            with transaction(conn):
                if name is None:
                    name = self._free_name(conn, auto_name(started_at))
                else:
                    self._check_free(conn, check_name(name))
                session_id = conn.execute(
                    "INSERT INTO sessions (name, started_at, source, detector, model_name, model_version, "
                    "settings, app_version, keeps_tracks, time_base) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (name, started_at, source, detector, model_name, model_version,
                     settings_json(settings), app_version, int(keep_tracks), time_base.value),
                ).lastrowid
                # Locked before the COMMIT: no reader can see the new row without its lock held.
                lock = writerlock.WriterLock(lock_path(self.path, session_id))
                try:
                    lock.acquire()
                except OSError as exc:
                    raise SessionError(f"cannot create the recording lock {lock.path}: {exc}") from exc
        except BaseException:
            if lock is not None:
                lock.release()
            conn.close()
            raise
        return SessionWriter(self.path, conn, session_id, name, keep_tracks, time_base, lock)

    @guard("importing a session")
    def import_session(self, data: SessionData, name: str | None = None) -> SessionInfo:
        """Add a whole session (e.g. from ``exporting.read_json``), all or nothing.

        name: store it under this name instead of ``data.info.name``.
        Status is not imported: the copy is ``ended`` if the original had an
        end, and ``ended-unexpectedly`` otherwise (nobody is recording it here).
        A wall-clock end earlier than the last sample is moved to it, as when recording.
        """
        info = data.info
        name = check_name(name if name is not None else info.name)
        ended = info.status is SessionStatus.ENDED and info.ended_at is not None
        # A media session that ended unexpectedly keeps its wall-clock end where a dying writer leaves it.
        last_write = info.ended_at if not ended and info.time_base is TimeBase.MEDIA else None
        with transaction(self._conn):
            self._check_free(self._conn, name)
            session_id = self._conn.execute(
                "INSERT INTO sessions (name, started_at, source, detector, model_name, model_version, "
                "settings, app_version, keeps_tracks, time_base, last_write_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, quantize_time(info.started_at), info.source, info.detector, info.model_name,
                 info.model_version, settings_json(info.settings), info.app_version, int(info.keeps_tracks),
                 info.time_base.value, None if last_write is None else quantize_time(last_write)),
            ).lastrowid
            for rec in data.samples:
                insert_sample(self._conn, session_id, rec.wall_time, rec.sample, rec.tracks if info.keeps_tracks else None)
            for bookmark in data.bookmarks:
                insert_bookmark(self._conn, session_id, bookmark.wall_time, bookmark.text)
            if ended:
                self._conn.execute(END_SESSION, {"end": quantize_time(info.ended_at), "id": session_id})
        return self.get(name)

    @guard("deleting a session")
    def delete(self, name: str) -> SessionInfo:
        """Remove a session and everything recorded in it; returns what was deleted."""
        info = self._delete(name)
        self._purge()
        return info

    @guard("applying the retention period")
    def apply_retention(self, days: int, now: float | None = None) -> list[str]:
        """Delete sessions that ended more than ``days`` days before ``now``.

        A session still recording is never deleted. Returns the deleted names.
        """
        if days < 1:
            raise ValueError(f"retention must be at least 1 day, got {days}")
        cutoff = (time.time() if now is None else now) - days * 86400.0
        expired = [
            info.name
            for info in self.list_sessions()
            if info.status is not SessionStatus.RECORDING and (info.ended_at or info.started_at) < cutoff
        ]
        for name in expired:
            self._delete(name)
        if expired:
            self._purge()
        return expired

    def _delete(self, name: str) -> SessionInfo:
        with transaction(self._conn):
            row = self._row(name)
            info = self._info(row)
            if info.status is SessionStatus.RECORDING:
                raise SessionError(f"session {name!r} is still being recorded; stop the recording before deleting it")
            self._conn.execute("DELETE FROM sessions WHERE id = ?", (row["id"],))
        writerlock.remove_quietly(lock_path(self.path, row["id"]))
        return info

    def _purge(self) -> None:
        """Move the zeroed pages from the WAL into the database file, so deleted data leaves the disk.

        Best effort: with a reader active the WAL is only partly copied now and
        the rest at a later checkpoint.
        """
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @staticmethod
    def _check_free(conn: sqlite3.Connection, name: str) -> None:
        if conn.execute("SELECT 1 FROM sessions WHERE name = ?", (name,)).fetchone():
            raise SessionError(f"a session named {name!r} already exists; choose another name")

    @staticmethod
    def _free_name(conn: sqlite3.Connection, base: str) -> str:
        taken = {r[0] for r in conn.execute("SELECT name FROM sessions WHERE name = ? OR name LIKE ?", (base, base + "-%"))}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        return name
