"""A call shown small inside a larger capture: search the part of the frame its faces are in.

A teacher may capture a whole screen where the call is a small window, or a
gallery streamed inside a browser page. The whole-frame search then works at
the wrong scale twice: the frame is large, so it is not enlarged the way a
small capture is (``finder.SMALL_SIDE``), and its faces are looked for with
the frame's long side at ``yunet.FRAME_SIDE``, which shrinks a half-size
gallery's 12 px faces under what YuNet can find.

Two things put the search back at the call's own scale:

* a flat margin around the call (a plain page or desktop around a window, a
  recording's black bars) is cut off before anything else: rows and columns
  along the frame's sides whose levels span at most ``FLAT_SPAN``. What is
  left is searched as the capture it is, enlarged if small; its edge ends
  the tiles that touch it, as a capture's own edge does.
* when the faces found lie in a small part of the frame (their bounding box,
  widened by ``MARGIN`` face heights each way, where the tiles around them
  reach; a busy page around the call has no flat margin to cut), that part,
  less its own flat margin, is searched again as a capture of its own. Its
  layout replaces the first when it puts more of the region's faces in
  tiles, or as many with fewer unaligned tiles (lined up with no other
  tile: the rectangles a search too coarse for the gutters fits around each
  face one by one).

Measured with ``python benchmarks/capture_scale.py --page 235`` (the real
screenshots resized 0.5-1.5 and set in a light 1920x1080 page): with the
region search alone, recall 0.908 / 0.957 / 0.975 / 0.945 / 0.975 / 0.982 /
0.969 and tiles right 15 / 16 / 20 / 17 / 15 / 17 / 19 of 21; with the margin
cut off, recall 0.975 / 0.975 / 0.982 / 0.982 / 0.994 / 0.994 / 0.988 and tiles
right 19 / 21 / 20 / 18 / 20 / 20 / 19, within a face and a tile of the
screenshots on their own; in a dark page (``--page 30``) the same recall, tiles
right 18 / 21 / 20 / 18 / 20 / 20 / 19. With ``--texture 12`` (a page with no
flat margin) the unaligned-tiles rule takes tiles right from 16 to 17 at 0.5
and at 1, 18 to 19 at 0.9. A margin of the
largest face's height instead of the median's loses at 0.75 (tiles 20 -> 18):
the region then reaches past ``finder.SMALL_SIDE`` and is not searched.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..detect import FaceDetector
from ..types import FaceDetections, TileLayout
from .finder import SMALL_SIDE, explained, find_layout

#: The region reaches this many face heights beyond the faces: a tile is about four faces wide,
#: so this covers the tiles around the outermost faces found.
MARGIN = 4.0
#: The region is searched on its own only when it covers at most this share of the frame, and its
#: long side is under finder.SMALL_SIDE (so that it is searched as a small capture is).
MAX_AREA_SHARE = 0.5
#: A row or column of a page around a call is flat: its levels span at most this many in each channel.
FLAT_SPAN = 4
#: ... and is cut off only when what it leaves is at least this many pixels each way (a call, not
#: a cursor on a blank screen).
MIN_CONTENT = 64
#: Lines read at a time when looking for the margin's end.
LINES_AT_ONCE = 32


Box = tuple[int, int, int, int]  # x0, y0, x1, y1


def layout_of(image: np.ndarray, detector: FaceDetector, held: TileLayout | None = None) -> TileLayout:
    """The tiles of a captured frame: searched without its flat margin, and again inside the part
    its faces are in when that is a small part of it.

    ``held``: a layout of this frame's size found before, which nothing has shown to be out of
    date (the tracker's periodic search). It stands unless the search puts more faces in tiles:
    on a moving gallery a search now and then comes out a tile short or long, and a layout a tile
    short makes the watch ask for search after search (``tracker.py``).
    """
    return layout_and_faces(image, detector, held)[0]


def layout_and_faces(image: np.ndarray, detector: FaceDetector, held: TileLayout | None = None) -> tuple[TileLayout, FaceDetections]:
    """``layout_of``, and the faces the search found over the frame (its pixels), which tell each
    tile's first detection how small its faces are."""
    height, width = image.shape[:2]
    content = _without_flat_margin(image, (0, 0, width, height))
    layout, faces = _search(image, content, detector)
    region = _faces_region(faces, content)
    if region is not None:
        inner, inner_faces = _search(image, _without_flat_margin(image, region), detector)
        if inner.grid and (explained(inner, inner_faces), -_unaligned(inner)) > (explained(layout, inner_faces), -_unaligned(layout)):
            layout, faces = inner, inner_faces
    if held is not None and held.grid and explained(held, faces) >= explained(layout, faces):
        return held, faces
    return (layout if layout.grid else TileLayout.whole_frame(width, height)), faces


def _search(image: np.ndarray, box: Box, detector: FaceDetector) -> tuple[TileLayout, FaceDetections]:
    """The layout of one part of the frame searched as a capture of its own, and the faces found
    there (both in the frame's pixels)."""
    x0, y0, x1, y1 = box
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    faces = detector.detect(crop, None)
    layout = find_layout(crop, faces)
    shifted = TileLayout(layout.boxes + np.array([x0, y0, 0, 0], layout.boxes.dtype), layout.video, grid=layout.grid)
    return shifted, faces.offset(x0, y0)


def _faces_region(faces: FaceDetections, content: Box) -> Box | None:
    """The part of ``content`` around the faces, MARGIN face heights wider each way, or None when
    that is no small part of it (or there are no faces)."""
    if not len(faces):
        return None
    cx0, cy0, cx1, cy1 = content
    boxes = faces.boxes
    margin = MARGIN * float(np.median(boxes[:, 3]))
    x0 = int(max(cx0, boxes[:, 0].min() - margin))
    y0 = int(max(cy0, boxes[:, 1].min() - margin))
    x1 = int(min(cx1, (boxes[:, 0] + boxes[:, 2]).max() + margin))
    y1 = int(min(cy1, (boxes[:, 1] + boxes[:, 3]).max() + margin))
    small = (x1 - x0) * (y1 - y0) <= MAX_AREA_SHARE * (cx1 - cx0) * (cy1 - cy0) and max(x1 - x0, y1 - y0) < SMALL_SIDE
    return (x0, y0, x1, y1) if small else None


def _without_flat_margin(image: np.ndarray, box: Box) -> Box:
    """The box less the rows and columns along its sides that are one flat colour (a page or a
    desktop around the call, a recording's black bars)."""
    x0, y0, x1, y1 = box
    crop = image[y0:y1, x0:x1]
    across = crop.transpose(1, 0, 2)  # its columns as lines
    top, bottom = _flat_lines(crop), _flat_lines(crop[::-1])
    left, right = _flat_lines(across), _flat_lines(across[::-1])
    if min(y1 - y0 - top - bottom, x1 - x0 - left - right) < MIN_CONTENT:
        return box
    return x0 + left, y0 + top, x1 - right, y1 - bottom


def _flat_lines(lines: np.ndarray) -> int:
    """How many lines (along axis 0 of an (N, L, 3) array) from the first on are flat in every
    channel. Read a few at a time from the edge in: most frames have no margin, and their first
    lines end the search."""
    for start in range(0, len(lines), LINES_AT_ONCE):
        chunk = np.ascontiguousarray(lines[start : start + LINES_AT_ONCE])
        span = cv2.reduce(chunk, 1, cv2.REDUCE_MAX).astype(np.int16) - cv2.reduce(chunk, 1, cv2.REDUCE_MIN)
        busy = np.flatnonzero(span.reshape(len(chunk), -1).max(axis=1) > FLAT_SPAN)
        if len(busy):
            return start + int(busy[0])
    return len(lines)


def _unaligned(layout: TileLayout) -> int:
    """Tiles whose top and left sides both line up with no other tile's."""
    x, y, w, h = layout.boxes.astype(np.float64).T
    slack = np.maximum(2.0, 0.01 * np.minimum(w, h))
    near_x = np.abs(x[:, None] - x[None]) <= slack[:, None]
    near_y = np.abs(y[:, None] - y[None]) <= slack[:, None]
    np.fill_diagonal(near_x, False)
    np.fill_diagonal(near_y, False)
    return int(np.count_nonzero(~near_x.any(axis=1) & ~near_y.any(axis=1)))
