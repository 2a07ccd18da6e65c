"""Where frames come from: an image, a video file, a folder of images, the screen or a camera.

A file source (image, video, folder) is an iterable of ``Frame``; a live
source (screen, camera) has ``grab(t, index)`` instead, which the run loop
(``runtime/loop.py``) calls on its own schedule: the pacing lives there, once,
for the CLI and the app alike. Reading problems become ``InputError`` /
``CaptureError`` with a one-line message, raised when the source is opened (so
a bad path or a missing camera fails before any work is done) or, for the live
sources, when a grab fails.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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
    from ``files[i]``, even if files are added or removed during a run. An image
    that cannot be read is skipped and its error kept in ``unreadable`` (one
    broken file must not lose a whole batch); none readable is an InputError.
    """

    def __init__(self, path: Path, every: float = 1.0) -> None:
        self.path = Path(path)
        self.every = every
        self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self.unreadable: list[str] = []
        if not self.files:
            raise InputError(f"no images in folder: {self.path}")

    def __iter__(self) -> Iterator[Frame]:
        self.unreadable = []
        for i, file in enumerate(self.files):
            try:
                image = read_image(file)
            except InputError as exc:
                self.unreadable.append(str(exc))
                continue
            yield Frame(image, i * self.every, i)
        if len(self.unreadable) == len(self.files):
            raise InputError(f"no readable images in folder: {self.path}")


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
    """Grabs a region of the screen with mss, a frame at each ``grab`` (paced by the run loop).

    A fresh mss handle is opened for every grab: mss caches the monitor list,
    and at one grab per second the re-read (about a millisecond) is what turns
    an unplugged monitor or a changed layout into a CaptureError instead of a
    stale rectangle.
    """

    def __init__(self, region: Region) -> None:
        self.region = region
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


# --- cameras

#: A camera whose pictures stop for this long is gone (unplugged, or taken by another program).
CAMERA_LOST_S = 1.0
#: The grabbing thread's pause between pictures, which lets a sample take the newest one.
GRAB_PAUSE_S = 0.002
#: How long a camera that has just opened may take to send its first picture (some need a second to start).
CAMERA_START_S = 3.0
#: A classroom camera sees 20 to 35 faces of 15 to 60 px at 1080p; many cameras open at 640x480
#: unless asked, which leaves those faces too small to find. The driver picks the nearest it has.
CAMERA_WIDTH, CAMERA_HEIGHT = 1920, 1080


class Capture(Protocol):
    """What CameraSource needs of ``cv2.VideoCapture``; tests pass fakes with these methods."""

    def isOpened(self) -> bool: ...  # noqa: N802 (OpenCV's names)
    def grab(self) -> bool: ...
    def retrieve(self) -> tuple[bool, np.ndarray | None]: ...
    def release(self) -> None: ...


def open_camera(index: int) -> Capture:
    """``cv2.VideoCapture(index)``, asking for 1080p. MJPG: at 1080p most USB cameras send
    uncompressed frames at only a few per second, if at all."""
    # OpenCV logs every backend it tries for a missing camera ("can't open camera by index",
    # "should be configured with libavdevice") to stderr; the caller says it in one line.
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        cap = cv2.VideoCapture(index)  # looked up on each call: tests replace cv2.VideoCapture
    finally:
        cv2.utils.logging.setLogLevel(level)
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, CAMERA_WIDTH)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, CAMERA_HEIGHT)
    return cap


def _first_grab(cap: Capture) -> bool:
    """Whether an opened camera sends a picture within CAMERA_START_S."""
    deadline = time.monotonic() + CAMERA_START_S
    while not cap.grab():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _bgr(image: np.ndarray) -> np.ndarray:
    """Some backends hand out grey or BGRA pictures; a Frame is BGR."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR) if image.shape[2] == 4 else image


class _Grabber(threading.Thread):
    """Keeps taking the camera's pictures so that a grab gets the newest, not one that
    waited in the driver's queue since the last sample (a second old or more).

    grab() only: a picture is decoded (retrieve) when a sample needs it. It
    holds no reference to its CameraSource, so a source nobody closes is still
    collected, and its finalizer stops this thread, which releases the camera.
    """

    def __init__(self, cap: Capture) -> None:
        super().__init__(name="camera grabber", daemon=True)
        self.cap = cap
        self.lock = threading.Lock()  # one OpenCV call at a time on the capture
        self.stop = threading.Event()
        self.last_ok = time.monotonic()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.lock:
                    ok = self.cap.grab()  # waits for the camera's next picture
                if ok:
                    self.last_ok = time.monotonic()
                    # Out of the lock for a moment: a sample waiting to retrieve gets it (a lock is
                    # not fair, and this loop would otherwise take it back at once, every time).
                    self.stop.wait(GRAB_PAUSE_S)
                elif time.monotonic() - self.last_ok > CAMERA_LOST_S:
                    return  # gone: the next CameraSource.grab says so
                else:
                    self.stop.wait(0.02)
        finally:
            with self.lock:
                self.cap.release()


class CameraSource:
    """A camera (``cv2.VideoCapture(index)``): ``grab`` returns its newest picture (the
    run loop decides when).

    InputError when it is made if the camera cannot be opened or sends no
    picture; CaptureError from a grab once its pictures have stopped for
    CAMERA_LOST_S (unplugged). Its user calls ``close()`` (or drops the
    source) when done.
    """

    def __init__(self, index: int, capture: Callable[[int], Capture] | None = None) -> None:
        self.index = index
        cap = (capture or open_camera)(index)
        if not cap.isOpened():
            cap.release()
            raise InputError(f"cannot open camera {index}: not connected, or in use by another program")
        if not _first_grab(cap):
            cap.release()
            raise InputError(f"camera {index} sends no picture: in use by another program, or access to it is denied")
        self._grabber = _Grabber(cap)
        self._grabber.start()
        weakref.finalize(self, self._grabber.stop.set)

    def grab(self, t: float = 0.0, index: int = 0) -> Frame:
        grabber = self._grabber
        image = None
        if grabber.is_alive() and grabber.lock.acquire(timeout=CAMERA_LOST_S):
            try:
                if time.monotonic() - grabber.last_ok <= CAMERA_LOST_S:
                    ok, picture = grabber.cap.retrieve()
                    image = picture if ok else None
            finally:
                grabber.lock.release()
        if image is None:
            raise CaptureError(f"camera {self.index} stopped sending pictures (unplugged?)")
        return Frame(_bgr(image), t, index)

    def close(self) -> None:
        """Let go of the camera (safe to call twice)."""
        self._grabber.stop.set()
        self._grabber.join(timeout=2 * CAMERA_LOST_S)


@dataclass(frozen=True)
class CameraInfo:
    """A camera the source picker can offer. name: "" where the system gives none."""

    index: int
    name: str
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.name or 'Camera'} ({self.index}, {self.width}x{self.height})"


def _camera_name(index: int) -> str:
    # Linux names its cameras in sysfs; OpenCV offers no name on any system.
    try:
        return Path(f"/sys/class/video4linux/video{index}/name").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _probe(index: int, capture: Callable[[int], Capture]) -> CameraInfo | None:
    cap = capture(index)
    try:
        if not cap.isOpened() or not _first_grab(cap):
            return None
        ok, image = cap.retrieve()
        if not ok or image is None:
            return None
        return CameraInfo(index, _camera_name(index), image.shape[1], image.shape[0])
    finally:
        cap.release()


def list_cameras(count: int = 6, timeout_s: float = 3.0, capture: Callable[[int], Capture] | None = None) -> list[CameraInfo]:
    """The cameras among indices ``0..count-1`` that open and send a picture.

    A camera in use (by another program, or by a running CameraSource) is not
    listed. Each index is probed on a thread given ``timeout_s``: some drivers
    take seconds to give up on an index with no camera, and the picker must
    not hang; a probe that overruns is left to finish (and release) on its own.
    """
    indices = list(range(count))
    if capture is None:
        capture = open_camera
        if sys.platform.startswith("linux"):  # no device node, no camera: skip it at once (the common case)
            indices = [i for i in range(count) if Path(f"/dev/video{i}").exists()]
    found: list[CameraInfo] = []
    for index in indices:
        result: list[CameraInfo | None] = []
        probe = threading.Thread(target=lambda i=index: result.append(_probe(i, capture)), daemon=True)
        probe.start()
        probe.join(timeout_s)
        if result and result[0] is not None:
            found.append(result[0])
    return found
