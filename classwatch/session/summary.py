"""What a teacher wants to know about a finished session, in numbers.

Only samples with a mood index (enough faces, emotion inference on) count
towards moods and expression shares, so a summary never reports on fewer
people than the live view would. Attention is averaged the same way over the
samples that have an attention share: a stretch without any has None, never
0, which would read as "nobody faced the screen".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..types import EXPRESSIONS
from .model import SessionData, to_iso

#: Fixed-window lengths to choose from when a session has no bookmarks (seconds).
WINDOW_CHOICES_S = (60, 120, 300, 600, 900, 1800)
#: Aim for about this many windows per session.
TARGET_WINDOWS = 8
#: Timeline bin lengths to choose from (seconds), and the most bins to draw.
BIN_CHOICES_S = (5, 10, 15, 30, 60, 120, 300, 600)
MAX_BINS = 120
#: A segment needs this many readings to be named the lowest or highest:
#: a few seconds between two quick bookmarks say too little.
MIN_SEGMENT_SAMPLES = 10
#: Stretches whose mean moods all lie within this range are not ranked: a
#: difference that small is noise in the expression model, and calling one of
#: them the lowest would invent a low point in a level lesson.
LEVEL_RANGE = 0.05


@dataclass(frozen=True)
class Segment:
    """A stretch of the session.

    label: the bookmark that opens it ("Start" before the first bookmark),
        or "" for a fixed window.
    readings: samples in it that have a mood index.
    mood_index: their mean, None when there are none.
    attention: mean attention share of its samples that have one, None when none has.
    """

    label: str
    start: float
    end: float
    readings: int
    mood_index: float | None
    attention: float | None = None

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "start": to_iso(self.start),
            "end": to_iso(self.end),
            "readings": self.readings,
            "mood_index": _round(self.mood_index),
            "attention": _round(self.attention),
        }


@dataclass(frozen=True)
class SessionSummary:
    """The review numbers of one session. Times are UTC epoch seconds.

    mean_faces: faces analysed per sample, on average over all samples.
    readings: samples with a mood index.
    expression_share: share of the face readings (in samples with a mood
        index) whose most likely expression is each class; None without readings.
    timeline: (bin start, mean mood index or None) every ``bin_s`` seconds.
    attention_readings: samples with an attention share.
    mean_attention: their mean, None without any (not measured).
    attention_timeline: (bin start, mean attention or None), the bins of ``timeline``.
    segment_kind: "bookmarks" (segments run from bookmark to bookmark) or
        "windows" (fixed windows of ``window_s`` seconds).
    lowest / highest: the segments with the lowest / highest mean mood among
        those with at least MIN_SEGMENT_SAMPLES readings; None unless two
        or more segments qualify and the mood was not level.
    level: two or more segments qualify, but their moods differ by less
        than LEVEL_RANGE: the mood stayed level.
    """

    start: float
    end: float
    samples: int
    readings: int
    mean_faces: float
    mean_tiles: float
    mean_camera_off: float
    mean_mood_index: float | None
    expression_share: dict[str, float] | None
    bin_s: float
    timeline: list[tuple[float, float | None]]
    segment_kind: str
    window_s: float | None
    segments: list[Segment]
    lowest: Segment | None
    highest: Segment | None
    level: bool = False
    attention_readings: int = 0
    mean_attention: float | None = None
    attention_timeline: list[tuple[float, float | None]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {
            "start": to_iso(self.start),
            "end": to_iso(self.end),
            "duration_s": round(self.duration_s, 3),
            "samples": self.samples,
            "readings": self.readings,
            "mean_faces": round(self.mean_faces, 2),
            "mean_tiles": round(self.mean_tiles, 2),
            "mean_camera_off": round(self.mean_camera_off, 2),
            "mean_mood_index": _round(self.mean_mood_index),
            "expression_share": None
            if self.expression_share is None
            else {name: round(share, 4) for name, share in self.expression_share.items()},
            "bin_s": self.bin_s,
            "timeline": [{"start": to_iso(t), "mood_index": _round(m)} for t, m in self.timeline],
            "segment_kind": self.segment_kind,
            "window_s": self.window_s,
            "segments": [s.to_dict() for s in self.segments],
            "lowest": None if self.lowest is None else self.lowest.to_dict(),
            "highest": None if self.highest is None else self.highest.to_dict(),
            "level": self.level,
            "attention_readings": self.attention_readings,
            "mean_attention": _round(self.mean_attention),
            "attention_timeline": [{"start": to_iso(t), "attention": _round(a)} for t, a in self.attention_timeline],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None


def _values(data: SessionData, name: str) -> np.ndarray:
    """One optional number of every sample (``mood_index``, ``attention``), NaN where it is None."""
    return np.array([np.nan if (v := getattr(r.sample, name)) is None else v for r in data.samples], np.float64)


def _pick(choices: tuple[int, ...], at_least: float) -> int:
    """The smallest choice >= at_least (the largest if none is)."""
    return next((c for c in choices if c >= at_least), choices[-1])


def summarize(data: SessionData, window_s: float | None = None, min_segment_samples: int = MIN_SEGMENT_SAMPLES) -> SessionSummary:
    """The summary of a session.

    window_s: length of the fixed windows used when there are no bookmarks;
        None picks one from WINDOW_CHOICES_S giving about TARGET_WINDOWS windows.
    """
    info = data.info
    times = np.array([r.wall_time for r in data.samples], np.float64)
    start, end = info.started_at, info.end
    moods = _values(data, "mood_index")
    attention = _values(data, "attention")
    has_mood, has_attention = ~np.isnan(moods), ~np.isnan(attention)
    duration = max(end - start, 1e-9)

    def mean_in(values: np.ndarray, lo: float, hi: float, last: bool) -> tuple[int, float | None]:
        """Readings of ``values`` in [lo, hi) (the last stretch keeps its end sample) and their mean."""
        inside = ~np.isnan(values) & (times >= lo) & ((times <= hi) if last else (times < hi))
        return int(inside.sum()), _mean(values[inside])

    if data.bookmarks:
        kind, window = "bookmarks", None
        marks = sorted((b for b in data.bookmarks if start <= b.wall_time < end), key=lambda b: b.wall_time)
        bounds = [(start, "Start")] + [(b.wall_time, b.text) for b in marks]
    else:
        kind = "windows"
        window = float(window_s or _pick(WINDOW_CHOICES_S, duration / TARGET_WINDOWS))
        bounds = [(float(t), "") for t in np.arange(start, end, window)] or [(start, "")]
    segments = []
    for i, (lo, label) in enumerate(bounds):
        last = i == len(bounds) - 1
        hi = end if last else bounds[i + 1][0]
        if hi > lo or last:
            readings, mood = mean_in(moods, lo, hi, last)
            segments.append(Segment(label, lo, hi, readings, mood, attention=mean_in(attention, lo, hi, last)[1]))
    ranked = sorted(
        (s for s in segments if s.readings >= min_segment_samples and s.mood_index is not None),
        key=lambda s: (s.mood_index, s.start),
    )
    level = len(ranked) >= 2 and ranked[-1].mood_index - ranked[0].mood_index < LEVEL_RANGE
    lowest, highest = (ranked[0], ranked[-1]) if len(ranked) >= 2 and not level else (None, None)

    bin_s = float(_pick(BIN_CHOICES_S, duration / MAX_BINS))
    bin_starts = [float(t) for t in np.arange(start, end, bin_s)] or [start]

    def binned(values: np.ndarray) -> list[tuple[float, float | None]]:
        return [(lo, mean_in(values, lo, lo + bin_s, lo + bin_s >= end)[1]) for lo in bin_starts]

    counts = np.array([r.sample.label_counts for r in data.samples], np.int64).reshape(-1, len(EXPRESSIONS))[has_mood].sum(axis=0)
    total = int(counts.sum())
    share = {name: int(c) / total for name, c in zip(EXPRESSIONS, counts)} if total else None

    def mean_of(name: str) -> float:
        return float(np.mean([getattr(r.sample, name) for r in data.samples])) if data.samples else 0.0

    return SessionSummary(
        start=start,
        end=end,
        samples=len(data.samples),
        readings=int(has_mood.sum()),
        mean_faces=mean_of("faces"),
        mean_tiles=mean_of("tiles"),
        mean_camera_off=mean_of("camera_off"),
        mean_mood_index=_mean(moods[has_mood]),
        expression_share=share,
        bin_s=bin_s,
        timeline=binned(moods),
        segment_kind=kind,
        window_s=window,
        segments=segments,
        lowest=lowest,
        highest=highest,
        level=level,
        attention_readings=int(has_attention.sum()),
        mean_attention=_mean(attention[has_attention]),
        attention_timeline=binned(attention),
    )
