"""Scoring face detection and tile counts against labelled real screenshots.

The rule is the one ``shared/data/galleries/README.md`` defines, so every
figure the project reports is comparable with the hidden real sets:

* a reported box hits a labelled face when their IoU is at least 0.3 or the
  reported box's centre lies inside the labelled box; matching is one to
  one, greedy by IoU, highest first;
* a reported box matched to an ``optional`` face counts neither way; any
  other unmatched reported box is a false positive (on an avatar, a slide,
  a poster); a non-optional labelled face left unmatched is a miss;
* an image's tiles are right when the number of tiles and of camera-off
  tiles both equal the labels.

``labels.json`` (one entry per file): ``faces`` [{"box": [x, y, w, h],
"optional": bool}], ``avatars`` [[x, y, w, h]], ``tiles``, ``camera_off``,
and ``video: true`` for a screen recording (no face boxes). The classroom
photos' ``labels.json`` has ``faces`` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .track import iou_matrix

MIN_IOU = 0.3


@dataclass(frozen=True)
class Labelled:
    """One labelled capture. faces: (F, 4); optional: (F,) bool; avatars: (A, 4); tiles and
    camera_off None where not labelled (classroom photos)."""

    path: Path
    faces: np.ndarray
    optional: np.ndarray
    avatars: np.ndarray
    tiles: int | None = None
    camera_off: int | None = None
    video: bool = False


@dataclass
class FaceScore:
    """Counts summed over images; ``on_avatars`` are false positives on a labelled avatar."""

    hits: int = 0
    misses: int = 0
    false_positives: int = 0
    on_avatars: int = 0
    missed: list[np.ndarray] = field(default_factory=list, repr=False)

    def __add__(self, other: "FaceScore") -> "FaceScore":
        return FaceScore(
            self.hits + other.hits,
            self.misses + other.misses,
            self.false_positives + other.false_positives,
            self.on_avatars + other.on_avatars,
            self.missed + other.missed,
        )

    @property
    def recall(self) -> float:
        return self.hits / max(1, self.hits + self.misses)

    @property
    def precision(self) -> float:
        return self.hits / max(1, self.hits + self.false_positives)


def load_labels(folder: str | Path) -> list[Labelled]:
    """The labelled captures of a folder with a ``labels.json``, in file-name order."""
    folder = Path(folder)
    try:
        raw = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the labels of {folder}: {exc}") from None
    out = []
    for name in sorted(raw):
        entry = raw[name]
        faces = entry.get("faces", [])
        out.append(
            Labelled(
                folder / name,
                np.array([f["box"] for f in faces], np.float64).reshape(-1, 4),
                np.array([bool(f.get("optional", False)) for f in faces], bool),
                np.array(entry.get("avatars", []), np.float64).reshape(-1, 4),
                entry.get("tiles"),
                entry.get("camera_off"),
                bool(entry.get("video", False)),
            )
        )
    return out


def score_faces(reported: np.ndarray, label: Labelled) -> FaceScore:
    """Score reported boxes (N, 4) (x, y, w, h) against one labelled capture."""
    reported = np.asarray(reported, np.float64).reshape(-1, 4)
    truth = label.faces
    iou = iou_matrix(reported, truth)
    inside = _centre_inside(reported, truth)
    candidates = sorted(((iou[i, j], i, j) for i, j in zip(*np.nonzero((iou >= MIN_IOU) | inside))), reverse=True)
    used_reported, used_truth = set(), set()
    for _, i, j in candidates:
        if i not in used_reported and j not in used_truth:
            used_reported.add(i)
            used_truth.add(j)
    hits = sum(1 for j in used_truth if not label.optional[j])
    missed = [truth[j] for j in range(len(truth)) if not label.optional[j] and j not in used_truth]
    unmatched = reported[[i for i in range(len(reported)) if i not in used_reported]]
    on_avatars = 0
    if len(unmatched) and len(label.avatars):
        near = _centre_inside(unmatched, label.avatars) | (iou_matrix(unmatched, label.avatars) >= MIN_IOU)
        on_avatars = int(np.count_nonzero(near.any(axis=1)))
    return FaceScore(hits, len(missed), len(unmatched), on_avatars, missed)


def _centre_inside(boxes: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """(N, M) whether the centre of each box (x, y, w, h) lies in each region (borders included)."""
    c = boxes[:, None, :2] + boxes[:, None, 2:] / 2
    return np.all((c >= regions[None, :, :2]) & (c <= regions[None, :, :2] + regions[None, :, 2:]), axis=2)

