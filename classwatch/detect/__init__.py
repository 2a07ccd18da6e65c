"""Face detection: ``make_detector(name)`` -> a FaceDetector.

"yunet" (default) is OpenCV Zoo's YuNet, run inside OpenCV (models/face_detection_yunet.md);
"haar" is OpenCV's frontal-face cascade, the classic baseline. "dnn", the
name earlier versions used for their neural detector, means "yunet".
"""

from __future__ import annotations

from .base import MAX_FACES_PER_TILE, FaceDetector
from .haar import HaarDetector
from .yunet import YuNetDetector

DETECTORS = ("yunet", "haar")
#: Old names still accepted (settings files, scripts): they mean the detector named here.
ALIASES = {"dnn": "yunet"}


def canonical_name(name: str) -> str:
    """The detector a (possibly old) name means; ValueError for an unknown one."""
    name = ALIASES.get(name, name)
    if name not in DETECTORS:
        raise ValueError(f"unknown face detector {name!r}; choose one of {', '.join(DETECTORS)}")
    return name


def make_detector(name: str = "yunet", *, min_score: float | None = None) -> FaceDetector:
    """Build a detector by name (or alias).

    min_score: detection threshold in [0, 1]; None keeps each detector's
    measured default. Raises ValueError for an unknown name and
    classwatch.errors.ModelError when the model cannot be loaded.
    """
    if canonical_name(name) == "yunet":
        return YuNetDetector(min_score=min_score)
    return HaarDetector(min_score=min_score)


__all__ = ["ALIASES", "DETECTORS", "MAX_FACES_PER_TILE", "FaceDetector", "HaarDetector", "YuNetDetector", "canonical_name", "make_detector"]
