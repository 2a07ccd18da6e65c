"""Latency of candidate expression-network shapes, before training one.

    python benchmarks/model_latency.py 24x1,48x2,160x2s,320x3s,512x2s 24x1,40x2,160x2s,320x3s,512x2s ...

Each shape (``train --stages`` syntax) is built with random weights (speed does
not depend on them), exported to ``.tflite`` as the export step does (float16
weights, LiteRT widens them to float32 at load) and timed with LiteRT on one
thread at batch 1 and 25. The models take turns (``export.measure_latency``),
so ratios against the first shape hold on a busy machine; absolute times do
not. Prints multiply-adds, parameters, file size and ms per face as JSON.
"""

from __future__ import annotations

import argparse
import json

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from classwatch.training.export import keras_twin, measure_latency, to_tflite
from classwatch.training.model import ExpressionNet, ModelConfig, count_macs
from classwatch.training.train import parse_stages


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stages", nargs="+", type=parse_stages, help="network shapes; the first is the baseline")
    p.add_argument("--rounds", type=int, default=60, help="timed calls per model and batch size")
    a = p.parse_args()

    x = np.random.default_rng(0).normal(size=(25, 48, 48, 1)).astype(np.float32)
    models, rows = {}, []
    for stages in a.stages:
        net = ExpressionNet(ModelConfig(stages=stages)).eval()
        blob = to_tflite(keras_twin(net, 1.0), "float16")
        name = ",".join(f"{c}x{n}{'s' if s else ''}" for c, n, s in stages)
        models[name] = (Interpreter(model_content=blob, num_threads=1), x)
        rows.append({"stages": name, "mmacs": round(count_macs(net.cfg) / 1e6, 1),
                     "params_k": round(sum(t.numel() for t in net.parameters()) / 1e3), "size_kb": round(len(blob) / 1024)})
    latency = {b: measure_latency(models, b, a.rounds) for b in (1, 25)}
    base = rows[0]["stages"]
    for r in rows:
        r |= {f"ms_batch{b}": round(latency[b][r["stages"]], 3) for b in (1, 25)}
        r["ratio_batch25"] = round(latency[25][r["stages"]] / latency[25][base], 2)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
