"""Find the layout once, check it cheaply on every frame, find it again when it changed.

A call's layout changes far less often than faces move: someone joins,
leaves, starts sharing or the window is resized. Finding it costs a
whole-frame face detection plus the rectangle search (tens of milliseconds),
checking it costs a few thousand pixel differences. So the tracker keeps the
layout it found and, each frame,

* re-reads which tiles show video (a camera switched on or off keeps its tile);
* checks that the layout stands as found (``watch.py``: the tiles' sides, the
  gaps between them, each tile's interior);
* finds the layout again when it does not, when the frame size changed, or
  every ``MAX_AGE_S`` seconds anyway; that periodic search keeps the layout
  it holds unless it finds one that puts more faces in tiles. A frame with
  no tiles is looked at again every ``RETRY_S`` seconds.

Where the check saw something new (a block of the gaps stepped, a tile
emptied) and the search finds no tile there (a video playing between tiles,
someone's picture gone as dark as the gallery), that place is watched no more
until the next search for another reason: otherwise it would ask for a search
every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..detect import FaceDetector
from ..types import FaceDetections, TileLayout
from .camera_off import shows_video
from .region import layout_and_faces
from .watch import Watch

MAX_AGE_S = 30.0
RETRY_S = 3.0


@dataclass
class _Found:
    layout: TileLayout
    shape: tuple[int, ...]
    t: float
    watch: Watch


class LayoutTracker:
    """``update(image, t)`` -> the frame's TileLayout, found afresh only when needed."""

    def __init__(self, detector: FaceDetector) -> None:
        self.detector = detector
        self._found: _Found | None = None
        #: Whether the last update found the layout afresh (benchmarks and tests).
        self.last_found = False
        #: The faces the last update's search found over the frame (None when it did not search): they
        #: size the first detection of each new tile (``FaceFollower.detect``).
        self.last_faces: FaceDetections | None = None

    def reset(self) -> None:
        self._found = None

    def update(self, image: np.ndarray, t: float) -> TileLayout:
        self.last_faces = None
        found = self._found
        resized = found is None or image.shape != found.shape
        fresh = resized or not 0 <= t - found.t < (MAX_AGE_S if found.layout.grid else RETRY_S)
        if not fresh and not found.layout.grid:
            self.last_found = False
            return found.layout
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        news = None
        if not fresh and not found.watch.moved(grey):
            news = found.watch.news(grey)
            if news is None:
                self.last_found = False
                return _reread(found.layout, grey)
        # The periodic search replaces a layout only with one that explains more faces; a search the
        # watch asked for, or a new frame size, takes what it finds.
        held = found.layout if fresh and not resized else None
        layout, self.last_faces = layout_and_faces(image, self.detector, held)
        if layout is held:
            layout = _reread(held, grey)
        boxes = layout.boxes if layout.grid else np.zeros((0, 4), np.int64)
        # Asked for by news among tiles that stood: the periodic search stays due, and what was new
        # is muted from now on; where the new layout has a tile, nothing is watched anyway.
        muted = None if news is None else found.watch.muted | news
        self._found = _Found(layout, image.shape, t if news is None else found.t, Watch.of(grey, boxes, muted))
        self.last_found = True
        return layout


def _reread(layout: TileLayout, grey: np.ndarray) -> TileLayout:
    """The same tiles, each read again as video or camera-off in this frame (a camera is switched
    on or off without the layout moving)."""
    return TileLayout(layout.boxes, shows_video(grey, layout.boxes), grid=True)
