"""Summaries, CSV and JSON exports (with import), the CLI commands, and bad output paths."""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from classwatch.errors import SessionError
from classwatch.session import SessionStatus, SessionStore, TimeBase, summarize
from classwatch.session import exporting
from classwatch.session.model import cameras_off_text, describe_settings
from classwatch.cli import export, sessions
from classwatch.session.exporting import CSV_COLUMNS, read_json, session_to_dict, write_csv, write_json
from classwatch.types import EXPRESSIONS, Tracks
from session_samples import T0, assert_same_session, build, record


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sessions.sqlite"


@pytest.fixture
def berlin():
    """Local time Europe/Berlin (UTC+01:00 in March), so offsets in the files are known."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def _steps(i: int) -> float | None:
    """-0.3 for the first 100 s, +0.4 for the next 100 s, then 0.1; no reading at 150-159 s."""
    if 150 <= i < 160:
        return None
    return -0.3 if i < 100 else 0.4 if i < 200 else 0.1


# --- summary --------------------------------------------------------------------


def test_summary_segments_between_bookmarks() -> None:
    data = build(seconds=300, bookmarks={99: "Quiz", 199: "Recap"}, mood=_steps)
    s = summarize(data)
    assert (s.duration_s, s.samples, s.readings) == (300, 300, 290)
    assert s.segment_kind == "bookmarks"
    assert [seg.label for seg in s.segments] == ["Start", "Quiz", "Recap"]
    assert [seg.start - T0 for seg in s.segments] == [0, 99.5, 199.5]
    assert s.lowest.label == "Start" and s.lowest.mood_index == pytest.approx(-0.3)
    assert s.highest.label == "Quiz" and s.highest.mood_index == pytest.approx(0.4)
    assert s.highest.readings == 90  # 100 samples less the 10 without a reading
    assert s.mean_faces == pytest.approx((290 * 6 + 10 * 2) / 300)
    assert sum(s.expression_share.values()) == pytest.approx(1.0)
    assert s.mean_mood_index == pytest.approx((100 * -0.3 + 90 * 0.4 + 100 * 0.1) / 290)


def test_summary_fixed_windows_without_bookmarks() -> None:
    s = summarize(build(seconds=300, mood=_steps), window_s=60)
    assert s.segment_kind == "windows" and s.window_s == 60
    assert [round(seg.start - T0) for seg in s.segments] == [0, 60, 120, 180, 240]
    assert s.lowest.start == T0 and s.highest.start == T0 + 120
    # Automatic choice: about eight windows, from a list of round lengths.
    assert summarize(build(seconds=3600)).window_s == 600
    timeline = summarize(build(seconds=300, mood=_steps)).timeline
    assert timeline[0][1] == pytest.approx(-0.3) and timeline[-1][1] == pytest.approx(0.1)


def test_summary_without_readings_names_no_extremes() -> None:
    s = summarize(build(seconds=60, mood=lambda i: None))
    assert (s.readings, s.mean_mood_index, s.expression_share, s.lowest, s.highest) == (0, None, None, None, None)
    assert summarize(build(seconds=0)).samples == 0


# --- CSV --------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_csv_has_one_row_per_sample_and_per_bookmark(tmp_path: Path, berlin) -> None:
    data = build(seconds=200, bookmarks={9: "Quiz", 120: "=HYPERLINK(\"http://x\")"}, mood=_steps)
    out = tmp_path / "maths.csv"
    write_csv(data, out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8 right
    rows = _read_csv(out)
    assert tuple(rows[0]) == CSV_COLUMNS
    samples = [r for r in rows if r["kind"] == "sample"]
    bookmarks = [r for r in rows if r["kind"] == "bookmark"]
    assert len(samples) == 200 and len(bookmarks) == 2

    first = samples[0]
    assert first["time"] == "2025-03-04T10:00:00.250+01:00"
    assert datetime.fromisoformat(first["time"]).timestamp() == data.samples[0].wall_time
    assert (first["t"], first["tiles"], first["faces"], first["cameras_off"]) == ("0.000", "8", "6", "1")
    assert float(first["mood_index"]) == -0.3
    sample = data.samples[0].sample
    for name, p in zip(EXPRESSIONS, sample.mean_probs):
        assert float(first[f"share_{name}"]) == pytest.approx(float(p), abs=5e-5)
    assert float(first["confidence"]) == pytest.approx(sample.confidence)
    assert float(first["coverage"]) == pytest.approx(sample.coverage, abs=5e-5)

    gap = samples[150]
    assert gap["mood_index"] == "" and all(gap[f"share_{n}"] == "" for n in EXPRESSIONS)
    assert gap["faces"] == "2"

    # In time order, the bookmark right after the sample of its second; formulas defused.
    quiz_at = rows.index(bookmarks[0])
    assert rows[quiz_at - 1]["t"] == "9.000" and rows[quiz_at + 1]["t"] == "10.000"
    assert bookmarks[0]["bookmark"] == "Quiz" and bookmarks[0]["time"] == "2025-03-04T10:00:09.500+01:00"
    assert bookmarks[1]["bookmark"].startswith("'=")


# --- JSON ---------------------------------------------------------------------------


def test_json_export_follows_the_documented_schema(tmp_path: Path, berlin) -> None:
    data = build(seconds=20, bookmarks={3: "Quiz"}, mood=lambda i: None if i == 5 else 0.25)
    out = tmp_path / "maths.json"
    write_json(data, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"], doc["expressions"]) == ("classwatch-session", 1, list(EXPRESSIONS))
    assert doc["session"] == {
        "name": "maths",
        "started_at": "2025-03-04T10:00:00.000+01:00",
        "ended_at": "2025-03-04T10:00:20.000+01:00",
        "status": "ended",
        "source": "screen region 0,0 1920x1080",
        "detector": "blazeface-short",
        "model": {"name": "fer-mini", "version": "1.2.0"},
        "settings": {"min_faces": 3, "every_s": 1.0},
        "app_version": "0.1.0",
        "keeps_tracks": False,
        "sample_count": 20,
        "time_base": "wall",
    }
    assert doc["bookmarks"] == [{"time": "2025-03-04T10:00:03.500+01:00", "text": "Quiz"}]
    sample = doc["samples"][0]
    assert set(sample) == {"time", "t", "tiles", "faces", "camera_off", "available", "mood_index",
                           "distribution", "label_counts", "confidence", "coverage", "attention"}
    assert sample["attention"] is None  # not measured
    assert sample["mood_index"] == 0.25 and sample["available"] is True
    assert sample["distribution"]["happy"] == 0.3  # float32 written as its shortest decimal
    assert sum(sample["label_counts"].values()) == 6
    gap = doc["samples"][5]
    assert (gap["available"], gap["mood_index"], gap["distribution"]) == (False, None, None)


def test_json_round_trips_through_import(tmp_path: Path, db: Path) -> None:
    with SessionStore(db) as store:
        original = record(store, build(seconds=150, bookmarks={30: "Quiz", 90: "Pause"}))
    out = tmp_path / "maths.json"
    write_json(original, out)
    with SessionStore(tmp_path / "other.sqlite") as other:
        info = other.import_session(read_json(out))
        assert info == original.info
        assert_same_session(original, other.load("maths"))
        with pytest.raises(SessionError, match="already exists"):
            other.import_session(read_json(out))
        other.import_session(read_json(out), name="maths (copy)")
        assert [i.name for i in other.list_sessions()] == ["maths", "maths (copy)"]


def test_json_round_trip_keeps_per_track_numbers_and_an_unexpected_end(tmp_path: Path, db: Path) -> None:
    probs = np.array([[0.1, 0.0, 0.0, 0.7, 0.1, 0.0, 0.1], [np.nan] * 7], np.float32)
    with SessionStore(db) as store:
        writer = store.start_session("research", started_at=T0, keep_tracks=True)
        writer.append(build(seconds=1).samples[0].sample, T0 + 1, Tracks(np.array([3, 4]), probs))
        writer._lock.release()  # the writer dies without closing
        writer._conn.close()
        original = store.load("research")
    assert original.info.status is SessionStatus.ENDED_UNEXPECTEDLY
    doc = session_to_dict(original)
    assert doc["samples"][0]["tracks"][1] == {"id": 4, "probs": None}
    out = tmp_path / "research.json"
    write_json(original, out)
    with SessionStore(tmp_path / "other.sqlite") as other:
        other.import_session(read_json(out))
        assert_same_session(original, other.load("research"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json {", "not JSON"),
        ('{"format": "something-else"}', "not a classwatch session export"),
        ('{"format": "classwatch-session", "version": 99}', "newer classwatch"),
        ('{"format": "classwatch-session", "version": 1, "expressions": []}', "unexpected expression classes"),
    ],
)
def test_importing_a_bad_file_gives_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SessionError, match=message):
        read_json(path)
    with pytest.raises(SessionError, match="cannot read"):
        read_json(tmp_path / "missing.json")


def test_importing_a_truncated_export_gives_one_clear_error(tmp_path: Path) -> None:
    doc = session_to_dict(build(seconds=3))
    del doc["samples"][1]["faces"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SessionError, match="not a valid classwatch session export \\(missing field 'faces'\\)"):
        read_json(path)


# --- output paths -----------------------------------------------------------------


@pytest.mark.parametrize("writer", [write_csv, write_json])
def test_unwritable_output_paths_give_one_clear_error(tmp_path: Path, writer) -> None:
    data = build(seconds=3)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for bad, message in (
        (tmp_path / "no such folder" / "out", "does not exist"),
        (tmp_path, "is a folder"),
        (blocker / "out", "a-file is a file, not a folder"),  # a file used as a folder is not "missing"
    ):
        with pytest.raises(SessionError, match=message):
            writer(data, bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_failed_export_leaves_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous export")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporting.json, "dump", disk_full)
    with pytest.raises(SessionError, match="No space left on device"):
        write_json(build(seconds=3), out)
    assert out.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


# --- the CLI commands ---------------------------------------------------------------


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="classwatch")
    subparsers = parser.add_subparsers(dest="command")
    sessions.register(subparsers)
    export.register(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_list_show_export_import_delete(tmp_path: Path, db: Path, capsys) -> None:
    with SessionStore(db) as store:
        record(store, build("maths", seconds=300, bookmarks={99: "Quiz", 199: "Recap"}, mood=_steps))
        record(store, build("physics", start=T0 + 86400, seconds=30))
    capsys.readouterr()

    assert _run("sessions", "list", "--db", str(db)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "STARTED", "DURATION", "SAMPLES", "STATUS"]
    assert lines[1].split()[0] == "maths" and lines[1].split()[-2:] == ["300", "ended"]

    _run("sessions", "list", "--json", "--db", str(db))
    listed = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in listed["sessions"]] == ["maths", "physics"]

    _run("sessions", "show", "maths", "--db", str(db))
    shown = capsys.readouterr().out
    assert "5 min" in shown and "Quiz" in shown and "<- lowest" in shown and "<- highest" in shown

    _run("sessions", "show", "maths", "--json", "--db", str(db))
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["highest"]["label"] == "Quiz" and len(doc["bookmarks"]) == 2

    for fmt in ("csv", "json"):
        out = tmp_path / f"maths.{fmt}"
        assert _run("export", "maths", "--format", fmt, "--out", str(out), "--db", str(db)) == 0
        assert out.stat().st_size > 0

    _run("sessions", "delete", "maths", "--db", str(db))
    assert "Deleted session maths (300 samples)" in capsys.readouterr().out
    _run("sessions", "import", str(tmp_path / "maths.json"), "--db", str(db))
    with SessionStore(db) as store:
        assert [i.name for i in store.list_sessions()] == ["maths", "physics"]


def test_cli_bad_input_is_a_session_error(tmp_path: Path, db: Path, capsys) -> None:
    _run("sessions", "list", "--db", str(db))
    assert "No sessions" in capsys.readouterr().out
    assert not db.exists()  # listing never creates a database
    with pytest.raises(SessionError, match="no session database"):
        _run("sessions", "show", "maths", "--db", str(db))
    with SessionStore(db) as store:
        record(store, build(seconds=3))
    with pytest.raises(SessionError, match="classwatch sessions list"):
        _run("export", "nope", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--db", str(db))
    with pytest.raises(SessionError, match="does not exist"):
        _run("export", "maths", "--format", "json", "--out", str(tmp_path / "missing" / "x.json"), "--db", str(db))
    with pytest.raises(SystemExit):  # argparse: an unknown format is a usage error
        _run("export", "maths", "--format", "xlsx", "--out", "x", "--db", str(db))


# --- session times, level moods and wording (issue 20) --------------------------------


def _media_session(db: Path, name: str = "video", killed: bool = False) -> None:
    """A 3-minute video analysed in well under a second of wall-clock time."""
    with SessionStore(db) as store:
        started = time.time()
        writer = store.start_session(name, started_at=started, time_base=TimeBase.MEDIA)
        for i in range(181):
            writer.append(build(seconds=1).samples[0].sample, started + i)
        if killed:
            writer._lock.release()
            writer._conn.close()
        else:
            writer.close()


def test_cli_list_and_show_agree_on_the_duration(db: Path, capsys) -> None:
    with SessionStore(db) as store:
        writer = store.start_session("early end", started_at=T0)
        for i in range(40):
            writer.append(build(seconds=1).samples[0].sample, T0 + i)
        writer.close(T0 + 3)  # what `analyze --record` of a 39 s video did
    _media_session(db)
    capsys.readouterr()
    _run("sessions", "list", "--db", str(db))
    listed = capsys.readouterr().out
    assert "39 s " in listed and "3 min of video" in listed
    _run("sessions", "show", "early end", "--db", str(db))
    assert "Duration     39 s\n" in capsys.readouterr().out
    _run("sessions", "show", "video", "--db", str(db))
    shown = capsys.readouterr().out
    assert "Duration     3 min of video analysed" in shown
    assert "0:00-" in shown  # stretches are positions in the video, not clock times in the future


def test_media_time_in_csv_and_json_and_an_interrupted_end_survives_import(tmp_path: Path, db: Path) -> None:
    _media_session(db, killed=True)
    with SessionStore(db) as store:
        original = store.load("video")
    assert original.info.time_base is TimeBase.MEDIA and original.info.status is SessionStatus.ENDED_UNEXPECTEDLY
    assert original.info.ended_at <= time.time() < original.info.started_at + 180  # not start + media time
    write_csv(original, tmp_path / "video.csv")
    rows = _read_csv(tmp_path / "video.csv")
    assert [r["media_time"] for r in rows[:2]] == ["0.000", "1.000"] and rows[-1]["media_time"] == "180.000"
    write_json(original, tmp_path / "video.json")
    assert json.loads((tmp_path / "video.json").read_text(encoding="utf-8"))["session"]["time_base"] == "media"
    with SessionStore(tmp_path / "other.sqlite") as other:
        other.import_session(read_json(tmp_path / "video.json"))
        copy = other.load("video")
    assert_same_session(original, copy)  # the wall-clock end of the interrupted analysis included
    assert copy.info.duration_s == 180


def test_csv_of_a_live_session_has_no_media_time(tmp_path: Path) -> None:
    write_csv(build(seconds=3), tmp_path / "live.csv")
    assert {r["media_time"] for r in _read_csv(tmp_path / "live.csv")} == {""}


def test_a_flat_mood_stays_level_instead_of_having_lowest_and_highest_stretches(capsys, db: Path) -> None:
    s = summarize(build(seconds=600, mood=lambda i: 0.3))
    assert s.level and s.lowest is None and s.highest is None and s.to_dict()["level"] is True
    wavy = summarize(build(seconds=600, mood=lambda i: 0.3 + 0.1 * (i >= 300)))
    assert not wavy.level and wavy.lowest is not None
    with SessionStore(db) as store:
        store.import_session(build("flat", seconds=600, mood=lambda i: 0.3))
    capsys.readouterr()
    _run("sessions", "show", "flat", "--db", str(db))
    shown = capsys.readouterr().out
    assert "stayed level" in shown and "lowest" not in shown


@pytest.mark.parametrize(
    ("settings", "text"),
    [
        ({"emotions": True, "every": 1.0, "min_faces": 3}, "Expressions read \u00b7 one reading a second \u00b7 mood shown from 3 faces"),
        ({"every_s": 2.0, "min_faces": 5, "smoothing_s": 0, "emotions": False, "detector": "yunet"},
         "Presence only (expressions not read) \u00b7 one reading every 2 s \u00b7 mood shown from 5 faces"),
        ({"every_s": 0.5, "smoothing_s": 4}, "2 readings a second \u00b7 smoothed over 4 s"),
        ({"custom_thing": 7}, "custom thing 7"),
        ({}, ""),
    ],
)
def test_settings_are_described_for_a_teacher(settings: dict, text: str) -> None:
    assert describe_settings(settings) == text


def test_cameras_off_reads_as_words() -> None:
    assert [cameras_off_text(m) for m in (0.0, 0.01, 1.0, 1.04, 2.4)] == [
        "no cameras off", "<0.1 cameras off on average", "1 camera off on average", "1 camera off on average",
        "2.4 cameras off on average"]


# --- issue 21: attention ----------------------------------------------------------------


def _attention(i: int) -> float | None:
    """0.5 for the first 100 s, 0.9 after; not measured at 20-29 s (mood too: too few faces there)."""
    return None if 20 <= i < 30 else 0.5 if i < 100 else 0.9


def test_summary_averages_attention_where_it_was_measured() -> None:
    s = summarize(build(seconds=200, bookmarks={99: "Quiz"}, mood=lambda i: 0.1, attention=_attention), window_s=60)
    assert s.attention_readings == 190
    assert s.mean_attention == pytest.approx((80 * 0.5 + 100 * 0.9 + 10 * 0.5) / 190)  # the gap is not 0
    assert [seg.attention for seg in s.segments] == [pytest.approx(0.5), pytest.approx(0.9)]
    assert [a for _, a in s.attention_timeline][:3] == [pytest.approx(0.5)] * 3
    assert s.to_dict()["segments"][1]["attention"] == 0.9
    assert s.to_dict()["mean_attention"] == round(s.mean_attention, 4)

    old = summarize(build(seconds=60))
    assert old.mean_attention is None and old.attention_readings == 0
    assert all(seg.attention is None for seg in old.segments) and {a for _, a in old.attention_timeline} == {None}


def test_attention_in_the_json_export_round_trips_and_older_files_import_without_it(tmp_path: Path, db: Path) -> None:
    with SessionStore(db) as store:
        original = record(store, build(seconds=40, attention=_attention))
    write_json(original, tmp_path / "maths.json")
    doc = json.loads((tmp_path / "maths.json").read_text(encoding="utf-8"))
    assert doc["version"] == 1  # an optional field added: older readers ignore it
    assert [doc["samples"][i]["attention"] for i in (0, 20)] == [0.5, None]
    with SessionStore(tmp_path / "other.sqlite") as other:
        other.import_session(read_json(tmp_path / "maths.json"))
        assert_same_session(original, other.load("maths"))

    for sample in doc["samples"]:  # as written before attention existed
        del sample["attention"]
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    old = read_json(tmp_path / "old.json")
    assert len(old.samples) == 40 and all(r.sample.attention is None for r in old.samples)

    doc["samples"][0]["attention"] = 1.5
    (tmp_path / "bad.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SessionError, match="not a valid classwatch session export.*attention"):
        read_json(tmp_path / "bad.json")


def test_attention_is_the_last_csv_column_and_empty_when_not_measured(tmp_path: Path) -> None:
    write_csv(build(seconds=40, bookmarks={5: "Quiz"}, attention=_attention), tmp_path / "maths.csv")
    assert CSV_COLUMNS[-1] == "attention"
    with open(tmp_path / "maths.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    samples = [dict(zip(CSV_COLUMNS, row)) for row in rows[1:] if row[1] == "sample"]
    bookmark = next(dict(zip(CSV_COLUMNS, row)) for row in rows[1:] if row[1] == "bookmark")
    assert [samples[i]["attention"] for i in (0, 20, 39)] == ["0.5000", "", "0.5000"]
    assert bookmark["attention"] == "" and bookmark["bookmark"] == "Quiz"


def test_cli_show_summarises_attention_and_list_is_unchanged(db: Path, capsys) -> None:
    with SessionStore(db) as store:
        store.import_session(build("maths", seconds=200, bookmarks={99: "Quiz"}, mood=_steps, attention=_attention))
        store.import_session(build("old", start=T0 + 3600, seconds=60))
        presence = build("presence", start=T0 + 7200, seconds=60, attention=lambda i: 0.25)
        no_mood = [replace(r, sample=replace(r.sample, mood_index=None, mean_probs=None)) for r in presence.samples]
        store.import_session(replace(presence, samples=no_mood))
    capsys.readouterr()
    _run("sessions", "show", "maths", "--db", str(db))
    shown = capsys.readouterr().out
    assert "  Attention    70% facing the screen on average (head orientation, not concentration)\n" in shown
    assert "Mood and attention (share facing the screen) between bookmarks:" in shown
    assert "  -0.30   50%  Start" in shown and "  +0.40   90%  Quiz" in shown

    _run("sessions", "show", "old", "--db", str(db))
    shown = capsys.readouterr().out
    assert "  Attention    not measured (" in shown
    assert "  Mood in 1 min windows:" in shown and "%" not in shown.split("windows:")[1]

    # Presence only: no mood, but the attention stretches are still shown.
    _run("sessions", "show", "presence", "--db", str(db))
    shown = capsys.readouterr().out
    assert "Mood index   not available" in shown and "25% facing the screen" in shown
    assert "     n/a   25%" in shown

    _run("sessions", "show", "maths", "--json", "--db", str(db))
    assert json.loads(capsys.readouterr().out)["summary"]["segments"][0]["attention"] == 0.5
    _run("sessions", "list", "--db", str(db))
    assert capsys.readouterr().out.splitlines()[0].split() == ["NAME", "STARTED", "DURATION", "SAMPLES", "STATUS"]


def test_attention_settings_are_described_for_a_teacher() -> None:
    text = describe_settings({"emotions": False, "attention": True, "facing_yaw_deg": 35, "facing_pitch_deg": 20.0})
    assert text == "Presence only (expressions not read) \u00b7 attention read \u00b7 facing within 35\u00b0 left/right and 20\u00b0 up/down"
    assert describe_settings({"attention": False}) == "attention off"
