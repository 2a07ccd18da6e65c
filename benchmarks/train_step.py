"""Training-step time of the expression network: PyTorch (what trains) against TensorFlow/Keras (what trained before).

    python benchmarks/train_step.py [--stages 24x1,48x2,160x2s,320x3s,512x2s] [--batch 128] [--steps 20] [--threads 2]

One step = forward, backward and an AdamW update on a batch of random 48x48
faces. The Keras network is ``export.keras_twin`` of the PyTorch one (same
layers and weights). The two frameworks alternate in rounds so background
load hits both alike; the median step of each is reported with the ratio.
Run it on an otherwise idle machine (pause a training run with
``kill -STOP``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main() -> None:
    from classwatch.training.export import keras_twin
    from classwatch.training.model import ExpressionNet, ModelConfig, as_batch, count_macs
    from classwatch.training.train import parse_stages

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stages", type=parse_stages, default=parse_stages("24x1,48x2,160x2s,320x3s,512x2s"))
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20, help="timed steps per framework and round")
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

    steps: dict[str, list[float]] = {"pytorch": [], "keras (tensorflow)": []}
    runners = {"pytorch": torch_step, "keras (tensorflow)": keras_step}
    for fn in runners.values():  # warm-up: graph tracing, oneDNN primitive caches
        for _ in range(3):
            fn()
    for _ in range(a.rounds):
        for name, fn in runners.items():
            for _ in range(a.steps):
                t0 = time.perf_counter()
                fn()
                steps[name].append(time.perf_counter() - t0)

    print(f"network {a.stages}: {count_macs(cfg) / 1e6:.1f} M multiply-adds per face; batch {a.batch}, {a.threads} threads")
    base = statistics.median(steps["keras (tensorflow)"])
    for name, times in steps.items():
        med = statistics.median(times)
        print(f"{name:20s} median step {1000 * med:6.0f} ms   {base / med:.2f}x the Keras speed")


if __name__ == "__main__":
    main()
