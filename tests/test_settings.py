"""The teacher's settings: validation, the per-OS folder, and a file that never crashes the app."""

import json
import os
from dataclasses import fields
from pathlib import Path

import pytest

from classwatch import atomic
from classwatch import settings as settings_module
from classwatch.errors import SettingsError
from classwatch.settings import (
    DEFAULTS,
    SETTING_NAMES,
    SETTINGS_VERSION,
    Settings,
    config_dir,
    load_user_settings,
    save_user_settings,
    settings_path,
    validate_setting,
)
from classwatch.sources import Region


def write(path: Path, doc) -> Path:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_defaults_are_the_documented_ones():
    assert DEFAULTS == Settings(
        version=SETTINGS_VERSION, sample_every_s=1.0, detector="dnn", emotions=True, min_faces=3, smoothing_s=3.0,
        start_on_login=False, keep_tracks=False, retention_days=90, export_formats=("csv", "json", "pdf"),
        data_dir=None, region=None, source="screen", camera=True, camera_index=0, class_size=0,
    )
    # Every field but the bookkeeping ones is a setting with a checker.
    assert SETTING_NAMES == tuple(f.name for f in fields(Settings) if f.name not in ("version", "explicit"))


@pytest.mark.parametrize("name, value", [
    ("sample_every_s", 0.1), ("sample_every_s", 61), ("sample_every_s", True), ("sample_every_s", "1"),
    ("detector", "yolo"), ("emotions", 1), ("emotions", "false"),
    ("min_faces", 2), ("min_faces", 3.0), ("min_faces", 101),
    ("smoothing_s", -1), ("retention_days", -1), ("retention_days", 3651), ("retention_days", 30.5),
    ("export_formats", "csv"), ("export_formats", ["csv", "xml"]),
    ("data_dir", "relative/folder"), ("data_dir", ""), ("data_dir", 5),
    ("region", {"monitor": 0, "x": 0, "y": 0, "width": 10, "height": 10}),
    ("region", {"monitor": 1, "x": 0, "y": 0, "width": 10}),
    ("region", [1, 0, 0, 10, 10]),
    ("attention", 0), ("attention", "true"),
    ("facing_yaw_deg", 0), ("facing_yaw_deg", -10), ("facing_yaw_deg", 90.5), ("facing_yaw_deg", True),
    ("facing_pitch_deg", 0.0), ("facing_pitch_deg", 180), ("facing_pitch_deg", "30"),
    ("source", "webcam"), ("source", None), ("camera", "no"), ("camera_index", -1), ("camera_index", 1.0),
    ("camera_index", 100), ("class_size", -1), ("class_size", 501), ("class_size", True),
])
def test_out_of_range_values_are_refused_naming_the_setting(name, value):
    with pytest.raises(SettingsError, match=f"^{name}: "):
        validate_setting(name, value)
    with pytest.raises(SettingsError):
        Settings(**{name: value})


def test_attention_defaults_and_facing_limits():
    from classwatch.head_pose import FACING_PITCH, FACING_YAW

    assert DEFAULTS.attention is True
    assert (DEFAULTS.facing_yaw_deg, DEFAULTS.facing_pitch_deg) == (FACING_YAW, FACING_PITCH)
    # Above 0 and at most 90 degrees: 90 lets any pose count as facing the camera.
    assert validate_setting("facing_yaw_deg", 90) == 90.0 and validate_setting("facing_pitch_deg", 0.5) == 0.5
    with pytest.raises(SettingsError, match="above 0 and at most 90"):
        validate_setting("facing_yaw_deg", 0)


def test_values_are_normalised():
    s = Settings(sample_every_s=2, export_formats=["pdf", "csv", "pdf"],
                 region={"monitor": 1, "x": 10, "y": 20, "width": 640, "height": 360})
    assert s.sample_every_s == 2.0 and isinstance(s.sample_every_s, float)
    assert s.export_formats == ("csv", "pdf")
    assert s.region == Region(1, 10, 20, 640, 360)
    assert validate_setting("data_dir", "~/classwatch") == "~/classwatch"  # expanded when used, per user
    assert Settings(export_formats=[]).export_formats == ()
    with pytest.raises(SettingsError, match="unknown setting"):
        validate_setting("colour", 1)


# --- where the file lives


@pytest.mark.parametrize("platform, env, expected", [
    ("linux", {"HOME": "/home/t"}, "/home/t/.config/classwatch"),
    ("linux", {"HOME": "/home/t", "XDG_CONFIG_HOME": "/cfg"}, "/cfg/classwatch"),
    ("linux", {"HOME": "/home/t", "XDG_CONFIG_HOME": "rel"}, "/home/t/.config/classwatch"),  # relative: ignored
    ("darwin", {"HOME": "/Users/t"}, "/Users/t/Library/Application Support/classwatch"),
    ("win32", {"APPDATA": "C:/Users/t/AppData/Roaming"}, "C:/Users/t/AppData/Roaming/classwatch"),
    ("win32", {"USERPROFILE": "C:/Users/t"}, "C:/Users/t/AppData/Roaming/classwatch"),
    ("win32", {"APPDATA": "C:/x", "CLASSWATCH_CONFIG_DIR": "/portable"}, "/portable"),
    ("linux", {"HOME": "/home/t", "CLASSWATCH_CONFIG_DIR": "/portable"}, "/portable"),
])
def test_config_dir_per_os(platform, env, expected):
    assert config_dir(env, platform) == Path(expected)
    assert settings_path(env, platform) == Path(expected) / "settings.json"


# --- reading and writing


def test_round_trip(tmp_path):
    path = tmp_path / "new" / "settings.json"  # the folder is created on first save
    mine = Settings(sample_every_s=2.5, detector="haar", emotions=False, min_faces=5, smoothing_s=0.0,
                    start_on_login=True, keep_tracks=True, retention_days=0, export_formats=("pdf",),
                    data_dir=str(tmp_path / "data"), region=Region(2, 0, 0, 1920, 1080))
    save_user_settings(mine, path)
    loaded, warning = load_user_settings(path)
    assert warning is None
    assert loaded == mine
    assert loaded.explicit == frozenset(SETTING_NAMES)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == SETTINGS_VERSION
    assert doc["region"] == {"monitor": 2, "x": 0, "y": 0, "width": 1920, "height": 1080}
    assert os.listdir(path.parent) == ["settings.json"]  # no temporary file left behind


def test_only_the_teachers_choices_are_saved(tmp_path):
    path = write(tmp_path / "settings.json", {"version": 1, "min_faces": 4})
    loaded, _ = load_user_settings(path)
    assert loaded.explicit == {"min_faces"}
    save_user_settings(loaded, path)
    assert json.loads(path.read_text(encoding="utf-8")) == {"version": 1, "min_faces": 4}


def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    save_user_settings(Settings(min_faces=4), path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(SettingsError, match="cannot save the settings .*No space left"):
        save_user_settings(Settings(min_faces=9), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["settings.json"]


def test_missing_file_gives_the_defaults_without_a_warning(tmp_path):
    loaded, warning = load_user_settings(tmp_path / "settings.json")
    assert (loaded, warning) == (DEFAULTS, None)
    assert loaded.explicit == frozenset()


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not valid JSON"),
    ("", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"version": "one"}', "not a version number"),
    ('{"version": 0}', "not a version number"),
])
def test_corrupt_file_gives_the_defaults_and_a_warning(tmp_path, content, reason):
    path = write(tmp_path / "settings.json", content)
    loaded, warning = load_user_settings(path)
    assert loaded == DEFAULTS
    assert str(path) in warning and reason in warning


def test_unreadable_file_gives_the_defaults_and_a_warning(tmp_path):
    path = tmp_path / "settings.json"
    path.mkdir()  # a folder where the file should be: unreadable on every OS, even as root
    loaded, warning = load_user_settings(path)
    assert loaded == DEFAULTS and "cannot read" in warning
    (tmp_path / "bad.json").write_bytes(b'{"detector": "\xff"}')
    loaded, warning = load_user_settings(tmp_path / "bad.json")
    assert loaded == DEFAULTS and "cannot read" in warning


def test_invalid_values_fall_back_one_by_one_and_unknown_keys_are_ignored(tmp_path):
    path = write(tmp_path / "settings.json", {
        "version": 1, "min_faces": 1, "detector": "haar", "retention_days": "forever", "theme": "dark",
    })
    loaded, warning = load_user_settings(path)
    assert loaded.detector == "haar"
    assert loaded.min_faces == 3 and loaded.retention_days == 90
    assert loaded.explicit == {"detector"}
    assert "min_faces" in warning and "retention_days" in warning and "theme" not in warning


def test_a_file_from_a_newer_version_is_read_as_far_as_understood(tmp_path):
    path = write(tmp_path / "settings.json", {"version": SETTINGS_VERSION + 1, "min_faces": 6, "new_thing": 1})
    loaded, warning = load_user_settings(path)
    assert (loaded.min_faces, warning) == (6, None)


def test_older_files_are_migrated(tmp_path, monkeypatch):
    # Pretend the next version renamed "every" to "sample_every_s".
    monkeypatch.setattr(settings_module, "SETTINGS_VERSION", 2)
    monkeypatch.setitem(settings_module.MIGRATIONS, 1, lambda raw: {"sample_every_s": raw.pop("every"), **raw})
    path = write(tmp_path / "settings.json", {"version": 1, "every": 5, "min_faces": 4})
    loaded, warning = load_user_settings(path)
    assert warning is None
    assert (loaded.version, loaded.sample_every_s, loaded.min_faces) == (2, 5.0, 4)


def test_the_camera_choice_is_remembered(tmp_path):
    path = tmp_path / "settings.json"
    chosen = Settings(source="camera", camera_index=2, class_size=28, explicit=frozenset({"source", "camera_index", "class_size"}))
    save_user_settings(chosen, path)
    assert json.loads(path.read_text(encoding="utf-8")) == {"version": SETTINGS_VERSION, "source": "camera",
                                                            "camera_index": 2, "class_size": 28}
    loaded, warning = load_user_settings(path)
    assert warning is None and (loaded.source, loaded.camera_index, loaded.class_size) == ("camera", 2, 28)
