"""The session database file: its schema and migrations, connections, transactions, errors.

``SessionStore`` (store.py) and ``SessionWriter`` (writer.py) talk to SQLite
only through what is here: ``connect`` checks that a file is ours, migrates
it and sets the durability pragmas; ``transaction`` makes every write all or
nothing; ``translated`` and ``guard`` turn every sqlite3 error into a
one-line SessionError.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from ..errors import SessionError
from ..types import EXPRESSIONS

#: ``PRAGMA application_id``: marks a SQLite file as a classwatch session database ("CLSW").
APPLICATION_ID = 0x434C5357

#: How long to wait for another connection's write transaction before failing.
BUSY_TIMEOUT_S = 5.0

P_COLUMNS = tuple(f"p_{name}" for name in EXPRESSIONS)
N_COLUMNS = tuple(f"n_{name}" for name in EXPRESSIONS)


def _real_columns(names: tuple[str, ...]) -> str:
    return ", ".join(f"{name} REAL" for name in names)


# Migration i takes the schema from user_version i to i + 1. Append new
# migrations; never edit a released one (databases in the field ran it).
# The expression columns follow EXPRESSIONS, whose order is frozen.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
            {_real_columns(P_COLUMNS)},                      -- mean_probs; all NULL when unavailable
            {", ".join(f"{name} INTEGER NOT NULL" for name in N_COLUMNS)},
            mood_index  REAL,                                 -- NULL when unavailable
            confidence  REAL NOT NULL,
            coverage    REAL NOT NULL
        )""",
        "CREATE INDEX samples_by_session ON samples(session_id, wall_time)",
        f"""CREATE TABLE track_readings (
            sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            track_id    INTEGER NOT NULL,
            {_real_columns(P_COLUMNS)}                       -- NULL in presence-only mode
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
SCHEMA_VERSION = len(MIGRATIONS)

SAMPLE_COLUMNS = (
    "wall_time", "t", "tiles", "faces", "camera_off", *P_COLUMNS, *N_COLUMNS, "mood_index", "confidence", "coverage",
    "attention",
)
INSERT_SAMPLE = (
    f"INSERT INTO samples (session_id, {', '.join(SAMPLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(SAMPLE_COLUMNS) + 1))})"
)
INSERT_TRACK = (
    f"INSERT INTO track_readings (sample_id, track_id, {', '.join(P_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(P_COLUMNS) + 2))})"
)

# The time of the last sample or bookmark of session ``s`` (its start if none).
LAST_ACTIVITY = """max(s.started_at,
    coalesce((SELECT max(wall_time) FROM samples WHERE session_id = s.id), s.started_at),
    coalesce((SELECT max(wall_time) FROM bookmarks WHERE session_id = s.id), s.started_at))"""

# One row per session with the derived numbers every SessionInfo needs. The
# last activity is where an abandoned wall-clock session is taken to have ended.
SESSION_QUERY = f"""
    SELECT s.*,
        (SELECT count(*) FROM samples WHERE session_id = s.id) AS sample_count,
        {LAST_ACTIVITY} AS last_activity
    FROM sessions AS s
"""

# Ending a session: a wall-clock end is never earlier than the last thing recorded.
END_SESSION = f"""
    UPDATE sessions AS s SET ended_at = CASE WHEN s.time_base = 'media' THEN :end ELSE max(:end, {LAST_ACTIVITY}) END
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
def translated(path: Path, action: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _session_error(path, action, exc) from exc


def guard(action: str) -> Callable:
    """Method decorator: sqlite3 errors become SessionError naming ``self.path``."""

    def decorate(method: Callable) -> Callable:
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            with translated(self.path, action):
                return method(self, *args, **kwargs)

        return wrapper

    return decorate


# --- connection -----------------------------------------------------------


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = True) -> Iterator[None]:
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
        with transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")


def connect(path: Path, *, create: bool, threaded: bool = False) -> sqlite3.Connection:
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
    with translated(path, "opening the session database"):
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
