"""Compare training runs (PyTorch, best weights) and exported models on FER2013 labels and on FER+ crowd labels.

    python -m classwatch.training.evaluate --run training-runs/A --run models/NAME.json \
        [--split public|dev|train] [--dev-fraction 0.1] [--flip] [--data PATH]

A ``--run`` is a run directory or an exported model's card; either is
scored with its uncalibrated probabilities (temperature 1), as a
distillation teacher would be.

FER2013's own labels and the FER+ crowd majority agree on only 63% of rows,
so a training target can trade one for the other. Per run, and for the
ensemble of all runs given (mean probabilities, what ``train --teacher``
distils from), this prints accuracy against the FER2013 label (what the
project reports), against the FER+ majority (what ten people saw), and the
FER2013 accuracy on the rows where the two agree and where they do not.

``--split dev`` scores the held-out share of Training (``data.dev_rows``)
that design experiments (``train --dev-fraction``) validate on, so such
decisions never look at PublicTest. ``--split train`` scores the clean
Training faces the runs learnt from: far above PublicTest means
overfitting, close to it means the network is too small (or too
regularised) for the data. ``--flip`` scores every run with horizontal-flip
test-time augmentation (the face and its mirror image, probabilities
averaged), what ``train --teacher-flip`` distils from.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..classify import ModelCard
from ..errors import ModelError
from ..metrics import flip_averaged
from ..preprocess import CropSpec, to_model_input
from .calibrate import softmax
from .data import check_data_file, label_agreement, load_fer
from .model import predict_logits
from .runs import load_run_config, load_run_model, set_threads
from .train import LiteTeacher

SPLITS = ("public", "dev", "train")


def load_member(path: Path, threads: int = 1) -> tuple[CropSpec, Callable[[np.ndarray], np.ndarray]]:
    """(its crop, (N, S, S, 1) model input -> (N, 7) uncalibrated probabilities) of a run or a model card."""
    if path.suffix == ".json":
        return ModelCard.load(path).crop, LiteTeacher.from_model(path, threads)
    cfg, net = load_run_model(path)
    return cfg.crop, lambda faces: softmax(predict_logits(net, faces))


def evaluate_runs(runs: list[Path], data_path: Path, split: str = "public", dev_fraction: float = 0.1,
                  flip: bool = False) -> dict:
    """Label agreement per run or model (keyed by the path as given: two runs may share a folder
    name) and for their ensemble, on PublicTest, the dev rows, or all Training rows; ``flip`` averages
    in the mirror images."""
    members = [load_member(run) for run in runs]
    crop = members[0][0]
    data = load_fer(data_path, dev_fraction=dev_fraction if split == "dev" else 0.0)
    fer = data.train if split == "train" else data.val
    majority = fer.majority
    x = to_model_input(fer.pixels, crop)
    out = {"split": split, "n": len(fer), "flip": flip, "runs": {}}
    all_probs = []
    for run, (member_crop, predict) in zip(runs, members):
        if member_crop != crop:
            raise SystemExit(f"{run}: its crop {member_crop} differs from {runs[0]}'s; compare runs with one crop")
        probs = flip_averaged(predict, x) if flip else predict(x)
        all_probs.append(probs)
        out["runs"][str(run)] = label_agreement(probs, fer.label, majority)
    if len(runs) > 1:
        out["ensemble"] = label_agreement(np.mean(all_probs, axis=0), fer.label, majority)
    out["labels_agree_share"] = round(float((majority == fer.label).mean()), 4)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, type=Path, action="append",
                   help="training-runs/NAME or models/NAME.json (repeat)")
    p.add_argument("--data", type=Path, default=None,
                   help="fer2013_trainval.npz (default: the first training run's)")
    p.add_argument("--split", choices=SPLITS, default="public")
    p.add_argument("--dev-fraction", type=float, default=0.1, help="with --split dev: the share train --dev-fraction held out")
    p.add_argument("--flip", action="store_true", help="horizontal-flip test-time augmentation (2x the cost)")
    p.add_argument("--threads", type=int, default=2, help="PyTorch threads")
    a = p.parse_args(argv)
    set_threads(a.threads)
    missing = [str(r) for r in a.run if not (r.suffix == ".json" or (r / "config.json").exists())]
    if missing:
        raise SystemExit(f"not a training run (no config.json) or a model card: {', '.join(missing)}")
    runs = [r for r in a.run if r.suffix != ".json"]
    if a.data is None and not runs:
        raise SystemExit("--data is needed when only exported models are compared")
    data = check_data_file(a.data or load_run_config(runs[0]).data)
    try:
        print(json.dumps(evaluate_runs(a.run, data, a.split, a.dev_fraction, a.flip), indent=2))
    except ModelError as exc:  # a missing or corrupt model file: one line, not a traceback
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
