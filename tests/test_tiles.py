"""Tile finder on rendered galleries, on the real Zoom recording and on non-galleries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from classwatch.resources import asset_path
from classwatch.synthetic import STYLES, SyntheticGallery, demo_faces, render_gallery
from classwatch.tiles import find_tiles
from classwatch.types import TileLayout


def iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0, w) * max(0, h)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def assert_finds(gallery: SyntheticGallery) -> TileLayout:
    layout = find_tiles(gallery.image)
    assert layout.grid
    assert len(layout) == len(gallery.tiles), (layout.boxes.tolist(), gallery.tiles.tolist())
    for found, true in zip(layout.boxes, gallery.tiles):
        assert iou(found, true) > 0.9, (found.tolist(), true.tolist())
        assert np.abs(found - true).max() <= 3, (found.tolist(), true.tolist())
    np.testing.assert_array_equal(layout.video, gallery.video)
    return layout


@pytest.mark.parametrize(
    ("rows", "cols", "n_tiles"),
    [(1, 1, 1), (2, 2, 4), (3, 3, 9), (5, 5, 25), (7, 7, 49), (2, 3, 5), (3, 3, 7), (5, 5, 23)],
)
def test_zoom_grids_and_partial_last_rows(rows: int, cols: int, n_tiles: int) -> None:
    assert_finds(render_gallery(rows, cols, n_tiles=n_tiles, speaker=n_tiles // 2, seed=rows + n_tiles))


def test_zoom_camera_off_tiles_show_a_centred_name() -> None:
    layout = assert_finds(render_gallery(3, 3, camera_off=(0, 4, 8), speaker=4, seed=3))
    assert layout.video.tolist() == [False, True, True, True, False, True, True, True, False]


def test_meet_colours_rounded_partial_row_and_avatars() -> None:
    assert_finds(render_gallery(3, 3, n_tiles=8, style="meet", camera_off=(1, 7), speaker=2, seed=4))


def test_teams_camera_off_tiles_in_the_background_colour_are_recovered() -> None:
    # Teams paints camera-off tiles in the stage colour: only the avatar and
    # the name label show where the tile is.
    assert_finds(render_gallery(3, 4, style="teams", camera_off=(1, 6, 11), speaker=0, seed=5))


def test_a_whole_row_of_background_coloured_camera_off_tiles() -> None:
    assert_finds(render_gallery(3, 3, n_tiles=7, style="teams", camera_off=(6,), seed=6))


def test_speaker_highlight_does_not_change_the_tile() -> None:
    gallery = render_gallery(2, 2, size=(1280, 720), speaker=3, seed=7)
    layout = assert_finds(gallery)
    plain = find_tiles(render_gallery(2, 2, size=(1280, 720), seed=7).image)
    np.testing.assert_array_equal(layout.boxes, plain.boxes)


def test_dark_content_along_a_tile_edge_keeps_the_tile() -> None:
    # A dark room on a dark theme: a third of a tile in the gutter colour, on the gallery's edge.
    gallery = render_gallery(3, 3, size=(1280, 720), seed=12)
    image = gallery.image.copy()
    x, y, w, h = gallery.tiles[3]
    image[y : y + h, x : x + w // 3] = np.array(STYLES["zoom"].background) + 3
    layout = find_tiles(image)
    np.testing.assert_array_equal(layout.boxes, gallery.tiles)


@pytest.mark.parametrize("style", ["zoom", "teams"])
def test_jpeg_quality_60(style: str) -> None:
    assert_finds(render_gallery(4, 4, n_tiles=13, style=style, camera_off=(0, 12), speaker=1, jpeg_quality=60, seed=8))


def test_screen_around_the_gallery_is_ignored() -> None:
    # Desktop wallpaper, a title bar and a toolbar strip around the gallery.
    assert_finds(render_gallery(3, 3, n_tiles=7, chrome=True, speaker=2, jpeg_quality=75, seed=9))


def test_small_capture() -> None:
    assert_finds(render_gallery(2, 2, size=(640, 360), camera_off=(3,), seed=10))


def test_real_zoom_recording_without_gutters() -> None:
    capture = cv2.VideoCapture(str(asset_path("demo/zoom_gallery_4tiles.mp4")))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 24)
    ok, frame = capture.read()
    capture.release()
    assert ok
    layout = find_tiles(frame)
    assert layout.grid
    np.testing.assert_array_equal(
        layout.boxes, [[0, 0, 320, 180], [320, 0, 320, 180], [0, 180, 320, 180], [320, 180, 320, 180]]
    )
    assert layout.video.all()


def _whole(image: np.ndarray) -> None:
    layout = find_tiles(image)
    assert not layout.grid
    np.testing.assert_array_equal(layout.boxes, [[0, 0, image.shape[1], image.shape[0]]])


def test_photo_is_not_a_gallery() -> None:
    _whole(cv2.resize(demo_faces()[0], (1280, 720)))


def test_full_frame_speaker_view_is_not_a_gallery() -> None:
    gallery = render_gallery(1, 1, size=(960, 540), seed=11)
    x, y, w, h = gallery.tiles[0]
    _whole(cv2.resize(gallery.image[y : y + h, x : x + w], (1280, 720)))


@pytest.mark.parametrize("value", [0, 255])
def test_flat_frames(value: int) -> None:
    _whole(np.full((1080, 1920, 3), value, np.uint8))


@pytest.mark.parametrize("shape", [(1, 1, 3), (8, 8, 3), (31, 40, 3), (64, 64, 3), (200, 120, 3)])
def test_tiny_and_noise_images(shape: tuple[int, int, int]) -> None:
    _whole(np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8))


def test_threads_do_not_share_work_buffers() -> None:
    images = [render_gallery(r, r, size=(960, 540), seed=r).image for r in (2, 3)]
    expected = [find_tiles(image).boxes for image in images]
    with ThreadPoolExecutor(2) as pool:
        for _ in range(3):
            for boxes, want in zip(pool.map(lambda im: find_tiles(im).boxes, images * 4), expected * 4):
                np.testing.assert_array_equal(boxes, want)


def test_rejects_non_bgr_input() -> None:
    with pytest.raises(ValueError):
        find_tiles(np.zeros((100, 100), np.uint8))
    with pytest.raises(ValueError):
        find_tiles(np.zeros((100, 100, 3), np.float32))
