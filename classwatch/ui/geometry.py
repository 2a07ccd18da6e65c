"""Screen geometry for the region picker: Qt's logical coordinates <-> mss capture coordinates.

Pure arithmetic, no Qt, so it can be tested for any monitor layout without a display.

Qt (6, high-DPI scaling always on) gives every screen a geometry in
device-independent ("logical") pixels and a devicePixelRatio (dpr). mss grabs
in physical pixels on Windows and Linux/X11, and in points on macOS (where
Qt's logical pixels are points too). The two disagree about where a screen
*starts* when scale factors differ between monitors (Qt keeps each screen's
native top-left and scales only its size), so nothing here maps global
coordinates directly: a rectangle is made relative to the top-left of the
screen it was drawn on, scaled by that screen's own capture/logical ratio, and
expressed relative to the matching mss monitor, which is exactly what
``sources.Region`` is.

The ratio is measured (mss width / Qt width) rather than taken from the dpr:
it is the dpr on Windows and X11 and 1 on macOS, and it also survives
fractional scaling where Qt rounds the logical size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..sources import Region

#: Rectangles as (x, y, width, height).
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class ScreenInfo:
    """One Qt screen: ``geometry`` in logical pixels (global desktop coordinates) and its dpr."""

    name: str
    geometry: Rect
    dpr: float = 1.0


@dataclass(frozen=True)
class Monitor:
    """One mss monitor (``mss().monitors[i]`` for i >= 1), in capture coordinates."""

    left: int
    top: int
    width: int
    height: int

    @classmethod
    def from_mss(cls, mon: dict) -> "Monitor":
        return cls(int(mon["left"]), int(mon["top"]), int(mon["width"]), int(mon["height"]))


def _size_error(screen: ScreenInfo, mon: Monitor) -> float:
    """How badly a monitor's size fits a screen: relative error of the best of
    "physical" (logical x dpr: Windows, X11) and "points" (logical: macOS)."""
    _, _, w, h = screen.geometry
    best = float("inf")
    for scale in (screen.dpr, 1.0):
        ew, eh = w * scale, h * scale
        best = min(best, abs(mon.width - ew) / max(ew, 1) + abs(mon.height - eh) / max(eh, 1))
    return best


def _position_error(screen: ScreenInfo, mon: Monitor) -> float:
    x, y, _, _ = screen.geometry
    # Top-left corners agree in both conventions (Qt keeps the native top-left),
    # except on macOS-style layouts where both are points anyway.
    return (abs(mon.left - x) + abs(mon.top - y)) / 10000.0


def match_monitors(screens: list[ScreenInfo], monitors: list[Monitor]) -> list[int | None]:
    """For each screen, the 1-based mss monitor number that shows it (None if none fits).

    Greedy on a cost of size mismatch plus (much smaller) position mismatch,
    so two monitors of the same size are told apart by where they are.
    """
    pairs = sorted(
        (_size_error(s, m) + _position_error(s, m), si, mi)
        for si, s in enumerate(screens)
        for mi, m in enumerate(monitors)
    )
    result: list[int | None] = [None] * len(screens)
    used: set[int] = set()
    for cost, si, mi in pairs:
        if result[si] is not None or mi in used or cost > 0.25:
            continue
        result[si] = mi + 1
        used.add(mi)
    # Left over (a scale Qt does not report, e.g. QT_SCALE_FACTOR): pair the rest in order
    # when their shapes agree, since the conversion uses the measured ratio anyway.
    rest = [mi for mi in range(len(monitors)) if mi not in used]
    for si, screen in enumerate(screens):
        if result[si] is None and rest:
            _, _, w, h = screen.geometry
            mon = monitors[rest[0]]
            if h and mon.height and abs((w / h) / (mon.width / mon.height) - 1) < 0.02:
                result[si] = rest.pop(0) + 1
    return result


def scale_of(screen: ScreenInfo, mon: Monitor) -> tuple[float, float]:
    """Capture units per logical pixel on this screen, (x, y)."""
    _, _, w, h = screen.geometry
    return mon.width / w, mon.height / h


def logical_to_region(rect: Rect, screen: ScreenInfo, monitor_number: int, mon: Monitor) -> Region:
    """A rectangle drawn on ``screen`` (global logical coordinates) as a capture Region.

    The rectangle is clipped to the screen first; the result is rounded
    outwards to whole capture pixels and clipped to the monitor.
    """
    sx0, sy0, sw, sh = screen.geometry
    x, y, w, h = rect
    if w < 0:
        x, w = x + w, -w
    if h < 0:
        y, h = y + h, -h
    # relative to the screen, clipped to it
    x0, y0 = max(x - sx0, 0.0), max(y - sy0, 0.0)
    x1, y1 = min(x - sx0 + w, sw), min(y - sy0 + h, sh)
    kx, ky = scale_of(screen, mon)
    px0, py0 = int(max(0, _floor(x0 * kx))), int(max(0, _floor(y0 * ky)))
    px1, py1 = int(min(mon.width, _ceil(x1 * kx))), int(min(mon.height, _ceil(y1 * ky)))
    return Region(monitor_number, px0, py0, max(px1 - px0, 0), max(py1 - py0, 0))


def region_to_logical(region: Region, screen: ScreenInfo, mon: Monitor) -> Rect:
    """Where a capture Region lies on its screen, in global logical coordinates (inverse of the above)."""
    sx0, sy0, _, _ = screen.geometry
    kx, ky = scale_of(screen, mon)
    return (sx0 + region.x / kx, sy0 + region.y / ky, region.width / kx, region.height / ky)


def bounding_box(boxes) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) around a set of (x, y, w, h) boxes; None for none."""
    boxes = [tuple(int(v) for v in b) for b in boxes]
    if not boxes:
        return None
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def pad_box(box: tuple[int, int, int, int], pad: int, width: int, height: int) -> tuple[int, int, int, int]:
    """Grow a box by ``pad`` on every side, clipped to a width x height image."""
    x, y, w, h = box
    x0, y0 = max(x - pad, 0), max(y - pad, 0)
    x1, y1 = min(x + w + pad, width), min(y + h + pad, height)
    return x0, y0, x1 - x0, y1 - y0


def _floor(v: float) -> int:
    return math.floor(v + 1e-6)  # tolerate float noise: 299.9999999 is 300


def _ceil(v: float) -> int:
    return math.ceil(v - 1e-6)
