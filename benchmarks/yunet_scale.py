"""YuNet's recall by face height in its input, on the real screenshots and school photos.

    python benchmarks/yunet_scale.py [--galleries ../shared/data/galleries] [--classroom ../shared/data/classroom]

Each labelled picture is shrunk to several scales and YuNet runs over the
whole of it (threshold 0.5); every non-optional labelled face is found or
not (the scoring rule of classwatch.scoring), and is counted at its height
*in the input YuNet saw*. The table says how tall a face must arrive to be
found, which is what chooses the scales in classwatch/detect/yunet.py
(TILE_HEIGHT, FRAME_SIDE).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)
import cv2
import numpy as np

from classwatch.detect.yunet import YuNetDetector
from classwatch.scoring import Labelled, load_labels, score_faces
from classwatch.sources import read_image

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SCALES = (1.0, 0.75, 0.5, 0.35, 0.25, 0.18)
BINS = (8, 10, 12, 14, 16, 20, 24, 32, 48, 64, 96, 128, 200, 900)


def found_by_height(detector: YuNetDetector, labels: list[Labelled]) -> np.ndarray:
    """(K, 2) rows of (face height in the input, found 0/1) over all pictures and scales."""
    rows = []
    for label in labels:
        if label.video:
            continue
        image = read_image(label.path)
        keep = ~label.optional
        sure = Labelled(label.path, label.faces[keep], label.optional[keep], label.avatars)
        for scale in SCALES:
            small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            boxes = detector._look(small, 1.0, raw=True).boxes / scale
            missed = score_faces(boxes, sure).missed
            for face in sure.faces:
                hit = not any(np.array_equal(face, m) for m in missed)
                rows.append((face[3] * scale, float(hit)))
    return np.array(rows).reshape(-1, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galleries", type=Path, default=SHARED / "galleries")
    parser.add_argument("--classroom", type=Path, default=SHARED / "classroom")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    detector = YuNetDetector()
    sets = {name: folder for name, folder in (("screenshots", args.galleries), ("school photos", args.classroom))
            if (folder / "labels.json").is_file()}
    if not sets:
        sys.exit("no labelled pictures found")
    tables = {name: found_by_height(detector, load_labels(folder)) for name, folder in sets.items()}
    print(f"{'face height in input (px)':>26s}  " + "  ".join(f"{name:>20s}" for name in tables))
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        cells = []
        for rows in tables.values():
            m = (rows[:, 0] >= lo) & (rows[:, 0] < hi)
            cells.append(f"{rows[m, 1].mean():6.3f} of {int(m.sum()):4d}" if m.any() else " " * 14)
        print(f"{f'{lo}-{hi}':>26s}  " + "  ".join(f"{c:>20s}" for c in cells))


if __name__ == "__main__":
    main()
