"""The real screenshots captured larger or smaller: does reading a call depend on the capture size?

    python benchmarks/capture_scale.py [--galleries ../shared/data/galleries] [--scales 0.5 0.75 1 1.5] [--jpeg 40] [--offset 3] [--page 235 [--texture 12]]

A teacher's capture of the same call can be half or twice the size of the
development screenshots (a smaller window, another screen). Each labelled
screenshot is resized (INTER_AREA down, INTER_LINEAR up), its labels with it,
and read by a fresh pipeline (no expressions, no attention); printed per
scale: face recall and precision, faces on avatars, and the screenshots whose
tile and camera-off counts are right (the wrong ones named), scored as
``classwatch.scoring`` says. With ``--jpeg Q`` each resized capture is also
re-encoded as a JPEG of quality Q: a call seen through a stream or a
compressed recording, whose flat fills and thin gutters blur and block.
``--offset N`` crops N pixels off each capture's left and top first: a
capture region that starts a few pixels over cuts the first row and column
of tiles narrower, changes the scale the whole frame is looked at by a
hair, and lays JPEG's 8x8 blocks differently on the gutters. A change is
worth keeping only when it holds at more than one offset (tiles right of
147 at offsets 0 / 3 / 5: lossless 140 / 139 / 134; ``--jpeg 70`` 129 / 125 /
123; docs/layout-experiments.md says how a change is judged).
With ``--page GREY`` each resized capture is set in a page of that grey, at
least 1920x1080, 150 px from its left and 120 px from its top: a call shown
small inside a larger screen or a streamed window in a browser. ``--texture SD``
adds noise of that standard deviation to the page (seeded): a page with no
flat margin to cut off, like a browser's or a player's controls around the call.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)
import cv2
import numpy as np

from classwatch.pipeline import Pipeline, PipelineConfig
from classwatch.scoring import load_labels, score_faces
from classwatch.sources import read_image
from classwatch.types import Frame

GALLERIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "galleries"
#: Where a capture sits in its page (x, y), and the page's smallest size (width, height).
PAGE_OFFSET = (150, 120)
PAGE_SIZE = (1920, 1080)


def in_page(image: np.ndarray, grey: int, texture: float = 0.0) -> np.ndarray:
    """The capture set in a page of one grey (plus noise of SD ``texture``), PAGE_OFFSET from its top left."""
    (x, y), (w, h) = PAGE_OFFSET, PAGE_SIZE
    shape = (max(h, image.shape[0] + 2 * y), max(w, image.shape[1] + 2 * x), 3)
    page = np.full(shape, grey, np.uint8)
    if texture:
        page = np.clip(grey + np.random.default_rng(0).normal(0.0, texture, shape), 0, 255).astype(np.uint8)
    page[y : y + image.shape[0], x : x + image.shape[1]] = image
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galleries", type=Path, default=GALLERIES)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.5, 0.6, 0.75, 0.9, 1.0, 1.25, 1.5])
    parser.add_argument("--page", type=int, default=None, metavar="GREY", help="set each capture in a 1920x1080 page of this grey")
    parser.add_argument("--texture", type=float, default=0.0, metavar="SD", help="noise of this SD on the page (no flat margin)")
    parser.add_argument("--jpeg", type=int, default=None, metavar="Q", help="re-encode each capture as JPEG of quality Q")
    parser.add_argument("--offset", type=int, default=0, metavar="N", help="crop N pixels off each capture's left and top")
    args = parser.parse_args()
    if not (args.galleries / "labels.json").is_file():
        sys.exit(f"error: no labelled screenshots at {args.galleries}")
    cv2.setNumThreads(1)
    labels = [label for label in load_labels(args.galleries) if not label.video]
    pipeline = Pipeline(PipelineConfig(emotions=False, attention=False, redetect_s=0))
    for scale in args.scales:
        total, wrong = None, []
        for label in labels:
            image = read_image(label.path)
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
            image = image[args.offset :, args.offset :]
            shift = np.array([-args.offset, -args.offset, 0, 0], np.float64)
            if args.page is not None:
                image, shift[:2] = in_page(image, args.page, args.texture), shift[:2] + PAGE_OFFSET
            if args.jpeg is not None:
                image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, args.jpeg])[1], cv2.IMREAD_COLOR)
            scaled = dataclasses.replace(label, faces=label.faces * scale + shift, avatars=label.avatars * scale + shift)
            pipeline.reset()
            result = pipeline.process(Frame(image, 0.0))
            score = score_faces(result.faces.boxes, scaled)
            total = score if total is None else total + score
            if (len(result.layout), int((~result.layout.video).sum())) != (label.tiles, label.camera_off):
                wrong.append(label.path.stem)
        print(
            f"scale {scale:4.2f}{'' if args.jpeg is None else f' jpeg {args.jpeg}'}{f' offset {args.offset}' if args.offset else ''}"
            f"{'' if args.page is None else ' in a page' + (f' textured {args.texture:g}' if args.texture else '')}: recall {total.recall:.3f} precision {total.precision:.3f} on avatars {total.on_avatars}"
            f"  tiles right {len(labels) - len(wrong)} of {len(labels)}" + (f" (wrong: {', '.join(wrong)})" if wrong else "")
        )


if __name__ == "__main__":
    main()
