"""The admin policy: parsing, precedence, locking, failing closed, and the `policy show` command."""

import argparse
import json
from pathlib import Path

import pytest

import classwatch.classify
import classwatch.litert
import classwatch.pipeline
from classwatch import policy as policy_module
from classwatch.errors import PolicyError, SettingsError
from classwatch.pipeline import Pipeline
from classwatch.policy import (
    POLICY_FIELDS,
    SAFEST,
    Policy,
    apply_user_change,
    effective_settings,
    load_effective,
    load_policy,
    parse_policy,
    system_policy_paths,
)
from classwatch.cli.policy import register
from classwatch.settings import DEFAULTS, SETTING_NAMES, Settings, load_user_settings, save_user_settings

EU_REASON = "Set by your school: emotion recognition is not permitted in EU classrooms (AI Act Art. 5(1)(f))"

POLICY_JSON = {
    "reason": EU_REASON,
    "emotions": False,
    "keep_tracks": False,
    "min_faces": 5,
    "export_formats": ["csv", "pdf"],
    "retention_days": {"value": 30, "locked": False},
    "detector": {"value": "haar"},  # a value without "locked" is locked, like a plain value
}

POLICY_TOML = f"""\
reason = "{EU_REASON}"
emotions = false
keep_tracks = false
min_faces = 5
export_formats = ["csv", "pdf"]
retention_days = {{ value = 30, locked = false }}

[detector]
value = "haar"
"""


@pytest.fixture
def machine(tmp_path):
    """An environment whose every path lies in tmp_path.

    Tests run as Windows (platform "win32") because there the system policy
    folder follows %PROGRAMDATA%, so a "system-wide" policy can live in tmp_path on any OS.
    """
    env = {
        "PROGRAMDATA": str(tmp_path / "ProgramData"),
        "CLASSWATCH_CONFIG_DIR": str(tmp_path / "config"),
        "CLASSWATCH_DATA_DIR": str(tmp_path / "data"),
    }
    system = tmp_path / "ProgramData" / "classwatch"
    system.mkdir(parents=True)
    return env, system


def write(path: Path, content) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def load(env):
    return load_policy(env, "win32")


# --- where the policy lives


@pytest.mark.parametrize("platform, env, folder", [
    ("linux", {}, "/etc/classwatch"),
    ("darwin", {}, "/Library/Application Support/classwatch"),
    ("win32", {"PROGRAMDATA": "D:/ProgramData"}, "D:/ProgramData/classwatch"),
    ("win32", {}, "C:\\ProgramData/classwatch"),
])
def test_system_policy_paths_per_os(platform, env, folder):
    assert system_policy_paths(env, platform) == (Path(folder) / "policy.json", Path(folder) / "policy.toml")


def test_no_policy(machine):
    env, _ = machine
    assert load(env) == (None, None)


# --- parsing


def check_example(policy: Policy, path: Path) -> None:
    assert policy.source == path
    assert policy.reason == EU_REASON
    assert policy.values == {"emotions": False, "keep_tracks": False, "min_faces": 5, "export_formats": ("csv", "pdf"),
                             "retention_days": 30, "detector": "haar"}
    assert policy.locked == {"emotions", "keep_tracks", "min_faces", "export_formats", "detector"}


def test_json_policy(machine):
    env, system = machine
    path = write(system / "policy.json", POLICY_JSON)
    policy, error = load(env)
    assert error is None
    check_example(policy, path)


def test_toml_policy_means_the_same(machine):
    pytest.importorskip("tomllib")
    env, system = machine
    path = write(system / "policy.toml", POLICY_TOML)
    policy, error = load(env)
    assert error is None
    check_example(policy, path)


def test_toml_without_tomllib_fails_closed(machine, monkeypatch):
    env, system = machine
    monkeypatch.setattr(policy_module, "tomllib", None)  # as on Python 3.10
    write(system / "policy.toml", POLICY_TOML)
    policy, error = load(env)
    assert policy is None and "Python 3.11" in error


def test_json_with_a_byte_order_mark(machine):
    env, system = machine
    (system / "policy.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"emotions": False}).encode())
    policy, error = load(env)
    assert error is None and policy.values == {"emotions": False}


def test_environment_variable_names_a_policy(machine, tmp_path):
    env, _ = machine
    path = write(tmp_path / "mine.json", {"keep_tracks": True})
    policy, error = load({**env, "CLASSWATCH_POLICY": str(path)})
    assert error is None and policy.source == path and policy.values == {"keep_tracks": True}


def test_the_system_policy_wins_over_the_environment_variable(machine, tmp_path):
    env, system = machine
    system_path = write(system / "policy.json", {"emotions": False})
    mine = write(tmp_path / "mine.json", {"emotions": True})
    policy, _ = load({**env, "CLASSWATCH_POLICY": str(mine)})
    assert policy.source == system_path and policy.values == {"emotions": False}


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("", "not valid JSON"),
    ("[]", "must be an object of settings"),
    ({"emotions": "no"}, "emotions: must be true or false"),
    ({"min_faces": 2}, "min_faces: must be a whole number from 3"),
    ({"sample_every_s": 0.1}, "sample_every_s: must be a number from 0.2 to 60"),
    ({"retention_days": 4000}, "retention_days: must be a whole number from 0 to 3650"),
    ({"export_formats": ["csv", "docx"]}, "export_formats: must be a list of formats"),
    ({"detector": "yolo"}, "detector: must be one of yunet, haar"),
    ({"data_dir": "data"}, "data_dir: must be an absolute folder path"),
    ({"emotion": False}, "emotion: unknown setting (did you mean 'emotions'?)"),
    ({"smoothing_s": 5}, "smoothing_s: is the teacher's own setting"),
    ({"emotions": {"value": False, "lock": True}}, 'emotions: write a plain value, or {"value": ..., "locked": false}'),
    ({"emotions": {"locked": True}}, "emotions: write a plain value"),
    ({"emotions": {"value": False, "locked": "yes"}}, "emotions.locked: must be true or false"),
    ({"reason": ""}, "reason: must be a non-empty text"),
])
def test_invalid_policies_are_reported_with_the_path(machine, content, message):
    env, system = machine
    path = write(system / "policy.json", content)
    policy, error = load(env)
    assert policy is None
    assert str(path) in error and message in error


def test_every_problem_is_reported_at_once():
    with pytest.raises(PolicyError) as info:
        parse_policy({"emotion": False, "min_faces": 1, "detector": "haar"})
    assert "emotion:" in str(info.value) and "min_faces:" in str(info.value)


def test_invalid_toml(machine):
    pytest.importorskip("tomllib")
    env, system = machine
    write(system / "policy.toml", "emotions = nope\n")
    assert "not valid TOML" in load(env)[1]


def test_two_system_policies_are_an_error(machine):
    env, system = machine
    write(system / "policy.json", "{}")
    write(system / "policy.toml", "")
    assert "two admin policies" in load(env)[1]


def test_a_missing_policy_named_by_the_variable_is_an_error(machine, tmp_path):
    env, _ = machine
    _, error = load({**env, "CLASSWATCH_POLICY": str(tmp_path / "gone.json")})
    assert "gone.json" in error and "does not exist" in error


def test_policy_objects_are_validated():
    with pytest.raises(PolicyError, match="cannot set region"):
        Policy({"region": None}, frozenset())
    with pytest.raises(PolicyError, match="only lock settings it sets"):
        Policy({}, frozenset({"emotions"}))
    with pytest.raises(PolicyError, match="min_faces"):
        Policy({"min_faces": 2}, frozenset())


# --- precedence: default < policy recommendation < user < locked policy


def test_defaults_alone():
    eff = effective_settings()
    assert eff.settings == DEFAULTS
    assert set(eff.origin.values()) == {"default"}
    assert eff.locked == frozenset() and eff.lock_reason is None and eff.policy_path is None


def test_user_over_default_and_locked_policy_over_user():
    user = Settings(emotions=True, min_faces=4, detector="dnn", explicit={"emotions", "min_faces", "detector"})
    policy = Policy({"emotions": False, "detector": "haar"}, frozenset({"emotions", "detector"}), EU_REASON, Path("/p.json"))
    eff = effective_settings(user, policy)
    assert (eff.settings.emotions, eff.settings.detector, eff.settings.min_faces) == (False, "haar", 4)
    assert eff.origin["emotions"] == eff.origin["detector"] == "policy"
    assert eff.origin["min_faces"] == "user" and eff.origin["smoothing_s"] == "default"
    assert eff.is_locked("emotions") and not eff.is_locked("min_faces")
    assert eff.lock_reason == EU_REASON and eff.policy_path == Path("/p.json")
    with pytest.raises(ValueError, match="unknown setting"):
        eff.is_locked("emotion")


def test_a_recommendation_is_a_default_the_user_may_change():
    policy = Policy({"emotions": False, "retention_days": 30}, frozenset())
    eff = effective_settings(Settings(explicit=frozenset()), policy)
    assert (eff.settings.emotions, eff.origin["emotions"]) == (False, "policy")
    assert not eff.is_locked("emotions") and eff.lock_reason is None
    # The teacher's choice wins, even when it equals the built-in default.
    chosen = Settings(emotions=True, explicit={"emotions"})
    eff = effective_settings(chosen, policy)
    assert (eff.settings.emotions, eff.origin["emotions"]) == (True, "user")
    assert (eff.settings.retention_days, eff.origin["retention_days"]) == (30, "policy")


def test_a_settings_object_built_in_code_counts_as_chosen_in_full():
    eff = effective_settings(Settings(), Policy({"emotions": False}, frozenset()))
    assert eff.settings.emotions is True and set(eff.origin.values()) == {"user"}


def test_a_locked_policy_without_a_reason_still_says_why():
    eff = effective_settings(None, Policy({"keep_tracks": False}, frozenset({"keep_tracks"}), None, Path("/etc/p.json")))
    assert eff.lock_reason == "Set by the admin policy /etc/p.json"


# --- changing settings


def test_a_change_to_a_locked_setting_is_refused_naming_it():
    eff = effective_settings(None, Policy({"emotions": False}, frozenset({"emotions"}), EU_REASON))
    with pytest.raises(PolicyError, match=r"emotions is locked: Set by your school"):
        apply_user_change(eff, emotions=True, min_faces=4)
    # Sending the locked value back (a dialog sends every field) is not a change.
    assert apply_user_change(eff, emotions=False).explicit == frozenset()


def test_a_change_becomes_the_teachers_choice_without_baking_in_policy_values(tmp_path):
    policy = Policy({"emotions": False, "retention_days": 30}, frozenset({"emotions"}))
    user = Settings(smoothing_s=5.0, explicit={"smoothing_s"})
    eff = effective_settings(user, policy)
    new = apply_user_change(eff, retention_days=60, detector="dnn", emotions=False)
    assert new.explicit == {"smoothing_s", "retention_days"}  # detector dnn was already in force
    assert new.emotions is True  # the teacher's own value stays theirs; the policy still wins in force
    path = tmp_path / "settings.json"
    save_user_settings(new, path)
    assert json.loads(path.read_text(encoding="utf-8")) == {"version": 1, "smoothing_s": 5.0, "retention_days": 60}
    after = effective_settings(load_user_settings(path)[0], policy)
    assert (after.settings.retention_days, after.origin["retention_days"]) == (60, "user")
    assert after.settings.emotions is False


def test_invalid_changes_are_refused():
    eff = effective_settings()
    with pytest.raises(SettingsError, match="min_faces"):
        apply_user_change(eff, min_faces=2)
    with pytest.raises(SettingsError, match="unknown setting"):
        apply_user_change(eff, colour="red")


# --- failing closed


def test_an_invalid_policy_gives_the_safest_settings_all_locked():
    brave = Settings(emotions=True, keep_tracks=True, retention_days=0, export_formats=("csv", "json", "pdf"),
                     detector="haar", smoothing_s=5.0)
    eff = effective_settings(brave, None, "invalid admin policy /etc/classwatch/policy.json: emotion: unknown setting")
    s = eff.settings
    assert (s.emotions, s.keep_tracks, s.retention_days, s.export_formats) == (False, False, 30, ("csv", "pdf"))
    assert eff.locked == frozenset(POLICY_FIELDS) | {"source"}  # the camera is off, so it cannot be the source
    assert eff.policy_error.startswith("invalid admin policy") and eff.policy_path is None
    assert "unknown setting" in eff.lock_reason and "safest" in eff.lock_reason
    assert s.detector == "haar" and eff.origin["detector"] == "user"  # kept as it was, but locked
    assert eff.pipeline_config().emotions is False and eff.pipeline_config().attention is False
    with pytest.raises(PolicyError):
        apply_user_change(eff, detector="dnn")
    assert apply_user_change(eff, smoothing_s=1.0).smoothing_s == 1.0  # the teacher's own settings stay free


def test_an_error_wins_over_a_policy_passed_with_it():
    eff = effective_settings(None, Policy({"emotions": True}, frozenset({"emotions"})), "broken")
    assert eff.settings.emotions is False and eff.policy_error == "broken"


def test_safest_is_at_least_as_strict_as_the_defaults():
    assert SAFEST.values["emotions"] is False and SAFEST.values["keep_tracks"] is False
    assert SAFEST.values["attention"] is False and "attention" in SAFEST.locked
    assert SAFEST.values["camera"] is False and "camera" in SAFEST.locked  # a forbidden camera stays forbidden
    assert 0 < SAFEST.values["retention_days"] <= DEFAULTS.retention_days
    assert "json" not in SAFEST.values["export_formats"]  # JSON may carry per-track numbers


# --- what the app and the CLI get


def test_load_effective_end_to_end(machine, tmp_path):
    env, system = machine
    write(tmp_path / "config" / "settings.json", {"version": 1, "min_faces": 4, "emotions": True, "retention_days": 7})
    write(system / "policy.json", POLICY_JSON)
    eff = load_effective(env, "win32")
    assert eff.settings_warning is None and eff.policy_error is None
    assert (eff.settings.min_faces, eff.origin["min_faces"]) == (5, "policy")
    assert (eff.settings.emotions, eff.origin["emotions"]) == (False, "policy")
    assert (eff.settings.retention_days, eff.origin["retention_days"]) == (7, "user")
    assert eff.user.min_faces == 4


def test_load_effective_with_a_corrupt_settings_file_and_a_broken_policy(machine, tmp_path):
    env, system = machine
    write(tmp_path / "config" / "settings.json", "{")
    write(system / "policy.json", "{")
    eff = load_effective(env, "win32")
    assert "Using the default settings" in eff.settings_warning
    assert "not valid JSON" in eff.policy_error and eff.settings.emotions is False


def test_presence_only_loads_no_expression_model(monkeypatch):
    eff = effective_settings(None, Policy({"emotions": False}, frozenset({"emotions"})))
    config = eff.pipeline_config()
    assert (config.emotions, config.detector, config.min_faces, config.smoothing_s) == (False, "yunet", 3, 3.0)

    def forbidden(*args, **kwargs):
        raise AssertionError("the expression model was loaded in presence-only mode")

    monkeypatch.setattr(classwatch.classify, "ExpressionClassifier", forbidden)
    monkeypatch.setattr(classwatch.pipeline, "ExpressionClassifier", forbidden)
    opened = []
    real_interpreter = classwatch.litert.Interpreter

    def recording_interpreter(model_path, **kwargs):
        opened.append(Path(model_path).name)
        return real_interpreter(model_path=model_path, **kwargs)

    monkeypatch.setattr(classwatch.litert, "Interpreter", recording_interpreter)
    pipeline = Pipeline(config)
    assert pipeline.classifier is None and pipeline.model_name is None
    assert opened == []  # no LiteRT model at all: the face detector runs inside OpenCV


def test_attention_is_switched_independently_of_emotions():
    # Presence-only mode keeps attention unless the policy turns it off too.
    presence = effective_settings(None, Policy({"emotions": False}, frozenset({"emotions"})))
    assert (presence.pipeline_config().emotions, presence.pipeline_config().attention) == (False, True)
    off = effective_settings(Settings(attention=True), Policy({"attention": False}, frozenset({"attention"}), EU_REASON))
    config = off.pipeline_config()
    assert (config.emotions, config.attention) == (True, False)
    assert off.origin["attention"] == "policy" and off.is_locked("attention")
    with pytest.raises(PolicyError, match="attention is locked"):
        apply_user_change(off, attention=True)
    on = effective_settings(Settings(attention=False), Policy({"emotions": False, "attention": True}, frozenset({"attention"})))
    assert on.pipeline_config().attention is True  # a policy may also insist on it
    # The facing limits are the teacher's own; they reach the pipeline.
    mine = effective_settings(Settings(facing_yaw_deg=20, facing_pitch_deg=15))
    assert (mine.pipeline_config().facing_yaw_deg, mine.pipeline_config().facing_pitch_deg) == (20.0, 15.0)
    with pytest.raises(PolicyError, match="facing_yaw_deg: is the teacher's own setting"):
        parse_policy({"facing_yaw_deg": 20})
    assert parse_policy({"attention": {"value": False, "locked": False}}).locked == frozenset()


def test_a_policy_may_forbid_the_camera():
    teacher = Settings(source="camera", camera_index=1, class_size=28, explicit=frozenset({"source", "camera_index", "class_size"}))
    eff = effective_settings(teacher, parse_policy({"camera": False, "reason": "No filming in class"}))
    s = eff.settings
    # The camera is never the source in force, whatever the teacher chose, and cannot be chosen.
    assert (s.camera, s.source, eff.origin["source"]) == (False, "screen", "policy")
    assert eff.is_locked("camera") and eff.is_locked("source")
    with pytest.raises(PolicyError, match="source is locked: No filming in class"):
        apply_user_change(eff, source="camera")
    assert apply_user_change(eff, class_size=30).source == "camera"  # the teacher's file keeps their choice
    # A recommendation only: the teacher may switch it back on, and the camera is then the source.
    recommended = parse_policy({"camera": {"value": False, "locked": False}})
    relaxed = effective_settings(teacher, recommended)
    assert relaxed.settings.source == "screen" and not relaxed.is_locked("source")
    assert effective_settings(apply_user_change(relaxed, camera=True), recommended).settings.source == "camera"
    # Which camera and the class size are the teacher's own.
    for name, value in (("source", "screen"), ("camera_index", 0), ("class_size", 30)):
        with pytest.raises(PolicyError, match=f"{name}: is the teacher's own setting"):
            parse_policy({name: value})


def test_cli_values_obey_locked_settings():
    eff = effective_settings(None, Policy({"detector": "haar", "min_faces": 5}, frozenset({"detector"}), EU_REASON))
    assert eff.cli_value("detector", None, "--detector") == "haar"
    assert eff.cli_value("detector", "haar", "--detector") == "haar"
    with pytest.raises(PolicyError, match=r"^--detector dnn: detector is locked to haar: Set by your school"):
        eff.cli_value("detector", "dnn", "--detector")
    assert eff.cli_value("min_faces", 7, "--min-faces") == 7  # only recommended: a flag may change it
    with pytest.raises(SettingsError, match=r"^--min-faces 2: must be a whole number from 3"):
        eff.cli_value("min_faces", 2, "--min-faces")


def test_exports_obey_the_allowed_formats():
    eff = effective_settings(None, Policy({"export_formats": ["csv"]}, frozenset({"export_formats"}), EU_REASON))
    eff.check_export("csv")
    with pytest.raises(PolicyError, match=r"export as pdf is not allowed \(allowed: csv\): Set by your school"):
        eff.check_export("pdf")
    mine = effective_settings(Settings(export_formats=()))
    with pytest.raises(PolicyError, match=r"turned off in the settings \(allowed: none\)"):
        mine.check_export("json")


def test_a_locked_data_folder_confines_the_database(tmp_path):
    folder = tmp_path / "school"
    eff = effective_settings(None, Policy({"data_dir": str(folder)}, frozenset({"data_dir"})))
    assert eff.data_path() == folder
    assert eff.db_path() == folder / "sessions.sqlite"
    assert eff.db_path(folder / "sub" / "x.sqlite") == folder / "sub" / "x.sqlite"
    with pytest.raises(PolicyError, match="outside the data folder"):
        eff.db_path(tmp_path / "elsewhere.sqlite")
    free = effective_settings(Settings(data_dir=str(folder)))
    assert free.db_path(tmp_path / "elsewhere.sqlite") == tmp_path / "elsewhere.sqlite"


# --- classwatch policy show


def policy_show(*args) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    parsed = parser.parse_args(["policy", "show", *args])
    assert parsed.func(parsed) == 0


@pytest.fixture
def installed(machine, monkeypatch):
    """`machine`, made the process's own: the command reads os.environ and sys.platform."""
    env, system = machine
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CLASSWATCH_POLICY", raising=False)
    monkeypatch.setattr(policy_module, "system_policy_dir", lambda env=None, platform=None: system)
    return system


def test_policy_show_json(installed, capsys):
    write(installed / "policy.json", POLICY_JSON)
    policy_show("--json")
    doc = json.loads(capsys.readouterr().out)
    assert doc["policy"]["path"] == str(installed / "policy.json") and doc["policy"]["error"] is None
    assert doc["policy"]["lock_reason"] == EU_REASON
    assert list(doc["settings"]) == list(SETTING_NAMES)
    assert doc["settings"]["emotions"] == {"value": False, "origin": "policy", "locked": True}
    assert doc["settings"]["retention_days"] == {"value": 30, "origin": "policy", "locked": False}
    assert doc["settings"]["sample_every_s"] == {"value": 1.0, "origin": "default", "locked": False}
    assert doc["settings"]["export_formats"]["value"] == ["csv", "pdf"]


def test_policy_show_table(installed, capsys):
    write(installed / "policy.json", POLICY_JSON)
    policy_show()
    out = capsys.readouterr().out
    assert f"Admin policy   {installed / 'policy.json'}" in out
    assert EU_REASON in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[4:]}
    assert rows["emotions"] == ["emotions", "off", "policy", "yes"]
    assert rows["retention_days"] == ["retention_days", "30", "policy", "no"]
    assert rows["smoothing_s"] == ["smoothing_s", "3", "default", "no"]


def test_policy_show_without_a_policy(installed, capsys):
    policy_show()
    assert "none (no file at" in capsys.readouterr().out


def test_policy_show_reports_an_invalid_policy_as_an_error(installed, capsys):
    write(installed / "policy.json", {"emotion": False})
    with pytest.raises(PolicyError, match="did you mean 'emotions'"):
        policy_show("--json")
    doc = json.loads(capsys.readouterr().out)  # the fallback in force is still printed first
    assert doc["settings"]["emotions"] == {"value": False, "origin": "policy", "locked": True}
    assert doc["policy"]["error"]


def test_the_documented_examples_are_valid_and_mean_the_same():
    tomllib = pytest.importorskip("tomllib")
    doc = (Path(__file__).resolve().parents[1] / "docs" / "admin-policy.md").read_text(encoding="utf-8")
    json_example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    toml_example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    assert parse_policy(json.loads(json_example)) == parse_policy(tomllib.loads(toml_example))
