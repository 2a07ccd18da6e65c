"""Camera on or off: a camera-off tile is a flat fill with a name, initials or a small photo.

Camera video, even of a person before a plain wall, has shading, noise and
the person; a camera-off tile is drawn by the app: one colour over most of
the tile, a name, maybe an avatar or a profile photo in the middle. So a
tile is camera-off when at least ``FLAT_SHARE`` of its pixels (half
resolution, outer 5 % left out for a speaker frame or edge ringing) lie
within ``FLAT_TOLERANCE`` grey levels of its commonest level, unless a band
of columns holds a picture from top to bottom (a portrait phone video
between black bars is as flat, but its picture fills its height).

A fill the app painted is exact: even in a JPEG, nearly all of the pixels
near its level sit within one level of it. A dark or dimmed video (Meet dims
a filmstrip tile; a room with the lights off) can be as flat within three
levels, but its noise spreads the levels, so a fill counts as painted only
when ``PAINTED`` of its near pixels are that exact (real cards: 0.86 or more;
Meet's dimmed filmstrip tile: 0.52).
"""

from __future__ import annotations

import cv2
import numpy as np

from .rectangles import Rect, lattice_cells

FLAT_SHARE = 0.5
FLAT_TOLERANCE = 3
PAINTED = 0.75
#: A portrait video between black bars: a band of columns at least BAND_WIDTH of the tile's height
#: wide (9:16 video is 0.56) whose top and bottom tenth differ from the fill over BAND_FILL of it.
BAND_WIDTH = 0.3
BAND_FILL = 0.6


def shows_video(grey: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(T,) True where a tile shows camera video. grey: (H, W) uint8; boxes: (T, 4) x, y, w, h."""
    half = cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2), interpolation=cv2.INTER_NEAREST)
    video = np.ones(len(boxes), bool)
    for i, (x, y, w, h) in enumerate(np.asarray(boxes, np.int64) // 2):
        mx, my = max(1, w // 20), max(1, h // 20)
        patch = half[max(0, y + my) : y + h - my, max(0, x + mx) : x + w - mx]
        if patch.size == 0:
            continue
        fill, flat = flat_fill(patch)
        video[i] = flat < FLAT_SHARE or _has_picture_band(patch, fill)
    return video


def flat_fill(pixels: np.ndarray) -> tuple[int, float]:
    """The commonest grey level of some uint8 pixels, and the share of them within FLAT_TOLERANCE
    of it: near 1 for a fill the app painted, well under FLAT_SHARE for camera video. When the
    fill is not painted (see the module doc), only the pixels within one level of it count."""
    hist = cv2.calcHist([np.ascontiguousarray(pixels).reshape(-1, 1)], [0], None, [256], [0, 256]).ravel()
    fill = int(hist.argmax())
    near = hist[max(0, fill - FLAT_TOLERANCE) : fill + FLAT_TOLERANCE + 1].sum()
    exact = hist[max(0, fill - 1) : fill + 2].sum()
    return fill, float((near if exact >= PAINTED * near else exact) / pixels.size)


def _has_picture_band(patch: np.ndarray, fill: int) -> bool:
    """Whether a band of columns, at least BAND_WIDTH of the patch's height wide, holds a picture
    that reaches its top and bottom: a portrait phone video between black bars.

    Such a tile is mostly black, as flat as a camera-off card; but a card's avatar, photo or
    name sits in the middle with the fill above and below it (on the real screenshots, at most a
    third of a card's top and bottom tenth differs from its fill; a video fills them).
    """
    content = np.abs(patch.astype(np.int16) - fill) > FLAT_TOLERANCE
    band = content.mean(axis=0) >= 0.5
    edges = np.flatnonzero(np.diff(np.concatenate([[0], band.astype(np.int8), [0]])))
    if not len(edges):
        return False
    k = int(np.argmax(edges[1::2] - edges[::2]))
    c0, c1 = edges[2 * k], edges[2 * k + 1]
    rim = max(1, patch.shape[0] // 10)
    reaches = min(content[:rim, c0:c1].mean(), content[-rim:, c0:c1].mean()) >= BAND_FILL
    return c1 - c0 >= BAND_WIDTH * patch.shape[0] and bool(reaches)


def empty_cells(grey: np.ndarray, group: list[Rect]) -> list[Rect]:
    """Camera-off tiles with no visible edge, in the lattice of a group of tiles.

    Meet and Teams paint a camera-off tile in the background colour: only its
    avatar and name show, so no rectangle can be found, but it sits in a cell
    of the lattice the group's tiles span (``rectangles.lattice_cells``). A
    free cell is a camera-off tile when it is mostly flat (``FLAT_SHARE``)
    but not empty (at least ``MIN_CONTENT`` of its pixels differ from the
    fill by ``CONTENT_STEP`` levels) and what differs stays off its border
    (an avatar and a name inside a card, not the edge of something passing
    through). A free cell may overlap a tile by a sliver (``CELL_SLIVER``).
    """
    height, width = grey.shape
    cells = lattice_cells(group, width, height, max_overlap=CELL_SLIVER)
    return [c for c in cells if _is_card(grey[c.y0 : c.y1, c.x0 : c.x1])]


#: The lattice and the tiles found are rounded to pixels, and under JPEG a tile is found a pixel or
#: two wide: a free cell may overlap one by this share of its area (2 px along Meet's 142 px tiles).
#: Measured, ``capture_scale.py --jpeg 70``: none allowed, one of Meet's 75 cards is lost at 0.5 and
#: 0.9 (tiles right 124 -> 127 of 147 over 0.5-1.5 with it); 0.05: a Zoom gallery at 0.6 gains a card
#: beside its last row, and faces on avatars at 0.5.
CELL_SLIVER = 0.015


MIN_CONTENT = 0.005
CONTENT_STEP = 24
#: Share of the cell's outer two pixels that may differ from the fill (a name label near the edge).
MAX_EDGE_CONTENT = 0.15


def _is_card(cell: np.ndarray) -> bool:
    h, w = cell.shape
    my, mx = max(1, h // 20), max(1, w // 20)
    inner = cell[my : h - my, mx : w - mx]
    fill, flat = flat_fill(inner)
    if flat < FLAT_SHARE:
        return False
    content = np.abs(inner.astype(np.int16) - fill) >= CONTENT_STEP
    if content.mean() < MIN_CONTENT:
        return False
    edge = np.concatenate([content[:2].ravel(), content[-2:].ravel(), content[:, :2].ravel(), content[:, -2:].ravel()])
    return edge.mean() < MAX_EDGE_CONTENT
