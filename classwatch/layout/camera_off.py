"""Camera on or off: a camera-off tile is a flat fill with a name, initials or a small photo.

Camera video, even of a person before a plain wall, has shading, noise and
the person; a camera-off tile is drawn by the app: one colour over most of
the tile, a name, maybe an avatar or a profile photo in the middle. So a
tile is camera-off when at least ``FLAT_SHARE`` of its pixels (half
resolution, outer 5 % left out for a speaker frame or edge ringing) lie
within ``FLAT_TOLERANCE`` grey levels of its commonest level.
"""

from __future__ import annotations

import cv2
import numpy as np

from .rectangles import Rect, lattice_pitch

FLAT_SHARE = 0.5
FLAT_TOLERANCE = 3


def shows_video(grey: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(T,) True where a tile shows camera video. grey: (H, W) uint8; boxes: (T, 4) x, y, w, h."""
    half = cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2), interpolation=cv2.INTER_NEAREST)
    video = np.ones(len(boxes), bool)
    for i, (x, y, w, h) in enumerate(np.asarray(boxes, np.int64) // 2):
        mx, my = max(1, w // 20), max(1, h // 20)
        patch = half[max(0, y + my) : y + h - my, max(0, x + mx) : x + w - mx]
        if patch.size == 0:
            continue
        hist = cv2.calcHist([patch], [0], None, [256], [0, 256]).ravel()
        mode = int(hist.argmax())
        flat = hist[max(0, mode - FLAT_TOLERANCE) : mode + FLAT_TOLERANCE + 1].sum() / patch.size
        video[i] = flat < FLAT_SHARE
    return video


def empty_cells(grey: np.ndarray, group: list[Rect]) -> list[Rect]:
    """Camera-off tiles with no visible edge, in the lattice of a group of tiles.

    Meet and Teams paint a camera-off tile in the background colour: only its
    avatar and name show, so no rectangle can be found. They sit in the
    lattice the group's tiles span (pitch = the smallest spacing between
    rows and between columns). A free cell of it is a camera-off tile when it
    is mostly flat (``FLAT_SHARE``) but not empty (at least ``MIN_CONTENT``
    of its pixels differ from the fill by ``CONTENT_STEP`` levels) and what
    differs stays off its border (an avatar and a name inside a card, not the
    edge of something passing through).
    """
    if len(group) < 2:
        return []
    w, h = group[0].width, group[0].height
    pitch_x, pitch_y = lattice_pitch([r.x0 for r in group], w), lattice_pitch([r.y0 for r in group], h)
    if pitch_x is None or pitch_y is None:
        return []
    # The lattice's origin: the tile nearest the top-left, each start fitted to its step.
    x_ref, y_ref = min(r.x0 for r in group), min(r.y0 for r in group)
    cols = {round((r.x0 - x_ref) / pitch_x) for r in group}
    rows = {round((r.y0 - y_ref) / pitch_y) for r in group}
    taken = {(round((r.x0 - x_ref) / pitch_x), round((r.y0 - y_ref) / pitch_y)) for r in group}
    height, width = grey.shape
    found = []
    for j in range(min(rows), max(rows) + 1):
        for i in range(min(cols), max(cols) + 1):
            x, y = round(x_ref + i * pitch_x), round(y_ref + j * pitch_y)
            cell = Rect(x, y, x + w, y + h, 0.0)
            if (i, j) in taken or x < 0 or y < 0 or x + w > width or y + h > height or any(cell.overlap(r) for r in group):
                continue
            if _is_card(grey[y : y + h, x : x + w]):
                found.append(cell)
    return found


MIN_CONTENT = 0.005
CONTENT_STEP = 24
#: Share of the cell's outer two pixels that may differ from the fill (a name label near the edge).
MAX_EDGE_CONTENT = 0.15


def _is_card(cell: np.ndarray) -> bool:
    h, w = cell.shape
    my, mx = max(1, h // 20), max(1, w // 20)
    inner = cell[my : h - my, mx : w - mx]
    hist = cv2.calcHist([inner], [0], None, [256], [0, 256]).ravel()
    mode = int(hist.argmax())
    if hist[max(0, mode - FLAT_TOLERANCE) : mode + FLAT_TOLERANCE + 1].sum() < FLAT_SHARE * inner.size:
        return False
    content = np.abs(inner.astype(np.int16) - mode) >= CONTENT_STEP
    if content.mean() < MIN_CONTENT:
        return False
    edge = np.concatenate([content[:2].ravel(), content[-2:].ravel(), content[:, :2].ravel(), content[:, -2:].ravel()])
    return edge.mean() < MAX_EDGE_CONTENT
