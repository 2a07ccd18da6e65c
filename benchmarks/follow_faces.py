"""What following faces between detections saves, and what it costs, on a moving 7x7 gallery.

    python benchmarks/follow_faces.py [--frames 90] [--seed 1] [--redetect-s S] [--json]

A rendered 1080p 7x7 gallery is animated with ``animate_gallery`` (tests/synthetic.py)
(participants drift and re-light, every frame JPEG-compressed, a tile
changes person about once a minute) and read one frame a second by two
pipelines in the same process, sharing detector and expression model, on one
thread:

- every frame: ``redetect_s=0``, every tile detected in every frame (the baseline);
- following: the default ``redetect_s`` (detect.follow.REDETECT_S).

Reported per mode: median CPU ms per frame and the ratio, tiles detected per
frame, recall (true face centres inside a found box), mean IoU of each true
face with its best found box, and how far the class mood index of the two
modes differ (mean and max absolute difference, on the -1..1 scale). Also the
template correlations of follows tried on tiles that kept their participant
and on tiles that just changed participant, which is what ``MIN_MATCH``
separates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import checkout  # first: the project on sys.path, or a one-line error without its dependencies
import cv2
import numpy as np

from classwatch.classify import ExpressionClassifier
from classwatch.detect import make_detector
from classwatch.detect.follow import REDETECT_S
from classwatch.metrics import face_recall
from classwatch.pipeline import Pipeline, PipelineConfig
from classwatch.track import iou_matrix
from classwatch.types import Frame

checkout.tests_on_path()
from synthetic import animate_gallery, render_gallery  # noqa: E402


def run(frames: int, seed: int, redetect_s: float = REDETECT_S) -> dict:
    cv2.setNumThreads(1)
    detector = make_detector("yunet")
    classifier = ExpressionClassifier(num_threads=1)
    movie = animate_gallery(render_gallery(7, 7, seed=77), frames, seed=seed)
    modes = {"every frame": 0.0, "following": redetect_s}
    report: dict = {"frames": frames, "redetect_s": redetect_s, "modes": {}}
    moods: dict[str, list[float]] = {}
    kept, changed = [], []
    for label, redetect_s in modes.items():
        pipeline = Pipeline(PipelineConfig(num_threads=1, redetect_s=redetect_s), detector, classifier)
        cpu, detected, recall, iou, mood = [], [], [], [], []
        for k, step in enumerate(movie):
            truth = step.gallery.faces
            c = time.process_time()
            result = pipeline.process(Frame(step.gallery.image, float(k)))
            cpu.append(time.process_time() - c)
            detected.append(pipeline.follower.last_detected)
            recall.append(face_recall(result.faces.boxes, truth))
            overlap = iou_matrix(truth, result.faces.boxes)
            iou.append(float(overlap.max(axis=1).mean()) if overlap.size else 0.0)
            mood.append(float("nan") if result.mood.mood_index is None else result.mood.mood_index)
            if redetect_s:
                for tile, corr in pipeline.follower.last_match.items():
                    (changed if tile in step.swapped else kept).append(corr)
        moods[label] = mood
        steady = slice(3, None)  # the first frames detect everything in both modes
        report["modes"][label] = {
            "cpu_ms_median": round(1000 * statistics.median(cpu[steady]), 1),
            "tiles_detected_per_frame": round(statistics.mean(detected[steady]), 1),
            "recall": round(statistics.mean(recall), 3),
            "mean_iou": round(statistics.mean(iou), 3),
        }
    base, fast = report["modes"]["every frame"], report["modes"]["following"]
    report["cpu_ratio"] = round(base["cpu_ms_median"] / fast["cpu_ms_median"], 2)
    diff = np.abs(np.array(moods["every frame"]) - np.array(moods["following"]))
    report["mood_abs_diff"] = {"mean": round(float(np.nanmean(diff)), 4), "max": round(float(np.nanmax(diff)), 4)}
    report["match_kept"] = _quantiles(kept)
    report["match_changed"] = _quantiles(changed)
    return report


def _quantiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    q = np.quantile(values, [0.0, 0.01, 0.05, 0.5, 0.95, 1.0])
    return {"n": len(values), **{k: round(float(v), 3) for k, v in zip(("min", "p1", "p5", "median", "p95", "max"), q)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--redetect-s", type=float, default=REDETECT_S, help=f"default {REDETECT_S}")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.frames, args.seed, args.redetect_s)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"moving 7x7 1080p gallery, {report['frames']} frames 1 s apart, 1 thread")
    for label, row in report["modes"].items():
        print(
            f"  {label:12s} {row['cpu_ms_median']:6.1f} ms CPU/frame  {row['tiles_detected_per_frame']:5.1f} tiles detected"
            f"  recall {row['recall']:.3f}  mean IoU {row['mean_iou']:.3f}"
        )
    print(f"  following is {report['cpu_ratio']}x cheaper (redetect_s {report['redetect_s']})")
    print(f"  mood index |every frame - following|: mean {report['mood_abs_diff']['mean']}, max {report['mood_abs_diff']['max']}")
    print(f"  follow correlation, same participant:    {report['match_kept']}")
    print(f"  follow correlation, participant changed: {report['match_changed']}")


if __name__ == "__main__":
    main()
