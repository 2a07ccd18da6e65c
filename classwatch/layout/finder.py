"""Find the participant tiles of a real call from its faces and its straight lines.

How the tiles are found
-----------------------
1. Every face proposes the rectangles around it (``rectangles.around_face``).
2. The faces vote on a tile size: a size counts once per face that has a
   rectangle of about that size (3 %), weighted 1/k when that rectangle holds
   k faces, so two stacked tiles (a rectangle around two faces) do not
   outvote the single tile each face sits in, while a room camera's tile,
   four people in one rectangle, still counts as one tile's worth. A gallery
   is many faces in tiles of one size; a window frame or a picture behind one
   person is a rectangle of its own size that no other face shares.
3. Every rectangle of the winning size is looked for in the whole frame
   (``rectangles.of_size``): this finds the tiles with no face (camera off,
   someone turned away). Rectangles that cut through a face (its eyes and
   nose), that overlap one already taken, or that hold no face and sit off
   the lattice of the tiles that do (rows and columns a whole pitch apart)
   are dropped, and so is one that holds a face but lies across the rows
   of its column's tiles (a name label's baseline, ``lattice.py``).
   When the tiles found each sit centred in a larger rectangle holding the
   same faces (a profile photo on its camera-off card), those are the tiles.
   Camera-off cards painted in the background colour are read off the
   lattice the tiles span (``camera_off.empty_cells``).
   The sizes a few percent off the winner that faces voted for too are
   searched with it (apps split a gallery into tiles a pixel or a few
   percent apart). A tile of a group of several that touches none of the
   others across a gutter (``_touching``) is dropped, and a group left with
   none is refused: apps lay tiles out edge to edge, and rectangles of one
   size a tile apart are the windows behind a room's people or the frames
   around profile photos.
4. The faces left over vote again (a filmstrip beside a speaker, a
   participant strip above shared content), until no size has two faces.
5. Faces left over beside a small strip of tiles with video showing between
   them are a full-bleed speaker under a floating filmstrip: the whole frame
   is the speaker's tile (``_floats_over_video``; a face inside a smaller
   tile lying over a larger one is the smaller tile's, see detect/base.py).
   Otherwise a face still without a tile takes the rectangle around it that
   cuts no tile and holds the most faces left over, the best of those
   (``_speaker``: the speaker of a speaker view, maybe behind a floating
   filmstrip, or a meeting room's camera showing several people). A faceless
   tile in the speaker's tile whose kin lie outside it was a rectangle in the
   speaker's picture (``_in_picture``), and goes.
6. Each tile is then video or camera-off (``camera_off.py``).

No face, or no rectangle around any face: the frame has no tiles (a photo of
a room, a single portrait, a classroom camera), and every face counts.

Frames wider or taller than ``WORK_SIDE`` (4K) are searched at half size:
tile sides stay lines, and the searches cost in proportion to the pixels.
Frames smaller than ``SMALL_SIDE`` are searched three times, as they are and
enlarged ``SMALL_ZOOM`` times (pixels repeated, so a line stays sharp): in a
small capture a gutter is two or three pixels, narrower than the
neighbourhood a line is judged against (``edges.py``). The enlarged frame is
read twice: with steps between neighbouring pixels, and with steps spanning
a pixel of the capture either way, which keeps the gutters that scaling
blurred into a ramp (``LineMaps.of``'s ``span``; Zoom's 17-tile galleries at
0.5-0.6 of their size). The wider span alone loses Meet's small filmstrips,
whose tiles the neighbouring-pixel steps still find. The layout that puts
more faces in tiles wins (``explained``; on a tie, the one with more tiles: it
saw more gutters; then the later, enlarged search), less one for each tile of
a size no other tile has (a window or a pillar in a room's picture): measured
on the real screenshots shrunk to 0.5-1.5 of their size, recall 0.960 -> 0.968
and tiles right 120 -> 122 of 147, the same at their own size.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..types import FaceDetections, TileLayout
from .camera_off import empty_cells, flat_fill, shows_video
from .edges import LineMaps
from .lattice import on_lattice
from .rectangles import Rect, around_face, lattice_cells, of_size

#: Frames are searched with their long side at most this many pixels, shrunk by a whole factor.
WORK_SIDE = 3000
#: Frames with a long side under SMALL_SIDE are also searched SMALL_ZOOM times larger. Measured on
#: the real screenshots resized 0.5-1.5: 1000 -> 1200 reads Zoom's side-by-side galleries at half size
#: (1120 px wide, 2-3 px gutters; tiles right 13 -> 15 of 21 at 0.5, no change elsewhere); 1400 loses
#: zoom_share_column10 at 0.6 (1350 px wide). The enlarged frame read with steps spanning a capture
#: pixel as well: tiles right 15 -> 18 at 0.5, 17 -> 20 at 0.6, 19 -> 20 at 0.75, the same elsewhere;
#: with that span alone (no search with neighbouring-pixel steps) 0.9 and 1.5 lose faces on Meet's
#: filmstrip and 0.5 a Zoom strip's camera-off tile.
SMALL_SIDE = 1200
SMALL_ZOOM = 2
#: A frame narrower than this either way holds no tiles (and is too thin for the line maps' steps).
MIN_SIDE = 16
#: Sizes within this fraction (or SIZE_SLACK pixels) are the same tile size.
SIZE_TOLERANCE = 0.03
SIZE_SLACK = 2
#: A tile size needs this many faces' worth of votes (2: two faces agree).
MIN_VOTES = 1.5
#: At most this many tile sizes per frame (gallery, strip, filmstrip ...).
MAX_GROUPS = 4
#: Sizes searched for one vote: the winner and those a few percent off it.
MAX_SIZES = 3
#: A speaker's tile may hold a floating filmstrip whose faces are this many times smaller.
OVERLAY_FACES = 3
#: A filmstrip floating over a full-bleed speaker covers at most this share of the frame, and the
#: gaps between its tiles, where the video shows, at least MIN_GAP_SHARE of the strip.
FILMSTRIP_SHARE = 0.35
MIN_GAP_SHARE = 0.05
#: ... and "video shows between" means under this share of the gaps is one flat fill. Not
#: FLAT_SHARE: the gaps also hold the pixel or two of each tile's edge that its box leaves out,
#: which JPEG smears (Zoom's strip beside a shared screen: 0.65 of its gaps flat, 0.46 at JPEG
#: quality 70 and 40; the room camera between Meet's floating filmstrip: 0.04-0.12).
BETWEEN_FLAT = 0.3
#: A tile side may cross this share of a face's core (eyes and nose) at either end: someone sitting
#: at the side of their tile has a face the side cuts, and YuNet still places both eyes, the far
#: one a pixel past the side (Meet's 75 grid at 1.25 of its size: a tile lost for 0.3 px). Measured,
#: ``capture_scale.py``, tiles right of 147: lossless 138 -> 140, ``--jpeg 70`` 127 -> 128,
#: ``--jpeg 90`` 132 -> 133, ``--page 235`` and ``--page 30`` 138 -> 140, recall the same; 0.2 also
#: 140 lossless but loses a face at 1.5.
CORE_SLACK = 0.1
#: Tiles overlapping by more than this fraction are the same tile.
MAX_OVERLAP = 0.1
#: Two tiles of a group are neighbours when the gutter between them is at most GUTTER_SHARE of a
#: tile and they share at least SHARED_SIDE of the shorter side they face each other with (a
#: centred last row sits half a tile over). Real gutters are 0-8 % of a tile; the rectangles this
#: drops (the windows behind meet_filmstrip5.png's room, a filmstrip tile merged with its
#: neighbour and a frame in the speaker's picture) are more than a tile apart. Measured,
#: ``capture_scale.py``, tiles right of 147 at offsets 0 / 3 / 5: lossless 139 / 135 / 130 ->
#: 139 / 138 / 132, ``--jpeg 70`` 128 / 126 / 121 -> 129 / 125 / 122 and faces on avatars 0 / 5 / 0
#: -> 0 / 1 / 0; busy page 127 = 127; meet_speaker4.png at full size right (21 of 21).
GUTTER_SHARE = 0.25
SHARED_SIDE = 0.25
#: A rectangle around a tile must be this much larger both ways, and centred on it (its centre at most
#: OUTER_OFFSET of its size away), to be the tile around a picture: a photo sits in the middle of its card.
OUTER_GROWTH = 1.3
OUTER_OFFSET = 0.2


def find_layout(image: np.ndarray, faces: FaceDetections) -> TileLayout:
    """The tiles of a call screenshot, found from the faces detected in the whole frame.

    image: (H, W, 3) uint8 BGR. faces: all faces found in it (boxes in its
    pixels). Returns the whole frame as one tile (``grid`` False) when no
    tile structure is found.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"find_layout expects (H, W, 3) uint8 BGR, got {image.shape} {image.dtype}")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        return TileLayout.whole_frame(width, height)
    # A whole factor keeps every tile the same size in pixels (at 0.74, tiles of one gallery come
    # out 213, 214 or 215 pixels wide, and the search for one size misses some).
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    # Each search: the scale the frame is read at, and how many pixels a step spans either way.
    searches = [(1.0 / int(np.ceil(max(height, width) / WORK_SIDE)), 1)]
    if max(height, width) < SMALL_SIDE:
        searches += [(float(SMALL_ZOOM), 1), (float(SMALL_ZOOM), SMALL_ZOOM)]
    best = None
    works: dict[float, tuple[np.ndarray, np.ndarray]] = {1.0: (image, grey)}  # the frame at each scale, made once
    for scale, span in searches:
        if scale not in works:
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
            work = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
            works[scale] = (work, cv2.cvtColor(work, cv2.COLOR_BGR2GRAY))
        work, work_grey = works[scale]
        tiles = _tiles(work_grey, LineMaps.of(work, span), _scaled_faces(faces, scale))
        if not tiles:
            continue
        boxes = frame_boxes(_row_major(tiles), scale, width, height)
        layout = TileLayout(boxes, shows_video(grey, boxes), grid=True)
        # On a tie, the layout with more tiles wins: the enlarged search saw gutters that the frame
        # as it is blurs away (BigBlueButton's dock at 0.6-0.75 of its size: two tiles read as one).
        # With as many tiles too, the later search wins, an enlarged one over the frame as it is: its
        # tiles are read off sharper gutters (zoom_es17c at 0.75 with 3 px cut: the frame as it is
        # found tiles of three widths, one 7 px high, across a video tile and a card, which then read
        # as video). Measured, ``capture_scale.py``, tiles right of 147 at offsets 0 / 3 / 5: lossless
        # 139 / 134 / 129 -> 139 / 135 / 130, faces on avatars 0 / 1 / 1 -> 0; ``--jpeg 70`` 128 / 125 /
        # 121 -> 128 / 126 / 121, faces on avatars 0 / 6 / 1 -> 0 / 5 / 0; recall the same or higher.
        score = (explained(layout, faces), len(layout))
        if best is None or score >= best[0]:
            best = (score, layout)
    return best[1] if best is not None else TileLayout.whole_frame(width, height)


def frame_boxes(tiles: list[Rect], scale: float, width: int, height: int) -> np.ndarray:
    """(T, 4) int32 x, y, w, h in the pixels of a ``width`` x ``height`` frame of tiles found in it
    searched ``scale`` times its size. The corners are rounded, not the origin and the size: a tile
    at 1359..1530 of an enlarged 1530 px frame is 680 + 86 of a 765 px one, past its side."""
    corners = np.array([[r.x0, r.y0, r.x1, r.y1] for r in tiles], np.float64) / scale
    corners = np.clip(np.round(corners), 0, [width, height, width, height]).astype(np.int32)
    return np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], axis=1)


def explained(layout: TileLayout, faces: FaceDetections) -> int:
    """How well a layout explains the faces: faces in its tiles, less the tiles of a size no
    other tile has (a window frame or a pillar in a room's picture is a rectangle of its own).

    A face in a camera-off tile counts too: it is a profile photo, which its card explains. Counting
    only faces in video tiles let a search that took cards for video win by their photos (Zoom's
    17-tile galleries at 0.5-0.6: tiles right 18 -> 19 of 21 at 0.5, 20 -> 21 at 0.6, faces on
    avatars 2 -> 0 and 1 -> 0; the same at every other scale and at full size)."""
    inside = faces.centred_in(layout.boxes)
    sizes = layout.boxes[:, 2:].astype(np.float64)
    alike = np.all(np.abs(sizes[:, None] - sizes[None]) <= 0.05 * sizes[:, None], axis=2).sum(axis=1)
    return int(inside.any(axis=1).sum()) - int(np.count_nonzero(alike == 1))


class _Faces:
    """Face boxes and the core of each face (eyes and nose, less ``CORE_SLACK`` at each end), which
    no tile side may cross."""

    def __init__(self, boxes: np.ndarray, cores: np.ndarray) -> None:
        self.boxes = boxes  # (N, 4) x, y, w, h
        self.cores = cores  # (N, 4) x0, y0, x1, y1
        self.centres = boxes[:, :2] + boxes[:, 2:] / 2

    def __len__(self) -> int:
        return len(self.boxes)

    def inside(self, rect: Rect) -> np.ndarray:
        c = self.centres
        return (c[:, 0] >= rect.x0) & (c[:, 0] < rect.x1) & (c[:, 1] >= rect.y0) & (c[:, 1] < rect.y1)

    def cut_by(self, rect: Rect) -> bool:
        """Whether a side of ``rect`` runs through the core of a face."""
        x0, y0, x1, y1 = self.cores.T
        rows = (rect.y0 < y1) & (rect.y1 > y0)
        cols = (rect.x0 < x1) & (rect.x1 > x0)
        vertical = ((x0 < rect.x0) & (rect.x0 < x1)) | ((x0 < rect.x1) & (rect.x1 < x1))
        horizontal = ((y0 < rect.y0) & (rect.y0 < y1)) | ((y0 < rect.y1) & (rect.y1 < y1))
        return bool(np.any(vertical & rows) or np.any(horizontal & cols))


def _scaled_faces(faces: FaceDetections, scale: float) -> _Faces:
    boxes = faces.boxes.astype(np.float64) * scale
    if faces.keypoints.shape[1] >= 3:
        # YuNet's first three landmarks: right eye, left eye, nose tip.
        points = faces.keypoints[:, :3].astype(np.float64) * scale
        cores = np.concatenate([points.min(axis=1), points.max(axis=1)], axis=1)
    else:  # no landmarks (Haar): the middle of the box
        centre, half = boxes[:, :2] + boxes[:, 2:] / 2, boxes[:, 2:] * 0.2
        cores = np.concatenate([centre - half, centre + half], axis=1)
    inset = CORE_SLACK * (cores[:, 2:] - cores[:, :2])
    return _Faces(boxes, np.concatenate([cores[:, :2] + inset, cores[:, 2:] - inset], axis=1))


def _tiles(grey: np.ndarray, lines: LineMaps, faces: _Faces) -> list[Rect]:
    around = [around_face(lines, box) for box in faces.boxes]
    tiles: list[Rect] = []
    placed = np.zeros(len(faces), bool)
    refused: list[tuple[int, int]] = []
    for _ in range(MAX_GROUPS):
        size = _vote(around, faces, placed, lines.width, lines.height, refused)
        if size is None:
            break
        new = _group(lines, faces, tiles, size)
        if not new:
            break
        # A picture inside each tile (a profile photo on a camera-off card, a framed portrait) is
        # a rectangle of one size around each face too: the tiles are the rectangles around those.
        outer = _outer_size(new, around, faces)
        if outer is not None:
            new = _group(lines, faces, tiles, [outer]) or new
        # A video tile whose sides drown in its picture (small people before a brick wall) still
        # sits in the group's lattice: a free cell holding faces is a tile.
        new += [c for c in lattice_cells(new, lines.width, lines.height, MAX_OVERLAP) if _holds_faces(c, faces, placed, tiles)]
        # Faces on those cards are avatars: placed, so they start no group of their own.
        # Their lattice includes the tiles of earlier groups of about the same size: a capture that
        # cuts a gallery's first column narrower gets those tiles, and the last row's, voted apart.
        kin = [t for t in tiles if _alike(t, new[0])]
        new += [cell for cell in empty_cells(grey, new + kin) if not any(cell.overlap(t) for t in tiles)]
        new = _touching(new, kin)
        if not new:
            refused += size
            continue
        tiles += new
        for tile in new:
            placed |= faces.inside(tile)
    # A filmstrip floating over a full-bleed speaker (Meet): the tiles found sit in a small
    # strip, the faces left over are outside it, in a picture that is camera video: the whole
    # frame is the speaker's tile, with the filmstrip on top.
    if tiles and (~placed).any() and _floats_over_video(grey, tiles, faces, placed):
        tiles.append(Rect(0, 0, lines.width, lines.height, 1.0))
        placed[:] = True
    # A lone rectangle around one face is a tile only beside tiles found by the votes (a speaker
    # beside a filmstrip); alone, it is as likely a window or a door behind someone in a photo.
    for i in np.flatnonzero(~placed) if tiles else ():
        if not placed[i]:
            speaker = _speaker(i, around[i], faces, tiles, placed)
            if speaker is not None:
                tiles = [t for t in tiles if not _in_picture(t, speaker, tiles, faces)] + [speaker]
                placed |= faces.inside(speaker)
    return tiles


def _in_picture(tile: Rect, speaker: Rect, tiles: list[Rect], faces: _Faces) -> bool:
    """Whether a tile lying in a speaker's tile is a rectangle in the speaker's picture: it holds no
    face, and tiles of its size lie outside the speaker's (a window frame one column left of
    BigBlueButton's dock). A filmstrip floating over the speaker lies in it whole."""
    kin_outside = any(_alike(t, tile) and not speaker.overlap(t) for t in tiles if t is not tile)
    return _holds_whole(speaker, tile) and kin_outside and not faces.inside(tile).any()


def _floats_over_video(grey: np.ndarray, tiles: list[Rect], faces: _Faces, placed: np.ndarray) -> bool:
    """Whether the tiles found are a filmstrip over a full-bleed speaker: they fit in a strip of at
    most FILMSTRIP_SHARE of the frame, every face left over is outside it, and the speaker's video
    shows between the strip's tiles (beside a shared screen, an app's strip sits on its flat
    background)."""
    height, width = grey.shape
    x0, y0 = min(t.x0 for t in tiles), min(t.y0 for t in tiles)
    x1, y1 = max(t.x1 for t in tiles), max(t.y1 for t in tiles)
    strip = Rect(x0, y0, x1, y1, 0.0)
    if strip.width * strip.height > FILMSTRIP_SHARE * width * height or (faces.inside(strip) & ~placed).any():
        return False
    gaps = np.ones((y1 - y0, x1 - x0), bool)
    for t in tiles:
        gaps[max(0, t.y0 - y0) : t.y1 - y0, max(0, t.x0 - x0) : t.x1 - x0] = False
    between = grey[y0:y1, x0:x1][gaps]
    if between.size < MIN_GAP_SHARE * strip.width * strip.height:
        return False
    return flat_fill(between)[1] < BETWEEN_FLAT


def _touching(group: list[Rect], kin: list[Rect]) -> list[Rect]:
    """The tiles of a group that touch another of its tiles (or of ``kin``) across a gutter.

    Apps lay a gallery or a strip out edge to edge, a gutter apart; rectangles of one size far
    apart are more likely things in a picture (the windows behind a room's people, a frame behind
    a speaker, a profile photo in each card). A group of one tile (a speaker) is what it is.
    """
    if len(group) + len(kin) < 2:
        return group
    others = group + kin
    return [a for a in group if any(_neighbours(a, b) for b in others if b is not a)]


def _neighbours(a: Rect, b: Rect) -> bool:
    """Whether two tiles sit side by side or one above the other, at most GUTTER_SHARE of a tile apart."""
    def beside(a0: int, a1: int, b0: int, b1: int, c0: int, c1: int, d0: int, d1: int) -> bool:
        # (a0, a1) and (b0, b1) along the gap's axis; (c0, c1) and (d0, d1) across it.
        across = min(c1, d1) - max(c0, d0)
        gap = max(a0, b0) - min(a1, b1)
        size = min(a1 - a0, b1 - b0)
        return across >= SHARED_SIDE * min(c1 - c0, d1 - d0) and -MAX_OVERLAP * size <= gap <= GUTTER_SHARE * size

    return beside(a.x0, a.x1, b.x0, b.x1, a.y0, a.y1, b.y0, b.y1) or beside(a.y0, a.y1, b.y0, b.y1, a.x0, a.x1, b.x0, b.x1)


def _holds_whole(outer: Rect, tile: Rect) -> bool:
    """Whether ``tile`` lies in ``outer`` but for MAX_OVERLAP of it (a tile floating over another)."""
    return outer.overlap(tile) >= (1 - MAX_OVERLAP) * tile.width * tile.height


def _within_slack(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two sizes (width, height) are within SIZE_SLACK pixels of each other both ways."""
    return abs(a[0] - b[0]) <= SIZE_SLACK and abs(a[1] - b[1]) <= SIZE_SLACK


def _alike(a: Rect, b: Rect) -> bool:
    """Whether two tiles are about the same size (SIZE_TOLERANCE plus SIZE_SLACK pixels each way)."""
    return abs(a.width - b.width) <= SIZE_TOLERANCE * b.width + SIZE_SLACK and abs(a.height - b.height) <= SIZE_TOLERANCE * b.height + SIZE_SLACK


def _holds_faces(cell: Rect, faces: _Faces, placed: np.ndarray, tiles: list[Rect]) -> bool:
    """Whether a lattice cell holds faces no tile holds, cuts none, and overlaps no tile found before."""
    return bool((faces.inside(cell) & ~placed).any()) and not faces.cut_by(cell) and not any(
        cell.overlap(t) > MAX_OVERLAP * cell.width * cell.height for t in tiles
    )


def _speaker(i: int, around: list[Rect], faces: _Faces, tiles: list[Rect], placed: np.ndarray) -> Rect | None:
    """The rectangle around face ``i`` that can be a speaker's tile beside ``tiles`` and holds the
    most faces not yet placed (a room camera's people share one tile; each also sits inside a
    window or a picture frame behind them), the best of those; or None.

    It is no smaller than those tiles (a filmstrip's tiles are the small ones), cuts no face, and
    overlaps no tile unless it holds it whole: a filmstrip floating over the speaker's video,
    whose faces are OVERLAY_FACES times smaller than the speaker's.
    """
    smallest = min(t.width * t.height for t in tiles)
    best, most = None, 0
    for rect in around:
        held = [t for t in tiles if _holds_whole(rect, t)]
        clear = all(rect.overlap(t) == 0 for t in tiles if t not in held)
        overlay = all(faces.boxes[faces.inside(t), 3].max(initial=0) * OVERLAY_FACES <= faces.boxes[i, 3] for t in held)
        if rect.width * rect.height >= smallest and clear and overlay and not faces.cut_by(rect):
            count = int(np.count_nonzero(faces.inside(rect) & ~placed))
            if count > most:
                best, most = rect, count
    return best


def _group(lines: LineMaps, faces: _Faces, tiles: list[Rect], sizes: list[tuple[int, int]]) -> list[Rect]:
    """The tiles of a size: every rectangle of about that size clear of the tiles found, checked.

    ``sizes``: the size voted for, then sizes a few percent off it that a face of their own voted
    for too (an app that splits a 2x2 gallery into tiles of 380 and 392 pixels).
    """
    found = [r for size in sizes for r in of_size(lines, *size)]
    found = [r for r in sorted(found, key=lambda r: -r.score) if not any(r.overlap(t) > MAX_OVERLAP * r.width * r.height for t in tiles)]
    found = _plausible(found, faces)
    holds = [bool(faces.inside(r).any()) for r in found]
    return on_lattice([r for r, k in zip(found, holds) if k], [r for r, k in zip(found, holds) if not k])


def _outer_size(group: list[Rect], around: list[list[Rect]], faces: _Faces) -> tuple[int, int] | None:
    """A larger size most of the group's faces also sit in, each alone with the same faces, if any.

    Looked for among each face's rectangles that contain its tile of the group, are at least
    OUTER_GROWTH larger, centred on it, and hold exactly the faces that tile holds (two stacked
    tiles hold more).
    """
    sizes: dict[tuple[int, int], set[int]] = {}
    for tile in group:
        inside = faces.inside(tile)
        for i in np.flatnonzero(inside):
            for r in around[i]:
                bigger = r.width >= OUTER_GROWTH * tile.width and r.height >= OUTER_GROWTH * tile.height
                centred = abs(r.x0 + r.x1 - tile.x0 - tile.x1) <= OUTER_OFFSET * r.width and abs(
                    r.y0 + r.y1 - tile.y0 - tile.y1
                ) <= OUTER_OFFSET * r.height
                if bigger and centred and r.x0 <= tile.x0 and r.y0 <= tile.y0 and r.x1 >= tile.x1 and r.y1 >= tile.y1 and (
                    faces.inside(r) == inside
                ).all():
                    key = next((k for k in sizes if _within_slack(k, (r.width, r.height))), None)
                    sizes.setdefault(key or (r.width, r.height), set()).add(int(i))
    if not sizes:
        return None
    size, members = max(sizes.items(), key=lambda kv: len(kv[1]))
    return size if len(members) >= max(2, len(group) // 2) else None


def _vote(
    around: list[list[Rect]], faces: _Faces, placed: np.ndarray, width: int, height: int, refused: list[tuple[int, int]]
) -> list[tuple[int, int]] | None:
    """The tile size most faces not yet placed agree on (none of the ``refused`` sizes), or None
    when no two agree."""
    rows = []
    for i, rects in enumerate(around):
        if placed[i]:
            continue
        for r in rects:
            if any(_within_slack((r.width, r.height), size) for size in refused):
                continue
            # The whole capture is not a tile.
            if (r.x0 <= 1) + (r.y0 <= 1) + (r.x1 >= width - 2) + (r.y1 >= height - 2) < 4:
                rows.append((i, r.x0, r.y0, r.x1, r.y1, r.score))
    if not rows:
        return None
    cand = np.array(rows, np.float64)
    face, w, h = cand[:, 0].astype(int), cand[:, 3] - cand[:, 1], cand[:, 4] - cand[:, 2]
    c = faces.centres
    held = ((c[None, :, 0] >= cand[:, 1, None]) & (c[None, :, 0] < cand[:, 3, None])
            & (c[None, :, 1] >= cand[:, 2, None]) & (c[None, :, 1] < cand[:, 4, None])).sum(axis=1)
    weight = 1.0 / np.maximum(1, held)
    # Sizes are binned on a log scale, SIZE_TOLERANCE wide; a rectangle votes for its bin and the
    # eight around it, so sizes within about the tolerance meet in some bin. Each face gives each
    # bin its best weight there, and the bin with the most faces' weight wins.
    bins = np.floor(np.log(np.stack([w, h], axis=1)) / np.log1p(SIZE_TOLERANCE)).astype(np.int64)
    shifts = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)])
    spread = (bins[:, None, :] + shifts[None]).reshape(-1, 2)
    spread_face, spread_weight = np.repeat(face, len(shifts)), np.repeat(weight, len(shifts))
    keys = np.stack([spread_face, spread[:, 0], spread[:, 1]], axis=1)
    order = np.lexsort((-spread_weight, keys[:, 2], keys[:, 1], keys[:, 0]))
    first = np.ones(len(order), bool)
    first[1:] = np.any(np.diff(keys[order], axis=0) != 0, axis=1)
    best_of_face = order[first]  # each (face, bin) once, with its best weight
    cells, index = np.unique(spread[best_of_face], axis=0, return_inverse=True)
    votes = np.bincount(index.ravel(), weights=spread_weight[best_of_face], minlength=len(cells))
    win = int(np.argmax(votes))
    if votes[win] < MIN_VOTES:
        return None
    # The bin holds sizes a few percent apart (a tile with and without its title bar); the size
    # searched for is the one most of its faces have within SIZE_SLACK pixels.
    members = np.flatnonzero(np.all(np.abs(bins - cells[win]) <= 1, axis=1))
    mw, mh, mf, mweight = w[members], h[members], face[members], weight[members]
    near = (np.abs(mw[:, None] - mw) <= SIZE_SLACK) & (np.abs(mh[:, None] - mh) <= SIZE_SLACK)
    fine = np.zeros(len(members))
    for f in np.unique(mf):
        mine = mf == f
        fine += (near[:, mine] * mweight[mine]).max(axis=1)
    order = np.argsort(-(fine + 0.01 * cand[members, 5]), kind="stable")
    sizes: list[tuple[int, int]] = []
    for k in order:
        size = (int(mw[k]), int(mh[k]))
        far = not any(_within_slack(size, other) for other in sizes)
        if far and (not sizes or fine[k] >= 0.5):
            sizes.append(size)
        if len(sizes) == MAX_SIZES:
            break
    return sizes


def _plausible(found: list[Rect], faces: _Faces) -> list[Rect]:
    """Best first: drop rectangles that cut a face or overlap a better one."""
    kept: list[Rect] = []
    for rect in found:
        if faces.cut_by(rect) or any(rect.overlap(k) > MAX_OVERLAP * rect.width * rect.height for k in kept):
            continue
        kept.append(rect)
    return kept


def _row_major(tiles: list[Rect]) -> list[Rect]:
    """Rows top to bottom (a tile joins a row when its centre is level with the row's first tile), left to right."""
    rows: list[list[Rect]] = []
    for tile in sorted(tiles, key=lambda r: r.y0 + r.y1):
        if rows and rows[-1][0].y0 <= (tile.y0 + tile.y1) / 2 < rows[-1][0].y1:
            rows[-1].append(tile)
        else:
            rows.append([tile])
    return [t for row in rows for t in sorted(row, key=lambda r: r.x0)]
