"""From per-face readings to one anonymous class-level ``MoodSample``.

Class mood index
----------------
Each face contributes its expected valence, computed from its smoothed
probabilities ``p``::

    valence = p[happy] - (p[angry] + p[disgust] + p[fear] + p[sad])

Surprise and neutral count 0 (surprise is as often alarm as delight). Because
it is an expectation over the model's probabilities, a confident "happy"
counts +1 while an unsure one counts less: positive minus negative
expressions, weighted by confidence. The class index is the mean over faces,
so it lies in [-1, 1].

Attention share
---------------
The share of the participants showing video whose head faces the camera:
faces that face it (``head_pose.facing`` on the smoothed yaw and pitch)
over the tiles showing video. A video tile whose face is not found (turned
away, looking down, out of frame) counts as away; a camera-off tile counts
as absent, not away. A tile showing several people (a meeting room) counts
each of them, so the divisor is never below the faces found; without a tile
grid (a photo of a room) it is the faces found. It says where heads point,
nothing about concentration or learning (``docs/attention.md``).

Below ``min_faces`` faces the index, distribution and attention share are
reported as unavailable: a number about one or two people is a statement
about individuals, not about a class.

Coverage
--------
In a gallery, faces found over the tiles showing video. In a classroom
camera's picture there are no tiles to say who is there, so ``RoomCoverage``
divides by the faces expected instead: the class size the teacher entered,
or else the most faces found in any reading of the last minute
(``docs/classroom-camera.md``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from .types import EXPRESSIONS, N_EXPRESSIONS, MoodSample, TileLayout, Tracks

VALENCE = np.array([{"happy": 1.0, "surprise": 0.0, "neutral": 0.0}.get(e, -1.0) for e in EXPRESSIONS], np.float32)

#: Default minimum number of analysed faces for a class-level reading.
MIN_FACES = 3

#: Seconds of readings behind the faces expected in a room when no class size is set.
RECENT_S = 60.0


def participants(layout: TileLayout, faces: int) -> tuple[int, int]:
    """(participant tiles, camera-off tiles).

    Without a grid there are no tiles to count, so each face is a participant.
    """
    if not layout.grid:
        return faces, 0
    return len(layout), int((~layout.video).sum())


def aggregate(
    t: float, layout: TileLayout, tracks: Tracks, min_faces: int = MIN_FACES, facing: np.ndarray | None = None
) -> MoodSample:
    """One MoodSample from the frame's tiles and smoothed per-face readings.

    Tracks whose probabilities are NaN (presence-only mode: expression
    inference switched off) count as faces but never as a mood. ``facing``:
    (N,) bool per face, or None when attention is off; a face whose pose is
    unknown (a detector without landmarks) withholds the attention share,
    since counting it as away would report a class that looks nowhere.
    """
    n = len(tracks)
    tiles, camera_off = participants(layout, n)
    video_tiles = max(tiles - camera_off, 0)
    coverage = min(n / video_tiles, 1.0) if video_tiles else 0.0
    attention = None
    if facing is not None and n >= min_faces and not np.isnan(tracks.pose).any():
        attention = float(np.count_nonzero(facing)) / max(video_tiles, n)
    no_counts = np.zeros(N_EXPRESSIONS, np.int64)
    probs = tracks.probs
    if n == 0 or np.isnan(probs).any():
        return MoodSample(t, tiles, n, camera_off, None, no_counts, None, 0.0, coverage, attention)
    confidence = float(probs.max(axis=1).mean())
    if n < min_faces:
        # Label counts of one or two faces would say what those people show: withhold them too.
        return MoodSample(t, tiles, n, camera_off, None, no_counts, None, confidence, coverage, attention)
    counts = np.bincount(probs.argmax(axis=1), minlength=N_EXPRESSIONS)
    mood = float(np.clip((probs @ VALENCE).mean(), -1.0, 1.0))
    return MoodSample(t, tiles, n, camera_off, probs.mean(axis=0), counts, mood, confidence, coverage, attention)


class RoomCoverage:
    """Coverage for a camera pointed at a room: faces found over faces expected.

    Expected: ``class_size`` if the teacher entered one (0 = unknown), else the
    most faces found in any reading of the last ``recent_s`` seconds. The
    recent maximum follows students who arrive or leave, and one reading where
    the detector misses a few faces does not lower it. Readings with a tile
    grid (a gallery held up to the camera) keep their gallery coverage. The
    attention share is taken over the faces expected too.
    """

    def __init__(self, class_size: int = 0, recent_s: float = RECENT_S) -> None:
        self.class_size = class_size
        self.recent_s = recent_s
        self._seen: deque[tuple[float, int]] = deque()  # (t, faces) of the recent readings, oldest first

    def __call__(self, layout: TileLayout, mood: MoodSample) -> MoodSample:
        """``mood`` with its room coverage."""
        if layout.grid:
            return mood
        if self._seen and self._seen[-1][0] > mood.t:  # time went back: a new run
            self._seen.clear()
        self._seen.append((mood.t, mood.faces))
        while self._seen[0][0] < mood.t - self.recent_s:
            self._seen.popleft()
        expected = self.class_size or max(faces for _, faces in self._seen)
        coverage = min(mood.faces / expected, 1.0) if expected else 0.0
        # Attention over the faces expected, as a gallery's is over its video tiles: a student whose
        # face is not found (turned to a neighbour, head down on the desk) is not facing the front.
        attention = mood.attention
        if attention is not None and expected > mood.faces:
            attention = attention * mood.faces / expected
        return replace(mood, coverage=coverage, attention=attention)
