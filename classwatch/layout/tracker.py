"""Find the layout once, check it cheaply on every frame, find it again when it changed.

A call's layout changes far less often than faces move: someone joins,
leaves, starts sharing or the window is resized. Finding it costs a
whole-frame face detection plus the rectangle search (tens of milliseconds),
checking it costs a few thousand pixel differences. So the tracker keeps the
layout it found and, each frame,

* re-reads which tiles show video (a camera switched on or off keeps its tile);
* checks that the tiles are still there: along each tile's four sides, the
  share of pixels where the picture steps across the side (as in
  ``edges.py``) must still be at least ``KEEP_SHARE`` of what it was when
  the layout was found, for most tiles;
* watches the gaps between the tiles (the gutters, the empty places of an
  incomplete last row, inside the tiles' bounding box): someone joining a
  gallery whose last row has room gets a tile there and leaves the others
  where they were, which the sides do not show. The grey of a lattice of
  points over the gaps is kept when the layout is found; when a block of
  ``GAP_BLOCK`` x ``GAP_BLOCK`` of them has stepped since, something now
  stands there. A block, not a share: a layout found a few pixels off
  (Element Call's tiles came out 415 or 423-426 px wide) puts gap points on
  the moving edges of the tiles, in strips too thin to hold one;
* finds the layout again when a check fails, when the frame size changed, or
  every ``MAX_AGE_S`` seconds anyway. A frame with no tiles is looked at
  again every ``RETRY_S`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..detect import FaceDetector
from ..types import TileLayout
from .camera_off import shows_video
from .edges import MIN_STEP
from .region import layout_of

MAX_AGE_S = 30.0
RETRY_S = 3.0
#: A tile is still there when its sides step at least this share of what they did.
KEEP_SHARE = 0.6
#: ... and the layout is still there when this share of its tiles are.
KEEP_TILES = 0.75
#: Pixels sampled along each side.
SIDE_SAMPLES = 64
#: Gap points lie on a lattice this many pixels apart, at least GAP_INSET pixels from every tile
#: (an active speaker's outline or a tile's shadow may reach a little into the gutter) ...
GAP_STEP = 6
GAP_INSET = 4
#: ... and the layout is found again when a square of this many by this many of them all stepped
#: (MIN_STEP) since it was found: 30 px across, more than a mouse pointer, a sixth of the
#: smallest tile a call shows (about 100x56 px).
GAP_BLOCK = 5


@dataclass
class _Found:
    layout: TileLayout
    shape: tuple[int, ...]
    t: float
    steps: np.ndarray  # (T,) share of side pixels that stepped when found
    gaps: tuple[np.ndarray, np.ndarray, np.ndarray]  # the lattice's rows, columns, and which are gap points
    gap_grey: np.ndarray  # the lattice's grey when found
    muted: np.ndarray  # (H, W) where the gaps stepped with no tile found there since (see update)


class LayoutTracker:
    """``update(image, t)`` -> the frame's TileLayout, found afresh only when needed."""

    def __init__(self, detector: FaceDetector) -> None:
        self.detector = detector
        self._found: _Found | None = None
        #: Whether the last update found the layout afresh (benchmarks and tests).
        self.last_found = False

    def reset(self) -> None:
        self._found = None

    def update(self, image: np.ndarray, t: float) -> TileLayout:
        found = self._found
        fresh = found is None or image.shape != found.shape
        fresh = fresh or not 0 <= t - found.t < (MAX_AGE_S if found.layout.grid else RETRY_S)
        if not fresh and not found.layout.grid:
            self.last_found = False
            return found.layout
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        stepped = None if fresh else _gaps_stepped(grey, found)
        if not fresh and stepped is None and _sides_stand(grey, found):
            self.last_found = False
            return TileLayout(found.layout.boxes, shows_video(grey, found.layout.boxes), grid=True)
        layout = layout_of(image, self.detector)
        boxes = layout.boxes if layout.grid else np.zeros((0, 4), np.int64)
        rows, columns, free = gap_points(boxes, grey.shape)
        # Searched because the gaps stepped: where the new layout still has no tile, what stepped is
        # no newcomer (a shared screen or a video between tiles, a layout found a little off) and is
        # watched no more until the next search for another reason, or a video would ask every frame.
        muted = np.zeros(grey.shape, bool) if stepped is None else found.muted.copy()
        if stepped is not None:
            old_rows, old_columns, _ = found.gaps
            for y, x in zip(old_rows[stepped], old_columns[stepped]):
                muted[y : y + GAP_STEP, x : x + GAP_STEP] = True
        free &= ~muted[rows, columns]
        self._found = _Found(layout, image.shape, t if stepped is None else found.t, side_steps(grey, boxes),
                             (rows, columns, free), grey[rows, columns], muted)
        self.last_found = True
        return layout


def _sides_stand(grey: np.ndarray, found: _Found) -> bool:
    """Most tiles' sides still step as they did when the layout was found."""
    return bool(np.mean(side_steps(grey, found.layout.boxes) >= KEEP_SHARE * found.steps) >= KEEP_TILES)


def _gaps_stepped(grey: np.ndarray, found: _Found) -> np.ndarray | None:
    """The gap points that stepped since the layout was found, when they hold a block of GAP_BLOCK
    x GAP_BLOCK (something stands there now); None when they do not."""
    rows, columns, free = found.gaps
    stepped = free & (np.abs(grey[rows, columns].astype(np.int16) - found.gap_grey) >= MIN_STEP)
    block = cv2.erode(stepped.view(np.uint8), np.ones((GAP_BLOCK, GAP_BLOCK), np.uint8)).any()
    return stepped if block else None


def gap_points(boxes: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lattice of points GAP_STEP apart over the tiles' bounding box: (R, C) rows, columns, and
    which of them are gap points, at least GAP_INSET pixels from every tile (empty without tiles)."""
    boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
    if not len(boxes):
        empty = np.zeros((0, 0), np.int64)
        return empty, empty, empty.astype(bool)
    covered = np.zeros(shape[:2], bool)
    for x, y, w, h in boxes - np.array([GAP_INSET, GAP_INSET, -2 * GAP_INSET, -2 * GAP_INSET]):
        covered[max(y, 0) : y + h, max(x, 0) : x + w] = True
    x0, y0 = np.maximum(boxes[:, :2].min(axis=0), 0)
    x1, y1 = (boxes[:, :2] + boxes[:, 2:]).max(axis=0)
    rows, columns = np.mgrid[y0 : min(y1, shape[0]) : GAP_STEP, x0 : min(x1, shape[1]) : GAP_STEP]
    return rows, columns, ~covered[rows, columns]


def side_steps(grey: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(T,) share of pixels along each tile's sides where the (H, W) grey picture steps across the side.

    Sampled at SIDE_SAMPLES points per side, comparing the pixels two either
    side of it (a side blurred over a pixel or two still steps). All tiles at
    once: a 7x7 gallery is checked every frame.
    """
    height, width = grey.shape
    boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
    if not len(boxes):
        return np.zeros(0)
    x, y, w, h = (boxes[:, k : k + 1] for k in range(4))
    along = np.linspace(0.0, 1.0, SIDE_SAMPLES)[None, :]
    xs = (x + along * (w - 1)).astype(np.int64)
    ys = (y + along * (h - 1)).astype(np.int64)

    def steps(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        # Only the sampled pixels are widened to int16, not the whole frame.
        return np.abs(first.astype(np.int16) - second) >= MIN_STEP

    rows = [steps(grey[np.clip(r - 2, 0, height - 1), xs], grey[np.clip(r + 1, 0, height - 1), xs]) for r in (y, y + h)]
    cols = [steps(grey[ys, np.clip(c - 2, 0, width - 1)], grey[ys, np.clip(c + 1, 0, width - 1)]) for c in (x, x + w)]
    return np.concatenate(rows + cols, axis=1).mean(axis=1)
