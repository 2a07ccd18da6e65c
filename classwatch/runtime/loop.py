"""The run loop: frames in, readings out, paced, with faults handled and each reading recorded.

``run()`` is a plain generator (napari's pattern for long work): it does the
work and yields typed events (``events.py``); a front end decides what they
mean. The app's worker (``ui/worker.py``) runs it in a thread and turns each
event into a Qt signal; the CLI iterates it and prints. No Qt here.

Pacing, and dropping rather than queueing
    A live source (one with ``grab(t, index)``: the screen, a camera, a looping
    demo) is read every ``every`` seconds. A frame is grabbed only when the
    previous one has been analysed; when analysis takes longer than the
    interval, the ticks that passed meanwhile are skipped (``RunStats.dropped``)
    and the next grab is the newest frame, never a backlog. A file (an iterable
    of frames: ``VideoSource``, ``FolderSource``, ``ImageSource``) is read as
    fast as it can be analysed, its frames already ``every`` seconds of media
    apart, and the run finishes at its end.

Faults
    With ``retry_s`` set (the app), a grab, pipeline or recording failure never
    ends the run: it yields ``Fault``, waits ``retry_s`` and tries again,
    re-opening the source (or re-loading the pipeline for a model error), and
    yields ``Recovered`` before the next reading. With ``retry_s=None`` (a CLI
    command, which reports and exits) the error is raised instead.

Control
    ``RunControl.pause()``, ``resume()`` and ``stop()`` are safe from any thread:
    they set a flag and wake the loop, which never blocks longer than one grab
    and one pipeline run before it sees them.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Protocol

import cv2
import numpy as np

from ..aggregate import RoomCoverage
from ..errors import CaptureError, InputError, ModelError
from ..pipeline import FrameResult
from ..screenlock import LOCKED_MESSAGE
from ..types import Frame
from .events import Event, Fault, Finished, Paused, Reading, RecordFailed, Recovered, RunStats, Starting

log = logging.getLogger(__name__)

#: Seconds between retries after a fault.
RETRY_S = 3.0


class FrameSource(Protocol):
    def grab(self, t: float, index: int) -> Frame: ...


class Analyser(Protocol):
    def process(self, frame: Frame) -> FrameResult: ...


class ReadingRecorder(Protocol):
    """What the loop records each reading into (``recorder.Recorder``)."""

    def record(self, result: FrameResult, wall: float, pipeline: object = None) -> None: ...


class Clock(Protocol):
    """Time for the loop; a test passes a fake one that moves only when the loop sleeps."""

    def monotonic(self) -> float: ...
    def wall(self) -> float: ...
    def sleep(self, seconds: float, wake: threading.Event) -> None: ...


class SystemClock:
    """The real clock; ``wall`` may be replaced (a test's wall clock)."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return self._wall()

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        if seconds > 0:
            wake.wait(seconds)  # returns early when pause/resume/stop sets it


class RunControl:
    """Pause, resume or stop a run from any thread, and read its counters."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.paused = False
        self.stopping = False
        self.stats = RunStats()

    def pause(self) -> None:
        self.paused = True
        self.wake.set()

    def resume(self) -> None:
        self.paused = False
        self.wake.set()

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()

    def sleep(self, clock: Clock, seconds: float) -> None:
        """Wait up to ``seconds``; returns early on pause/resume/stop."""
        clock.sleep(seconds, self.wake)
        self.wake.clear()


def blank_message() -> str:
    if sys.platform == "darwin":
        return (
            "The screen capture is empty. Allow classwatch to record the screen in "
            "System Settings > Privacy & Security > Screen Recording, then it resumes by itself."
        )
    return "The capture region shows nothing (the screen may be locked or asleep). Analysis resumes when it is visible."


def is_blank(image: np.ndarray) -> bool:
    """A frame of one flat colour: a locked screen, a black capture without permission."""
    sample = image[::8, ::8]
    return int(sample.max()) - int(sample.min()) < 6


def classify(exc: Exception) -> Fault:
    """The fault an exception of the loop is, worded for the person watching."""
    if isinstance(exc, CaptureError):
        return Fault("capture", str(exc))
    if isinstance(exc, InputError):
        return Fault("input", str(exc))
    if isinstance(exc, ModelError):
        return Fault("model", f"{exc}. Analysis resumes when the model can be loaded.")
    log.error("analysis failed", exc_info=exc)  # a bug: keep its traceback
    return Fault("internal", f"Unexpected error: {type(exc).__name__}: {exc}")


def run(
    make_source: Callable[[], FrameSource | Iterable[Frame]],
    make_pipeline: Callable[[], Analyser],
    every: float = 1.0,
    *,
    control: RunControl | None = None,
    retry_s: float | None = RETRY_S,
    recorder: ReadingRecorder | None = None,
    room: RoomCoverage | None = None,
    blank_is_fault: bool = False,
    locked: Callable[[], bool] | None = None,
    seconds: float | None = None,
    origin: float | None = None,
    clock: Clock | None = None,
) -> Iterator[Event]:
    """Analyse frames of ``make_source()`` with ``make_pipeline()`` until stopped or the file ends.

    make_source / make_pipeline: called in the loop (so opening a camera or loading a model
        never blocks the caller's thread); a ClasswatchError they raise is a fault.
    retry_s: seconds to wait after a fault before trying again; None raises it instead.
    recorder: each reading is recorded before it is yielded (committed before anyone sees it).
    room: a camera's coverage (faces found over faces expected), applied before recording.
    blank_is_fault: a flat one-colour frame is a capture fault (the screen: locked, or no permission).
    locked: asked before each grab; True is a capture fault without grabbing, so nothing
        of a locked session is analysed.
    seconds: a live source is read for this long (frames due before then); None: until stopped.
    origin: the wall time a file's position 0 is recorded at (default: when the run starts).
    """
    if every <= 0:
        raise ValueError("every must be > 0")
    control = control or RunControl()
    clock = clock or SystemClock()
    stats = control.stats
    yield Starting()
    source = next_frame = pipeline = None
    live, faulted, index = True, False, 0
    start = next_due = clock.monotonic()
    origin = clock.wall() if origin is None else origin
    try:
        while not control.stopping:
            if control.paused:
                # Let go of the source while paused: a camera's light goes off, and it is reopened on resume.
                source = next_frame = _release(source)
                yield Paused()
                control.sleep(clock, 3600.0)
                next_due = clock.monotonic()
                continue
            delay = next_due - clock.monotonic()
            if delay > 0:
                control.sleep(clock, delay)
                if control.stopping or control.paused or clock.monotonic() < next_due - 1e-3:
                    continue
            if live and seconds is not None and next_due - start >= seconds:
                break
            began = clock.monotonic()
            try:
                if pipeline is None:
                    pipeline = make_pipeline()
                if source is None:
                    source = make_source()
                    live, next_frame = _frames(source)
                    if live:
                        # Analysed in the background while the call runs (one reading a second by
                        # default): OpenCV on one thread. On both cores of a 2-core machine the pipeline
                        # took 40% more CPU a frame for 7% less wall time (moving 7x7 gallery: 179
                        # against 128 ms CPU, 119 against 128 ms wall; benchmarks/app_cpu.py, its
                        # "pipeline, cv2 default threads" line).
                        cv2.setNumThreads(1)
                if locked is not None and locked():
                    raise CaptureError(LOCKED_MESSAGE)
                wall = clock.wall()
                frame = next_frame(began - start, index)
                if frame is None:  # the end of a file
                    break
                if blank_is_fault and is_blank(frame.image):
                    raise CaptureError(blank_message())
                result = pipeline.process(frame)
                if room is not None:
                    result = replace(result, mood=room(result.layout, result.mood))
            except Exception as exc:
                if retry_s is None:
                    raise
                fault = classify(exc)
                if fault.kind != "model":  # re-open: the monitor list, the file or the camera may have changed
                    source = next_frame = _release(source)
                if fault.kind in ("model", "internal"):
                    pipeline = None
                faulted = True
                stats.faults += 1
                stats.last_fault = (fault.kind, fault.message)
                yield fault
                control.sleep(clock, retry_s)
                next_due = clock.monotonic()
                continue
            if not live:  # a file's readings lie on its own time axis, however fast it is read
                wall = origin + frame.t
            if faulted:
                faulted = False
                yield Recovered()
            if recorder is not None:
                try:
                    recorder.record(result, wall, pipeline)
                except Exception as exc:
                    if retry_s is None:
                        raise
                    log.warning("recording failed: %s", exc)
                    yield RecordFailed(str(exc))
            yield Reading(result, wall, frame.index)
            index += 1
            stats.processed += 1
            now = clock.monotonic()
            stats.busy_s += now - began
            if not live:
                next_due = now
                continue
            next_due += every
            if next_due <= now:  # analysis overran: skip the ticks that passed, grab the newest frame next
                missed = int((now - next_due) / every) + 1
                stats.dropped += missed
                next_due += missed * every
    finally:
        _release(source)
    yield Finished(stats)


def _frames(source) -> tuple[bool, Callable[[float, int], Frame | None]]:
    """(live, next frame): a live source is asked for the frame of now; a file gives its
    frames in turn, None at its end."""
    if hasattr(source, "grab"):
        return True, source.grab
    frames = iter(source)
    return False, lambda t, index: next(frames, None)


def _release(source) -> None:
    """Let go of a source now, not whenever it is collected: a camera reopened after a
    fault, or by the next run, is "in use" until the old capture has released it."""
    close = getattr(source, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # a source already broken: nothing more to release
            log.debug("closing the source failed", exc_info=True)
