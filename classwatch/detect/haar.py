"""OpenCV's Viola-Jones frontal-face cascade: the classic baseline.

No model file to ship (the XML comes with opencv-python-headless < 5) and
no landmarks (K = 0). It misses turned and tilted heads, finds fewer small
faces than YuNet and is several times slower (``classwatch bench`` times
it as the classic baseline), which is why "yunet" is the default;
benchmarks use it on the whole frame as the classic reference.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import ModelError
from ..types import FaceDetections
from .base import TiledDetector

CASCADE = "haarcascade_frontalface_default.xml"
#: The cascade's window is 24x24 px, so nothing smaller is ever found;
#: 20 px asks for every scale down to that native size.
MIN_SIZE = 20
#: 1.1 is OpenCV's default pyramid step: coarser steps skip face sizes
#: between levels, finer ones cost time for little recall.
SCALE_FACTOR = 1.1
#: Overlapping raw hits a face needs: the usual 5; fewer lets clutter
#: through, more drops small faces, which gather fewer hits.
MIN_NEIGHBORS = 5


class HaarDetector(TiledDetector):
    """Haar cascade per tile (or on the whole frame), on the grey image."""

    name = "haar"

    def __init__(self, *, min_score: float | None = None) -> None:
        """min_score: drop faces whose score (see ``_score``) is lower; by
        default none are, as ``MIN_NEIGHBORS`` already did the thresholding."""
        super().__init__()
        path = Path(cv2.data.haarcascades) / CASCADE
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise ModelError(f"cannot load the Haar cascade {path}")
        self.min_score = 0.0 if min_score is None else min_score

    def _detect_regions(self, image: np.ndarray, regions: np.ndarray, limit: int | None, known: np.ndarray) -> list[FaceDetections]:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return [self._detect_region(gray, region) for region in regions]

    def _detect_region(self, gray: np.ndarray, region: np.ndarray) -> FaceDetections:
        x, y, w, h = (int(v) for v in region)
        rects, neighbours = self._cascade.detectMultiScale2(
            gray[y : y + h, x : x + w],
            scaleFactor=SCALE_FACTOR,
            minNeighbors=MIN_NEIGHBORS,
            minSize=(MIN_SIZE, MIN_SIZE),
        )
        if len(rects) == 0:
            return FaceDetections.empty()
        scores = _score(np.asarray(neighbours, np.float32))
        keep = scores >= self.min_score
        faces = FaceDetections(np.asarray(rects, np.float32)[keep], scores[keep])
        return faces.offset(x, y)


def _score(neighbours: np.ndarray) -> np.ndarray:
    """A [0, 1] confidence from the number of raw hits merged into a face.

    The cascade gives no probability; the count of overlapping windows is
    its usual confidence. n / (n + MIN_NEIGHBORS) is 0.5 at the acceptance
    threshold and approaches 1 with more support.
    """
    return neighbours / (neighbours + MIN_NEIGHBORS)
