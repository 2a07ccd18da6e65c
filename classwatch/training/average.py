"""Average the weights of a run's last epochs (stochastic weight averaging) into a new run folder.

    python -m classwatch.training.average --run training-runs/NAME --checkpoints DIR [--last 8] \
        --out training-runs/NAME_swa

Late in a cosine schedule successive epochs sit around the same optimum; their
mean usually generalises better than any one of them (Izmailov et al. 2018,
"Averaging Weights Leads to Wider Optima"). ``DIR`` holds ``epoch_NNN.keras``
checkpoints (the run itself keeps only the last two, so copy them aside as
training goes). Batch-norm statistics are re-estimated on un-augmented
training faces, since the mean of several networks' statistics does not
describe the averaged network. The result is written as a run folder
(config, state, ``best.weights.h5``) that ``classwatch.training.export``
takes like any other; the validation accuracy of the average and of the
run's own best epoch are printed so the better one can be exported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from ..preprocess import to_model_input
from .data import load_fer
from .train import RunState, TrainConfig, _validate, _write_json, set_threads

#: Training faces (un-augmented) used to re-estimate batch-norm statistics.
BN_FACES = 4096
BN_BATCH = 256


def average_weights(paths: list[Path]) -> list[np.ndarray]:
    import keras

    models = [keras.models.load_model(p, compile=False) for p in paths]
    return [np.mean(ws, axis=0) for ws in zip(*(m.get_weights() for m in models))]


def recalibrate_batch_norm(model, faces: np.ndarray) -> None:
    """Replace every batch-norm layer's moving statistics by their plain mean over ``faces``."""
    import keras

    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [layer.momentum for layer in norms]
    for step, start in enumerate(range(0, len(faces), BN_BATCH)):
        for layer in norms:
            layer.momentum = step / (step + 1)  # a running mean: batch k weighs 1/(k+1)
        model(faces[start : start + BN_BATCH], training=True)
    for layer, momentum in zip(norms, saved):
        layer.momentum = momentum


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, type=Path)
    p.add_argument("--checkpoints", required=True, type=Path, help="folder of epoch_NNN.keras files")
    p.add_argument("--last", type=int, default=8, help="average this many of the latest epochs")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    set_threads(a.threads)
    import keras

    from .model import build_model

    paths = sorted(a.checkpoints.glob("epoch_*.keras"))[-a.last :]
    if len(paths) < 2:
        raise SystemExit(f"need at least 2 checkpoints in {a.checkpoints}, found {len(paths)}")
    cfg = TrainConfig.from_json(json.loads((a.run / "config.json").read_text()))
    data = load_fer(Path(cfg.data), cfg.ferplus_weight, cfg.limit)

    model = build_model(cfg.model)
    model.set_weights(average_weights(paths))
    faces = to_model_input(data.train.pixels[np.random.default_rng(0).permutation(len(data.train))[:BN_FACES]], cfg.crop)
    recalibrate_batch_norm(model, faces)
    _, averaged = _validate(model, data, cfg)
    best = build_model(cfg.model)
    best.load_weights(a.run / "best.weights.h5")
    _, single = _validate(best, data, cfg)

    a.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(a.run / "config.json", a.out / "config.json")
    state = RunState(**json.loads((a.run / "state.json").read_text()))
    _write_json(a.out / "state.json", asdict(replace(state, best_val_acc=averaged, checkpoint=None)))
    model.save_weights(a.out / "best.weights.h5")
    commands = (a.run / "commands.txt").read_text() if (a.run / "commands.txt").exists() else ""
    command = "python -m classwatch.training.average " + " ".join(argv if argv is not None else sys.argv[1:])
    (a.out / "commands.txt").write_text(commands + command + "\n")
    names = ", ".join(p.stem for p in paths)
    print(json.dumps({"averaged": names, "val_acc_average": averaged, "val_acc_best_epoch": single}, indent=2))
    keras.backend.clear_session()


if __name__ == "__main__":
    main()
