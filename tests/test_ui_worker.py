"""The analysis worker: start, pause, resume, stop, faults and frame dropping (fake source and pipeline)."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("pytestqt")

from conftest import DEMO_VIDEO  # noqa: E402
from test_ui_fakes import FakePipeline, FakeSource, FlakyPipelineFactory  # noqa: E402

from classwatch.runtime import LoopingSource, is_blank  # noqa: E402
from classwatch.ui.worker import AnalysisWorker, State, WorkerHandle  # noqa: E402


def make(qtbot, source=None, pipeline=None, every=0.05, **kwargs):
    source = source or FakeSource()
    factory = pipeline if callable(pipeline) and not isinstance(pipeline, FakePipeline) else (lambda: pipeline or FakePipeline())
    worker = AnalysisWorker(lambda: source, factory, every, retry_s=kwargs.pop("retry_s", 0.1), **kwargs)
    samples, states, faults = [], [], []
    worker.sample_ready.connect(lambda s, w: samples.append((s, w)))
    worker.state_changed.connect(lambda st, msg: states.append((st, msg)))
    worker.fault.connect(lambda kind, msg: faults.append((kind, msg)))
    handle = WorkerHandle(worker)
    return handle, samples, states, faults


def test_start_pause_resume_stop(qtbot):
    handle, samples, states, _ = make(qtbot)
    handle.start()
    try:
        qtbot.waitUntil(lambda: len(samples) >= 3, timeout=3000)
        assert handle.thread.isRunning()
        assert states[0][0] == State.STARTING.value and ("running", "") in states

        handle.pause()
        qtbot.waitUntil(lambda: states[-1][0] == "paused", timeout=2000)
        qtbot.wait(150)  # let a sample already in flight arrive
        n = len(samples)
        qtbot.wait(300)
        assert len(samples) == n, "no samples while paused"
        assert handle.worker.paused

        handle.resume()
        qtbot.waitUntil(lambda: len(samples) >= n + 2, timeout=3000)
        assert states[-1][0] == "running"
    finally:
        assert handle.stop(timeout_s=3)
    assert not handle.running
    qtbot.waitUntil(lambda: states[-1][0] == "stopped", timeout=2000)
    # Only aggregate numbers crossed to the GUI thread: (MoodSample, wall time).
    sample, wall = samples[0]
    assert type(sample).__name__ == "MoodSample" and wall > 1e9


def test_stop_while_paused_and_while_faulted_is_quick(qtbot):
    handle, samples, states, _ = make(qtbot)
    handle.start()
    qtbot.waitUntil(lambda: len(samples) >= 1, timeout=3000)
    handle.pause()
    t0 = time.monotonic()
    assert handle.stop(timeout_s=3)
    assert time.monotonic() - t0 < 1.0

    always = threading.Event()
    always.set()
    handle, samples, states, faults = make(qtbot, source=FakeSource(fail_always=always), retry_s=30.0)
    handle.start()
    qtbot.waitUntil(lambda: len(faults) >= 1, timeout=3000)
    t0 = time.monotonic()
    assert handle.stop(timeout_s=3)  # the 30 s retry wait is interrupted
    assert time.monotonic() - t0 < 1.0


def test_capture_error_becomes_a_fault_then_recovers(qtbot):
    source = FakeSource(fail={0, 1})
    handle, samples, states, faults = make(qtbot, source=source)
    recovered = []
    handle.worker.recovered.connect(lambda: recovered.append(True))
    handle.start()
    try:
        qtbot.waitUntil(lambda: len(samples) >= 2, timeout=3000)
    finally:
        handle.stop(timeout_s=3)
    assert [k for k, _ in faults] == ["capture", "capture"]
    assert "off-screen" in faults[0][1]
    assert ("fault", faults[0][1]) in states
    assert recovered == [True]
    assert handle.worker.faults == 2


def test_missing_model_is_a_fault_and_is_retried(qtbot):
    factory = FlakyPipelineFactory(failures=2)
    handle, samples, states, faults = make(qtbot, pipeline=factory)
    handle.start()
    try:
        qtbot.waitUntil(lambda: len(samples) >= 1, timeout=3000)
    finally:
        handle.stop(timeout_s=3)
    assert [k for k, _ in faults] == ["model", "model"]
    assert "resumes when the model can be loaded" in faults[0][1]
    assert factory.calls == 3


def test_an_unexpected_exception_never_kills_the_thread(qtbot):
    class Broken(FakePipeline):
        calls = 0

        def process(self, frame):
            Broken.calls += 1
            if Broken.calls == 1:
                raise ZeroDivisionError("bug")
            return super().process(frame)

    handle, samples, states, faults = make(qtbot, pipeline=Broken())
    handle.start()
    try:
        qtbot.waitUntil(lambda: len(samples) >= 1, timeout=3000)
        assert handle.running
    finally:
        handle.stop(timeout_s=3)
    assert faults[0][0] == "internal" and "ZeroDivisionError" in faults[0][1]


def test_slow_inference_drops_frames_instead_of_queueing(qtbot):
    """Sampling every 20 ms with a 150 ms pipeline: the worker keeps up with *now*, not with a backlog."""
    source = FakeSource()
    pipeline = FakePipeline(delay=0.15)
    handle, samples, _, _ = make(qtbot, source=source, pipeline=pipeline, every=0.02)
    emitted = []
    handle.worker.sample_ready.connect(lambda s, w: emitted.append(time.monotonic()))
    handle.start()
    try:
        qtbot.waitUntil(lambda: len(samples) >= 5, timeout=5000)
    finally:
        handle.stop(timeout_s=3)
    worker = handle.worker
    # About one frame per pipeline run, far fewer than the 20 ms ticks that passed.
    assert worker.dropped >= 4 * worker.processed
    # Each frame is analysed right after it is grabbed: never more than one run of latency.
    for grabbed, done in zip(source.grab_times, emitted):
        assert done - grabbed < 0.15 + 0.25
    # Frame times follow the clock (the newest frame each time), not tick after tick.
    ts = [s.t for s, _ in samples]
    assert all(b - a >= 0.1 for a, b in zip(ts, ts[1:]))


def test_blank_frames_are_a_capture_fault_for_the_screen(qtbot):
    import numpy as np

    from classwatch.types import Frame

    class Blank(FakeSource):
        def grab(self, t, index):
            return Frame(np.zeros((40, 40, 3), np.uint8), t, index)

    assert is_blank(np.zeros((40, 40, 3), np.uint8)) and not is_blank(np.arange(40 * 40 * 3, dtype=np.uint8).reshape(40, 40, 3))
    handle, samples, states, faults = make(qtbot, source=Blank(), blank_is_fault=True)
    handle.start()
    try:
        qtbot.waitUntil(lambda: len(faults) >= 1, timeout=3000)
    finally:
        handle.stop(timeout_s=3)
    assert faults[0][0] == "capture" and not samples


def test_looping_source_serves_the_demo_video_by_time():
    src = LoopingSource(DEMO_VIDEO, every=0.5)  # 1.9 s video: frames at 0, 0.5, 1.0, 1.5 s
    a = src.grab(0.0, 0)
    b = src.grab(0.5, 1)
    assert a.image.shape == (360, 640, 3) and a.t == 0.0 and b.t == 0.5
    assert not (a.image == b.image).all()
    again = src.grab(0.6, 2)  # same slot as 0.5: the same picture
    assert (again.image == b.image).all()
    late = src.grab(7.9, 3)  # loops: 7.9 s -> slot 15 -> 15 % 4 = 3
    assert src._length == 4
    assert (late.image == src.grab(1.5, 4).image).all()
    assert (src.grab(2.0, 5).image == a.image).all()  # slot 4 -> 0


def test_looping_source_rejects_a_bad_path(tmp_path):
    from classwatch.errors import InputError

    with pytest.raises(InputError):
        LoopingSource(tmp_path / "missing.mp4")


def test_locked_session_is_a_fault_without_grabbing_and_recovers(qtbot):
    from classwatch.screenlock import LOCKED_MESSAGE

    locked = threading.Event()
    locked.set()
    source = FakeSource()
    handle, samples, _states, faults = make(qtbot, source=source, locked=locked.is_set)
    recovered = []
    handle.worker.recovered.connect(lambda: recovered.append(True))
    handle.start()
    try:
        qtbot.waitUntil(lambda: len(faults) >= 1, timeout=3000)
        assert faults[0] == ("capture", LOCKED_MESSAGE)
        assert source.calls == 0 and not samples  # nothing of the locked screen was grabbed
        locked.clear()
        qtbot.waitUntil(lambda: len(samples) >= 1 and bool(recovered), timeout=3000)
    finally:
        handle.stop(timeout_s=3)
