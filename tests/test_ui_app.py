"""The app controller end to end (fake capture and pipeline): recording, bookmarks, faults, region, past sessions,
and the real ``app --demo ... --screenshot ... --quit-after`` path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("pytestqt")

from conftest import DEMO_VIDEO, REPO  # noqa: E402
from test_ui_fakes import FakePipeline, FakeSource, isolated  # noqa: E402,F401

from classwatch.policy import load_effective  # noqa: E402
from classwatch.session import SessionStatus, SessionStore  # noqa: E402
from classwatch.sources import Region  # noqa: E402


def controller(qtbot, tmp_path, source=None, pipeline=None, **kwargs):
    from classwatch.ui.app import Controller

    source = source or FakeSource()
    c = Controller(
        load_effective(), tmp_path / "sessions.sqlite", use_tray=False,
        source_factory=lambda: source, pipeline_factory=lambda: pipeline or FakePipeline(),
        retry_s=0.1, display_ms=50, **kwargs,
    )
    qtbot.addWidget(c.dashboard)
    qtbot.addWidget(c.compact)
    return c


def fast(c):
    """Sample every 50 ms instead of every second."""
    from dataclasses import replace

    c.effective = replace(c.effective, settings=replace(c.effective.settings, sample_every_s=0.2))


def test_start_records_a_session_with_bookmarks_and_stop_ends_it(qtbot, isolated):  # noqa: F811
    c = controller(qtbot, isolated)
    fast(c)
    c.show_dashboard()
    assert c.state == "idle" and c.dashboard.hint.isVisible()
    c.start()
    qtbot.waitUntil(lambda: c.state == "running" and len(c.buffer) >= 2, timeout=5000)
    assert c.dashboard.status.text == "Analysing"
    qtbot.waitUntil(lambda: c.dashboard.gauge.state == "value", timeout=3000)
    assert c.dashboard.gauge.text == "+0.30"
    assert c.add_bookmark(c.buffer.latest_wall, "New topic")
    assert c.dashboard.timeline.bookmarks[-1][1] == "New topic"
    c.pause()
    qtbot.waitUntil(lambda: c.state == "paused", timeout=3000)
    assert c.dashboard.start_button.text() == "Resume"
    c.toggle()
    qtbot.waitUntil(lambda: c.state == "running", timeout=3000)
    name = c.recorder.name
    c.stop()
    assert c.state == "stopped" and c.handle is None
    with SessionStore(isolated / "sessions.sqlite") as store:
        data = store.load(name)
    assert data.info.status is SessionStatus.ENDED
    assert len(data.samples) >= 2 and data.samples[0].sample.mood_index == pytest.approx(0.3)
    assert [b.text for b in data.bookmarks] == ["New topic"]
    assert data.info.settings["emotions"] is True and data.info.source == "test source"
    c.shutdown()


def test_bookmark_popup_keeps_the_moment_of_the_press(qtbot, isolated):  # noqa: F811
    from PySide6.QtCore import Qt

    c = controller(qtbot, isolated)
    fast(c)
    c.show_dashboard()
    c.ask_bookmark()  # not analysing: nothing to bookmark into
    assert not c.bookmarks and not hasattr(c, "_popup")
    c.start()
    qtbot.waitUntil(lambda: len(c.buffer) >= 1, timeout=5000)
    pressed = time.time()
    c.ask_bookmark()
    popup = c._popup
    assert abs(popup.wall_time - pressed) < 0.5
    qtbot.wait(300)  # the teacher types for a while ...
    popup.edit.setText("Asked a question")
    qtbot.keyClick(popup.edit, Qt.Key.Key_Return)
    assert c.bookmarks == [(popup.wall_time, "Asked a question")]  # ... the mark stays where the press was
    c.ask_bookmark()
    qtbot.keyClick(c._popup, Qt.Key.Key_Escape)
    assert len(c.bookmarks) == 1  # Esc cancels
    c.ask_bookmark()
    c._popup.save("New topic")  # a preset button
    name = c.recorder.name
    c.stop()
    with SessionStore(isolated / "sessions.sqlite") as store:
        assert [b.text for b in store.load(name).bookmarks] == ["Asked a question", "New topic"]
    c.shutdown()


def test_a_capture_fault_pauses_with_a_message_and_resumes_keeping_the_session(qtbot, isolated):  # noqa: F811
    broken = threading.Event()
    c = controller(qtbot, isolated, source=FakeSource(fail_always=broken))
    fast(c)
    c.show_dashboard()
    c.start()
    qtbot.waitUntil(lambda: len(c.buffer) >= 2, timeout=5000)
    name = c.recorder.name
    broken.set()  # the monitor is unplugged
    qtbot.waitUntil(lambda: c.state == "fault", timeout=3000)
    assert c.dashboard.banner.isVisible() and "off-screen" in c.dashboard.banner.text()
    assert c.compact.status.state == "fault"
    from classwatch.ui.tray import TRAY_STATE

    assert TRAY_STATE[c.state] == "error"
    n = len(c.buffer)
    broken.clear()  # plugged back in
    qtbot.waitUntil(lambda: c.state == "running" and len(c.buffer) > n, timeout=3000)
    assert not c.dashboard.banner.isVisible()
    assert c.recorder.name == name  # same session throughout
    c.stop()
    with SessionStore(isolated / "sessions.sqlite") as store:
        assert len(store.load(name).samples) > n - 1
    c.shutdown()


def test_starting_without_a_region_asks_for_one_and_remembers_it(qtbot, isolated):  # noqa: F811
    from PySide6.QtCore import QObject, Signal

    from classwatch.ui.app import Controller

    class FakePicker(QObject):
        picked = Signal(object)
        cancelled = Signal()

        def __init__(self):
            super().__init__()
            self.opened = []

        def open(self, last=None, exclude=()):
            self.opened.append(last)

        def cancel(self):
            pass

    picker = FakePicker()
    c = Controller(load_effective(), isolated / "s.sqlite", use_tray=False, picker=picker, retry_s=0.1)
    qtbot.addWidget(c.dashboard)
    c.start()
    assert picker.opened == [None] and c.state == "idle"
    picker.cancelled.emit()
    assert c.state == "idle"
    c.start()
    # Monitor 9 is not connected anywhere: the real screen source reports it as a fault.
    picker.picked.emit(Region(9, 0, 0, 640, 360))
    assert load_effective().settings.region == Region(9, 0, 0, 640, 360)  # persisted
    qtbot.waitUntil(lambda: c.state == "fault", timeout=5000)
    # "monitor 9 is not connected", or with no display at all "screen capture failed: ...".
    assert "monitor 9 is not connected" in c.message or "screen capture failed" in c.message
    assert "screen 9" in c.dashboard.source_label.text()
    c.stop()
    c.start()  # the region is remembered: no question this time
    assert picker.opened == [None, None]
    c.stop()
    c.shutdown()


def test_presence_only_policy_shows_presence_numbers(qtbot, isolated, monkeypatch):  # noqa: F811
    policy = isolated / "policy.json"
    policy.write_text(json.dumps({"emotions": False, "reason": "Not allowed here."}))
    monkeypatch.setenv("CLASSWATCH_POLICY", str(policy))
    c = controller(qtbot, isolated, pipeline=FakePipeline(mood=None, faces=7))
    fast(c)
    c.show_dashboard()
    assert c.dashboard.presence_only and not c.dashboard.mood_card.isVisible()
    c.start()
    qtbot.waitUntil(lambda: len(c.buffer) >= 1, timeout=5000)
    qtbot.waitUntil(lambda: c.dashboard.presence.faces.value.text() == "7", timeout=3000)
    name = c.recorder.name
    c.stop()
    with SessionStore(isolated / "sessions.sqlite") as store:
        assert store.load(name).info.settings["emotions"] is False
    c.shutdown()


def test_session_browser_opens_a_past_session_and_exports_allowed_formats(qtbot, isolated, monkeypatch):  # noqa: F811
    from session_samples import build

    from classwatch.ui.session_browser import SessionBrowser

    db = isolated / "sessions.sqlite"
    with SessionStore(db) as store:
        store.import_session(build("maths", seconds=300, bookmarks={60: "New topic", 200: "Asked a question"}))
    policy = isolated / "policy.json"
    policy.write_text(json.dumps({"export_formats": ["csv", "pdf"], "reason": "Per-face numbers stay at school."}))
    monkeypatch.setenv("CLASSWATCH_POLICY", str(policy))
    b = SessionBrowser(db, load_effective())
    qtbot.addWidget(b)
    assert b.list.count() == 1 and b.data is not None and b.data.info.name == "maths"
    assert b.title.text() == "maths"
    assert [t for _, t in b.timeline.bookmarks] == ["New topic", "Asked a question"]
    assert len(b.timeline.series) == 300 and not b.timeline.live
    assert b.bookmark_list.count() == 3  # Start, New topic, Asked a question
    assert b.export_buttons["csv"].isEnabled() and not b.export_buttons["json"].isEnabled()
    assert "stay at school" in b.export_buttons["json"].toolTip()
    assert b.export("csv", isolated / "maths.csv")
    assert (isolated / "maths.csv").read_text(encoding="utf-8-sig").startswith("time,kind")
    assert not b.export("json", isolated / "maths.json")
    assert not (isolated / "maths.json").exists() and "not allowed" in b.message.text()


def test_window_state_is_remembered_apart_from_the_settings(qtbot, isolated):  # noqa: F811
    c = controller(qtbot, isolated)
    c.dashboard.timeline.set_window(900.0)
    c.show_compact()
    pos = c.compact.pos()
    c.shutdown()
    assert (isolated / "config" / "window-state.ini").is_file()
    assert not (isolated / "config" / "settings.json").exists()  # window state is not a setting
    c2 = controller(qtbot, isolated)
    assert c2.dashboard.timeline.window_s == 900.0
    assert c2.compact.pos() == pos
    c2.shutdown()


def test_session_browser_without_a_database(qtbot, isolated):  # noqa: F811
    from classwatch.ui.session_browser import SessionBrowser

    b = SessionBrowser(isolated / "none.sqlite", load_effective())
    qtbot.addWidget(b)
    assert b.list.count() == 0 and "No sessions recorded yet" in b.subtitle.text()
    assert not (isolated / "none.sqlite").exists()


def test_app_demo_screenshot_quit_after_writes_a_png(tmp_path):
    """The real thing, in a subprocess: real pipeline on the demo video, offscreen, screenshot, exit."""
    out = tmp_path / "dashboard.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CLASSWATCH_CONFIG_DIR=str(tmp_path / "cfg"),
               CLASSWATCH_DATA_DIR=str(tmp_path / "data"))
    env.pop("CLASSWATCH_POLICY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "classwatch", "app", "--demo", str(DEMO_VIDEO),
         "--screenshot", str(out), "--quit-after", "3"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 700 and image.height() >= 600
    # Never a crash (without an expression model yet, it pauses with a message).
    assert "Traceback" not in proc.stderr
    # A demo is not recorded unless asked (--record): the user's session list stays theirs.
    assert not (tmp_path / "data" / "sessions.sqlite").exists()


def test_app_startup_probe_records_when_the_window_is_up(tmp_path):
    """``--startup-probe`` (benchmarks/launch_time.py), the real app in a subprocess: offscreen has
    no system tray, so the probe is written when the window first paints, while the app runs."""
    probe = tmp_path / "probe.txt"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CLASSWATCH_CONFIG_DIR=str(tmp_path / "cfg"),
               CLASSWATCH_DATA_DIR=str(tmp_path / "data"))
    env.pop("CLASSWATCH_POLICY", None)
    launched = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "classwatch", "app", "--startup-probe", str(probe), "--quit-after", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    exited = time.time()
    assert proc.returncode == 0, proc.stderr
    stamp, kind = probe.read_text(encoding="ascii").split()
    assert kind == "window"
    # After the launch and well before the exit a --quit-after second later: written at start-up.
    assert launched < float(stamp) < exited - 0.5


def test_startup_probe_with_a_tray_icon_fires_once_the_event_loop_runs(qtbot, isolated):  # noqa: F811
    from classwatch.ui.app import arm_startup_probe
    from classwatch.ui.tray import AppTray

    c = controller(qtbot, isolated)
    c.tray = AppTray(c)  # offscreen has no system tray: show the icon regardless
    c.show_dashboard()
    probe = isolated / "probe.txt"
    armed = time.time()
    arm_startup_probe(c, probe)
    assert not probe.exists()  # not before the event loop turns
    qtbot.waitUntil(probe.exists, timeout=3000)
    stamp, kind = probe.read_text(encoding="ascii").split()
    assert kind == "tray" and armed <= float(stamp) <= time.time()
    c.shutdown()


def test_app_demo_with_a_missing_file_fails_with_one_line(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CLASSWATCH_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.run(
        [sys.executable, "-m", "classwatch", "app", "--demo", str(tmp_path / "nope.mp4"),
         "--screenshot", str(tmp_path / "x.png")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("classwatch: error:") and "nope.mp4" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_demo_is_not_recorded_unless_asked(qtbot, isolated):  # noqa: F811
    c = controller(qtbot, isolated, demo=DEMO_VIDEO, record=False)
    fast(c)
    c.show_dashboard()
    assert "not recorded" in c.dashboard.source_label.text()
    c.start()
    qtbot.waitUntil(lambda: c.state == "running" and len(c.buffer) >= 2, timeout=5000)
    assert c.recorder is None
    assert c.add_bookmark(c.buffer.latest_wall, "Try me")  # still marked on the live timeline
    assert c.dashboard.timeline.bookmarks[-1][1] == "Try me"
    c.stop()
    assert not (isolated / "sessions.sqlite").exists()
    c.shutdown()

    recorded = controller(qtbot, isolated, demo=DEMO_VIDEO, record=True)
    fast(recorded)
    recorded.start()
    qtbot.waitUntil(lambda: recorded.recorder is not None and recorded.recorder.name is not None, timeout=5000)
    recorded.stop()
    with SessionStore(isolated / "sessions.sqlite") as store:
        assert len(store.list_sessions()) == 1
    recorded.shutdown()


def test_app_command_passes_record_only_with_demo(monkeypatch, tmp_path, capsys):
    from classwatch.cli import app as app_command
    from classwatch.ui import app

    calls = []
    monkeypatch.setattr(app, "run_app", lambda **kwargs: calls.append(kwargs) or 0)
    assert app_command.main(["--demo", str(DEMO_VIDEO)]) == 0
    assert app_command.main(["--demo", str(DEMO_VIDEO), "--record"]) == 0
    assert [call["record"] for call in calls] == [False, True]
    assert app_command.main(["--record"]) == 2
    assert "--record goes with --demo" in capsys.readouterr().err


def test_the_app_and_a_plain_run_record_the_same_metadata(qtbot, isolated):  # noqa: F811
    """One recorder: a session from the app and one from ``runtime.run`` as ``analyze --record`` runs it
    carry the same settings keys (the full pipeline configuration and the sampling rate)."""
    from dataclasses import replace

    from classwatch.runtime import Recorder, SessionSpec, run
    from classwatch.session import TimeBase
    from classwatch.sources import open_source

    c = controller(qtbot, isolated)
    fast(c)
    c.start()
    qtbot.waitUntil(lambda: c.recorder is not None and c.recorder.name is not None, timeout=5000)
    app_name = c.recorder.name
    c.stop()
    c.shutdown()

    effective = load_effective()
    config = replace(effective.pipeline_config(), min_faces=2)  # as the CLI's flags change it
    spec = SessionSpec(str(DEMO_VIDEO), config, 0.5, TimeBase.MEDIA, keep_tracks=False, name="from-the-cli")
    recorder = Recorder(isolated / "sessions.sqlite", spec, started_at=time.time())
    for _ in run(lambda: open_source(DEMO_VIDEO, 0.5), FakePipeline, 0.5, retry_s=None, recorder=recorder,
                 origin=recorder.started_at):
        pass
    recorder.close()

    with SessionStore(isolated / "sessions.sqlite") as store:
        app, cli = store.get(app_name), store.get("from-the-cli")
    assert set(app.settings) == set(cli.settings)
    assert {"every_s", "detector", "model", "emotions", "attention", "min_faces", "smoothing_s", "redetect_s",
            "find_grid", "num_threads", "facing_yaw_deg", "facing_pitch_deg"} <= set(app.settings)
    assert app.settings["every_s"] == 0.2 and cli.settings["every_s"] == 0.5 and cli.settings["min_faces"] == 2
    assert (app.detector, app.time_base, cli.time_base) == (cli.detector, TimeBase.WALL, TimeBase.MEDIA)
    assert app.source and cli.source
