"""What the layout tracker checks on every frame between two searches, at a few thousand pixels.

A layout found once stands while its tiles stand, but a call's layout changes
in three ways that matter, and each leaves its own trace:

* the tiles moved or were resized (a window resize, a new grid, someone
  sharing): along each tile's four sides, the share of pixels where the
  picture steps across the side (as in ``edges.py``) falls under
  ``KEEP_SHARE`` of what it was, for more than a quarter of the tiles;
* someone joined a gallery whose last row had room: the newcomer's tile
  stands where there was none and the other tiles stay put (Zoom centres that
  row again, moving two of 17 tiles: too few for the sides). A lattice of
  points over the gaps between the tiles (the gutters, the empty places,
  inside the tiles' bounding box) is kept with its grey; when a block of
  ``GAP_BLOCK`` x ``GAP_BLOCK`` of them has stepped, something stands there.
  A block, not a share: a layout found a few pixels off (Element Call's tiles
  came out 415 or 423-426 px wide) puts gap points on the moving edges of the
  tiles, in strips too thin to hold one;
* someone left: their tile shows the gallery's background where it showed
  something else (``EMPTIED_SHARE`` of a lattice of points inside it), all of
  it or, when the row is centred again, about half.

``Watch.moved`` says whether the tiles moved; ``Watch.news`` where something
new stands among tiles that did not, so that the tracker can stop
watching a place where a search finds no tile (a video playing between tiles)
instead of searching again every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .edges import MIN_STEP

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
#: ... and something new stands in the gaps when a square of this many by this many of them all
#: stepped (MIN_STEP): 30 px across, more than a mouse pointer, a sixth of the smallest tile a
#: call shows (about 100x56 px).
GAP_BLOCK = 5
#: Points looked at inside each tile (a lattice over its middle, INTERIOR_SPAN of each side) ...
INTERIOR_POINTS = 8
INTERIOR_SPAN = 0.8
#: ... and a tile is emptied when this share of them shows the background, where they did not.
EMPTIED_SHARE = 0.4
#: The background is read this many pixels outside the tiles' sides.
OUTSIDE = 2


@dataclass
class Watch:
    """What a layout looked like when it was found: ``Watch.of``, then ``news`` on each frame."""

    boxes: np.ndarray  # (T, 4) the tiles
    steps: np.ndarray  # (T,) share of side pixels that stepped
    gaps: tuple[np.ndarray, np.ndarray, np.ndarray]  # the gap lattice's rows, columns, and which are gap points
    gap_grey: np.ndarray  # the lattice's grey
    inside: tuple[np.ndarray, np.ndarray]  # (T, P) rows and columns of each tile's interior points
    was_background: np.ndarray  # (T, P) which of those showed the background
    background: int  # the commonest grey just outside the tiles
    muted: np.ndarray  # (H, W) where nothing is watched (see the tracker)

    @classmethod
    def of(cls, grey: np.ndarray, boxes: np.ndarray, muted: np.ndarray | None = None) -> Watch:
        boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
        muted = np.zeros(grey.shape, bool) if muted is None else muted
        rows, columns, free = gap_points(boxes, grey.shape)
        inside = interior_points(boxes, grey.shape)
        background = _background(grey, boxes)
        return cls(boxes, side_steps(grey, boxes), (rows, columns, free & ~muted[rows, columns]), grey[rows, columns],
                   inside, _near(grey[inside], background), background, muted)

    def moved(self, grey: np.ndarray) -> bool:
        """Whether the tiles moved or were resized: more than a quarter of them lost their sides."""
        return bool(np.mean(side_steps(grey, self.boxes) >= KEEP_SHARE * self.steps) < KEEP_TILES)

    def news(self, grey: np.ndarray) -> np.ndarray | None:
        """Where something new stands among tiles that did not move (a newcomer in the gaps, a tile
        emptied), as an (H, W) mask; None while the layout stands as found."""
        rows, columns, free = self.gaps
        stepped = free & (np.abs(grey[rows, columns].astype(np.int16) - self.gap_grey) >= MIN_STEP)
        if not cv2.erode(stepped.view(np.uint8), np.ones((GAP_BLOCK, GAP_BLOCK), np.uint8)).any():
            stepped[:] = False
        inside = self.inside
        emptied = _near(grey[inside], self.background) & ~self.was_background & ~self.muted[inside]
        emptied = self.boxes[emptied.mean(axis=1) >= EMPTIED_SHARE]
        if not stepped.any() and not len(emptied):
            return None
        news = np.zeros(grey.shape, bool)
        for y, x in zip(rows[stepped], columns[stepped]):
            news[y : y + GAP_STEP, x : x + GAP_STEP] = True
        for x, y, w, h in emptied:
            news[max(y, 0) : y + h, max(x, 0) : x + w] = True
        return news


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
    xs, ys = _along_sides(boxes)

    def steps(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        # Only the sampled pixels are widened to int16, not the whole frame.
        return np.abs(first.astype(np.int16) - second) >= MIN_STEP

    rows = [steps(grey[np.clip(r - 2, 0, height - 1), xs], grey[np.clip(r + 1, 0, height - 1), xs]) for r in (y, y + h)]
    cols = [steps(grey[ys, np.clip(c - 2, 0, width - 1)], grey[ys, np.clip(c + 1, 0, width - 1)]) for c in (x, x + w)]
    return np.concatenate(rows + cols, axis=1).mean(axis=1)


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


def interior_points(boxes: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(T, P) rows and columns of INTERIOR_POINTS x INTERIOR_POINTS points over each tile's middle."""
    boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
    steps = 0.5 - INTERIOR_SPAN / 2 + INTERIOR_SPAN * np.linspace(0.0, 1.0, INTERIOR_POINTS)
    fy, fx = (grid.ravel()[None, :] for grid in np.meshgrid(steps, steps, indexing="ij"))
    x, y, w, h = (boxes[:, k : k + 1].astype(np.float64) for k in range(4))
    rows = np.clip(y + fy * (h - 1), 0, shape[0] - 1).astype(np.int64)
    columns = np.clip(x + fx * (w - 1), 0, shape[1] - 1).astype(np.int64)
    return rows, columns


def _along_sides(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, SIDE_SAMPLES) columns along each tile's top and bottom, and rows along its left and right."""
    x, y, w, h = (boxes[:, k : k + 1] for k in range(4))
    along = np.linspace(0.0, 1.0, SIDE_SAMPLES)[None, :]
    return (x + along * (w - 1)).astype(np.int64), (y + along * (h - 1)).astype(np.int64)


def _background(grey: np.ndarray, boxes: np.ndarray) -> int:
    """The commonest grey OUTSIDE pixels beyond the tiles' sides (the gutters and the window around
    them); -MIN_STEP, which no grey is near, when all of that lies outside the frame."""
    height, width = grey.shape
    x, y, w, h = (boxes[:, k : k + 1] for k in range(4))
    xs, ys = _along_sides(boxes)
    rows = np.concatenate([np.broadcast_to(y - OUTSIDE, xs.shape), np.broadcast_to(y + h - 1 + OUTSIDE, xs.shape), ys, ys], axis=1)
    columns = np.concatenate([xs, xs, np.broadcast_to(x - OUTSIDE, ys.shape), np.broadcast_to(x + w - 1 + OUTSIDE, ys.shape)], axis=1)
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    values = grey[rows[inside], columns[inside]]
    return int(np.bincount(values, minlength=256).argmax()) if values.size else -MIN_STEP


def _near(values: np.ndarray, background: int) -> np.ndarray:
    return np.abs(values.astype(np.int16) - background) < MIN_STEP
