"""Which rectangles of one size lie on the lattice of a gallery's tiles.

The rectangles of the voted size that hold a face set the lattice (rows and
columns a whole pitch apart); a rectangle with no face belongs to it only
when it is in line with them (``on_lattice``).

A rectangle holding a face can still be a stray: where camera-off tiles are
painted in the background colour (Meet), a name label's text baseline is a
straight row too, and a rectangle from one label's baseline to the next
label's is the tile's size, holds the avatar's face, and lies across two
cells of the lattice, so the cells it overlaps are lost. Such a rectangle
shares its column with tiles of the lattice but lies off every row they are
on (``ASTRAY``), and is dropped before it can take those cells.
"""

from __future__ import annotations

import numpy as np

from .rectangles import LATTICE_SLACK, Rect, lattice_pitch

#: A rectangle holding a face is a stray when, against every tile sharing its column (or row),
#: it lies more than this share of a pitch off their rows (columns) and off their half-way
#: lines (a centred last row is half a pitch over). Meet's 75-tile grid: the baseline-to-baseline
#: rectangle lies 0.16 pitch off; BigBlueButton's dock staggers its two columns by 0.10, but each
#: column's tiles share their own rows.
ASTRAY = 0.1


def on_lattice(held: list[Rect], rest: list[Rect]) -> list[Rect]:
    """The rectangles holding a face (``held``) that are no stray, and those of ``rest`` in line with
    them: in a row or column of the lattice they span, a whole pitch apart (a centred last row
    shares its row pitch, not its columns)."""
    if not held:
        return []
    w, h = np.median([r.width for r in held]), np.median([r.height for r in held])
    pitch_x, pitch_y = lattice_pitch([r.x0 for r in held], w), lattice_pitch([r.y0 for r in held], h)
    # Apps use one gutter both ways: borrow the other direction's when a direction shows no pitch.
    if pitch_x is None:
        pitch_x = w + (pitch_y - h if pitch_y is not None else 0.04 * w)
    if pitch_y is None:
        pitch_y = h + (pitch_x - w)
    kept = [r for r in held if not _astray(r, held, pitch_x, pitch_y, w, h)]
    rest = list(rest)
    grew = True
    while grew:
        grew = False
        for rect in list(rest):
            if _in_step(rect.y0, [k.y0 for k in kept], pitch_y) or _in_step(rect.x0, [k.x0 for k in kept], pitch_x):
                kept.append(rect)
                rest.remove(rect)
                grew = True
    return kept


def _in_step(value: int, refs: list[int], pitch: float) -> bool:
    steps = (value - np.asarray(refs, np.float64)) / pitch
    return bool(np.any(np.abs(steps - np.round(steps)) * pitch <= LATTICE_SLACK))


def _astray(rect: Rect, held: list[Rect], pitch_x: float, pitch_y: float, w: float, h: float) -> bool:
    """Whether ``rect`` shares a column with other held tiles but lies off all their rows, or the same
    with rows and columns swapped.

    Only along a direction whose pitch is at least the tile's size: tiles do not overlap, so a
    shorter "pitch" was fitted to rectangles found a few pixels off their tiles (on a moving 7x7
    gallery the rows' fit gave 125 px for 146 px tiles, and a third of the true tiles read as strays).
    """
    others = [k for k in held if k is not rect]
    column = [k.y0 for k in others if abs(k.x0 - rect.x0) <= LATTICE_SLACK] if pitch_y >= h - LATTICE_SLACK else []
    row = [k.x0 for k in others if abs(k.y0 - rect.y0) <= LATTICE_SLACK] if pitch_x >= w - LATTICE_SLACK else []
    return _off(rect.y0, column, pitch_y) or _off(rect.x0, row, pitch_x)


def _off(value: int, refs: list[int], pitch: float) -> bool:
    """Whether ``value`` lies more than ASTRAY of a pitch off every whole and half step from ``refs``
    (False with no refs)."""
    if not refs:
        return False
    steps = (value - np.asarray(refs, np.float64)) / pitch
    off = np.abs(steps - np.round(steps))
    return bool(np.all(np.minimum(off, np.abs(off - 0.5)) > ASTRAY))
