"""How YuNet frames a FER2013 face, and the canonical face box that reproduces FER2013's crop.

    python benchmarks/face_box_framing.py [--data ../shared/data/fer2013/fer2013_trainval.npz] [--count 3000]

The expression model's card says how a face box becomes its 48x48 input
(``CropSpec``: a square ``max(w, h) * (1 + 2 * margin)`` around the box
centre, moved by ``shift_y`` of its side). Those values were measured for
the square box BlazeFace drew, which classwatch keeps as its canonical face
box: every detector reports boxes framed that way, so a model card holds for
all of them. This script measures the mapping for YuNet exactly as the card
did for BlazeFace: each FER2013 training face (48x48, already framed as the
model wants it) is centred on a grey canvas, scaled x``ZOOM``, and YuNet
looks at it. The canonical box is then the square of side
``48 / (1 + 2 * margin)`` whose centre lies ``-shift_y * 48`` below the crop
centre; its side and centre are expressed in units of YuNet's box height.
Prints the medians and quartiles that ``classwatch/detect/yunet.py`` uses.
"""

from __future__ import annotations

import argparse

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)
import cv2
import numpy as np

from classwatch.classify import ModelCard
from classwatch.detect.yunet import YuNetDetector
from classwatch.resources import model_path

CANVAS = 128
ZOOM = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/fer2013/fer2013_trainval.npz")
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    spec = ModelCard.load(model_path("expression.json")).crop
    data = np.load(args.data)
    pixels = data["pixels"][data["usage"] == 0][: args.count]
    detector = YuNetDetector()
    side = 48 / (1 + 2 * spec.margin)  # canonical box side, in FER pixels
    lift = -spec.shift_y * 48  # canonical box centre below the crop centre, in FER pixels
    sides, drops, widths = [], [], []
    for face in pixels:
        canvas = np.full((CANVAS, CANVAS), 128, np.uint8)
        o = (CANVAS - 48) // 2
        canvas[o : o + 48, o : o + 48] = face
        big = cv2.cvtColor(cv2.resize(canvas, None, fx=ZOOM, fy=ZOOM, interpolation=cv2.INTER_LINEAR), cv2.COLOR_GRAY2BGR)
        found = detector._look(big, 1.0, raw=True)
        if not len(found):
            continue
        x, y, w, h = found.boxes[int(np.argmax(found.scores))] / ZOOM
        centre_y = y + h / 2 - CANVAS / 2
        sides.append(side / h)
        drops.append((lift - centre_y) / h)
        widths.append(w / h)
    sides, drops, widths = np.array(sides), np.array(drops), np.array(widths)
    print(f"YuNet found a face in {len(sides)} of {len(pixels)} FER2013 training images (x{ZOOM} on a grey canvas)")
    print(f"card {spec.margin=}, {spec.shift_y=}: canonical box side {side:.1f} px, centre {lift:.2f} px below the crop centre")
    for name, values in (("side / YuNet height", sides), ("centre drop / YuNet height", drops), ("YuNet width / height", widths)):
        q1, q2, q3 = np.percentile(values, [25, 50, 75])
        print(f"{name:28s} median {q2:.3f}  (IQR {q1:.3f} .. {q3:.3f})")


if __name__ == "__main__":
    main()
