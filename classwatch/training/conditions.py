"""Capture conditions for robustness figures: validation faces as a class gallery would show them.

FER2013 crops are clean 48 px web images; a 7x7 gallery on a 1080p screen
gives faces of about 24 px, video codecs add blocks, classrooms are dim and
students wear masks or glasses. No labelled data set of such faces is at
hand, so each condition is a deterministic proxy applied to PublicTest
images, and models are compared on exactly the same degraded faces
(``accuracy_by_condition``). Positions are in FER2013's framing: in the mean
of the first 5,000 training faces the dark rows of the eyes are 15-18 and
those of the mouth 35-39 of 48 (row means over the central columns 12-35).
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np


def _per_image(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda pixels: np.stack([fn(p) for p in pixels])


def _resolution(side: int) -> Callable[[np.ndarray], np.ndarray]:
    """A face ``side`` px tall on screen, scaled back up to 48 px as ``crop_faces`` does."""
    return _per_image(lambda p: cv2.resize(cv2.resize(p, (side, side), interpolation=cv2.INTER_AREA),
                                           p.shape[::-1], interpolation=cv2.INTER_LINEAR))


def _jpeg(quality: int) -> Callable[[np.ndarray], np.ndarray]:
    def one(p: np.ndarray) -> np.ndarray:
        _, buf = cv2.imencode(".jpg", p, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)

    return _per_image(one)


def _cover(rows: slice, cols: slice, value: int) -> Callable[[np.ndarray], np.ndarray]:
    def apply(pixels: np.ndarray) -> np.ndarray:
        out = pixels.copy()
        out[:, rows, cols] = value
        return out

    return apply


def _dim(pixels: np.ndarray) -> np.ndarray:
    """An under-exposed webcam: gamma 1.8 (darker mid-tones) and contrast halved."""
    x = (pixels.astype(np.float32) / 255.0) ** 1.8
    mean = x.mean(axis=(1, 2), keepdims=True)
    x = (x - mean) * 0.5 + mean
    return np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


#: name -> (N, 48, 48) uint8 faces to degraded faces of the same shape.
CONDITIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "clean": lambda pixels: pixels,
    "24 px face (7x7 gallery, 1080p)": _resolution(24),
    "16 px face": _resolution(16),
    "JPEG quality 25": _jpeg(25),
    "dim, low contrast": _dim,
    "mask (rows 25-47 light grey)": _cover(slice(25, 48), slice(4, 44), 200),
    "sunglasses (rows 12-22 dark)": _cover(slice(12, 23), slice(5, 43), 25),
}


def accuracy_by_condition(
    predict: Callable[[np.ndarray], np.ndarray], pixels: np.ndarray, labels: np.ndarray
) -> dict[str, float]:
    """{condition: accuracy}; ``predict`` maps (N, 48, 48) uint8 faces to (N, 7) probabilities."""
    return {name: float((predict(degrade(pixels)).argmax(axis=1) == labels).mean()) for name, degrade in CONDITIONS.items()}
