"""The live numbers behind the dashboard: a ring buffer of samples and the mood trend.

Plain numpy, no Qt: the worker thread never touches it (samples reach the GUI
thread by signal and are appended there) and the display timer reads it. Only
aggregate numbers are kept: a MoodSample per reading, nothing per face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import N_EXPRESSIONS, MoodSample

#: Trend: least-squares slope of the mood index over this many seconds ...
TREND_WINDOW_S = 60.0
#: ... from at least this many readings spanning at least TREND_MIN_SPAN_S.
TREND_MIN_READINGS = 8
TREND_MIN_SPAN_S = 15.0
#: A slope (mood units per minute) smaller than this is "steady".
TREND_STEADY = 0.05


@dataclass(frozen=True)
class Series:
    """A chronological view of the buffer (copies; safe to keep).

    wall: (N,) UTC epoch seconds. mood: (N,) mood index, NaN where unavailable.
    shares: (N, 7) mean probabilities, NaN where unavailable. faces, tiles,
    camera_off: (N,) counts. confidence: (N,). attention: (N,) share of the
    class facing the screen in [0, 1], NaN where withheld or switched off.
    """

    wall: np.ndarray
    mood: np.ndarray
    shares: np.ndarray
    faces: np.ndarray
    tiles: np.ndarray
    camera_off: np.ndarray
    confidence: np.ndarray
    attention: np.ndarray

    def __len__(self) -> int:
        return len(self.wall)

    @classmethod
    def from_samples(cls, samples: list[tuple[float, MoodSample]]) -> "Series":
        buffer = LiveBuffer(max(len(samples), 1))
        for wall, sample in samples:
            buffer.append(sample, wall)
        return buffer.series()


class LiveBuffer:
    """The last ``capacity`` samples, oldest overwritten first."""

    def __init__(self, capacity: int = 4 * 3600) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._wall = np.zeros(capacity, np.float64)
        self._mood = np.full(capacity, np.nan, np.float64)
        self._shares = np.full((capacity, N_EXPRESSIONS), np.nan, np.float32)
        self._faces = np.zeros(capacity, np.int32)
        self._tiles = np.zeros(capacity, np.int32)
        self._off = np.zeros(capacity, np.int32)
        self._conf = np.zeros(capacity, np.float32)
        self._attention = np.full(capacity, np.nan, np.float64)
        self._next = 0
        self._count = 0
        self.latest: MoodSample | None = None
        self.latest_wall: float | None = None
        #: Bumped on every change, so a display timer can skip redraws when nothing is new.
        self.version = 0

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._next = self._count = 0
        self.latest = self.latest_wall = None
        self.version += 1

    def append(self, sample: MoodSample, wall: float) -> None:
        i = self._next
        self._wall[i] = wall
        self._mood[i] = np.nan if sample.mood_index is None else sample.mood_index
        self._shares[i] = np.nan if sample.mean_probs is None else sample.mean_probs
        self._faces[i] = sample.faces
        self._tiles[i] = sample.tiles
        self._off[i] = sample.camera_off
        self._conf[i] = sample.confidence
        self._attention[i] = np.nan if sample.attention is None else sample.attention
        self._next = (i + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)
        self.latest, self.latest_wall = sample, wall
        self.version += 1

    def _order(self) -> np.ndarray:
        if self._count < self.capacity:
            return np.arange(self._count)
        return (np.arange(self.capacity) + self._next) % self.capacity

    def series(self) -> Series:
        order = self._order()
        return Series(
            self._wall[order], self._mood[order], self._shares[order],
            self._faces[order], self._tiles[order], self._off[order], self._conf[order], self._attention[order],
        )

    def trend(self, now: float | None = None, of: str = "mood") -> float | None:
        """Slope of the mood index (or ``of="attention"``: the attention share) over the last minute,
        in its units per minute (None: too little data)."""
        if not self._count:
            return None
        s = self.series()
        now = s.wall[-1] if now is None else now
        return mood_trend(s.wall, getattr(s, of), now)


def mood_trend(wall: np.ndarray, mood: np.ndarray, now: float, window_s: float = TREND_WINDOW_S) -> float | None:
    """Least-squares slope of the finite readings (mood index or attention share) in
    ``(now - window_s, now]``, per minute."""
    keep = (wall > now - window_s) & (wall <= now) & np.isfinite(mood)
    if keep.sum() < TREND_MIN_READINGS:
        return None
    x, y = wall[keep], mood[keep]
    if x.max() - x.min() < TREND_MIN_SPAN_S:
        return None
    x = x - x.mean()
    slope = float((x * (y - y.mean())).sum() / (x * x).sum())
    return slope * 60.0


def trend_word(slope: float | None) -> str:
    if slope is None:
        return ""
    if slope >= TREND_STEADY:
        return "rising"
    if slope <= -TREND_STEADY:
        return "falling"
    return "steady"


TREND_ARROWS = {"rising": "\u2197", "falling": "\u2198", "steady": "\u2192"}

#: What the live views read from, set by the controller (``set_source_kind``): a
#: video-call gallery on the screen (tiles, cameras off) or a camera in a room
#: (faces found of those expected, no tiles).
SOURCE_KINDS = ("screen", "camera")

#: ``session.model.ATTENTION_MEANING`` in the words of a room (no cameras to be on, no screen to face).
ROOM_ATTENTION_MEANING = (
    "Attention is the share of the students expected whose head is turned towards the front of the room "
    "(the camera): it measures head orientation only, not concentration or learning (someone taking notes "
    "looks away and is still working)."
)


def expected_faces(sample: MoodSample, class_size: int = 0) -> int | None:
    """The faces a room reading expected: the class size entered, or what its coverage
    (faces found over faces expected, ``aggregate.RoomCoverage``) implies; None if unknown."""
    if class_size > 0:
        return class_size
    if sample.faces and sample.coverage > 0:
        return max(round(sample.faces / sample.coverage), sample.faces)
    return None


def reading_status(sample: MoodSample | None, min_faces: int, presence_only: bool = False) -> tuple[str, str, str]:
    """What the gauge shows for a sample: ("value" | "unavailable" | "idle", title, detail)."""
    if sample is None:
        return "idle", "Waiting for the first reading", ""
    if presence_only:
        return "unavailable", "Presence only", "Expression analysis is turned off by the admin policy."
    if sample.mood_index is not None:
        return "value", "", ""
    return _withheld(sample, min_faces)


def attention_status(sample: MoodSample | None, min_faces: int) -> tuple[str, str, str]:
    """The same for the attention share, which is withheld for the same reasons as the mood
    (and stays available in presence-only mode)."""
    if sample is None:
        return "idle", "Waiting for the first reading", ""
    if sample.attention is not None:
        return "value", "", ""
    return _withheld(sample, min_faces)


def _withheld(sample: MoodSample, min_faces: int) -> tuple[str, str, str]:
    if sample.faces < min_faces:
        faces = "No face" if sample.faces == 0 else ("1 face" if sample.faces == 1 else f"{sample.faces} faces")
        return (
            "unavailable",
            "Too few faces for a class reading",
            f"{faces} analysed, at least {min_faces} needed: a smaller group would be about individuals.",
        )
    return "unavailable", "No reading", ""


def confidence_word(confidence: float) -> str:
    if confidence >= 0.6:
        return "good"
    if confidence >= 0.45:
        return "fair"
    return "low"


def visible_slice(x: np.ndarray, lo: float, hi: float) -> slice:
    """The indices of sorted ``x`` inside [lo, hi], plus one point either side (so lines reach the edges)."""
    i0 = max(int(np.searchsorted(x, lo, side="left")) - 1, 0)
    i1 = min(int(np.searchsorted(x, hi, side="right")) + 1, len(x))
    return slice(i0, i1)


def bin_mean(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points: consecutive samples averaged (NaN-aware; an all-NaN bin stays a gap).

    x: (N,) sorted times; y: (N,) or (N, K). Drawing 7,200 points of a 2-hour class into
    800 pixels costs ten times more than drawing the 800 averages, and shows nothing more.
    """
    n = len(x)
    if n <= max_points or max_points < 1:
        return x, y
    k = -(-n // max_points)  # ceil
    m = (n // k) * k
    tail = n - m
    xs = x[:m].reshape(-1, k).mean(axis=1)
    yy = y[:m].reshape(-1, k, *y.shape[1:])
    valid = np.isfinite(yy)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ys = np.where(valid, yy, 0.0).sum(axis=1) / count
    if tail:
        xt = np.array([x[m:].mean()])
        yt = y[m:]
        vt = np.isfinite(yt)
        with np.errstate(invalid="ignore", divide="ignore"):
            yt = (np.where(vt, yt, 0.0).sum(axis=0) / vt.sum(axis=0))[None]
        xs, ys = np.concatenate([xs, xt]), np.concatenate([ys, yt])
    return xs, ys
