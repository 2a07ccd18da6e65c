"""Anonymous per-tile face tracks with temporally smoothed readings.

A track is a number, nothing more: it exists so that one face's readings (its
expression probabilities and its head pose) can be smoothed over time (labels
that flicker frame to frame are noise, not mood; a nod is not looking away).
Faces are matched to the previous frame's tracks by tile and box overlap; a
face that is not seen for ``max_missed`` consecutive frames ends its track,
and a face that comes back starts a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .types import N_EXPRESSIONS, ExpressionScores, FaceDetections, Tracks


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) xywh boxes -> (N, M) intersection over union."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float32)


@dataclass
class _Track:
    id: int
    box: np.ndarray
    tile: int
    probs: np.ndarray  # smoothed, (7,); NaN when expression inference is off
    pose: np.ndarray  # smoothed yaw, pitch in degrees, (2,); NaN when attention is off
    t: float
    missed: int = 0


@dataclass
class Tracker:
    """Stateful stage: ``update(faces, scores, t, pose) -> Tracks``.

    smoothing_s: time constant of the exponential moving average of each
        track's probabilities and head pose, in seconds. The weight of a new reading is
        ``1 - exp(-dt / smoothing_s)``, so irregular sampling (dropped frames)
        is handled correctly; 0 disables smoothing.
    min_iou: a face must overlap its previous box at least this much to keep
        its track (faces in a gallery tile barely move between samples).
    max_missed: frames a track survives without its face (bridges a single
        missed detection without resetting the smoothing).
    """

    smoothing_s: float = 3.0
    min_iou: float = 0.3
    max_missed: int = 1
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 1

    def reset(self) -> None:
        self._tracks.clear()
        self._next_id = 1

    def update(
        self, faces: FaceDetections, scores: ExpressionScores | None, t: float, pose: np.ndarray | None = None
    ) -> Tracks:
        """``pose``: (N, 2) raw yaw, pitch per face, or None when attention is off."""
        n = len(faces)
        raw = scores.probs if scores is not None else np.full((n, N_EXPRESSIONS), np.nan, np.float32)
        raw_pose = np.full((n, 2), np.nan, np.float32) if pose is None else np.asarray(pose, np.float32).reshape(n, 2)
        assigned = self._match(faces)
        ids = np.empty(n, np.int64)
        smoothed = np.empty((n, N_EXPRESSIONS), np.float32)
        smoothed_pose = np.empty((n, 2), np.float32)
        survivors: list[_Track] = []
        for i in range(n):
            track = assigned.get(i)
            if track is None:
                track = _Track(self._next_id, faces.boxes[i], int(faces.tile[i]), raw[i].copy(), raw_pose[i].copy(), t)
                self._next_id += 1
            else:
                # One weight for every reading of the track: probabilities and pose share one time constant.
                w = 1.0 if self.smoothing_s <= 0 else 1.0 - np.exp(-max(t - track.t, 0.0) / self.smoothing_s)
                track.probs = (1.0 - w) * track.probs + w * raw[i]
                track.pose = (1.0 - w) * track.pose + w * raw_pose[i]
                track.box, track.tile, track.t, track.missed = faces.boxes[i], int(faces.tile[i]), t, 0
            ids[i], smoothed[i], smoothed_pose[i] = track.id, track.probs, track.pose
            survivors.append(track)
        matched = {id(tr) for tr in assigned.values()}
        for track in self._tracks:
            if id(track) not in matched and track.missed < self.max_missed:
                track.missed += 1
                survivors.append(track)
        self._tracks = survivors
        return Tracks(ids, smoothed, smoothed_pose)

    def _match(self, faces: FaceDetections) -> dict[int, _Track]:
        """Greedy matching, best overlap first; a face only continues a track of its own tile."""
        if not self._tracks or len(faces) == 0:
            return {}
        iou = iou_matrix(faces.boxes, np.stack([tr.box for tr in self._tracks]))
        same_tile = faces.tile[:, None] == np.array([tr.tile for tr in self._tracks])[None]
        iou = np.where(same_tile, iou, 0.0)
        assigned: dict[int, _Track] = {}
        used: set[int] = set()
        for flat in np.argsort(-iou, axis=None):
            i, j = np.unravel_index(flat, iou.shape)
            if iou[i, j] < self.min_iou:
                break
            if i in assigned or j in used:
                continue
            assigned[int(i)] = self._tracks[j]
            used.add(int(j))
        return assigned
