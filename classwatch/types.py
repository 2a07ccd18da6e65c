"""Typed values passed between pipeline stages.

Every stage boundary is one of these dataclasses. Arrays have documented
shapes and dtypes, are validated in ``__post_init__`` and every type has an
``empty()`` so a stage can always return something well-formed.

Boxes everywhere are ``(x, y, w, h)`` in pixels of the analysed image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: FER2013 class order. The expression model, the CLI JSON and the session
#: store all use this order; never reorder it.
EXPRESSIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
N_EXPRESSIONS = len(EXPRESSIONS)


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


def _boxes(a: np.ndarray | list, dtype=np.float32) -> np.ndarray:
    arr = np.asarray(a, dtype=dtype)
    if arr.size == 0:
        return arr.reshape(0, 4)
    return arr


@dataclass(frozen=True)
class Frame:
    """One picture to analyse.

    image: (H, W, 3) uint8, BGR (OpenCV order).
    t: seconds since the start of the source (video time, or wall time for the screen).
    """

    image: np.ndarray
    t: float
    index: int = 0

    def __post_init__(self) -> None:
        _check(self.image.ndim == 3 and self.image.shape[2] == 3, "Frame.image must be (H, W, 3)")
        _check(self.image.dtype == np.uint8, "Frame.image must be uint8")


@dataclass(frozen=True)
class TileLayout:
    """The participant tiles of a gallery.

    boxes: (T, 4) int32 tile boxes, row-major (top-left tile first).
    video: (T,) bool, True where the tile shows camera video, False for a
        camera-off tile (only a name or avatar on a flat background).
    grid: True when a gallery grid was found; False means the fallback of a
        single tile covering the whole frame.
    """

    boxes: np.ndarray
    video: np.ndarray
    grid: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", _boxes(self.boxes, np.int32))
        object.__setattr__(self, "video", np.asarray(self.video, dtype=bool).reshape(-1))
        _check(self.boxes.ndim == 2 and self.boxes.shape[1] == 4, "TileLayout.boxes must be (T, 4)")
        _check(len(self.video) == len(self.boxes), "TileLayout.video must be (T,)")

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def whole_frame(cls, width: int, height: int) -> "TileLayout":
        return cls(np.array([[0, 0, width, height]]), np.array([True]), grid=False)

    @classmethod
    def empty(cls) -> "TileLayout":
        return cls(np.zeros((0, 4)), np.zeros(0, bool), grid=False)


@dataclass(frozen=True)
class FaceDetections:
    """Faces found in one frame.

    boxes: (N, 4) float32 face boxes.
    scores: (N,) float32 detector confidence in [0, 1].
    keypoints: (N, K, 2) float32 landmark positions in pixels; K = 6 for
        YuNet (right eye, left eye, nose tip, right and left mouth corner),
        K = 0 for detectors without landmarks (Haar).
    tile: (N,) int32 index into the frame's TileLayout, -1 when unknown.
    """

    boxes: np.ndarray
    scores: np.ndarray
    keypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 2), np.float32))
    tile: np.ndarray | None = None

    def __post_init__(self) -> None:
        boxes = _boxes(self.boxes)
        n = len(boxes)
        scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        kp = np.asarray(self.keypoints, dtype=np.float32)
        if kp.size == 0:
            kp = kp.reshape(n, kp.shape[1] if kp.ndim == 3 else 0, 2)
        tile = np.full(n, -1, np.int32) if self.tile is None else np.asarray(self.tile, np.int32).reshape(-1)
        _check(boxes.ndim == 2 and boxes.shape[1] == 4, "FaceDetections.boxes must be (N, 4)")
        _check(len(scores) == n, "FaceDetections.scores must be (N,)")
        _check(kp.ndim == 3 and kp.shape[0] == n and kp.shape[2] == 2, "FaceDetections.keypoints must be (N, K, 2)")
        _check(len(tile) == n, "FaceDetections.tile must be (N,)")
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "keypoints", kp)
        object.__setattr__(self, "tile", tile)

    def __len__(self) -> int:
        return len(self.boxes)

    def select(self, index: np.ndarray) -> "FaceDetections":
        """Subset by a boolean mask or an index array."""
        return FaceDetections(self.boxes[index], self.scores[index], self.keypoints[index], self.tile[index])

    def centred_in(self, boxes: np.ndarray) -> np.ndarray:
        """(N, M) whether each face's centre lies in each of (M, 4) x, y, w, h boxes (a box's left
        and top edges inside, its right and bottom edges outside, so tiles that touch share no face)."""
        c = (self.boxes[:, :2] + self.boxes[:, 2:] / 2)[:, None, :]
        b = np.asarray(boxes, np.float64).reshape(-1, 4)[None]
        return np.all((c >= b[..., :2]) & (c < b[..., :2] + b[..., 2:]), axis=2)

    def offset(self, dx: float, dy: float) -> "FaceDetections":
        """Shift into the coordinates of an enclosing image (a crop at dx, dy)."""
        shift = np.array([dx, dy], np.float32)
        boxes = self.boxes.copy()
        boxes[:, :2] += shift
        return FaceDetections(boxes, self.scores, self.keypoints + shift, self.tile)

    @staticmethod
    def concat(parts: list["FaceDetections"]) -> "FaceDetections":
        parts = [p for p in parts if len(p)]
        if not parts:
            return FaceDetections.empty()
        k = max(p.keypoints.shape[1] for p in parts)
        _check(all(p.keypoints.shape[1] == k for p in parts), "cannot concat detections with different keypoints")
        return FaceDetections(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.keypoints for p in parts]),
            np.concatenate([p.tile for p in parts]),
        )

    @classmethod
    def empty(cls) -> "FaceDetections":
        return cls(np.zeros((0, 4)), np.zeros(0))


@dataclass(frozen=True)
class ExpressionScores:
    """probs: (N, 7) float32 class probabilities in EXPRESSIONS order, rows sum to 1."""

    probs: np.ndarray

    def __post_init__(self) -> None:
        probs = np.asarray(self.probs, dtype=np.float32)
        if probs.size == 0:
            probs = probs.reshape(0, N_EXPRESSIONS)
        _check(probs.ndim == 2 and probs.shape[1] == N_EXPRESSIONS, "ExpressionScores.probs must be (N, 7)")
        object.__setattr__(self, "probs", probs)

    def __len__(self) -> int:
        return len(self.probs)

    @property
    def labels(self) -> np.ndarray:
        """(N,) int index of the most probable class."""
        return self.probs.argmax(axis=1)

    @classmethod
    def empty(cls) -> "ExpressionScores":
        return cls(np.zeros((0, N_EXPRESSIONS)))


@dataclass(frozen=True)
class Tracks:
    """Anonymous per-face tracks of one frame, aligned with its FaceDetections.

    ids: (N,) int64 track ids, stable while a face stays in its tile.
    probs: (N, 7) float32 temporally smoothed probabilities (empty (N, 7) of
        NaN when expression inference is off).
    pose: (N, 2) float32 temporally smoothed head yaw, pitch in degrees (see
        ``head_pose.py`` for the signs); NaN when attention is off or the
        detector gives no landmarks. None (the default) means all NaN.
    """

    ids: np.ndarray
    probs: np.ndarray
    pose: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = np.asarray(self.ids, np.int64).reshape(-1)
        probs = np.asarray(self.probs, np.float32)
        if probs.size == 0:
            probs = probs.reshape(len(ids), N_EXPRESSIONS)
        _check(probs.shape == (len(ids), N_EXPRESSIONS), "Tracks.probs must be (N, 7)")
        pose = np.full((len(ids), 2), np.nan, np.float32) if self.pose is None else np.asarray(self.pose, np.float32)
        if pose.size == 0:
            pose = pose.reshape(len(ids), 2)
        _check(pose.shape == (len(ids), 2), "Tracks.pose must be (N, 2)")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "probs", probs)
        object.__setattr__(self, "pose", pose)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> "Tracks":
        return cls(np.zeros(0, np.int64), np.zeros((0, N_EXPRESSIONS)))


@dataclass(frozen=True)
class MoodSample:
    """The anonymous class-level reading of one frame.

    tiles: participant tiles found (1 when no grid: the whole frame).
    faces: faces analysed.
    camera_off: tiles showing no camera video.
    mean_probs: (7,) mean smoothed probability per expression, or None when
        unavailable (too few faces, or emotion inference switched off).
    label_counts: (7,) int number of faces whose most probable class is each expression.
    mood_index: class mood index in [-1, 1] (see ``aggregate.py``), or None when unavailable.
    confidence: mean top-class probability of the analysed faces in [0, 1] (0 when none).
    coverage: faces / tiles showing video, in [0, 1].
    attention: share of the participants showing video whose head faces the
        camera, in [0, 1] (see ``aggregate.py``), or None when unavailable
        (too few faces, attention switched off, or no head pose to read).
    """

    t: float
    tiles: int
    faces: int
    camera_off: int
    mean_probs: np.ndarray | None
    label_counts: np.ndarray
    mood_index: float | None
    confidence: float
    coverage: float
    attention: float | None = None

    def __post_init__(self) -> None:
        counts = np.asarray(self.label_counts, np.int64).reshape(-1)
        _check(len(counts) == N_EXPRESSIONS, "MoodSample.label_counts must be (7,)")
        object.__setattr__(self, "label_counts", counts)
        if self.mean_probs is not None:
            mp = np.asarray(self.mean_probs, np.float32).reshape(-1)
            _check(len(mp) == N_EXPRESSIONS, "MoodSample.mean_probs must be (7,)")
            object.__setattr__(self, "mean_probs", mp)
        _check(self.mood_index is None or -1.0 <= self.mood_index <= 1.0, "mood_index must be in [-1, 1]")
        _check(self.attention is None or 0.0 <= self.attention <= 1.0, "attention must be in [0, 1]")

    @property
    def available(self) -> bool:
        return self.mood_index is not None

    def to_dict(self) -> dict:
        return {
            "t": round(float(self.t), 3),
            "tiles": self.tiles,
            "faces": self.faces,
            "camera_off": self.camera_off,
            "available": self.available,
            "mood_index": None if self.mood_index is None else round(float(self.mood_index), 4),
            "distribution": None
            if self.mean_probs is None
            else {name: round(float(p), 4) for name, p in zip(EXPRESSIONS, self.mean_probs)},
            "label_counts": {name: int(c) for name, c in zip(EXPRESSIONS, self.label_counts)},
            "confidence": round(float(self.confidence), 4),
            "coverage": round(float(self.coverage), 4),
            "attention": None if self.attention is None else round(float(self.attention), 4),
        }

    @classmethod
    def empty(cls, t: float = 0.0) -> "MoodSample":
        return cls(t, 0, 0, 0, None, np.zeros(N_EXPRESSIONS, np.int64), None, 0.0, 0.0)
