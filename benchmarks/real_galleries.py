"""classwatch on real video-call screenshots, scored as ``shared/data/galleries/README.md`` defines.

    python benchmarks/real_galleries.py [--galleries ../shared/data/galleries] [--classroom ../shared/data/classroom]
                                        [--detector yunet] [--repeats 1] [--json]

For every labelled screenshot: the faces the pipeline reports (one fresh
frame: the layout is found, the video tiles are searched, every face is
classified), their hits, misses and false positives (those on avatars
counted apart), the tiles and camera-off tiles against the labels, and the
milliseconds the frame took end to end on one core (median of ``--repeats``).
The same face figures follow for the yardstick: YuNet alone over the whole
frame at full size, threshold 0.5, which finds nearly every face but cannot
tell a participant from an avatar. The screen recording is scored by how
many of its frames give exactly the labelled number of faces; the school
photos (no tiles: every face counts) by face recall and precision.

The screenshots are scored a second way, as the app reads a call: a pipeline
that follows faces (the default ``redetect_s``) reads each screenshot, then
reads it again after ``redetect_s`` so that every tile is detected afresh
knowing its faces' sizes, which looks at it only as large as those need
(``MIN_KNOWN_INPUT`` in detect/yunet.py). That second frame's faces are
scored: the cheap re-detection must find what the first look found.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)
import cv2
import numpy as np

from classwatch.detect.yunet import YuNetDetector
from classwatch.pipeline import Pipeline, PipelineConfig
from classwatch.scoring import FaceScore, Labelled, load_labels, score_faces
from classwatch.sources import VideoSource, read_image
from classwatch.types import Frame

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
#: The screen recording's label has no boxes, only its note: "6 faces in every frame".
RECORDING_FACES = 6


def run_pipeline(pipeline: Pipeline, image: np.ndarray, repeats: int):
    """The frame's result on a fresh pipeline, and the median milliseconds over ``repeats`` fresh runs."""
    times = []
    for _ in range(repeats):
        pipeline.reset()
        start = time.perf_counter()
        result = pipeline.process(Frame(image, 0.0))
        times.append(1000 * (time.perf_counter() - start))
    return result, statistics.median(times)


def yardstick(detector: YuNetDetector, image: np.ndarray) -> np.ndarray:
    """YuNet alone, whole frame at full size, its own boxes (as the README's figure was measured)."""
    return detector._look(image, 1.0, raw=True).boxes


def score_screenshots(labels: list[Labelled], pipeline: Pipeline, repeats: int) -> dict:
    detector = YuNetDetector()
    rows, ours, alone = [], FaceScore(), FaceScore()
    for label in labels:
        if label.video:
            continue
        image = read_image(label.path)
        result, ms = run_pipeline(pipeline, image, repeats)
        mine = score_faces(result.faces.boxes, label)
        theirs = score_faces(yardstick(detector, image), label)
        ours, alone = ours + mine, alone + theirs
        tiles = len(result.layout) if result.layout.grid else 0
        off = int((~result.layout.video).sum()) if result.layout.grid else 0
        rows.append(
            {
                "image": label.path.name,
                "size": f"{image.shape[1]}x{image.shape[0]}",
                "hits": mine.hits, "misses": mine.misses, "false_positives": mine.false_positives,
                "on_avatars": mine.on_avatars,
                "tiles": tiles, "camera_off": off, "true_tiles": label.tiles, "true_camera_off": label.camera_off,
                "tiles_right": tiles == label.tiles and off == label.camera_off,
                "ms": round(ms, 1),
                "yunet_hits": theirs.hits, "yunet_false_positives": theirs.false_positives,
            }
        )
    return {
        "images": rows,
        "pipeline": _summary(ours) | {
            "tiles_right": sum(r["tiles_right"] for r in rows),
            "median_ms": round(statistics.median(r["ms"] for r in rows), 1),
        },
        "yunet_alone": _summary(alone),
    }


def score_redetected(labels: list[Labelled]) -> dict:
    """Faces of each screenshot's second frame in a following pipeline, re-detected knowing their sizes."""
    pipeline = Pipeline(PipelineConfig(emotions=False, attention=False, num_threads=1))
    total = FaceScore()
    for label in labels:
        if label.video:
            continue
        image = read_image(label.path)
        pipeline.reset()
        pipeline.process(Frame(image, 0.0))
        again = pipeline.process(Frame(image, 2 * pipeline.config.redetect_s))
        total = total + score_faces(again.faces.boxes, label)
    return _summary(total)


def score_recording(label: Labelled, pipeline: Pipeline) -> dict:
    """Frames of a labelled screen recording that give exactly the labelled number of faces, in one session."""
    expected = RECORDING_FACES
    pipeline.reset()
    counts = [len(pipeline.process(frame).faces) for frame in VideoSource(label.path, every=0.0)]
    return {"recording": label.path.name, "frames": len(counts), "right": sum(c == expected for c in counts), "faces": counts}


def score_classroom(labels: list[Labelled], pipeline: Pipeline) -> dict:
    total = FaceScore()
    for label in labels:
        pipeline.reset()
        total = total + score_faces(pipeline.process(Frame(read_image(label.path), 0.0)).faces.boxes, label)
    return {"photos": len(labels), **_summary(total)}


def _summary(score: FaceScore) -> dict:
    return {
        "recall": round(score.recall, 4), "precision": round(score.precision, 4),
        "hits": score.hits, "misses": score.misses, "false_positives": score.false_positives, "on_avatars": score.on_avatars,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galleries", type=Path, default=SHARED / "galleries")
    parser.add_argument("--classroom", type=Path, default=SHARED / "classroom")
    parser.add_argument("--detector", default="yunet")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.galleries / "labels.json").exists():
        sys.exit(f"no labelled screenshots in {args.galleries}")
    cv2.setNumThreads(1)
    pipeline = Pipeline(PipelineConfig(detector=args.detector, num_threads=1, redetect_s=0))
    labels = load_labels(args.galleries)
    report = score_screenshots(labels, pipeline, max(1, args.repeats))
    report["redetected"] = score_redetected(labels)
    report["recordings"] = [score_recording(label, pipeline) for label in labels if label.video]
    if (args.classroom / "labels.json").exists():
        report["classroom"] = score_classroom(load_labels(args.classroom), pipeline)
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"{'image':26s} {'size':>10s} {'hit':>4s} {'miss':>4s} {'fp':>3s} {'avat':>4s} {'tiles':>7s} {'off':>5s} {'ms':>6s}  yunet hit/fp")
    for r in report["images"]:
        mark = " " if r["tiles_right"] else "x"
        print(
            f"{r['image']:26s} {r['size']:>10s} {r['hits']:4d} {r['misses']:4d} {r['false_positives']:3d} {r['on_avatars']:4d} "
            f"{r['tiles']:3d}/{r['true_tiles']:<3d} {r['camera_off']:2d}/{r['true_camera_off']:<2d}{mark} {r['ms']:6.0f}  "
            f"{r['yunet_hits']:3d}/{r['yunet_false_positives']}"
        )
    p, y, r = report["pipeline"], report["yunet_alone"], report["redetected"]
    for rec in report["recordings"]:
        print(f"{rec['recording']}: {rec['right']} of {rec['frames']} frames give the labelled faces ({rec['faces']})")
    print(f"re-detected knowing the faces' sizes (the app's every {PipelineConfig().redetect_s:g} s): "
          f"recall {r['recall']:.3f} precision {r['precision']:.3f} on avatars {r['on_avatars']}")
    if "classroom" in report:
        c = report["classroom"]
        print(f"classroom photos ({c['photos']}, no tiles): recall {c['recall']:.3f} precision {c['precision']:.3f}")
    print(f"yunet alone (whole frame, full size): recall {y['recall']:.3f} precision {y['precision']:.3f} on avatars {y['on_avatars']}")
    print(
        f"classwatch: recall {p['recall']:.3f} precision {p['precision']:.3f} on avatars {p['on_avatars']}, "
        f"tiles right on {p['tiles_right']} of {len(report['images'])}, median {p['median_ms']:.0f} ms per image"
    )


if __name__ == "__main__":
    main()
