"""Augmentation that imitates what a screen capture does to a face.

Geometry goes through ``classwatch.preprocess.crop_faces``, the same function
the app uses to cut faces out of a frame: a FER2013 image is treated as a
frame, the detector box that would produce exactly that image under the
model's CropSpec is computed, then jittered in scale, position and roll.
So the framing seen in training is the run-time framing, plus the detector's
wobble. Photometric and quality degradations follow (webcam exposure, video
codec, gallery downscaling), then occlusion and a horizontal flip.

Everything draws from one ``numpy.random.Generator``, so a (seed, epoch)
pair reproduces an epoch's images exactly; that is what makes ``--resume``
repeatable without saving generator state.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..preprocess import CropSpec, crop_faces


@dataclass(frozen=True)
class AugmentConfig:
    scale: float = 0.12  # box side multiplied by exp(U(-scale, scale))
    shift: float = 0.06  # crop centre moved by U(-shift, shift) * crop side, per axis
    rotate: float = 12.0  # roll in degrees, U(-rotate, rotate)
    flip: float = 0.5  # probability of a horizontal flip
    photometric: float = 0.8  # probability of contrast/brightness/gamma change
    contrast: float = 0.35  # contrast factor exp(U(-c, c))
    brightness: float = 0.15  # offset U(-b, b) in units of full scale
    gamma: float = 0.35  # gamma exp(U(-g, g))
    low_res: float = 0.3  # probability of downscale then upscale
    low_res_min: int = 14  # smallest intermediate side in pixels
    blur: float = 0.2  # probability of a Gaussian blur
    blur_sigma: float = 1.2  # max sigma in pixels
    jpeg: float = 0.3  # probability of JPEG re-encoding
    jpeg_quality: tuple[int, int] = (20, 90)
    erase: float = 0.25  # probability of one occluding rectangle (hand, mic, mask)
    erase_area: tuple[float, float] = (0.04, 0.2)


def identity_box(spec: CropSpec) -> np.ndarray:
    """(4,) the (x, y, w, h) box that ``crop_faces`` maps exactly onto a whole spec.size image.

    Inverts the expansion in ``crop_faces``: side = box * (1 + 2 * margin) and
    the centre moves down by shift_y * side.
    """
    side = float(spec.size)
    box = side / (1.0 + 2.0 * spec.margin)
    cx = side / 2.0
    cy = side / 2.0 - spec.shift_y * side
    return np.array([cx - box / 2.0, cy - box / 2.0, box, box], np.float32)


def _geometry(images: np.ndarray, spec: CropSpec, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    n = len(images)
    x, y, w, h = identity_box(spec)
    side = w * np.exp(rng.uniform(-cfg.scale, cfg.scale, n))
    # Jitter relative to the crop side and rotation about the crop centre make the
    # augmented images independent of spec.margin / spec.shift_y: those only
    # describe how a detector box maps onto FER framing at run time.
    cx = x + w / 2.0 + rng.uniform(-cfg.shift, cfg.shift, n) * spec.size
    cy = y + h / 2.0 + rng.uniform(-cfg.shift, cfg.shift, n) * spec.size
    angles = rng.uniform(-cfg.rotate, cfg.rotate, n)
    boxes = np.stack([cx - side / 2.0, cy - side / 2.0, side, side], axis=1)
    out = np.empty_like(images)
    for i in range(n):
        out[i] = crop_faces(images[i], boxes[i : i + 1], spec, angles[i : i + 1])[0]
    return out


def _photometric(x: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """x: (N, S, S) float32 in [0, 1], changed in place where the coin says so."""
    n = len(x)
    pick = rng.random(n) < cfg.photometric
    gamma = np.exp(rng.uniform(-cfg.gamma, cfg.gamma, n))
    contrast = np.exp(rng.uniform(-cfg.contrast, cfg.contrast, n))
    bright = rng.uniform(-cfg.brightness, cfg.brightness, n)
    sel = x[pick] ** gamma[pick, None, None]
    mean = sel.mean(axis=(1, 2), keepdims=True)
    sel = (sel - mean) * contrast[pick, None, None] + mean + bright[pick, None, None]
    x[pick] = np.clip(sel, 0.0, 1.0)
    return x


def _quality(img: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """One uint8 image through the capture chain: low resolution, blur, JPEG."""
    s = img.shape[0]
    if rng.random() < cfg.low_res:
        small = int(rng.integers(cfg.low_res_min, s))
        img = cv2.resize(img, (small, small), interpolation=cv2.INTER_AREA)
        img = cv2.resize(img, (s, s), interpolation=cv2.INTER_LINEAR)
    if rng.random() < cfg.blur:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.3, cfg.blur_sigma)))
    if rng.random() < cfg.jpeg:
        q = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return img


def _erase(img: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    s = img.shape[0]
    area = rng.uniform(*cfg.erase_area) * s * s
    aspect = np.exp(rng.uniform(-0.8, 0.8))
    h = int(min(s, max(2, round(np.sqrt(area * aspect)))))
    w = int(min(s, max(2, round(np.sqrt(area / aspect)))))
    y, x = int(rng.integers(0, s - h + 1)), int(rng.integers(0, s - w + 1))
    img = img.copy()
    img[y : y + h, x : x + w] = rng.integers(0, 256)
    return img


def augment_batch(
    images: np.ndarray, spec: CropSpec, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig()
) -> np.ndarray:
    """(N, S, S) uint8 FER-framed faces -> (N, S, S) uint8 augmented faces."""
    out = _geometry(images, spec, cfg, rng)
    x = _photometric(out.astype(np.float32) * (1.0 / 255.0), cfg, rng)
    out = np.rint(x * 255.0).astype(np.uint8)
    for i in range(len(out)):
        out[i] = _quality(out[i], cfg, rng)
        if rng.random() < cfg.erase:
            out[i] = _erase(out[i], cfg, rng)
    flip = rng.random(len(out)) < cfg.flip
    out[flip] = out[flip, :, ::-1]
    return out
