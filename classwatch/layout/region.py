"""A call shown small inside a larger capture: search the part of the frame its faces are in.

A teacher may capture a whole screen where the call is a small window, or a
gallery streamed inside a browser page. The whole-frame search then works at
the wrong scale twice: the frame is large, so it is not enlarged the way a
small capture is (``finder.SMALL_SIDE``), and its faces are looked for with
the frame's long side at ``yunet.FRAME_SIDE``, which shrinks a half-size
gallery's 12 px faces under what YuNet can find.

So when the faces found lie in a small part of the frame, that part (their
bounding box, widened by ``MARGIN`` face heights each way, where the tiles
around them reach) is searched again as a capture of its own: faces looked
for at its scale, tiles found as in any small capture. Its layout replaces
the whole frame's when it puts more of the region's faces in tiles.
Measured with ``python benchmarks/capture_scale.py --page 235`` (the real
screenshots resized and set in a light 1920x1080 page): at half size recall
0.847 -> 0.908, tiles right 7 -> 15 of 21, faces on avatars 3 -> 0; at 0.75
recall 0.957 -> 0.975, tiles 18 -> 20; unchanged without a page. A margin of
the largest face's height instead of the median's loses at 0.75 (tiles 20 -> 18):
the region then reaches past ``finder.SMALL_SIDE`` and is not searched.
"""

from __future__ import annotations

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


def layout_of(image: np.ndarray, detector: FaceDetector) -> TileLayout:
    """The tiles of a captured frame: searched whole, and again inside the part its faces are in
    when that is a small part of it."""
    faces = detector.detect(image, None)
    layout = find_layout(image, faces)
    region = _faces_region(faces, image.shape[1], image.shape[0])
    if region is None:
        return layout
    x0, y0, x1, y1 = region
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    inner_faces = detector.detect(crop, None)
    inner = find_layout(crop, inner_faces)
    if not inner.grid:
        return layout
    inner = TileLayout(inner.boxes + np.array([x0, y0, 0, 0], inner.boxes.dtype), inner.video, grid=True)
    seen = inner_faces.offset(x0, y0)
    return inner if explained(inner, seen) > explained(layout, seen) else layout


def _faces_region(faces: FaceDetections, width: int, height: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) around the faces, MARGIN face heights wider each way, or None when that
    is no small part of the frame (or there are no faces)."""
    if not len(faces):
        return None
    boxes = faces.boxes
    margin = MARGIN * float(np.median(boxes[:, 3]))
    x0 = int(max(0, boxes[:, 0].min() - margin))
    y0 = int(max(0, boxes[:, 1].min() - margin))
    x1 = int(min(width, (boxes[:, 0] + boxes[:, 2]).max() + margin))
    y1 = int(min(height, (boxes[:, 1] + boxes[:, 3]).max() + margin))
    if (x1 - x0) * (y1 - y0) > MAX_AREA_SHARE * width * height or max(x1 - x0, y1 - y0) >= SMALL_SIDE:
        return None
    return x0, y0, x1, y1
