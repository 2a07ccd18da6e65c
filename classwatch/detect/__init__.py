"""Face detection: ``make_detector(name)`` -> a FaceDetector.

"dnn" (default) is MediaPipe BlazeFace short range on LiteRT, run per
gallery tile; "haar" is OpenCV's frontal-face cascade, the classic baseline.
"""

from __future__ import annotations

from .base import MAX_FACES_PER_TILE, FaceDetector
from .blazeface import BlazeFaceDetector
from .haar import HaarDetector

DETECTORS = ("dnn", "haar")


def make_detector(name: str = "dnn", *, num_threads: int = 1, min_score: float | None = None) -> FaceDetector:
    """Build a detector by name.

    num_threads: LiteRT threads for "dnn" (the cascade is single-threaded).
    min_score: detection threshold in [0, 1]; None keeps each detector's
    measured default. Raises ValueError for an unknown name and
    classwatch.errors.ModelError when the model cannot be loaded.
    """
    if name == "dnn":
        return BlazeFaceDetector(num_threads=num_threads, min_score=min_score)
    if name == "haar":
        return HaarDetector(min_score=min_score)
    raise ValueError(f"unknown face detector {name!r}; choose one of {', '.join(DETECTORS)}")


__all__ = ["DETECTORS", "MAX_FACES_PER_TILE", "BlazeFaceDetector", "FaceDetector", "HaarDetector", "make_detector"]
