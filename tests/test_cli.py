"""The command-line contract: JSON shape, human output and one-line errors."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from classwatch.cli import main
from classwatch.types import EXPRESSIONS
from conftest import DEMO_VIDEO


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
        mood = frame["mood"]
        assert mood["available"] and -1 <= mood["mood_index"] <= 1
        assert mood["faces"] == 4 and mood["tiles"] == 4


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
    assert "lacks the array" in one_line_error(run_cli("eval-model", tmp_path / "wrong.npz"))
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert "not a readable .npz" in one_line_error(run_cli("eval-model", tmp_path / "junk.npz"))


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("classwatch ")
