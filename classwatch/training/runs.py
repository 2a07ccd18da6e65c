"""A training run's folder as the training tools share it: its configuration, its
commit point (``state.json``) and its best weights.

Its own module so that ``train`` (which writes runs) and ``export``/``evaluate``
(which read them) do not import each other.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..preprocess import CropSpec
from .augment import AugmentConfig
from .model import ModelConfig

BEST_WEIGHTS = "best.pt"  # the best epoch's model state_dict


@dataclass(frozen=True)
class TrainConfig:
    data: str
    epochs: int = 16
    batch_size: int = 128
    lr: float = 2e-3  # peak learning rate after warm-up
    warmup_epochs: float = 1.0
    weight_decay: float = 0.01  # AdamW decoupled decay (scaled by the learning rate)
    label_smoothing: float = 0.05
    ferplus_weight: float = 0.5  # share of the FER+ vote distribution in the target
    class_weight_power: float = 0.3  # 0 = none, 1 = inverse frequency
    seed: int = 0
    limit: int | None = None
    dev_fraction: float = 0.0  # > 0: validate on this share of Training (data.dev_rows), not PublicTest
    # Normalisation from the FER2013 training pixels (mean 0.507, std 0.254).
    # margin/shift_y do not change the training images (see augment._geometry);
    # they are the run-time framing: BlazeFace short-range run on 3,000 FER
    # training images finds a box ~40 px wide centred 4.5 px below the crop
    # centre, i.e. median margin 0.10 and shift_y -0.09 (the crop centre sits
    # above the box centre: FER crops keep the forehead).
    crop: CropSpec = CropSpec(size=48, margin=0.10, shift_y=-0.09, mean=0.507, std=0.254)
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # Knowledge distillation: finished runs whose mean predicted probabilities on the
    # same augmented faces take this share of the target (Hinton et al. 2015; with a
    # teacher of the student's own size, "born-again networks", Furlanello et al. 2018).
    # Several teachers make an ensemble, which is right more often than any member.
    teachers: tuple[str, ...] = ()
    distill_weight: float = 0.5
    # Each teacher also reads the mirror image and its two readings are averaged:
    # flip test-time augmentation makes a teacher right more often, for one more
    # forward pass per teacher (``evaluate --flip`` measures what it buys).
    teacher_flip: bool = False
    # Start from an exported model's weights (its card, ``models/NAME.json``) instead of
    # random ones: a warm restart. Run directories do not outlive the machine they trained
    # on; shipped models do. The learning-rate schedule starts afresh (warm-up, then cosine).
    init: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "TrainConfig":
        def tuples(v):
            return tuple(tuples(i) for i in v) if isinstance(v, list) else v

        nested = {"crop": CropSpec, "model": ModelConfig, "augment": AugmentConfig}
        if d.get("teacher"):  # runs started before ensembles held a single "teacher"
            d = {**d, "teachers": [d["teacher"]]}
        kw = {}
        for f in fields(cls):
            if f.name not in d:
                continue
            v = d[f.name]
            kw[f.name] = nested[f.name](**{k: tuples(x) for k, x in v.items()}) if f.name in nested else tuples(v)
        return cls(**kw)


@dataclass(frozen=True)
class RunState:
    epochs_done: int = 0
    best_val_acc: float = -1.0
    best_epoch: int = -1
    checkpoint: str | None = None  # file name under ckpt/


def load_run_config(run: Path) -> TrainConfig:
    return TrainConfig.from_json(json.loads((run / "config.json").read_text()))


def load_run_model(run: Path):
    """(config, PyTorch network in eval mode) with the run's best weights."""
    import torch

    from .model import ExpressionNet

    cfg = load_run_config(run)
    net = ExpressionNet(cfg.model)
    net.load_state_dict(torch.load(run / BEST_WEIGHTS, weights_only=True))
    return cfg, net.eval()


def set_threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)
