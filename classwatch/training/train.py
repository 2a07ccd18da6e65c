"""Resumable training loop.

    python -m classwatch.training.train --data PATH --out training-runs/NAME [--epochs N] [--resume] [--seed S]

Each epoch's augmented images and order come from ``(seed, epoch)`` alone, so
a resumed run sees exactly what an uninterrupted one would. After every
epoch the run directory gets a full checkpoint (weights and optimizer state;
the learning rate is a function of the step, so needs no state) under
``ckpt/``, ``state.json`` (the commit point: epoch done, best val accuracy,
checkpoint name) and a line in ``log.csv``; the best epoch's weights are kept
in ``best.pt``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..metrics import flip_averaged
from ..preprocess import to_model_input
from .augment import augment_batch
from .calibrate import nll
from .data import FerData, check_data_file, class_weights, load_fer
from .model import ModelConfig
from .runs import BEST_WEIGHTS, RunState, TrainConfig, load_run_config, load_run_model, set_threads

LOG_FIELDS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")
KEEP_CHECKPOINTS = 2
#: Clean training faces that restore batch-norm statistics for ``--init`` (from_tflite).
INIT_FACES = 4096


def _write_json(path: Path, obj: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2))


def _epoch_images(data: FerData, cfg: TrainConfig, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """The augmented training images of one epoch and their order; a pure function of (seed, epoch)."""
    rng = np.random.default_rng([cfg.seed, epoch])
    order = rng.permutation(len(data.train))
    images = augment_batch(data.train.pixels[order], cfg.crop, rng, cfg.augment)
    return to_model_input(images, cfg.crop), order


def learning_rate(step: int, cfg: TrainConfig, steps_per_epoch: int) -> float:
    """Linear warm-up from 5% of the peak, then cosine decay to 1% of it by the last step."""
    warmup = int(cfg.warmup_epochs * steps_per_epoch)
    if step < warmup:
        return cfg.lr * (0.05 + 0.95 * step / warmup)
    decay = max(1, cfg.epochs * steps_per_epoch - warmup)
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(step - warmup, decay) / decay))
    return cfg.lr * (0.99 * cosine + 0.01)


def _new_model(cfg: TrainConfig, init_faces: np.ndarray | None = None):
    """A network and its optimizer; with ``cfg.init`` and ``init_faces`` (model input) the
    network starts from that exported model, otherwise from random weights."""
    import torch

    from .model import ExpressionNet

    torch.manual_seed(cfg.seed)
    if cfg.init and init_faces is not None:
        from .from_tflite import trainable_net

        model = trainable_net(Path(cfg.init), init_faces, cfg.model).train()
    else:
        model = ExpressionNet(cfg.model)
    model = model.to(memory_format=torch.channels_last)
    # eps 1e-7 (Keras' default, as in the first runs); decay applies to every parameter.
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, eps=1e-7)
    return model, optimizer


def _save(obj, path: Path) -> None:
    """torch.save made atomic: a crash leaves either the old file or the new one."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _validate(model, data: FerData, cfg: TrainConfig) -> tuple[float, float]:
    """(cross-entropy, accuracy) on the validation split, against FER2013 labels."""
    from .model import predict_logits

    logits = predict_logits(model, to_model_input(data.val.pixels, cfg.crop))
    labels = data.val.label
    return nll(logits, labels, 1.0), float((logits.argmax(1) == labels).mean())


class LiteTeacher:
    """A distillation teacher: a network as a ``.tflite`` run by LiteRT,
    1.4x to 2.4x faster than the same network in PyTorch eval mode, with the same probabilities
    (``benchmarks/train_step.py`` times this class). Every step runs every teacher, so this is
    most of what distillation adds to an epoch."""

    def __init__(self, interpreter, temperature: float = 1.0) -> None:
        self.interpreter = interpreter
        self.temperature = temperature

    @classmethod
    def from_net(cls, net, threads: int) -> LiteTeacher:
        """A PyTorch network, converted to float32."""
        from ai_edge_litert.interpreter import Interpreter

        from .export import keras_twin, to_tflite

        return cls(Interpreter(model_content=to_tflite(keras_twin(net, 1.0)), num_threads=threads))

    @classmethod
    def from_run(cls, run: Path, threads: int) -> LiteTeacher:
        """A finished run's best weights."""
        return cls.from_net(load_run_model(run)[1], threads)

    @classmethod
    def from_model(cls, card: Path, threads: int) -> LiteTeacher:
        """An exported model (``NAME.json`` beside its ``.tflite``), which outlives its run."""
        from ..classify import ModelCard
        from ..litert import load_interpreter

        model_card = ModelCard.load(card)
        return cls(load_interpreter(model_card.model_file, threads), model_card.temperature)

    @classmethod
    def load(cls, teacher: str, threads: int) -> LiteTeacher:
        """``teacher`` is a model card (``.json``) or a run directory."""
        path = Path(teacher)
        return cls.from_model(path, threads) if path.suffix == ".json" else cls.from_run(path, threads)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(N, S, S, 1) model input -> (N, 7) probabilities, uncalibrated like a run's own teachers."""
        from .export import tflite_predict

        p = tflite_predict(self.interpreter, x, len(x))
        if self.temperature == 1.0:
            return p
        # An exported file outputs softmax(z / T); its T-th power renormalised is softmax(z).
        p = p.astype(np.float64) ** self.temperature
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def teacher_probs(teachers, x: np.ndarray, flip: bool = False) -> np.ndarray:
    """The teachers' mean probabilities on the batch (an ensemble averages probabilities, not logits);
    with ``flip`` each teacher also reads the batch mirrored."""
    return np.mean([flip_averaged(t, x) if flip else t(x) for t in teachers], axis=0, dtype=np.float32)


def batch_targets(target, cfg: TrainConfig, teacher=None):
    """The training target of a batch: the data's soft target, label-smoothed, mixed with the
    teachers' probabilities ``teacher`` when there are teachers. Tensors (N, 7) in, (N, 7) rows summing to 1 out."""
    t = target * (1.0 - cfg.label_smoothing) + cfg.label_smoothing / target.shape[1]
    if teacher is None:
        return t
    return (1.0 - cfg.distill_weight) * t + cfg.distill_weight * teacher


def _train_epoch(model, optimizer, x: np.ndarray, target: np.ndarray, weight: np.ndarray, cfg: TrainConfig, epoch: int,
                 teachers=()):
    """One pass over (x, target) in order; returns (mean loss, accuracy against the target's top class)."""
    import torch

    from .model import as_batch

    torch.manual_seed(cfg.seed * 100_003 + epoch)  # dropout masks
    steps = math.ceil(len(x) / cfg.batch_size)
    model.train()
    loss_sum = correct = 0.0
    for i in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(epoch * steps + i, cfg, steps)
        part = slice(i * cfg.batch_size, (i + 1) * cfg.batch_size)
        xb = as_batch(x[part])
        teacher = torch.from_numpy(teacher_probs(teachers, x[part], cfg.teacher_flip)) if teachers else None
        t = batch_targets(torch.from_numpy(target[part]), cfg, teacher)
        logits = model(xb)
        per_face = -(t * torch.log_softmax(logits, dim=1)).sum(dim=1)
        loss = (torch.from_numpy(weight[part]) * per_face).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(t)
        correct += float((logits.argmax(1) == t.argmax(1)).sum())
    return loss_sum / len(x), correct / len(x)


def _truncate_log(path: Path, epochs_done: int) -> None:
    """Drop log lines of epochs that ran after the last committed checkpoint."""
    if not path.exists():
        return
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if int(r["epoch"]) < epochs_done]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, LOG_FIELDS)
        w.writeheader()
        w.writerows(rows)


def train(cfg: TrainConfig, out: Path, resume: bool = False, max_epochs_now: int | None = None) -> RunState:
    """Train (or continue) the run in ``out``; ``max_epochs_now`` stops early, e.g. to fit a session."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    (out / "ckpt").mkdir(exist_ok=True)
    state_path, log_path = out / "state.json", out / "log.csv"
    resuming = resume and state_path.exists()
    if resuming:  # the stored config wins, except where the data file lives now
        cfg = replace(load_run_config(out), data=cfg.data)
    data = load_fer(Path(cfg.data), cfg.ferplus_weight, cfg.limit, cfg.dev_fraction)
    # A resumed run's weights come from its checkpoint, so --init is read only at the start.
    init_faces = None if resuming or not cfg.init else to_model_input(data.train.pixels[:INIT_FACES], cfg.crop)
    model, optimizer = _new_model(cfg, init_faces)
    teachers = [LiteTeacher.load(t, torch.get_num_threads()) for t in cfg.teachers]

    if resuming:
        state = RunState(**json.loads(state_path.read_text()))
        ckpt = torch.load(out / "ckpt" / state.checkpoint, weights_only=True)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        _truncate_log(log_path, state.epochs_done)
        print(f"resuming {out} after epoch {state.epochs_done} (best val acc {state.best_val_acc:.4f})", flush=True)
    else:
        if state_path.exists():
            raise SystemExit(f"{out} already holds a run; pass --resume or choose another --out")
        _write_json(out / "config.json", cfg.to_json())
        state = RunState()
        _truncate_log(log_path, 0)

    last = cfg.epochs if max_epochs_now is None else min(cfg.epochs, state.epochs_done + max_epochs_now)
    if state.epochs_done >= last:
        return state
    weights = class_weights(data.train.label, cfg.class_weight_power).astype(np.float32)
    with ThreadPoolExecutor(1) as pool:
        # Augment the next epoch on a worker thread while this one trains
        # (OpenCV and most numpy work release the GIL).
        pending = pool.submit(_epoch_images, data, cfg, state.epochs_done)
        for epoch in range(state.epochs_done, last):
            t0 = time.time()
            x, order = pending.result()
            if epoch + 1 < last:
                pending = pool.submit(_epoch_images, data, cfg, epoch + 1)
            label = data.train.label[order]
            train_loss, train_acc = _train_epoch(model, optimizer, x, data.train.target[order], weights[label], cfg, epoch, teachers)
            val_loss, val_acc = _validate(model, data, cfg)
            ckpt = f"epoch_{epoch:03d}.pt"
            _save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, out / "ckpt" / ckpt)
            best = val_acc > state.best_val_acc
            if best:
                _save(model.state_dict(), out / BEST_WEIGHTS)
            state = RunState(
                epoch + 1,
                val_acc if best else state.best_val_acc,
                epoch if best else state.best_epoch,
                ckpt,
            )
            _write_json(state_path, asdict(state))
            for old in sorted((out / "ckpt").glob("epoch_*.pt"))[:-KEEP_CHECKPOINTS]:
                old.unlink()
            lr = optimizer.param_groups[0]["lr"]
            row = dict(zip(LOG_FIELDS, (epoch, train_loss, train_acc, val_loss, val_acc, lr, time.time() - t0)))
            new_log = not log_path.exists() or log_path.stat().st_size == 0
            with log_path.open("a", newline="") as f:
                w = csv.DictWriter(f, LOG_FIELDS)
                if new_log:
                    w.writeheader()
                w.writerow({k: (f"{v:.5g}" if isinstance(v, float) else v) for k, v in row.items()})
            print(
                f"epoch {epoch + 1}/{cfg.epochs} loss {train_loss:.4f} val_acc {val_acc:.4f}"
                f" best {state.best_val_acc:.4f}@{state.best_epoch + 1} lr {lr:.2e} {row['seconds']:.0f}s",
                flush=True,
            )
    return state


def parse_stages(text: str) -> tuple[tuple[int, int, bool], ...]:
    """'24x1,48x2,128x2s' -> ((24, 1, False), (48, 2, False), (128, 2, True))."""
    try:
        stages = []
        for part in text.split(","):
            channels, convs = part.strip().removesuffix("s").split("x")
            stages.append((int(channels), int(convs), part.strip().endswith("s")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"stages must look like 24x1,48x2,128x2s, not {text!r}") from None
    return tuple(stages)


def _check_exported(card: Path) -> ModelConfig:
    """The network shape of an exported model, or a one-line exit if it cannot be read as one."""
    from ..errors import ModelError
    from .from_tflite import read_exported

    try:
        return read_exported(card).config
    except (ModelError, ValueError) as exc:  # ValueError: a model that is not an ExpressionNet
        raise SystemExit(f"cannot read exported model {card}: {exc}") from None


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="fer2013_trainval.npz")
    p.add_argument("--out", required=True, type=Path, help="run directory (training-runs/NAME)")
    p.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    p.add_argument("--lr", type=float, default=TrainConfig.lr)
    p.add_argument("--ferplus-weight", type=float, default=TrainConfig.ferplus_weight)
    p.add_argument("--class-weight-power", type=float, default=TrainConfig.class_weight_power)
    p.add_argument("--seed", type=int, default=TrainConfig.seed)
    p.add_argument("--teacher", type=Path, action="append", default=[],
                   help="a finished run (its best weights) or an exported model's card (models/NAME.json) to distil "
                        "from; repeat for an ensemble")
    p.add_argument("--distill-weight", type=float, default=TrainConfig.distill_weight,
                   help="share of the teachers' mean probabilities in the target")
    p.add_argument("--teacher-flip", action="store_true",
                   help="each teacher also reads the mirrored face; its two readings are averaged")
    p.add_argument("--init", type=Path, default=None,
                   help="start from this exported model's weights (models/NAME.json) instead of random ones")
    p.add_argument("--limit", type=int, default=None, help="first N rows of each split (tiny test runs)")
    p.add_argument("--dev-fraction", type=float, default=0.0,
                   help="validate on this stratified share of Training, held out (design experiments), not PublicTest")
    p.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint (its stored config wins)")
    p.add_argument("--max-epochs-now", type=int, default=None, help="stop after this many epochs (resume later)")
    p.add_argument("--threads", type=int, default=2, help="PyTorch threads")
    p.add_argument("--stages", type=parse_stages, default=None,
                   help="network stages as CHANNELSxCONVS[s],... ('s': separable), default 24x1,48x2,160x2s,320x3s,512x2s")
    a = p.parse_args(argv)
    check_data_file(a.data)
    cards = [t for t in a.teacher if t.suffix == ".json"] + ([a.init] if a.init else [])
    shapes = {card: _check_exported(card) for card in cards}  # bad files fail now, not hours in
    stages = a.stages or (shapes[a.init].stages if a.init else None)
    set_threads(a.threads)
    cfg = TrainConfig(
        data=a.data, epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, ferplus_weight=a.ferplus_weight,
        class_weight_power=a.class_weight_power, seed=a.seed, limit=a.limit, dev_fraction=a.dev_fraction,
        teachers=tuple(str(t.resolve()) for t in a.teacher), distill_weight=a.distill_weight,
        teacher_flip=a.teacher_flip, init=str(a.init.resolve()) if a.init else None,
        model=ModelConfig(stages=stages) if stages else ModelConfig(),
    )
    a.out.mkdir(parents=True, exist_ok=True)
    with (a.out / "commands.txt").open("a") as f:  # provenance for the model card
        f.write("python -m classwatch.training.train " + " ".join(argv if argv is not None else sys.argv[1:]) + "\n")
    train(cfg, a.out, a.resume, a.max_epochs_now)


if __name__ == "__main__":
    main()
