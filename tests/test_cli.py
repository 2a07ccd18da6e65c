"""The command-line contract: JSON shape, human output and one-line errors."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from classwatch.cli import EXIT_BROKEN_PIPE, main
from classwatch.types import EXPRESSIONS
from conftest import DEMO_VIDEO, REPO

FACE = REPO / "assets" / "demo" / "participant_1.jpg"  # one face


def write_blank(path):
    """A picture with no face in it."""
    cv2.imwrite(str(path), np.zeros((120, 160, 3), np.uint8))
    return path


def run_cli(*args):
    """Run the real entry point in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "classwatch", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def demo_json():
    proc = run_cli("analyze", DEMO_VIDEO, "--json", "--every", "1")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_analyze_json_contract(demo_json):
    (item,) = demo_json["inputs"]
    assert item["path"] == str(DEMO_VIDEO)
    assert [round(f["t"]) for f in item["frames"]] == [0, 1]
    for frame in item["frames"]:
        assert set(frame) >= {"t", "tiles", "faces", "mood"}
        assert len(frame["tiles"]) == 4
        assert len(frame["faces"]) == 4
        for face in frame["faces"]:
            x, y, w, h = face["box"]
            assert 0 <= x < 640 and 0 <= y < 360 and w > 10 and h > 10
            assert 0 <= face["score"] <= 1
            assert face["label"] in EXPRESSIONS
            assert list(face["probs"]) == list(EXPRESSIONS)
            assert abs(sum(face["probs"].values()) - 1) < 1e-3
            assert set(face["pose"]) == {"yaw", "pitch"} and all(-90 <= v <= 90 for v in face["pose"].values())
            assert isinstance(face["facing"], bool)
        mood = frame["mood"]
        assert mood["available"] and -1 <= mood["mood_index"] <= 1
        assert mood["faces"] == 4 and mood["tiles"] == 4
        assert mood["attention"] == sum(face["facing"] for face in frame["faces"]) / 4


def test_tracks_persist_across_frames(demo_json):
    frames = demo_json["inputs"][0]["frames"]
    assert sorted(f["track"] for f in frames[0]["faces"]) == sorted(f["track"] for f in frames[1]["faces"])


def test_analyze_human_summary_defaults_to_demo(capsys):
    assert main(["analyze"]) == 0
    out = capsys.readouterr().out
    assert "zoom_gallery_4tiles.mp4" in out and "mood" in out


def test_haar_detector_option(capsys):
    assert main(["analyze", str(DEMO_VIDEO), "--detector", "haar", "--json", "--every", "5"]) == 0
    frames = json.loads(capsys.readouterr().out)["inputs"][0]["frames"]
    assert len(frames) == 1


def analyze_json_under_policy(tmp_path, monkeypatch, capsys, policy: dict) -> list[dict]:
    monkeypatch.setenv("CLASSWATCH_POLICY", str(tmp_path / "policy.json"))
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    assert main(["analyze", str(DEMO_VIDEO), "--json", "--every", "5"]) == 0
    return json.loads(capsys.readouterr().out)["inputs"][0]["frames"]


def test_attention_switched_off_leaves_no_pose_in_the_json(tmp_path, monkeypatch, capsys):
    (frame,) = analyze_json_under_policy(tmp_path, monkeypatch, capsys, {"attention": False})
    assert len(frame["faces"]) == 4 and frame["mood"]["attention"] is None
    assert all("pose" not in face and "facing" not in face and "label" in face for face in frame["faces"])
    assert main(["analyze", str(DEMO_VIDEO), "--every", "5"]) == 0
    assert "attention" not in capsys.readouterr().out


def test_presence_only_keeps_attention(tmp_path, monkeypatch, capsys):
    (frame,) = analyze_json_under_policy(tmp_path, monkeypatch, capsys, {"emotions": False})
    assert frame["mood"]["mood_index"] is None and 0 <= frame["mood"]["attention"] <= 1
    assert all("label" not in face and "facing" in face for face in frame["faces"])
    assert main(["analyze", str(DEMO_VIDEO), "--every", "5"]) == 0
    out = capsys.readouterr().out
    assert "presence only" in out and "attention" in out


def one_line_error(proc):
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("classwatch: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_missing_path(tmp_path):
    assert "no such file" in one_line_error(run_cli("analyze", tmp_path / "nope.png"))


def test_unreadable_image(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG garbage")
    assert "not a readable image" in one_line_error(run_cli("analyze", bad))


def test_video_that_cannot_be_opened(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    assert "cannot open video" in one_line_error(run_cli("analyze", bad))


def test_image_without_faces(tmp_path):
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((360, 640, 3), 128, np.uint8))
    assert "no faces" in one_line_error(run_cli("analyze", blank))


def test_corrupt_model(tmp_path):
    from classwatch.classify import resolve_model

    card = json.loads(resolve_model(None).read_text())  # the default model's card, pointing at a broken file
    (tmp_path / card["file"]).write_bytes(b"this is not a flatbuffer" * 10)
    (tmp_path / "broken.json").write_text(json.dumps(card))
    line = one_line_error(run_cli("analyze", DEMO_VIDEO, "--model", tmp_path / "broken.json"))
    assert "cannot load model" in line


def test_missing_model(tmp_path):
    assert "model card not found" in one_line_error(run_cli("analyze", DEMO_VIDEO, "--model", tmp_path / "x.json"))


def test_eval_model_json(tmp_path, capsys):
    from classwatch.resources import asset_path
    from classwatch.sources import read_image

    face = cv2.cvtColor(read_image(asset_path("demo/astronaut_portrait.jpg")), cv2.COLOR_BGR2GRAY)
    pixels = np.stack([cv2.resize(face[40:220, 30:210], (48, 48))] * 6)
    np.savez(tmp_path / "tiny.npz", pixels=pixels, label=np.array([3, 3, 6, 6, 0, 4], np.int8))
    assert main(["eval-model", str(tmp_path / "tiny.npz"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 6
    assert set(report["per_class_recall"]) == set(EXPRESSIONS)
    assert np.array(report["confusion"]).shape == (7, 7) and np.array(report["confusion"]).sum() == 6
    assert 0 <= report["accuracy"] <= 1


def test_eval_model_bad_npz(tmp_path):
    np.savez(tmp_path / "wrong.npz", images=np.zeros((2, 48, 48), np.uint8))
    assert one_line_error(run_cli("eval-model", tmp_path / "wrong.npz")).endswith(
        f"{tmp_path / 'wrong.npz'} has no array 'pixels' (need `pixels` and `label`)")
    (tmp_path / "junk.npz").write_bytes(b"junk")  # numpy takes it for a pickle
    np.save(tmp_path / "array.npy", np.zeros(3))  # a single array, not an archive
    (tmp_path / "array.npy").rename(tmp_path / "array.npz")
    for name in ("junk.npz", "array.npz"):
        line = one_line_error(run_cli("eval-model", tmp_path / name))
        assert line.endswith(f"{tmp_path / name} is not a readable .npz file") and "pickle" not in line


def eval_model_error(npz, *flags, capsys):
    """eval-model in this process (no model run is needed to fail): its one stderr line."""
    assert main(["eval-model", str(npz), *flags]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    return err.strip()


@pytest.mark.parametrize("bad", [99, -1, 7])
def test_eval_model_labels_outside_the_classes(tmp_path, capsys, bad):
    np.savez(tmp_path / "x.npz", pixels=np.zeros((2, 48, 48), np.uint8), label=np.array([3, bad]))
    line = eval_model_error(tmp_path / "x.npz", capsys=capsys)
    assert line.startswith("classwatch: error:") and "labels must be class numbers 0 to 6" in line
    assert line.endswith(f"found {bad}")


def test_eval_model_without_rows(tmp_path, capsys):
    np.savez(tmp_path / "none.npz", pixels=np.zeros((0, 48, 48), np.uint8), label=np.zeros(0, np.int8))
    assert eval_model_error(tmp_path / "none.npz", capsys=capsys).endswith("none.npz: no rows to evaluate")
    np.savez(tmp_path / "some.npz", pixels=np.zeros((2, 48, 48), np.uint8), label=np.array([0, 1]), usage=np.array([0, 0]))
    line = eval_model_error(tmp_path / "some.npz", "--usage", "1", capsys=capsys)
    assert line.endswith("some.npz (rows with usage 1): no rows to evaluate")


def test_unknown_model_name_lists_the_models(tmp_path, capsys):
    expected = "classwatch: error: unknown model 'nosuch' (available: expression; or give a .json or .tflite path)"
    assert one_line_error(run_cli("analyze", FACE, "--model", "nosuch")) == expected
    np.savez(tmp_path / "x.npz", pixels=np.zeros((1, 48, 48), np.uint8), label=np.array([0]))
    assert eval_model_error(tmp_path / "x.npz", "--model", "nosuch", capsys=capsys) == expected


@pytest.mark.parametrize("every", ["abc", "0", "-1", "0.1", "61", "nan"])
def test_every_outside_its_range(every):
    line = one_line_error(run_cli("analyze", FACE, "--every", every))
    assert line == f"classwatch: error: --every must be a number of seconds between 0.2 and 60, got {every}"


def test_truncated_png_is_one_line(tmp_path):
    """libpng's own "libpng error: ..." line must not reach the user beside ours."""
    _, png = cv2.imencode(".png", cv2.imread(str(FACE)))
    (tmp_path / "cut.png").write_bytes(png.tobytes()[: len(png) // 2])
    assert "not a readable image" in one_line_error(run_cli("analyze", tmp_path / "cut.png"))


def test_an_input_without_faces_among_several_is_reported_with_a_warning(tmp_path):
    blank = write_blank(tmp_path / "wall.png")
    proc = run_cli("analyze", FACE, blank, "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [f"classwatch: warning: no faces found in {blank}"]
    face, wall = json.loads(proc.stdout)["inputs"]
    assert len(face["frames"][0]["faces"]) == 1
    assert wall["path"] == str(blank) and len(wall["frames"]) == 1 and wall["frames"][0]["faces"] == []


def test_no_faces_in_any_of_several_inputs(tmp_path):
    line = one_line_error(run_cli("analyze", write_blank(tmp_path / "a.png"), write_blank(tmp_path / "b.png")))
    assert line == "classwatch: error: no faces found in any of the 2 inputs"


def test_folder_frames_name_their_file(tmp_path, capsys):
    folder = tmp_path / "shots"
    folder.mkdir()
    (folder / "1.jpg").write_bytes(FACE.read_bytes())
    write_blank(folder / "2.png")
    assert main(["analyze", str(folder), "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)["inputs"]
    assert item["path"] == str(folder)
    assert [f["file"] for f in item["frames"]] == [str(folder / "1.jpg"), str(folder / "2.png")]
    assert [len(f["faces"]) for f in item["frames"]] == [1, 0]
    assert main(["analyze", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "1.jpg" in lines[1] and "2.png" in lines[2]


def test_closed_stdout_ends_quietly():
    """`classwatch analyze ... | head`: a reader that closes early ends the command without a traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write fails
    try:
        proc = subprocess.run([sys.executable, "-m", "classwatch", "analyze", str(FACE), "--json"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == EXIT_BROKEN_PIPE


def test_failed_record_leaves_no_session(tmp_path, capsys):
    from classwatch.session import SessionStore

    blank, db = write_blank(tmp_path / "wall.png"), tmp_path / "sessions.db"
    for _ in range(2):  # the retry fails for the same reason, not with "already exists"
        assert main(["analyze", str(blank), "--record", "lesson", "--db", str(db)]) == 2
        assert capsys.readouterr().err.splitlines() == [f"classwatch: error: no faces found in {blank}"]
    with SessionStore(db) as store:
        assert store.list_sessions() == []
    # A run that goes on past an input without faces keeps its session.
    assert main(["analyze", str(FACE), str(blank), "--record", "lesson", "--db", str(db)]) == 0
    with SessionStore(db) as store:
        assert len(store.load("lesson").samples) == 2


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("classwatch ")


def test_analyze_record_and_the_app_record_the_same_settings(tmp_path, capsys):
    """One recorder for both front ends: a session of ``analyze --record`` and one recorded the app's way
    (the run loop with a ``runtime.Recorder``, its ``SessionSpec`` made as the controller makes it) carry
    the same settings keys: every field of the pipeline configuration, and the sampling rate."""
    from dataclasses import fields

    from classwatch.pipeline import Pipeline, PipelineConfig
    from classwatch.policy import load_effective
    from classwatch.runtime import LoopingSource, Reading, Recorder, RunControl, SessionSpec, run
    from classwatch.session import SessionStore, TimeBase

    db = tmp_path / "sessions.db"
    assert main(["analyze", str(DEMO_VIDEO), "--every", "5", "--min-faces", "4", "--record", "cli", "--db", str(db)]) == 0
    capsys.readouterr()

    s = load_effective().settings  # the app: the settings in force, the demo video served like the screen
    spec = SessionSpec("demo", load_effective().pipeline_config(), s.sample_every_s, keep_tracks=s.keep_tracks, name="app")
    recorder, control = Recorder(db, spec), RunControl()
    for event in run(lambda: LoopingSource(DEMO_VIDEO, s.sample_every_s), lambda: Pipeline(spec.config),
                     s.sample_every_s, control=control, recorder=recorder):
        if isinstance(event, Reading):
            control.stop()
    recorder.close()

    with SessionStore(db) as store:
        app, cli = store.get("app"), store.get("cli")
    assert set(cli.settings) == set(app.settings) == {"every_s"} | {f.name for f in fields(PipelineConfig)}
    assert cli.settings["every_s"] == 5.0 and app.settings["every_s"] == s.sample_every_s
    assert cli.settings["min_faces"] == 4 and app.settings["min_faces"] == s.min_faces
    assert {key: cli.settings[key] for key in cli.settings if key not in ("every_s", "min_faces")} == {
        key: app.settings[key] for key in app.settings if key not in ("every_s", "min_faces")}
    assert (cli.time_base, app.time_base) == (TimeBase.MEDIA, TimeBase.WALL)
    assert (cli.detector, cli.model_name, cli.model_version) == (app.detector, app.model_name, app.model_version)


def test_an_unreadable_image_in_a_folder_is_skipped_with_a_warning(tmp_path, capsys):
    folder = tmp_path / "shots"
    folder.mkdir()
    portrait = FACE.read_bytes()
    (folder / "a.jpg").write_bytes(portrait)
    (folder / "b.jpg").write_bytes(portrait[:3000])  # cut short, as a copy interrupted
    (folder / "c.jpg").write_bytes(portrait)
    assert main(["analyze", str(folder), "--json"]) == 0
    out, err = capsys.readouterr()
    frames = json.loads(out)["inputs"][0]["frames"]
    assert [os.path.basename(f["file"]) for f in frames] == ["a.jpg", "c.jpg"]
    assert err.strip().splitlines() == [f"classwatch: warning: skipped not a readable image: {folder / 'b.jpg'}"]
    (folder / "a.jpg").write_bytes(b"not an image")
    (folder / "c.jpg").write_bytes(b"not an image")
    assert main(["analyze", str(folder)]) == 2
    assert capsys.readouterr().err.strip() == f"classwatch: error: no readable images in folder: {folder}"


def test_a_model_card_without_its_classes_names_what_is_missing(tmp_path, capsys):
    card = tmp_path / "card.json"
    card.write_text('{"name": "x"}')
    assert main(["analyze", str(FACE), "--model", str(card)]) == 2
    assert capsys.readouterr().err.strip() == f"classwatch: error: invalid model card {card}: it has no 'classes'"
