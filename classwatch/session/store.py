"""The session database: one SQLite file holding every recorded session.

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
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import SessionError
from ..types import EXPRESSIONS, MoodSample, Tracks
from . import writerlock
from .model import (
    Bookmark,
    RecordedSample,
    SessionData,
    SessionInfo,
    SessionStatus,
    TimeBase,
    auto_name,
    check_name,
    quantize_time,
)

#: ``PRAGMA application_id``: marks a SQLite file as a classwatch session database ("CLSW").
APPLICATION_ID = 0x434C5357

#: How long to wait for another connection's write transaction before failing.
BUSY_TIMEOUT_S = 5.0

_P_COLUMNS = tuple(f"p_{name}" for name in EXPRESSIONS)
_N_COLUMNS = tuple(f"n_{name}" for name in EXPRESSIONS)


def _real_columns(names: tuple[str, ...]) -> str:
    return ", ".join(f"{name} REAL" for name in names)


# Migration i takes the schema from user_version i to i + 1. Append new
# migrations; never edit a released one (databases in the field ran it).
# The expression columns follow EXPRESSIONS, whose order is frozen.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE sessions (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: names a writer lock file
            name          TEXT NOT NULL UNIQUE,
            started_at    REAL NOT NULL,                      -- UTC epoch seconds
            ended_at      REAL,                               -- NULL: recording, or ended unexpectedly
            source        TEXT NOT NULL DEFAULT '',
            detector      TEXT NOT NULL DEFAULT '',
            model_name    TEXT NOT NULL DEFAULT '',
            model_version TEXT NOT NULL DEFAULT '',
            settings      TEXT NOT NULL DEFAULT '{}',         -- JSON object
            app_version   TEXT NOT NULL DEFAULT '',
            keeps_tracks  INTEGER NOT NULL DEFAULT 0
        )""",
        f"""CREATE TABLE samples (
            id          INTEGER PRIMARY KEY,                  -- insertion order = recording order
            session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            wall_time   REAL NOT NULL,                        -- UTC epoch seconds
            t           REAL NOT NULL,                        -- MoodSample.t (source time)
            tiles       INTEGER NOT NULL,
            faces       INTEGER NOT NULL,
            camera_off  INTEGER NOT NULL,
            {_real_columns(_P_COLUMNS)},                      -- mean_probs; all NULL when unavailable
            {", ".join(f"{name} INTEGER NOT NULL" for name in _N_COLUMNS)},
            mood_index  REAL,                                 -- NULL when unavailable
            confidence  REAL NOT NULL,
            coverage    REAL NOT NULL
        )""",
        "CREATE INDEX samples_by_session ON samples(session_id, wall_time)",
        f"""CREATE TABLE track_readings (
            sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            track_id    INTEGER NOT NULL,
            {_real_columns(_P_COLUMNS)}                       -- NULL in presence-only mode
        )""",
        "CREATE INDEX track_readings_by_sample ON track_readings(sample_id)",
        """CREATE TABLE bookmarks (
            id          INTEGER PRIMARY KEY,
            session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            wall_time   REAL NOT NULL,
            text        TEXT NOT NULL
        )""",
        "CREATE INDEX bookmarks_by_session ON bookmarks(session_id, wall_time)",
    ),
    (
        # 'wall' or 'media' (model.TimeBase). Sessions recorded before could
        # have media times, stamped start + media time by `analyze --record`;
        # those whose end lies before their last sample cannot be wall-clock.
        "ALTER TABLE sessions ADD COLUMN time_base TEXT NOT NULL DEFAULT 'wall'",
        "UPDATE sessions SET time_base = 'media' "
        "WHERE ended_at < (SELECT max(wall_time) FROM samples WHERE session_id = sessions.id)",
        # Media-time sessions only: wall-clock time of the last write, the end
        # of one that ended unexpectedly (its sample times say nothing about when).
        "ALTER TABLE sessions ADD COLUMN last_write_at REAL",
    ),
    (
        # MoodSample.attention: share of the video tiles whose face faces the
        # camera. NULL when withheld or switched off, and for every sample
        # recorded before: attention did not exist then, so it is unknown, not 0.
        "ALTER TABLE samples ADD COLUMN attention REAL",
    ),
)

#: The schema version this code writes; a database with a higher one is refused.
SCHEMA_VERSION = len(_MIGRATIONS)

_SAMPLE_COLUMNS = (
    "wall_time", "t", "tiles", "faces", "camera_off", *_P_COLUMNS, *_N_COLUMNS, "mood_index", "confidence", "coverage",
    "attention",
)
_INSERT_SAMPLE = (
    f"INSERT INTO samples (session_id, {', '.join(_SAMPLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(_SAMPLE_COLUMNS) + 1))})"
)
_INSERT_TRACK = (
    f"INSERT INTO track_readings (sample_id, track_id, {', '.join(_P_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(_P_COLUMNS) + 2))})"
)

# The time of the last sample or bookmark of session ``s`` (its start if none).
_LAST_ACTIVITY = """max(s.started_at,
    coalesce((SELECT max(wall_time) FROM samples WHERE session_id = s.id), s.started_at),
    coalesce((SELECT max(wall_time) FROM bookmarks WHERE session_id = s.id), s.started_at))"""

# One row per session with the derived numbers every SessionInfo needs. The
# last activity is where an abandoned wall-clock session is taken to have ended.
_SESSION_QUERY = f"""
    SELECT s.*,
        (SELECT count(*) FROM samples WHERE session_id = s.id) AS sample_count,
        {_LAST_ACTIVITY} AS last_activity
    FROM sessions AS s
"""

# Ending a session: a wall-clock end is never earlier than the last thing recorded.
_END_SESSION = f"""
    UPDATE sessions AS s SET ended_at = CASE WHEN s.time_base = 'media' THEN :end ELSE max(:end, {_LAST_ACTIVITY}) END
    WHERE s.id = :id
"""


# --- errors ---------------------------------------------------------------


def _session_error(path: Path, action: str, exc: sqlite3.Error) -> SessionError:
    """A readable one-line SessionError for a sqlite3 error met while ``action``."""
    text = str(exc)
    if "disk is full" in text:
        return SessionError(f"{action} failed: the disk holding {path} is full (everything recorded before is kept)")
    if "file is not a database" in text:
        return SessionError(f"{path} is not a classwatch session database (it is not an SQLite file)")
    if "locked" in text or "busy" in text:
        return SessionError(f"{action} failed: {path} is busy (another program is writing to it); try again")
    if "readonly" in text:
        return SessionError(f"{action} failed: {path} is read-only")
    if "unable to open" in text:
        return SessionError(f"{action} failed: cannot open {path}")
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return SessionError(f"the session database {path} is damaged ({text}); restore it from a backup or use another --db")
    return SessionError(f"{action} failed on {path}: {text}")


@contextmanager
def _translated(path: Path, action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _session_error(path, action, exc) from exc


def _guard(action: str) -> Callable:
    """Method decorator: sqlite3 errors become SessionError naming ``self.path``."""

    def decorate(method: Callable) -> Callable:
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            with _translated(self.path, action):
                return method(self, *args, **kwargs)

        return wrapper

    return decorate


# --- connection -----------------------------------------------------------


@contextmanager
def _transaction(conn: sqlite3.Connection, *, write: bool = True) -> Iterator[None]:
    """BEGIN ... COMMIT, rolled back on any error (COMMIT included).

    write=True takes the write lock at once (BEGIN IMMEDIATE), so a write
    transaction waits for another writer at its start instead of failing
    half-way; write=False is a plain read snapshot that never blocks the writer.
    """
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        # SQLite rolls back by itself after some errors (a full disk among them).
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse, before anything is written, a file that is not a classwatch database we can read."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if app_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise SessionError(
                f"{path} was written by a newer classwatch (session schema {version}; "
                f"this version reads up to {SCHEMA_VERSION}): update classwatch to open it"
            )
        return
    # application_id 0 and no tables: a new, empty file that is ours to set up.
    if app_id == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        return
    raise SessionError(f"{path} is not a classwatch session database (it belongs to another program); it was left untouched")


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION, one migration per transaction.

    The version is re-read inside each write transaction, so two processes
    opening a new database at the same time cannot both run a migration. An
    up-to-date database takes no write lock at all, so a read-only file can
    still be listed and exported.
    """
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    while True:
        with _transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return
            for statement in _MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")


def _connect(path: Path, *, create: bool, threaded: bool = False) -> sqlite3.Connection:
    """An open, checked and migrated connection (autocommit mode: transactions are explicit)."""
    if path.is_dir():
        raise SessionError(f"{path} is a folder, not a session database")
    if not path.exists():
        if not create:
            raise SessionError(f"there is no session database at {path} (nothing has been recorded there yet)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SessionError(f"cannot create the folder for the session database {path}: {exc.strerror}") from exc
    with _translated(path, "opening the session database"):
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=not threaded)
        try:
            conn.row_factory = sqlite3.Row
            _check_identity(conn, path)
            # WAL may be refused (e.g. some network drives); the rollback journal is then still safe.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            _migrate(conn)
        except BaseException:
            conn.close()
            raise
    return conn


# --- rows <-> values ------------------------------------------------------


def _optional_probs(probs: np.ndarray | None) -> list[float | None]:
    """Seven floats, or seven NULLs when the probabilities are absent or NaN (presence-only)."""
    if probs is None or np.isnan(probs).any():
        return [None] * len(EXPRESSIONS)
    return [float(p) for p in probs]


def _insert_sample(conn: sqlite3.Connection, session_id: int, wall_time: float, sample: MoodSample, tracks: Tracks | None) -> None:
    mood = None if sample.mood_index is None else float(sample.mood_index)
    values = (
        session_id, quantize_time(wall_time), float(sample.t), int(sample.tiles), int(sample.faces), int(sample.camera_off),
        *_optional_probs(sample.mean_probs), *(int(c) for c in sample.label_counts),
        mood, float(sample.confidence), float(sample.coverage),
        None if sample.attention is None else float(sample.attention),
    )
    sample_id = conn.execute(_INSERT_SAMPLE, values).lastrowid
    if tracks is not None and len(tracks):
        conn.executemany(
            _INSERT_TRACK,
            [(sample_id, int(tid), *_optional_probs(probs)) for tid, probs in zip(tracks.ids, tracks.probs)],
        )


def _insert_bookmark(conn: sqlite3.Connection, session_id: int, wall_time: float, text: str) -> Bookmark:
    bookmark = Bookmark(quantize_time(wall_time), text.strip())
    conn.execute("INSERT INTO bookmarks (session_id, wall_time, text) VALUES (?, ?, ?)", (session_id, bookmark.wall_time, bookmark.text))
    return bookmark


def _probs_from_row(row: sqlite3.Row) -> np.ndarray | None:
    values = [row[c] for c in _P_COLUMNS]
    return None if values[0] is None else np.array(values, np.float32)


def _sample_from_row(row: sqlite3.Row) -> MoodSample:
    return MoodSample(
        t=row["t"],
        tiles=row["tiles"],
        faces=row["faces"],
        camera_off=row["camera_off"],
        mean_probs=_probs_from_row(row),
        label_counts=np.array([row[c] for c in _N_COLUMNS], np.int64),
        mood_index=row["mood_index"],
        confidence=row["confidence"],
        coverage=row["coverage"],
        attention=row["attention"],
    )


def _tracks_from_rows(rows: list[sqlite3.Row]) -> Tracks:
    probs = [_probs_from_row(row) for row in rows]
    nan = np.full(len(EXPRESSIONS), np.nan, np.float32)
    return Tracks(
        np.array([row["track_id"] for row in rows], np.int64),
        np.array([nan if p is None else p for p in probs], np.float32).reshape(len(rows), len(EXPRESSIONS)),
    )


# --- the store ------------------------------------------------------------


class SessionStore:
    """All sessions in one database file.

    ``create=False`` (for commands that only read or delete) refuses to make
    a new empty database at a mistyped path. Use one store per thread; a
    ``SessionWriter`` has its own connection and may be used from any thread.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self._conn = _connect(self.path, create=create)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "SessionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # reading

    @_guard("listing sessions")
    def list_sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        rows = self._conn.execute(_SESSION_QUERY + " ORDER BY s.started_at, s.id").fetchall()
        return [self._info(row) for row in rows]

    @_guard("reading a session")
    def get(self, name: str) -> SessionInfo:
        return self._info(self._row(name))

    @_guard("reading a session")
    def load(self, name: str) -> SessionData:
        """A whole session: metadata, samples in recording order, bookmarks in time order."""
        # One read snapshot, so a session being recorded is read consistently.
        with _transaction(self._conn, write=False):
            row = self._row(name)
            keeps_tracks = bool(row["keeps_tracks"])
            sample_rows = self._conn.execute(
                f"SELECT id, {', '.join(_SAMPLE_COLUMNS)} FROM samples WHERE session_id = ? ORDER BY id", (row["id"],)
            ).fetchall()
            tracks = self._tracks_by_sample(row["id"]) if keeps_tracks else {}
            bookmarks = self._conn.execute(
                "SELECT wall_time, text FROM bookmarks WHERE session_id = ? ORDER BY wall_time, id", (row["id"],)
            ).fetchall()
        # Status after the snapshot: _info re-reads ended_at and must see the latest commit.
        info = self._info(row)
        samples = [
            RecordedSample(r["wall_time"], _sample_from_row(r), tracks.get(r["id"], Tracks.empty()) if keeps_tracks else None)
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
        return {sample_id: _tracks_from_rows(group) for sample_id, group in grouped.items()}

    def _row(self, name: str) -> sqlite3.Row:
        row = self._conn.execute(_SESSION_QUERY + " WHERE s.name = ?", (name,)).fetchone()
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
        elif writerlock.is_held(_lock_path(self.path, row["id"])):
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
                writerlock.remove_quietly(_lock_path(self.path, row["id"]))  # stale, left by the dead writer
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

    @_guard("starting a session")
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
        conn = _connect(self.path, create=True, threaded=True)
        lock: writerlock.WriterLock | None = None
        try:
            with _transaction(conn):
                if name is None:
                    name = self._free_name(conn, auto_name(started_at))
                else:
                    self._check_free(conn, check_name(name))
                session_id = conn.execute(
                    "INSERT INTO sessions (name, started_at, source, detector, model_name, model_version, "
                    "settings, app_version, keeps_tracks, time_base) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (name, started_at, source, detector, model_name, model_version,
                     _settings_json(settings), app_version, int(keep_tracks), time_base.value),
                ).lastrowid
                # Locked before the COMMIT: no reader can see the new row without its lock held.
                lock = writerlock.WriterLock(_lock_path(self.path, session_id))
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

    @_guard("importing a session")
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
        with _transaction(self._conn):
            self._check_free(self._conn, name)
            session_id = self._conn.execute(
                "INSERT INTO sessions (name, started_at, source, detector, model_name, model_version, "
                "settings, app_version, keeps_tracks, time_base, last_write_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, quantize_time(info.started_at), info.source, info.detector, info.model_name,
                 info.model_version, _settings_json(info.settings), info.app_version, int(info.keeps_tracks),
                 info.time_base.value, None if last_write is None else quantize_time(last_write)),
            ).lastrowid
            for rec in data.samples:
                _insert_sample(self._conn, session_id, rec.wall_time, rec.sample, rec.tracks if info.keeps_tracks else None)
            for bookmark in data.bookmarks:
                _insert_bookmark(self._conn, session_id, bookmark.wall_time, bookmark.text)
            if ended:
                self._conn.execute(_END_SESSION, {"end": quantize_time(info.ended_at), "id": session_id})
        return self.get(name)

    @_guard("deleting a session")
    def delete(self, name: str) -> SessionInfo:
        """Remove a session and everything recorded in it; returns what was deleted."""
        info = self._delete(name)
        self._purge()
        return info

    @_guard("applying the retention period")
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
        with _transaction(self._conn):
            row = self._row(name)
            info = self._info(row)
            if info.status is SessionStatus.RECORDING:
                raise SessionError(f"session {name!r} is still being recorded; stop the recording before deleting it")
            self._conn.execute("DELETE FROM sessions WHERE id = ?", (row["id"],))
        writerlock.remove_quietly(_lock_path(self.path, row["id"]))
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


def _lock_path(db_path: Path, session_id: int) -> Path:
    return db_path.with_name(db_path.name + "-writers") / f"{session_id}.lock"


def _settings_json(settings: dict | None) -> str:
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

    @_guard("recording a sample")
    def append(self, sample: MoodSample, wall_time: float, tracks: Tracks | None = None) -> None:
        """Record one sample made at ``wall_time`` (UTC epoch seconds; in a
        media-time session, the session start plus the sample's media time).

        tracks: that frame's per-track numbers; dropped unless the session keeps them.
        """
        with self._mutex:
            conn = self._live_conn()
            with _transaction(conn):
                _insert_sample(conn, self._session_id, wall_time, sample, tracks if self.keeps_tracks else None)
                self._written(conn)
            self.samples_written += 1

    @_guard("adding a bookmark")
    def bookmark(self, wall_time: float, text: str) -> Bookmark:
        with self._mutex:
            conn = self._live_conn()
            with _transaction(conn):
                self._written(conn)
                return _insert_bookmark(conn, self._session_id, wall_time, text)

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
                with _translated(self.path, "ending the session"), _transaction(conn):
                    end = quantize_time(time.time() if ended_at is None else ended_at)
                    conn.execute(_END_SESSION, {"end": end, "id": self._session_id})
            finally:
                # Unlock only after ended_at is committed (SessionStore._info relies on that order).
                self._lock.release()
                conn.close()

    def __enter__(self) -> "SessionWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

