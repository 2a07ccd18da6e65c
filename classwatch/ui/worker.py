"""The analysis worker: runs the run loop (``runtime.loop.run``) off the GUI thread.

``AnalysisWorker`` is a thin QObject adapter (napari's pattern): its ``run()``
iterates the loop's generator in its own QThread (``WorkerHandle`` starts and
joins it) and turns each event it yields, and any exception, into a signal.
The GUI thread only ever receives aggregate numbers (the reading's
``MoodSample``), never an image or a per-face reading.

Pacing, frame dropping, fault classification and recording are the loop's
(see ``runtime/loop.py``); ``pause()``, ``resume()`` and ``stop()`` are safe
from any thread and reach the loop through its ``RunControl``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from ..aggregate import RoomCoverage
from ..runtime import RETRY_S, Fault, Paused, Reading, RecordFailed, Recovered, RunControl, Starting, State
from ..runtime.loop import Analyser, FrameSource, ReadingRecorder, SystemClock, run

log = logging.getLogger(__name__)

__all__ = ["AnalysisWorker", "State", "WorkerHandle"]


class AnalysisWorker(QObject):
    """Grab -> pipeline -> MoodSample, every ``every`` seconds, in a worker thread.

    The arguments are ``runtime.loop.run``'s: make_source / make_pipeline are called in the
    worker thread (so model loading and opening the screen never block the GUI); recorder
    records each reading before it is shown, and a failure there is ``record_failed``,
    not the end of the run; clock: the wall clock readings are stamped with.
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
        recorder: ReadingRecorder | None = None,
        room: RoomCoverage | None = None,
        blank_is_fault: bool = False,
        locked: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        if every <= 0:
            raise ValueError("every must be > 0")
        self.control = RunControl()
        self._run = lambda: run(make_source, make_pipeline, every, control=self.control, retry_s=retry_s,
                                recorder=recorder, room=room, blank_is_fault=blank_is_fault, locked=locked,
                                clock=SystemClock(clock))
        self.state = State.IDLE

    # --- control (any thread) -------------------------------------------------------------

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    @property
    def paused(self) -> bool:
        return self.control.paused

    @property
    def processed(self) -> int:
        return self.control.stats.processed

    @property
    def dropped(self) -> int:
        return self.control.stats.dropped

    @property
    def faults(self) -> int:
        return self.control.stats.faults

    # --- the loop (worker thread) ---------------------------------------------------------

    def _set_state(self, state: State, message: str = "") -> None:
        if state is not self.state or state is State.FAULT:
            self.state = state
            self.state_changed.emit(state.value, message)

    def run(self) -> None:
        try:
            for event in self._run():
                self._emit(event)
        except Exception as exc:  # the loop handles its faults: this is a bug in it, not a fault to retry
            log.exception("the analysis loop failed")
            message = f"Unexpected error: {type(exc).__name__}: {exc}"
            self._set_state(State.FAULT, message)
            self.fault.emit("internal", message)
        finally:
            self._set_state(State.STOPPED)
            self.finished.emit()

    def _emit(self, event) -> None:
        if isinstance(event, Reading):
            self._set_state(State.RUNNING)
            self.sample_ready.emit(event.mood, event.wall)
        elif isinstance(event, Fault):
            self._set_state(State.FAULT, event.message)
            self.fault.emit(event.kind, event.message)
        elif isinstance(event, Recovered):
            self.recovered.emit()
        elif isinstance(event, RecordFailed):
            self.record_failed.emit(event.message)
        elif isinstance(event, Paused):
            self._set_state(State.PAUSED, "Paused")
        elif isinstance(event, Starting):
            self._set_state(State.STARTING)
        # Finished: the state goes to STOPPED in run(), once the loop has let go of everything.


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
