"""A larger teacher network, trained on a lent GPU against a wall-clock budget, for ``train --teacher``.

    python -m classwatch.training.teacher pack --data ../shared/data/fer2013/fer2013_trainval.npz --to .device/fer.npz
    python -m classwatch.training.teacher train --data .device/fer.npz --minutes 8 --out $OUT/teacher
    python -m classwatch.training.train --data ../shared/data/fer2013/fer2013_trainval.npz --out training-runs/NAME \\
        --teacher PATH/teacher [--teacher-flip] ...

``pack`` makes the FER2013 file small enough to travel with the working tree
to the GPU machine (the original is 70 MB and does not compress with zlib):
each image is stored as its residual from the LOCO-I / JPEG-LS median
predictor (left, up, up-left neighbours), which deflate packs to about 54 MB,
and only the arrays training reads are kept. ``train`` reads either file.

The network is an ``ExpressionNet`` (``model.py``) with full 3x3 convolutions
throughout, 64-128-256-512 channels, two convolutions per stage (VGG-style,
470 M multiply-adds, 12.7x the student, 4.7 M weights). Why this shape:

- ``train --teacher`` runs the teacher on the student's own augmented 48 px
  input, converted to ``.tflite`` by ``export.keras_twin``; an ExpressionNet
  of any stages goes through that path unchanged, so the run this writes is
  consumed as it is (no conversion step, no second code path). A ResNet or
  64 px input would need both.
- A VGG-style network of this width with batch norm is among the best
  single networks on FER2013 (Khaidem et al. 2021: 73.3% on PrivateTest with
  64-512 channels); residual connections matter little at 8 convolutions.
- It is the cost the CPU pays later, on every student step: about 13 student
  forward passes per teacher pass (so 20 epochs of warm-restart distillation
  rather than 80 from scratch are the affordable use). ``--stages`` trades
  that against accuracy.

Augmentation is ``augment.py``'s, exactly what the student sees, run by
DataLoader worker processes: it takes ~0.12 ms per face on one core (cv2
crop, JPEG, blur), so 12 workers make ~100k faces/s, more than the GPU
trains on. Batches travel as uint8 (pinned), are normalised on the GPU,
channels-last, in bf16 autocast. The learning rate follows the elapsed share
of ``--minutes`` (warm-up, then cosine to 1%), so the run ends annealed
whenever time is up; PublicTest is scored after each epoch and only picks
the checkpoint, as in ``train.py``.

Output (``--out``): ``config.json`` (a ``TrainConfig``), ``best.pt`` (the
best epoch's weights, float16 so the file stays under the 16 MiB that comes
back from the device), ``state.json``, ``log.csv``, ``commands.txt``, and
``teacher.json`` (PublicTest accuracy with and without flip TTA, epochs,
seconds, device).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .data import FerData, check_data_file, class_weights, load_fer
from .model import ModelConfig
from .runs import BEST_WEIGHTS, RunState, TrainConfig

TEACHER_STAGES = ((64, 2, False), (128, 2, False), (256, 2, False), (512, 2, False))
PACKED_KEY = "pixels_loco"  # median-predictor residuals instead of "pixels"
LOG_FIELDS = ("epoch", "steps", "train_loss", "val_acc", "lr", "seconds")


# ---------------------------------------------------------------- packing

def _predict(left: np.ndarray, up: np.ndarray, up_left: np.ndarray) -> np.ndarray:
    """LOCO-I median edge detector on int16 arrays."""
    lo, hi = np.minimum(left, up), np.maximum(left, up)
    return np.where(up_left >= hi, lo, np.where(up_left <= lo, hi, left + up - up_left))


def encode_pixels(pixels: np.ndarray) -> np.ndarray:
    """(N, H, W) uint8 -> (N, H, W) uint8 residuals (mod 256) from the median predictor."""
    p = np.pad(pixels.astype(np.int16), ((0, 0), (1, 0), (1, 0)))
    pred = _predict(p[:, 1:, :-1], p[:, :-1, 1:], p[:, :-1, :-1])
    return (pixels.astype(np.int16) - pred).astype(np.uint8)


def decode_pixels(residual: np.ndarray) -> np.ndarray:
    """The inverse of ``encode_pixels``: pixel by pixel in raster order, vectorised over images."""
    n, h, w = residual.shape
    p = np.zeros((n, h + 1, w + 1), np.int16)
    r = residual.astype(np.int16)
    for y in range(1, h + 1):
        for x in range(1, w + 1):
            pred = _predict(p[:, y, x - 1], p[:, y - 1, x], p[:, y - 1, x - 1])
            p[:, y, x] = (pred + r[:, y - 1, x - 1]) & 0xFF
    return p[:, 1:, 1:].astype(np.uint8)


def pack(data: Path, to: Path) -> int:
    """Write the packed copy of the FER2013 file; returns its size in bytes."""
    check_data_file(data)
    with np.load(data) as z:
        arrays = {k: z[k] for k in ("label", "ferplus", "usage")}
        pixels = z["pixels"]
    residual = encode_pixels(pixels)
    if not np.array_equal(decode_pixels(residual), pixels):  # lossless, or nothing is written
        raise SystemExit("packing is not lossless; nothing written")
    to.parent.mkdir(parents=True, exist_ok=True)
    # The original's path as given (relative to the project root), for the run's config.json.
    np.savez_compressed(to, **{PACKED_KEY: residual}, **arrays, source=np.array(str(data)))
    return to.stat().st_size


def source_of(path: Path) -> str:
    """The FER2013 file a run should name in its config: the original a packed file was made
    from (where evaluate, export and train --resume find it later), else ``path`` itself."""
    with np.load(path) as z:
        return str(z["source"]) if "source" in z.files else str(path)


def load_any(path: Path, ferplus_weight: float, limit: int | None) -> FerData:
    """``load_fer`` on the original file or on a packed one (unpacked to a temporary file)."""
    with np.load(path) as z:
        if PACKED_KEY not in z.files:
            return load_fer(check_data_file(path), ferplus_weight, limit)
        arrays = {k: z[k] for k in ("label", "ferplus", "usage")}
        pixels = decode_pixels(z[PACKED_KEY])
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "fer.npz"
        np.savez(plain, pixels=pixels, **arrays)
        return load_fer(plain, ferplus_weight, limit)


# ---------------------------------------------------------------- training

class EpochBatches:
    """Item i is batch i of the endless sequence of epochs: (uint8 faces, row indices).

    Epoch e's order and augmentation come from (seed, e) and (seed, e, batch), so
    any worker can make any batch and a run is repeatable for a given worker count.
    """

    def __init__(self, pixels: np.ndarray, cfg: TrainConfig, max_epochs: int):
        self.pixels, self.cfg = pixels, cfg
        self.per_epoch = math.ceil(len(pixels) / cfg.batch_size)
        self.max_epochs = max_epochs

    def __len__(self) -> int:
        return self.per_epoch * self.max_epochs

    def __getitem__(self, i: int):
        import torch

        from .augment import augment_batch

        epoch, b = divmod(i, self.per_epoch)
        order = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(self.pixels))
        rows = order[b * self.cfg.batch_size : (b + 1) * self.cfg.batch_size]
        rng = np.random.default_rng([self.cfg.seed, epoch, b])
        faces = augment_batch(self.pixels[rows], self.cfg.crop, rng, self.cfg.augment)
        return torch.from_numpy(faces), torch.from_numpy(rows)


def schedule(progress: float, peak: float, warmup: float = 0.03) -> float:
    """Learning rate at ``progress`` (0..1 of the budget): linear warm-up from 5%, then cosine to 1% of the peak."""
    if progress < warmup:
        return peak * (0.05 + 0.95 * progress / warmup)
    t = min(1.0, (progress - warmup) / (1.0 - warmup))
    return peak * (0.99 * 0.5 * (1.0 + math.cos(math.pi * t)) + 0.01)


def _normalise(faces, crop, memory_format):
    """(N, S, S) uint8 tensor on the device -> (N, 1, S, S) float model input (``preprocess.to_model_input``)."""
    x = (faces.float() * (1.0 / 255.0) - crop.mean) / crop.std
    return x.unsqueeze(1).contiguous(memory_format=memory_format)


def accuracy(model, faces, labels, crop, autocast, flip: bool = False, batch: int = 1024) -> float:
    """FER2013 accuracy of ``model`` in eval mode on uint8 ``faces`` (a device tensor); ``flip`` averages the mirror image in."""
    import torch

    was_training = model.training
    model.eval()
    probs = []
    with torch.no_grad(), autocast():
        for i in range(0, len(faces), batch):
            x = _normalise(faces[i : i + batch], crop, torch.channels_last)
            p = torch.softmax(model(x).float(), dim=1)
            if flip:
                p = 0.5 * (p + torch.softmax(model(x.flip(3)).float(), dim=1))
            probs.append(p)
    model.train(was_training)
    return float((torch.cat(probs).argmax(1) == labels).float().mean())


def train_teacher(cfg: TrainConfig, data_path: Path, out: Path, minutes: float, workers: int,
                  compile_model: bool = False) -> dict:
    """Train for ``minutes`` (or ``cfg.epochs``) on ``data_path`` (packed or not) into the run directory ``out``."""
    import torch

    from .model import ExpressionNet
    from .train import batch_targets

    cuda = torch.cuda.is_available()
    dev = torch.device("cuda" if cuda else "cpu")
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda)

    out.mkdir(parents=True, exist_ok=True)
    if (out / "state.json").exists():
        raise SystemExit(f"{out} already holds a run; choose another --out")
    t_load = time.time()
    data = load_any(data_path, cfg.ferplus_weight, cfg.limit)
    print(f"data: {len(data.train)} train, {len(data.val)} PublicTest faces, {time.time() - t_load:.1f}s;"
          f" device {torch.cuda.get_device_name() if cuda else 'cpu'}; torch {torch.__version__}", flush=True)
    (out / "config.json").write_text(json.dumps(cfg.to_json(), indent=2))

    torch.manual_seed(cfg.seed)
    model = ExpressionNet(cfg.model).to(dev, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, eps=1e-7,
                                  fused=cuda)
    step_fn = torch.compile(model) if compile_model else model
    target = torch.from_numpy(data.train.target).to(dev)
    weight = torch.from_numpy(class_weights(data.train.label, cfg.class_weight_power)).to(dev)
    label = torch.from_numpy(data.train.label).to(dev)
    val_faces = torch.from_numpy(data.val.pixels).to(dev)
    val_labels = torch.from_numpy(data.val.label).to(dev)

    batches = EpochBatches(data.train.pixels, cfg, max_epochs=cfg.epochs)
    loader = torch.utils.data.DataLoader(
        batches, batch_size=None, shuffle=False, num_workers=workers, pin_memory=cuda,
        prefetch_factor=6 if workers else None, persistent_workers=False)
    budget = minutes * 60.0
    state, log_rows = RunState(), []
    loss_sum = torch.zeros((), device=dev)
    steps = epoch_steps = 0
    t0 = t_epoch = time.time()
    lr = cfg.lr

    def end_epoch(state: RunState) -> RunState:
        """Score PublicTest, keep the best weights (float16), log; returns the new state."""
        epoch = state.epochs_done
        val_acc = accuracy(model, val_faces, val_labels, cfg.crop, autocast)
        best = val_acc > state.best_val_acc
        if best:
            torch.save({k: (v.half() if v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()},
                       out / BEST_WEIGHTS)
        state = RunState(epoch + 1, val_acc if best else state.best_val_acc, epoch if best else state.best_epoch, None)
        (out / "state.json").write_text(json.dumps(asdict(state), indent=2))
        row = dict(zip(LOG_FIELDS, (epoch, epoch_steps, float(loss_sum) / epoch_steps, val_acc, lr, time.time() - t_epoch)))
        log_rows.append(row)
        print(f"epoch {epoch + 1} ({epoch_steps} steps) loss {row['train_loss']:.4f} val_acc {val_acc:.4f}"
              f" best {state.best_val_acc:.4f}@{state.best_epoch + 1} lr {lr:.2e} {row['seconds']:.1f}s"
              f" elapsed {time.time() - t0:.0f}s", flush=True)
        return state

    for faces, rows in loader:
        progress = max((time.time() - t0) / budget, steps / len(batches))
        if progress >= 1.0:
            break
        lr = schedule(progress, cfg.lr)
        for group in optimizer.param_groups:
            group["lr"] = lr
        faces, rows = faces.to(dev, non_blocking=True), rows.to(dev, non_blocking=True)
        t = batch_targets(target[rows], cfg)
        with autocast():
            logits = step_fn(_normalise(faces, cfg.crop, torch.channels_last))
        per_face = -(t * torch.log_softmax(logits.float(), dim=1)).sum(dim=1)
        loss = (weight[label[rows]] * per_face).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach()
        steps += 1
        epoch_steps += 1
        if steps % batches.per_epoch == 0:
            state = end_epoch(state)
            loss_sum.zero_()
            epoch_steps, t_epoch = 0, time.time()
    if epoch_steps:  # the part of an epoch that time cut short
        state = end_epoch(state)
    seconds = time.time() - t0
    del loader  # stops the workers
    with (out / "log.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, LOG_FIELDS)
        w.writeheader()
        w.writerows({k: (f"{v:.5g}" if isinstance(v, float) else v) for k, v in r.items()} for r in log_rows)
    # Score the weights as stored (float16), the ones train --teacher will run.
    model.load_state_dict(torch.load(out / BEST_WEIGHTS, weights_only=True))
    summary = {
        "public_test_accuracy": round(accuracy(model, val_faces, val_labels, cfg.crop, autocast), 4),
        "public_test_accuracy_flip": round(accuracy(model, val_faces, val_labels, cfg.crop, autocast, flip=True), 4),
        "best_epoch": state.best_epoch, "epochs": state.epochs_done, "steps": steps,
        "train_seconds": round(seconds, 1), "faces_per_second": round(steps * cfg.batch_size / seconds),
        "device": torch.cuda.get_device_name() if cuda else "cpu", "torch": torch.__version__,
        "stages": [list(s) for s in cfg.model.stages], "data_limit": cfg.limit,
    }
    (out / "teacher.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary), flush=True)
    return summary


def main(argv: list[str] | None = None) -> None:
    from .train import parse_stages

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    pk = sub.add_parser("pack", help="pack the FER2013 file to travel to the GPU machine")
    pk.add_argument("--data", required=True, type=Path, help="fer2013_trainval.npz")
    pk.add_argument("--to", required=True, type=Path, help="packed file, e.g. .device/fer.npz (an ignored folder)")
    tr = sub.add_parser("train", help="train the teacher for --minutes")
    tr.add_argument("--data", required=True, type=Path, help="the packed file or fer2013_trainval.npz")
    tr.add_argument("--out", required=True, type=Path, help="run directory, e.g. $OUT/teacher")
    tr.add_argument("--minutes", type=float, default=8.0, help="training wall-clock budget (loading and scoring come on top)")
    tr.add_argument("--max-epochs", type=int, default=400, help="stop after this many epochs even with time left")
    tr.add_argument("--stages", type=parse_stages, default=TEACHER_STAGES,
                    help="network stages as CHANNELSxCONVS[s],... (default 64x2,128x2,256x2,512x2)")
    tr.add_argument("--dropout", type=float, default=0.4)
    tr.add_argument("--batch-size", type=int, default=256)
    tr.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate")
    tr.add_argument("--weight-decay", type=float, default=0.05)
    tr.add_argument("--ferplus-weight", type=float, default=0.25, help="FER+ share of the target (the shipped recipe's 0.25)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--limit", type=int, default=None, help="first N rows of each split (tiny test runs)")
    tr.add_argument("--workers", type=int, default=min(12, max(0, (os.cpu_count() or 1) - 2)),
                    help="augmentation worker processes (0: in the main process)")
    tr.add_argument("--compile", action="store_true", help="torch.compile the network (a minute of compiling first)")
    tr.add_argument("--threads", type=int, default=None, help="PyTorch CPU threads (CPU runs)")
    a = p.parse_args(argv)
    if a.command == "pack":
        size = pack(a.data, a.to)
        print(f"{a.to}: {size / 2**20:.1f} MiB")
        return
    import torch

    if a.threads:
        torch.set_num_threads(a.threads)
    cfg = TrainConfig(data=source_of(a.data), epochs=a.max_epochs, batch_size=a.batch_size, lr=a.lr,
                      weight_decay=a.weight_decay, ferplus_weight=a.ferplus_weight, seed=a.seed, limit=a.limit,
                      model=ModelConfig(stages=a.stages, dropout=a.dropout))
    a.out.mkdir(parents=True, exist_ok=True)
    with (a.out / "commands.txt").open("a") as f:
        f.write("python -m classwatch.training.teacher " + " ".join(argv if argv is not None else sys.argv[1:]) + "\n")
    train_teacher(cfg, a.data, a.out, a.minutes, a.workers, a.compile)


if __name__ == "__main__":
    main()
