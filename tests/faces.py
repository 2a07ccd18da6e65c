"""Synthetic galleries with faces pasted at known places, for detector tests and benchmarks.

A gallery is a dark canvas cut into a grid of tiles; the test then fills
tiles with scaled face pictures (whose pasted box is the ground truth), a
camera-off name card, or an empty wall.
"""

from __future__ import annotations

import cv2
import numpy as np
from conftest import FER_NPZ, REPO

from classwatch.types import TileLayout

ASTRONAUT = REPO / "assets" / "demo" / "astronaut_portrait.jpg"

#: Face boxes (x, y, w, h) in the source pictures: the square box BlazeFace
#: draws on them at full resolution (brows to chin), so "a face 24 px tall"
#: means the same thing for the ground truth and for the detector.
ASTRONAUT_FACE = (84, 73, 103, 103)  # in astronaut_portrait.jpg (240x300)
FER_FACE = (3, 7, 42, 42)  # median over FER2013 48x48 crops

TILE_BACKGROUND = (40, 38, 36)  # the dark grey of a Zoom tile, BGR


def grid(width: int, height: int, rows: int, cols: int, gap: int = 4) -> tuple[np.ndarray, TileLayout]:
    """A dark canvas and the layout of its rows x cols tiles (all with video)."""
    image = np.full((height, width, 3), 18, np.uint8)
    tw, th = (width - gap * (cols + 1)) // cols, (height - gap * (rows + 1)) // rows
    boxes = [(gap + c * (tw + gap), gap + r * (th + gap), tw, th) for r in range(rows) for c in range(cols)]
    for x, y, w, h in boxes:
        image[y : y + h, x : x + w] = TILE_BACKGROUND
    return image, TileLayout(np.array(boxes), np.ones(len(boxes), bool), grid=True)


def paste(
    image: np.ndarray, tile: np.ndarray, picture: np.ndarray, face: tuple[float, float, float, float], box: np.ndarray
) -> np.ndarray:
    """Paste ``picture`` into a tile, scaled so its ``face`` box becomes ``box``; returns that box.

    picture: BGR or grey uint8. face, box, tile: (x, y, w, h). Whatever falls
    outside the tile is cut off, as a camera frame is cut by its tile.
    """
    if picture.ndim == 2:
        picture = cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)
    s = box[3] / face[3]
    size = (max(1, round(picture.shape[1] * s)), max(1, round(picture.shape[0] * s)))
    scaled = cv2.resize(picture, size, interpolation=cv2.INTER_AREA)
    x0, y0 = round(box[0] - face[0] * s), round(box[1] - face[1] * s)
    tx, ty, tw, th = (int(v) for v in tile)
    cx0, cy0 = max(x0, tx), max(y0, ty)
    cx1, cy1 = min(x0 + size[0], tx + tw), min(y0 + size[1], ty + th)
    image[cy0:cy1, cx0:cx1] = scaled[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    return np.array([x0 + face[0] * s, y0 + face[1] * s, face[2] * s, face[3] * s], np.float32)


def face_box_in_tile(tile: np.ndarray, height: float, where: tuple[float, float] = (0.5, 0.45)) -> np.ndarray:
    """A square face box of the given height centred at ``where`` (fractions of the tile)."""
    x, y, w, h = (float(v) for v in tile)
    return np.array([x + where[0] * w - height / 2, y + where[1] * h - height / 2, height, height], np.float32)


def name_card(image: np.ndarray, tile: np.ndarray, name: str) -> None:
    """A camera-off tile: a name on the flat tile background."""
    x, y, w, h = (int(v) for v in tile)
    scale = max(0.4, h / 220)
    thickness = max(1, round(scale * 2))
    origin = (x + w // 6, y + h // 2)
    cv2.putText(image, name, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), thickness, cv2.LINE_AA)


def wall(image: np.ndarray, tile: np.ndarray) -> None:
    """A tile showing a room with nobody in it: a lit wall gradient and a door frame."""
    x, y, w, h = (int(v) for v in tile)
    ramp = np.linspace(90, 190, w, dtype=np.float32)[None, :, None] * np.array([0.9, 1.0, 1.05], np.float32)
    image[y : y + h, x : x + w] = np.clip(ramp, 0, 255).astype(np.uint8)
    cv2.rectangle(image, (x + w // 2, y + h // 6), (x + w // 2 + w // 5, y + h), (60, 70, 80), max(2, w // 60))


def textured(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A continuous photo-like background without gutters: soft colour blobs, grain and a few straight edges."""
    blobs = rng.integers(30, 220, (6, 10, 3)).astype(np.uint8)
    blobs = cv2.resize(blobs, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = cv2.resize(rng.integers(0, 256, (height // 16, width // 16, 3)).astype(np.uint8), (width, height))
    image = cv2.addWeighted(cv2.GaussianBlur(blobs, (0, 0), width / 60), 0.75, grain, 0.25, 0)
    for _ in range(12):
        (x0, x1), (y0, y1) = rng.integers(0, width, 2), rng.integers(0, height, 2)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        cv2.line(image, (int(x0), int(y0)), (int(x1), int(y1)), colour, int(rng.integers(1, 6)))
    return image


def scatter(
    image: np.ndarray,
    pictures: list[tuple[np.ndarray, tuple[float, float, float, float]]],
    heights: np.ndarray,
    rng: np.random.Generator,
    centres: tuple[tuple[float, float, float], ...] = (),
) -> np.ndarray:
    """Paste faces anywhere on ``image`` (no tiles); returns their (N, 4) boxes.

    pictures: (picture, face box) pairs, used in turn. The first faces are
    centred at ``centres`` ((x, y, height) each), then one of each of
    ``heights`` goes to a random place. Every face lies inside the image and
    keeps its picture and the chest below it (a face height under the chin,
    three wide) to itself, as in a real scene: no face covers another or
    sits on someone's clothes, even under a tight face crop.
    """
    height, width = image.shape[:2]
    frame = np.array([0, 0, width, height])
    taken: list[np.ndarray] = []
    truth = []
    wanted = [((x, y), size) for x, y, size in centres] + [(None, size) for size in heights]
    for k, (centre, size) in enumerate(wanted):
        picture, face = pictures[k % len(pictures)]
        s = size / face[3]
        for _ in range(1000):
            cx, cy = centre if centre else rng.uniform(size / 2, (width - size / 2, height - size / 2))
            x, y = cx - size / 2, cy - size / 2
            x0, y0 = min(x - face[0] * s, x - size / 2), y - face[1] * s
            x1 = max(x0 + picture.shape[1] * s, x + 1.5 * size)
            y1 = max(y0 + picture.shape[0] * s, y + 2 * size)
            rect = np.array([x0, y0, x1 - x0, y1 - y0])
            if not any((rect[:2] < o[:2] + o[2:]).all() and (o[:2] < rect[:2] + rect[2:]).all() for o in taken):
                break
            if centre:
                raise ValueError(f"the picture of the face at {centre} overlaps another")
        else:
            raise ValueError("no room left for another face")
        taken.append(rect)
        truth.append(paste(image, frame, picture, face, np.array([x, y, size, size], np.float32)))
    return np.array(truth, np.float32).reshape(-1, 4)


def fer_faces(n: int, seed: int = 0) -> np.ndarray | None:
    """(n, 48, 48) uint8 FER2013 face crops, or None when the shared data set is absent."""
    if not FER_NPZ.is_file():
        return None
    pixels = np.load(FER_NPZ)["pixels"]
    return pixels[np.random.default_rng(seed).choice(len(pixels), n, replace=False)]
