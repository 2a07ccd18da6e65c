"""The training pipeline: data, augmentation, a tiny resumable run, export round-trip.

Skips when the FER2013 file (shared/data beside the repo) is absent; the
PyTorch/TensorFlow tests skip when the optional ``train`` extra is not installed.
"""

import csv
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from classwatch.preprocess import CropSpec, crop_faces
from classwatch.training import augment as augment_mod
from classwatch.training.augment import AugmentConfig, augment_batch, identity_box
from classwatch.training.data import class_weights, dev_rows, label_agreement, load_fer, soft_targets
from classwatch.types import EXPRESSIONS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fer2013" / "fer2013_trainval.npz"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} not present")
SPEC = CropSpec(margin=0.1, shift_y=-0.09, mean=0.507, std=0.254)


@pytest.fixture(scope="module")
def fer():
    return load_fer(DATA, ferplus_weight=0.5)


def test_load_splits(fer):
    assert len(fer.train) == 28_499 and len(fer.val) == 3_572
    assert fer.train.pixels.shape == (28_499, 48, 48) and fer.train.pixels.dtype == np.uint8
    assert fer.train.target.shape == (28_499, 7)
    np.testing.assert_allclose(fer.train.target.sum(axis=1), 1.0, atol=1e-5)
    assert set(np.unique(fer.val.label)) <= set(range(7))
    # The crowd majority comes from the votes alone, whatever FER+ share the target has.
    votes_only = load_fer(DATA, ferplus_weight=1.0)
    np.testing.assert_array_equal(fer.val.majority, votes_only.val.target.argmax(1))
    np.testing.assert_array_equal(fer.train.majority, votes_only.train.majority)
    assert 0.6 < (fer.val.majority == fer.val.label).mean() < 0.7  # the labels agree on 64% of PublicTest


def test_dev_split_is_a_fixed_stratified_share_of_training(fer):
    dev = dev_rows(fer.train.label, 0.1)
    np.testing.assert_array_equal(dev, dev_rows(fer.train.label, 0.1))  # the same faces every time
    for c in range(7):
        in_class = fer.train.label == c
        assert dev[in_class].mean() == pytest.approx(0.1, abs=0.002)  # disgust keeps its share too
    held_out = load_fer(DATA, ferplus_weight=0.5, dev_fraction=0.1)
    np.testing.assert_array_equal(held_out.val.pixels, fer.train.pixels[dev])  # PublicTest is not touched
    np.testing.assert_array_equal(held_out.train.pixels, fer.train.pixels[~dev])  # and dev faces are not trained on


def test_a_missing_or_foreign_data_file_is_one_line_error(tmp_path):
    from classwatch.training.data import check_data_file

    assert check_data_file(DATA) == DATA
    garbage = tmp_path / "x.npz"
    garbage.write_bytes(b"not a zip")
    other = tmp_path / "other.npz"
    np.savez(other, pixels=np.zeros(1))
    for path, reason in ((tmp_path / "missing.npz", "cannot read"), (garbage, "cannot read"), (other, "no label, ferplus, usage")):
        with pytest.raises(SystemExit, match=reason):
            check_data_file(path)


def test_label_agreement_scores_both_label_sets():
    fer_label = np.array([0, 3, 4, 6])
    majority = np.array([0, 3, 6, 6])  # FER+ disagrees on row 2 (sad -> neutral)
    probs = np.eye(7)[[0, 4, 6, 6]]  # wrong on row 1; on row 2 it sides with FER+
    assert label_agreement(probs, fer_label, majority) == {
        "fer2013_accuracy": 0.5, "ferplus_majority_accuracy": 0.75,
        "fer2013_accuracy_where_labels_agree": pytest.approx(2 / 3, abs=1e-4), "fer2013_accuracy_where_they_differ": 0.0}


def test_soft_targets_mapping():
    # FER+ order: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
    votes = np.array([[6, 2, 0, 0, 0, 0, 0, 1, 1, 0], [0] * 10], np.uint8)
    t = soft_targets(np.array([6, 4]), votes, ferplus_weight=0.5)
    np.testing.assert_allclose(t.sum(axis=1), 1.0)
    # row 0: half one-hot neutral + half (6 neutral, 2 happy) / 8; contempt/unknown dropped
    assert t[0, EXPRESSIONS.index("neutral")] == pytest.approx(0.5 + 0.5 * 6 / 8)
    assert t[0, EXPRESSIONS.index("happy")] == pytest.approx(0.5 * 2 / 8)
    # row 1: no votes -> one-hot of the FER2013 label
    assert t[1, EXPRESSIONS.index("sad")] == pytest.approx(1.0)


def test_class_weights_lift_rare_classes(fer):
    w = class_weights(fer.train.label, 0.5)
    assert w[EXPRESSIONS.index("disgust")] > 2 * w[EXPRESSIONS.index("happy")]
    assert w[fer.train.label].mean() == pytest.approx(1.0)
    np.testing.assert_allclose(class_weights(fer.train.label, 0.0), 1.0)


def test_identity_box_reproduces_the_image(fer):
    img = fer.train.pixels[0]
    np.testing.assert_array_equal(crop_faces(img, identity_box(SPEC)[None], SPEC)[0], img)


def test_augment_shapes_determinism_and_crop_faces(fer, monkeypatch):
    images = fer.train.pixels[:64]
    calls = []

    def spy(*args, **kwargs):
        calls.append(1)
        return crop_faces(*args, **kwargs)

    monkeypatch.setattr(augment_mod, "crop_faces", spy)
    a = augment_batch(images, SPEC, np.random.default_rng(7))
    b = augment_batch(images, SPEC, np.random.default_rng(7))
    c = augment_batch(images, SPEC, np.random.default_rng(8))
    assert a.shape == images.shape and a.dtype == np.uint8
    assert len(calls) == 3 * 64  # every image of every call went through crop_faces
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, images)


def test_augment_off_is_identity(fer):
    off = AugmentConfig(scale=0, shift=0, rotate=0, flip=0, photometric=0, low_res=0, blur=0, jpeg=0, erase=0)
    images = fer.train.pixels[:16]
    np.testing.assert_array_equal(augment_batch(images, SPEC, np.random.default_rng(0), off), images)


# --- PyTorch training (tiny run, resume) and export through TensorFlow ---------------------


@pytest.fixture(scope="module")
def tiny_cfg():
    pytest.importorskip("torch")
    pytest.importorskip("tensorflow")
    from classwatch.training.model import ModelConfig
    from classwatch.training.train import TrainConfig

    small = ModelConfig(stages=((8, 1, False), (16, 1, False), (32, 1, True)))
    return TrainConfig(data=str(DATA), epochs=2, batch_size=64, limit=128, seed=3, model=small)


@pytest.fixture(scope="module")
def tiny_run(tiny_cfg, tmp_path_factory):
    from classwatch.training.train import train

    out = tmp_path_factory.mktemp("runs") / "full"
    train(tiny_cfg, out)
    return out


def _log(run):
    with (run / "log.csv").open() as f:
        return list(csv.DictReader(f))


def test_training_writes_checkpoints_and_log(tiny_run):
    state = json.loads((tiny_run / "state.json").read_text())
    assert state["epochs_done"] == 2 and (tiny_run / "ckpt" / state["checkpoint"]).exists()
    assert (tiny_run / "best.pt").exists()
    assert [r["epoch"] for r in _log(tiny_run)] == ["0", "1"]


def test_resume_continues_where_it_stopped(tiny_cfg, tiny_run, tmp_path):
    from classwatch.training.train import train

    out = tmp_path / "split"
    assert train(tiny_cfg, out, max_epochs_now=1).epochs_done == 1
    state = train(replace(tiny_cfg, epochs=99), out, resume=True)  # the stored config wins
    assert state.epochs_done == 2
    assert [r["epoch"] for r in _log(out)] == ["0", "1"]
    # Same seed, same data order and augmentation: the interrupted run ends near the uninterrupted one.
    full, split = _log(tiny_run)[-1], _log(out)[-1]
    assert float(split["train_loss"]) == pytest.approx(float(full["train_loss"]), rel=0.05)


def test_distillation_run_from_an_ensemble_of_teacher_runs(tiny_cfg, tiny_run, tmp_path):
    from classwatch.training.train import load_run_config, train

    out = tmp_path / "student"
    cfg = replace(tiny_cfg, epochs=1, teachers=(str(tiny_run), str(tiny_run)), distill_weight=0.7, teacher_flip=True)
    state = train(cfg, out)
    assert state.epochs_done == 1 and (out / "best.pt").exists()
    stored = load_run_config(out)
    assert stored.teachers == (str(tiny_run),) * 2 and stored.distill_weight == 0.7  # a resume distils alike
    assert stored.teacher_flip is True


def test_a_teacher_runs_on_litert_with_the_pytorch_probabilities(tiny_run):
    from classwatch.training.calibrate import softmax
    from classwatch.training.model import predict_logits
    from classwatch.training.train import LiteTeacher, load_run_model

    x = np.random.default_rng(1).normal(size=(9, 48, 48, 1)).astype(np.float32)
    expected = softmax(predict_logits(load_run_model(tiny_run)[1], x))
    np.testing.assert_allclose(LiteTeacher.from_run(tiny_run, threads=1)(x), expected, atol=1e-5)


def test_a_run_stored_with_a_single_teacher_reads_as_a_one_member_ensemble():
    from classwatch.training.train import TrainConfig

    assert TrainConfig.from_json({"data": "-", "teacher": "runs/v4"}).teachers == ("runs/v4",)
    assert TrainConfig.from_json({"data": "-", "teacher": None}).teachers == ()


@pytest.fixture(scope="module")
def tiny_exported(tiny_cfg, tiny_run, tmp_path_factory):
    """tiny_run's network as a shipped model: float16 ``.tflite`` with a temperature, and its card."""
    from classwatch.training.export import keras_twin, to_tflite
    from classwatch.training.train import load_run_model

    out = tmp_path_factory.mktemp("models")
    blob = to_tflite(keras_twin(load_run_model(tiny_run)[1], 0.8), "float16")
    (out / "tiny.tflite").write_bytes(blob)
    crop = tiny_cfg.crop
    card = {"name": "tiny", "version": "0.0.1", "file": "tiny.tflite", "sha256": hashlib.sha256(blob).hexdigest(),
            "classes": list(EXPRESSIONS), "input": {"size": 48, "channels": 1, "mean": crop.mean, "std": crop.std},
            "crop": {"margin": crop.margin, "shift_y": crop.shift_y}, "output": "probabilities", "temperature": 0.8}
    (out / "tiny.json").write_text(json.dumps(card))
    return out / "tiny.json"


def _faces(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 48, 48, 1)).astype(np.float32)


def test_an_exported_model_reads_back_as_the_network_it_computes(tiny_cfg, tiny_exported):
    import torch

    from classwatch.litert import load_interpreter
    from classwatch.training.calibrate import softmax
    from classwatch.training.export import tflite_predict
    from classwatch.training.from_tflite import trainable_net
    from classwatch.training.model import as_batch, predict_logits

    faces = _faces(200, 1)
    net = trainable_net(tiny_exported, faces, tiny_cfg.model)
    assert net.cfg == tiny_cfg.model  # the stages were read from the op sequence
    x = _faces(9, 2)
    file_probs = tflite_predict(load_interpreter(tiny_exported.with_suffix(".tflite")), x)
    np.testing.assert_allclose(softmax(predict_logits(net, x) / 0.8), file_probs, atol=1e-5)
    # Batch norm in training mode, on the faces its statistics came from, computes the same:
    # that is what lets training continue from the file.
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.train()
    with torch.no_grad():
        trained_mode = net(as_batch(faces)).numpy()
    np.testing.assert_allclose(trained_mode, predict_logits(net.eval(), faces), atol=1e-3)


def test_a_shipped_model_teaches_with_its_uncalibrated_probabilities(tiny_cfg, tiny_exported):
    from classwatch.training.calibrate import softmax
    from classwatch.training.from_tflite import trainable_net
    from classwatch.training.model import predict_logits
    from classwatch.training.train import LiteTeacher

    teacher = LiteTeacher.load(str(tiny_exported), threads=1)
    x = _faces(9, 3)
    expected = softmax(predict_logits(trainable_net(tiny_exported, _faces(64, 4), tiny_cfg.model), x))  # temperature 1
    np.testing.assert_allclose(teacher(x), expected, atol=1e-5)


def test_a_run_can_start_from_an_exported_model(tiny_cfg, tiny_run, tiny_exported, tmp_path):
    from classwatch.training.export import _lineage
    from classwatch.training.train import load_run_config, main, train

    out = tmp_path / "warm"
    state = train(replace(tiny_cfg, epochs=1, init=str(tiny_exported), teachers=(str(tiny_exported),)), out)
    stored = load_run_config(out)
    assert state.epochs_done == 1 and stored.init == str(tiny_exported)
    # The card of its export names the files by content, not by a path a later export reuses.
    sha = json.loads(tiny_exported.read_text())["sha256"]
    assert _lineage(stored).count(f"`tiny` 0.0.1 (`.tflite` sha256 `{sha}`)") == 2
    assert "started from" in _lineage(stored) and _lineage(tiny_cfg) == ""
    # A teacher run's folder stays behind, so the card carries its commands and what it used in turn.
    (out / "commands.txt").write_text("python -m classwatch.training.train --out warm\n")
    nested = _lineage(replace(tiny_cfg, teachers=(str(out),)))
    assert "- distilled from run `warm`, made by `python -m classwatch.training.train --out warm`" in nested
    assert f"\n  - started from `tiny` 0.0.1 (`.tflite` sha256 `{sha}`)" in nested
    gone = _lineage(replace(tiny_cfg, init=str(tmp_path / "replaced.json")))
    assert f"- started from `{tmp_path / 'replaced.json'}`, no longer there" in gone
    # A file that is not an exported ExpressionNet stops the command with one line, before any training.
    with pytest.raises(SystemExit, match="cannot read exported model"):
        main(["--data", str(DATA), "--out", str(tmp_path / "bad"), "--init", str(tiny_run / "config.json")])
    with pytest.raises(ValueError, match="stages"):  # a run's shape must be the file's
        train(replace(tiny_cfg, epochs=1, init=str(tiny_exported), model=replace(tiny_cfg.model, stages=((8, 1, False),))),
              tmp_path / "mismatch")


def test_evaluate_runs_and_their_ensemble(tiny_run, fer, capsys):
    from classwatch.training.evaluate import main

    main(["--run", str(tiny_run), "--run", str(tiny_run), "--data", str(DATA), "--split", "dev", "--threads", "1"])
    out = json.loads(capsys.readouterr().out)
    assert out["split"] == "dev" and out["n"] == dev_rows(fer.train.label, 0.1).sum()
    assert out["ensemble"] == out["runs"][str(tiny_run)]  # two copies of one run: their mean is that run
    assert all(0.0 <= v <= 1.0 for v in out["ensemble"].values())
    main(["--run", str(tiny_run), "--data", str(DATA), "--split", "train", "--threads", "1"])
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == len(fer.train) and "ensemble" not in out  # one run: no ensemble line
    with pytest.raises(SystemExit, match="not a training run"):
        main(["--run", str(tiny_run.parent / "missing")])


def test_flip_evaluation_averages_the_mirror_image(tiny_run, fer, capsys):
    from classwatch.metrics import flip_averaged
    from classwatch.training.evaluate import load_member, main

    _, predict = load_member(tiny_run)
    x = np.random.default_rng(0).random((4, 48, 48, 1), dtype=np.float32)
    symmetric = (x + x[:, :, ::-1]) / 2
    np.testing.assert_allclose(flip_averaged(predict, symmetric), predict(symmetric), atol=1e-6)
    main(["--run", str(tiny_run), "--data", str(DATA), "--flip", "--threads", "1"])
    out = json.loads(capsys.readouterr().out)
    assert out["flip"] is True and all(0.0 <= v <= 1.0 for v in out["runs"][str(tiny_run)].values())


def test_evaluate_scores_an_exported_model_beside_its_run(tiny_run, tiny_exported, tmp_path, capsys):
    from classwatch.training.evaluate import main

    main(["--run", str(tiny_run), "--run", str(tiny_exported), "--data", str(DATA), "--threads", "1"])
    runs = json.loads(capsys.readouterr().out)["runs"]
    # The file holds the run's network in float16: the same answers, give or take a rounding tie.
    for key, value in runs[str(tiny_run)].items():
        assert runs[str(tiny_exported)][key] == pytest.approx(value, abs=0.01)
    with pytest.raises(SystemExit, match="--data is needed"):
        main(["--run", str(tiny_exported)])
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(SystemExit, match="invalid model card"):
        main(["--run", str(broken), "--data", str(DATA)])


def test_refuses_to_overwrite_a_run(tiny_cfg, tiny_run):
    from classwatch.training.train import train

    with pytest.raises(SystemExit):
        train(tiny_cfg, tiny_run)


def test_export_round_trip(tiny_run, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from classwatch.preprocess import to_model_input
    from classwatch.training.calibrate import softmax
    from classwatch.training.export import export, load_run_model, tflite_predict
    from classwatch.training.model import predict_logits

    summary = export(tiny_run, tmp_path / "m", "m", "0.0.1", interim=True, command="test", precision="float32")
    card = json.loads((tmp_path / "m.json").read_text())
    assert set(card) == {"name", "version", "file", "sha256", "interim", "classes", "input", "crop", "output",
                         "temperature", "precision"}
    assert card["precision"] == "float32" and set(summary["variants"]) == {"float32", "float16", "int8"}
    assert summary["variants"]["float16"]["max_abs_diff"] < 1e-2  # half-precision weights
    for v in summary["variants"].values():  # every precision timed, in turns, at both batch sizes
        assert set(v["latency_ms_per_face"]) == {1, 25} and min(v["latency_ms_per_face"].values()) > 0
    assert card["file"] == "m.tflite" and card["classes"] == list(EXPRESSIONS) and card["interim"] is True
    assert card["crop"] == {"margin": 0.1, "shift_y": -0.09} and card["output"] == "probabilities"
    assert summary["max_abs_diff"] < 1e-4
    assert (tmp_path / "m.md").read_text().count("INTERIM") >= 1
    assert set(summary["label_agreement"]) == {"fer2013_accuracy", "ferplus_majority_accuracy",
                                               "fer2013_accuracy_where_labels_agree", "fer2013_accuracy_where_they_differ"}
    assert summary["label_agreement"]["fer2013_accuracy"] == pytest.approx(summary["eval"]["accuracy"], abs=1e-4)

    cfg, net = load_run_model(tiny_run)
    x = to_model_input(load_fer(DATA, limit=25).val.pixels, cfg.crop)
    interpreter = Interpreter(model_path=str(tmp_path / "m.tflite"), num_threads=1)
    probs = tflite_predict(interpreter, x, batch=25)  # one call, dynamic batch of 25
    assert probs.shape == (25, 7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probs, softmax(predict_logits(net, x), card["temperature"]), atol=1e-4)


def test_int8_export_matches_pytorch_within_quantization_error(tiny_run, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from classwatch.preprocess import to_model_input
    from classwatch.training.calibrate import softmax
    from classwatch.training.export import export, load_run_model, tflite_predict
    from classwatch.training.model import predict_logits

    summary = export(tiny_run, tmp_path / "q", "q", "0.0.1", interim=True, command="test", precision="int8")
    card = json.loads((tmp_path / "q.json").read_text())
    assert card["precision"] == "int8"
    assert summary["size_bytes"] < summary["variants"]["float32"]["size_bytes"]  # int8 weights (tiny model: metadata dominates)

    cfg, net = load_run_model(tiny_run)
    x = to_model_input(load_fer(DATA, limit=25).val.pixels, cfg.crop)
    interpreter = Interpreter(model_path=str(tmp_path / "q.tflite"), num_threads=1)
    assert interpreter.get_input_details()[0]["dtype"] == np.float32  # classify.py feeds floats either way
    probs = tflite_predict(interpreter, x, batch=25)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=0.02)  # 8-bit probabilities
    np.testing.assert_allclose(probs, softmax(predict_logits(net, x), card["temperature"]), atol=0.05)


def test_precision_choice():
    from classwatch.metrics import evaluate_probs
    from classwatch.training.export import QUANT_MAX_DROP, Variant, choose

    labels = np.arange(200) % 7

    def variant(precision, accuracy, ms, size):
        probs = np.full((200, 7), 0.01)
        right = np.arange(200) < accuracy * 200
        probs[np.arange(200), np.where(right, labels, (labels + 1) % 7)] = 0.94
        return Variant(precision, b"x" * size, evaluate_probs(probs, labels), {1: ms, 25: ms}, 0.0, probs)

    full, half = variant("float32", 0.70, 0.6, 100), variant("float16", 0.70, 0.6, 50)
    small = variant("int8", 0.70 - QUANT_MAX_DROP / 2, 0.3, 25)
    lossy, slow = variant("int8", 0.66, 0.3, 25), variant("int8", 0.70, 0.9, 25)
    assert choose({"float32": full, "float16": half, "int8": small}).precision == "int8"  # smallest that is fine
    assert choose({"float32": full, "float16": half, "int8": lossy}).precision == "float16"
    assert choose({"float32": full, "int8": slow}).precision == "float32"
    assert choose({"float32": full, "int8": lossy}, "int8").precision == "int8"  # forced


def test_stages_option():
    import argparse

    pytest.importorskip("torch")
    from classwatch.training.model import ModelConfig
    from classwatch.training.train import parse_stages

    assert parse_stages("24x1,48x2,160x2s,320x3s,512x2s") == ModelConfig().stages
    with pytest.raises(argparse.ArgumentTypeError):
        parse_stages("24,48")
