"""The expression network: a small VGG-style CNN sized for ~1 ms per face on one CPU core.

Full 3x3 convolutions where channels are few (48 and 24 px), depthwise
separable ones where they are many (12 and 6 px): on XNNPACK a full conv with
few channels is cheap and accurate, while a full 256-channel conv at 6 px
would cost more than the rest of the network. Every stage ends in a 2x2 max
pool; global average pooling and dropout feed a linear layer producing
logits (softmax and the calibrated temperature are added at export).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from ..types import N_EXPRESSIONS


@dataclass(frozen=True)
class ModelConfig:
    size: int = 48
    #: per stage: (channels, number of convs, separable?)
    #: ~26 M multiply-adds, ~0.5 ms per face on one core. Widening the 24 px
    #: stage to 64 channels costs 40 M / ~0.9 ms and 1.5x the training time.
    stages: tuple[tuple[int, int, bool], ...] = ((24, 1, False), (48, 2, False), (128, 2, True), (256, 2, True))
    dropout: float = 0.3


def _conv(x, channels: int, separable: bool):
    conv = layers.SeparableConv2D if separable else layers.Conv2D
    x = conv(channels, 3, padding="same", use_bias=False)(x)
    # momentum 0.9 (Keras default 0.99): with ~220 steps per epoch the running
    # statistics then track the weights within an epoch, so per-epoch
    # validation (which picks the checkpoint) sees the model as it is.
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.ReLU()(x)


def build_model(cfg: ModelConfig = ModelConfig()) -> keras.Model:
    """Keras model: (None, size, size, 1) normalised input -> (None, 7) logits."""
    inputs = keras.Input((cfg.size, cfg.size, 1), name="face")
    x = inputs
    for channels, n_convs, separable in cfg.stages:
        for _ in range(n_convs):
            x = _conv(x, channels, separable)
        x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(cfg.dropout)(x)
    logits = layers.Dense(N_EXPRESSIONS, name="logits")(x)
    return keras.Model(inputs, logits, name="expression_cnn")


def count_macs(model: keras.Model) -> int:
    """Multiply-adds of one forward pass for one face (conv and dense layers only)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.SeparableConv2D, layers.Dense)):
            out = layer.output.shape
            pixels = int(out[1] * out[2]) if len(out) == 4 else 1
            total += pixels * sum(int(w.numpy().size) for w in layer.weights if w.path.endswith(("kernel", "depthwise_kernel", "pointwise_kernel")))
    return total
