"""Synthetic sessions for the session store, export and report tests (no camera, no model)."""

from __future__ import annotations

import math
import numpy as np

from classwatch.session import Bookmark, RecordedSample, SessionData, SessionInfo, SessionStatus, SessionStore
from classwatch.types import EXPRESSIONS, N_EXPRESSIONS, MoodSample

#: 2025-03-04 09:00:00 UTC, a Tuesday morning class.
T0 = 1741078800.0

HAPPY, SAD, NEUTRAL = EXPRESSIONS.index("happy"), EXPRESSIONS.index("sad"), EXPRESSIONS.index("neutral")


def make_sample(t: float, mood: float | None, faces: int = 6, tiles: int = 8, camera_off: int = 1,
                attention: float | None = None) -> MoodSample:
    """A plausible sample whose distribution leans the way ``mood`` says; None: too few faces (and then no attention)."""
    if mood is None:
        return MoodSample(t, tiles, 2, camera_off, None, np.zeros(N_EXPRESSIONS, np.int64), None, 0.55, 2 / (tiles - camera_off))
    probs = np.array([0.04, 0.01, 0.03, 0.25 + 0.2 * mood, 0.12 - 0.1 * mood, 0.05, 0.0], np.float32)
    probs[NEUTRAL] = 1.0 - probs.sum()
    counts = np.zeros(N_EXPRESSIONS, np.int64)
    counts[HAPPY] = round(faces * probs[HAPPY])
    counts[SAD] = round(faces * probs[SAD])
    counts[NEUTRAL] = faces - counts[HAPPY] - counts[SAD]
    return MoodSample(t, tiles, faces, camera_off, probs, counts, mood, 0.61, faces / (tiles - camera_off), attention)


def wave(i: int) -> float | None:
    """Mood of the i-th second of a demo class: a slow dip and recovery with some jitter, and gaps
    without a reading (a minute of too few faces at 22:00-23:00 minutes, single seconds now and then)."""
    if i % 97 == 50 or 1320 <= i < 1380:
        return None
    jitter = 0.05 * math.sin(i * 1.7) + 0.03 * math.sin(i * 0.37)
    return round(0.3 * math.cos(2 * math.pi * i / 1200) - 0.05 + jitter, 4)


def facing(i: int) -> float:
    """Attention share of the i-th second: mostly facing the screen, a long dip around 25 minutes
    (heads down over worksheets), in sixths (6 faces of 7 video tiles, some turned away)."""
    dip = 0.35 * math.exp(-(((i - 1500) / 240) ** 2))
    return round(min(max(0.8 + 0.08 * math.sin(i / 45) - dip, 0.0), 1.0) * 6) / 6


DEFAULT_METADATA = dict(
    source="screen region 0,0 1920x1080",
    detector="blazeface-short",
    model_name="fer-mini",
    model_version="1.2.0",
    settings={"min_faces": 3, "every_s": 1.0},
)


def build(
    name: str = "maths",
    start: float = T0,
    seconds: int = 600,
    bookmarks: dict[int, str] | None = None,
    mood=wave,
    attention=None,
) -> SessionData:
    """An ended session with one sample a second (at +0.25 s) and bookmarks at +0.5 s of the given seconds.

    attention: the i-th second's attention share (e.g. ``facing``); None: not measured, as before attention existed.
    """
    samples = [RecordedSample(start + i + 0.25, make_sample(float(i), mood(i), attention=None if attention is None else attention(i)))
               for i in range(seconds)]
    marks = [Bookmark(start + i + 0.5, text) for i, text in sorted((bookmarks or {}).items())]
    info = SessionInfo(name, start, start + seconds, SessionStatus.ENDED, **DEFAULT_METADATA, app_version="0.1.0", sample_count=seconds)
    return SessionData(info, samples, marks)


def record(store: SessionStore, data: SessionData) -> SessionData:
    """Record ``data`` through a real SessionWriter (one commit per call, as live), close it and load it back.

    Each commit is fsynced: keep such sessions to a few hundred samples.
    """
    info = data.info
    metadata = {key: getattr(info, key) for key in DEFAULT_METADATA}
    events = [(r.wall_time, 1, r) for r in data.samples] + [(b.wall_time, 0, b) for b in data.bookmarks]
    with store.start_session(info.name, started_at=info.started_at, app_version=info.app_version, **metadata) as writer:
        for wall_time, _, event in sorted(events, key=lambda e: e[:2]):
            if isinstance(event, Bookmark):
                writer.bookmark(wall_time, event.text)
            else:
                writer.append(event.sample, wall_time)
        writer.close(ended_at=info.ended_at)
    return store.load(writer.name)


def demo_session() -> SessionData:
    """A 40-minute class with three bookmarks and attention measured, as a reviewer would see it."""
    return build("Year 9 maths", seconds=2400, bookmarks={300: "Quiz", 1200: "Group work", 1900: "Recap"}, attention=facing)


def assert_same_session(a: SessionData, b: SessionData) -> None:
    """Equality for sessions (MoodSample holds arrays, so dataclass == does not apply)."""
    assert a.info == b.info
    assert a.bookmarks == b.bookmarks
    assert len(a.samples) == len(b.samples)
    for x, y in zip(a.samples, b.samples):
        assert x.wall_time == y.wall_time
        sx, sy = x.sample, y.sample
        for field in ("t", "tiles", "faces", "camera_off", "mood_index", "confidence", "coverage", "attention"):
            assert getattr(sx, field) == getattr(sy, field), field
        assert (sx.mean_probs is None) == (sy.mean_probs is None)
        if sx.mean_probs is not None:
            np.testing.assert_array_equal(sx.mean_probs, sy.mean_probs)
        np.testing.assert_array_equal(sx.label_counts, sy.label_counts)
        assert (x.tracks is None) == (y.tracks is None)
        if x.tracks is not None:
            np.testing.assert_array_equal(x.tracks.ids, y.tracks.ids)
            np.testing.assert_array_equal(x.tracks.probs, y.tracks.probs)
