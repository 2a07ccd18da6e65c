"""Classifier evaluation: accuracy, per-class recall, confusion matrix, calibration error, flip TTA.

Pure numpy, shared by the training code and ``classwatch eval-model``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .types import EXPRESSIONS, N_EXPRESSIONS

ECE_BINS = 15


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """Top-label ECE: sum over equal-width confidence bins of |accuracy - mean confidence| * bin share.

    Bins are (lo, hi] as in Guo et al. 2017, so confidence 1.0 falls in the last bin.
    """
    probs = np.asarray(probs, np.float64)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) == 0:
        return 0.0
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    bins = np.clip(np.ceil(conf * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, correct, n_bins) - np.bincount(bins, conf, n_bins))
    return float(gap.sum() / len(labels)) if count.any() else 0.0


@dataclass(frozen=True)
class EvalReport:
    """n: samples. confusion: 7x7 counts, rows = true class, columns = predicted.
    per_class_recall: NaN for a class with no samples."""

    n: int
    accuracy: float
    per_class_recall: dict[str, float]
    confusion: list[list[int]]
    ece: float

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "per_class_recall": dict(self.per_class_recall),
            "confusion": [list(r) for r in self.confusion],
            "ece": self.ece,
        }


def check_labels(labels: np.ndarray) -> np.ndarray:
    """labels as (N,) int64, or ValueError (a one-line message for the user) when there are
    none or one is not a class index: an evaluation of nothing, or of a class that does not
    exist, has no meaningful numbers."""
    labels = np.asarray(labels).reshape(-1)
    if len(labels) == 0:
        raise ValueError("no rows to evaluate")
    must = f"labels must be class numbers 0 to {N_EXPRESSIONS - 1} ({', '.join(EXPRESSIONS)})"
    if labels.dtype.kind not in "iuf":  # text, say, which the checks below cannot compare with numbers
        raise ValueError(f"{must}, found {labels.dtype} values")
    bad = labels[(labels < 0) | (labels >= N_EXPRESSIONS) | (labels != np.round(labels))]
    if len(bad):
        raise ValueError(f"{must}, found {bad[0]}")
    return labels.astype(np.int64)


def evaluate_probs(probs: np.ndarray, labels: np.ndarray) -> EvalReport:
    """probs: (N, 7) class probabilities in EXPRESSIONS order; labels: (N,) int true classes (see check_labels)."""
    probs = np.asarray(probs, np.float64).reshape(-1, N_EXPRESSIONS)
    labels = check_labels(labels)
    if len(probs) != len(labels):
        raise ValueError(f"{len(probs)} probability rows for {len(labels)} labels")
    pred = probs.argmax(axis=1)
    confusion = np.bincount(labels * N_EXPRESSIONS + pred, minlength=N_EXPRESSIONS**2).reshape(N_EXPRESSIONS, N_EXPRESSIONS)
    support = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.diag(confusion) / support
    return EvalReport(
        n=int(len(labels)),
        accuracy=float((pred == labels).mean()),
        per_class_recall={name: float(r) for name, r in zip(EXPRESSIONS, recall)},
        confusion=confusion.tolist(),
        ece=expected_calibration_error(probs, labels),
    )


def face_recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of true face boxes whose centre lies inside some found box ((N, 4) and (M, 4) xywh).

    A centre test rather than IoU: detectors frame a face differently (the canonical
    box is tighter than Haar's), but any usable box covers the face's centre.
    """
    if len(truth) == 0:
        return 1.0
    if len(found) == 0:
        return 0.0
    cx, cy = truth[:, 0] + truth[:, 2] / 2, truth[:, 1] + truth[:, 3] / 2
    inside = (found[None, :, 0] <= cx[:, None]) & (cx[:, None] <= found[None, :, 0] + found[None, :, 2])
    inside &= (found[None, :, 1] <= cy[:, None]) & (cy[:, None] <= found[None, :, 1] + found[None, :, 3])
    return float(inside.any(axis=1).mean())


def flip_averaged(predict: Callable[[np.ndarray], np.ndarray], faces: np.ndarray) -> np.ndarray:
    """Horizontal-flip test-time augmentation: the mean of ``predict`` on (N, H, W, C) faces and on
    their mirror images (width is axis 2); a mirrored face shows the same expression."""
    return (predict(faces) + predict(np.ascontiguousarray(faces[:, :, ::-1]))) / 2.0
