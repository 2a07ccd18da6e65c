"""The face-detector interface and the per-tile logic every detector shares.

A gallery frame is analysed tile by tile rather than as one picture: each
tile is scaled on its own so small faces in a large grid stay big enough for
the detector, a face is attributed to exactly one tile by construction (it is
found inside that tile's crop), and camera-off tiles are never looked at, so
a name or an avatar can never become a face. A frame without a gallery
grid is searched whole (``_detect_frame``), which a detector whose reach
depends on scale does at several scales, with stricter checks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np

from ..types import FaceDetections, TileLayout

#: A tile may show several people: two sharing a laptop, or a meeting room's
#: camera (meet_room4.png in the real screenshots: five people in one tile).
#: The cap only bounds what a textured background can add.
MAX_FACES_PER_TILE = 8
#: People sharing one webcam sit at about the same distance from it, so a
#: "face" under 0.6 of the size of the surest one in its tile is a photo on
#: the wall (meet_grid75.png: a framed portrait at 0.52), a pattern on
#: clothing (a detector may take a spacesuit's collar ring) or someone passing
#: far behind: not a participant.
MIN_RELATIVE_SIZE = 0.6


class FaceDetector(Protocol):
    """Finds faces in a BGR frame, per tile when a gallery layout is known."""

    name: str

    def detect(self, image: np.ndarray, layout: TileLayout | None = None, face_heights: np.ndarray | None = None) -> FaceDetections:
        """image: (H, W, 3) uint8 BGR. Boxes come back in pixels of ``image``.

        face_heights: (T,) for each tile of ``layout``, the height in pixels of
        the smallest face last seen there (0: none known). A detector may look
        at such a tile at a cheaper scale that still finds faces half that
        tall: smaller ones would be dropped anyway (``MIN_RELATIVE_SIZE``).
        """
        ...


class TiledDetector(ABC):
    """Runs a region detector over the video tiles of a layout (or the whole frame).

    Subclasses implement ``_detect_regions``; this class decides which regions
    to look at, keeps the best ``max_faces_per_tile`` faces of each tile and
    labels them with their tile index.
    """

    name: str
    #: Score a face needs to be kept beside a better one in the same tile.
    #: Most tiles show one person, so a second face needs stronger evidence
    #: than the first (a collar or a poster is usually the "second face").
    extra_face_min_score: float = 0.0

    def __init__(self, max_faces_per_tile: int = MAX_FACES_PER_TILE) -> None:
        self.max_faces_per_tile = max_faces_per_tile

    def detect(self, image: np.ndarray, layout: TileLayout | None = None, face_heights: np.ndarray | None = None) -> FaceDetections:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 image, got {image.shape} {image.dtype}")
        regions, tiles = _regions(image.shape[1], image.shape[0], layout)
        if not len(regions):
            return FaceDetections.empty()
        # Per-tile rules only make sense for a real tile: a whole frame (a
        # photo, or a gallery whose grid was not found) may hold many faces
        # at many distances.
        per_tile = layout is not None and layout.grid
        limit = self.max_faces_per_tile if per_tile else None
        if per_tile:
            known = np.zeros(len(regions)) if face_heights is None else np.asarray(face_heights, np.float64)[tiles]
            found = self._detect_regions(image, regions, limit, known)
        else:
            found = [self._detect_frame(image)]
        parts = []
        for tile, faces in zip(tiles, found):
            if per_tile and len(faces) > 1:
                best = faces.scores == faces.scores.max()
                # Sizes are compared with the surest face, not the largest: a large false face (a
                # fan or a drum kit behind someone) must not make the participant look "too small".
                surest = faces.boxes[best, 3].max()
                faces = faces.select(
                    (best | (faces.boxes[:, 3] >= MIN_RELATIVE_SIZE * surest))
                    & (best | (faces.scores >= self.extra_face_min_score))
                )
            if per_tile:
                faces = faces.select(~_in_nested_tile(faces, tile, layout))
            faces = faces.select(np.argsort(-faces.scores, kind="stable")[:limit])
            parts.append(FaceDetections(faces.boxes, faces.scores, faces.keypoints, np.full(len(faces), tile)))
        return FaceDetections.concat(parts)

    def _detect_frame(self, image: np.ndarray) -> FaceDetections:
        """All faces in a whole frame that has no gallery grid (boxes in pixels of ``image``).

        By default one region like any tile; a detector whose reach depends
        on the scale it looks at overrides this to search several scales.
        """
        return self._detect_regions(image, np.array([[0, 0, image.shape[1], image.shape[0]]], np.int32), None, np.zeros(1))[0]

    @abstractmethod
    def _detect_regions(self, image: np.ndarray, regions: np.ndarray, limit: int | None, known: np.ndarray) -> list[FaceDetections]:
        """Faces inside each region.

        regions: (R, 4) int (x, y, w, h), non-empty and inside ``image``.
        limit: how many faces per region will be kept (None: all), for
        detectors that can save work with it; returning more is fine.
        known: (R,) smallest face height last seen in each region, 0 if none
        (see ``FaceDetector.detect``); a detector may ignore it.
        Returns R FaceDetections with boxes and keypoints in pixels of ``image``.
        """


def _in_nested_tile(faces: FaceDetections, tile: int, layout: TileLayout) -> np.ndarray:
    """(N,) whether each face found in ``tile`` is centred in a smaller tile lying over it (a
    filmstrip floating over a speaker's video): that face is the smaller tile's, not this one's."""
    boxes = layout.boxes.astype(np.float64)
    area = boxes[:, 2] * boxes[:, 3]
    inner = np.flatnonzero(area < area[tile])
    return faces.centred_in(boxes[inner]).any(axis=1)


def _regions(width: int, height: int, layout: TileLayout | None) -> tuple[np.ndarray, np.ndarray]:
    """The (R, 4) regions to search and the (R,) tile index each belongs to.

    Without a grid the whole frame is searched; it is the layout's single
    fallback tile (index 0) when a layout was given, else unattributed (-1).
    With a grid, camera-off tiles are skipped and tiles are clipped to the
    frame so a slightly-off layout cannot index outside the image.
    """
    if width == 0 or height == 0:
        return np.zeros((0, 4), np.int32), np.zeros(0, np.int32)
    if layout is None or not layout.grid:
        tile = 0 if layout is not None and len(layout) else -1
        return np.array([[0, 0, width, height]], np.int32), np.array([tile], np.int32)
    x0 = np.clip(layout.boxes[:, 0], 0, width)
    y0 = np.clip(layout.boxes[:, 1], 0, height)
    x1 = np.clip(layout.boxes[:, 0] + layout.boxes[:, 2], 0, width)
    y1 = np.clip(layout.boxes[:, 1] + layout.boxes[:, 3], 0, height)
    keep = layout.video & (x1 > x0) & (y1 > y0)
    regions = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)[keep].astype(np.int32)
    return regions, np.flatnonzero(keep).astype(np.int32)
