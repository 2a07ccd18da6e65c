"""Head yaw and pitch from the five landmarks the face detector already gives.

Attention (who faces the screen) needs each face's head orientation. YuNet
gives five points per face (right eye, left eye, nose tip, right and left
mouth corner) and a box; as a head turns, the nose moves off the eyes' and
mouth's midline and the points move within the box; as it tilts, the nose
moves between the eye line and the mouth. Fitting a generic 3D face to five
points (``cv2.solvePnP``) reads yaw well but pitch poorly, because five
points of an unknown face hardly fix its depth. So the angles are read by a
regression from the points instead: a ridge regression on the degree-2
products of the points' positions (relative to the eyes' midpoint and to the
box centre, in box heights), fitted on photos of people at known head
angles. ``benchmarks/head_pose.py`` fits and scores it person by person
(each person scored by a model that never saw them) against the solvePnP
baseline, and ``--write`` refits it on all of them into ``models/``.

Sign convention: yaw > 0 when the person turns to their own right (the nose
moves to the left of the picture), pitch > 0 when they look up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .resources import model_path
from .types import FaceDetections

MODEL = "head_pose_landmarks.json"
#: A face is facing the screen within these many degrees of yaw and of pitch (defaults of the
#: settings; chosen on benchmarks/head_pose.py's person-by-person predictions).
FACING_YAW = 35.0
FACING_PITCH = 35.0
#: Ridge penalty of the fit (on standardised features).
RIDGE = 100.0


def facing(angles: np.ndarray, yaw_limit: float = FACING_YAW, pitch_limit: float = FACING_PITCH) -> np.ndarray:
    """(N,) whether (N, 2) yaw, pitch angles face the screen; False where unknown (NaN)."""
    angles = np.asarray(angles, np.float64).reshape(-1, 2)
    with np.errstate(invalid="ignore"):
        return (np.abs(angles[:, 0]) <= yaw_limit) & (np.abs(angles[:, 1]) <= pitch_limit)


def features(keypoints: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(N, F) degree-2 polynomial features of (N, 5, 2) landmarks in (N, 4) x, y, w, h face boxes.

    The landmarks are taken relative to the eyes' midpoint (where the left
    eye, nose and mouth corners sit from there) and to the box centre (where
    the whole face sits in its box), in units of the box height, so the
    features do not depend on the face's size or place in the frame.
    """
    keypoints = np.asarray(keypoints, np.float64).reshape(-1, 5, 2)
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    side = np.maximum(boxes[:, 3], 1e-6)[:, None, None]
    eyes = keypoints[:, :2].mean(axis=1, keepdims=True)
    centre = (boxes[:, :2] + boxes[:, 2:] / 2)[:, None, :]
    base = np.concatenate([((keypoints[:, 1:] - eyes) / side).reshape(len(boxes), -1), ((keypoints - centre) / side).reshape(len(boxes), -1)], axis=1)
    upper = np.triu_indices(base.shape[1])
    products = (base[:, :, None] * base[:, None, :])[:, upper[0], upper[1]]
    return np.concatenate([base, products], axis=1)


@dataclass(frozen=True)
class HeadPoseModel:
    """A fitted regression: angles = ((features - mean) / scale) @ weights + bias, in degrees."""

    mean: np.ndarray  # (F,)
    scale: np.ndarray  # (F,)
    weights: np.ndarray  # (F, 2) yaw, pitch
    bias: np.ndarray  # (2,)

    @classmethod
    def fit(cls, keypoints: np.ndarray, boxes: np.ndarray, angles: np.ndarray, ridge: float) -> "HeadPoseModel":
        """Ridge regression of (N, 2) yaw, pitch on the features, each feature standardised first."""
        x = features(keypoints, boxes)
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
        z = (x - mean) / scale
        bias = np.asarray(angles, np.float64).mean(axis=0)
        weights = np.linalg.solve(z.T @ z + ridge * np.eye(z.shape[1]), z.T @ (np.asarray(angles, np.float64) - bias))
        return cls(mean, scale, weights, bias)

    def predict(self, keypoints: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """(N, 2) yaw, pitch in degrees, clipped to +-90."""
        if len(boxes) == 0:
            return np.zeros((0, 2))
        z = (features(keypoints, boxes) - self.mean) / self.scale
        return np.clip(z @ self.weights + self.bias, -90.0, 90.0)

    def save(self, path: str | Path, provenance: dict) -> None:
        data = {"provenance": provenance, **{k: getattr(self, k).tolist() for k in ("mean", "scale", "weights", "bias")}}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> "HeadPoseModel":
        """The shipped model (default) or a file; a missing or malformed file is a ModelError."""
        path = Path(path) if path is not None else model_path(MODEL)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            model = cls(*(np.asarray(data[k], np.float64) for k in ("mean", "scale", "weights", "bias")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot read the head pose model {path}: {exc}") from None
        n = len(model.mean)
        if model.scale.shape != (n,) or model.weights.shape != (n, 2) or model.bias.shape != (2,):
            raise ModelError(f"cannot read the head pose model {path}: arrays of the wrong shape")
        return model

    def of(self, faces: FaceDetections) -> np.ndarray:
        """(N, 2) yaw, pitch of detected faces; NaN for faces without five landmarks (Haar)."""
        if faces.keypoints.shape[1] < 5:
            return np.full((len(faces), 2), np.nan)
        return self.predict(faces.keypoints[:, :5], faces.boxes)
