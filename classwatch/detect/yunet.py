"""YuNet (OpenCV Zoo, MIT): a small face detector that runs inside OpenCV itself.

YuNet was trained on WIDER FACE, so it finds faces from about 12 px tall to a
face filling the picture, turned, tilted, masked or half-lit, and gives five
landmarks (right eye, left eye, nose tip, right and left mouth corner). Its
cost is about 55 ns per input pixel on one core (1280x720: 55 ms), so the
question is only at what scale to look (figures and the recall by face size
in models/face_detection_yunet.md):

* a tile is scaled so that it is ``TILE_HEIGHT`` pixels tall (never more than
  ``MAX_UPSCALE`` times): a face a ninth of its tile's height or more arrives
  at 24 px or more, where YuNet finds 98 % of them (benchmarks/yunet_scale.py),
  and a large speaker tile costs no more than a small one. A tile whose faces
  were seen a moment ago (``FaceFollower`` re-detecting it) is looked at only
  as large as a face ``KNOWN_SHARE`` of its smallest one's height needs
  (``MIN_KNOWN_INPUT``), and as on first sight if that finds nothing: the
  follower's re-detections of a 7x7 gallery cost about a third less. A tile
  seen for the first time is sized by the faces the layout search found in
  it over the whole frame. Faces smaller than a ninth of their tile (a
  meeting room's camera as a 1080 px speaker tile) are looked for as large
  as they need, but no larger than the whole frame is looked at, where they
  were seen;
* a whole frame (no tiles known yet, or none at all) is looked at with its
  long side at ``FRAME_SIDE``, and small frames are enlarged so that the
  smallest faces a call shows at that size (``FRAME_MIN_FACE`` of the frame
  height) reach ``MIN_FACE_INPUT`` pixels.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

from ..errors import ModelError
from ..resources import model_path
from ..types import FaceDetections
from .base import MIN_RELATIVE_SIZE, TiledDetector

MODEL = "face_detection_yunet_2023mar.onnx"
#: YuNet's own default threshold: every avatar and name card a real call shows
#: scores under it or is a face (avatars are told apart by their tile, not here).
SCORE_THRESHOLD = 0.5
#: A video tile is expected to show someone: its best face needs only this share of the
#: threshold (a backlit face against a window scores 0.42 in zoom_dark16.png). A second face in
#: a tile, and any face of a whole frame, needs the full threshold.
TILE_SCORE_SHARE = 0.7
NMS_IOU = 0.3
#: Tiles are looked at this many pixels tall ...
TILE_HEIGHT = 224
MAX_UPSCALE = 2.0
#: ... or, where faces were seen before, only so large that a face KNOWN_SHARE as tall as the
#: smallest of them arrives at this many pixels (YuNet finds 98 % from 24 px,
#: benchmarks/yunet_scale.py); a smaller face would be dropped anyway (base.MIN_RELATIVE_SIZE).
MIN_KNOWN_INPUT = 24
KNOWN_SHARE = MIN_RELATIVE_SIZE
#: A whole frame is looked at with its long side this long ...
FRAME_SIDE = 1280
#: ... or larger, until faces of this share of the frame height are MIN_FACE_INPUT pixels.
FRAME_MIN_FACE = 1 / 40
MIN_FACE_INPUT = 16
NUM_LANDMARKS = 5
#: YuNet's coarsest stride: it pads its input to a multiple of it.
CELL = 32
#: Input sizes with a detector planned for each: a gallery's tiles at their first-sight scale and
#: at the smaller steps their known faces allow, plus the whole frame (a moving 7x7 gallery uses
#: 10; with 4 kept, 60 frames re-planned 154 times instead of 10, 6 % more CPU).
MAX_SIZES = 12
#: The canonical face box from YuNet's: side and downward shift of the centre,
#: as fractions of YuNet's box height (benchmarks/face_box_framing.py, medians
#: over the 2,808 of 3,000 FER2013 training faces YuNet finds).
CANONICAL_SIDE = 0.86
CANONICAL_DROP = 0.061


class YuNetDetector(TiledDetector):
    """YuNet per tile (each scaled to TILE_HEIGHT) or over the whole frame."""

    name = "yunet"

    def __init__(self, *, min_score: float | None = None, path: str | Path | None = None) -> None:
        """path: the ONNX file (default: the shipped one); a missing or corrupt file is a ModelError."""
        super().__init__()
        path = Path(path) if path is not None else model_path(MODEL)
        if not path.is_file():
            raise ModelError(f"face detector model not found: {path}")
        self.min_score = SCORE_THRESHOLD if min_score is None else min_score
        self.extra_face_min_score = self.min_score
        self._path = path
        self._nets: OrderedDict[tuple[int, int], cv2.FaceDetectorYN] = OrderedDict()
        self._net((320, 320))  # load now, so a missing or corrupt file fails at start-up

    def _net(self, size: tuple[int, int]) -> cv2.FaceDetectorYN:
        """A detector planned for one input size (w, h), kept for the next picture of that size.

        Changing a YuNet's input size re-plans the network: a 1280x580 frame
        right after a 400x224 tile takes 70-100 ms instead of 52 (and the tile
        12 instead of 5). A session sees few sizes (its tile size, its frame),
        so one detector per size, LRU-bounded, costs little memory.
        """
        net = self._nets.pop(size, None)
        if net is None:
            try:
                net = cv2.FaceDetectorYN.create(str(self._path), "", size, TILE_SCORE_SHARE * self.min_score, NMS_IOU, 5000)
            except cv2.error as exc:
                message = str(exc).strip().splitlines()[-1]
                raise ModelError(f"cannot load the face detector {self._path}: {message}") from None
            if len(self._nets) >= MAX_SIZES:
                self._nets.popitem(last=False)
        self._nets[size] = net
        return net

    def _detect_regions(self, image: np.ndarray, regions: np.ndarray, limit: int | None, known: np.ndarray) -> list[FaceDetections]:
        found = []
        for (x, y, w, h), face in zip(regions.tolist(), known.tolist()):
            tile = image[y : y + h, x : x + w]
            full = min(MAX_UPSCALE, TILE_HEIGHT / max(h, 1))
            scale = full
            needed = MIN_KNOWN_INPUT / (KNOWN_SHARE * face) if face > 0 else full
            if needed < full:
                # A face seen there before: KNOWN_SHARE of its height at MIN_KNOWN_INPUT is enough. The scale
                # drops in steps of sqrt(2), so that a gallery's tiles share a few input sizes
                # (each new size re-plans YuNet, see _net).
                scale /= np.sqrt(2) ** np.floor(2 * np.log2(full / needed))
            elif face > 0 and MIN_KNOWN_INPUT / face > full:
                # Faces smaller than a ninth of a large tile (a meeting room's camera as the speaker):
                # looked at so that the smallest arrives at MIN_KNOWN_INPUT, but no larger than the
                # whole frame is, where they were seen. (With KNOWN_SHARE's headroom here too, 4K
                # tiles of 150 px faces were looked at 30 % larger than needed.)
                scale = min(MIN_KNOWN_INPUT / face, max(full, frame_scale(*image.shape[:2])))
            faces = self._look(tile, scale, min_score=TILE_SCORE_SHARE * self.min_score)
            if not len(faces) and scale < full:
                # The face seen there scores lower in the smaller input (a backlit face, a hand on a
                # cheek): looked at as on first sight before the tile counts as empty.
                faces = self._look(tile, full, min_score=TILE_SCORE_SHARE * self.min_score)
            found.append(faces.offset(x, y))
        return found

    def _detect_frame(self, image: np.ndarray) -> FaceDetections:
        return self._look(image, frame_scale(*image.shape[:2]))

    def _look(self, picture: np.ndarray, scale: float, raw: bool = False, min_score: float | None = None) -> FaceDetections:
        """Faces in ``picture`` looked at ``scale`` times its size, boxes in its own pixels,
        scoring at least ``min_score`` (default: the detector's threshold).

        Boxes are canonical (``canonical_boxes``) unless ``raw``: YuNet's own box is
        for benchmarks/face_box_framing.py, which measures the conversion.
        """
        if abs(scale - 1.0) > 0.02:
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            picture = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=interpolation)
        else:
            scale = 1.0
        height, width = picture.shape[:2]
        if height < 8 or width < 8:
            return FaceDetections.empty()
        # Padded (black, bottom and right) to whole cells of YuNet's coarsest stride, which it does
        # itself anyway: tiles a pixel apart in size then share one planned detector.
        padded = cv2.copyMakeBorder(picture, 0, -height % CELL, 0, -width % CELL, cv2.BORDER_CONSTANT, value=0)
        _, rows = self._net((padded.shape[1], padded.shape[0])).detect(padded)
        if rows is None:
            return FaceDetections.empty()
        rows = _sound(rows, padded.shape[1], padded.shape[0])
        rows = rows[rows[:, -1] >= (self.min_score if min_score is None else min_score)]
        rows = rows.astype(np.float32) / np.float32(scale)
        if not len(rows):
            return FaceDetections.empty()
        rows[:, -1] *= scale  # the score is not a length
        keypoints = rows[:, 4 : 4 + 2 * NUM_LANDMARKS].reshape(-1, NUM_LANDMARKS, 2)
        boxes = rows[:, :4] if raw else canonical_boxes(rows[:, :4])
        return FaceDetections(boxes, np.clip(rows[:, -1], 0, 1), keypoints)


def _sound(rows: np.ndarray, width: int, height: int) -> np.ndarray:
    """The rows of YuNet's output that are detections in a ``width`` x ``height`` input.

    On a tiny, blank input (a 32x32 black square) YuNet can return rows of NaNs, or of whatever
    its buffers held: a box of no size far outside the input, scoring 1.0 (one 4x4 black frame in
    50 after other inputs, in the CI's test order). A face has a size and its centre in the input.
    """
    finite = np.isfinite(rows).all(axis=1)
    rows = rows[finite]
    x, y, w, h = rows[:, :4].T
    inside = (x + w / 2 >= 0) & (x + w / 2 < width) & (y + h / 2 >= 0) & (y + h / 2 < height)
    return rows[(w >= 1) & (h >= 1) & inside]


def frame_scale(height: int, width: int) -> float:
    """The scale a whole frame is looked at (``FRAME_SIDE``, ``FRAME_MIN_FACE``)."""
    return min(MAX_UPSCALE, max(FRAME_SIDE / max(height, width), MIN_FACE_INPUT / (FRAME_MIN_FACE * height)))


def canonical_boxes(boxes: np.ndarray) -> np.ndarray:
    """YuNet's boxes (x, y, w, h) as classwatch's canonical face box: a square brows to chin.

    YuNet's box runs from the hairline to below the chin (about 1.3 times as
    tall as wide). The expression model's crop (its card's margin and
    shift_y) was measured for a square box of ``CANONICAL_SIDE`` times that
    height whose centre lies ``CANONICAL_DROP`` of it lower.
    """
    side = CANONICAL_SIDE * boxes[:, 3]
    centre_x = boxes[:, 0] + boxes[:, 2] / 2
    centre_y = boxes[:, 1] + boxes[:, 3] / 2 + CANONICAL_DROP * boxes[:, 3]
    return np.stack([centre_x - side / 2, centre_y - side / 2, side, side], axis=1)
