"""Fakes shared by the UI tests: a frame source and a pipeline that need no screen and no model.

(Named test_ui_* so it sits with the UI tests; it holds no tests itself.)
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from classwatch.errors import CaptureError, ModelError
from classwatch.pipeline import FrameResult
from classwatch.types import EXPRESSIONS, N_EXPRESSIONS, FaceDetections, Frame, MoodSample, TileLayout, Tracks

HAPPY = EXPRESSIONS.index("happy")


def ensure_qapplication() -> None:
    """Create the widgets-capable QApplication at collection time, before any test runs.

    Another module (the PDF report) makes a plain QGuiApplication when it finds
    no application; if that happened first, every widget test after it would
    abort ("Must construct a QApplication before a QWidget").
    """
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        ensure_qapplication.app = QApplication(["classwatch-tests"])


ensure_qapplication()


def mood_sample(t: float, mood: float | None = 0.3, faces: int = 6, tiles: int = 8, camera_off: int = 1) -> MoodSample:
    if mood is None:
        return MoodSample(t, tiles, faces, camera_off, None, np.zeros(N_EXPRESSIONS, np.int64), None, 0.5, 0.3)
    probs = np.full(N_EXPRESSIONS, (1 - 0.4) / (N_EXPRESSIONS - 1), np.float32)
    probs[HAPPY] = 0.4
    counts = np.zeros(N_EXPRESSIONS, np.int64)
    counts[HAPPY] = faces
    return MoodSample(t, tiles, faces, camera_off, probs, counts, mood, 0.62, faces / max(tiles - camera_off, 1))


class FakeSource:
    """grab() returns a small grey frame; raises CaptureError for the grabs listed in ``fail``."""

    def __init__(self, fail: set[int] | None = None, fail_always: threading.Event | None = None) -> None:
        self.fail = fail or set()
        self.fail_always = fail_always
        self.calls = 0
        self.grab_times: list[float] = []

    def grab(self, t: float, index: int) -> Frame:
        n = self.calls
        self.calls += 1
        if n in self.fail or (self.fail_always is not None and self.fail_always.is_set()):
            raise CaptureError("capture region monitor 2 1280x720+0+0 is off-screen (monitor is 800x600)")
        self.grab_times.append(time.monotonic())
        image = np.full((48, 64, 3), 90, np.uint8)
        image[10:30, 10:30] = 200
        return Frame(image, t, index)


class FakePipeline:
    """process() sleeps ``delay`` seconds, then returns a FrameResult with a fixed mood."""

    def __init__(self, delay: float = 0.0, mood: float | None = 0.3, faces: int = 6) -> None:
        self.delay = delay
        self.mood = mood
        self.faces = faces
        self.processed = 0

    def process(self, frame: Frame) -> FrameResult:
        if self.delay:
            time.sleep(self.delay)
        self.processed += 1
        mood = mood_sample(frame.t, self.mood, faces=self.faces)
        return FrameResult(frame.t, TileLayout.empty(), FaceDetections.empty(), None, Tracks.empty(), mood)


class FlakyPipelineFactory:
    """A pipeline factory whose first ``failures`` calls raise ModelError (a model file missing, then installed)."""

    def __init__(self, failures: int = 1, **kwargs) -> None:
        self.failures = failures
        self.calls = 0
        self.kwargs = kwargs

    def __call__(self) -> FakePipeline:
        self.calls += 1
        if self.calls <= self.failures:
            raise ModelError("model card not found: models/expression.json")
        return FakePipeline(**self.kwargs)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Settings, data and policy in a temporary folder: nothing of the user's is read or written."""
    monkeypatch.setenv("CLASSWATCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CLASSWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CLASSWATCH_POLICY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path
