"""Sessions as files: CSV for spreadsheets, JSON for programs (and back).

The JSON format is documented in ``docs/session-format.md``; bump
FORMAT_VERSION on any change a reader could trip over and keep reading the
older versions.

Every export is written atomically (``classwatch.atomic``), so a failed
export never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .. import __version__
from ..atomic import atomic_path
from ..errors import SessionError
from ..types import EXPRESSIONS, MoodSample, Tracks
from .model import Bookmark, RecordedSample, SessionData, SessionInfo, SessionStatus, TimeBase, from_iso, to_iso

FORMAT_NAME = "classwatch-session"
FORMAT_VERSION = 1

CSV_COLUMNS = (
    "time", "kind", "t", "tiles", "faces", "cameras_off", "mood_index", "confidence", "coverage",
    *(f"share_{name}" for name in EXPRESSIONS), "bookmark", "media_time", "attention",
)


# --- output files ---------------------------------------------------------


@contextmanager
def atomic_output(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; it becomes ``out`` only if the block succeeds.

    Any OS error (missing folder, no permission, disk full) becomes a SessionError.
    """
    out = Path(out)
    if out.is_dir():
        raise SessionError(f"cannot write {out}: it is a folder; give a file name")
    # The first existing folder above: a file there (a name used as a folder) is not "missing".
    above = next((p for p in out.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise SessionError(f"cannot write {out}: {above} is a file, not a folder")
    if not out.parent.is_dir():
        raise SessionError(f"cannot write {out}: the folder {out.parent} does not exist")
    try:
        with atomic_path(out) as tmp:
            yield tmp
    except OSError as exc:
        raise SessionError(f"cannot write {out}: {exc.strerror or exc}") from exc


# --- CSV -------------------------------------------------------------------


def _number(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _csv_text(text: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets; a
    # leading apostrophe makes them show it as text (OWASP "CSV injection").
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(data: SessionData, out: str | os.PathLike) -> None:
    """One row per sample and one per bookmark (``kind`` tells them apart), in time order.

    Times are ISO 8601 with the local UTC offset; shares are the mean
    probability of each expression; empty cells where a value is unavailable.
    In a session analysed from a file, ``media_time`` is each row's position
    in the media (seconds), which ``time`` is the session start plus.
    New columns are added at the end, so a spreadsheet reading columns by
    position keeps working (``attention`` came last).
    UTF-8 with a byte-order mark, so spreadsheet programs read accents right.
    """
    media = data.info.time_base is TimeBase.MEDIA

    def common(time: float, kind: str) -> dict[str, str]:
        return {"time": to_iso(time), "kind": kind, "media_time": _number(time - data.info.started_at, 3) if media else ""}

    rows: list[tuple[float, int, dict[str, str]]] = []
    for rec in data.samples:
        s = rec.sample
        shares = [None] * len(EXPRESSIONS) if s.mean_probs is None else [float(p) for p in s.mean_probs]
        rows.append((rec.wall_time, 1, {
            **common(rec.wall_time, "sample"),
            "t": _number(s.t, 3), "tiles": str(s.tiles), "faces": str(s.faces), "cameras_off": str(s.camera_off),
            "mood_index": _number(s.mood_index), "confidence": _number(s.confidence), "coverage": _number(s.coverage),
            **{f"share_{name}": _number(p) for name, p in zip(EXPRESSIONS, shares)},
            "attention": _number(s.attention),
        }))
    for b in data.bookmarks:
        rows.append((b.wall_time, 0, {**common(b.wall_time, "bookmark"), "bookmark": _csv_text(b.text)}))
    rows.sort(key=lambda row: row[:2])  # a bookmark comes before a sample of the same instant
    with atomic_output(out) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.DictWriter(f, CSV_COLUMNS, restval="")  # columns a row does not name stay empty
            writer.writeheader()
            writer.writerows(row for _, _, row in rows)


# --- JSON ------------------------------------------------------------------


def _f32(value: float) -> float:
    """The shortest decimal that reads back as the same float32.

    Probabilities are float32; printing them as float64 would write
    0.30000001192092896 where 0.3 says the same and round-trips exactly.
    """
    return float(str(np.float32(value)))


def _probs_dict(probs: np.ndarray | None) -> dict[str, float] | None:
    if probs is None or np.isnan(probs).any():
        return None
    return {name: _f32(p) for name, p in zip(EXPRESSIONS, probs)}


def _probs_array(probs: dict | None) -> np.ndarray | None:
    return None if probs is None else np.array([probs[name] for name in EXPRESSIONS], np.float32)


def info_to_dict(info: SessionInfo) -> dict:
    """Session metadata as JSON values (the ``session`` object of the format)."""
    return {
        "name": info.name,
        "started_at": to_iso(info.started_at),
        "ended_at": None if info.ended_at is None else to_iso(info.ended_at),
        "status": info.status.value,
        "source": info.source,
        "detector": info.detector,
        "model": {"name": info.model_name, "version": info.model_version},
        "settings": info.settings,
        "app_version": info.app_version,
        "keeps_tracks": info.keeps_tracks,
        "sample_count": info.sample_count,
        "time_base": info.time_base.value,
    }


def _sample_to_dict(rec: RecordedSample) -> dict:
    s = rec.sample
    doc = {
        "time": to_iso(rec.wall_time),
        "t": float(s.t),
        "tiles": int(s.tiles),
        "faces": int(s.faces),
        "camera_off": int(s.camera_off),
        "available": s.available,
        "mood_index": None if s.mood_index is None else float(s.mood_index),
        "distribution": _probs_dict(s.mean_probs),
        "label_counts": {name: int(c) for name, c in zip(EXPRESSIONS, s.label_counts)},
        "confidence": float(s.confidence),
        "coverage": float(s.coverage),
        "attention": None if s.attention is None else float(s.attention),
    }
    if rec.tracks is not None:
        doc["tracks"] = [{"id": int(i), "probs": _probs_dict(p)} for i, p in zip(rec.tracks.ids, rec.tracks.probs)]
    return doc


def session_to_dict(data: SessionData) -> dict:
    """The whole session as one JSON document (format ``classwatch-session``, version 1)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_by": f"classwatch {__version__}",
        "expressions": list(EXPRESSIONS),
        "session": info_to_dict(data.info),
        "samples": [_sample_to_dict(rec) for rec in data.samples],
        "bookmarks": [{"time": to_iso(b.wall_time), "text": b.text} for b in data.bookmarks],
    }


def _sample_from_dict(doc: dict) -> RecordedSample:
    tracks = None
    if "tracks" in doc:
        nan = np.full(len(EXPRESSIONS), np.nan, np.float32)
        probs = [_probs_array(tr["probs"]) for tr in doc["tracks"]]
        tracks = Tracks(
            np.array([int(tr["id"]) for tr in doc["tracks"]], np.int64),
            np.array([nan if p is None else p for p in probs], np.float32).reshape(len(probs), len(EXPRESSIONS)),
        )
    sample = MoodSample(
        t=float(doc["t"]),
        tiles=int(doc["tiles"]),
        faces=int(doc["faces"]),
        camera_off=int(doc["camera_off"]),
        mean_probs=_probs_array(doc["distribution"]),
        label_counts=np.array([int(doc["label_counts"][name]) for name in EXPRESSIONS], np.int64),
        mood_index=None if doc["mood_index"] is None else float(doc["mood_index"]),
        confidence=float(doc["confidence"]),
        coverage=float(doc["coverage"]),
        # Optional: files written before attention existed have none (unknown, not 0).
        attention=None if doc.get("attention") is None else float(doc["attention"]),
    )
    return RecordedSample(from_iso(doc["time"]), sample, tracks)


def session_from_dict(doc: dict, origin: str = "the document") -> SessionData:
    """Read a document written by ``session_to_dict`` (any version up to FORMAT_VERSION).

    origin: names the source in error messages (a file path).
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise SessionError(f"{origin} is not a classwatch session export")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise SessionError(f"{origin} has no valid format version")
    if version > FORMAT_VERSION:
        raise SessionError(
            f"{origin} was exported by a newer classwatch (format version {version}; "
            f"this version reads up to {FORMAT_VERSION}): update classwatch to import it"
        )
    try:
        if doc["expressions"] != list(EXPRESSIONS):
            raise ValueError(f"unexpected expression classes {doc['expressions']}")
        s = doc["session"]
        samples = [_sample_from_dict(sample) for sample in doc["samples"]]
        bookmarks = [Bookmark(from_iso(b["time"]), str(b["text"])) for b in doc["bookmarks"]]
        info = SessionInfo(
            name=str(s["name"]),
            started_at=from_iso(s["started_at"]),
            ended_at=None if s["ended_at"] is None else from_iso(s["ended_at"]),
            status=SessionStatus(s["status"]),
            source=str(s["source"]),
            detector=str(s["detector"]),
            model_name=str(s["model"]["name"]),
            model_version=str(s["model"]["version"]),
            settings=dict(s["settings"]),
            app_version=str(s["app_version"]),
            keeps_tracks=bool(s["keeps_tracks"]),
            sample_count=len(samples),
            # Optional: files written before it existed are read as wall-clock sessions.
            time_base=TimeBase(s.get("time_base", TimeBase.WALL.value)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise SessionError(f"{origin} is not a valid classwatch session export ({detail})") from exc
    return SessionData(info, samples, bookmarks)


def write_json(data: SessionData, out: str | os.PathLike) -> None:
    doc = session_to_dict(data)
    with atomic_output(out) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1, allow_nan=False)
            f.write("\n")


def read_json(path: str | os.PathLike) -> SessionData:
    """A session from an exported JSON file (SessionError if it cannot be one)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"{path} is not a classwatch session export (not JSON: {exc})") from exc
    return session_from_dict(doc, str(path))
