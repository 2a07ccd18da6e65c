"""An exported expression model read back into a trainable PyTorch network.

    net = trainable_net(models/NAME.json, faces)

Training runs live outside git, so a shipped ``.tflite`` can outlive the run
that made it. This module lets that file seed a new run (``train --init``,
a warm restart) and serve as a distillation teacher (``train --teacher``).

The export folded each batch norm into the convolution before it (weight and
bias) and divided the logits by the calibrated temperature. Reading back:

* the stages come from the op sequence (3x3 conv: full block; depthwise then
  1x1 conv: separable block; max pool: end of a stage);
* each folded ``conv(x) + b`` becomes ``BN(s * conv(x))`` again, with
  statistics measured on ``faces`` so batch norm in training mode sees the
  activations it normalises. ``s`` rescales each output channel to unit
  variance, the scale a freshly initialised layer has, because the size of
  an Adam step relative to a weight depends on the weight's scale;
* the logits are multiplied back by the temperature.

In eval mode the network computes what the file computes (float16 weights are
widened exactly), which the tests check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..classify import ModelCard
from .model import BN_EPS, ConvBlock, ExpressionNet, ModelConfig, as_batch

#: Below this standard deviation a channel is treated as dead and not rescaled.
MIN_STD = 1e-3


@dataclass(frozen=True)
class FoldedConv:
    """One ConvBlock as the ``.tflite`` stores it, in PyTorch layouts."""

    depthwise: np.ndarray | None  # (C_in, 1, 3, 3), separable blocks only
    weight: np.ndarray  # (C_out, C_in, k, k)
    bias: np.ndarray  # (C_out,), the folded batch norm


@dataclass(frozen=True)
class ExportedNet:
    config: ModelConfig
    convs: tuple[FoldedConv, ...]
    logits_weight: np.ndarray  # (7, C), raw logits (temperature undone)
    logits_bias: np.ndarray  # (7,)


def read_exported(card: Path) -> ExportedNet:
    """Walk the ops of a model card's file and collect the folded layers of an ExpressionNet export."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    model_card = ModelCard.load(card)
    tflite, temperature = model_card.model_file, model_card.temperature
    interpreter = Interpreter(model_path=str(tflite),
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    ops = interpreter._get_ops_details()  # the public API lists tensors, not how ops connect them
    # float16 exports widen each weight with a DEQUANTIZE op: read the stored constant instead.
    source = {int(op["outputs"][0]): int(op["inputs"][0]) for op in ops if op["op_name"] == "DEQUANTIZE"}

    def const(index: int) -> np.ndarray:
        return np.asarray(interpreter.get_tensor(source.get(int(index), int(index))), np.float32)

    stages: list[tuple[int, int, bool]] = []
    convs: list[FoldedConv] = []
    block: list[FoldedConv] = []  # the blocks of the current stage
    depthwise = None
    logits = None
    for op in ops:
        name, inputs = op["op_name"], op["inputs"]
        if name == "DEPTHWISE_CONV_2D":
            if np.any(const(inputs[2])):
                raise ValueError(f"{tflite}: a depthwise conv with a bias is not an ExpressionNet export")
            depthwise = const(inputs[1]).transpose(3, 0, 1, 2)  # (1, 3, 3, C) -> (C, 1, 3, 3)
        elif name == "CONV_2D":
            weight = const(inputs[1]).transpose(0, 3, 1, 2)  # (O, kh, kw, I) -> (O, I, kh, kw)
            block.append(FoldedConv(depthwise, weight, const(inputs[2])))
            depthwise = None
        elif name == "MAX_POOL_2D":
            kinds = {(c.weight.shape[0], c.depthwise is not None) for c in block}
            if len(kinds) != 1:
                raise ValueError(f"{tflite}: a stage mixes layer shapes {sorted(kinds)}")
            (channels, separable), = kinds
            stages.append((channels, len(block), separable))
            convs += block
            block = []
        elif name == "FULLY_CONNECTED":
            logits = (const(inputs[1]) * temperature, const(inputs[2]) * temperature)
    if logits is None or not stages or block:
        raise ValueError(f"{tflite}: not an ExpressionNet export")
    size = int(interpreter.get_input_details()[0]["shape"][1])
    return ExportedNet(ModelConfig(size=size, stages=tuple(stages)), tuple(convs), *logits)


def trainable_net(card: Path, faces: np.ndarray, config: ModelConfig | None = None, batch: int = 256) -> ExpressionNet:
    """The network of ``card`` (``NAME.json``) with its weights, batch norm restored from
    ``faces`` ((N, S, S, 1) model input, training faces); in eval mode. ``config`` (the run's)
    sets what the file does not store, such as dropout, and must match its shape."""
    import torch

    exported = read_exported(card)
    shape = exported.config
    if config is not None and (config.size, config.stages) != (shape.size, shape.stages):
        raise ValueError(f"{card} holds a {shape.size}px network with stages {shape.stages}, "
                         f"not {config.size}px with {config.stages}")
    net = ExpressionNet(config or shape)
    blocks = [b for b in net.features if isinstance(b, ConvBlock)]
    with torch.no_grad():
        for b, folded in zip(blocks, exported.convs, strict=True):
            if folded.depthwise is not None:
                b.depthwise.weight.copy_(torch.from_numpy(folded.depthwise))
            b.conv.weight.copy_(torch.from_numpy(folded.weight))
            # Batch norm as "add the folded bias": (x - 0) / sqrt(1 - eps + eps) * 1 + bias.
            b.bn.running_mean.zero_()
            b.bn.running_var.fill_(1.0 - BN_EPS)
            b.bn.weight.fill_(1.0)
            b.bn.bias.copy_(torch.from_numpy(folded.bias))
        net.logits.weight.copy_(torch.from_numpy(exported.logits_weight))
        net.logits.bias.copy_(torch.from_numpy(exported.logits_bias))
    net.eval()

    sums = [torch.zeros(3, b.conv.out_channels, dtype=torch.float64) for b in blocks]  # count, sum, sum of squares

    def record(stats):
        def hook(_module, _inputs, y):
            y = y.transpose(0, 1).reshape(y.shape[1], -1).double()
            stats.add_(torch.stack([torch.full((y.shape[0],), float(y.shape[1]), dtype=torch.float64),
                                  y.sum(1), (y * y).sum(1)]))
        return hook

    handles = [b.conv.register_forward_hook(record(s)) for b, s in zip(blocks, sums)]
    with torch.no_grad():
        for i in range(0, len(faces), batch):
            net(as_batch(faces[i : i + batch]))
    for h in handles:
        h.remove()

    with torch.no_grad():
        for b, (n, total, squares) in zip(blocks, sums):
            mean = total / n
            std = (squares / n - mean * mean).clamp(min=0).sqrt()
            scale = torch.where(std > MIN_STD, 1.0 / std, torch.ones_like(std))
            # BN(s*conv(x)) = gamma * (s*conv(x) - s*mean) / sqrt(s^2 var + eps) + beta = conv(x) + bias
            # when gamma = sqrt(s^2 var + eps) / s and beta = bias + mean.
            b.conv.weight.mul_(scale.view(-1, 1, 1, 1).float())
            b.bn.running_mean.copy_(scale * mean)
            b.bn.running_var.copy_(scale * scale * std * std)
            b.bn.weight.copy_((scale * scale * std * std + BN_EPS).sqrt() / scale)
            b.bn.bias.add_(mean.float())
    return net
