"""Rows of the session database <-> the values they hold (MoodSample, Tracks, Bookmark)."""

from __future__ import annotations

import sqlite3

import numpy as np

from ..types import EXPRESSIONS, MoodSample, Tracks
from .database import INSERT_SAMPLE, INSERT_TRACK, N_COLUMNS, P_COLUMNS
from .model import Bookmark, quantize_time


def _optional_probs(probs: np.ndarray | None) -> list[float | None]:
    """Seven floats, or seven NULLs when the probabilities are absent or NaN (presence-only)."""
    if probs is None or np.isnan(probs).any():
        return [None] * len(EXPRESSIONS)
    return [float(p) for p in probs]


def insert_sample(conn: sqlite3.Connection, session_id: int, wall_time: float, sample: MoodSample, tracks: Tracks | None) -> None:
    mood = None if sample.mood_index is None else float(sample.mood_index)
    values = (
        session_id, quantize_time(wall_time), float(sample.t), int(sample.tiles), int(sample.faces), int(sample.camera_off),
        *_optional_probs(sample.mean_probs), *(int(c) for c in sample.label_counts),
        mood, float(sample.confidence), float(sample.coverage),
        None if sample.attention is None else float(sample.attention),
    )
    sample_id = conn.execute(INSERT_SAMPLE, values).lastrowid
    if tracks is not None and len(tracks):
        conn.executemany(
            INSERT_TRACK,
            [(sample_id, int(tid), *_optional_probs(probs)) for tid, probs in zip(tracks.ids, tracks.probs)],
        )


def insert_bookmark(conn: sqlite3.Connection, session_id: int, wall_time: float, text: str) -> Bookmark:
    bookmark = Bookmark(quantize_time(wall_time), text.strip())
    conn.execute("INSERT INTO bookmarks (session_id, wall_time, text) VALUES (?, ?, ?)", (session_id, bookmark.wall_time, bookmark.text))
    return bookmark


def _probs_from_row(row: sqlite3.Row) -> np.ndarray | None:
    values = [row[c] for c in P_COLUMNS]
    return None if values[0] is None else np.array(values, np.float32)


def sample_from_row(row: sqlite3.Row) -> MoodSample:
    return MoodSample(
        t=row["t"],
        tiles=row["tiles"],
        faces=row["faces"],
        camera_off=row["camera_off"],
        mean_probs=_probs_from_row(row),
        label_counts=np.array([row[c] for c in N_COLUMNS], np.int64),
        mood_index=row["mood_index"],
        confidence=row["confidence"],
        coverage=row["coverage"],
        attention=row["attention"],
    )


def tracks_from_rows(rows: list[sqlite3.Row]) -> Tracks:
    probs = [_probs_from_row(row) for row in rows]
    nan = np.full(len(EXPRESSIONS), np.nan, np.float32)
    return Tracks(
        np.array([row["track_id"] for row in rows], np.int64),
        np.array([nan if p is None else p for p in probs], np.float32).reshape(len(rows), len(EXPRESSIONS)),
    )


# --- the store ------------------------------------------------------------
