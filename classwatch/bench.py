"""``classwatch bench``: end-to-end speed on real screenshots and on synthetic galleries.

Everything runs on one core (OpenCV and LiteRT limited to one thread) so the
figures say what a teacher's laptop gives while the video call uses the
other cores. Each configuration is timed ``repeats`` times and medians are
reported, with the speed-up against the classic baseline measured in the
same run: Haar over the whole frame, then one classifier call per face (what
typical webcam emotion demos do). Wall-clock and CPU time are both reported;
the speed-up is computed on CPU time, which a busy machine disturbs least.
Compare ratios, not absolute numbers, across machines.

Two timings of classwatch per picture:

* ``cold``: a fresh pipeline, so the layout is searched for (a whole-frame
  face detection and the rectangle search), then every video tile is
  searched for faces and every face classified. This is the first frame of
  a session, or a frame after the layout changed.
* ``warm``: the same picture again with the layout kept (checked, not
  searched for) and every video tile searched afresh (no following of faces
  between frames, which on a still picture would be a flattering best case;
  benchmarks/follow_faces.py measures following on a moving gallery).

Real screenshots come from a folder with a ``labels.json`` (``--galleries``;
by default the project's development set beside the checkout, when it is
there); face recall and tile counts are scored as ``classwatch.scoring`` says.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from .classify import ExpressionClassifier
from .detect import make_detector
from .metrics import face_recall
from .pipeline import Pipeline, PipelineConfig
from .scoring import load_labels, score_faces
from .sources import read_image
from .synthetic import render_gallery
from .types import Frame

GRIDS = ((2, 2), (5, 5), (7, 7))
#: The development screenshots, where a source checkout sits beside the shared data.
DEFAULT_GALLERIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "galleries"


def _timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> dict:
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


class _Runs:
    """The configurations timed on every picture, sharing one classifier."""

    def __init__(self) -> None:
        self.classifier = ExpressionClassifier(num_threads=1)
        # redetect_s=0: every video tile is searched in every run (see the module doc).
        self.pipeline = Pipeline(PipelineConfig(num_threads=1, redetect_s=0), classifier=self.classifier)
        self.haar = make_detector("haar")

    def cold(self, image: np.ndarray):
        self.pipeline.reset()
        return self.pipeline.process(Frame(image, 0.0))

    def warm(self, image: np.ndarray):
        return self.pipeline.process(Frame(image, 0.0))

    def classic(self, image: np.ndarray):
        faces = self.haar.detect(image, None)
        for i in range(len(faces)):  # one model call per face, no batching
            self.classifier.classify(image, faces.select(np.array([i])))
        return faces

    def timings(self, image: np.ndarray, repeats: int) -> dict:
        row = {
            "cold": _timed(lambda: self.cold(image), repeats),
            "warm": _timed(lambda: self.warm(image), repeats),
            "classic": _timed(lambda: self.classic(image), repeats),
        }
        for name in ("cold", "warm"):
            row[name]["speedup_vs_classic"] = round(row["classic"]["cpu_ms"] / max(row[name]["cpu_ms"], 1e-3), 2)
        return row


def run_bench(repeats: int = 9, grids: tuple[tuple[int, int], ...] = GRIDS, galleries: Path | None = DEFAULT_GALLERIES) -> dict:
    cv2.setNumThreads(1)
    runs = _Runs()
    real = []
    if galleries is not None and (Path(galleries) / "labels.json").is_file():
        for label in load_labels(galleries):
            if label.video:
                continue
            image = read_image(label.path)
            result = runs.cold(image)
            found = runs.classic(image)
            row = {
                "image": label.path.name,
                "size": f"{image.shape[1]}x{image.shape[0]}",
                "faces": int(len(result.faces)),
                "recall": round(score_faces(result.faces.boxes, label).recall, 3),
                "classic_recall": round(score_faces(found.boxes, label).recall, 3),
                **runs.timings(image, repeats),
            }
            real.append(row)
    synthetic = []
    for grid_rows, grid_cols in grids:
        gallery = render_gallery(grid_rows, grid_cols, seed=grid_rows * 10 + grid_cols)
        result = runs.cold(gallery.image)
        found = runs.classic(gallery.image)
        synthetic.append(
            {
                "image": f"synthetic {grid_rows}x{grid_cols}",
                "size": f"{gallery.image.shape[1]}x{gallery.image.shape[0]}",
                "faces": int(len(result.faces)),
                "recall": round(face_recall(result.faces.boxes, gallery.faces), 3),
                "classic_recall": round(face_recall(found.boxes, gallery.faces), 3),
                **runs.timings(gallery.image, repeats),
            }
        )
    return {
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "threads": 1,
        "repeats": repeats,
        "expression_model": runs.classifier.name,
        "real": real,
        "synthetic": synthetic,
        "peak_rss_mb": round(_peak_rss_mb() or 0.0, 1),
    }


def format_report(report: dict) -> str:
    lines = [
        f"classwatch bench: 1 thread, median of {report['repeats']} runs, model {report['expression_model']}",
        "cold: layout searched, every video tile searched, every face classified; warm: layout kept",
        f"{'picture':26s} {'size':>10s} {'faces':>5s} {'recall':>6s} {'cold ms':>8s} {'warm ms':>8s} "
        f"{'classic ms':>10s} {'recall':>6s} {'cold x':>7s} {'warm x':>7s}",
    ]
    rows = report["real"] + report["synthetic"]
    if not report["real"]:
        lines.append("(no real screenshots: pass --galleries DIR with a labels.json)")
    for r in rows:
        lines.append(
            f"{r['image']:26s} {r['size']:>10s} {r['faces']:5d} {r['recall']:6.2f} {r['cold']['cpu_ms']:8.1f} "
            f"{r['warm']['cpu_ms']:8.1f} {r['classic']['cpu_ms']:10.1f} {r['classic_recall']:6.2f} "
            f"{r['cold']['speedup_vs_classic']:6.1f}x {r['warm']['speedup_vs_classic']:6.1f}x"
        )
    if report["real"]:
        cold = statistics.median(r["cold"]["cpu_ms"] for r in report["real"])
        warm = statistics.median(r["warm"]["cpu_ms"] for r in report["real"])
        ratio = statistics.median(r["warm"]["speedup_vs_classic"] for r in report["real"])
        lines.append(f"real screenshots: median {cold:.0f} ms cold, {warm:.0f} ms warm, warm {ratio:.1f}x the classic pipeline")
    lines.append("times are CPU ms; x = classic CPU time / classwatch CPU time, same run")
    lines.append(f"peak memory (RSS): {report['peak_rss_mb']} MB")
    return "\n".join(lines)
