"""Find the participant tiles of a video-call gallery (Zoom, Teams, Meet).

Why it works
------------
A gallery is drawn by the app, not filmed: every tile is an axis-aligned
rectangle, the tiles of a row share one size, and they sit on one flat
background colour that also fills the gutters between them. A gutter is
therefore a straight line of that colour running across the whole gallery,
which nothing inside a camera picture does. Everything below works on the
grey image (JPEG and H.264 keep luma far better than chroma) with 1-D
profiles and OpenCV reductions; no layout is searched.

1. Background colour. For every grey level, the best-covered row and column
   (per-line histograms, lines sampled every 16th pixel along them but every
   2nd line across, so a 2 px gutter is never skipped). The top few levels
   are ranked by their longest unbroken row plus column: a wall or a
   camera-off fill covers at most one tile, a toolbar spans the width but not
   the height, only the background does both. Each candidate's grey range
   reaches 3 to 8 levels out, to the widest cut in a valley of the
   histogram, so a camera-off fill 10 levels off the gutter falls wholly out
   while the gutter's own JPEG ringing stays in.
2. Horizontal gutters: rows that are background over the gallery's full
   width (the longest such run; chrome beside the gallery is not background),
   after closing gaps of a few pixels left by compression ringing. They cut
   the frame into row bands (XY-cut).
3. Vertical gutters: in each band, columns that are background over the
   whole band. What lies between them are that row's tiles, any number and
   any offset, so a centred partial last row needs nothing special.
4. Checks: a tile is 1.2:1 to 2.3:1, at least 1/12 of the frame each way,
   its border lines mostly non-background (a straight edge, where a photo
   region on a plain backdrop only touches its bounding box), its inside
   mostly non-background, as wide as most tiles of its row, and at least
   half as tall as the tallest tile. A lone tile must have background on all
   four sides. Up to 3 ringing-spoilt lines are trimmed off each edge.
5. Leftovers go to the tile lattice (median tile size and gutter pitch):
   camera-off tiles painted in the background colour (Teams) leave only an
   avatar and a name label, a tile whose picture is dark along one side
   comes out too narrow, a small tile can be split by a dark column. Each
   leftover claims the lattice slot that contains it, in its own row, or in
   a new row aligned with the fullest row or shifted half a pitch (a centred
   partial row), nearest-to-centre first, if the rest of the slot is
   background.
6. When several background candidates are close, the one explaining the
   most tiles wins (ties: the better ranked).
7. No background found (a cloud recording without gutters): the largest
   equal grid over the whole frame whose every predicted edge is a sharp
   colour step along most of its length, clearly more than on lines 3-6 px
   away (texture steps everywhere, a seam only on itself).
8. Camera on or off: a camera-off tile is a flat fill with a little text or
   an avatar, so at least half its pixels (half resolution, outer 5 % left
   out) are within +-3 of its commonest grey level. Camera video, even a
   person before a plain wall, has shading, noise and the person: at most
   0.25 on the real Zoom recording, 0.43 on the synthetic galleries.

About 6-9 ms for a 1920x1080 7x7 frame on one core (benchmarks/tiles_speed.py);
fresh 2 MB work images are reused per thread, their page faults cost as much
as the passes that fill them.

Limits
------
- Camera-off tiles painted in (or, after JPEG, within a few levels of) the
  background colour are found only beside at least one tile with visible
  edges: their lattice comes from the tiles found.
- A single tile with no background margin all round (the capture cut into
  it) is not reported: it cannot be told from a wall in a speaker view.
- Gutter-less grids must be equal, full (no partial last row) and fill the frame.
- Tiles must be axis-aligned (a screen capture, not a photo of a screen); a
  speaker frame drawn over the whole gutter hides that gutter. Partial tiles
  cut by the capture edge are dropped.
- Compression: JPEG q60-q75 is fine for gutters of 4 px or more (Zoom at
  720p and up); q40 loses a tile in ~7 % of 1080p galleries; 2 px gutters
  (7x7 at 640x360) do not survive q60.
- Very small tiles (under ~60x35 px, 7x7 at 480x270) can be misjudged: their
  name label and avatar are as large as the picture.
- A tile whose picture is more than half one flat colour (a covered camera,
  a blown-out wall) reads as camera-off.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from .types import TileLayout

#: The background range reaches MIN_TOL to BG_TOL grey levels either side of
#: the gutter level (cut in a histogram valley in between). JPEG q40 keeps
#: 97 % of gutter pixels within 10 levels; camera-off fills differ from the
#: gutter by 10 or more (Zoom #242424 on #1a1a1a) or not at all (Teams).
BG_TOL = 8
MIN_TOL = 3
#: Half-width of the window that finds candidate levels: tight, so the gutter,
#: a toolbar 12 levels darker and a camera-off fill 10 lighter stay apart.
PEAK_TOL = 3
#: A gutter line must be background over this fraction of its reference length.
LINE_COVER = 0.97
#: Candidate gutter lines must first be background over this fraction of pixels.
LINE_PREFILTER = 0.5
#: Accepted tile aspect ratios (width / height): 4:3 up to a little past 2:1.
ASPECT_RANGE = (1.2, 2.3)
MIN_TILE_H = 8
#: Tiles are at least 1/MIN_TILE_FRAC of the frame's width and height (7x7 in a window with chrome is ~1/9).
MIN_TILE_FRAC = 12
#: Background candidates whose run score is this close to the best one are all tried.
RUN_MARGIN = 0.25
#: Tiles of one row are the same width, within this fraction.
WIDTH_TOL = 0.03
#: A tile's four border lines are, on average, at least this fraction non-background.
MIN_EDGE = 0.5
#: Content islands smaller than this fraction of a tile are noise, not a name or avatar.
MIN_ISLAND = 0.003
#: Compression ringing can spill this many pixels of a tile into the gutter.
MAX_TRIM = 3
#: A camera-off tile has at least this fraction of pixels at its modal grey level (+-FLAT_TOL).
FLAT_OFF = 0.5
FLAT_TOL = 3
#: Seam (gutter-less) grids: a colour step of at least SEAM_STEP levels along
#: this fraction of every predicted edge, more than along nearby lines.
SEAM_STEP = 16
SEAM_COVER = 0.6
MAX_GRID = 7
MIN_SIDE = 32

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) while searching; (x, y, w, h) in the result


@dataclass(frozen=True)
class _Background:
    """A candidate background colour: its grey level and the range [lo, hi] counted as background."""

    level: int
    lo: int
    hi: int


@dataclass(frozen=True)
class _Row:
    """One band of the XY-cut, boxes (x0, y0, x1, y1).

    tiles: tiles of the row's common width. islands: other content (names,
    avatars, chrome, noise). odd: tile-like boxes of another width (a tile
    narrowed by dark content at its edge).
    """

    y0: int
    y1: int
    tiles: list[Box]
    islands: list[Box]
    odd: list[Box]


def find_tiles(image: np.ndarray) -> TileLayout:
    """Participant tiles of a gallery screenshot; the whole frame when no grid is found.

    image: (H, W, 3) uint8 BGR. Returns boxes (x, y, w, h) in row-major order.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"find_tiles expects (H, W, 3) uint8 BGR, got {image.shape} {image.dtype}")
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        return TileLayout.whole_frame(w, h)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY, dst=_scratch("gray", (h, w)))
    boxes = _gutter_grid(gray)
    if boxes is None:
        boxes = _seam_grid(image)
    if boxes is None:
        return TileLayout.whole_frame(w, h)
    return TileLayout(boxes, _shows_video(gray, boxes), grid=True)


_buffers = threading.local()


def _scratch(name: str, shape: tuple[int, int]) -> np.ndarray:
    """A per-thread uint8 work image, reused from frame to frame.

    A fresh 2 MB array costs more in page faults (about 1 ms each on a 1080p
    frame) than the OpenCV pass that fills it. The buffers never leave
    find_tiles, and one per thread keeps concurrent callers apart.
    """
    cache = _buffers.__dict__
    buffer = cache.get(name)
    if buffer is None or buffer.shape != shape:
        buffer = cache[name] = np.empty(shape, np.uint8)
    return buffer


# --- gutter grids --------------------------------------------------------------------------


def _gutter_grid(gray: np.ndarray) -> np.ndarray | None:
    """Tiles between the gutters of the background candidate that explains the most tiles.

    Usually one level stands out. In a one-tile gallery a flat wall behind
    the participant competes; it explains no more tiles than the true
    background, so the better-ranked level (longer lines) wins the tie.
    """
    best: list[Box] = []
    for background in _backgrounds(gray):
        found = _tiles_on_level(gray, background)
        if len(found) > len(best):
            best = found
    if not best:
        return None
    return np.array([(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in _row_major(best)], np.int32)


def _row_major(boxes: list[Box]) -> list[Box]:
    """Rows top to bottom, tiles left to right. A tile joins a row when its centre is level with
    the row's first tile (trimming can move a tile's top or bottom by a pixel or two)."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b[1] + b[3]):
        if rows and rows[-1][0][1] <= (box[1] + box[3]) / 2 < rows[-1][0][3]:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [box for row in rows for box in sorted(row)]


def _tiles_on_level(gray: np.ndarray, background: _Background) -> list[Box]:
    """XY-cut of the frame along gutters of one background level, plus the island fill."""
    mask = cv2.inRange(gray, background.lo, background.hi, dst=_scratch("mask", gray.shape))
    height, width = gray.shape
    if cv2.countNonZero(mask) > LINE_COVER * mask.size:
        return []  # a blank frame: every line is "gutter", there is nothing between them
    min_h, min_w = max(MIN_TILE_H, height / MIN_TILE_FRAC), width / MIN_TILE_FRAC
    rows = []
    for band_y0, band_y1 in _row_bands(mask):
        segments = _column_segments(mask[band_y0:band_y1])
        y0, y1, boxes = _trim(mask, band_y0, band_y1, segments)
        tiles, islands = [], []
        for box, (x0, x1) in zip(boxes, segments):
            bw, bh = box[2] - box[0], box[3] - box[1]
            tile_like = bh >= min_h and bw >= min_w and ASPECT_RANGE[0] <= bw / bh <= ASPECT_RANGE[1]
            if tile_like and _edge_score(mask, box) >= MIN_EDGE and _fill(mask, box) < 0.5:
                tiles.append(box)
            else:
                islands.append((x0, band_y0, x1, band_y1))
        tiles, odd = _common_width(tiles)
        rows.append(_Row(y0, y1, tiles, islands, odd))
    rows = _drop_small(rows)
    found = [t for r in rows for t in r.tiles]
    if not found or (len(found) == 1 and _touches_border(found[0], width, height)):
        # One box cut by the frame edge is a wall or a window region in a
        # picture, not a tile: a lone gallery tile has a margin all round.
        return []
    return found + _fill_lattice(rows, mask)


def _drop_small(rows: list[_Row]) -> list[_Row]:
    """Drop tiles less than half as tall as the tallest: the rows of a gallery differ far less
    (a sliver of desktop or a shelf in a picture is what is left over)."""
    heights = [t[3] - t[1] for r in rows for t in r.tiles]
    if not heights:
        return rows
    keep = max(heights) / 2
    return [_Row(r.y0, r.y1, [t for t in r.tiles if t[3] - t[1] >= keep], r.islands, r.odd) for r in rows]


def _touches_border(box: Box, width: int, height: int) -> bool:
    return box[0] <= 0 or box[1] <= 0 or box[2] >= width or box[3] >= height


def _backgrounds(gray: np.ndarray) -> list[_Background]:
    """The candidate background colours, best first; none when no level forms long lines.

    Candidates are the grey levels whose best row plus best column are most
    covered (within about +-PEAK_TOL), from per-line histograms; lines are sampled
    every 16th pixel along them (a gutter is long) but every line across is
    kept (a gutter may be 2 px). They are ranked by their longest unbroken
    row plus column: a wall inside a tile can cover most of a row, but only
    the background runs past the tile edges. Levels within RUN_MARGIN of the
    best are all returned.

    Each is refined to the median of its best rows (a gutter row: one flat
    colour plus ringing). Its range reaches out at most BG_TOL either side,
    cut where the histogram is emptiest, so a camera-off fill a few levels off
    the gutter, smeared by JPEG, falls wholly in or wholly out, never half.
    """
    along_rows = np.ascontiguousarray(gray[::2, ::16])  # every 2nd line: a gutter is 2 px or more
    along_cols = np.ascontiguousarray(gray[::16, ::2].T)
    row_hits, col_hits = _level_hits(along_rows), _level_hits(along_cols)
    row_best, col_best = row_hits.max(axis=0) / along_rows.shape[1], col_hits.max(axis=0) / along_cols.shape[1]
    score = np.where((row_best >= 0.5) & (col_best >= 0.25), row_best + col_best, 0.0)
    # Smoothed over 5 levels, so a cut is never right beside a big peak (a camera-off fill).
    hist = np.convolve(np.bincount(along_rows.ravel(), minlength=256), np.ones(5), mode="same")
    ranked: list[tuple[float, _Background]] = []
    for _ in range(3):  # gutter, a camera-off fill, a toolbar or a wall
        lo, hi = _plateau(score)
        pair = (lo + hi) // 2
        if score[pair] == 0:
            break
        score[max(0, lo - 2) : hi + 3] = 0
        rows, cols = _best_lines(along_rows, row_hits[:, pair]), _best_lines(along_cols, col_hits[:, pair])
        level = 2 * pair + 1
        near = rows[np.abs(rows.astype(np.int16) - level) <= PEAK_TOL + 1]
        level = int(np.median(near))
        row_run, col_run = _run_cover(rows, level), _run_cover(cols, level)
        if row_run >= 0.5 and col_run >= 0.25 and all(abs(level - b.level) > 2 for _, b in ranked):
            ranked.append((row_run + col_run, _background_range(hist, level)))
    ranked.sort(key=lambda r: -r[0])
    return [background for runs, background in ranked if runs >= ranked[0][0] - RUN_MARGIN]


def _plateau(score: np.ndarray) -> tuple[int, int]:
    """First and last index of the run of near-best scores around the best one. JPEG smears a
    gutter's level both ways, so every level near it covers the gutter about equally well."""
    lo = hi = int(score.argmax())
    floor = score[lo] - 0.01
    while lo > 0 and score[lo - 1] >= floor:
        lo -= 1
    while hi < len(score) - 1 and score[hi + 1] >= floor:
        hi += 1
    return lo, hi


def _best_lines(lines: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Up to 32 of the lines whose hits are within 10 % of the best one's."""
    order = np.argsort(hits)[-32:]
    return lines[order[hits[order] >= 0.9 * hits[order[-1]]]]


def _level_hits(lines: np.ndarray) -> np.ndarray:
    """(n, 128) pixels of each line within about PEAK_TOL of each pair of grey levels (2k, 2k + 1).

    Pairs of levels halve the histogram work; +-1 pair is the +-PEAK_TOL window.
    """
    n = len(lines)
    index = np.arange(0, n * 128, 128, dtype=np.int32)[:, None] + (lines >> 1)
    hist = np.bincount(index.ravel(), minlength=n * 128).reshape(n, 128)
    hits = hist.copy()
    hits[:, 1:] += hist[:, :-1]
    hits[:, :-1] += hist[:, 1:]
    return hits


def _run_cover(lines: np.ndarray, level: int) -> float:
    """Longest run of background along any of these subsampled lines, as a fraction of their length."""
    near = np.abs(lines.astype(np.int16) - level) <= BG_TOL
    near[:, 1:-1] |= near[:, :-2] & near[:, 2:]  # one noisy sample does not break a gutter
    return float(_longest_runs(near).max()) / lines.shape[1]


def _background_range(hist: np.ndarray, level: int) -> _Background:
    """Grey range of the background: on each side the widest cut, MIN_TOL to BG_TOL away, in a
    valley of the histogram (at most twice its emptiest level there). The widest, because
    ringing spreads the gutter's own levels over the whole valley."""

    def cut(levels: range) -> int:
        counts = hist[list(levels)]
        limit = 2 * counts.min() + 5e-4 * hist.sum()
        return levels[int(np.flatnonzero(counts <= limit)[0])]

    lo = cut(range(max(0, level - BG_TOL), max(0, level - MIN_TOL) + 1))
    hi = cut(range(min(255, level + BG_TOL), min(255, level + MIN_TOL) - 1, -1))
    return _Background(level, lo, hi)


def _row_bands(mask: np.ndarray) -> list[tuple[int, int]]:
    """(y0, y1) of the row bands between horizontal gutter lines."""
    height, width = mask.shape
    cover = cv2.reduce(mask, 1, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel() / 255
    cand = np.flatnonzero(cover >= LINE_PREFILTER)
    gutter = np.zeros(height, bool)
    if len(cand):
        runs = _longest_runs(_bridge(mask[cand], width))
        # The gallery's gutter rows all span its full width (chrome beside it is not background).
        if runs.max() >= 0.5 * width:
            gutter[cand[runs >= LINE_COVER * runs.max()]] = True
    return _runs(~gutter)


def _column_segments(band: np.ndarray) -> list[tuple[int, int]]:
    """(x0, x1) of the content between vertical gutter lines of one row band."""
    height = band.shape[0]
    cover = cv2.reduce(band, 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel() / 255
    cand = np.flatnonzero(cover >= LINE_PREFILTER)
    gutter = np.zeros(band.shape[1], bool)
    if len(cand):
        runs = _longest_runs(_bridge(np.ascontiguousarray(band[:, cand].T), height))
        gutter[cand[runs >= LINE_COVER * height]] = True
    return _runs(~gutter)


def _bridge(lines: np.ndarray, length: int) -> np.ndarray:
    """Background mask of some lines (one per row) with short foreground gaps closed.

    Compression ringing leaves blobs of a few pixels in a gutter; a tile
    crossing the line is far longer than the bridged gap.
    """
    gap = int(np.clip(length // 12, 2, 8))
    kernel = np.ones((1, gap + 1), np.uint8)
    return cv2.morphologyEx(lines, cv2.MORPH_CLOSE, kernel) > 0


def _longest_runs(lines: np.ndarray) -> np.ndarray:
    """(k,) length of the longest True run of each row of a (k, n) bool array."""
    position = np.arange(1, lines.shape[1] + 1, dtype=np.int32)
    last_gap = np.maximum.accumulate(np.where(lines, 0, position), axis=1)
    return (position - last_gap).max(axis=1)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of the True runs of a 1-D bool array."""
    step = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(step == 1).tolist(), np.flatnonzero(step == -1).tolist()))


def _trim(mask: np.ndarray, y0: int, y1: int, segments: list[tuple[int, int]]) -> tuple[int, int, list[Box]]:
    """Drop up to MAX_TRIM border lines that are mostly background: a gutter line spoilt by ringing.

    Top and bottom lines are judged across the whole band: in a small tile
    a name label, dark as the gutter, can fill most of the bottom line of one
    tile but not of the row. Sides are judged per tile.
    """
    if not segments:
        return y0, y1, []
    columns = np.concatenate([np.arange(x0, x1) for x0, x1 in segments])

    def background(line: np.ndarray) -> bool:
        return np.count_nonzero(line) * 2 >= len(line)

    for _ in range(MAX_TRIM):
        if y1 - y0 <= 2 or not background(mask[y0, columns]):
            break
        y0 += 1
    for _ in range(MAX_TRIM):
        if y1 - y0 <= 2 or not background(mask[y1 - 1, columns]):
            break
        y1 -= 1
    boxes = []
    for x0, x1 in segments:
        for _ in range(MAX_TRIM):
            if x1 - x0 <= 2 or not background(mask[y0:y1, x0]):
                break
            x0 += 1
        for _ in range(MAX_TRIM):
            if x1 - x0 <= 2 or not background(mask[y0:y1, x1 - 1]):
                break
            x1 -= 1
        boxes.append((x0, y0, x1, y1))
    return y0, y1, boxes


def _edge_score(mask: np.ndarray, box: Box) -> float:
    """Mean non-background fraction of a candidate tile's four border lines.

    A tile is cut by straight edges; a photo region on a plain backdrop only
    touches its bounding box here and there.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    background = (
        np.count_nonzero(mask[y0, x0:x1]) / w
        + np.count_nonzero(mask[y1 - 1, x0:x1]) / w
        + np.count_nonzero(mask[y0:y1, x0]) / h
        + np.count_nonzero(mask[y0:y1, x1 - 1]) / h
    )
    return 1.0 - background / 4


def _fill(mask: np.ndarray, box: Box) -> float:
    """Background fraction inside a box. A tile is content: a box mostly of background is a frame
    around background (a window on a flat desktop, a camera-off tile being the colour candidate).
    """
    x0, y0, x1, y1 = box
    return cv2.countNonZero(mask[y0:y1, x0:x1]) / _area(box)


def _area(box: Box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def _common_width(tiles: list[Box]) -> tuple[list[Box], list[Box]]:
    """Split a row's tiles into those of the row's common width and the others.

    The common width is the one most tiles agree on (ties: the wider, since a
    tile can lose columns to dark content at its edge but never gains any).
    """
    if len(tiles) < 2:
        return tiles, []
    widths = np.array([x1 - x0 for x0, _, x1, _ in tiles])
    tol = np.maximum(2, WIDTH_TOL * widths)
    agree = (np.abs(widths[:, None] - widths[None, :]) <= tol[:, None]).sum(axis=1)
    common = widths[np.lexsort((widths, agree))[-1]]
    keep = np.abs(widths - common) <= max(2, WIDTH_TOL * common)
    return [t for t, k in zip(tiles, keep) if k], [t for t, k in zip(tiles, keep) if not k]


# --- camera-off tiles in the background colour ----------------------------------------------


def _fill_lattice(rows: list[_Row], mask: np.ndarray) -> list[Box]:
    """Tiles recovered in the slots of the tile lattice: camera-off tiles in the background
    colour (only their name or avatar shows) and tiles narrowed by dark content at an edge.

    Each leftover is offered a slot of the lattice (median tile size, pitch =
    size + gutter): in its own row, aligned with that row's tiles; in a row
    without tiles, aligned with the fullest row or shifted by half a pitch (a
    centred partial row). A slot must contain it, lie in the frame, be free
    and be background around it; the leftover nearest a slot centre claims
    it first, so an avatar wins over the name label in a corner.
    """
    tile_rows = [r for r in rows if r.tiles]
    found = [t for r in tile_rows for t in r.tiles]
    tw, th = (int(v) for v in np.median([(x1 - x0, y1 - y0) for x0, y0, x1, y1 in found], axis=0))
    islands = [box for r in rows for box in (_content_box(mask, i, tw, th) for i in r.islands) if box]
    # Ringing hugs the edges of the tiles found; a name or avatar sits inside its own tile.
    islands = [i for i in islands if all(_overlap(_grow(i, 2), t) == 0 for t in found)]
    leftovers = islands + [t for r in rows for t in r.odd]
    if not leftovers:
        return []
    tops = [int(np.median([t[1] for t in r.tiles])) for r in tile_rows]
    gap_x = _median_gap([(a[2], b[0]) for r in tile_rows for a, b in pairwise(r.tiles)], tw)
    gap_y = _median_gap([(a + th, b) for a, b in pairwise(tops)], th)
    # Apps use one gutter both ways; borrow the other direction's when one is not seen.
    pitch_x = tw + (gap_x if gap_x is not None else gap_y or 0)
    pitch_y = th + (gap_y if gap_y is not None else gap_x or 0)
    fullest = max(tile_rows, key=lambda r: len(r.tiles)).tiles[0][0]
    height, width = mask.shape
    offers = []
    for leftover in leftovers:
        ix0, iy0, ix1, iy1 = leftover
        cx, cy = (ix0 + ix1) / 2, (iy0 + iy1) / 2
        row = min(range(len(tops)), key=lambda i: abs(cy - tops[i] - th / 2))
        k = round((cy - tops[row] - th / 2) / pitch_y)
        y = tops[row] + k * pitch_y
        anchors = [tile_rows[row].tiles[0][0]] if k == 0 else [fullest, fullest + pitch_x / 2]
        for anchor in anchors:
            x = round(anchor + round((cx - anchor - tw / 2) / pitch_x) * pitch_x)
            slot = (x, y, x + tw, y + th)
            if _inside(leftover, slot) and 0 <= x and x + tw <= width and 0 <= y and y + th <= height:
                offers.append((np.hypot(cx - x - tw / 2, cy - y - th / 2), slot))
    taken, added = list(found), []
    for _, slot in sorted(offers):
        if all(_overlap(slot, other) == 0 for other in taken) and _rest_is_background(mask, slot, leftovers):
            taken.append(slot)
            added.append(slot)
    return added


def _inside(box: Box, slot: Box) -> bool:
    """Whether ``box`` lies in ``slot``, give or take 2 px."""
    return slot[0] <= box[0] + 2 and box[2] <= slot[2] + 2 and slot[1] <= box[1] + 2 and box[3] <= slot[3] + 2


def _rest_is_background(mask: np.ndarray, slot: Box, leftovers: list[Box]) -> bool:
    """Whether the slot, apart from the leftovers inside it, is mostly background.

    True for a name and avatar on a background-coloured tile, for the dark
    edge of a narrowed tile and for a small tile split by a dark column of
    its picture; false for a slot over chrome or a desktop.
    """
    x0, y0, x1, y1 = slot
    rest = np.ones((y1 - y0, x1 - x0), bool)
    for lx0, ly0, lx1, ly1 in (box for box in leftovers if _inside(box, slot)):
        rest[max(0, ly0 - y0) : ly1 - y0, max(0, lx0 - x0) : lx1 - x0] = False
    free = np.count_nonzero(rest)
    return free < 0.05 * rest.size or np.count_nonzero(mask[y0:y1, x0:x1][rest]) >= 0.5 * free


def _content_box(mask: np.ndarray, box: Box, tile_w: int, tile_h: int) -> Box | None:
    """Tight box of the non-background pixels in ``box``, or None when they are too few or too
    thin for a name or an avatar (compression specks, a gutter line spoilt by ringing)."""
    x0, y0, x1, y1 = box
    content = mask[y0:y1, x0:x1] == 0
    if np.count_nonzero(content) < max(16, MIN_ISLAND * tile_w * tile_h):
        return None
    ys, xs = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    box = x0 + int(xs[0]), y0 + int(ys[0]), x0 + int(xs[-1]) + 1, y0 + int(ys[-1]) + 1
    thick = min(box[2] - box[0], box[3] - box[1]) >= max(3, tile_h / 20)
    return box if thick else None


def _grow(box: Box, margin: int) -> Box:
    return box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin


def _median_gap(pairs: list[tuple[int, int]], size: int) -> int | None:
    """Median gutter between (end, next start) pairs; gaps over half a tile are missing tiles, not gutters."""
    gaps = [b - a for a, b in pairs if 0 <= b - a < size / 2]
    return int(np.median(gaps)) if gaps else None


def _overlap(a: Box, b: Box) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


# --- gutter-less grids -----------------------------------------------------------------------


def _seam_grid(image: np.ndarray) -> np.ndarray | None:
    """The largest equal grid over the whole frame whose every tile edge is a sharp colour step."""
    height, width = image.shape[:2]
    strength: dict[tuple[int, int], float] = {}

    def supported(axis: int, n: int) -> bool:
        size = (width, height)[axis]
        for k in range(1, n):
            pos = round(k * size / n)
            if (axis, pos) not in strength:
                strength[axis, pos] = _seam_strength(image, axis, pos)
            if strength[axis, pos] < SEAM_COVER:
                return False
        return True

    best = None
    for rows in range(1, MAX_GRID + 1):
        for cols in range(1, MAX_GRID + 1):
            aspect = (width / cols) / (height / rows)
            if rows * cols == 1 or not ASPECT_RANGE[0] <= aspect <= ASPECT_RANGE[1]:
                continue
            if (best is None or rows * cols > best[0] * best[1]) and supported(0, cols) and supported(1, rows):
                best = (rows, cols)
    if best is None:
        return None
    rows, cols = best
    xs = np.round(np.arange(cols + 1) * width / cols).astype(int)
    ys = np.round(np.arange(rows + 1) * height / rows).astype(int)
    return np.array(
        [(xs[c], ys[r], xs[c + 1] - xs[c], ys[r + 1] - ys[r]) for r in range(rows) for c in range(cols)], np.int32
    )


def _seam_strength(image: np.ndarray, axis: int, pos: int) -> float:
    """How much more often a sharp step crosses the line at ``pos`` (+-2 px) than lines a few pixels away.

    Steps are counted where neighbouring pixels differ by SEAM_STEP in some
    channel. Texture steps everywhere (noise, foliage) so the baseline, lines
    3 to 6 px away, is as high as the peak; a tile seam steps only on itself.
    """
    lines = image if axis == 0 else image.transpose(1, 0, 2)  # seam between columns pos-1 and pos
    lo, hi = max(1, pos - 6), min(lines.shape[1] - 1, pos + 6)
    along = max(1, lines.shape[0] // 256)  # ~256 samples along the seam are plenty for a fraction
    strip = lines[::along, lo - 1 : hi + 1].astype(np.int16)
    cover = (np.abs(np.diff(strip, axis=1)).max(axis=2) >= SEAM_STEP).mean(axis=0)
    offset = np.arange(lo, hi + 1) - pos
    near, far = cover[np.abs(offset) <= 2], cover[np.abs(offset) >= 3]
    return float(near.max() - (np.median(far) if len(far) else 0.0))


# --- camera on / off ---------------------------------------------------------------------------


def _shows_video(gray: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(T,) True where a tile is not one flat fill (camera-off tiles are).

    Measured on a half-resolution copy (plenty to find a modal level) and
    without the outer 5 % of the tile (speaker frame, edge ringing).
    """
    size = (gray.shape[1] // 2, gray.shape[0] // 2)
    half = cv2.resize(gray, size, dst=_scratch("half", size[::-1]), interpolation=cv2.INTER_NEAREST)
    video = np.ones(len(boxes), bool)
    for i, (x, y, w, h) in enumerate(boxes // 2):
        mx, my = max(1, w // 20), max(1, h // 20)
        patch = half[y + my : y + h - my, x + mx : x + w - mx]
        if patch.size == 0:
            continue
        hist = cv2.calcHist([patch], [0], None, [256], [0, 256]).ravel()
        mode = int(hist.argmax())
        flat = hist[max(0, mode - FLAT_TOL) : mode + FLAT_TOL + 1].sum() / patch.size
        video[i] = flat < FLAT_OFF
    return video
