"""Settings dialog: policy-locked settings are shown disabled with the reason; changes persist. Start on login."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from test_ui_fakes import isolated  # noqa: E402,F401  (fixture)

from classwatch.policy import load_effective  # noqa: E402
from classwatch.ui import autostart  # noqa: E402

REASON = "Emotion recognition is not allowed in our schools (EU AI Act Art. 5)."


@pytest.fixture
def policy(isolated, monkeypatch):  # noqa: F811
    path = isolated / "policy.json"
    path.write_text(json.dumps({
        "reason": REASON,
        "emotions": False,
        "min_faces": 5,
        "detector": {"value": "haar", "locked": False},
    }))
    monkeypatch.setenv("CLASSWATCH_POLICY", str(path))
    return path


def test_locked_settings_are_disabled_with_the_reason(qtbot, policy):
    from classwatch.ui.settings_dialog import SettingsDialog

    eff = load_effective()
    assert eff.locked == {"emotions", "min_faces"}
    dialog = SettingsDialog(eff, save=lambda s: None)
    qtbot.addWidget(dialog)
    for name in ("emotions", "min_faces"):
        assert not dialog.fields[name].isEnabled(), name
        assert dialog.locks[name].toolTip() == REASON
        assert dialog.fields[name].toolTip() == REASON
    for name in ("sample_every_s", "detector", "smoothing_s", "start_on_login"):
        assert dialog.fields[name].isEnabled(), name
        assert name not in dialog.locks
    assert dialog.banner.isVisible() or not dialog.isVisible()
    assert REASON in dialog.banner.text()
    # Values in force are shown, the locked ones too.
    assert dialog.fields["emotions"].isChecked() is False
    assert dialog.fields["min_faces"].value() == 5
    assert dialog.fields["detector"].currentData() == "haar"
    # Locked settings are never sent as changes.
    assert "emotions" not in dialog.values() and "min_faces" not in dialog.values()


def test_saving_persists_the_teachers_changes_only(qtbot, policy):
    from classwatch.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(load_effective())
    qtbot.addWidget(dialog)
    saved = []
    dialog.saved.connect(saved.append)
    dialog.fields["smoothing_s"].setValue(5.0)
    dialog.fields["sample_every_s"].setValue(2.0)
    dialog.accept()
    assert saved and dialog.result() == dialog.DialogCode.Accepted
    eff = load_effective()
    assert eff.settings.smoothing_s == 5.0 and eff.origin["smoothing_s"] == "user"
    assert eff.settings.sample_every_s == 2.0
    assert eff.settings.emotions is False and eff.origin["emotions"] == "policy"
    # An untouched setting keeps following the admin's recommendation.
    assert eff.origin["detector"] == "policy"


def test_a_broken_policy_is_shown_and_everything_it_could_set_is_locked(qtbot, isolated, monkeypatch):  # noqa: F811
    from classwatch.ui.settings_dialog import SettingsDialog

    bad = isolated / "policy.json"
    bad.write_text('{"emotion": false}')
    monkeypatch.setenv("CLASSWATCH_POLICY", str(bad))
    eff = load_effective()
    dialog = SettingsDialog(eff, save=lambda s: None)
    qtbot.addWidget(dialog)
    assert "cannot be used" in dialog.banner.text()
    assert not dialog.fields["emotions"].isEnabled() and not dialog.fields["detector"].isEnabled()
    assert dialog.fields["smoothing_s"].isEnabled()  # the teacher's own setting stays editable


def test_a_save_error_is_shown_in_the_dialog(qtbot, isolated):  # noqa: F811
    from classwatch.errors import SettingsError
    from classwatch.ui.settings_dialog import SettingsDialog

    def fail(settings):
        raise SettingsError("cannot save the settings to /read-only/settings.json: Permission denied")

    dialog = SettingsDialog(load_effective(), save=fail)
    qtbot.addWidget(dialog)
    dialog.fields["smoothing_s"].setValue(4.0)
    dialog.accept()
    assert "Permission denied" in dialog.error.text()
    assert dialog.result() != dialog.DialogCode.Accepted


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_start_on_login_entry(tmp_path, platform):
    env = {"HOME": str(tmp_path)}
    command = ["/opt/classwatch/bin/python", "-m", "classwatch", "app"]
    assert not autostart.is_enabled(platform, env)
    autostart.set_autostart(True, command, platform, env)
    path = autostart.entry_path(platform, env)
    assert path.is_file() and autostart.is_enabled(platform, env)
    text = path.read_text()
    assert "/opt/classwatch/bin/python" in text and "app" in text
    if platform == "darwin":
        assert path.name == "org.classwatch.app.plist" and "<key>RunAtLoad</key>" in text
    else:
        assert path.parent.name == "autostart" and text.startswith("[Desktop Entry]")
    autostart.set_autostart(False, command, platform, env)
    assert not path.exists()


def test_attention_and_its_facing_limits_round_trip(qtbot, isolated):  # noqa: F811
    from classwatch.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(load_effective())
    qtbot.addWidget(dialog)
    f = dialog.fields
    assert f["attention"].isChecked() and f["attention"].isEnabled()
    assert "Attention (head orientation)" in f["attention"].text()
    f["facing_yaw_deg"].setValue(25.0)
    f["facing_pitch_deg"].setValue(15.0)
    f["attention"].setChecked(False)
    assert not f["facing_yaw_deg"].isEnabled()  # the limits mean nothing with attention off
    dialog.accept()
    s = load_effective().settings
    assert (s.attention, s.facing_yaw_deg, s.facing_pitch_deg) == (False, 25.0, 15.0)
    again = SettingsDialog(load_effective(), save=lambda s: None)
    qtbot.addWidget(again)
    assert not again.fields["attention"].isChecked() and again.fields["facing_yaw_deg"].value() == 25.0
    again.fields["attention"].setChecked(True)
    assert again.fields["facing_yaw_deg"].isEnabled()


def test_attention_locked_by_the_policy_is_disabled_with_the_reason(qtbot, isolated, monkeypatch):  # noqa: F811
    from classwatch.ui.settings_dialog import SettingsDialog

    path = isolated / "policy.json"
    path.write_text(json.dumps({"reason": REASON, "attention": False}))
    monkeypatch.setenv("CLASSWATCH_POLICY", str(path))
    eff = load_effective()
    assert "attention" in eff.locked
    dialog = SettingsDialog(eff, save=lambda s: None)
    qtbot.addWidget(dialog)
    box = dialog.fields["attention"]
    assert not box.isEnabled() and not box.isChecked()
    assert box.toolTip() == REASON and dialog.locks["attention"].toolTip() == REASON
    assert not dialog.fields["facing_yaw_deg"].isEnabled() and not dialog.fields["facing_pitch_deg"].isEnabled()
    assert "attention" not in dialog.values()
    # Presence-only (emotions locked off) leaves attention to the teacher.
    path.write_text(json.dumps({"reason": REASON, "emotions": False}))
    dialog = SettingsDialog(load_effective(), save=lambda s: None)
    qtbot.addWidget(dialog)
    assert dialog.fields["attention"].isEnabled() and dialog.fields["attention"].isChecked()
    assert "attention" in dialog.values()
