"""FER2013 (+ FER+ votes) loading and training targets.

The file format is described in ``shared/data/README.md``. Training rows are
``usage == 0`` and validation rows (PublicTest) ``usage == 1``; accuracy is
always reported against the original FER2013 ``label``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..types import N_EXPRESSIONS

#: FER+ vote columns -> FER2013 class index (EXPRESSIONS order). Contempt,
#: unknown and not-a-face (columns 7, 8, 9) have no FER2013 class and are dropped.
FERPLUS_TO_FER = np.array([6, 3, 5, 4, 0, 1, 2])

TRAIN, VAL = 0, 1


@dataclass(frozen=True)
class Split:
    """pixels: (N, 48, 48) uint8. label: (N,) int64 FER2013 labels. target: (N, 7) float32 rows sum to 1.
    majority: (N,) int64 FER+ crowd majority (the top class of the votes alone; rows without
    votes keep their FER2013 label), whatever share of FER+ the target holds."""

    pixels: np.ndarray
    label: np.ndarray
    target: np.ndarray
    majority: np.ndarray

    def __len__(self) -> int:
        return len(self.label)


@dataclass(frozen=True)
class FerData:
    train: Split
    val: Split


def soft_targets(label: np.ndarray, ferplus: np.ndarray, ferplus_weight: float) -> np.ndarray:
    """Mix the FER2013 one-hot label with the FER+ vote distribution.

    FER2013 labels are noisy (FER+ majority agrees on only 63% of rows); the
    crowd votes soften them. We still report accuracy against FER2013 labels,
    so the one-hot keeps a share (1 - ferplus_weight). Rows without any
    usable FER+ vote fall back to the one-hot.
    """
    label = np.asarray(label, np.int64)
    onehot = np.eye(N_EXPRESSIONS, dtype=np.float32)[label]
    votes = np.zeros((len(label), N_EXPRESSIONS), np.float32)
    votes[:, FERPLUS_TO_FER] = np.asarray(ferplus, np.float32)[:, : len(FERPLUS_TO_FER)]
    total = votes.sum(axis=1, keepdims=True)
    has_votes = total[:, 0] > 0
    dist = np.where(has_votes[:, None], votes / np.maximum(total, 1.0), onehot)
    return (1.0 - ferplus_weight) * onehot + ferplus_weight * dist


KEYS = ("pixels", "label", "ferplus", "usage")


def check_data_file(path: str | Path) -> Path:
    """``path`` if it is a readable FER2013 file, else SystemExit with a one-line reason (for the CLIs)."""
    try:
        with np.load(path) as z:
            missing = [k for k in KEYS if k not in z.files]
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise SystemExit(f"cannot read the FER2013 data file {path}: {e}") from None
    if missing:
        raise SystemExit(f"{path} is not the FER2013 data file (no {', '.join(missing)})")
    return Path(path)


#: Seed of the dev split: fixed, so every run that asks for one holds out the same faces.
DEV_SEED = 2013


def dev_rows(label: np.ndarray, fraction: float) -> np.ndarray:
    """Boolean mask of a stratified ``fraction`` of the rows (the same rows for the same labels).

    Design decisions (targets, weights, regularisation) are made on a dev split
    carved out of Training, so PublicTest, which the project reports, only ever
    picks checkpoints.
    """
    rng = np.random.default_rng(DEV_SEED)
    mask = np.zeros(len(label), bool)
    for c in range(N_EXPRESSIONS):
        rows = np.flatnonzero(label == c)
        mask[rng.permutation(rows)[: round(fraction * len(rows))]] = True
    return mask


def load_fer(path: Path, ferplus_weight: float = 0.5, limit: int | None = None, dev_fraction: float = 0.0) -> FerData:
    """Load the train/val splits; ``limit`` keeps the first N rows of each (tiny test runs).

    With ``dev_fraction`` > 0 that share of the Training rows (``dev_rows``) is
    the validation split instead of PublicTest, and is left out of training.
    """
    with np.load(path) as z:
        pixels, label, ferplus, usage = z["pixels"], z["label"].astype(np.int64), z["ferplus"], z["usage"]

    def split(idx: np.ndarray) -> Split:
        idx = idx[:limit]
        return Split(pixels[idx], label[idx], soft_targets(label[idx], ferplus[idx], ferplus_weight),
                     soft_targets(label[idx], ferplus[idx], 1.0).argmax(1))

    train = np.flatnonzero(usage == TRAIN)
    if dev_fraction <= 0:
        return FerData(split(train), split(np.flatnonzero(usage == VAL)))
    dev = dev_rows(label[train], dev_fraction)
    return FerData(split(train[~dev]), split(train[dev]))


def label_agreement(probs: np.ndarray, label: np.ndarray, majority: np.ndarray) -> dict[str, float]:
    """Accuracy of (N, 7) probabilities against the FER2013 ``label`` and the FER+ crowd ``majority``
    of the same rows (``Split.majority``), and against FER2013 where the two label sets agree and where they differ."""
    pred = probs.argmax(1)
    agree = majority == label
    right = pred == label
    return {
        "fer2013_accuracy": round(float(right.mean()), 4),
        "ferplus_majority_accuracy": round(float((pred == majority).mean()), 4),
        "fer2013_accuracy_where_labels_agree": round(float(right[agree].mean()), 4),
        "fer2013_accuracy_where_they_differ": round(float(right[~agree].mean()), 4),
    }


def class_weights(label: np.ndarray, power: float) -> np.ndarray:
    """(7,) per-class loss weights ``(1 / frequency) ** power``, normalised to mean 1 over samples.

    power = 0 is no reweighting, 1 is full inverse-frequency balancing; a
    moderate power lifts rare classes (disgust is 1.5% of the data) without
    trading away much overall accuracy.
    """
    counts = np.bincount(label, minlength=N_EXPRESSIONS).astype(np.float64)
    w = (counts.sum() / np.maximum(counts, 1.0)) ** power
    w /= (w[label]).mean()
    return w.astype(np.float32)
