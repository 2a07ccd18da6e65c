"""What the app reads from: a demo file, the screen region or the classroom camera.

Kept out of ``app.py`` (the controller only asks ``app_source`` for the
source in force) and free of Qt, so the choice can be tested on its own.

The camera differs from the screen in three ways the app must honour:

- there is no region to pick: Start goes straight to the camera;
- a room has no tiles to say who is there, so each reading's coverage is
  faces found over faces expected (``RoomCoverage``, applied by the run loop
  before the reading is recorded or shown);
- its faults are worded for a teacher ("Camera 0 stopped sending pictures:
  reconnecting…") since the worker's fault handling shows them as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..aggregate import RoomCoverage
from ..errors import CaptureError, InputError
from ..runtime import LoopingSource
from ..settings import Settings
from ..types import Frame


@dataclass(frozen=True)
class AppSource:
    """make: opens the source (called in the worker thread, may raise ClasswatchErrors).
    text: the session's recorded source. blank_is_fault: the screen's check for a locked or
    unpermitted capture. room: the camera's coverage (None elsewhere)."""

    make: Callable[[], object]
    text: str
    blank_is_fault: bool = False
    room: RoomCoverage | None = None


def uses_camera(settings: Settings) -> bool:
    """Whether the camera is the source in force (the policy may forbid it whatever was chosen)."""
    return settings.source == "camera" and settings.camera


def app_source(settings: Settings) -> AppSource | None:
    """The live source the settings choose; None for the screen while no region is picked yet."""
    if uses_camera(settings):
        index = settings.camera_index
        return AppSource(lambda: AppCamera(index), f"camera {index}", room=RoomCoverage(settings.class_size))
    if settings.region is None:
        return None
    region = settings.region

    def screen():
        from ..sources import ScreenSource

        return ScreenSource(region)

    return AppSource(screen, f"screen region {region}", blank_is_fault=True)


def choose_source(settings: Settings, demo: Path | None = None, make: Callable[[], object] | None = None) -> AppSource | None:
    """The source a run reads: ``make`` (a test's), the ``demo`` file looped like a live
    source, or the live source the settings choose (None: the screen, and no region yet)."""
    if make is not None:
        return AppSource(make, "test source")
    if demo is not None:
        every = settings.sample_every_s
        return AppSource(lambda: LoopingSource(demo, every), f"demo {demo}")
    return app_source(settings)


def source_label(settings: Settings) -> str:
    """The dashboard's one-line description of the live source."""
    if uses_camera(settings):
        size = f" \u00b7 class of {settings.class_size}" if settings.class_size else ""
        return f"camera {settings.camera_index}{size}"
    r = settings.region
    return f"screen {r.monitor}: {r.width}\u00d7{r.height}" if r is not None else "no capture region yet"


class AppCamera:
    """``sources.CameraSource`` with the app's wording of its faults.

    The worker pauses on them and reopens the camera every few seconds, so the
    message says what happened and that it is being dealt with; the CLI's
    wording ("... (unplugged?)") is written for a command that has ended.
    """

    def __init__(self, index: int) -> None:
        from .. import sources  # looked up at each open: tests replace sources.CameraSource

        self.index = index
        try:
            self.camera = sources.CameraSource(index)
        except InputError as exc:
            raise InputError(f"{_capital(str(exc))}. Trying again\u2026") from None

    def grab(self, t: float, index: int) -> Frame:
        try:
            return self.camera.grab(t, index)
        except CaptureError:
            raise CaptureError(f"Camera {self.index} stopped sending pictures: reconnecting\u2026") from None

    def close(self) -> None:
        self.camera.close()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
