"""Following faces between detections, so a tile is searched afresh only every few seconds.

Detection is most of a gallery frame's cost (a 7x7 gallery: 49 tiles at
~2 ms each), yet a participant's face moves a few pixels between two
readings a second apart. So once a tile has been detected, each of its faces
is *followed*: the face's grey patch from the detection frame is looked for
with normalised cross-correlation (``cv2.matchTemplate``) in a window around
where it was last seen, and its box and landmarks move by the shift found,
at ~0.05 ms a face. A tile is detected afresh when

- it is new (the layout changed) or showed no face last time (someone may
  have sat down);
- one of its faces cannot be followed: the best match correlates less than
  ``MIN_MATCH`` (turned away, covered, left, or another person);
- its last detection is ``redetect_s`` old, which also catches a second
  person joining a tile and a face that grew or shrank (leaning in or back),
  which a translation-only follow cannot.

A tile detected afresh whose faces were seen is looked at only as large as
those faces need (``FaceDetector.detect``'s ``face_heights``), also with
``redetect_s`` 0, where every tile is detected in every frame. A tile seen for
the first time is sized by the faces the layout search found in it, if any.

The first detection of each tile is given a staggered deadline so that the
re-detections spread over the frames that follow instead of all tiles
falling due in the same frame. Frames without a grid are always detected
whole: there is no tile to remember faces by.

``benchmarks/follow_faces.py`` measures what this saves and what it costs
in box accuracy and mood on a moving 7x7 gallery.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..types import FaceDetections, TileLayout
from .base import FaceDetector

#: Seconds after which every tile is detected afresh; 0 detects every frame.
REDETECT_S = 3.0
#: Normalised cross-correlation a followed face must reach. Measured by
#: benchmarks/follow_faces.py on a moving 7x7 gallery (90 frames): follows
#: of a face that drifted, re-scaled and re-lit correlate 0.88-1.0 (1st
#: percentile 0.93), a different picture swapped into the tile 0.17-0.64
#: (95th percentile). Higher only where the same portrait came back at the
#: same place (the synthetic gallery has five), which is then followed
#: correctly: recall stays 1.0.
MIN_MATCH = 0.75
#: Faces are compared at about this height in pixels: enough detail to lock
#: onto eyes and mouth, small enough to be cheap for a 150 px face.
MATCH_HEIGHT = 24
#: Search window around the last box, as a fraction of the box size on each
#: side: a face may move this far between two readings and still be followed.
SEARCH_MARGIN = 0.5
#: Pixels a tile's box may move between frames and still be the same tile.
TILE_JITTER = 2
#: ... or this share of its width (left side, width) or height (top side, height). The layout found
#: afresh (every 30 s) comes out a few pixels off: Element Call's tiles 415 or 423-426 px wide.
#: Across the 9 layouts found in elementcall6.gif's frames, TILE_JITTER alone kept 250 of 432
#: tiles' memories (the rest detected again), 2% 290, 3% all 432.
TILE_JITTER_SHARE = 0.03
#: Spreads first deadlines over [0.5, 1] x redetect_s (golden-ratio steps,
#: so neighbouring tiles fall due in different frames).
_GOLDEN = 0.618034


@dataclass
class _Followed:
    """What is remembered of one tile between its detections."""

    due: float  # time of the next forced detection
    faces: FaceDetections  # where its faces were last seen
    templates: list[np.ndarray]  # each face's grey patch at detection, scaled by ``scales``
    scales: list[float]


class FaceFollower:
    """A FaceDetector wrapper that detects each tile every ``redetect_s`` and follows faces in between."""

    def __init__(self, detector: FaceDetector, redetect_s: float = REDETECT_S, min_match: float = MIN_MATCH) -> None:
        self.detector = detector
        self.redetect_s = redetect_s
        self.min_match = min_match
        self._tiles: dict[tuple[int, int, int, int], _Followed] = {}
        #: Of the last frame, for benchmarks and tests: how many tiles were
        #: detected and followed, and each tile's worst face correlation
        #: where a follow was tried.
        self.last_detected = 0
        self.last_followed = 0
        self.last_match: dict[int, float] = {}

    def reset(self) -> None:
        self._tiles.clear()

    def detect(self, image: np.ndarray, layout: TileLayout | None, t: float, seen: FaceDetections | None = None) -> FaceDetections:
        """The faces of the layout's video tiles (of the whole frame without a grid) at time ``t``.

        ``seen``: faces found over this frame by other means (the layout search), which size the
        first detection of a tile not remembered, as a remembered tile's faces size its next.
        """
        if layout is None or not layout.grid:
            self._tiles.clear()
            self.last_detected, self.last_followed, self.last_match = 1, 0, {}
            return self.detector.detect(image, layout)
        # Templates and follows need the grey frame; with redetect_s 0 nothing is followed.
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if self.redetect_s > 0 else None
        h, w = image.shape[:2]
        keys = [tuple(int(v) for v in box) for box in layout.boxes]
        remembered, self._tiles = _same_tiles(self._tiles, keys), {}
        parts: list[FaceDetections] = []
        stale: list[int] = []
        self.last_match = {}
        for i in np.flatnonzero(layout.video):
            memory = remembered.get(keys[i])
            followed = None
            # redetect_s 0 follows nothing, but still looks at each tile only as its faces need.
            if grey is not None and memory is not None and t < memory.due and len(memory.faces):
                followed, self.last_match[int(i)] = self._follow(grey, memory)
            if followed is None:
                stale.append(int(i))
                continue
            memory.faces = FaceDetections(followed.boxes, followed.scores, followed.keypoints, np.full(len(followed), i))
            self._tiles[keys[i]] = memory
            parts.append(memory.faces)
        self.last_detected, self.last_followed = len(stale), len(parts)
        if stale:
            index = np.array(stale)
            # A tile whose faces were seen is looked at only as closely as they need (see FaceDetector.detect).
            known = [_smallest_face(remembered[keys[i]].faces if keys[i] in remembered else _centred(seen, layout.boxes[i])) for i in stale]
            found = self.detector.detect(image, TileLayout(layout.boxes[index], layout.video[index], grid=True), np.array(known))
            found = FaceDetections(found.boxes, found.scores, found.keypoints, index[found.tile])
            parts.append(found)
            for i in stale:
                faces = found.select(found.tile == i)
                wait = self.redetect_s
                if keys[i] not in remembered:  # first sight: stagger over [0.5, 1] x redetect_s
                    wait *= 0.5 + 0.5 * ((i * _GOLDEN) % 1.0)
                self._tiles[keys[i]] = self._remember(grey, faces, t + wait, (w, h))
        faces = FaceDetections.concat(parts)
        return faces.select(np.argsort(faces.tile, kind="stable"))

    def _remember(self, grey: np.ndarray | None, faces: FaceDetections, due: float, size: tuple[int, int]) -> _Followed:
        """What to keep of a tile's faces: where they are and, unless nothing is followed (``grey`` None:
        only their sizes are wanted), each one's template."""
        templates, scales = [], []
        for box in faces.boxes if grey is not None else ():
            scale = min(1.0, MATCH_HEIGHT / max(box[3], 1.0))
            x0, y0, x1, y1 = _clip(box, size)
            templates.append(_scaled(grey[y0:y1, x0:x1], scale))
            scales.append(scale)
        return _Followed(due, faces, templates, scales)

    def _follow(self, grey: np.ndarray, memory: _Followed) -> tuple[FaceDetections | None, float]:
        """The tile's faces moved to where they are now (None if any of them is lost) and their worst correlation."""
        faces = memory.faces
        worst = 1.0
        size = (grey.shape[1], grey.shape[0])
        shifts = np.zeros((len(faces), 2), np.float32)
        for j, (box, template, scale) in enumerate(zip(faces.boxes, memory.templates, memory.scales)):
            margin = SEARCH_MARGIN * box[2:]
            x0, y0, x1, y1 = _clip(np.concatenate([box[:2] - margin, box[2:] + 2 * margin]), size)
            window = _scaled(grey[y0:y1, x0:x1], scale)
            if template.size == 0 or window.shape[0] < template.shape[0] or window.shape[1] < template.shape[1]:
                return None, -1.0
            match = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
            _, best, _, (mx, my) = cv2.minMaxLoc(match)
            worst = min(worst, best)
            if best < self.min_match:
                return None, worst
            # Sub-pixel peak: at MATCH_HEIGHT one matched pixel can be several
            # picture pixels of a large face.
            px, py = mx + _vertex(match[my, mx - 1 : mx + 2]), my + _vertex(match[my - 1 : my + 2, mx])
            shifts[j] = (x0 + px / scale - box[0], y0 + py / scale - box[1])
        boxes = faces.boxes.copy()
        boxes[:, :2] += shifts
        return FaceDetections(boxes, faces.scores, faces.keypoints + shifts[:, None, :], faces.tile), worst


def _same_tiles(memory: dict[tuple[int, int, int, int], _Followed], keys: list[tuple[int, int, int, int]]) -> dict:
    """The memory re-keyed by this frame's tile boxes: a tile whose sides moved by up to
    TILE_JITTER pixels or TILE_JITTER_SHARE of its size along their axis is the same tile."""
    if not memory or not keys:
        return {}
    old = list(memory)
    new = np.array(keys, np.float64)
    moved = np.abs(new[:, None, :] - np.array(old, np.float64)[None, :, :])
    allowed = np.maximum(TILE_JITTER, TILE_JITTER_SHARE * new[:, None, [2, 3, 2, 3]])
    jitter = np.where((moved <= allowed).all(axis=2), moved.max(axis=2), np.inf)
    nearest = jitter.argmin(axis=1)
    return {key: memory[old[j]] for key, j, row in zip(keys, nearest, jitter) if np.isfinite(row[j])}


def _smallest_face(faces: FaceDetections | None) -> float:
    """Height of the smallest of a tile's faces, 0 if none."""
    return float(faces.boxes[:, 3].min()) if faces is not None and len(faces) else 0.0


def _centred(faces: FaceDetections | None, box: np.ndarray) -> FaceDetections | None:
    """Those of ``faces`` centred in a tile's box."""
    return None if faces is None else faces.select(faces.centred_in(box[None].astype(np.float64))[:, 0])


def _clip(box: np.ndarray, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) float box -> integer (x0, y0, x1, y1) inside an image of ``size`` (width, height)."""
    x0, y0 = max(0, round(float(box[0]))), max(0, round(float(box[1])))
    x1, y1 = min(size[0], round(float(box[0] + box[2]))), min(size[1], round(float(box[1] + box[3])))
    return x0, y0, max(x0, x1), max(y0, y1)


def _scaled(patch: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0 or patch.size == 0:
        return patch
    return cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _vertex(values: np.ndarray) -> float:
    """Offset in (-0.5, 0.5) of the top of a parabola through three samples around a peak; 0 at an edge."""
    if len(values) != 3:
        return 0.0
    left, mid, right = (float(v) for v in values)
    curvature = left - 2 * mid + right
    return 0.0 if curvature >= 0 else float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))
