"""The run layer without Qt: pacing, dropping, faults, recovery, files and recording, on a fake clock."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from conftest import DEMO_VIDEO

from classwatch.aggregate import RoomCoverage
from classwatch.errors import CaptureError, ModelError
from classwatch.pipeline import FrameResult, PipelineConfig
from classwatch.runtime import (
    Fault, Finished, Paused, Reading, Recorder, RecordFailed, Recovered, RunControl, SessionSpec, Starting, run,
)
from classwatch.screenlock import LOCKED_MESSAGE
from classwatch.session import SessionStore, TimeBase
from classwatch.sources import open_source
from classwatch.types import FaceDetections, Frame, MoodSample, TileLayout, Tracks

EPOCH = 1_750_000_000.0


class FakeClock:
    """Moves only when the loop sleeps or the pipeline works: a run of minutes takes no time."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def wall(self) -> float:
        return EPOCH + self.t

    def sleep(self, seconds: float, wake) -> None:
        self.t += max(seconds, 0.0)


class Source:
    """A live source: a textured frame; CaptureError on the grabs listed in ``fail``."""

    def __init__(self, fail=(), image=None) -> None:
        self.fail, self.calls, self.closed = set(fail), 0, 0
        self.image = image if image is not None else np.arange(48 * 64 * 3, dtype=np.uint8).reshape(48, 64, 3)

    def grab(self, t: float, index: int) -> Frame:
        self.calls += 1
        if self.calls - 1 in self.fail:
            raise CaptureError("monitor 2 is not connected")
        return Frame(self.image, t, index)

    def close(self) -> None:
        self.closed += 1


class Analyser:
    """Takes ``cost`` seconds of the fake clock per frame; finds ``faces`` faces."""

    def __init__(self, clock: FakeClock | None = None, cost: float = 0.0, faces: int = 5) -> None:
        self.clock, self.cost, self.faces = clock, cost, faces

    def process(self, frame: Frame) -> FrameResult:
        if self.clock is not None:
            self.clock.t += self.cost
        mood = replace(MoodSample.empty(frame.t), faces=self.faces)
        return FrameResult(frame.t, TileLayout.empty(), FaceDetections.empty(), None, Tracks.empty(), mood)


def take(events, control: RunControl, readings: int) -> list:
    """The events up to the ``readings``-th reading, then stop and drain the rest."""
    seen = []
    for event in events:
        seen.append(event)
        if sum(isinstance(e, Reading) for e in seen) == readings:
            control.stop()
    return seen


def test_readings_come_every_interval_and_the_run_stops_on_request():
    clock, control = FakeClock(), RunControl()
    events = take(run(Source, lambda: Analyser(clock, cost=0.2), 1.0, control=control, clock=clock), control, 3)
    assert isinstance(events[0], Starting) and isinstance(events[-1], Finished)
    readings = [e for e in events if isinstance(e, Reading)]
    assert [r.result.t for r in readings] == [0.0, 1.0, 2.0]
    assert [r.wall for r in readings] == [EPOCH, EPOCH + 1.0, EPOCH + 2.0]  # live: the wall clock at the grab
    assert readings[0].mood.faces == 5
    assert events[-1].stats.processed == 3 and events[-1].stats.dropped == 0


def test_a_live_source_is_analysed_with_opencv_on_one_thread():
    """Live analysis runs beside the call: one OpenCV thread (both cores cost 40% more CPU a frame
    for 7% less wall time on a 7x7 gallery, runtime/loop.py)."""
    import cv2

    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        clock, control = FakeClock(), RunControl()
        take(run(Source, lambda: Analyser(clock), 1.0, control=control, clock=clock), control, 1)
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(before)


def test_slow_analysis_drops_ticks_and_reads_the_newest_frame():
    clock, control = FakeClock(), RunControl()
    events = take(run(Source, lambda: Analyser(clock, cost=2.5), 1.0, control=control, clock=clock), control, 3)
    assert [e.result.t for e in events if isinstance(e, Reading)] == [0.0, 3.0, 6.0]
    assert control.stats.dropped == 6  # two ticks skipped after each reading, none queued


def test_a_capture_fault_is_retried_with_a_reopened_source_and_recovers():
    clock, control, opened = FakeClock(), RunControl(), []
    shared = Source(fail={0, 1})

    def make_source():
        opened.append(1)
        return shared

    events = take(run(make_source, Analyser, 1.0, control=control, clock=clock, retry_s=3.0), control, 1)
    kinds = [type(e) for e in events]
    assert kinds == [Starting, Fault, Fault, Recovered, Reading, Finished]
    assert events[1] == Fault("capture", "monitor 2 is not connected")
    assert len(opened) == 3 and shared.closed >= 2  # let go of and re-opened after each fault
    assert clock.t == pytest.approx(6.0)  # two waits of retry_s
    assert control.stats.faults == 2 and control.stats.last_fault[0] == "capture"


def test_model_errors_reload_the_pipeline_and_bugs_are_internal_faults():
    calls = []

    def make_pipeline():
        calls.append(1)
        if len(calls) == 1:
            raise ModelError("model card not found")
        if len(calls) == 2:
            raise ZeroDivisionError("bug")
        return Analyser()

    clock, control = FakeClock(), RunControl()
    events = take(run(Source, make_pipeline, 1.0, control=control, clock=clock, retry_s=1.0), control, 1)
    faults = [e for e in events if isinstance(e, Fault)]
    assert [f.kind for f in faults] == ["model", "internal"]
    assert "resumes when the model can be loaded" in faults[0].message and "ZeroDivisionError" in faults[1].message
    assert len(calls) == 3


def test_a_locked_screen_is_a_fault_without_grabbing_and_a_blank_one_too():
    clock, control, source = FakeClock(), RunControl(), Source()
    locked = [True]
    events = run(lambda: source, Analyser, 1.0, control=control, clock=clock, locked=lambda: locked[0])
    assert isinstance(next(events), Starting)
    assert next(events) == Fault("capture", LOCKED_MESSAGE)
    assert source.calls == 0  # nothing of a locked session is grabbed
    control.stop()
    assert isinstance(list(events)[-1], Finished)

    blank = Source(image=np.zeros((40, 40, 3), np.uint8))
    events = run(lambda: blank, Analyser, 1.0, clock=FakeClock(), blank_is_fault=True)
    next(events)
    assert next(events).kind == "capture"


def test_without_retry_a_fault_is_raised():
    events = run(lambda: Source(fail={0}), Analyser, 1.0, clock=FakeClock(), retry_s=None)
    next(events)
    with pytest.raises(CaptureError, match="not connected"):
        next(events)


def test_pause_lets_go_of_the_source_and_resume_reopens_it():
    clock, control, sources = FakeClock(), RunControl(), []

    def make_source():
        sources.append(Source())
        return sources[-1]

    events = run(make_source, Analyser, 1.0, control=control, clock=clock)
    seen = [next(events), next(events)]  # Starting, the first reading
    control.pause()
    seen.append(next(events))
    assert isinstance(seen[-1], Paused) and sources[0].closed == 1
    control.resume()
    assert isinstance(next(events), Reading) and len(sources) == 2
    control.stop()
    assert isinstance(list(events)[-1], Finished)


def test_a_room_reading_carries_the_room_coverage():
    control = RunControl()
    room = RoomCoverage(class_size=10)
    events = take(run(Source, Analyser, 1.0, control=control, clock=FakeClock(), room=room), control, 1)
    reading = next(e for e in events if isinstance(e, Reading))
    assert reading.mood.coverage == pytest.approx(0.5)  # 5 faces of a class of 10


def test_a_file_is_read_to_its_end_on_its_own_time_axis_and_recorded(tmp_path):
    db = tmp_path / "sessions.sqlite"
    config = PipelineConfig(model=tmp_path / "model.tflite", attention=False)
    spec = SessionSpec(str(DEMO_VIDEO), config, 0.5, time_base=TimeBase.MEDIA, name="lesson")
    recorder = Recorder(db, spec, started_at=EPOCH)
    clock = FakeClock()
    events = list(run(lambda: open_source(DEMO_VIDEO, 0.5), lambda: Analyser(clock, cost=2.0), 0.5,
                      clock=clock, retry_s=None, recorder=recorder, origin=EPOCH))
    recorder.close()
    readings = [e for e in events if isinstance(e, Reading)]
    # The media's times (the frames' own positions), however slow the analysis.
    assert [r.result.t for r in readings] == pytest.approx([0.0, 0.5, 1.0, 1.5], abs=0.05)
    assert [r.wall for r in readings] == [EPOCH + r.result.t for r in readings]
    assert isinstance(events[-1], Finished) and events[-1].stats.dropped == 0  # a file drops nothing
    assert [r.index for r in readings] == [0, 1, 2, 3]
    with SessionStore(db) as store:
        data = store.load("lesson")
    assert data.info.time_base is TimeBase.MEDIA and data.info.started_at == EPOCH
    assert len(data.samples) == 4 and data.info.source == str(DEMO_VIDEO) and data.info.detector == "yunet"
    assert data.info.settings["every_s"] == 0.5 and data.info.settings["model"] == str(tmp_path / "model.tflite")
    expected = {"every_s", *(f for f in config.__dataclass_fields__ if not f.startswith("facing_"))}
    assert set(data.info.settings) == expected  # the full configuration (facing limits only with attention)


def test_the_recorder_keeps_early_bookmarks_reports_failures_and_can_discard(tmp_path):
    db = tmp_path / "sessions.sqlite"
    recorder = Recorder(db, SessionSpec("camera 0", PipelineConfig(), 1.0, extra={"class_size": 25}))
    recorder.bookmark(EPOCH - 5, "Before the first reading")
    control = RunControl()
    events = take(run(Source, Analyser, 1.0, control=control, clock=FakeClock(), recorder=recorder), control, 2)
    name = recorder.name
    recorder.close()
    with SessionStore(db) as store:
        data = store.load(name)
    assert [b.text for b in data.bookmarks] == ["Before the first reading"]
    assert data.info.settings["class_size"] == 25 and data.info.time_base is TimeBase.WALL
    assert data.info.started_at == EPOCH and len(data.samples) == 2

    # Recording into a closed recorder fails; the run reports it and goes on.
    control = RunControl()
    events = take(run(Source, Analyser, 1.0, control=control, clock=FakeClock(), recorder=recorder), control, 2)
    assert sum(isinstance(e, RecordFailed) for e in events) == 2
    assert sum(isinstance(e, Reading) for e in events) == 2

    again = Recorder(db, SessionSpec("file.mp4", PipelineConfig(), 1.0, TimeBase.MEDIA, name="gone"))
    list(run(lambda: open_source(DEMO_VIDEO, 1.0), Analyser, 1.0, clock=FakeClock(), retry_s=None, recorder=again))
    again.close(discard=True)
    with SessionStore(db) as store:
        assert [s.name for s in store.list_sessions()] == [name]


def test_the_run_layer_never_imports_qt():
    assert not any(name.startswith("PySide6") for name in sys.modules if "runtime" in name)
    import subprocess

    code = "import sys, classwatch.runtime; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
