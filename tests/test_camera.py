"""The classroom camera without hardware: fake captures stand in for cv2.VideoCapture."""

import json
import threading
import time

import cv2
import numpy as np
import pytest

from classwatch import sources
from classwatch.cli import main
from classwatch.errors import CaptureError, InputError
from classwatch.pipeline import FrameResult
from classwatch.runtime import Reading, run
from classwatch.sources import CameraInfo, CameraSource, list_cameras
from classwatch.types import FaceDetections, Frame, MoodSample, TileLayout, Tracks
from conftest import REPO

FACE = cv2.imread(str(REPO / "assets" / "demo" / "participant_1.jpg"))  # one face, no tiles: a (tiny) room


class FakeCamera:
    """The camera side of cv2.VideoCapture: a new picture every ``interval`` seconds.

    unplug_after: the number of pictures handed out (retrieve) before the cable is
    pulled: from then on grab and retrieve fail. interrupt_after: the same, but the
    next retrieve raises KeyboardInterrupt (Ctrl-C while waiting for the camera).
    Each picture's first pixel holds the number of grabs so far (mod 256).
    """

    def __init__(self, picture=FACE, opens=True, sends=True, unplug_after=None, interrupt_after=None, interval=0.005):
        self.picture, self.opens, self.sends, self.interval = picture, opens, sends, interval
        self.unplug_after, self.interrupt_after = unplug_after, interrupt_after
        self.grabs = self.retrieved = 0
        self.released = False

    @property
    def unplugged(self):
        return self.unplug_after is not None and self.retrieved >= self.unplug_after

    def isOpened(self):  # noqa: N802
        return self.opens and not self.released

    def set(self, prop, value):
        return True

    def grab(self):
        time.sleep(self.interval)
        if self.released or not self.sends or self.unplugged:
            return False
        self.grabs += 1
        return True

    def retrieve(self):
        if self.interrupt_after is not None and self.retrieved >= self.interrupt_after:
            raise KeyboardInterrupt
        if self.released or self.unplugged:
            return False, None
        self.retrieved += 1
        image = self.picture.copy()
        image.flat[0] = self.grabs % 256
        return True, image

    def release(self):
        self.released = True


@pytest.fixture
def fast(monkeypatch):
    """Seconds, not the real ones, before a camera counts as gone or as sending nothing."""
    monkeypatch.setattr(sources, "CAMERA_LOST_S", 0.2)
    monkeypatch.setattr(sources, "CAMERA_START_S", 0.2)


def plug_in(monkeypatch, camera):
    """cv2.VideoCapture(index) gives ``camera``; returns the indices opened."""
    opened = []
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: opened.append(index) or camera)
    return opened


# --- the source


class Keep:
    """A pipeline that keeps the frames it is given and finds nothing in them."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []

    def process(self, frame: Frame) -> FrameResult:
        self.frames.append(frame)
        return FrameResult(frame.t, TileLayout.empty(), FaceDetections.empty(), None, Tracks.empty(), MoodSample.empty(frame.t))


def read(make_source, every: float, seconds: float | None = None) -> tuple[list[Frame], list[Reading]]:
    """The frames the run loop (as ``analyze --camera`` runs it) reads from ``make_source()``."""
    keep = Keep()
    readings = []
    for event in run(make_source, lambda: keep, every, retry_s=None, seconds=seconds):
        if isinstance(event, Reading):
            readings.append(event)
    return keep.frames, readings


def test_the_run_loop_reads_a_frame_every_n_seconds_of_wall_time_then_releases_it():
    camera = FakeCamera()
    frames, readings = read(lambda: CameraSource(0, capture=lambda i: camera), every=0.1, seconds=0.35)
    assert [f.index for f in frames] == [r.index for r in readings] == [0, 1, 2, 3]
    ts = [f.t for f in frames]
    assert ts[0] < 0.05 and all(0.08 < b - a < 0.2 for a, b in zip(ts, ts[1:]))
    assert frames[0].image.shape == FACE.shape and frames[0].image.dtype == np.uint8
    assert camera.released


def test_a_grab_gets_the_newest_picture_not_one_queued_since_the_last():
    camera = FakeCamera(interval=0.002)
    source = CameraSource(0, capture=lambda i: camera)
    try:
        first = source.grab(0.0, 0)
        time.sleep(0.1)
        second = source.grab(0.1, 1)
    finally:
        source.close()
    # Dozens of pictures came in between; the second grab is one of the last, not the next in line.
    assert (int(second.image[0, 0, 0]) - int(first.image[0, 0, 0])) % 256 > 10
    assert camera.released


def test_grey_and_bgra_pictures_become_bgr():
    for picture in (np.zeros((20, 30), np.uint8), np.zeros((20, 30, 4), np.uint8)):
        source = CameraSource(0, capture=lambda i, p=picture: FakeCamera(p))
        try:
            assert source.grab().image.shape == (20, 30, 3)
        finally:
            source.close()


def test_a_camera_that_cannot_be_opened_names_its_index(monkeypatch):
    camera = FakeCamera(opens=False)
    plug_in(monkeypatch, camera)
    with pytest.raises(InputError, match="cannot open camera 3"):
        CameraSource(3)
    assert camera.released


def test_a_camera_that_sends_nothing_is_an_input_error(fast):
    with pytest.raises(InputError, match="camera 1 sends no picture"):
        CameraSource(1, capture=lambda i: FakeCamera(sends=False))


def test_unplugged_mid_session_is_a_capture_error_after_the_frames_before(fast):
    camera = FakeCamera(unplug_after=2)
    keep = Keep()
    with pytest.raises(CaptureError, match="camera 0 stopped sending pictures"):
        for _ in run(lambda: CameraSource(0, capture=lambda i: camera), lambda: keep, 0.05, retry_s=None):
            pass
    assert len(keep.frames) == 2
    assert camera.released  # the loop let go of it on the way out


def test_a_grabber_that_stopped_reports_the_camera_gone(fast):
    camera = FakeCamera(unplug_after=1)
    source = CameraSource(0, capture=lambda i: camera)
    source.grab()
    source._grabber.join(2)  # gives up after CAMERA_LOST_S without a picture, and releases the camera
    assert camera.released
    with pytest.raises(CaptureError):
        source.grab()


def test_a_source_nobody_closes_lets_go_of_the_camera():
    """The app's worker drops a source after a fault without closing it: the camera must not stay on."""
    camera = FakeCamera()
    source = CameraSource(0, capture=lambda i: camera)
    grabber = source._grabber
    del source
    grabber.join(2)
    assert not grabber.is_alive() and camera.released


def test_a_slow_analysis_skips_the_ticks_it_missed_on_the_real_clock():
    """The run loop's dropping (exact, on a fake clock, in test_runtime) with a camera on the real clock:
    after an overrun the next grab comes at a tick of the grid, never a queued one."""

    class Slow(Keep):
        def process(self, frame: Frame) -> FrameResult:
            if frame.index == 0:
                time.sleep(0.12)  # the first analysis overran two ticks
            return super().process(frame)

    slow = Slow()
    camera = CameraSource(0, capture=lambda i: FakeCamera())  # opened before the clock starts, as analyze --camera does
    events = list(run(lambda: camera, lambda: slow, 0.05, retry_s=None, seconds=0.4))
    ts = [f.t for f in slow.frames]
    assert len(ts) >= 2 and ts[0] < 0.01
    tick = round(ts[1] / 0.05)
    assert tick >= 3 and abs(ts[1] - 0.05 * tick) < 0.02, ts  # 0.15 s (the first tick due after 0.12 s) or later on a busy machine
    assert events[-1].stats.dropped >= 2
    assert camera._grabber.cap.released  # the loop closed it


# --- listing cameras


def test_list_cameras_reports_those_that_send_a_picture():
    def capture(index):
        if index == 3:  # a driver that takes its time: skipped after the timeout
            return FakeCamera(interval=1.0)
        return FakeCamera(np.zeros((1080, 1920, 3), np.uint8), opens=index in (0, 2))

    started = time.monotonic()
    cameras = list_cameras(count=4, timeout_s=0.3, capture=capture)
    assert time.monotonic() - started < 1.5
    assert [(c.index, c.width, c.height) for c in cameras] == [(0, 1920, 1080), (2, 1920, 1080)]
    assert all(isinstance(c, CameraInfo) and isinstance(c.name, str) for c in cameras)
    assert str(CameraInfo(1, "", 640, 480)) == "Camera (1, 640x480)"


def test_cameras_command(monkeypatch, capsys):
    monkeypatch.setattr("classwatch.sources.list_cameras", lambda: [CameraInfo(0, "USB Cam", 1920, 1080)])
    assert main(["cameras", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"index": 0, "name": "USB Cam", "width": 1920, "height": 1080}]
    assert main(["cameras"]) == 0
    assert "1920x1080  USB Cam" in capsys.readouterr().out


# --- analyze --camera


def error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("classwatch: error:") and "Traceback" not in err, err
    return lines[0]


def one_error_line(capsys) -> str:
    return error_line(capsys.readouterr().err)


def test_analyze_camera_for_some_seconds(monkeypatch, capsys):
    opened = plug_in(monkeypatch, FakeCamera())
    assert main(["analyze", "--camera", "0", "--seconds", "0.5", "--every", "0.2", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)["inputs"]
    assert opened == [0] and item["path"] == "camera 0"
    ts = [f["t"] for f in item["frames"]]
    # Readings at 0, 0.2 and 0.4 s; a first analysis slower than 0.2 s (loading the models) skips a tick.
    assert 2 <= len(ts) <= 3 and ts[0] < 0.1 and ts[-1] < 0.5 and all(b - a > 0.18 for a, b in zip(ts, ts[1:]))
    assert all(not f["grid"] and f["mood"]["faces"] == 1 and f["mood"]["coverage"] == 1.0 for f in item["frames"])


def test_analyze_camera_prints_each_reading_as_it_comes(monkeypatch, capsys):
    plug_in(monkeypatch, FakeCamera())
    assert main(["analyze", "--camera", "0", "--seconds", "0.3", "--every", "0.2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "camera 0: a reading every 0.2 s for 0.3 s"
    assert 2 <= len(lines) <= 3 and all("faces  1  coverage 100%" in line for line in lines[1:])  # 2: a slow first analysis


def test_coverage_against_the_class_size_in_the_settings(monkeypatch, capsys, tmp_path):
    from classwatch.settings import Settings, save_user_settings, settings_path

    save_user_settings(Settings(class_size=4, explicit=frozenset({"class_size"})), settings_path())
    plug_in(monkeypatch, FakeCamera())
    assert main(["analyze", "--camera", "0", "--seconds", "0.1", "--json"]) == 0
    (frame,) = json.loads(capsys.readouterr().out)["inputs"][0]["frames"]
    assert frame["mood"]["coverage"] == 0.25  # one face of the four expected


def test_camera_and_paths_are_mutually_exclusive(capsys):
    assert main(["analyze", "--camera", "0", str(REPO / "assets" / "demo" / "participant_1.jpg")]) == 2
    assert "give PATHs or --camera N, not both" in one_error_line(capsys)
    assert main(["analyze", "--seconds", "5"]) == 2
    assert "--seconds goes with --camera" in one_error_line(capsys)


@pytest.mark.parametrize("bad", ["-1", "x"])
def test_a_bad_camera_number_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["analyze", "--camera", bad])
    assert exit.value.code == 2
    assert "--camera" in one_error_line(capsys)


def test_camera_that_cannot_be_opened_is_one_line(monkeypatch, capsys):
    plug_in(monkeypatch, FakeCamera(opens=False))
    assert main(["analyze", "--camera", "2", "--json"]) == 2
    assert "cannot open camera 2" in one_error_line(capsys)


def test_policy_forbids_the_camera(monkeypatch, capsys, tmp_path):
    (tmp_path / "policy.json").write_text(json.dumps({"camera": False, "reason": "No filming in class"}))
    monkeypatch.setenv("CLASSWATCH_POLICY", str(tmp_path / "policy.json"))
    opened = plug_in(monkeypatch, FakeCamera())
    assert main(["analyze", "--camera", "0"]) == 2
    assert one_error_line(capsys) == "classwatch: error: --camera: the camera may not be used: No filming in class"
    assert opened == []  # refused before the camera was touched


def test_unplugged_mid_session_keeps_what_was_recorded(monkeypatch, capsys, tmp_path, fast):
    from classwatch.session import SessionStore, TimeBase

    db = tmp_path / "sessions.db"
    # Pictures for about half a second, then the cable is pulled. How many readings that gives
    # depends on the machine's speed (a real clock paces them): at least one, and whatever it is,
    # the message, the output and the session agree on it.
    plug_in(monkeypatch, FakeCamera(unplug_after=5, interval=0.1))
    assert main(["analyze", "--camera", "0", "--every", "0.2", "--record", "lesson", "--db", str(db), "--json"]) == 2
    captured = capsys.readouterr()
    line = error_line(captured.err)
    made = len(json.loads(captured.out)["inputs"][0]["frames"])  # the readings made are still output
    assert made >= 1
    assert "camera 0 stopped sending pictures" in line and f"keeps the {made} reading(s)" in line
    with SessionStore(db) as store:
        data = store.load("lesson")
        assert len(data.samples) == made and data.info.time_base is TimeBase.WALL and data.info.source == "camera 0"
        assert data.info.ended_at is not None


def test_ctrl_c_ends_cleanly_with_the_readings_made(monkeypatch, capsys, tmp_path):
    from classwatch.session import SessionStore

    db = tmp_path / "sessions.db"
    camera = FakeCamera(interrupt_after=2)
    plug_in(monkeypatch, camera)
    assert main(["analyze", "--camera", "0", "--every", "0.2", "--record", "lesson", "--db", str(db), "--json"]) == 130
    captured = capsys.readouterr()
    assert captured.err == ""
    assert len(json.loads(captured.out)["inputs"][0]["frames"]) == 2
    with SessionStore(db) as store:
        assert len(store.load("lesson").samples) == 2
    deadline = time.monotonic() + 2
    while not camera.released and time.monotonic() < deadline:
        time.sleep(0.01)
    assert camera.released and not any(t.name == "camera grabber" for t in threading.enumerate())


def test_a_camera_session_records_what_the_apps_camera_sessions_do(monkeypatch, capsys, tmp_path):
    """``analyze --camera --record`` records the settings an app session of the camera does (``runtime.SessionSpec``
    with the room's class size): every field of the pipeline configuration, the sampling rate and the class size."""
    from classwatch.policy import load_effective
    from classwatch.runtime import session_settings
    from classwatch.session import SessionStore

    db = tmp_path / "sessions.db"
    plug_in(monkeypatch, FakeCamera())
    assert main(["analyze", "--camera", "0", "--seconds", "0.1", "--record", "room", "--db", str(db), "--json"]) == 0
    capsys.readouterr()
    effective = load_effective()
    s = effective.settings
    app = session_settings(effective.pipeline_config(), s.sample_every_s, {"class_size": s.class_size})
    with SessionStore(db) as store:
        info = store.get("room")
    assert info.settings == app and info.source == "camera 0" and info.sample_count == 1


def test_a_camera_that_is_not_there_is_one_line_on_stderr():
    """OpenCV itself logs each backend it tries; the user gets one line (a real, absent camera)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "classwatch", "analyze", "--camera", "63", "--seconds", "1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["classwatch: error: cannot open camera 63: not connected, or in use by another program"]
