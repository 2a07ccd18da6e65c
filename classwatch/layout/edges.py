"""Straight lines in a screenshot: where tiles end.

A call app draws its tiles, so a tile's side is a perfectly straight line of
pixels where the picture steps to something else (a gutter, a neighbouring
tile, the window's chrome). Inside a camera picture there are steps too, but
they wander, so few of them lie on one pixel row or column for long. What is
measured here is therefore, for any row or column span, the share of its
pixels where the picture steps across it.

A pixel counts as a step across a row when its colour difference between the
row above and the row below (the largest of the three channels, so a red
tile on a grey one of the same brightness still steps) is at least
``MIN_STEP`` and larger than the same difference ``RIDGE_OFFSET`` rows up and
down. The second test matters on real captures: in a noisy, sharpened or
dithered picture nearly every pixel differs from its neighbours by a few
levels, and only a true line is the strongest step of its neighbourhood
along the whole span. Steps are then widened by one pixel each way, so a
line blurred over two pixels by scaling or JPEG still counts as one.

In a frame enlarged k times by repeating pixels, the difference one pixel
either way compares neighbouring pixels of the capture, and an edge that
scaling blurred into a two-pixel ramp (a Zoom gutter captured at half
size: 34, 31, 26 grey levels) splits into two steps under ``MIN_STEP``. Taken
``span`` = k pixels either way, the step is the capture's own again.

Lines are scored by *contrast*: their support minus the mean support of the
parallel lines ``CONTRAST_OFFSET`` pixels to either side, which is near zero
in texture (every line there is alike) and near one for a tile's side. Rows
and columns outside the frame count as empty, and the frame's own border
is a line: the user may select exactly the gallery, whose tiles then end
there.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Smallest colour step (grey levels) that can be a tile side: Zoom draws a
#: camera-off tile #242424 on #1a1a1a, 8 to 10 levels after JPEG.
MIN_STEP = 6
#: A step must be larger than the steps this many pixels away across the line.
RIDGE_OFFSET = 3
#: Parallel lines this far away give a line's background support.
CONTRAST_OFFSET = 4


@dataclass(frozen=True)
class LineMaps:
    """Cumulative step counts of one image, for O(1) support of any row or column span.

    rows: (H, W + 1) int32, rows[y, x] = steps across row y in columns [0, x).
    cols: (H + 1, W) int32, cols[y, x] = steps across column x in rows [0, y).
    """

    rows: np.ndarray
    cols: np.ndarray

    @classmethod
    def of(cls, image: np.ndarray, span: int = 1) -> "LineMaps":
        """image: (H, W, 3) uint8 BGR; a step is the difference ``span`` pixels either way."""
        height, width = image.shape[:2]
        across_rows = np.zeros((height, width), np.uint8)
        across_cols = np.zeros((height, width), np.uint8)
        k = span
        across_rows[k:-k] = _largest_channel(cv2.absdiff(image[2 * k :], image[: -2 * k]))
        across_cols[:, k:-k] = _largest_channel(cv2.absdiff(image[:, 2 * k :], image[:, : -2 * k]))
        row_steps, col_steps = _ridges(across_rows, axis=0), _ridges(across_cols, axis=1)
        # The capture's own border ends whatever touches it: a tile cut by the region's edge, or a
        # gallery selected exactly, whose tiles reach the border.
        row_steps[[0, -1], :] = 1
        col_steps[:, [0, -1]] = 1
        rows = np.zeros((height, width + 1), np.int32)
        cols = np.zeros((height + 1, width), np.int32)
        np.cumsum(cv2.dilate(row_steps, np.ones((3, 1), np.uint8)), axis=1, out=rows[:, 1:])
        np.cumsum(cv2.dilate(col_steps, np.ones((1, 3), np.uint8)), axis=0, out=cols[1:])
        return cls(rows, cols)

    @property
    def height(self) -> int:
        return self.rows.shape[0]

    @property
    def width(self) -> int:
        return self.cols.shape[1]

    def rows_over(self, x0: int, x1: int) -> np.ndarray:
        """(H,) support in [0, 1] of every row over columns [x0, x1)."""
        return (self.rows[:, x1] - self.rows[:, x0]) / max(1, x1 - x0)

    def cols_over(self, y0: int, y1: int) -> np.ndarray:
        """(W,) support in [0, 1] of every column over rows [y0, y1)."""
        return (self.cols[y1] - self.cols[y0]) / max(1, y1 - y0)

    def col_contrasts(self, x: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
        """Contrast of column x[i] over the span [y0[i], y1[i]), for every i at once."""
        x, y0, y1 = np.broadcast_arrays(np.asarray(x), np.asarray(y0), np.asarray(y1))
        length = np.maximum(1, y1 - y0)

        def support(columns: np.ndarray) -> np.ndarray:
            # Columns outside the frame are empty.
            inside = (columns >= 0) & (columns < self.width)
            c = np.clip(columns, 0, self.width - 1)
            return np.where(inside, (self.cols[y1, c] - self.cols[y0, c]) / length, 0.0)

        return support(x) - 0.5 * (support(x - CONTRAST_OFFSET) + support(x + CONTRAST_OFFSET))


def contrast(support: np.ndarray, axis: int = 0) -> np.ndarray:
    """Support minus the mean support CONTRAST_OFFSET lines to either side, along ``axis``."""
    d = CONTRAST_OFFSET
    lines = np.moveaxis(support, axis, 0)
    out = lines.astype(np.float32, copy=True)
    out[d:] -= 0.5 * lines[:-d]
    out[:-d] -= 0.5 * lines[d:]
    return np.moveaxis(out, 0, axis)


def _largest_channel(diff: np.ndarray) -> np.ndarray:
    b, g, r = cv2.split(diff)
    return cv2.max(cv2.max(b, g), r)


def _ridges(step: np.ndarray, axis: int) -> np.ndarray:
    """uint8 0/1: steps of at least MIN_STEP that beat the steps RIDGE_OFFSET pixels away along ``axis``."""
    d = RIDGE_OFFSET
    before = np.zeros_like(step)
    after = np.zeros_like(step)
    if axis == 0:
        before[d:], after[:-d] = step[:-d], step[d:]
    else:
        before[:, d:], after[:, :-d] = step[:, :-d], step[:, d:]
    return ((step >= MIN_STEP) & (step > before) & (step > after)).view(np.uint8)
