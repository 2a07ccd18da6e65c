import sys

import cv2
import numpy as np
import pytest

from classwatch.errors import CaptureError, InputError
from classwatch.sources import FolderSource, ImageSource, Region, VideoSource, open_source, read_image, region_on_screen
from conftest import DEMO_VIDEO, REPO


def write_png(path, value=0, size=(40, 30)):
    cv2.imwrite(str(path), np.full((size[1], size[0], 3), value, np.uint8))
    return path


def test_image_source(tmp_path):
    src = open_source(write_png(tmp_path / "a.png", 7))
    assert isinstance(src, ImageSource)
    (frame,) = list(src)
    assert frame.image.shape == (30, 40, 3) and frame.t == 0.0 and frame.image[0, 0, 0] == 7


def test_folder_source_in_name_order(tmp_path):
    for i, name in enumerate(["b.png", "a.jpg", "c.png"]):
        write_png(tmp_path / name, i * 50)
    (tmp_path / "notes.txt").write_text("ignored")
    frames = list(open_source(tmp_path, every=2.0))
    assert [f.t for f in frames] == [0.0, 2.0, 4.0]
    assert isinstance(open_source(tmp_path), FolderSource)
    assert abs(int(frames[0].image[0, 0, 0]) - 50) <= 2  # a.jpg first


def test_folder_is_listed_once_when_opened(tmp_path):
    """Frame i comes from files[i], even if the folder changes during a run."""
    first = write_png(tmp_path / "b.png", 10)
    src = open_source(tmp_path)
    write_png(tmp_path / "a.png", 20)  # added after opening: not part of this run
    assert src.files == [first]
    (frame,) = list(src)
    assert frame.index == 0 and frame.image[0, 0, 0] == 10


def test_corrupt_png_leaves_stderr_alone(tmp_path, capfd):
    """libpng writes "libpng error: ..." straight to file descriptor 2; the InputError says it instead."""
    _, png = cv2.imencode(".png", read_image(REPO / "assets" / "demo" / "participant_1.jpg"))
    (tmp_path / "cut.png").write_bytes(png.tobytes()[: len(png) // 2])  # "libpng error: PNG input buffer is incomplete"
    with pytest.raises(InputError, match="not a readable image"):
        read_image(tmp_path / "cut.png")
    assert capfd.readouterr().err == ""
    print("still here", file=sys.stderr)  # and stderr works again afterwards
    assert capfd.readouterr().err == "still here\n"


def test_video_source_samples_every_n_seconds():
    src = open_source(DEMO_VIDEO, every=0.5)
    assert isinstance(src, VideoSource)
    frames = list(src)
    # the first frame at or after each multiple of 0.5 s (the video has 25 fps)
    targets = [0.0, 0.5, 1.0, 1.5]
    assert len(frames) == len(targets)
    assert all(target <= f.t < target + 1 / src.fps + 1e-6 for f, target in zip(frames, targets))
    assert frames[0].image.shape == (360, 640, 3)
    assert [f.index for f in frames] == [0, 1, 2, 3]


@pytest.mark.parametrize("make", [
    lambda p: p / "missing.png",
    lambda p: (p / "empty.png").write_bytes(b"") and p / "empty.png" or p / "empty.png",
    lambda p: (p / "junk.jpg").write_bytes(b"not an image") and p / "junk.jpg",
    lambda p: (p / "junk.mp4").write_bytes(b"not a video") and p / "junk.mp4",
    lambda p: (p / "emptydir").mkdir() or p / "emptydir",
])
def test_bad_inputs_raise_input_error(tmp_path, make):
    with pytest.raises(InputError):
        open_source(make(tmp_path))


MONITORS = [
    {"left": 0, "top": 0, "width": 3840, "height": 1080},
    {"left": 0, "top": 0, "width": 1920, "height": 1080},
    {"left": 1920, "top": 0, "width": 1920, "height": 1080},
]


def test_region_maps_to_absolute_rectangle_on_its_monitor():
    rect = region_on_screen(Region(2, 100, 50, 800, 450), MONITORS)
    assert rect == {"left": 2020, "top": 50, "width": 800, "height": 450}


@pytest.mark.parametrize("region", [
    Region(3, 0, 0, 100, 100),  # monitor unplugged
    Region(1, 1800, 0, 400, 300),  # runs off the right edge
    Region(1, -5, 0, 100, 100),
    Region(1, 0, 0, 4, 4),  # too small to hold a gallery
])
def test_bad_regions_raise_capture_error(region):
    with pytest.raises(CaptureError):
        region_on_screen(region, MONITORS)
