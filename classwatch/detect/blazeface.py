"""MediaPipe BlazeFace on LiteRT, per tile or over a whole frame, with a check of uncertain candidates.

Each tile is letterboxed (aspect kept, black padding, RGB in [-1, 1], as
mediapipe's ImageToTensorCalculator does) into an input whose long side is
``INPUT_SIDE``. The short-range model's raw outputs are in input pixels, so
its input can be resized to the tile's aspect instead of wasting half of a
square on padding.

At the sizes that matter here (faces 24-40 px tall in a 7x7 gallery)
BlazeFace's score alone cannot tell small faces from lettering: rendered
participant names score up to 0.67, while many small or turned real faces
score 0.2-0.7. So the tile pass keeps every candidate above a low
``min_score`` and each one is vetted:

* ``sure_score`` or more: a face (the common case, at no extra cost);
* small in the input: a second, zoomed look must find a face there. A face
  gets bigger and scores high, lettering and texture do not (zoomed scores:
  at most 0.36 on 310 name-card hits, 0.47-0.54 on the worst random-noise
  tiles; 95% of 433 faces 18-70 px above 0.57, hence CONFIRM_SCORE 0.55);
* larger: a face if it scores ``keep_score`` and its box is not a flat
  camera-off card (``_flat``), which is what large text hits are.

A frame without a gallery grid is searched at several scales instead
(``_detect_frame``, see MIN_FACE_HEIGHT) and vetted more strictly: nothing
skips camera-off tiles there and there is no tile to compare sizes in.
No candidate may be flat (at FRAME_FLAT_SHARE), uncertain ones of
any size need a second look (at FRAME_CONFIRM_SCORE, large ones maybe a
third), a small face on the chest of a bigger one is dropped (``_on_a_body``)
and so is one nested with a more confident one (``_nested``).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from ..litert import load_interpreter
from ..resources import model_path
from ..types import FaceDetections
from . import ssd
from .base import MIN_RELATIVE_SIZE, TiledDetector


@dataclass(frozen=True)
class BlazeFaceModel:
    """One BlazeFace variant: its file, input geometry, anchors and score thresholds."""

    file: str
    input_size: int  # side of the square input it was trained on (= x/y/w/h_scale)
    strides: tuple[int, ...]  # SsdAnchorsCalculator strides, one per layer
    interpolated_anchor: bool  # interpolated_scale_aspect_ratio > 0
    resizable: bool  # whether LiteRT can run it on other input sizes
    min_score: float  # a tile-pass candidate needs this much to be looked at ...
    keep_score: float  # ... this much to be kept as it is when large and not on a flat card ...
    sure_score: float  # ... and this much to be kept without any check


SHORT_RANGE = BlazeFaceModel(
    "face_detection_short_range.tflite", 128, (8, 16, 16, 16), True, resizable=True,
    # benchmarks/detect_speed.py, pasted 24-31 px faces: recall 0.89 with
    # these thresholds and checks, 0.67 with mediapipe's plain 0.5 (which
    # also finds 21 faces on 49 name cards). Names score up to 0.67, hence
    # sure_score 0.75.
    min_score=0.2, keep_score=0.5, sure_score=0.75,
)
FULL_RANGE = BlazeFaceModel(
    # The sparse full-range graph hard-codes its 192x192 shape (XNNPACK
    # fails to reshape it), so tiles are letterboxed into that square; it
    # keeps mediapipe's own threshold and no further checks.
    "face_detection_full_range_sparse.tflite", 192, (4,), False, resizable=False,
    min_score=0.6, keep_score=0.6, sure_score=0.6,
)

#: Long side, in input pixels, each tile is scaled to. The model's cost grows
#: with the input area (one core: 1.3 ms at 128x128, 1.7 ms at 192x112) and
#: its reach with the scale: in the 270x150 tiles of a 7x7 1080p gallery,
#: recall on 24-31 px faces is 0.53 at side 128, 0.70 at 160 and 0.89 at 192
#: (see models/face_detection_short_range.md).
INPUT_SIDE = 192
#: Uncertain candidates smaller than this (input pixels) get the second look:
#: the candidate box times CONFIRM_CONTEXT, scaled into a CONFIRM_SIDE square
#: (a face then fills half the input, where the model is most certain), kept
#: if the model finds a face scoring CONFIRM_SCORE near its centre.
CONFIRM_BELOW = 32
CONFIRM_SIDE = 64
CONFIRM_CONTEXT = 2.0
CONFIRM_SCORE = 0.55
#: A whole frame has far more uncertain candidates (backgrounds, name
#: labels, at every scale): in the whole-frame part of
#: benchmarks/detect_speed.py, 0.55 let through 7 false faces on 60 rendered
#: galleries and 1 on the Zoom recording, 0.6 let 4 and none, for 0.74
#: instead of 0.78 of the 24-31 px FER2013 crops on textures.
FRAME_CONFIRM_SCORE = 0.6
#: There, an uncertain candidate at least LARGE_FROM input pixels tall that
#: fails that look gets one more into a LARGE_SIDE square, which shrinks it
#: less: a bowed head scores under 0.6 in the 64 px look but up to 0.76 in
#: this one (the recording's boy looking down: found in 46 of its 48 frames
#: instead of 40). Backgrounds score higher there too, hence LARGE_SCORE.
LARGE_FROM = 48
LARGE_SIDE = 128
LARGE_SCORE = 0.7
#: Larger uncertain candidates are dropped when their box is mostly flat
#: colour: a camera-off card rendered by the call app is its fill, maybe an
#: avatar circle, and thin lettering. Measured share of the box within
#: FLAT_TOLERANCE grey levels of its two commonest levels: 0.71-0.98 on
#: rendered names and avatars (JPEG-compressed ones included), 0.24-0.48 on
#: faces. In a whole frame every candidate is tested, with FRAME_FLAT_SHARE:
#: there an initials avatar scores up to 0.84 and its box, which takes in
#: the disc's edge and the tile around it, can be as little as 0.56 flat
#: (0.56-0.98 on 120 name and avatar hits of 12 camera-off galleries, at
#: most 0.46 on the faces of pasted, rendered and recorded galleries).
FLAT_SHARE = 0.6
FRAME_FLAT_SHARE = 0.52
FLAT_TOLERANCE = 4
_CELL = 16  # the coarsest stride: resized inputs are whole cells

#: Whole-frame search (no gallery grid). One view of the frame at INPUT_SIDE
#: only finds faces over ~1/11 of its long side, so the frame is searched at
#: a pyramid of scales: from the one that makes the smallest face promised
#: (MIN_FACE_HEIGHT times the frame height: 24 px at 1080p) FACE_MIN_INPUT
#: input pixels tall, down to that single view, which finds the biggest
#: faces. The short-range model finds faces 20-128 input pixels tall
#: (pasted faces on a texture: candidates for 94 % at 20-23 px, 59 % at
#: 14-16 px, 100 % at 24-128 px, 38 % at 160-200 px), so levels at most
#: LEVEL_RATIO apart put every face at 20-80 px in one of them.
MIN_FACE_HEIGHT = 24 / 1080
FACE_MIN_INPUT = 20
LEVEL_RATIO = 4.0
#: A level bigger than WINDOW_SIDE input pixels is cut into overlapping
#: windows: LiteRT's arena grows with the input (~180 bytes per input pixel:
#: 1088x1920 would take 370 MB, 640x640 takes ~75 MB). The windows overlap
#: by more than the largest face a level is responsible for (FACE_MIN_INPUT
#: * LEVEL_RATIO = 80 px; bigger ones are whole in the next level), so every
#: face is whole in some window; the blending NMS merges it with what a
#: neighbour saw of it (40 faces across window edges: none lost or doubled).
WINDOW_SIDE = 640
WINDOW_OVERLAP = 96


class _Runner:
    """Runs one model on inputs of any shape it supports, one interpreter per shape.

    Resizing a LiteRT input re-plans the graph (milliseconds) and a session
    sees only a few shapes (the tile shape, the second-look square, one
    window shape per whole-frame level), so each shape's interpreter is
    built once; a small LRU bounds memory when the layout changes.
    """

    def __init__(self, model: BlazeFaceModel, num_threads: int, capacity: int = 6) -> None:
        self.model = model
        self.num_threads = num_threads
        self.capacity = capacity
        self._cache: OrderedDict[tuple[int, int], tuple] = OrderedDict()

    def __call__(self, tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(1, H, W, 3) float32 -> raw (N, 16), logits (N,), anchor centres (N, 2)."""
        shape = (tensor.shape[1], tensor.shape[2])
        entry = self._cache.get(shape) or self._build(shape)
        self._cache.move_to_end(shape)
        interpreter, inp, out_raw, out_logits, anchors = entry
        interpreter.set_tensor(inp, tensor)
        interpreter.invoke()
        return interpreter.get_tensor(out_raw)[0], interpreter.get_tensor(out_logits)[0, :, 0], anchors

    def _build(self, shape: tuple[int, int]) -> tuple:
        interpreter = load_interpreter(model_path(self.model.file), self.num_threads)
        inp = interpreter.get_input_details()[0]["index"]
        if shape != (self.model.input_size, self.model.input_size):
            interpreter.resize_tensor_input(inp, [1, *shape, 3])
            interpreter.allocate_tensors()
        # Output names differ between the two files; the last dimension does not.
        outputs = {d["shape"][-1]: d["index"] for d in interpreter.get_output_details()}
        anchors = ssd.anchor_centres(*shape, self.model.strides, self.model.interpolated_anchor)
        self._cache[shape] = entry = (interpreter, inp, outputs[16], outputs[1], anchors)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return entry


@dataclass(frozen=True)
class _Letterbox:
    """A region of the image fitted (aspect kept, centred, black border) into an input shape."""

    region: tuple[int, int, int, int]  # (x, y, w, h) in the image
    shape: tuple[int, int]  # input (H, W)
    scale: float
    pad: np.ndarray  # (2,) where the region's top-left lands in the input

    @classmethod
    def fit(cls, region: np.ndarray, shape: tuple[int, int]) -> "_Letterbox":
        x, y, w, h = (int(v) for v in region)
        scale = min(shape[1] / w, shape[0] / h)
        pad = np.array([(shape[1] - w * scale) / 2, (shape[0] - h * scale) / 2], np.float32).round()
        return cls((x, y, w, h), shape, scale, pad)

    def tensor(self, image: np.ndarray) -> np.ndarray:
        """The (1, H, W, 3) float32 RGB model input in [-1, 1]."""
        x, y, w, h = self.region
        size = (min(self.shape[1], max(1, round(w * self.scale))), min(self.shape[0], max(1, round(h * self.scale))))
        # Bilinear is ~6x cheaper than area averaging and alias-free enough
        # down to half size; stronger shrinks (big tiles) need the averaging.
        interpolation = cv2.INTER_LINEAR if self.scale >= 0.5 else cv2.INTER_AREA
        canvas = np.zeros((*self.shape, 3), np.uint8)
        px, py = (int(v) for v in self.pad)
        crop = image[y : y + h, x : x + w]
        canvas[py : py + size[1], px : px + size[0]] = cv2.resize(crop, size, interpolation=interpolation)
        tensor = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).astype(np.float32)
        tensor *= 2.0 / 255.0
        tensor -= 1.0
        return tensor[None]

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) input pixels -> image pixels."""
        return (points - self.pad) / self.scale + np.array(self.region[:2], np.float32)


class BlazeFaceDetector(TiledDetector):
    """BlazeFace once per tile, plus a zoomed second look at uncertain candidates."""

    name = "dnn"

    def __init__(
        self,
        model: BlazeFaceModel = SHORT_RANGE,
        *,
        num_threads: int = 1,
        min_score: float | None = None,
        input_side: int = INPUT_SIDE,
    ) -> None:
        """min_score: the tile-pass threshold (default: the model's); candidates
        below the model's ``sure_score`` are still vetted."""
        super().__init__()
        self.model = model
        self.min_score = model.min_score if min_score is None else min_score
        self.extra_face_min_score = model.sure_score
        self.input_side = input_side
        self._run = _Runner(model, num_threads)
        # Load now, so a missing or corrupt file fails at start-up as a ModelError.
        self._run(np.zeros((1, model.input_size, model.input_size, 3), np.float32))

    def _detect_regions(self, image: np.ndarray, regions: np.ndarray, limit: int | None) -> list[FaceDetections]:
        return [self._detect_view(image, _Letterbox.fit(r, self._input_shape(r)), r, limit) for r in regions]

    def _detect_frame(self, image: np.ndarray) -> FaceDetections:
        """Every window of every level (see MIN_FACE_HEIGHT), merged by blending NMS.

        A face whole in two windows or found at two levels becomes one. The
        full-range model's fixed 192x192 input would need hundreds of windows
        for the same reach, so it keeps the single view.
        """
        if not self.model.resizable:
            return super()._detect_frame(image)
        height, width = image.shape[:2]
        frame = np.array([0, 0, width, height])
        parts = []
        for scale in _levels(width, height, self.input_side / max(width, height)):
            for y, h in _windows(height, scale):
                for x, w in _windows(width, scale):
                    letterbox = _Letterbox.fit(np.array([x, y, w, h]), (_cells(h * scale), _cells(w * scale)))
                    parts.append(self._detect_view(image, letterbox, frame, None, whole_frame=True))
        faces = FaceDetections.concat(parts)
        boxes, keypoints, scores = ssd.weighted_nms(faces.boxes, faces.keypoints, faces.scores)
        return FaceDetections(boxes, scores, keypoints).select(~_on_a_body(boxes) & ~_nested(boxes, scores))

    def _detect_view(
        self, image: np.ndarray, letterbox: _Letterbox, region: np.ndarray, limit: int | None, whole_frame: bool = False
    ) -> FaceDetections:
        """Vetted faces in one letterboxed view: a tile, or a window of a whole frame.

        region: the tile, or the frame; second looks stay inside it.
        whole_frame: vet as for a frame without a grid (see the module docstring).
        """
        kept = []
        # Candidates come best first; stop once the tile has all it may keep,
        # so a busy tile cannot trigger a long run of second looks.
        for face in zip(*self._look(image, letterbox, self.min_score)):
            if len(kept) == limit:
                break
            face = self._vet(image, region, face, face[0][3] * letterbox.scale, whole_frame)
            if face is not None:
                kept.append(face)
        if not kept:
            return FaceDetections.empty()
        boxes, keypoints, scores = (np.stack(column) for column in zip(*kept))
        return FaceDetections(boxes, scores, keypoints)

    def _vet(self, image: np.ndarray, region: np.ndarray, face: tuple, input_height: float, whole_frame: bool = False):
        """The candidate face (box, keypoints, score), a refined one, or None (see the module docstring)."""
        box, _, score = face
        if whole_frame:
            # No camera-off flags and no tile to compare sizes in: any
            # candidate may be a rendered card (an avatar scores up to 0.84)
            # and uncertain ones of any size need a second look.
            if _flat(image, box, region, FRAME_FLAT_SHARE):
                return None
            if score >= self.model.sure_score:
                return face
            found = self._confirm(image, region, box, FRAME_CONFIRM_SCORE)
            if found is None and input_height >= LARGE_FROM:
                found = self._confirm(image, region, box, LARGE_SCORE, LARGE_SIDE)
            return found
        if score >= self.model.sure_score:
            return face
        if input_height < CONFIRM_BELOW:
            return self._confirm(image, region, box)
        if score >= self.model.keep_score and not _flat(image, box, region):
            return face
        return None

    def _input_shape(self, region: np.ndarray) -> tuple[int, int]:
        if not self.model.resizable:
            return self.model.input_size, self.model.input_size
        w, h = int(region[2]), int(region[3])
        scale = self.input_side / max(w, h)
        return _cells(h * scale), _cells(w * scale)

    def _look(self, image: np.ndarray, letterbox: _Letterbox, min_score: float):
        """Boxes (n, 4), keypoints (n, 6, 2) in image pixels and scores (n,), best first."""
        raw, logits, anchors = self._run(letterbox.tensor(image))
        boxes, keypoints, scores = ssd.weighted_nms(*ssd.decode(raw, logits, anchors, min_score))
        boxes[:, :2] = letterbox.to_image(boxes[:, :2])
        boxes[:, 2:] /= letterbox.scale
        return boxes, letterbox.to_image(keypoints), scores

    def _confirm(
        self,
        image: np.ndarray,
        region: np.ndarray,
        candidate: np.ndarray,
        min_score: float = CONFIRM_SCORE,
        side: int = CONFIRM_SIDE,
    ):
        """The face a zoomed look (into a ``side`` square) finds at ``candidate``, or None.

        The look stays inside the tile (``region``), like the tile pass. It
        returns (box, keypoints, score) from the closer look, whose box and
        landmarks are more precise than the tile pass's for a small face.
        """
        centre = candidate[:2] + candidate[2:] / 2
        half = CONFIRM_CONTEXT * max(candidate[2], candidate[3]) / 2
        x0, y0 = np.maximum(np.floor(centre - half), region[:2]).astype(int)
        x1, y1 = np.minimum(np.ceil(centre + half), region[:2] + region[2:]).astype(int)
        if x1 <= x0 or y1 <= y0:
            return None
        side = side if self.model.resizable else self.model.input_size
        letterbox = _Letterbox.fit(np.array([x0, y0, x1 - x0, y1 - y0]), (side, side))
        boxes, keypoints, scores = self._look(image, letterbox, min_score)
        # The same face: its centre within 0.3 candidate sizes of the candidate's.
        near = np.linalg.norm(boxes[:, :2] + boxes[:, 2:] / 2 - centre, axis=1) < 0.3 * max(candidate[2], candidate[3])
        if not near.any():
            return None
        best = np.flatnonzero(near)[0]
        return boxes[best], keypoints[best], scores[best]


def _nested(boxes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(N,) True for faces whose box holds the centre of a more confident face, or whose centre lies in its box.

    Views of one face at different scales that overlap too little for the
    NMS to merge them: a box around a whole head and shoulders at a coarse
    level, a box on an eye at a fine one. Two people's faces never overlap
    that much without one hiding the other.
    """
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    holds = ((centres[None] >= boxes[:, None, :2]) & (centres[None] <= boxes[:, None, :2] + boxes[:, None, 2:])).all(-1)
    return ((holds | holds.T) & (scores[None, :] > scores[:, None])).any(axis=1)


def _on_a_body(boxes: np.ndarray) -> np.ndarray:
    """(N,) True for faces on the chest of a face at least twice as tall (see MIN_RELATIVE_SIZE).

    The whole-frame form of the per-tile size rule: a small "face" centred
    within 0.75 face heights under a bigger face's chin and a face width
    either side of its centre is on that person's clothes (BlazeFace likes a
    spacesuit's collar ring, 0.25 heights down, even at 0.8), and the chest
    hides anyone behind. A face in the gallery row below sits lower: even
    under a face filling 60 % of its tile, 0.9 heights under the chin.
    """
    x, y, w, h = (boxes[None, :, k] for k in range(4))  # the bigger face: columns
    cx, cy = (boxes[:, k : k + 1] + boxes[:, k + 2 : k + 3] / 2 for k in range(2))  # the smaller: rows
    chest = (cx >= x - w / 2) & (cx <= x + 1.5 * w) & (cy >= y + h) & (cy <= y + 1.75 * h)
    return (chest & (boxes[:, 3:4] <= MIN_RELATIVE_SIZE * h)).any(axis=1)


def _cells(size: float) -> int:
    """``size`` input pixels rounded, then up to whole cells."""
    return -(-round(size) // _CELL) * _CELL


def _levels(width: int, height: int, fit: float) -> np.ndarray:
    """Scales (input / image pixels) of the whole-frame search, finest first, ending at ``fit``.

    fit: the scale of the single whole-frame view. The finest level never
    enlarges the frame: upscaling adds no detail, and a face under
    FACE_MIN_INPUT pixels at full resolution is out of reach anyway.
    """
    finest = min(1.0, FACE_MIN_INPUT / (MIN_FACE_HEIGHT * height))
    if finest <= fit:
        return np.array([fit])
    return np.geomspace(finest, fit, 1 + math.ceil(math.log(finest / fit) / math.log(LEVEL_RATIO)))


def _windows(length: int, scale: float) -> list[tuple[int, int]]:
    """(start, size) of equal windows covering ``length`` image pixels at ``scale``.

    As few as keep each at most WINDOW_SIDE input pixels, neighbours
    overlapping by at least WINDOW_OVERLAP input pixels.
    """
    side, overlap = WINDOW_SIDE / scale, WINDOW_OVERLAP / scale
    if length <= side:
        return [(0, length)]
    n = math.ceil((length - overlap) / (side - overlap))
    size = min(length, math.ceil((length + (n - 1) * overlap) / n))
    return [(int(start), size) for start in np.linspace(0, length - size, n).round()]


def _flat(image: np.ndarray, box: np.ndarray, region: np.ndarray, share: float = FLAT_SHARE) -> bool:
    """Whether ``box`` (clipped to ``region``) is mostly two flat colours (see FLAT_SHARE)."""
    x0, y0 = np.maximum(box[:2], region[:2]).astype(int)
    x1, y1 = np.minimum(box[:2] + box[2:], region[:2] + region[2:]).astype(int)
    if x1 <= x0 or y1 <= y0:
        return True
    gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    histogram = np.bincount(gray.ravel(), minlength=256).astype(np.float32)
    window = np.ones(2 * FLAT_TOLERANCE + 1, np.float32)
    covered = 0.0
    for _ in range(2):
        near = np.convolve(histogram, window, "same")
        mode = int(near.argmax())
        covered += near[mode]
        histogram[max(0, mode - FLAT_TOLERANCE) : mode + FLAT_TOLERANCE + 1] = 0
    return covered >= share * gray.size
