"""Rectangles whose four sides are straight lines: candidate tiles.

Two searches, both on ``LineMaps``:

* ``around_face``: the rectangles enclosing one face. Its left and right
  sides are columns that stand out (``edges.contrast``) over the face's rows,
  nearest first; for each pair, its top and bottom are rows that stand out
  over that width; every side must then stand out over the rectangle's
  whole length. Cheap, because a face pins the search down, and noisy: a
  window frame or a picture behind someone is a rectangle around the face
  too. ``finder.py`` lets the faces of a gallery vote on which size is the
  tile.
* ``of_size``: every placement of a rectangle of one known size whose four
  sides stand out, at every pixel of the frame at once (four cumulative-sum
  lookups per placement). It finds the tiles with no face: camera-off tiles
  and people turned away.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from .edges import LineMaps, contrast

#: A side must stand out by this much (support minus the parallel lines' support).
MIN_CONTRAST = 0.4
#: Nearest candidate lines tried on each side of a face.
NEAREST = 10
#: Tiles are landscape or portrait within these width / height ratios.
ASPECT = (0.45, 2.6)
#: A tile is at least this many times the face's height (a face can fill a phone tile).
MIN_FACE_MARGIN = 1.2


class Rect(NamedTuple):
    """(x0, y0) inclusive top-left, (x1, y1) the bottom-right lines; score = its weakest side's contrast."""

    x0: int
    y0: int
    x1: int
    y1: int
    score: float

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def overlap(self, other: "Rect") -> int:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(0, w) * max(0, h)


def around_face(lines: LineMaps, box: np.ndarray) -> list[Rect]:
    """Rectangles enclosing a face box (x, y, w, h), best first."""
    fx, fy, fw, fh = (float(v) for v in box)
    width, height = lines.width, lines.height
    # Columns are judged over the face's middle rows, which any tile around it spans.
    across = contrast(lines.cols_over(int(max(0, fy + 0.1 * fh)), int(min(height, fy + 0.9 * fh))))
    is_peak = _peaks(across)
    lefts = _nearest(is_peak, 0, int(max(0, fx)) + 1, nearest_last=True)
    rights = _nearest(is_peak, int(min(width - 1, fx + fw)), width, nearest_last=False)
    x0s, x1s = (a.ravel() for a in np.meshgrid(lefts, rights, indexing="ij"))
    keep = x1s - x0s >= MIN_FACE_MARGIN * fw
    x0s, x1s = x0s[keep], x1s[keep]
    if not len(x0s):
        return []
    # Every row's contrast over every pair of sides at once: (H, pairs).
    along = contrast((lines.rows[:, x1s] - lines.rows[:, x0s]) / (x1s - x0s).astype(np.float32), axis=0)
    row_peaks = _peaks(along)
    # Every (pair, top, bottom) candidate at once, then all their sides judged in one go: (pairs, top, bottom)
    # arrays in the order pair, nearest top, nearest bottom (the order of equal scores below).
    tops = _nearest_each(row_peaks, 0, int(max(0, fy)) + 1, nearest_last=True)[:, :, None]
    bottoms = _nearest_each(row_peaks, int(min(height - 1, fy + fh)), height, nearest_last=False)[:, None, :]
    h, w = bottoms - tops, (x1s - x0s)[:, None, None]
    ok = (tops >= 0) & (bottoms >= 0) & (h >= MIN_FACE_MARGIN * fh) & (w >= ASPECT[0] * h) & (w <= ASPECT[1] * h)
    k = np.broadcast_to(np.arange(len(x0s))[:, None, None], ok.shape)[ok]
    y0, y1 = np.broadcast_to(tops, ok.shape)[ok], np.broadcast_to(bottoms, ok.shape)[ok]
    x0, x1 = x0s[k], x1s[k]
    score = np.minimum(
        np.minimum(along[y0, k], along[y1, k]),
        np.minimum(lines.col_contrasts(x0, y0, y1), lines.col_contrasts(x1, y0, y1)),
    )
    keep = np.flatnonzero(score >= MIN_CONTRAST)
    found = [Rect(int(x0[i]), int(y0[i]), int(x1[i]), int(y1[i]), round(float(score[i]), 3)) for i in keep]
    found.sort(key=lambda r: -r.score)
    return found


def of_size(lines: LineMaps, width: int, height: int, min_score: float = MIN_CONTRAST) -> list[Rect]:
    """Every rectangle of this size whose four sides stand out, best first, none two overlapping by half."""
    frame_w, frame_h = lines.width, lines.height
    if not 0 < width < frame_w or not 0 < height < frame_h:
        return []
    # Support of the row segment starting at (x, y) of length ``width``, and of the column segments.
    # (float32 from the start: a float64 frame-sized temporary costs more than the subtraction)
    row_runs = contrast(np.subtract(lines.rows[:, width:], lines.rows[:, :-width], dtype=np.float32) / np.float32(width), axis=0)
    col_runs = contrast(np.subtract(lines.cols[height:], lines.cols[:-height], dtype=np.float32) / np.float32(height), axis=1)
    ny, nx = frame_h - height, frame_w - width
    score = np.minimum(
        np.minimum(row_runs[:ny, :nx], row_runs[height : height + ny, :nx]),
        np.minimum(col_runs[:ny, :nx], col_runs[:ny, width : width + nx]),
    )
    window = np.ones((max(3, height // 2) | 1, max(3, width // 2) | 1), np.uint8)
    ys, xs = np.nonzero((score >= min_score) & (score >= cv2.dilate(score, window)))
    found: list[Rect] = []
    for i in np.argsort(-score[ys, xs], kind="stable"):
        x, y = int(xs[i]), int(ys[i])
        if all(abs(x - r.x0) >= width // 2 or abs(y - r.y0) >= height // 2 for r in found):
            found.append(Rect(x, y, x + width, y + height, round(float(score[y, x]), 3)))
    return found


def _peaks(values: np.ndarray) -> np.ndarray:
    """Bool mask (same shape) of the local maxima along axis 0 of at least MIN_CONTRAST.

    >= on the near side, > on the far side: one index per plateau (lines are three pixels wide).
    """
    pad = np.full((2, *values.shape[1:]), -np.inf, values.dtype)
    padded = np.concatenate([pad, values, pad])
    return (
        (values >= MIN_CONTRAST)
        & (values >= padded[:-4])
        & (values >= padded[1:-3])
        & (values > padded[3:-1])
        & (values > padded[4:])
    )


def _nearest(is_peak: np.ndarray, lo: int, hi: int, nearest_last: bool) -> np.ndarray:
    """The NEAREST peaks in [lo, hi) to the face, which is at ``hi`` when ``nearest_last`` (a left or
    top side), else at ``lo``."""
    found = _nearest_each(is_peak[:, None], lo, hi, nearest_last)[0]
    return found[found >= 0]


def _nearest_each(is_peak: np.ndarray, lo: int, hi: int, nearest_last: bool) -> np.ndarray:
    """(P, NEAREST): for each column of an (N, P) peak mask, ``_nearest``'s peaks, nearest first,
    -1 where there are fewer."""
    part = is_peak[lo:hi][::-1] if nearest_last else is_peak[lo:hi]
    rank = np.cumsum(part, axis=0)  # 1 for the peak nearest the face, 2 for the next ...
    rows, cols = np.nonzero(part & (rank <= NEAREST))
    found = np.full((is_peak.shape[1], NEAREST), -1, np.int64)
    found[cols, rank[rows, cols] - 1] = hi - 1 - rows if nearest_last else lo + rows
    return found


#: A row whose tiles sit (median) more than this share of a pitch off the lattice's columns has
#: columns of its own: Zoom centres an incomplete last row, half a pitch over (``lattice_cells``).
ROW_SHIFT = 0.25
#: A tile within this many pixels of a row or column of the lattice is on it (the app rounds positions).
LATTICE_SLACK = 3


def lattice_pitch(starts: list[int], size: int) -> float | None:
    """Spacing of the rows (or columns) that tiles start on, or None with one row.

    Every pair of tiles whose starts are at least 0.9 of a tile apart votes for
    the pitches their spacing is a whole number of (0.9 to 1.5 tiles: tiles do
    not overlap, and gutters are narrower than tiles); the pitch that most pairs
    fit within LATTICE_SLACK wins, the smallest on a tie (twice the pitch fits
    every other pair), and is then fitted to those pairs (least squares), since
    the app rounds every tile's position and nine columns along a pixel adds up.
    A start off the lattice (a rectangle found across two cells, a centred last
    row half a pitch over) fits few pairs and does not pull the fit. Measured
    when it came in (before ``find_layout`` let the enlarged search win a tie),
    ``capture_scale.py``, tiles right of 147 against a fit to every start
    numbered by the smallest spacing (in brackets): lossless at offsets 0 / 3
    139 / 134 (139 / 133), ``--jpeg 70`` at offsets 0 / 3 / 5 128 / 125 / 121
    (129 / 121 / 112) with 0 / 6 / 1 faces on avatars (0 / 9 / 4), busy page
    (``--page 235 --texture 12``) 127 (130); each pair counted once, not once
    per pair of tiles: 134, 128 / 124 / 119, 126.
    """
    starts, tiles = np.unique(np.asarray(starts, np.float64), return_counts=True)
    first, second = np.triu_indices(len(starts), 1)
    # A pair counts once per pair of tiles: a column of eight outvotes a rectangle found beside it.
    spans, weights = starts[second] - starts[first], (tiles[first] * tiles[second]).astype(np.float64)
    apart = spans >= 0.9 * size
    spans, weights = spans[apart], weights[apart]
    if not len(spans):
        return None
    counts = np.arange(1, int(spans.max() // (0.9 * size)) + 1)
    pitches = (spans[:, None] / counts[None, :]).ravel()
    pitches = pitches[(pitches >= 0.9 * size) & (pitches <= 1.5 * size)]
    if not len(pitches):
        return None
    steps = np.maximum(1, np.round(spans[None, :] / pitches[:, None]))
    fits = np.abs(spans[None, :] - steps * pitches[:, None]) <= LATTICE_SLACK
    votes = fits @ weights
    tied = np.flatnonzero(votes == votes.max())
    best = tied[np.argmin(pitches[tied])]
    n, d, w = steps[best, fits[best]], spans[fits[best]], weights[fits[best]]
    return float((w * n * d).sum() / (w * n * n).sum())


def lattice_cells(group: list[Rect], width: int, height: int, max_overlap: float) -> list[Rect]:
    """The free cells of the lattice a group of tiles spans, inside a ``width`` x ``height`` frame.

    Apps lay a gallery out on one lattice (pitch = the smallest spacing
    between the group's rows and between its columns, fitted to all of them),
    so a tile whose own sides could not be found (a camera-off card painted in
    the background colour, a busy room picture whose edges drown in its
    texture) still sits in a cell of it. Cells between the group's first and
    last rows and columns are returned, the size of the group's first tile,
    when they overlap no tile of the group by more than ``max_overlap`` of
    their area (neighbouring tiles may share a border line).

    A row whose tiles sit off the columns by more than ``ROW_SHIFT`` of a
    pitch (an incomplete last row that the app centres, half a pitch over)
    has its cells at its own tiles' columns: a cell on the other rows'
    columns would straddle a tile of that row and the background.
    """
    if len(group) < 2:
        return []
    w, h = group[0].width, group[0].height
    pitch_x, pitch_y = lattice_pitch([r.x0 for r in group], w), lattice_pitch([r.y0 for r in group], h)
    if pitch_x is None or pitch_y is None:
        return []
    # The lattice's origin: the tile nearest the top-left, each start fitted to its step.
    x_ref, y_ref = min(r.x0 for r in group), min(r.y0 for r in group)
    x_last = max(r.x0 for r in group)
    row_of = [round((r.y0 - y_ref) / pitch_y) for r in group]
    cells = []
    for j in range(min(row_of), max(row_of) + 1):
        # The row's columns, from the first at or right of the group's first column.
        shift = _row_shift([r.x0 for r, k in zip(group, row_of) if k == j], x_ref, pitch_x)
        for left in np.arange(x_ref + shift % pitch_x, x_last + LATTICE_SLACK + 1, pitch_x):
            x, y = round(left), round(y_ref + j * pitch_y)
            cell = Rect(x, y, min(width, x + w), min(height, y + h), 0.0)
            if x < 0 or y < 0 or cell.width < 0.9 * w or cell.height < 0.9 * h:
                continue
            if all(cell.overlap(r) <= max_overlap * w * h for r in group):
                cells.append(cell)
    return cells


def _row_shift(starts: list[int], x_ref: int, pitch: float) -> float:
    """How far a row's tiles sit off the lattice's columns (pixels, median), or 0 when on them or empty."""
    if not starts:
        return 0.0
    off = (np.asarray(starts, np.float64) - x_ref) / pitch
    shift = float(np.median(off - np.round(off)))
    return shift * pitch if abs(shift) > ROW_SHIFT else 0.0
