"""Speed of the tile finder on a rendered 7x7 1080p gallery, on one core.

    python benchmarks/tiles_speed.py [--runs 200] [--jpeg 60]

Prints the median, 10th and 90th percentile wall time of ``find_tiles``.
OpenCV is pinned to one thread so the number is per core; run it on an idle
machine, a busy one inflates memory-bound steps several times.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from classwatch.synthetic import render_gallery
from classwatch.tiles import find_tiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--jpeg", type=int, default=None, help="JPEG quality of the rendered frame")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    gallery = render_gallery(7, 7, camera_off=(3, 17, 30), speaker=8, jpeg_quality=args.jpeg)
    layout = find_tiles(gallery.image)  # warm-up, and a sanity check
    if len(layout) != len(gallery.tiles):
        raise SystemExit(f"found {len(layout)} tiles, expected {len(gallery.tiles)}")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        find_tiles(gallery.image)
        times.append(time.perf_counter() - start)
    p10, p50, p90 = np.percentile(np.array(times) * 1000, [10, 50, 90])
    print(
        f"find_tiles 1920x1080 7x7: median {p50:.2f} ms (p10 {p10:.2f}, p90 {p90:.2f}) over {args.runs} runs, 1 thread"
    )


if __name__ == "__main__":
    main()
