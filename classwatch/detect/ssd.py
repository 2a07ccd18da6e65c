"""BlazeFace post-processing: SSD anchors, box decoding and blending NMS.

A re-implementation of the calculators of mediapipe's face-detection graphs
(``mediapipe/modules/face_detection/face_detection.pbtxt``), with the options
of ``face_detection_short_range.pbtxt`` and ``face_detection_full_range.pbtxt``:

* SsdAnchorsCalculator: ``min_scale 0.1484375, max_scale 0.75,
  anchor_offset_x/y 0.5, aspect_ratios [1.0], fixed_anchor_size true`` plus
  the per-model ``strides`` and ``interpolated_scale_aspect_ratio``. With a
  fixed anchor size every anchor is 1x1, so only anchor centres matter and
  min/max scale drop out; the aspect ratios only set how many anchors share
  a cell.
* TensorsToDetectionsCalculator: ``num_coords 16``, box at offset 0, 6
  keypoints at offset 4, ``reverse_output_order`` (x before y), every value
  divided by ``x/y/w/h_scale`` = the input side; that makes the raw values
  plain input pixels, which is what lets the short-range model run on inputs
  of other sizes. ``sigmoid_score`` with ``score_clipping_thresh 100``.
* NonMaxSuppressionCalculator: ``algorithm WEIGHTED``,
  ``min_suppression_threshold 0.3``, IoU overlap.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

NUM_KEYPOINTS = 6  # right eye, left eye, nose tip, mouth, right ear, left ear
NMS_IOU = 0.3
SCORE_CLIP = 100.0


def anchor_centres(height: int, width: int, strides: tuple[int, ...], interpolated_anchor: bool) -> np.ndarray:
    """(N, 2) float32 anchor centres (x, y) in input pixels, in the model's output order.

    strides: one per SSD layer. interpolated_anchor: the graph's
    ``interpolated_scale_aspect_ratio`` is > 0, which adds a second anchor
    per layer and cell.
    """
    per_layer = 2 if interpolated_anchor else 1
    out = []
    for stride, layers in itertools.groupby(strides):
        # Consecutive layers of equal stride share one feature map whose
        # cells hold all their anchors back to back (SsdAnchorsCalculator).
        repeat = per_layer * len(list(layers))
        # mediapipe places cell i at (i + 0.5) / cells * input size: the same
        # as (i + 0.5) * stride for inputs that are whole cells (classwatch's
        # always are), and the latter stays right for the others.
        rows, cols = math.ceil(height / stride), math.ceil(width / stride)
        ys = (np.arange(rows) + 0.5) * stride
        xs = (np.arange(cols) + 0.5) * stride
        grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        out.append(np.repeat(grid, repeat, axis=0))
    return np.concatenate(out).astype(np.float32)


def decode(
    raw: np.ndarray, logits: np.ndarray, anchors: np.ndarray, min_score: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw outputs of one image -> the detections scoring at least ``min_score``.

    raw: (N, 16) regressors, logits: (N,) classifier logits, anchors: (N, 2).
    Returns boxes (n, 4) (x, y, w, h), keypoints (n, 6, 2) and scores (n,),
    all in input pixels.
    """
    # The logistic function written with tanh: exp(100) overflows float32.
    scores = 0.5 + 0.5 * np.tanh(0.5 * np.clip(logits.reshape(-1), -SCORE_CLIP, SCORE_CLIP))
    keep = scores >= min_score
    raw, centres = raw[keep], anchors[keep]
    size = raw[:, 2:4]
    boxes = np.concatenate([centres + raw[:, 0:2] - size / 2, size], axis=1)
    keypoints = centres[:, None, :] + raw[:, 4 : 4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2)
    return boxes, keypoints, scores[keep]


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, B) intersection over union of (A, 4) and (B, 4) boxes (x, y, w, h)."""
    a = np.asarray(a, np.float32).reshape(-1, 1, 4)
    b = np.asarray(b, np.float32).reshape(1, -1, 4)
    x0 = np.maximum(a[..., 0], b[..., 0])
    y0 = np.maximum(a[..., 1], b[..., 1])
    x1 = np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2])
    y1 = np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    return inter / np.maximum(union, 1e-9)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, threshold: float = NMS_IOU
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BlazeFace's blending non-max suppression (mediapipe ``WEIGHTED``).

    Each cluster (the best remaining box and every box overlapping it by more
    than ``threshold`` IoU) becomes one detection whose box and keypoints are
    the score-weighted mean of the cluster and whose score is the best one's.
    Averaging the many anchors that fire on one face steadies its box from
    frame to frame, which plain greedy NMS does not.
    Returns boxes, keypoints and scores, best first.
    """
    order = np.argsort(-scores, kind="stable")
    out_boxes, out_keypoints, out_scores = [], [], []
    while order.size:
        overlap = iou(boxes[order[0]], boxes[order])[0]
        cluster = order[overlap > threshold]
        weights = scores[cluster] / scores[cluster].sum()
        out_boxes.append(weights @ boxes[cluster])
        out_keypoints.append(np.tensordot(weights, keypoints[cluster], axes=1))
        out_scores.append(scores[order[0]])
        order = order[overlap <= threshold]
    n = len(out_scores)
    return (
        np.asarray(out_boxes, np.float32).reshape(n, 4),
        np.asarray(out_keypoints, np.float32).reshape(n, NUM_KEYPOINTS, 2),
        np.asarray(out_scores, np.float32).reshape(n),
    )
