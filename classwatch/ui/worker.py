"""The capture-and-analysis worker: runs the pipeline off the GUI thread.

``AnalysisWorker`` is a QObject whose ``run()`` loop lives in its own QThread
(``WorkerHandle`` starts and joins it). It grabs a frame, runs the pipeline and
emits the frame's ``MoodSample``; the GUI thread only ever receives those
aggregate numbers, never an image or a per-face reading.

Control
    ``pause()``, ``resume()`` and ``stop()`` are plain methods, safe to call
    from any thread: they set a flag and wake the loop. The loop never blocks
    longer than one grab + one pipeline run before it sees them.

Dropping, not queueing
    A frame is grabbed only when the previous one has been analysed. When
    analysis takes longer than the sampling interval, the ticks that passed
    meanwhile are skipped (counted in ``dropped``) and the next grab is the
    screen as it is now: the newest frame, never a backlog.

Faults
    A grab or pipeline failure never ends the thread. The worker emits
    ``fault(kind, message)``, goes to the ``fault`` state, waits ``retry_s``
    and tries again (re-opening the source, or re-loading the pipeline for a
    missing model); on success it emits ``recovered``. Kinds: ``capture``
    (region off-screen, monitor gone, screen locked, no permission),
    ``model`` (model file missing or corrupt), ``input`` (a demo file that
    cannot be read), ``internal`` (a bug: logged with its traceback).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from ..errors import CaptureError, InputError, ModelError
from ..pipeline import FrameResult
from ..screenlock import LOCKED_MESSAGE
from ..sources import open_source
from ..types import Frame

log = logging.getLogger(__name__)

#: Seconds between retries after a fault.
RETRY_S = 3.0


class State(str, Enum):
    IDLE = "idle"  # no worker (the controller's state before start and after stop)
    STARTING = "starting"  # loading the model, opening the source
    RUNNING = "running"
    PAUSED = "paused"  # paused by the user
    FAULT = "fault"  # paused by a fault, retrying
    STOPPED = "stopped"


class FrameSource(Protocol):
    def grab(self, t: float, index: int) -> Frame: ...


class Analyser(Protocol):
    def process(self, frame: Frame) -> FrameResult: ...


class LoopingSource:
    """An image, video or folder served like the screen: ``grab(t)`` returns the
    frame of the input at time ``t`` (seconds since the start), looping forever.

    Frames are taken every ``every`` seconds of input time, as ``open_source``
    does; a grab that comes late skips the frames in between (as the screen
    would). Only the current position is kept, so a long video costs no memory.
    """

    def __init__(self, path, every: float = 1.0) -> None:
        self.path = path
        self.every = every
        self.source = open_source(path, every)  # raises InputError now, not at the first grab
        self._it = None
        self._pos = 0  # index of the next frame the iterator yields
        self._length: int | None = None  # frames per loop, once known
        self._last: Frame | None = None

    def _restart(self) -> None:
        self._it = iter(self.source)
        self._pos = 0

    def grab(self, t: float, index: int) -> Frame:
        k = max(0, int(t / self.every + 1e-6))
        if self._length:
            k %= self._length
        if self._last is not None and self._pos - 1 == k:
            return Frame(self._last.image, t, index)
        if self._it is None or k < self._pos:
            self._restart()
        while self._pos <= k:
            try:
                self._last = next(self._it)
                self._pos += 1
            except StopIteration:
                if self._pos == 0:
                    raise InputError(f"no frames in {self.path}") from None
                self._length = self._pos
                k %= self._length
                if self._pos - 1 == k:
                    break
                self._restart()
        assert self._last is not None
        return Frame(self._last.image, t, index)


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


class AnalysisWorker(QObject):
    """Grab -> pipeline -> MoodSample, every ``every`` seconds, in a worker thread.

    make_source / make_pipeline: called in the worker thread (so model loading
        and opening the screen never block the GUI); they may raise
        ClasswatchErrors, which become faults.
    record: called in the worker thread with (FrameResult, wall time) before
        the sample is emitted, e.g. to append it to the session store; an
        exception there is reported by ``record_failed`` and analysis goes on.
    blank_is_fault: treat a flat one-colour frame as a capture fault (for the screen).
    locked: asked before each grab (for the screen); True makes it a capture
        fault without grabbing, so nothing of a locked session is analysed.
    """

    sample_ready = Signal(object, float)  # MoodSample, wall time (UTC epoch seconds)
    state_changed = Signal(str, str)  # State value, message
    fault = Signal(str, str)  # kind, message
    recovered = Signal()
    record_failed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        make_source: Callable[[], FrameSource],
        make_pipeline: Callable[[], Analyser],
        every: float = 1.0,
        *,
        retry_s: float = RETRY_S,
        record: Callable[[FrameResult, float], None] | None = None,
        blank_is_fault: bool = False,
        locked: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        if every <= 0:
            raise ValueError("every must be > 0")
        self.make_source = make_source
        self.make_pipeline = make_pipeline
        self.every = float(every)
        self.retry_s = float(retry_s)
        self.record = record
        self.blank_is_fault = blank_is_fault
        self.locked = locked
        self.clock = clock
        self._wake = threading.Event()
        self._paused = False
        self._stopping = False
        self.state = State.IDLE
        self.processed = 0
        self.dropped = 0
        self.faults = 0
        self.last_fault: tuple[str, str] | None = None
        self.busy_s = 0.0  # time spent grabbing + analysing

    # --- control (any thread) -------------------------------------------------------------

    def pause(self) -> None:
        self._paused = True
        self._wake.set()

    def resume(self) -> None:
        self._paused = False
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    # --- the loop (worker thread) ---------------------------------------------------------

    def _set_state(self, state: State, message: str = "") -> None:
        if state is not self.state or state is State.FAULT:
            self.state = state
            self.state_changed.emit(state.value, message)

    def _sleep(self, seconds: float) -> None:
        """Wait up to ``seconds``; returns early on pause/resume/stop."""
        if seconds > 0:
            self._wake.wait(seconds)
        self._wake.clear()

    def _fault(self, kind: str, message: str) -> None:
        self.faults += 1
        self.last_fault = (kind, message)
        self._set_state(State.FAULT, message)
        self.fault.emit(kind, message)

    def run(self) -> None:
        try:
            self._loop()
        finally:
            self._set_state(State.STOPPED)
            self.finished.emit()

    def _loop(self) -> None:
        source = pipeline = None
        self._set_state(State.STARTING)
        start = time.monotonic()
        next_due = start
        index = 0
        try:
            while not self._stopping:
                if self._paused:
                    # Let go of the source while paused: a camera's light goes off, and it is reopened on resume.
                    source = _release(source)
                    self._set_state(State.PAUSED, "Paused")
                    self._sleep(3600.0)
                    next_due = time.monotonic()
                    continue
                delay = next_due - time.monotonic()
                if delay > 0:
                    self._sleep(delay)
                    if self._stopping or self._paused or time.monotonic() < next_due - 1e-3:
                        continue
                began = time.monotonic()
                try:
                    if pipeline is None:
                        pipeline = self.make_pipeline()
                    if source is None:
                        source = self.make_source()
                    if self.locked is not None and self.locked():
                        raise CaptureError(LOCKED_MESSAGE)
                    wall = self.clock()
                    frame = source.grab(began - start, index)
                    if self.blank_is_fault and is_blank(frame.image):
                        raise CaptureError(blank_message())
                    result = pipeline.process(frame)
                except (CaptureError, InputError) as exc:
                    source = _release(source)  # re-open: the monitor list, the file or the camera may have changed
                    self._fault("capture" if isinstance(exc, CaptureError) else "input", str(exc))
                    self._sleep(self.retry_s)
                    next_due = time.monotonic()
                    continue
                except ModelError as exc:
                    pipeline = None
                    self._fault("model", f"{exc}. Analysis resumes when the model can be loaded.")
                    self._sleep(self.retry_s)
                    next_due = time.monotonic()
                    continue
                except Exception as exc:  # a bug: keep the thread alive, report, retry from scratch
                    log.exception("analysis failed")
                    source, pipeline = _release(source), None
                    self._fault("internal", f"Unexpected error: {type(exc).__name__}: {exc}")
                    self._sleep(self.retry_s)
                    next_due = time.monotonic()
                    continue
                if self.state is State.FAULT:
                    self.recovered.emit()
                self._set_state(State.RUNNING)
                if self.record is not None:
                    try:
                        self.record(result, wall)
                    except Exception as exc:
                        log.warning("recording failed: %s", exc)
                        self.record_failed.emit(str(exc))
                self.sample_ready.emit(result.mood, wall)
                index += 1
                self.processed += 1
                now = time.monotonic()
                self.busy_s += now - began
                next_due += self.every
                if next_due <= now:  # analysis overran: skip the ticks that passed, grab the newest frame next
                    missed = int((now - next_due) / self.every) + 1
                    self.dropped += missed
                    next_due += missed * self.every
        finally:
            _release(source)


def _release(source) -> None:
    """Let go of a source now, not whenever it is collected: a camera reopened after a
    fault, or by the next run, is "in use" until the old capture has released it."""
    close = getattr(source, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # a source already broken: nothing more to release
            log.debug("closing the source failed", exc_info=True)


class _LoopThread(QThread):
    """A QThread whose body is the worker's loop (no event loop: the worker needs none,
    and so there is nothing to quit that a blocked GUI thread would have to deliver)."""

    def __init__(self, worker: AnalysisWorker) -> None:
        super().__init__()
        self.worker = worker

    def run(self) -> None:
        self.worker.run()


class WorkerHandle:
    """A worker in its own QThread: ``start()``, then ``pause``/``resume``, ``stop()`` joins."""

    def __init__(self, worker: AnalysisWorker) -> None:
        self.worker = worker
        self.thread = _LoopThread(worker)
        self.thread.setObjectName("classwatch-analysis")
        worker.moveToThread(self.thread)

    def start(self) -> None:
        self.thread.start(QThread.Priority.LowPriority)

    def pause(self) -> None:
        self.worker.pause()

    def resume(self) -> None:
        self.worker.resume()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop the loop and wait for the thread; False if it did not end in time
        (a grab or model run that hangs: the thread is left to finish on its own)."""
        self.worker.stop()
        if not self.thread.isRunning():
            return True
        return self.thread.wait(int(timeout_s * 1000))

    @property
    def running(self) -> bool:
        return self.thread.isRunning()
