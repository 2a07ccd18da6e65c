"""The session database: recording, reading, deleting, retention, and every way a file can be wrong."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from classwatch.errors import SessionError
from classwatch.paths import default_db_path, resolve_db_path
from classwatch.session import SCHEMA_VERSION, SessionData, SessionStatus, SessionStore, TimeBase, summarize
from classwatch.session.model import auto_name
from classwatch.session.database import APPLICATION_ID, MIGRATIONS
from classwatch.types import Tracks
from session_samples import T0, assert_same_session, build, make_sample, record


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.sqlite"


@pytest.fixture
def store(db: Path):
    with SessionStore(db) as s:
        yield s


# --- where the database lives ----------------------------------------------


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"HOME": "/home/ann"}, "/home/ann/.local/share/classwatch/sessions.sqlite"),
        ("linux", {"HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann"}, "/data/ann/classwatch/sessions.sqlite"),
        ("linux", {"HOME": "/home/ann", "XDG_DATA_HOME": "relative"}, "/home/ann/.local/share/classwatch/sessions.sqlite"),
        ("darwin", {"HOME": "/Users/ann"}, "/Users/ann/Library/Application Support/classwatch/sessions.sqlite"),
        ("win32", {"USERPROFILE": "C:/Users/ann", "LOCALAPPDATA": "C:/Users/ann/AppData/Local"},
         "C:/Users/ann/AppData/Local/classwatch/sessions.sqlite"),
        ("win32", {"HOME": "/x", "CLASSWATCH_DATA_DIR": "/portable/cw"}, "/portable/cw/sessions.sqlite"),
    ],
)
def test_default_db_path_per_os(platform: str, env: dict, expected: str) -> None:
    assert default_db_path(env, platform) == Path(expected)


def test_db_flag_beats_setting_beats_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLASSWATCH_DATA_DIR", str(tmp_path / "data"))
    assert resolve_db_path("a.sqlite", "b.sqlite") == Path("a.sqlite")
    assert resolve_db_path(None, "b.sqlite") == Path("b.sqlite")
    assert resolve_db_path() == tmp_path / "data" / "sessions.sqlite"


# --- recording and reading --------------------------------------------------


def test_recorded_session_reads_back_exactly(store: SessionStore) -> None:
    original = build(seconds=120, bookmarks={10: "Quiz", 70: "Ünïcode bookmark"})
    loaded = record(store, original)
    assert_same_session(original, loaded)
    assert loaded.info.status is SessionStatus.ENDED
    assert loaded.info.settings == {"min_faces": 3, "every_s": 1.0}
    unavailable = [r for r in loaded.samples if r.sample.mood_index is None]
    assert unavailable and all(r.sample.mean_probs is None for r in unavailable)


def test_schema_is_versioned_and_stores_numbers_only(store: SessionStore, db: Path) -> None:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    assert sorted(tables) == ["bookmarks", "samples", "sessions", "track_readings"]
    # Privacy: nowhere to put an image.
    for table in tables:
        types = {r[2].upper() for r in conn.execute(f"PRAGMA table_info({table})")}
        assert types <= {"INTEGER", "REAL", "TEXT"}, table
    conn.close()


def test_reopening_an_existing_database_keeps_its_sessions(db: Path) -> None:
    with SessionStore(db) as store:
        record(store, build(seconds=5))
    with SessionStore(db) as store:
        assert [i.name for i in store.list_sessions()] == ["maths"]


def test_session_names_are_unique_and_default_to_the_start_time(store: SessionStore) -> None:
    for _ in range(3):
        store.start_session(started_at=T0).close(T0 + 60)
    base = auto_name(T0)
    assert [i.name for i in store.list_sessions()] == [base, f"{base}-2", f"{base}-3"]
    with pytest.raises(SessionError, match="already exists"):
        store.start_session(base)
    for bad in ("", "   ", "tab\there", "x" * 101):
        with pytest.raises(SessionError, match="session name"):
            store.start_session(bad)


def test_status_is_recording_while_a_writer_holds_the_session(store: SessionStore, db: Path) -> None:
    writer = store.start_session("live", started_at=T0)
    writer.append(make_sample(0.0, 0.1), T0 + 1)
    with SessionStore(db) as other:  # a second reader, like `classwatch sessions list` during class
        info = other.get("live")
        assert (info.status, info.ended_at, info.sample_count) == (SessionStatus.RECORDING, None, 1)
        with pytest.raises(SessionError, match="still being recorded"):
            other.delete("live")
    writer.close(T0 + 30)
    info = store.get("live")
    assert (info.status, info.ended_at, info.duration_s) == (SessionStatus.ENDED, T0 + 30, 30)


def test_an_abandoned_writer_reads_as_ended_unexpectedly_at_its_last_sample(store: SessionStore) -> None:
    writer = store.start_session("abandoned", started_at=T0)
    for i in range(5):
        writer.append(make_sample(float(i), 0.1), T0 + i)
    writer.bookmark(T0 + 4.5, "last thing")
    # What a killed process leaves behind: the lock gone, no end written.
    writer._lock.release()
    writer._conn.close()
    data = store.load("abandoned")
    assert data.info.status is SessionStatus.ENDED_UNEXPECTEDLY
    assert data.info.ended_at == T0 + 4.5
    assert len(data.samples) == 5


def test_writer_is_thread_safe(store: SessionStore) -> None:
    writer = store.start_session("threads", started_at=T0)

    def samples() -> None:
        for i in range(50):
            writer.append(make_sample(float(i), 0.0), T0 + i)

    worker = threading.Thread(target=samples)
    worker.start()
    for i in range(20):
        writer.bookmark(T0 + i, f"mark {i}")
    worker.join()
    writer.close(T0 + 60)
    data = store.load("threads")
    assert (len(data.samples), len(data.bookmarks)) == (50, 20)


def test_per_track_numbers_are_kept_only_when_the_policy_allows(store: SessionStore) -> None:
    tracks = Tracks(np.array([7, 9]), np.full((2, 7), 1 / 7, np.float32))
    for name, allowed in (("private", False), ("research", True)):
        with store.start_session(name, started_at=T0, keep_tracks=allowed) as writer:
            writer.append(make_sample(0.0, 0.2), T0 + 1, tracks)
    private, research = store.load("private"), store.load("research")
    assert not private.info.keeps_tracks and private.samples[0].tracks is None
    assert research.info.keeps_tracks
    np.testing.assert_array_equal(research.samples[0].tracks.ids, [7, 9])
    np.testing.assert_array_equal(research.samples[0].tracks.probs, tracks.probs)
    rows = store._conn.execute("SELECT count(*) FROM track_readings").fetchone()[0]
    assert rows == 2  # the private session wrote none


def test_delete_removes_the_session_and_nothing_else(store: SessionStore) -> None:
    record(store, build("keep", seconds=20, bookmarks={5: "a"}))
    record(store, build("drop", seconds=30, bookmarks={5: "b"}))
    info = store.delete("drop")
    assert (info.name, info.sample_count) == ("drop", 30)
    assert [i.name for i in store.list_sessions()] == ["keep"]
    counts = store._conn.execute("SELECT (SELECT count(*) FROM samples), (SELECT count(*) FROM bookmarks)").fetchone()
    assert tuple(counts) == (20, 1)


def test_unknown_name_says_how_to_list_sessions(store: SessionStore) -> None:
    record(store, build("maths", seconds=3))
    for action in (store.get, store.load, store.delete):
        with pytest.raises(SessionError, match=r"no session named 'math'.*Did you mean 'maths'.*classwatch sessions list"):
            action("math")


# --- retention ----------------------------------------------------------------


def test_retention_removes_sessions_older_than_the_period(store: SessionStore) -> None:
    day = 86400.0
    now = T0 + 100 * day
    record(store, build("old", start=now - 40 * day, seconds=3))
    record(store, build("recent", start=now - 10 * day, seconds=3))
    record(store, build("today", start=now - 3600, seconds=3))
    live = store.start_session("old but recording", started_at=now - 50 * day)
    assert store.apply_retention(30, now=now) == ["old"]
    assert [i.name for i in store.list_sessions()] == ["old but recording", "recent", "today"]
    live.close(now)
    assert store.apply_retention(7, now=now) == ["recent"]
    with pytest.raises(ValueError):
        store.apply_retention(0)


# --- bad databases ------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"my lesson notes\n" * 300)
    with pytest.raises(SessionError, match="not a classwatch session database"):
        SessionStore(path)
    assert path.read_bytes() == b"my lesson notes\n" * 300


def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ann')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SessionError, match="belongs to another program"):
        SessionStore(path)
    assert path.read_bytes() == before


def test_a_database_from_a_newer_classwatch_is_refused(db: Path) -> None:
    SessionStore(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SessionError, match="newer classwatch"):
        SessionStore(db)


def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with SessionStore(path) as store:
        assert store.list_sessions() == []


def test_a_damaged_database_gives_one_clear_error(db: Path) -> None:
    with SessionStore(db) as store:
        record(store, build(seconds=200))
    raw = bytearray(db.read_bytes())
    page = 4096
    raw[page:] = b"\xa5" * (len(raw) - page)  # keep the header page, scramble every table
    db.write_bytes(bytes(raw))
    with pytest.raises(SessionError, match="damaged"):
        with SessionStore(db) as store:
            store.load("maths")


def test_missing_database_and_folder_paths(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no session database"):
        SessionStore(tmp_path / "nothing.sqlite", create=False)
    assert not (tmp_path / "nothing.sqlite").exists()
    with pytest.raises(SessionError, match="is a folder"):
        SessionStore(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SessionError, match="cannot create the folder"):
        SessionStore(blocker / "sub" / "db.sqlite")


def test_a_full_disk_stops_recording_with_a_clear_error_and_keeps_the_data(store: SessionStore) -> None:
    record(store, build("yesterday", seconds=50))
    writer = store.start_session("today", started_at=T0)
    # Cap the file just above its current size: SQLite then reports SQLITE_FULL,
    # exactly as on a full disk.
    pages = writer._conn.execute("PRAGMA page_count").fetchone()[0]
    writer._conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    written = 0
    with pytest.raises(SessionError, match="disk .* is full") as error:
        for i in range(10_000):
            writer.append(make_sample(float(i), 0.1), T0 + i)
            written += 1
    assert "\n" not in str(error.value)
    assert written > 0
    writer.close(T0 + 10_000)  # the end may not fit either; the lock is released regardless
    assert len(store.load("today").samples) == written
    assert len(store.load("yesterday").samples) == 50
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- layering -------------------------------------------------------------------


def test_the_session_core_does_not_import_qt() -> None:
    code = (
        "import sys, classwatch.cli.sessions, classwatch.cli.export, classwatch.session.exporting, classwatch.paths; "
        "print(any(m.split('.')[0] in ('PySide6', 'pyqtgraph') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "False"


# --- session times (issue 20) -----------------------------------------------


def test_a_wall_clock_end_is_never_before_the_last_sample(store: SessionStore) -> None:
    """`analyze --record` used to close a session before its last sample: `sessions list` said 3 s, `show` 39 s."""
    writer = store.start_session("early end", started_at=T0)
    for i in range(40):
        writer.append(make_sample(float(i), 0.1), T0 + i)
    writer.close(T0 + 3)
    info = store.get("early end")
    assert info.ended_at == T0 + 39  # moved to the last sample
    assert info.duration_s == summarize(store.load("early end")).duration_s == 39


def test_importing_a_wall_clock_end_before_the_last_sample_moves_it(store: SessionStore) -> None:
    data = build("imported", seconds=60)
    info = store.import_session(SessionData(replace(data.info, ended_at=T0 + 3), data.samples, data.bookmarks))
    assert info.ended_at == data.samples[-1].wall_time and info.duration_s == pytest.approx(59.25)


def test_a_media_time_session_keeps_its_wall_clock_end_and_measures_the_video(store: SessionStore) -> None:
    """A 3-minute video analysed in a moment: 3 min of video, ended at the wall-clock time it stopped."""
    started = time.time()
    writer = store.start_session("video", started_at=started, time_base=TimeBase.MEDIA)
    for i in range(181):
        writer.append(make_sample(float(i), 0.1), started + i)  # start + media time
    writer.close()
    stopped = time.time()
    info = store.get("video")
    assert info.time_base is TimeBase.MEDIA
    assert started <= info.ended_at <= stopped + 0.001  # not start + 3 min: that lies in the future
    assert info.duration_s == 180 and info.duration_text() == "3 min of video"
    assert info.format_time(info.started_at + 75) == "1:15"
    assert summarize(store.load("video")).duration_s == 180


def test_an_interrupted_media_session_ends_when_its_analysis_stopped(store: SessionStore) -> None:
    started = time.time()
    writer = store.start_session("killed", started_at=started, time_base=TimeBase.MEDIA)
    for i in range(0, 180, 10):
        writer.append(make_sample(float(i), 0.1), started + i)
    last_write = time.time()
    writer._lock.release()  # what a killed process leaves behind
    writer._conn.close()
    info = store.get("killed")
    assert info.status is SessionStatus.ENDED_UNEXPECTEDLY
    assert started <= info.ended_at <= last_write + 0.001  # the wall-clock time of the last write
    assert info.duration_s == 170  # of video analysed until then


def _v1_database(path: Path, version: int = 1) -> None:
    """A database as classwatch wrote it at an older schema (1: no time base; 1 and 2: no attention)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:version]:
        for statement in migration:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    rows = [("analysed file", T0, T0 + 3, [T0 + i for i in range(40)]),  # `analyze --record` of a 39 s video
            ("live class", T0 + 3600, T0 + 3660, [T0 + 3600 + i for i in range(59)])]
    for name, start, end, times in rows:
        sid = conn.execute("INSERT INTO sessions (name, started_at, ended_at) VALUES (?, ?, ?)", (name, start, end)).lastrowid
        zeros = ", ".join("0" for _ in range(14))
        for t in times:
            conn.execute(f"INSERT INTO samples VALUES (NULL, ?, ?, ?, 8, 6, 1, {zeros}, NULL, 0.5, 0.8)", (sid, t, t - start))
    conn.close()


def test_a_schema_1_database_is_migrated_and_its_sessions_still_open(db: Path) -> None:
    _v1_database(db)
    with SessionStore(db) as store:
        infos = {info.name: info for info in store.list_sessions()}
        assert len(store.load("analysed file").samples) == 40
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # An end before the last sample can only be a file analysed faster than it plays.
    assert infos["analysed file"].time_base is TimeBase.MEDIA and infos["analysed file"].duration_s == 39
    assert infos["live class"].time_base is TimeBase.WALL and infos["live class"].duration_s == 60


# --- issue 21: attention ----------------------------------------------------------------


def test_attention_is_recorded_and_read_back(store: SessionStore) -> None:
    data = build(seconds=20, attention=lambda i: [0.0, 0.5, 1.0, None][i % 4])
    loaded = record(store, data)
    assert_same_session(data, loaded)
    assert [r.sample.attention for r in loaded.samples[:5]] == [0.0, 0.5, 1.0, None, 0.0]


@pytest.mark.parametrize("version", [1, 2])
def test_sessions_from_before_attention_open_with_attention_unknown(db: Path, version: int) -> None:
    """Schema 3 added attention: older samples read as None (not measured), never as 0 (nobody facing)."""
    _v1_database(db, version)
    with SessionStore(db) as store:
        live = store.load("live class")
        assert len(live.samples) == 59 and all(r.sample.attention is None for r in live.samples)
        assert summarize(live).mean_attention is None
        # The migrated database records attention for new sessions.
        record(store, build("new class", start=T0 + 7200, seconds=3, attention=lambda i: 0.75))
        assert [r.sample.attention for r in store.load("new class").samples] == [0.75] * 3
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert "attention" in {row[1] for row in conn.execute("PRAGMA table_info(samples)")}
