"""``classwatch bench``: end-to-end throughput on synthetic 1080p galleries.

Everything runs on one core (OpenCV and LiteRT limited to one thread) so the
figures say what a teacher's laptop gives while the video call uses the
other cores. Each configuration is timed ``repeats`` times; medians are
reported, with the speed-up against the classic baseline measured in the same
run: Haar over the whole frame, then one classifier call per face (what
typical webcam emotion demos do). Both wall-clock and CPU time are reported;
the speed-up is computed on CPU time, which a busy machine disturbs least.
Compare ratios, not absolute numbers, across machines.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np

from .classify import ExpressionClassifier
from .detect import make_detector
from .metrics import face_recall
from .pipeline import Pipeline, PipelineConfig
from .synthetic import render_gallery
from .types import Frame

GRIDS = ((2, 2), (5, 5), (7, 7))


def _timed(fn: Callable[[], object], repeats: int, warmup: int = 2) -> dict:
    """Median wall-clock and CPU milliseconds per call.

    CPU time (all threads of the process) is what one core spends on a frame;
    on a busy machine it stays put while wall time grows with the load.
    """
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return {"median_ms": round(1000.0 * statistics.median(wall), 2), "cpu_ms": round(1000.0 * statistics.median(cpu), 2)}


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_bench(repeats: int = 15, grids: tuple[tuple[int, int], ...] = GRIDS) -> dict:
    cv2.setNumThreads(1)
    classifier = ExpressionClassifier(num_threads=1)
    # redetect_s=0: every tile is detected in every run. The frame never
    # changes, so following faces (benchmarks/follow_faces.py measures it on
    # a moving gallery) would make the figure a flattering best case.
    pipelines = {
        name: Pipeline(PipelineConfig(detector=name, num_threads=1, redetect_s=0), classifier=classifier)
        for name in ("dnn", "haar")
    }
    haar_whole_frame = make_detector("haar", num_threads=1)

    def classic(image: np.ndarray) -> int:
        faces = haar_whole_frame.detect(image, None)
        for i in range(len(faces)):  # one model call per face, no batching
            classifier.classify(image, faces.select(np.array([i])))
        return len(faces)

    rows = []
    for grid_rows, grid_cols in grids:
        gallery = render_gallery(grid_rows, grid_cols, seed=grid_rows * 10 + grid_cols)
        frame = Frame(gallery.image, 0.0)
        row: dict = {"gallery": f"{grid_rows}x{grid_cols}", "tiles": int(len(gallery.tiles)), "true_faces": int(len(gallery.faces))}
        for name, pipeline in pipelines.items():
            result = pipeline.process(frame)
            row[name] = {
                **_timed(lambda p=pipeline: p.process(frame), repeats),
                "faces": int(len(result.faces)),
                "recall": round(face_recall(result.faces.boxes, gallery.faces), 3),
            }
        found = haar_whole_frame.detect(gallery.image, None)
        row["classic"] = {
            **_timed(lambda: classic(gallery.image), repeats),
            "faces": int(len(found)),
            "recall": round(face_recall(found.boxes, gallery.faces), 3),
        }
        for name in pipelines:
            row[name]["speedup_vs_classic"] = round(row["classic"]["cpu_ms"] / row[name]["cpu_ms"], 2)
        rows.append(row)
    return {
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "threads": 1,
        "repeats": repeats,
        "expression_model": classifier.name,
        "results": rows,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def format_report(report: dict) -> str:
    lines = [
        f"classwatch bench: 1920x1080 synthetic galleries, 1 thread, median of {report['repeats']} runs",
        f"model {report['expression_model']}",
        f"{'gallery':8} {'config':8} {'wall ms':>8} {'CPU ms':>8} {'faces':>6} {'recall':>7} {'vs classic (CPU)':>17}",
    ]
    for row in report["results"]:
        for name in ("dnn", "haar", "classic"):
            r = row[name]
            speed = f"{r['speedup_vs_classic']:.2f}x" if "speedup_vs_classic" in r else "1.00x"
            lines.append(
                f"{row['gallery']:8} {name:8} {r['median_ms']:8.1f} {r['cpu_ms']:8.1f} {r['faces']:3d}/{row['true_faces']:<2d} {r['recall']:7.2f} {speed:>17}"
            )
    lines.append(f"peak memory (RSS): {report['peak_rss_mb']} MB")
    return "\n".join(lines)
