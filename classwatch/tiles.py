"""Find the participant tiles of a video-call gallery (Zoom, Teams, Meet).

Algorithm
---------
Galleries are drawn by the app, not filmed: every tile is an axis-aligned
rectangle, the tiles of a row share one size, and they sit on a flat
background colour that also fills the gutters between them. So the grid is
recovered from straight lines of that colour, with 1-D profiles only:

1. Background: the grey level (luma: JPEG and H.264 keep luma far better than
   chroma) whose pixels make both the most complete row and the most complete
   column. Gutters span the whole gallery in both directions; a camera-off
   tile's fill spans one tile, a toolbar spans the width but not the height.
   Among the few most frequent levels this picks the gutter colour without
   knowing the app.
2. Horizontal gutters: rows that are background over (almost) the whole
   gallery width, after bridging gaps of a few pixels (compression ringing).
   They cut the frame into row bands (XY-cut).
3. Vertical gutters: inside each band, columns that are background over the
   whole band height. Between them lie the tiles of that row, which may be
   fewer and centred (partial last row).
4. Validation: a tile is about 16:9 (4:3 to ~2.3:1), at least 8 px high, its
   border mostly non-background (a straight edge, unlike the blob of a photo
   region on a plain backdrop), and as wide as most tiles of its row.
5. Camera-off tiles painted in exactly the background colour leave only their
   name or avatar as islands of content. Each island is placed into the slot
   of the tile lattice (tile size + gutter pitch, learned from the found tiles)
   that contains it, nearest to its centre first.
6. No gutters at all (a cloud recording of the gallery): an equal grid over
   the whole frame is accepted when a sharp colour step runs along every
   predicted tile edge for most of its length.
7. Camera on or off: a camera-off tile is one flat fill with a little text or
   an avatar, so most of its pixels share one grey level (+-3). Camera video,
   even of a person in front of a plain wall, has shading, noise and the
   person, so far fewer pixels sit at its most common level.

Everything runs on full-resolution masks with OpenCV reductions (no search
over layouts), about 3-5 ms for a 1920x1080 frame on one core.

Limits
------
- A gallery with no camera-on tile whose camera-off tiles are exactly the
  background colour has no visible tile edges: only islands are found, no grid.
- A speaker frame drawn in the gutter (outside the tile) that fills the whole
  gutter hides that gutter.
- Gutter-less grids must be equal, full (no partial last row) and fill the frame.
- Tiles must be axis-aligned and unscaled: a photo of a screen at an angle is
  not a gallery.
- Video content that matches the background colour along a whole tile edge
  (a dark room on a dark theme) shrinks that tile; the row's common width
  keeps the others, and the lattice fill does not regrow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .types import TileLayout

#: Grey-level tolerance of a background pixel. JPEG q40 keeps 97 % of gutter
#: pixels within 10 levels of the true colour, camera-off tile fills differ
#: from the gutter by 10 or more (Zoom #242424 on #1a1a1a) or not at all.
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
FLAT_OFF = 0.6
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
    """One band of the XY-cut: the tiles found in it and the leftover content islands (x0, y0, x1, y1)."""

    y0: int
    y1: int
    tiles: list[Box]
    islands: list[Box]


def find_tiles(image: np.ndarray) -> TileLayout:
    """Participant tiles of a gallery screenshot; the whole frame when no grid is found.

    image: (H, W, 3) uint8 BGR. Returns boxes (x, y, w, h) in row-major order.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"find_tiles expects (H, W, 3) uint8 BGR, got {image.shape} {image.dtype}")
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        return TileLayout.whole_frame(w, h)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    boxes = _gutter_grid(gray)
    if boxes is None:
        boxes = _seam_grid(image)
    if boxes is None:
        return TileLayout.whole_frame(w, h)
    return TileLayout(boxes, _shows_video(gray, boxes), grid=True)


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
    # Row-major, with rows told apart by the tiles' centres (trimming moves a top by a pixel or two).
    th = int(np.median([t[3] - t[1] for t in best]))
    best.sort(key=lambda t: (round((t[1] + t[3]) / 2 / max(1, th // 2)), t[0]))
    return np.array([(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in best], np.int32)


def _tiles_on_level(gray: np.ndarray, background: _Background) -> list[Box]:
    """XY-cut of the frame along gutters of one background level, plus the island fill."""
    mask = cv2.inRange(gray, background.lo, background.hi)
    height, width = gray.shape
    min_h, min_w = max(MIN_TILE_H, height / MIN_TILE_FRAC), width / MIN_TILE_FRAC
    rows = []
    for y0, y1 in _row_bands(mask):
        tiles, islands = [], []
        for x0, x1 in _column_segments(mask[y0:y1]):
            box = _trim(mask, (x0, y0, x1, y1))
            bw, bh = box[2] - box[0], box[3] - box[1]
            tile_like = bh >= min_h and bw >= min_w and ASPECT_RANGE[0] <= bw / bh <= ASPECT_RANGE[1]
            if tile_like and _edge_score(mask, box) >= MIN_EDGE and _fill(mask, box) < 0.5:
                tiles.append(box)
            else:
                islands.append((x0, y0, x1, y1))
        tiles, odd = _common_width(tiles)
        rows.append(_Row(y0, y1, tiles, islands + odd))
    rows = _drop_small(rows)
    found = [t for r in rows for t in r.tiles]
    if not found or (len(found) == 1 and _touches_border(found[0], width, height)):
        # One box cut by the frame edge is a wall or a window region in a
        # picture, not a tile: a lone gallery tile has a margin all round.
        return []
    return found + _fill_islands(rows, mask)


def _drop_small(rows: list[_Row]) -> list[_Row]:
    """Rows without tiles under half the tallest tile's height: gallery rows differ far less than that."""
    heights = [t[3] - t[1] for r in rows for t in r.tiles]
    if not heights:
        return rows
    keep = max(heights) / 2
    return [_Row(r.y0, r.y1, [t for t in r.tiles if t[3] - t[1] >= keep], r.islands) for r in rows]


def _touches_border(box: Box, width: int, height: int) -> bool:
    return box[0] <= 0 or box[1] <= 0 or box[2] >= width or box[3] >= height


def _backgrounds(gray: np.ndarray) -> list[_Background]:
    """The candidate background colours, best first; none when no level forms long lines.

    Candidates are the grey levels whose best row plus best column are most
    covered (within +-PEAK_TOL), from per-line histograms; lines are sampled
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
    row_best, col_best = row_hits.max(axis=0), col_hits.max(axis=0)
    score = np.where((row_best >= 0.5) & (col_best >= 0.25), row_best + col_best, 0.0)
    hist = np.convolve(np.bincount(along_rows.ravel(), minlength=256), np.ones(3), mode="same")
    ranked: list[tuple[float, _Background]] = []
    for _ in range(3):  # gutter, a camera-off fill, a toolbar or a wall
        lo, hi = _plateau(score)
        level = (lo + hi) // 2
        if score[level] == 0:
            break
        score[max(0, lo - PEAK_TOL) : hi + PEAK_TOL + 1] = 0
        rows, cols = _best_lines(along_rows, row_hits[:, level]), _best_lines(along_cols, col_hits[:, level])
        near = rows[np.abs(rows.astype(np.int16) - level) <= PEAK_TOL + 1]
        level = int(np.median(near))
        row_run, col_run = _run_cover(rows, level), _run_cover(cols, level)
        if row_run >= 0.5 and col_run >= 0.25 and all(abs(level - b.level) > 2 for _, b in ranked):
            ranked.append((row_run + col_run, _background_range(hist, level)))
    ranked.sort(key=lambda r: -r[0])
    return [background for runs, background in ranked if runs >= ranked[0][0] - RUN_MARGIN]


def _plateau(score: np.ndarray) -> tuple[int, int]:
    """First and last level of the run of near-best scores around the best one. JPEG smears a
    gutter's level both ways, so every level near it covers the gutter about equally well."""
    lo = hi = int(score.argmax())
    while lo > 0 and score[lo - 1] >= score[lo] - 0.01:
        lo -= 1
    while hi < len(score) - 1 and score[hi + 1] >= score[hi] - 0.01:
        hi += 1
    return lo, hi


def _best_lines(lines: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Up to 32 of the lines whose hits are within 10 % of the best one's."""
    order = np.argsort(hits)[-32:]
    return lines[order[hits[order] >= 0.9 * hits[order[-1]]]]


def _level_hits(lines: np.ndarray) -> np.ndarray:
    """(n, 256) fraction of each line's pixels within PEAK_TOL of each grey level."""
    n, length = lines.shape
    index = np.arange(0, n * 256, 256, dtype=np.int32)[:, None] + lines
    hist = np.bincount(index.ravel(), minlength=n * 256).reshape(n, 256).astype(np.int32)
    # Window sums from a cumulative sum padded so that level v sums [v - PEAK_TOL, v + PEAK_TOL].
    cum = np.zeros((n, 256 + 2 * PEAK_TOL + 1), np.int32)
    np.cumsum(hist, axis=1, out=cum[:, PEAK_TOL + 1 : 256 + PEAK_TOL + 1])
    cum[:, 256 + PEAK_TOL + 1 :] = cum[:, 256 + PEAK_TOL : 256 + PEAK_TOL + 1]
    return (cum[:, 2 * PEAK_TOL + 1 :] - cum[:, : 256]).astype(np.float32) / length


def _run_cover(lines: np.ndarray, level: int) -> float:
    """Longest run of background along any of these subsampled lines, as a fraction of their length."""
    near = np.abs(lines.astype(np.int16) - level) <= BG_TOL
    near[:, 1:-1] |= near[:, :-2] & near[:, 2:]  # one noisy sample does not break a gutter
    return float(_longest_runs(near).max()) / lines.shape[1]


def _background_range(hist: np.ndarray, level: int) -> _Background:
    """Grey range of the background: on each side the cut, MIN_TOL to BG_TOL away, where the
    histogram holds the fewest pixels (ties: the widest)."""
    lo = min(range(max(0, level - BG_TOL), max(0, level - MIN_TOL) + 1), key=lambda v: hist[v])
    hi = min(range(min(255, level + BG_TOL), min(255, level + MIN_TOL) - 1, -1), key=lambda v: hist[v])
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
    k, n = lines.shape
    padded = np.zeros((k, n + 2), np.int8)
    padded[:, 1:-1] = lines
    step = np.diff(padded, axis=1)
    line, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)  # same order as the starts: row-major
    longest = np.zeros(k, np.int64)
    np.maximum.at(longest, line, ends - starts)
    return longest


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of the True runs of a 1-D bool array."""
    step = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(step == 1).tolist(), np.flatnonzero(step == -1).tolist()))


def _trim(mask: np.ndarray, box: Box) -> Box:
    """Drop up to MAX_TRIM border lines that are mostly background (a gutter line spoilt by ringing)."""
    x0, y0, x1, y1 = box

    def background(line: np.ndarray) -> bool:
        return np.count_nonzero(line) * 2 >= len(line)

    for _ in range(MAX_TRIM):
        if y1 - y0 <= 2 or not background(mask[y0, x0:x1]):
            break
        y0 += 1
    for _ in range(MAX_TRIM):
        if y1 - y0 <= 2 or not background(mask[y1 - 1, x0:x1]):
            break
        y1 -= 1
    for _ in range(MAX_TRIM):
        if x1 - x0 <= 2 or not background(mask[y0:y1, x0]):
            break
        x0 += 1
    for _ in range(MAX_TRIM):
        if x1 - x0 <= 2 or not background(mask[y0:y1, x1 - 1]):
            break
        x1 -= 1
    return x0, y0, x1, y1


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


def _fill_islands(rows: list[_Row], mask: np.ndarray) -> list[Box]:
    """Tiles recovered from leftover content (a name or avatar on a tile of the background colour).

    Every island is offered a slot of the tile lattice (median tile size,
    pitch = size + gutter): in its own row, aligned with that row's tiles;
    in a row without tiles, aligned with the fullest row or shifted by half a
    pitch (a centred partial row). A slot must contain the island, lie in the
    frame, be free and mostly background; the island nearest a slot centre
    claims it first, so an avatar wins over the name label in a corner.
    """
    tile_rows = [r for r in rows if r.tiles]
    found = [t for r in tile_rows for t in r.tiles]
    tw, th = (int(v) for v in np.median([(x1 - x0, y1 - y0) for x0, y0, x1, y1 in found], axis=0))
    islands = [box for r in rows for box in map(lambda i: _content_box(mask, i, tw * th), r.islands) if box]
    if not islands:
        return []
    tops = [int(np.median([t[1] for t in r.tiles])) for r in tile_rows]
    gap_x = _median_gap([(a[2], b[0]) for r in tile_rows for a, b in zip(r.tiles, r.tiles[1:])], tw)
    gap_y = _median_gap([(a + th, b) for a, b in zip(tops, tops[1:])], th)
    # Apps use one gutter both ways; borrow the other direction's when one is not seen.
    pitch_x = tw + (gap_x if gap_x is not None else gap_y or 0)
    pitch_y = th + (gap_y if gap_y is not None else gap_x or 0)
    fullest = max(tile_rows, key=lambda r: len(r.tiles)).tiles[0][0]
    height, width = mask.shape
    offers = []
    for ix0, iy0, ix1, iy1 in islands:
        cx, cy = (ix0 + ix1) / 2, (iy0 + iy1) / 2
        row = min(range(len(tops)), key=lambda i: abs(cy - tops[i] - th / 2))
        k = round((cy - tops[row] - th / 2) / pitch_y)
        y = tops[row] + k * pitch_y
        anchors = [tile_rows[row].tiles[0][0]] if k == 0 else [fullest, fullest + pitch_x / 2]
        for anchor in anchors:
            x = int(round(anchor + round((cx - anchor - tw / 2) / pitch_x) * pitch_x))
            slot = (x, y, x + tw, y + th)
            contains = x <= ix0 + 2 and ix1 <= x + tw + 2 and y <= iy0 + 2 and iy1 <= y + th + 2
            if contains and 0 <= x and x + tw <= width and 0 <= y and y + th <= height:
                offers.append((np.hypot(cx - x - tw / 2, cy - y - th / 2), slot))
    taken, added = list(found), []
    for _, slot in sorted(offers):
        x0, y0, x1, y1 = slot
        if all(_overlap(slot, other) == 0 for other in taken) and mask[y0:y1, x0:x1].mean() >= 0.5 * 255:
            taken.append(slot)
            added.append(slot)
    return added


def _content_box(mask: np.ndarray, box: Box, tile_area: int) -> Box | None:
    """Tight box of the non-background pixels in ``box``, or None when they are too few for a
    name or an avatar (compression specks, ringing beside a tile edge)."""
    x0, y0, x1, y1 = box
    content = mask[y0:y1, x0:x1] == 0
    if np.count_nonzero(content) < max(16, MIN_ISLAND * tile_area):
        return None
    ys, xs = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    return x0 + int(xs[0]), y0 + int(ys[0]), x0 + int(xs[-1]) + 1, y0 + int(ys[-1]) + 1


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
    return np.array([(xs[c], ys[r], xs[c + 1] - xs[c], ys[r + 1] - ys[r]) for r in range(rows) for c in range(cols)], np.int32)


def _seam_strength(image: np.ndarray, axis: int, pos: int) -> float:
    """How much more often a sharp step crosses the line at ``pos`` (+-2 px) than lines a few pixels away.

    Steps are counted where neighbouring pixels differ by SEAM_STEP in some
    channel. Texture steps everywhere (noise, foliage) so the baseline, lines
    3 to 6 px away, is as high as the peak; a tile seam steps only on itself.
    """
    lines = image if axis == 0 else image.transpose(1, 0, 2)  # seam between columns pos-1 and pos
    lo, hi = max(1, pos - 6), min(lines.shape[1] - 1, pos + 6)
    strip = lines[:, lo - 1 : hi + 1].astype(np.int16)
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
    half = cv2.resize(gray, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_NEAREST)
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
