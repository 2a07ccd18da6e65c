"""End-to-end speed on synthetic 1080p galleries, timed as ``classwatch bench`` times real pictures.

    python benchmarks/synthetic_speed.py [--repeats 9] [--grids 2x2 5x5 7x7] [--json]

Each grid is rendered by tests/synthetic.py (test-only, not shipped, so not
part of ``classwatch bench``) with exact face boxes, and timed on one thread
with ``classwatch.bench``'s configurations: ``cold`` (layout searched), ``warm``
(layout kept) and the ``classic`` baseline (Haar, then one classifier call per
face); recall is the share of true faces whose centre lies in a found box.
"""

from __future__ import annotations

import argparse
import json

import checkout  # first: the project on sys.path, or a one-line error without its dependencies
import cv2

from classwatch.bench import Runs, format_report, make_report, picture_row
from classwatch.metrics import face_recall

checkout.tests_on_path()
from synthetic import render_gallery  # noqa: E402

GRIDS = ((2, 2), (5, 5), (7, 7))


def run(repeats: int = 9, grids: tuple[tuple[int, int], ...] = GRIDS) -> dict:
    cv2.setNumThreads(1)
    runs = Runs()
    rows = []
    for grid_rows, grid_cols in grids:
        gallery = render_gallery(grid_rows, grid_cols, seed=grid_rows * 10 + grid_cols)
        rows.append(picture_row(runs, f"synthetic {grid_rows}x{grid_cols}", gallery.image, repeats,
                                lambda boxes, truth=gallery.faces: face_recall(boxes, truth)))
    return make_report(runs, repeats, synthetic=rows)


def _grid(value: str) -> tuple[int, int]:
    try:
        rows, cols = (int(n) for n in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a grid is ROWSxCOLS, got {value!r}") from None
    if rows < 1 or cols < 1:
        raise argparse.ArgumentTypeError(f"a grid needs at least one row and column, got {value!r}")
    return rows, cols


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per configuration (default 9)")
    parser.add_argument("--grids", type=_grid, nargs="+", default=list(GRIDS), metavar="RxC",
                        help="gallery grids (default: 2x2 5x5 7x7)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    report = run(args.repeats, tuple(args.grids))
    print(json.dumps(report) if args.json else format_report(report, title="synthetic galleries"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
