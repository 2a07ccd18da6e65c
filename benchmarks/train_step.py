"""Training speed of the expression network, two comparisons on one random batch of 48x48 faces:

1. a training step (forward, backward, AdamW update) in PyTorch (what trains) against
   TensorFlow/Keras (what trained before);
2. a distillation teacher's forward pass (``train --teacher``) in PyTorch eval mode against
   the same network as a float32 ``.tflite`` run by LiteRT (XNNPACK), what teachers run on now.

    python benchmarks/train_step.py [--stages 24x1,48x2,160x2s,320x3s,512x2s] [--batch 128] [--steps 20] [--threads 2]

The Keras and ``.tflite`` networks are ``export.keras_twin`` of the PyTorch
one (same layers and weights). Within a comparison the two runtimes
alternate in rounds so background load hits both alike; the median of each
is reported with the ratio. Run it on an otherwise idle machine (pause a
training run with ``kill -STOP``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)
import numpy as np


def alternate(runners: dict[str, Callable[[], object]], steps: int, rounds: int) -> dict[str, float]:
    """{name: median seconds per call}; ``steps`` calls of each runner per round, runners taking turns."""
    for fn in runners.values():  # warm-up: graph tracing, oneDNN primitive caches, XNNPACK weight packing
        for _ in range(3):
            fn()
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, fn in runners.items():
            for _ in range(steps):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def report(what: str, medians: dict[str, float], baseline: str) -> None:
    print(what)
    for name, med in medians.items():
        print(f"  {name:20s} median {1000 * med:6.0f} ms   {medians[baseline] / med:.2f}x the {baseline} speed")


def main() -> None:
    from classwatch.training.export import keras_twin
    from classwatch.training.model import ExpressionNet, ModelConfig, as_batch, count_macs
    from classwatch.training.train import LiteTeacher, parse_stages

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stages", type=parse_stages, default=parse_stages("24x1,48x2,160x2s,320x3s,512x2s"))
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20, help="timed calls per runtime and round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()

    import keras
    import tensorflow as tf
    import torch

    torch.set_num_threads(a.threads)
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    cfg = ModelConfig(stages=a.stages)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(a.batch, 48, 48, 1)).astype(np.float32)
    labels = rng.integers(0, 7, a.batch)

    net = ExpressionNet(cfg).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    xt, yt = as_batch(x), torch.from_numpy(labels)

    def torch_step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()

    twin = keras_twin(net, 1.0)
    twin.compile(optimizer=keras.optimizers.AdamW(1e-3), loss=keras.losses.SparseCategoricalCrossentropy())
    yk = labels.astype(np.int64)

    def keras_step():
        twin.train_on_batch(x, yk)

    teacher = ExpressionNet(cfg).to(memory_format=torch.channels_last).eval()
    litert_teacher = LiteTeacher.from_net(teacher, a.threads)  # what `train --teacher` runs

    def torch_teacher():
        with torch.no_grad():
            return torch.softmax(teacher(xt), dim=1).numpy()

    print(f"network {a.stages}: {count_macs(cfg) / 1e6:.1f} M multiply-adds per face; batch {a.batch}, {a.threads} threads")
    report("training step", alternate({"pytorch": torch_step, "keras": keras_step}, a.steps, a.rounds), "keras")
    report("teacher forward", alternate({"pytorch eval": torch_teacher, "litert float32": lambda: litert_teacher(x)}, a.steps, a.rounds),
           "pytorch eval")
    diff = float(np.abs(torch_teacher() - litert_teacher(x)).max())
    print(f"  largest teacher probability difference, litert vs pytorch: {diff:.1e}")


if __name__ == "__main__":
    main()
