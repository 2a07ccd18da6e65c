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

Below ``min_faces`` faces the index and distribution are reported as
unavailable: a number about one or two people is a statement about
individuals, not about a class.
"""

from __future__ import annotations

import numpy as np

from .types import EXPRESSIONS, N_EXPRESSIONS, MoodSample, TileLayout, Tracks

VALENCE = np.array([{"happy": 1.0, "surprise": 0.0, "neutral": 0.0}.get(e, -1.0) for e in EXPRESSIONS], np.float32)

#: Default minimum number of analysed faces for a class-level reading.
MIN_FACES = 3


def participants(layout: TileLayout, faces: int) -> tuple[int, int]:
    """(participant tiles, camera-off tiles).

    Without a grid there are no tiles to count, so each face is a participant.
    """
    if not layout.grid:
        return faces, 0
    return len(layout), int((~layout.video).sum())


def aggregate(t: float, layout: TileLayout, tracks: Tracks, min_faces: int = MIN_FACES) -> MoodSample:
    """One MoodSample from the frame's tiles and smoothed per-face probabilities.

    Tracks whose probabilities are NaN (presence-only mode: expression
    inference switched off) count as faces but never as a mood.
    """
    n = len(tracks)
    tiles, camera_off = participants(layout, n)
    video_tiles = max(tiles - camera_off, 0)
    coverage = min(n / video_tiles, 1.0) if video_tiles else 0.0
    probs = tracks.probs
    has_probs = n > 0 and not np.isnan(probs).any()
    if not has_probs:
        return MoodSample(t, tiles, n, camera_off, None, np.zeros(N_EXPRESSIONS, np.int64), None, 0.0, coverage)
    confidence = float(probs.max(axis=1).mean())
    if n < min_faces:
        # Label counts of one or two faces would say what those people show: withhold them too.
        return MoodSample(t, tiles, n, camera_off, None, np.zeros(N_EXPRESSIONS, np.int64), None, confidence, coverage)
    counts = np.bincount(probs.argmax(axis=1), minlength=N_EXPRESSIONS)
    mood = float(np.clip((probs @ VALENCE).mean(), -1.0, 1.0))
    return MoodSample(t, tiles, n, camera_off, probs.mean(axis=0), counts, mood, confidence, coverage)
