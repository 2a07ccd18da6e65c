"""Synthetic video-call gallery screenshots with exact ground truth.

Used by the tests and the benchmarks (not shipped: it lives beside the tests,
and the benchmarks put this folder on ``sys.path``): a Zoom/Meet/Teams-like gallery
is drawn from the bundled demo portraits (``assets/demo``), and the true tile
boxes, camera-on flags and face boxes come back with the image, so the tile
finder and the face detector can be scored without hand labels.

The layout follows Zoom's gallery rule: 16:9 tiles as large as fit, a uniform
gutter of the background colour between and around them, the grid centred and
a partial last row centred. Each video tile gets its own background (wall
gradient, bookshelf, room with a window, blurred virtual background) and a
portrait, flipped, re-lit and scaled by the seed, so 49 tiles are not 49
copies. Where each face is inside a portrait is measured once per portrait
with OpenCV's frontal-face Haar cascade (deterministic for a given image and
OpenCV build, and it works for caller-supplied portraits too); the face box
recorded is that box mapped into the gallery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from classwatch.resources import asset_path

BGR = tuple[int, int, int]

DEMO_PORTRAITS: tuple[str, ...] = (
    "demo/astronaut_portrait.jpg",
    "demo/participant_1.jpg",
    "demo/participant_2.jpg",
    "demo/participant_3.jpg",
    "demo/participant_4.jpg",
)


@dataclass(frozen=True)
class GalleryStyle:
    """Colours and sizes of one video-call app's dark gallery."""

    background: BGR  # gutter / window background
    off_tile: BGR  # flat fill of a camera-off tile (may equal the background)
    highlight: BGR  # active-speaker frame
    gutter: int  # pixels between tiles in a 1080-pixel-high frame
    radius: int  # tile corner radius in a 1080-pixel-high frame
    avatar: bool  # camera-off tiles show an initials circle (else the name, centred)


STYLES: dict[str, GalleryStyle] = {
    # Zoom dark theme: #1a1a1a gutters, camera-off tiles a shade lighter, green speaker frame.
    "zoom": GalleryStyle((26, 26, 26), (36, 36, 36), (89, 217, 35), gutter=6, radius=0, avatar=False),
    # Google Meet: #202124 background, #3c4043 tiles with a coloured avatar, blue frame, round corners.
    "meet": GalleryStyle((36, 33, 32), (67, 64, 60), (248, 180, 138), gutter=8, radius=10, avatar=True),
    # Teams dark: grey-purple stage; camera-off tiles the same colour as the stage.
    "teams": GalleryStyle((56, 40, 41), (56, 40, 41), (245, 133, 127), gutter=8, radius=4, avatar=True),
}

_FIRST_NAMES = ("Ada", "Alan", "Grace", "Kofi", "Mei", "Omar", "Sofia", "Lars", "Priya", "Tomas", "Yuki", "Zara")
_LAST_NAMES = ("Lovelace", "Turing", "Hopper", "Mensah", "Chen", "Haddad", "Rossi", "Berg", "Nair", "Novak")
_AVATAR_COLOURS: tuple[BGR, ...] = ((181, 81, 63), (71, 160, 67), (0, 152, 255), (176, 39, 156), (136, 150, 0))
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class SyntheticGallery:
    """A rendered gallery and its truth.

    image: (H, W, 3) uint8 BGR.
    tiles: (T, 4) int32 tile boxes (x, y, w, h), row-major.
    video: (T,) bool, True for tiles showing a camera picture.
    faces: (F, 4) float32 face boxes (x, y, w, h) of the pasted portraits.
    face_tile: (F,) int32 index of the tile each face is in.
    """

    image: np.ndarray
    tiles: np.ndarray
    video: np.ndarray
    faces: np.ndarray
    face_tile: np.ndarray


def demo_faces() -> list[np.ndarray]:
    """The bundled BGR head-and-shoulders portraits (read-only arrays)."""
    return list(_load_demo_faces())


@lru_cache(maxsize=1)
def _load_demo_faces() -> tuple[np.ndarray, ...]:
    faces = []
    for name in DEMO_PORTRAITS:
        image = cv2.imread(str(asset_path(name)), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"demo portrait missing: {asset_path(name)}")
        image.flags.writeable = False  # cached and shared: callers must not draw on it
        faces.append(image)
    return tuple(faces)


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


_face_boxes: dict[bytes, tuple[int, int, int, int]] = {}


def face_box(portrait: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the largest frontal face in a portrait (Haar cascade, cached per image)."""
    key = hashlib.sha1(portrait.tobytes()).digest() + bytes(str(portrait.shape), "ascii")
    if key not in _face_boxes:
        gray = cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY)
        found = _face_cascade().detectMultiScale(gray, 1.1, 5, minSize=(24, 24))
        if len(found) == 0:
            raise ValueError(f"no face found in a {portrait.shape[1]}x{portrait.shape[0]} portrait")
        x, y, w, h = max(found, key=lambda b: b[2] * b[3])
        _face_boxes[key] = (int(x), int(y), int(w), int(h))
    return _face_boxes[key]


def gallery_layout(rows: int, cols: int, n_tiles: int, area: tuple[int, int, int, int], gutter: int) -> np.ndarray:
    """(n_tiles, 4) int32 boxes of Zoom's gallery rule inside ``area`` (x, y, w, h).

    16:9 tiles as large as fit with ``gutter`` pixels between and around them,
    the grid centred, a partial last row centred.
    """
    if not (rows >= 1 and cols >= 1 and (rows - 1) * cols < n_tiles <= rows * cols):
        raise ValueError(f"{n_tiles} tiles do not make a {rows}x{cols} grid")
    ax, ay, aw, ah = area
    tw = min((aw - (cols + 1) * gutter) / cols, (ah - (rows + 1) * gutter) / rows * 16 / 9)
    tw = int(tw)
    th = round(tw * 9 / 16)
    if tw < 8 or th < 8:
        raise ValueError(f"a {rows}x{cols} grid does not fit in {aw}x{ah}")
    y0 = ay + (ah - rows * th - (rows - 1) * gutter) // 2
    boxes = []
    for r in range(rows):
        n_row = min(cols, n_tiles - r * cols)
        x0 = ax + (aw - n_row * tw - (n_row - 1) * gutter) // 2
        boxes += [(x0 + c * (tw + gutter), y0 + r * (th + gutter), tw, th) for c in range(n_row)]
    return np.array(boxes, np.int32)


def render_gallery(
    rows: int,
    cols: int,
    *,
    size: tuple[int, int] = (1920, 1080),
    n_tiles: int | None = None,
    camera_off: Sequence[int] = (),
    style: str = "zoom",
    speaker: int | None = None,
    names: bool = True,
    chrome: bool = False,
    seed: int = 0,
    faces: Sequence[np.ndarray] | None = None,
    jpeg_quality: int | None = None,
) -> SyntheticGallery:
    """Draw a ``rows`` x ``cols`` gallery screenshot of ``size`` (width, height).

    n_tiles: participants (default rows * cols; fewer leaves a centred partial last row).
    camera_off: indices of tiles drawn camera-off (name or avatar on a flat tile).
    style: a key of ``STYLES``. speaker: index of the tile with the speaker frame.
    chrome: surround the gallery with desktop, a window title bar and a toolbar,
        as a capture rectangle drawn a little too large would.
    faces: BGR portraits to paste (default ``demo_faces()``).
    jpeg_quality: if given, JPEG-compress the result at that quality.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; one of {sorted(STYLES)}")
    spec = STYLES[style]
    width, height = size
    rng = np.random.default_rng(seed)
    n_tiles = rows * cols if n_tiles is None else n_tiles
    if any(not 0 <= i < n_tiles for i in (*camera_off, *([] if speaker is None else [speaker]))):
        raise ValueError(f"camera_off {tuple(camera_off)} / speaker {speaker} outside the {n_tiles} tiles")
    portraits = list(faces) if faces is not None else demo_faces()
    image = np.empty((height, width, 3), np.uint8)
    image[:] = spec.background
    area = _draw_chrome(image, spec.background, rng) if chrome else (0, 0, width, height)
    gutter = max(2, round(spec.gutter * height / 1080))
    tiles = gallery_layout(rows, cols, n_tiles, area, gutter)
    video = np.ones(len(tiles), bool)
    video[list(camera_off)] = False
    first, last = rng.permutation(len(_FIRST_NAMES)), rng.permutation(len(_LAST_NAMES))
    face_boxes, face_tile = [], []
    for i, (x, y, w, h) in enumerate(tiles):
        tile = image[y : y + h, x : x + w]
        name = f"{_FIRST_NAMES[first[i % len(first)]]} {_LAST_NAMES[last[i // len(first) % len(last)]]}"
        if video[i]:
            tile[:] = _background(h, w, rng)
            portrait = portraits[(i + seed) % len(portraits)]
            fx, fy, fw, fh = _paste_portrait(tile, portrait, rng)
            face_boxes.append((x + fx, y + fy, fw, fh))
            face_tile.append(i)
        else:
            _draw_camera_off(tile, name, spec, rng)
        if names:
            _draw_name_label(tile, name)
        if speaker == i:
            thickness = max(2, round(3 * height / 1080))
            cv2.rectangle(tile, (0, 0), (w - 1, h - 1), spec.highlight, thickness)
        _round_corners(tile, round(spec.radius * height / 1080), spec.background)
    if jpeg_quality is not None:
        _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return SyntheticGallery(
        image=image,
        tiles=tiles,
        video=video,
        faces=np.array(face_boxes, np.float32).reshape(-1, 4),
        face_tile=np.array(face_tile, np.int32),
    )


def _draw_chrome(image: np.ndarray, background: BGR, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """Desktop border, title bar and toolbar around the gallery; returns the gallery area."""
    height, width = image.shape[:2]
    # Wallpaper: a soft photo-like texture (a flat desktop would look like one more gallery margin).
    blobs = rng.integers(40, 200, (6, 10, 3)).astype(np.uint8)
    image[:] = cv2.GaussianBlur(cv2.resize(blobs, (width, height), interpolation=cv2.INTER_LINEAR), (0, 0), width / 100)
    side, top = round(0.02 * width), round(0.03 * height)
    title, toolbar = round(0.03 * height), round(0.06 * height)
    image[top : top + title, side : width - side] = (60, 60, 60)
    for k in range(3):  # window buttons
        centre = (side + title // 2 + k * title, top + title // 2)
        cv2.circle(image, centre, max(1, title // 4), (90, 90, 230), -1, cv2.LINE_AA)
    bar_y = height - top - toolbar
    image[bar_y : height - top, side : width - side] = (14, 14, 14)
    for k in range(6):  # toolbar buttons with labels
        cx = side + (k + 1) * (width - 2 * side) // 8
        cv2.rectangle(
            image,
            (cx - toolbar // 4, bar_y + toolbar // 6),
            (cx + toolbar // 4, bar_y + toolbar // 2),
            (200, 200, 200),
            -1,
        )
        cv2.putText(
            image,
            "Mute",
            (cx - toolbar // 3, bar_y + 5 * toolbar // 6),
            _FONT,
            toolbar / 120,
            (200, 200, 200),
            1,
            cv2.LINE_AA,
        )
    gallery_y = top + title
    image[gallery_y:bar_y, side : width - side] = background
    return side, gallery_y, width - 2 * side, bar_y - gallery_y


def _gradient(h: int, w: int, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    column = (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32)
    return np.repeat(column.astype(np.uint8), w, axis=1)


def _background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A varied camera background: wall gradient, bookshelf, room with a window, or blurred virtual background."""
    kind = rng.integers(4)
    wall = rng.integers(70, 220, 3)
    if kind == 0:
        out = _gradient(h, w, wall, wall * rng.uniform(0.6, 0.9))
    elif kind == 1:
        out = _gradient(h, w, wall, wall * 0.8)
        shelf_h = max(4, h // 4)
        for top in range(h // 8, h - shelf_h // 2, shelf_h):
            x = int(rng.integers(0, max(1, w // 10)))
            while x < w:
                book_w = int(rng.integers(max(2, w // 60), max(3, w // 25)))
                book_h = int(shelf_h * rng.uniform(0.6, 0.95))
                colour = tuple(int(v) for v in rng.integers(20, 230, 3))
                cv2.rectangle(out, (x, top + shelf_h - book_h), (x + book_w - 1, top + shelf_h - 1), colour, -1)
                x += book_w + int(rng.integers(0, 3))
            cv2.rectangle(out, (0, top + shelf_h), (w - 1, top + shelf_h + max(1, h // 60)), (40, 70, 110), -1)
    elif kind == 2:
        out = _gradient(h, w, wall, wall * 0.85)
        wx, ww = int(rng.uniform(0.05, 0.6) * w), int(rng.uniform(0.2, 0.35) * w)
        cv2.rectangle(out, (wx, h // 8), (wx + ww, h * 3 // 4), (235, 230, 225), -1)
        cv2.rectangle(out, (wx, h // 8), (wx + ww, h * 3 // 4), (200, 200, 200), max(1, w // 80))
    else:
        blobs = rng.integers(40, 230, (4, 6, 3)).astype(np.uint8)
        out = cv2.GaussianBlur(cv2.resize(blobs, (w, h), interpolation=cv2.INTER_CUBIC), (0, 0), max(1.0, w / 30))
    noise = rng.integers(-3, 4, (h, w), dtype=np.int16)  # camera sensor noise, sigma 2
    return cv2.add(out, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U)


def _paste_portrait(
    tile: np.ndarray, portrait: np.ndarray, rng: np.random.Generator
) -> tuple[float, float, float, float]:
    """Blend a re-lit, maybe mirrored portrait into the tile; returns the face box in tile pixels.

    The portrait is scaled so the face is 30-60 % of the tile height, the face
    placed near the upper middle, the portrait's bottom rows repeated down to
    the tile edge (a torso, not a floating head) and its other edges feathered
    so no straight seam is left inside the tile.
    """
    th, tw = tile.shape[:2]
    fx, fy, fw, fh = face_box(portrait)
    scale = rng.uniform(0.3, 0.6) * th / fh
    scale = min(scale, 0.9 * tw / fw)  # the face must fit the tile's width too
    src = cv2.resize(
        portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    if rng.random() < 0.5:
        src = src[:, ::-1]
        fx = portrait.shape[1] - fx - fw
    src = cv2.convertScaleAbs(src, alpha=rng.uniform(0.8, 1.2))  # re-lit
    fx, fy, fw, fh = fx * scale, fy * scale, fw * scale, fh * scale
    # Face centre target: horizontally near the middle, vertically in the upper half.
    cx = tw * rng.uniform(0.4, 0.6)
    cy = max(fh / 2 + 1, th * rng.uniform(0.35, 0.5))
    cx = min(max(cx, fw / 2 + 1), tw - fw / 2 - 1)
    ox, oy = round(cx - fx - fw / 2), round(cy - fy - fh / 2)
    if oy + src.shape[0] < th:
        src = cv2.copyMakeBorder(src, 0, th - oy - src.shape[0], 0, 0, cv2.BORDER_REPLICATE)
    ph, pw = src.shape[:2]
    ramp_x = np.clip(np.minimum(np.arange(pw), pw - 1 - np.arange(pw)) / (0.15 * pw), 0, 1)
    ramp_y = np.clip(np.arange(ph) / (0.1 * ph), 0, 1)
    alpha = (ramp_y[:, None] * ramp_x[None, :]).astype(np.float32)
    # Clip the paste to the tile.
    x0, y0 = max(ox, 0), max(oy, 0)
    x1, y1 = min(ox + pw, tw), min(oy + ph, th)
    s = (slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox))
    a = np.ascontiguousarray(alpha[s])
    tile[y0:y1, x0:x1] = cv2.blendLinear(np.ascontiguousarray(src[s]), tile[y0:y1, x0:x1].copy(), a, 1 - a)
    bx0, by0 = max(ox + fx, 0.0), max(oy + fy, 0.0)
    bx1, by1 = min(ox + fx + fw, float(tw)), min(oy + fy + fh, float(th))
    return bx0, by0, bx1 - bx0, by1 - by0


def _round_corners(tile: np.ndarray, radius: int, background: BGR) -> None:
    """Paint the background over the four corners outside a quarter circle of ``radius``."""
    if radius < 1:
        return
    centre = radius - 0.5
    yy, xx = np.mgrid[0:radius, 0:radius]
    outside = (xx - centre) ** 2 + (yy - centre) ** 2 > radius**2  # the top-left corner
    tile[:radius, :radius][outside] = background
    tile[:radius, -radius:][outside[:, ::-1]] = background
    tile[-radius:, :radius][outside[::-1, :]] = background
    tile[-radius:, -radius:][outside[::-1, ::-1]] = background


def _draw_camera_off(tile: np.ndarray, name: str, spec: GalleryStyle, rng: np.random.Generator) -> None:
    h, w = tile.shape[:2]
    tile[:] = spec.off_tile
    if spec.avatar:
        radius = max(3, int(0.22 * h))
        colour = _AVATAR_COLOURS[int(rng.integers(len(_AVATAR_COLOURS)))]
        cv2.circle(tile, (w // 2, h // 2), radius, colour, -1, cv2.LINE_AA)
        initials = "".join(part[0] for part in name.split()[:2])
        _centred_text(tile, initials, (w // 2, h // 2), radius / 30)
    else:
        _centred_text(tile, name, (w // 2, h // 2), max(0.3, h / 300))


def _centred_text(tile: np.ndarray, text: str, centre: tuple[int, int], scale: float) -> None:
    thickness = max(1, round(scale * 2))
    (tw, th), _ = cv2.getTextSize(text, _FONT, scale, thickness)
    org = (centre[0] - tw // 2, centre[1] + th // 2)
    cv2.putText(tile, text, org, _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA)


def _draw_name_label(tile: np.ndarray, name: str) -> None:
    """White name on a dark semi-transparent box in the bottom-left corner, as all three apps do."""
    h, w = tile.shape[:2]
    scale = max(0.25, h / 500)
    (text_w, text_h), base = cv2.getTextSize(name, _FONT, scale, 1)
    pad = max(2, text_h // 3)
    x1, y0 = min(w - 1, text_w + 2 * pad), max(0, h - text_h - base - 2 * pad)
    box = tile[y0:h, 0:x1]
    box[:] = cv2.convertScaleAbs(box, alpha=0.4)
    cv2.putText(tile, name, (pad, h - base - pad), _FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)


@dataclass(frozen=True)
class MovingFrame:
    """One frame of ``animate_gallery``: the gallery as it looks now and the tiles whose participant changed."""

    gallery: SyntheticGallery
    swapped: tuple[int, ...]


def animate_gallery(
    gallery: SyntheticGallery, n_frames: int, *, seed: int = 0, swap_every: float = 60.0, jpeg_quality: int = 85
) -> list[MovingFrame]:
    """Frames of ``gallery`` about a second apart, with participants who move.

    Each video tile's picture (inset from the tile edge so corners and edges
    stay as the call app drew them) drifts on a smooth random walk of up to
    6 % of the tile each way and 5 % in scale, and its exposure flickers by a
    few percent; every frame is JPEG-compressed as video is. On average every
    ``swap_every`` frames a tile changes pictures with another tile: a
    different person, as when participants rejoin and the gallery reorders. The face
    boxes move with the pictures.
    """
    rng = np.random.default_rng(seed)
    video = np.flatnonzero(gallery.video)
    pictures = {int(i): _tile_picture(gallery, int(i)) for i in video}
    faces = {int(i): gallery.faces[gallery.face_tile == i] - [*gallery.tiles[i][:2], 0, 0] for i in video}
    walk = {int(i): np.zeros(3) for i in video}  # dx, dy (tile fractions), log scale
    frames = []
    for _ in range(n_frames):
        swapped = []
        for i in video:
            if len(video) > 1 and rng.random() < 0.5 / swap_every:  # a swap changes two tiles
                j = int(rng.choice(video[video != i]))
                if pictures[j].shape == pictures[int(i)].shape:
                    pictures[int(i)], pictures[j] = pictures[j], pictures[int(i)]
                    faces[int(i)], faces[j] = faces[j], faces[int(i)]
                    swapped += [int(i), j]
        image = gallery.image.copy()
        boxes, tiles = [], []
        for i in video:
            i = int(i)
            walk[i] = np.clip(walk[i] + rng.normal(0, [0.015, 0.015, 0.01]), [-0.06, -0.06, -0.05], [0.06, 0.06, 0.05])
            x, y, w, h = gallery.tiles[i]
            inset = _inset(w, h)
            picture = pictures[i]
            ph, pw = picture.shape[:2]
            scale = float(np.exp(walk[i][2]))
            shift = walk[i][:2] * (w, h)
            m = cv2.getRotationMatrix2D((pw / 2, ph / 2), 0.0, scale)
            m[:, 2] += shift
            moved = cv2.warpAffine(picture, m, (pw, ph), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            moved = cv2.convertScaleAbs(moved, alpha=1.0 + rng.normal(0, 0.03))
            image[y + inset : y + inset + ph, x + inset : x + inset + pw] = moved
            for fx, fy, fw, fh in faces[i]:
                cx, cy = m @ (fx - inset + fw / 2, fy - inset + fh / 2, 1.0)
                boxes.append((x + inset + cx - scale * fw / 2, y + inset + cy - scale * fh / 2, scale * fw, scale * fh))
                tiles.append(i)
        _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
        moved_gallery = SyntheticGallery(
            image, gallery.tiles, gallery.video, np.array(boxes, np.float32).reshape(-1, 4), np.array(tiles, np.int32)
        )
        frames.append(MovingFrame(moved_gallery, tuple(sorted(set(swapped)))))
    return frames


def _tile_picture(gallery: SyntheticGallery, i: int) -> np.ndarray:
    """The part of tile ``i`` that moves in ``animate_gallery``: the tile inset from its edge."""
    x, y, w, h = gallery.tiles[i]
    inset = _inset(w, h)
    return gallery.image[y + inset : y + h - inset, x + inset : x + w - inset].copy()


def _inset(w: int, h: int) -> int:
    """Pixels kept still along each edge of a w x h tile (its corners, border and frame)."""
    return max(2, round(0.04 * min(w, h)))
