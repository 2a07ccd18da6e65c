"""The GPU teacher's path on the CPU: packing, a tiny time-budgeted run, and distilling from it.

The packing tests need only numpy; the run needs PyTorch and the FER2013 file (shared/data
beside the repo), distilling from it TensorFlow too (the ``train`` extra), as in test_training.py.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from classwatch.training import teacher
from classwatch.training.data import load_fer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fer2013" / "fer2013_trainval.npz"
needs_data = pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} not present")


def test_pixel_coding_is_lossless_and_smaller_after_deflate():
    import zlib

    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.integers(-3, 4, (20, 48, 48)), axis=2).astype(np.uint8)  # wraps around 0/255 too
    extremes = rng.choice(np.array([0, 255], np.uint8), (5, 48, 48))
    for pixels in (smooth, extremes, rng.integers(0, 256, (5, 7, 9), dtype=np.uint8)):
        np.testing.assert_array_equal(teacher.decode_pixels(teacher.encode_pixels(pixels)), pixels)
    assert len(zlib.compress(teacher.encode_pixels(smooth).tobytes())) < len(zlib.compress(smooth.tobytes()))


def test_a_packed_file_loads_like_the_original(tmp_path):
    rng = np.random.default_rng(1)
    n = 40
    original = tmp_path / "fer.npz"
    np.savez(original, pixels=rng.integers(0, 256, (n, 48, 48), dtype=np.uint8), label=rng.integers(0, 7, n).astype(np.int8),
             ferplus=rng.integers(0, 10, (n, 10)).astype(np.uint8), usage=(np.arange(n) % 4 == 0).astype(np.uint8),
             row=np.arange(n, dtype=np.int32))
    packed = tmp_path / "dev" / "fer.npz"
    teacher.pack(original, packed)
    with np.load(packed) as z:
        assert sorted(z.files) == sorted([teacher.PACKED_KEY, "label", "ferplus", "usage", "source"])
    assert teacher.source_of(packed) == str(original) and teacher.source_of(original) == str(original)
    a, b = load_fer(original, 0.25), teacher.load_any(packed, 0.25, None)
    for split in ("train", "val"):
        for field in ("pixels", "label", "target", "majority"):
            np.testing.assert_array_equal(getattr(getattr(a, split), field), getattr(getattr(b, split), field))


@needs_data
def test_a_budgeted_teacher_run_is_a_run_train_can_distil_from(tmp_path):
    torch = pytest.importorskip("torch")
    out = tmp_path / "teacher"
    teacher.main(["train", "--data", str(DATA), "--out", str(out), "--minutes", "0.03", "--limit", "96",
                  "--stages", "8x1,16x1", "--batch-size", "32", "--workers", "0", "--max-epochs", "3"])
    summary = json.loads((out / "teacher.json").read_text())
    assert 1 <= summary["epochs"] <= 3 and 0.0 <= summary["public_test_accuracy"] <= 1.0
    state = json.loads((out / "state.json").read_text())
    assert state["epochs_done"] == summary["epochs"] and len((out / "log.csv").read_text().splitlines()) == state["epochs_done"] + 1
    weights = torch.load(out / "best.pt", weights_only=True)
    assert all(v.dtype == torch.float16 for v in weights.values() if v.is_floating_point())  # half the bytes back

    from classwatch.training.runs import load_run_model

    cfg, net = load_run_model(out)  # what train --teacher and evaluate --run read
    assert cfg.model.stages == ((8, 1, False), (16, 1, False)) and cfg.limit == 96
    assert next(net.parameters()).dtype == torch.float32

    pytest.importorskip("tensorflow")
    from classwatch.training.train import main as train_main

    student = tmp_path / "student"
    train_main(["--data", str(DATA), "--out", str(student), "--epochs", "1", "--limit", "64", "--batch-size", "32",
                "--stages", "8x1,16x1", "--teacher", str(out), "--threads", "1"])
    assert json.loads((student / "config.json").read_text())["teachers"] == [str(out.resolve())]
    assert json.loads((student / "state.json").read_text())["epochs_done"] == 1
