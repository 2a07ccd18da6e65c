"""Where frames come from: an image, a video file, a folder of images, or the screen.

Every source is an iterable of ``Frame``. Reading problems become
``InputError`` / ``CaptureError`` with a one-line message, raised when the
source is opened (so a bad path fails before any work is done) or, for the
screen, when a grab fails.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import CaptureError, InputError
from .types import Frame

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
# An animated GIF is a screen recording too (OpenCV reads its frames like a video's).
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".wmv", ".gif"}


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at the null device for the block.

    libpng prints its errors ("libpng error: PNG input buffer is incomplete")
    straight to the C library's stderr, beside OpenCV's own logging, and no
    OpenCV setting turns that off; the InputError a caller raises says it in
    one line. Process-wide while it lasts, so keep the block to one decode.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (a windowed app on Windows): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def read_image(path: Path) -> np.ndarray:
    """Read an image file as (H, W, 3) BGR uint8."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file: {path}")
    # imdecode from bytes instead of imread: handles non-ASCII paths on Windows.
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with _native_stderr_silenced():
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise InputError(f"not a readable image: {path}")
    return image


@dataclass(frozen=True)
class ImageSource:
    path: Path

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(read_image(self.path), 0.0, 0)


class FolderSource:
    """The images of a folder in name order, one every ``every`` seconds of session time.

    The folder is listed once, when the source is made: frame ``i`` always comes
    from ``files[i]``, even if files are added or removed during a run.
    """

    def __init__(self, path: Path, every: float = 1.0) -> None:
        self.path = Path(path)
        self.every = every
        self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise InputError(f"no images in folder: {self.path}")

    def __iter__(self) -> Iterator[Frame]:
        for i, file in enumerate(self.files):
            yield Frame(read_image(file), i * self.every, i)


class VideoSource:
    """Frames of a video file, one every ``every`` seconds of video time (the first frame included; 0: every frame)."""

    def __init__(self, path: Path, every: float = 1.0) -> None:
        self.path = Path(path)
        self.every = every
        if not self.path.exists():
            raise InputError(f"no such file: {self.path}")
        probe = cv2.VideoCapture(str(self.path))
        ok = probe.isOpened() and probe.read()[0]
        self.fps = probe.get(cv2.CAP_PROP_FPS) or 25.0
        probe.release()
        if not ok:
            raise InputError(f"cannot open video: {self.path}")

    def __iter__(self) -> Iterator[Frame]:
        cap = cv2.VideoCapture(str(self.path))
        try:
            next_t, index, i = 0.0, 0, 0
            # grab() without decoding skips unwanted frames cheaply; seeking by
            # timestamp is unreliable across containers and codecs.
            while cap.grab():
                t = i / self.fps
                i += 1
                if t + 1e-6 < next_t:
                    continue
                ok, image = cap.retrieve()
                if not ok:
                    break
                yield Frame(image, t, index)
                index += 1
                next_t += self.every
        finally:
            cap.release()


def open_source(path: str | Path, every: float = 1.0) -> ImageSource | FolderSource | VideoSource:
    """Pick the source for a path: a folder, a video (by suffix) or an image."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file or folder: {path}")
    if path.is_dir():
        return FolderSource(path, every)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoSource(path, every)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        read_image(path)  # fail now, not halfway through a run
        return ImageSource(path)
    # Unknown suffix: an image if it decodes as one, else try it as a video.
    try:
        read_image(path)
        return ImageSource(path)
    except InputError:
        return VideoSource(path, every)


@dataclass(frozen=True)
class Region:
    """A screen rectangle: monitor number (1 = first monitor, as mss counts) and a
    rectangle relative to that monitor's top-left corner, in mss coordinates
    (physical pixels on Windows and Linux, points on macOS, where mss returns
    the Retina image at full resolution)."""

    monitor: int
    x: int
    y: int
    width: int
    height: int

    def __str__(self) -> str:
        return f"monitor {self.monitor} {self.width}x{self.height}+{self.x}+{self.y}"


def region_on_screen(region: Region, monitors: list[dict]) -> dict:
    """The absolute mss grab rectangle of a region, or CaptureError if it is not on its monitor.

    monitors: ``mss().monitors`` (index 0 is the union of all monitors).
    """
    if not 1 <= region.monitor < len(monitors):
        raise CaptureError(f"monitor {region.monitor} is not connected ({len(monitors) - 1} found)")
    mon = monitors[region.monitor]
    if region.width < 16 or region.height < 16:
        raise CaptureError(f"capture region too small: {region.width}x{region.height}")
    if region.x < 0 or region.y < 0 or region.x + region.width > mon["width"] or region.y + region.height > mon["height"]:
        raise CaptureError(f"capture region {region} is off-screen (monitor is {mon['width']}x{mon['height']})")
    return {"left": mon["left"] + region.x, "top": mon["top"] + region.y, "width": region.width, "height": region.height}


class ScreenSource:
    """Grabs a region of the screen with mss, one frame every ``every`` seconds of wall time.

    A fresh mss handle is opened for every grab: mss caches the monitor list,
    and at one grab per second the re-read (about a millisecond) is what turns
    an unplugged monitor or a changed layout into a CaptureError instead of a
    stale rectangle.
    """

    def __init__(self, region: Region, every: float = 1.0) -> None:
        self.region = region
        self.every = every
        self.grab()  # fail at start, not at the first sample

    def grab(self, t: float = 0.0, index: int = 0) -> Frame:
        import mss  # here, not at module level: file sources must work without a display server

        try:
            with mss.MSS() as sct:
                shot = sct.grab(region_on_screen(self.region, sct.monitors))
        except CaptureError:
            raise
        except Exception as exc:  # no display, screen locked, permission denied (macOS)
            raise CaptureError(f"screen capture failed: {exc}") from None
        bgra = np.asarray(shot, np.uint8)
        return Frame(np.ascontiguousarray(bgra[:, :, :3]), t, index)

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        while True:
            yield self.grab(time.monotonic() - start, index)
            index += 1
            time.sleep(max(0.0, start + index * self.every - time.monotonic()))
