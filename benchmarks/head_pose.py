"""Head pose from five landmarks: yaw and pitch error and facing/away accuracy on real photos at known angles.

    python benchmarks/head_pose.py [--pose ../shared/data/pose] [--json] [--write models/head_pose_landmarks.json]

The set (``../shared/data/pose``, its README defines the scoring): 930
photos of five people looking at markers at known yaw and pitch. Each photo
goes through the classwatch pipeline (YuNet, layout, no expressions) and its
largest face is kept; a photo with no face counts as away. Scored, by the
README's rule:

- facing recall (|yaw|, |pitch| <= 15 reported facing), away recall (|yaw| or
  |pitch| >= 60 not reported facing) and their mean (balanced);
- median |yaw error| over faces with |yaw| <= 45, |pitch| <= 15, and median
  |pitch error| over faces with |pitch| <= 30, |yaw| <= 15.

Two estimators in the same run:

- the baseline: a generic 3D face fitted to the five landmarks
  (``cv2.solvePnP``, nothing fitted to these photos), facing within 30
  degrees of yaw and 20 of pitch, as the set's README describes it;
- classwatch (``classwatch/head_pose.py``), scored *person by person*: each
  person's photos are read by a model fitted on the other four only, so the
  figure is what a new face gets. The facing limits are swept on those
  predictions and the default (``head_pose.FACING_YAW``/``FACING_PITCH``) is
  printed beside the others.

``--write`` then fits the model on all five people and writes it (the file
``models/head_pose_landmarks.json`` that classwatch ships).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import checkout  # noqa: F401  (first: the project on sys.path, or a one-line error without its dependencies)
import cv2
import numpy as np

from classwatch.head_pose import FACING_PITCH, FACING_YAW, RIDGE, HeadPoseModel, facing
from classwatch.pipeline import Pipeline, PipelineConfig
from classwatch.sources import read_image
from classwatch.types import Frame

POSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "pose"
LIMITS = (20, 25, 30, 35, 40)
#: A generic face in millimetres (x right in the picture, y down, z away from the camera):
#: right eye, left eye, nose tip, right and left mouth corner, as YuNet orders its landmarks.
GENERIC_FACE = np.array([[-30, -35, 30], [30, -35, 30], [0, 0, 0], [-25, 35, 30], [25, 35, 30]], np.float64)


def landmarks(folder: Path) -> dict:
    """Labels and the largest face's landmarks and box for every photo (NaN where no face)."""
    rows = list(csv.DictReader(open(folder / "labels.csv", encoding="utf-8")))
    pipeline = Pipeline(PipelineConfig(emotions=False, redetect_s=0))
    keypoints, boxes = np.full((len(rows), 5, 2), np.nan), np.full((len(rows), 4), np.nan)
    for i, row in enumerate(rows):
        pipeline.reset()
        faces = pipeline.process(Frame(read_image(folder / row["file"]), 0.0)).faces
        if len(faces):
            k = int(np.argmax(faces.boxes[:, 3]))
            keypoints[i], boxes[i] = faces.keypoints[k, :5], faces.boxes[k]
    return {
        "person": np.array([row["file"].split("person")[1][:2] for row in rows]),
        "angles": np.array([[float(row["yaw"]), float(row["pitch"])] for row in rows]),
        "keypoints": keypoints,
        "boxes": boxes,
        "found": ~np.isnan(boxes[:, 0]),
    }


def solve_pnp(keypoints: np.ndarray, box: np.ndarray) -> tuple[float, float]:
    """Yaw and pitch (the README's signs) of the generic face fitted to five landmarks."""
    focal = 4.0 * box[3]  # a webcam's field of view, roughly; the angles hardly depend on it
    camera = np.array([[focal, 0, box[0] + box[2] / 2], [0, focal, box[1] + box[3] / 2], [0, 0, 1]])
    points = keypoints.astype(np.float64)
    _, rvec, tvec = cv2.solvePnP(GENERIC_FACE, points, camera, None, flags=cv2.SOLVEPNP_EPNP)
    _, rvec, tvec = cv2.solvePnP(GENERIC_FACE, points, camera, None, rvec, tvec, True, flags=cv2.SOLVEPNP_ITERATIVE)
    r, _ = cv2.Rodrigues(rvec)
    yaw = np.degrees(np.arctan2(-r[2, 0], np.hypot(r[0, 0], r[1, 0])))
    pitch = np.degrees(np.arctan2(r[2, 1], r[2, 2]))
    pitch = (pitch + 90) % 180 - 90  # the face's z axis may come out flipped: pitch near +-180 is near 0
    return float(yaw), -float(pitch)


def score(angles: np.ndarray, predicted: np.ndarray, found: np.ndarray, limits: tuple[float, float]) -> dict:
    """The set README's figures for predicted (N, 2) angles (NaN where no face)."""
    yaw, pitch = np.abs(angles).T
    said = found & facing(predicted, *limits)
    frontal, away = (yaw <= 15) & (pitch <= 15), (yaw >= 60) | (pitch >= 60)
    errors = np.abs(predicted - angles)
    facing_recall, away_recall = float(said[frontal].mean()), float((~said[away]).mean())
    return {
        "limits": list(limits),
        "facing": round(facing_recall, 3),
        "away": round(away_recall, 3),
        "balanced": round((facing_recall + away_recall) / 2, 3),
        "yaw_error": round(float(np.median(errors[found & (yaw <= 45) & (pitch <= 15), 0])), 1),
        "pitch_error": round(float(np.median(errors[found & (pitch <= 30) & (yaw <= 15), 1])), 1),
    }


def person_by_person(data: dict) -> np.ndarray:
    """Each person's angles predicted by a model fitted on the others only."""
    predicted = np.full(data["angles"].shape, np.nan)
    for person in np.unique(data["person"]):
        train = data["found"] & (data["person"] != person)
        test = data["found"] & (data["person"] == person)
        model = HeadPoseModel.fit(data["keypoints"][train], data["boxes"][train], data["angles"][train], RIDGE)
        predicted[test] = model.predict(data["keypoints"][test], data["boxes"][test])
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pose", type=Path, default=POSE)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", type=Path, help="fit on every person and write the model here")
    args = parser.parse_args()
    if not (args.pose / "labels.csv").is_file():
        sys.exit(f"error: no pose photos at {args.pose} (labels.csv)")
    cv2.setNumThreads(1)
    data = landmarks(args.pose)
    found = data["found"]
    baseline = np.full(data["angles"].shape, np.nan)
    for i in np.flatnonzero(found):
        baseline[i] = solve_pnp(data["keypoints"][i], data["boxes"][i])
    ours = person_by_person(data)
    report = {
        "photos": int(len(found)),
        "faces_found": int(found.sum()),
        "baseline_solvepnp": score(data["angles"], baseline, found, (30, 20)),
        "classwatch": score(data["angles"], ours, found, (FACING_YAW, FACING_PITCH)),
        "classwatch_limits": [score(data["angles"], ours, found, (y, p)) for y in LIMITS for p in LIMITS],
    }
    if args.write:
        model = HeadPoseModel.fit(data["keypoints"][found], data["boxes"][found], data["angles"][found], RIDGE)
        provenance = {
            "fitted_by": "python benchmarks/head_pose.py --write",
            "data": "Pointing'04 head pose database, persons 01-05 (Gourier, Hall and Crowley, ICPR 2004)",
            "faces": int(found.sum()),
            "ridge": RIDGE,
            "person_by_person": report["classwatch"],
        }
        model.save(args.write, provenance)
        report["written"] = str(args.write)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['photos']} photos, a face found in {report['faces_found']}")
    for name in ("baseline_solvepnp", "classwatch"):
        s = report[name]
        print(
            f"{name:18s} limits {s['limits']}: facing {s['facing']:.3f} away {s['away']:.3f} "
            f"balanced {s['balanced']:.3f}  yaw error {s['yaw_error']} deg  pitch error {s['pitch_error']} deg"
        )
    print("classwatch, balanced by facing limits (yaw rows, pitch columns):")
    print("      " + "".join(f"{p:>7d}" for p in LIMITS))
    for y in LIMITS:
        print(f"{y:>6d}" + "".join(f"{s['balanced']:7.3f}" for s in report["classwatch_limits"] if s["limits"][0] == y))
    if args.write:
        print(f"model written to {args.write}")


if __name__ == "__main__":
    main()
