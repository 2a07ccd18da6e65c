"""The synthetic gallery renderer: layout rule, truth boxes, faces, determinism, assets."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from synthetic import DEMO_PORTRAITS, STYLES, demo_faces, face_box, gallery_layout, render_gallery

from classwatch.resources import asset_path


def test_layout_is_zoom_like() -> None:
    boxes = gallery_layout(3, 3, 7, (0, 0, 1920, 1080), gutter=6)
    assert len(boxes) == 7
    w, h = boxes[0, 2:]
    assert (boxes[:, 2:] == (w, h)).all()
    assert abs(w / h - 16 / 9) < 0.01
    assert h == (1080 - 4 * 6) // 3 or w == (1920 - 4 * 6) // 3  # as large as fits
    top, bottom = boxes[:, 1].min(), (boxes[:, 1] + h).max()
    assert abs(top - (1080 - bottom)) <= 1  # centred vertically
    last = boxes[6]
    assert abs(last[0] + w / 2 - 960) <= 1  # partial last row centred
    assert (boxes[1:3, 0] - boxes[0:2, 0] == w + 6).all()  # uniform gutter


@pytest.mark.parametrize(("rows", "cols", "n_tiles"), [(2, 2, 5), (3, 3, 6), (1, 1, 0)])
def test_layout_rejects_impossible_grids(rows: int, cols: int, n_tiles: int) -> None:
    with pytest.raises(ValueError):
        gallery_layout(rows, cols, n_tiles, (0, 0, 1920, 1080), gutter=6)


def test_render_truth_is_consistent() -> None:
    g = render_gallery(3, 3, n_tiles=8, camera_off=(2, 5), speaker=0, size=(1280, 720), seed=1)
    assert g.image.shape == (720, 1280, 3) and g.image.dtype == np.uint8
    assert g.tiles.dtype == np.int32 and g.tiles.shape == (8, 4)
    assert g.video.tolist() == [True, True, False, True, True, False, True, True]
    # One face per camera-on tile, inside it, 30-60 % of the tile height.
    assert g.face_tile.tolist() == [0, 1, 3, 4, 6, 7]
    for (fx, fy, fw, fh), t in zip(g.faces, g.face_tile):
        x, y, w, h = g.tiles[t]
        assert x <= fx and y <= fy and fx + fw <= x + w and fy + fh <= y + h
        assert 0.25 * h <= fh <= 0.65 * h
    # Camera-off tiles are flat: one grey level covers most of them.
    x, y, w, h = g.tiles[2]
    gray = cv2.cvtColor(g.image[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
    assert np.bincount(gray.ravel()).max() > 0.6 * gray.size


def test_pasted_faces_are_where_the_truth_says() -> None:
    g = render_gallery(2, 2, size=(1280, 720), seed=2)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    found = cascade.detectMultiScale(cv2.cvtColor(g.image, cv2.COLOR_BGR2GRAY), 1.1, 5, minSize=(40, 40))
    matched = 0
    for fx, fy, fw, fh in g.faces:
        centre = np.array([fx + fw / 2, fy + fh / 2])
        matched += any(np.abs(centre - (x + w / 2, y + h / 2)).max() < 0.25 * fw for x, y, w, h in found)
    assert matched >= 3


def test_seed_makes_it_deterministic_and_varied() -> None:
    a = render_gallery(2, 2, size=(640, 360), seed=3)
    b = render_gallery(2, 2, size=(640, 360), seed=3)
    c = render_gallery(2, 2, size=(640, 360), seed=4)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.faces, b.faces)
    assert not np.array_equal(a.image, c.image)
    # The tiles of one gallery differ from each other too.
    w, h = a.tiles[0, 2:]
    crops = [a.image[ty : ty + h, tx : tx + w].astype(int) for tx, ty, _, _ in a.tiles]
    assert all(np.abs(crops[0] - other).mean() > 10 for other in crops[1:])


def test_jpeg_keeps_the_truth() -> None:
    raw = render_gallery(2, 2, size=(640, 360), seed=5)
    lossy = render_gallery(2, 2, size=(640, 360), seed=5, jpeg_quality=60)
    np.testing.assert_array_equal(raw.tiles, lossy.tiles)
    difference = np.abs(raw.image.astype(int) - lossy.image).mean()
    assert 0.5 < difference < 10


@pytest.mark.parametrize("style", sorted(STYLES))
def test_styles_paint_their_background(style: str) -> None:
    g = render_gallery(2, 2, size=(640, 360), style=style, camera_off=(1,))
    assert tuple(g.image[0, 0]) == STYLES[style].background


def test_chrome_surrounds_the_gallery() -> None:
    g = render_gallery(2, 2, size=(960, 540), chrome=True)
    x0, y0 = g.tiles[:, :2].min(axis=0)
    x1, y1 = (g.tiles[:, :2] + g.tiles[:, 2:]).max(axis=0)
    assert x0 > 0.02 * 960 and y0 > 0.06 * 540 and y1 < 0.91 * 540 and x1 < 0.98 * 960
    assert tuple(g.image[y0 - 2, 480]) == STYLES["zoom"].background


def test_caller_portraits() -> None:
    one = [demo_faces()[0]]
    g = render_gallery(1, 2, size=(640, 360), faces=one)
    assert len(g.faces) == 2


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        render_gallery(2, 2, style="webex")
    with pytest.raises(ValueError):
        render_gallery(2, 2, camera_off=(4,))
    with pytest.raises(ValueError):
        render_gallery(2, 2, speaker=-1)


def test_demo_faces_are_read_only_portraits_with_a_face() -> None:
    faces = demo_faces()
    assert len(faces) == len(DEMO_PORTRAITS) == 5
    for face in faces:
        assert face.ndim == 3 and face.shape[2] == 3 and face.dtype == np.uint8
        assert not face.flags.writeable
        x, y, w, h = face_box(face)
        assert w >= 0.3 * face.shape[1] and 0 <= x and x + w <= face.shape[1] and y + h <= face.shape[0]


def test_face_box_needs_a_face() -> None:
    with pytest.raises(ValueError):
        face_box(np.full((120, 100, 3), 128, np.uint8))


def test_demo_assets_have_provenance() -> None:
    readme = asset_path("demo/README.md").read_text(encoding="utf-8")
    for path in sorted(asset_path("demo").iterdir()):
        if path.name != "README.md":
            assert path.name in readme, f"{path.name} has no provenance in assets/demo/README.md"
