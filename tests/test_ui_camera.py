"""The app with attention switched off, and with the classroom camera as its source (fake cameras, no hardware)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QObject, Signal  # noqa: E402

from test_ui_fakes import FakePipeline, isolated  # noqa: E402,F401

from classwatch import sources  # noqa: E402
from classwatch.errors import CaptureError, InputError  # noqa: E402
from classwatch.policy import apply_user_change, load_effective  # noqa: E402
from classwatch.session import SessionStore  # noqa: E402
from classwatch.settings import save_user_settings  # noqa: E402
from classwatch.types import Frame  # noqa: E402

REASON = "Cameras may not film classrooms here."


class FakeCamera:
    """Stands in for sources.CameraSource: a flat picture, CaptureError while ``unplugged`` is set."""

    opened: list[int] = []
    closed = 0
    unplugged = threading.Event()

    def __init__(self, index: int, every: float = 1.0, *args, **kwargs) -> None:
        FakeCamera.opened.append(index)
        self.index = index

    def grab(self, t: float = 0.0, index: int = 0) -> Frame:
        if FakeCamera.unplugged.is_set():
            raise CaptureError(f"camera {self.index} stopped sending pictures (unplugged?)")
        image = np.full((90, 160, 3), 80, np.uint8)
        image[20:60, 40:120] = (40, 160, 230)
        return Frame(image, t, index)

    def close(self) -> None:
        FakeCamera.closed += 1


@pytest.fixture
def camera(monkeypatch, isolated):  # noqa: F811
    """Fake cameras 0 and 2; ``listed`` counts how often the cameras were looked for."""
    FakeCamera.opened, FakeCamera.closed = [], 0
    FakeCamera.unplugged.clear()
    listed = []

    def list_cameras(*args, **kwargs):
        listed.append(1)
        return [sources.CameraInfo(0, "Built-in", 1280, 720), sources.CameraInfo(2, "USB Camera", 1920, 1080)]

    monkeypatch.setattr(sources, "CameraSource", FakeCamera)
    monkeypatch.setattr(sources, "list_cameras", list_cameras)
    return listed


def save(**changes) -> None:
    save_user_settings(apply_user_change(load_effective(), **changes))


def make_controller(qtbot, tmp_path, pipeline=None, **kwargs):
    from classwatch.ui.app import Controller

    c = Controller(load_effective(), tmp_path / "sessions.sqlite", use_tray=False,
                   pipeline_factory=lambda: pipeline or FakePipeline(), retry_s=0.1, display_ms=50, **kwargs)
    qtbot.addWidget(c.dashboard)
    qtbot.addWidget(c.compact)
    return c


def recorded_info(tmp_path, name):
    with SessionStore(tmp_path / "sessions.sqlite") as store:
        return store.load(name)


# --- attention -------------------------------------------------------------------------------


def test_attention_off_hides_it_and_is_recorded_and_the_settings_switch_it_back(qtbot, isolated):  # noqa: F811
    save(attention=False)
    c = make_controller(qtbot, isolated, source_factory=lambda: FakeCamera(0))
    c.show_dashboard()
    assert c.dashboard.attention_card.isHidden() and c.compact.attention.isHidden()
    assert c.effective.pipeline_config().attention is False  # no head pose read
    c.start()
    qtbot.waitUntil(lambda: len(c.buffer) >= 1 and c.recorder.name is not None, timeout=5000)
    name = c.recorder.name
    c.stop()
    settings = recorded_info(isolated, name).info.settings
    assert settings["attention"] is False and "facing_yaw_deg" not in settings

    save(attention=True, facing_yaw_deg=25.0)
    c._settings_saved(None)  # what the settings dialog's Save does
    assert not c.dashboard.attention_card.isHidden() and not c.compact.attention.isHidden()
    assert c.effective.pipeline_config().facing_yaw_deg == 25.0
    c.start()
    qtbot.waitUntil(lambda: c.recorder is not None and c.recorder.name not in (None, name), timeout=5000)
    second = c.recorder.name
    c.stop()
    settings = recorded_info(isolated, second).info.settings
    assert settings["attention"] is True and settings["facing_yaw_deg"] == 25.0
    c.shutdown()


# --- the settings dialog ---------------------------------------------------------------------


def test_settings_dialog_round_trips_the_camera_source_with_a_still(qtbot, camera):
    from classwatch.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(load_effective())
    qtbot.addWidget(dialog)
    f = dialog.fields
    picker = f["camera_index"]
    assert f["source"].currentData() == "screen"
    assert not picker.isEnabled() and not f["class_size"].isEnabled()
    assert camera == []  # the cameras are not opened (lights on) while the screen is the source
    f["source"].setCurrentIndex(f["source"].findData("camera"))
    assert picker.isEnabled() and f["class_size"].isEnabled()
    qtbot.waitUntil(lambda: picker.loaded and picker.preview.pixmap() is not None
                    and not picker.preview.pixmap().isNull(), timeout=3000)
    assert [picker.combo.itemData(i) for i in range(picker.combo.count())] == [0, 2]
    assert "USB Camera" in picker.combo.itemText(1)
    picker.combo.setCurrentIndex(1)
    picker.combo.activated.emit(1)
    qtbot.waitUntil(lambda: FakeCamera.opened[-1:] == [2], timeout=3000)
    picker.refresh_button.click()
    qtbot.waitUntil(lambda: len(camera) == 2 and not picker.busy, timeout=3000)
    assert picker.index() == 2  # Refresh keeps the choice
    f["class_size"].setValue(28)
    dialog.accept()

    s = load_effective().settings
    assert (s.source, s.camera_index, s.class_size) == ("camera", 2, 28)
    again = SettingsDialog(load_effective(), save=lambda s: None)
    qtbot.addWidget(again)
    assert again.fields["source"].currentData() == "camera"
    assert again.fields["camera_index"].index() == 2 and again.fields["class_size"].value() == 28


def test_a_remembered_camera_that_is_not_found_now_stays_chosen(qtbot, camera):
    from classwatch.ui.settings_dialog import SettingsDialog

    save(source="camera", camera_index=5)
    dialog = SettingsDialog(load_effective(), save=lambda s: None)
    qtbot.addWidget(dialog)
    picker = dialog.fields["camera_index"]
    qtbot.waitUntil(lambda: picker.loaded, timeout=3000)
    assert picker.index() == 5 and "not found now" in picker.combo.currentText()
    qtbot.waitUntil(lambda: FakeCamera.opened[-1:] == [5], timeout=3000)
    assert dialog.values()["camera_index"] == 5


def test_the_camera_choice_is_disabled_with_the_reason_when_the_policy_forbids_it(qtbot, isolated, camera, monkeypatch):  # noqa: F811
    from classwatch.ui.settings_dialog import SettingsDialog

    path = isolated / "policy.json"
    path.write_text(json.dumps({"reason": REASON, "camera": False}))
    monkeypatch.setenv("CLASSWATCH_POLICY", str(path))
    eff = load_effective()
    assert eff.is_locked("source") and eff.settings.source == "screen"
    dialog = SettingsDialog(eff, save=lambda s: None)
    qtbot.addWidget(dialog)
    f = dialog.fields
    assert not f["source"].isEnabled() and f["source"].toolTip() == REASON
    assert dialog.locks["source"].toolTip() == REASON
    assert f["source"].currentData() == "screen"
    assert not f["source"].model().item(1).isEnabled()
    assert not f["camera_index"].isEnabled() and not f["class_size"].isEnabled()
    assert "source" not in dialog.values()
    assert camera == []  # never looked for


# --- the camera as the app's source ----------------------------------------------------------


class NoPicker(QObject):
    """A region picker that counts how often the app asked for a region."""

    picked = Signal(object)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.opened = 0

    def open(self, last=None, exclude=()) -> None:
        self.opened += 1

    def cancel(self) -> None:
        pass


def test_start_with_the_camera_skips_the_region_and_applies_room_coverage(qtbot, isolated, camera):  # noqa: F811
    save(source="camera", camera_index=2, class_size=12)
    picker = NoPicker()
    c = make_controller(qtbot, isolated, pipeline=FakePipeline(faces=6), picker=picker)
    c.show_dashboard()
    assert c.dashboard.source_label.text() == "camera 2 \u00b7 class of 12"
    c.start()
    qtbot.waitUntil(lambda: c.state == "running" and len(c.buffer) >= 2, timeout=5000)
    assert picker.opened == 0 and FakeCamera.opened == [2]
    assert c.buffer.latest.coverage == pytest.approx(6 / 12)  # faces found / class size, not the gallery's tiles
    name = c.recorder.name
    c.stop()
    assert FakeCamera.closed == 1  # let go of at the end of the run
    data = recorded_info(isolated, name)
    assert data.info.source == "camera 2" and data.info.settings["class_size"] == 12
    assert all(s.sample.coverage == pytest.approx(0.5) for s in data.samples)
    c.shutdown()


def test_an_unplugged_camera_pauses_with_a_clear_message_and_reconnects(qtbot, isolated, camera):  # noqa: F811
    save(source="camera", camera_index=0)
    c = make_controller(qtbot, isolated)
    c.show_dashboard()
    c.start()
    qtbot.waitUntil(lambda: len(c.buffer) >= 1, timeout=5000)
    name = c.recorder.name
    FakeCamera.unplugged.set()
    qtbot.waitUntil(lambda: c.state == "fault", timeout=3000)
    assert c.message == "Camera 0 stopped sending pictures: reconnecting\u2026"
    assert c.dashboard.banner.isVisible() and "Camera 0 stopped sending pictures" in c.dashboard.banner.text()
    assert c.compact.detail.text() == c.message
    n = len(c.buffer)
    FakeCamera.unplugged.clear()
    qtbot.waitUntil(lambda: c.state == "running" and len(c.buffer) > n, timeout=3000)
    assert len(FakeCamera.opened) >= 2 and FakeCamera.closed >= 1  # reopened after the old one was let go of
    assert c.recorder.name == name  # the same session throughout
    c.stop()
    c.shutdown()


def test_a_camera_that_cannot_be_opened_says_it_keeps_trying(monkeypatch):
    from classwatch.ui.app_source import AppCamera

    def refuse(index, every=1.0):
        raise InputError(f"cannot open camera {index}: not connected, or in use by another program")

    monkeypatch.setattr(sources, "CameraSource", refuse)
    with pytest.raises(InputError, match=r"^Cannot open camera 3: not connected, or in use by another program\. Trying again"):
        AppCamera(3)


def test_the_controller_tells_the_views_whether_a_gallery_or_a_room_is_read(qtbot, isolated, camera):  # noqa: F811
    c = make_controller(qtbot, isolated)
    assert c.dashboard.source_kind == c.compact.source_kind == "screen"
    assert "video-call gallery" in c.dashboard.gauge.detail
    save(source="camera", camera_index=2, class_size=25)
    c._settings_saved(None)  # what the settings dialog's Save does
    assert c.dashboard.source_kind == c.compact.source_kind == "camera"
    assert c.compact.class_size == 25 and c.dashboard.trust.class_size == 25
    assert c.dashboard.gauge.detail == "Press Start to read the classroom camera."
    assert c.dashboard.trust.tiles.label.text() == "expected" and c.dashboard.attention.caption.text() == "facing the front"
    save(source="screen")
    c._settings_saved(None)
    assert c.dashboard.source_kind == "screen" and c.dashboard.trust.tiles.label.text() == "tiles"
    c.shutdown()
