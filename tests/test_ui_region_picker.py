"""Region picker: the logical <-> capture coordinate math (mixed DPI, macOS points) and the overlay itself."""

from __future__ import annotations

import numpy as np
import pytest

from test_ui_fakes import ensure_qapplication  # noqa: F401  (a QApplication before any test runs)

from classwatch.sources import Region
from classwatch.ui.geometry import (
    Monitor,
    ScreenInfo,
    bounding_box,
    logical_to_region,
    match_monitors,
    pad_box,
    region_to_logical,
)

# Windows / X11 with per-monitor scaling: a 4K laptop panel at 150 % left of a 1080p monitor at 100 %.
# Qt keeps each screen's native top-left and divides only its size.
WIN_SCREENS = [ScreenInfo("4k", (0, 0, 2560, 1440), 1.5), ScreenInfo("hd", (3840, 0, 1920, 1080), 1.0)]
WIN_MONITORS = [Monitor(0, 0, 3840, 2160), Monitor(3840, 0, 1920, 1080)]


def test_mixed_dpi_rectangles_map_to_physical_pixels_of_their_own_monitor():
    assert match_monitors(WIN_SCREENS, WIN_MONITORS) == [1, 2]
    big, hd = WIN_SCREENS
    assert logical_to_region((100, 50, 1280, 720), big, 1, WIN_MONITORS[0]) == Region(1, 150, 75, 1920, 1080)
    assert logical_to_region((3840 + 10, 20, 640, 360), hd, 2, WIN_MONITORS[1]) == Region(2, 10, 20, 640, 360)


def test_monitor_order_can_differ_from_qt_order_and_same_sizes_are_told_apart_by_position():
    screens = [ScreenInfo("right", (1920, 0, 1920, 1080), 1.0), ScreenInfo("left", (0, 0, 1920, 1080), 1.0)]
    monitors = [Monitor(0, 0, 1920, 1080), Monitor(1920, 0, 1920, 1080)]
    assert match_monitors(screens, monitors) == [2, 1]
    assert logical_to_region((1920 + 100, 100, 800, 450), screens[0], 2, monitors[1]) == Region(2, 100, 100, 800, 450)


def test_monitor_left_of_and_above_the_primary_has_negative_coordinates():
    screens = [ScreenInfo("primary", (0, 0, 1280, 720), 2.0), ScreenInfo("upper-left", (-1920, -1080, 1920, 1080), 1.0)]
    monitors = [Monitor(-1920, -1080, 1920, 1080), Monitor(0, 0, 2560, 1440)]
    assert match_monitors(screens, monitors) == [2, 1]
    assert logical_to_region((-1900, -1000, 400, 300), screens[1], 1, monitors[0]) == Region(1, 20, 80, 400, 300)
    assert logical_to_region((10, 10, 100, 50), screens[0], 2, monitors[1]) == Region(2, 20, 20, 200, 100)


def test_macos_retina_uses_points():
    # mss on macOS: monitors in points, like Qt's logical pixels, whatever the backing scale.
    screens = [ScreenInfo("Built-in Retina", (0, 0, 1512, 982), 2.0), ScreenInfo("LG", (1512, -200, 2560, 1440), 1.0)]
    monitors = [Monitor(0, 0, 1512, 982), Monitor(1512, -200, 2560, 1440)]
    assert match_monitors(screens, monitors) == [1, 2]
    assert logical_to_region((100, 100, 600, 400), screens[0], 1, monitors[0]) == Region(1, 100, 100, 600, 400)


def test_fractional_scaling_covers_the_whole_monitor():
    screen = ScreenInfo("125%", (0, 0, 1536, 864), 1.25)
    mon = Monitor(0, 0, 1920, 1080)
    assert match_monitors([screen], [mon]) == [1]
    assert logical_to_region((0, 0, 1536, 864), screen, 1, mon) == Region(1, 0, 0, 1920, 1080)
    # A rectangle drawn from bottom-right to top-left (negative size) is the same rectangle.
    assert logical_to_region((800, 600, -400, -300), screen, 1, mon) == logical_to_region((400, 300, 400, 300), screen, 1, mon)


def test_rectangles_are_clipped_to_their_screen():
    big = WIN_SCREENS[0]
    r = logical_to_region((2400, 1300, 500, 500), big, 1, WIN_MONITORS[0])
    assert r == Region(1, 3600, 1950, 240, 210)
    assert r.x + r.width <= 3840 and r.y + r.height <= 2160


def test_round_trip_region_to_logical_and_back():
    big, mon = WIN_SCREENS[0], WIN_MONITORS[0]
    region = Region(1, 300, 150, 1920, 1080)
    rect = region_to_logical(region, big, mon)
    assert rect == pytest.approx((200, 100, 1280, 720))
    assert logical_to_region(rect, big, 1, mon) == region


def test_a_screen_without_a_matching_monitor_gets_none():
    assert match_monitors([ScreenInfo("virtual", (0, 0, 800, 600), 1.0)], [Monitor(0, 0, 3840, 2160)]) == [None]
    # ... unless only the scale is unexplained (the shape agrees): then the order decides.
    assert match_monitors([ScreenInfo("scaled", (0, 0, 800, 450), 1.0)], [Monitor(0, 0, 3840, 2160)]) == [1]


def test_bounding_and_padding_boxes():
    assert bounding_box([(10, 10, 20, 20), (50, 5, 10, 10)]) == (10, 5, 50, 25)
    assert bounding_box([]) is None
    assert pad_box((2, 3, 10, 10), 4, 14, 100) == (0, 0, 14, 17)


def test_detect_gallery_proposes_the_tiles_of_a_synthetic_gallery():
    from synthetic import render_gallery
    from classwatch.ui.region_picker import detect_gallery

    g = render_gallery(3, 3)
    found = detect_gallery(g.image, 1)
    assert found is not None
    region, tiles = found
    x0, y0 = g.tiles[:, 0].min(), g.tiles[:, 1].min()
    x1, y1 = (g.tiles[:, 0] + g.tiles[:, 2]).max(), (g.tiles[:, 1] + g.tiles[:, 3]).max()
    assert tiles == len(g.tiles)
    assert region.x <= x0 and region.y <= y0 and region.x + region.width >= x1 and region.y + region.height >= y1
    assert region.width <= (x1 - x0) + 10 and region.height <= (y1 - y0) + 10
    assert detect_gallery(np.full((300, 400, 3), 128, np.uint8), 1) is None


# --- the overlay (offscreen: one screen, injected monitor list, no real capture) ---------


def _picker(qtbot, grab=None):
    pytest.importorskip("pytestqt")
    from PySide6.QtGui import QGuiApplication

    from classwatch.ui.region_picker import RegionPicker, screen_info

    info = screen_info(QGuiApplication.primaryScreen())
    x, y, w, h = info.geometry
    # Pretend the monitor has twice the pixels (a 200 % HiDPI screen as mss sees it).
    mon = Monitor(int(x * 2), int(y * 2), int(w * 2), int(h * 2))
    picker = RegionPicker(monitors=[mon], grab=grab, detect=grab is not None)
    picked, cancelled = [], []
    picker.picked.connect(picked.append)
    picker.cancelled.connect(lambda: cancelled.append(True))
    return picker, picked, cancelled


def test_dragging_on_the_overlay_picks_a_region_in_capture_pixels(qtbot):
    from PySide6.QtCore import QPoint, Qt

    picker, picked, _ = _picker(qtbot)
    picker.open()
    assert len(picker.overlays) == 1
    overlay = picker.overlays[0]
    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=QPoint(40, 30))
    qtbot.mouseMove(overlay, QPoint(200, 150))
    overlay.update()
    qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=QPoint(360, 210))
    assert picked == [Region(1, 80, 60, 640, 360)]
    assert not picker.active and not picker.overlays


def test_escape_cancels_and_enter_reuses_the_last_region(qtbot):
    from PySide6.QtCore import Qt

    picker, picked, cancelled = _picker(qtbot)
    picker.open()
    qtbot.keyClick(picker.overlays[0], Qt.Key.Key_Escape)
    assert cancelled == [True] and not picked

    last = Region(1, 100, 100, 640, 360)
    picker.open(last)
    assert picker.proposal == last and picker.proposal_label == "Last region"
    qtbot.keyClick(picker.overlays[0], Qt.Key.Key_Return)
    assert picked == [last]


def test_a_click_without_a_drag_picks_nothing(qtbot):
    from PySide6.QtCore import QPoint, Qt

    picker, picked, cancelled = _picker(qtbot)
    picker.open()
    overlay = picker.overlays[0]
    qtbot.mouseClick(overlay, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    assert not picked and picker.active
    picker.cancel()
    assert cancelled == [True]


def test_the_detected_gallery_is_offered_and_enter_takes_it(qtbot):
    from PySide6.QtCore import Qt

    from synthetic import render_gallery

    grabbed = []

    def grab(number):
        from PySide6.QtGui import QGuiApplication

        g = QGuiApplication.primaryScreen().geometry()
        image = render_gallery(2, 2, size=(g.width() * 2, g.height() * 2)).image
        grabbed.append(number)
        return image

    picker, picked, _ = _picker(qtbot, grab=grab)
    picker.open(Region(1, 0, 0, 100, 100))
    assert grabbed == [1]
    assert picker.proposal_label.startswith("Detected gallery (4 tiles)")
    assert picker.overlays[0].proposal is not None
    picker.overlays[0].grab()  # paints the picture, the dimming and the proposal without error
    qtbot.keyClick(picker.overlays[0], Qt.Key.Key_Enter)
    assert picked and picked[0].monitor == 1 and picked[0].width > 100


def test_detection_ignores_our_own_windows_and_odd_sized_panels():
    """A screen with the gallery on the right and classwatch's dashboard (dark cards) on the left."""
    import cv2

    from synthetic import render_gallery
    from classwatch.ui.region_picker import detect_gallery

    screen = np.zeros((1000, 2600, 3), np.uint8)
    g = render_gallery(5, 5, size=(1500, 844), camera_off=(3, 11))
    screen[78:922, 1100:2600] = g.image
    # The dashboard: a dark window with two lighter cards of different sizes.
    screen[0:800, 0:1080] = (36, 31, 27)
    cv2.rectangle(screen, (16, 52), (590, 387), (49, 42, 36), -1)
    cv2.rectangle(screen, (604, 52), (1063, 387), (49, 42, 36), -1)
    region, tiles = detect_gallery(screen, 1, exclude=[(0, 0, 1080, 800)])
    assert tiles == 25
    x0, y0 = 1100 + g.tiles[:, 0].min(), 78 + g.tiles[:, 1].min()
    x1, y1 = 1100 + (g.tiles[:, 0] + g.tiles[:, 2]).max(), 78 + (g.tiles[:, 1] + g.tiles[:, 3]).max()
    assert x0 - 6 <= region.x <= x0 and y0 - 6 <= region.y <= y0
    assert x1 <= region.x + region.width <= x1 + 6 and y1 <= region.y + region.height <= y1 + 6
