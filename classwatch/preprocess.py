"""Face crop and model-input preprocessing, shared by inference and training.

Training (``classwatch/training``) and the live classifier both call these two
functions, so the framing and normalisation a model was trained with are the
ones it sees at run time. The parameters come from the model card.

FER2013 framing: a 48x48 grey crop, roughly from the top of the forehead to
just below the chin, face centred. A detector box (brows to chin, about the
face width) is turned into that framing by taking a square around the box
centre whose side is ``max(w, h) * (1 + 2 * margin)``, moved down by
``shift_y * side``. The model card holds the values. They were measured for
the square box BlazeFace drew, by running it on FER2013 images (shift_y comes
out negative: FER crops keep the forehead above the brows); YuNet's boxes are
converted to that canonical box (classwatch/detect/yunet.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CropSpec:
    """How a detector box becomes a model input (recorded in each model card)."""

    size: int = 48  # output side in pixels
    margin: float = 0.15  # extra on each side, as a fraction of the box side
    shift_y: float = 0.0  # vertical shift of the crop centre, as a fraction of the crop side
    mean: float = 0.0  # input = (pixel / 255 - mean) / std
    std: float = 1.0

    def __post_init__(self) -> None:
        if self.size < 8 or self.std <= 0 or self.margin < -0.4:
            raise ValueError(f"invalid CropSpec {self}")


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) BGR or (H, W) grey uint8 -> (H, W) grey uint8."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def crop_faces(
    gray: np.ndarray,
    boxes: np.ndarray,
    spec: CropSpec,
    angles: np.ndarray | None = None,
) -> np.ndarray:
    """Cut square face crops out of a grey image.

    gray: (H, W) uint8. boxes: (N, 4) float (x, y, w, h). angles: optional (N,)
    roll in degrees (positive = counter-clockwise), used to level the eyes.
    Returns (N, size, size) uint8. Parts of the crop outside the image repeat
    the border pixels, as FER2013's own crops do near the image edge.
    """
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    out = np.empty((len(boxes), spec.size, spec.size), np.uint8)
    for i, (x, y, w, h) in enumerate(boxes):
        side = max(float(w), float(h), 1.0) * (1.0 + 2.0 * spec.margin)
        cx = x + w / 2.0
        cy = y + h / 2.0 + spec.shift_y * side
        scale = spec.size / side
        angle = 0.0 if angles is None else float(angles[i])
        m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
        # Move the (rotated, scaled) crop centre to the output centre.
        m[0, 2] += spec.size / 2.0 - cx
        m[1, 2] += spec.size / 2.0 - cy
        out[i] = cv2.warpAffine(
            gray, m, (spec.size, spec.size), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    return out


def to_model_input(crops: np.ndarray, spec: CropSpec) -> np.ndarray:
    """(N, S, S) uint8 crops -> (N, S, S, 1) float32 model input."""
    x = np.asarray(crops, np.float32) * (1.0 / 255.0)
    x = (x - spec.mean) / spec.std
    return x[..., None]
