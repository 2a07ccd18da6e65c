"""The expression network: a small VGG-style CNN sized for ~1 ms per face on one CPU core.

Full 3x3 convolutions where channels are few (48 and 24 px), depthwise
separable ones where they are many (12 px and below): on XNNPACK a full conv
with few channels is cheap and accurate, while a full 256-channel conv at
6 px would cost more than the rest of the network. Every stage ends in a 2x2
max pool; global average pooling and dropout feed a linear layer producing
logits (softmax and the calibrated temperature are added at export).

Trained in PyTorch: on this 2-core CPU a training step (batch 128) of the
37 M multiply-add network takes 395 ms in PyTorch (channels-last) against
637 ms in TensorFlow/Keras, 1.6x faster (``python benchmarks/train_step.py``). Export rebuilds the same layers in
Keras only to convert them to ``.tflite`` (``export.keras_twin``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..types import N_EXPRESSIONS

#: Batch-norm epsilon, shared with the Keras twin so both compute the same function.
BN_EPS = 1e-3
#: Running statistics move 10% per step: with ~220 steps per epoch they track the
#: weights within an epoch, so per-epoch validation (which picks the checkpoint)
#: sees the model as it is.
BN_MOMENTUM = 0.1


@dataclass(frozen=True)
class ModelConfig:
    size: int = 48
    #: per stage: (channels, number of convs, separable?); the default is the shipped
    #: shape: 36.9 M multiply-adds, ~0.95 ms per face on one core of the development VM.
    stages: tuple[tuple[int, int, bool], ...] = (
        (24, 1, False), (48, 2, False), (160, 2, True), (320, 3, True), (512, 2, True))
    dropout: float = 0.3


class ConvBlock(nn.Module):
    """3x3 conv (full, or depthwise then 1x1 pointwise), batch norm, ReLU; no biases (batch norm has them)."""

    def __init__(self, c_in: int, c_out: int, separable: bool):
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False) if separable else None
        self.conv = nn.Conv2d(c_in, c_out, 1, bias=False) if separable else nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=BN_EPS, momentum=BN_MOMENTUM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.depthwise is not None:
            x = self.depthwise(x)
        return torch.relu(self.bn(self.conv(x)))


class ExpressionNet(nn.Module):
    """(N, 1, size, size) normalised faces -> (N, 7) logits."""

    def __init__(self, cfg: ModelConfig = ModelConfig()):
        super().__init__()
        self.cfg = cfg
        blocks: list[nn.Module] = []
        c_in = 1
        for channels, n_convs, separable in cfg.stages:
            for _ in range(n_convs):
                blocks.append(ConvBlock(c_in, channels, separable))
                c_in = channels
            blocks.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(cfg.dropout)
        self.logits = nn.Linear(c_in, N_EXPRESSIONS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean(dim=(2, 3))
        return self.logits(self.dropout(x))


def count_macs(cfg: ModelConfig) -> int:
    """Multiply-adds of one forward pass for one face (convolutions and the linear layer)."""
    total, c_in, side = 0, 1, cfg.size
    for channels, n_convs, separable in cfg.stages:
        for _ in range(n_convs):
            per_pixel = (9 * c_in + c_in * channels) if separable else 9 * c_in * channels
            total += side * side * per_pixel
            c_in = channels
        side //= 2
    return total + c_in * N_EXPRESSIONS


def as_batch(x: np.ndarray) -> torch.Tensor:
    """(N, S, S, 1) float32 model input (``preprocess.to_model_input``) -> (N, 1, S, S) channels-last tensor.

    With one channel NHWC and channels-last NCHW are the same bytes: no copy.
    """
    return torch.from_numpy(np.ascontiguousarray(x, np.float32)).permute(0, 3, 1, 2)


def predict_logits(model: nn.Module, x: np.ndarray, batch: int = 512) -> np.ndarray:
    """(N, S, S, 1) model input -> (N, 7) float32 logits, in eval mode (batch-norm running statistics, no dropout)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = np.concatenate([model(as_batch(x[i : i + batch])).numpy() for i in range(0, len(x), batch)])
    model.train(was_training)
    return out
