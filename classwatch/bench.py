"""``classwatch bench``: end-to-end speed on real screenshots and on the bundled demo recording.

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
  searched for) and every video tile searched afresh, each looked at only as
  large as the faces it showed in the frame before need (as every
  re-detection of a session does; ``benchmarks/real_galleries.py`` scores
  such re-detections: its "re-detected" line). No following of faces between
  frames, which on a still picture would be a flattering best case;
  benchmarks/follow_faces.py measures following on a moving gallery.

Real screenshots come from a folder with a ``labels.json`` (``--galleries``;
by default the project's development set beside the checkout, when it is
there); face recall and tile counts are scored as ``classwatch.scoring`` says.
The first frame of the bundled demo recording (``assets/demo``: a real Zoom
gallery of 4 tiles without gutters, one person in each) is always timed, so
an installed or frozen classwatch has something real to measure; its recall
is per tile: the share of the four tiles with a found face centre inside.

Synthetic galleries (test-only, not shipped) are timed the same way by
``benchmarks/synthetic_speed.py``, with the functions here.
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
from .pipeline import Pipeline, PipelineConfig
from .resources import asset_path
from .scoring import load_labels, score_faces
from .sources import read_image
from .types import Frame

#: The bundled real recording timed on every run: a 2x2 Zoom gallery, one person per tile, no gutters.
DEMO_VIDEO = "demo/zoom_gallery_4tiles.mp4"
DEMO_GRID = (2, 2)
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


class Runs:
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


def picture_row(runs: Runs, name: str, image: np.ndarray, repeats: int,
                recall: Callable[[np.ndarray], float]) -> dict:
    """One report row: faces found, recall of classwatch and of the classic pipeline, and timings.

    ``recall`` scores found (N, 4) xywh boxes against the picture's truth.
    """
    result = runs.cold(image)
    found = runs.classic(image)
    return {
        "image": name,
        "size": f"{image.shape[1]}x{image.shape[0]}",
        "faces": int(len(result.faces)),
        "recall": round(recall(result.faces.boxes), 3),
        "classic_recall": round(recall(found.boxes), 3),
        **runs.timings(image, repeats),
    }


def make_report(runs: Runs, repeats: int, **sections: list[dict]) -> dict:
    """The report: what ran where, the rows of each section (``SECTIONS``), and the peak memory so far."""
    return {
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "threads": 1,
        "repeats": repeats,
        "expression_model": runs.classifier.name,
        **sections,
        "peak_rss_mb": round(_peak_rss_mb() or 0.0, 1),
    }


def demo_frame() -> np.ndarray:
    """The first frame of the bundled demo recording."""
    path = asset_path(DEMO_VIDEO)
    capture = cv2.VideoCapture(str(path))
    try:
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok or image is None:
        raise FileNotFoundError(f"cannot read the demo recording {path}")
    return image


def tile_recall(boxes: np.ndarray, shape: tuple[int, ...], grid: tuple[int, int]) -> float:
    """Share of the tiles of a gutterless ``grid`` (rows, cols) over the picture with a found face centre inside."""
    rows, cols = grid
    h, w = shape[:2]
    hit = np.zeros((rows, cols), bool)
    for x, y, bw, bh in np.asarray(boxes, np.float64).reshape(-1, 4):
        r, c = int((y + bh / 2) * rows // h), int((x + bw / 2) * cols // w)
        if 0 <= r < rows and 0 <= c < cols:
            hit[r, c] = True
    return float(hit.mean())


def run_bench(repeats: int = 9, galleries: Path | None = DEFAULT_GALLERIES) -> dict:
    cv2.setNumThreads(1)
    runs = Runs()
    real = []
    if galleries is not None and (Path(galleries) / "labels.json").is_file():
        for label in load_labels(galleries):
            if label.video:
                continue
            image = read_image(label.path)
            real.append(picture_row(runs, label.path.name, image, repeats,
                                    lambda boxes, label=label: score_faces(boxes, label).recall))
    image = demo_frame()
    demo = [picture_row(runs, f"demo {DEMO_GRID[0]}x{DEMO_GRID[1]} (first frame)", image, repeats,
                        lambda boxes: tile_recall(boxes, image.shape, DEMO_GRID))]
    return make_report(runs, repeats, real=real, demo=demo)


#: The report's lists of rows, in the order they are printed.
SECTIONS = ("real", "demo", "synthetic")


def format_report(report: dict, title: str = "classwatch bench") -> str:
    """The report as a table, a row per picture of each section present (``SECTIONS``)."""
    lines = [
        f"{title}: 1 thread, median of {report['repeats']} runs, model {report['expression_model']}",
        "cold: layout searched, every video tile searched, every face classified; warm: layout kept",
        f"{'picture':26s} {'size':>10s} {'faces':>5s} {'recall':>6s} {'cold ms':>8s} {'warm ms':>8s} "
        f"{'classic ms':>10s} {'recall':>6s} {'cold x':>7s} {'warm x':>7s}",
    ]
    if "real" in report and not report["real"]:
        lines.append("(no real screenshots: pass --galleries DIR with a labels.json)")
    for r in (row for section in SECTIONS for row in report.get(section, [])):
        lines.append(
            f"{r['image']:26s} {r['size']:>10s} {r['faces']:5d} {r['recall']:6.2f} {r['cold']['cpu_ms']:8.1f} "
            f"{r['warm']['cpu_ms']:8.1f} {r['classic']['cpu_ms']:10.1f} {r['classic_recall']:6.2f} "
            f"{r['cold']['speedup_vs_classic']:6.1f}x {r['warm']['speedup_vs_classic']:6.1f}x"
        )
    if report.get("real"):
        cold = statistics.median(r["cold"]["cpu_ms"] for r in report["real"])
        warm = statistics.median(r["warm"]["cpu_ms"] for r in report["real"])
        ratio = statistics.median(r["warm"]["speedup_vs_classic"] for r in report["real"])
        lines.append(f"real screenshots: median {cold:.0f} ms cold, {warm:.0f} ms warm, warm {ratio:.1f}x the classic pipeline")
    if report.get("demo"):
        lines.append("demo: the bundled recording (4 tiles, one person each); its recall is the share of tiles with a face found")
    lines.append("times are CPU ms; x = classic CPU time / classwatch CPU time, same run")
    lines.append(f"peak memory (RSS): {report['peak_rss_mb']} MB")
    return "\n".join(lines)
