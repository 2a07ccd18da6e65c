"""When does the app search for a call's layout again? Changes it should see, and frames where it should not.

    python benchmarks/layout_watch.py [--galleries ../shared/data/galleries] [--frames 60] [--periodic]

The layout tracker (``classwatch/layout/tracker.py``) keeps a layout and
checks it each frame (``layout/watch.py``), searching again when the check
fails. Here the periodic search (every ``MAX_AGE_S``) is switched off, so
every search printed is one the check asked for; ``--periodic`` keeps it, as
the app runs (with ``--frames 150``: does a periodic search that comes out a
tile off set off more searches?):

- changes: synthetic 4x4 galleries (Zoom, Meet and Teams styles) of 14
  participants, then 15 or 13 (the last row centred again); and a real
  screenshot (``zoom_es17a.jpg``, 17 tiles, room in its last
  row) read once, then changed as Zoom changes it: someone joins (the last
  row centred again with a newcomer pasted from the screenshot's own tiles),
  someone leaves (the last tile emptied; the last row centred again with one
  tile), a video plays in the empty place (no tile: searched once, then that
  place is muted). Printed: the frames searched and the tiles after each, with
  the whole check and, in the same run, with the tiles' sides alone (the check
  before the gaps and the tiles' middles were watched, when these changes
  waited for the periodic search, up to 30 s).
- calm: moving synthetic galleries (participants drift, re-scale, re-light,
  JPEG frames, a tile changes person about once a minute) and the real
  recordings of the development set, where every search after the first is
  one too many, unless the first came out wrong.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import checkout
import cv2
import numpy as np

from classwatch.detect.yunet import YuNetDetector
from classwatch.layout import tracker, watch
from classwatch.sources import VideoSource

checkout.tests_on_path()
from synthetic import animate_gallery, render_gallery  # noqa: E402

GALLERIES = checkout.REPO.parent / "shared" / "data" / "galleries"
VIDEO = checkout.REPO.parent / "shared" / "data" / "video" / "zoom_gallery_4tiles.mp4"
GRIDS = [(7, 7, 1), (7, 7, 2), (5, 5, 1), (4, 4, 1), (3, 4, 3)]


def searches(images: list[np.ndarray], detector: YuNetDetector) -> list[tuple[int, int]]:
    """(frame, tiles found) for each frame where the layout was searched, frames a second apart."""
    layouts = tracker.LayoutTracker(detector)
    found = []
    for i, image in enumerate(images):
        layout = layouts.update(image, float(i))
        if layouts.last_found:
            found.append((i, len(layout)))
    return found


def nothing_new(self: watch.Watch, grey: np.ndarray) -> None:
    """``Watch.news`` as it was before the gaps and the tiles' middles were watched: only the
    tiles' sides (``Watch.moved``) asked for a search."""
    return None


def changes(image: np.ndarray) -> dict[str, list[np.ndarray]]:
    """zoom_es17a.jpg (1894x859; last row: tiles at x 619 and 962, 336x189, at y 642) as it changes."""
    background = image[850, 5]

    def changed(paint) -> np.ndarray:
        frame = image.copy()
        paint(frame)
        return frame

    def joined(frame: np.ndarray) -> None:
        frame[636:840, 400:1500] = background
        frame[642:831, 444:780] = image[642:831, 619:955]
        frame[642:831, 789:1125] = image[643:832, 962:1298]
        frame[642:831, 1134:1470] = image[445:634, 789:1125]  # the newcomer

    def emptied(frame: np.ndarray) -> None:
        frame[636:840, 955:1310] = background

    def centred(frame: np.ndarray) -> None:
        frame[636:840, 400:1500] = background
        frame[642:831, 790:1126] = image[642:831, 619:955]

    rng = np.random.default_rng(0)

    def video(frame: np.ndarray) -> None:
        # Past the lattice cell beside the last row: a picture inside that cell is a card's photo.
        frame[640:830, 1320:1700] = rng.integers(0, 256, (190, 380, 3), dtype=np.uint8)

    return {
        "someone joins (row centred again)": [image, changed(joined), changed(joined)],
        "someone leaves (last tile emptied)": [image, changed(emptied), changed(emptied)],
        "someone leaves (row centred again)": [image, changed(centred), changed(centred)],
        "a video plays in the empty place": [image] + [changed(video) for _ in range(5)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galleries", type=Path, default=GALLERIES)
    parser.add_argument("--frames", type=int, default=60, help="frames of each moving gallery")
    parser.add_argument("--periodic", action="store_true", help=f"keep the search every {tracker.MAX_AGE_S:g} s (as the app runs)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    if not args.periodic:
        tracker.MAX_AGE_S = float("inf")  # only the searches the check asks for
    detector = YuNetDetector()
    whole = watch.Watch.news

    def both(images: list[np.ndarray]) -> str:
        watch.Watch.news = nothing_new
        before = searches(images, detector)
        watch.Watch.news = whole
        return f"{searches(images, detector)}; the sides alone: {before}"

    print("changes to synthetic 4x4 galleries of 14, frames a second apart: searched at (frame, tiles)")
    for style in ("zoom", "meet", "teams"):
        first = render_gallery(4, 4, n_tiles=14, seed=3, style=style).image
        for now in (15, 13):
            print(f"  {style}, 14 -> {now}: {both([first, render_gallery(4, 4, n_tiles=now, seed=3, style=style).image])}")
    screenshot = args.galleries / "zoom_es17a.jpg"
    if screenshot.is_file():
        print("changes to zoom_es17a.jpg (17 tiles), frames a second apart: searched at (frame, tiles)")
        for name, images in changes(cv2.imread(str(screenshot))).items():
            print(f"  {name}: {both(images)}")
    else:
        print(f"changes: skipped, no {screenshot}")
    print(f"calm: searched at (frame, tiles), {args.frames} frames each")
    for rows, cols, seed in GRIDS:
        moving = [step.gallery.image for step in animate_gallery(render_gallery(rows, cols, seed=seed), args.frames, seed=seed)]
        print(f"  synthetic {rows}x{cols}, seed {seed}: {searches(moving, detector)}")
    for path in (args.galleries / "elementcall6.gif", VIDEO):
        if path.is_file():
            images = [frame.image for frame in itertools.islice(VideoSource(path, every=0.0), args.frames)]
            print(f"  {path.name} ({len(images)} frames): {searches(images, detector)}")


if __name__ == "__main__":
    main()
