"""Expression classification with a LiteRT model and its model card.

A model is two files in ``models/``: ``NAME.tflite`` and ``NAME.json`` (the
machine-readable card: input size, normalisation, crop framing, class
order). The card is the contract between training and inference; this module
refuses a model whose card does not match the FER2013 class order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .litert import load_interpreter
from .preprocess import CropSpec, crop_faces, to_gray, to_model_input
from .resources import model_path
from .types import EXPRESSIONS, ExpressionScores, FaceDetections

#: The expression model the pipeline loads unless told otherwise.
DEFAULT_MODEL = "expression"


@dataclass(frozen=True)
class ModelCard:
    """The parts of ``NAME.json`` that inference needs."""

    name: str
    version: str
    model_file: Path
    crop: CropSpec
    #: The calibrated softmax temperature folded into the file (training reads it back).
    temperature: float = 1.0

    @classmethod
    def load(cls, card_path: Path) -> "ModelCard":
        card_path = Path(card_path)
        if not card_path.is_file():
            raise ModelError(f"model card not found: {card_path}")
        try:
            raw = json.loads(card_path.read_text(encoding="utf-8"))
            classes = tuple(raw["classes"])
            inp, crop = raw["input"], raw["crop"]
            spec = CropSpec(
                size=int(inp["size"]),
                margin=float(crop["margin"]),
                shift_y=float(crop["shift_y"]),
                mean=float(inp["mean"]),
                std=float(inp["std"]),
            )
            card = cls(
                name=str(raw["name"]),
                version=str(raw["version"]),
                model_file=card_path.parent / raw["file"],
                crop=spec,
                temperature=float(raw.get("temperature", 1.0)),
            )
        except KeyError as exc:
            raise ModelError(f"invalid model card {card_path}: it has no {exc}") from None
        except (OSError, ValueError, TypeError) as exc:
            raise ModelError(f"invalid model card {card_path}: {exc}") from None
        if classes != EXPRESSIONS:
            raise ModelError(f"model card {card_path} has class order {classes}, expected {EXPRESSIONS}")
        if int(inp.get("channels", 1)) != 1 or raw.get("output") != "probabilities":
            raise ModelError(f"model card {card_path}: only 1-channel models with probability output are supported")
        return card


def resolve_model(model: str | Path | None) -> Path:
    """Turn a model name (``models/NAME.json``), a ``.json`` or a ``.tflite`` path into a card path."""
    if model is None:
        return model_path(f"{DEFAULT_MODEL}.json")
    path = Path(model)
    if path.suffix == ".tflite":
        return path.with_suffix(".json")
    if path.suffix == ".json":
        return path
    return model_path(f"{model}.json")


class ExpressionClassifier:
    """Classifies face crops into the 7 FER2013 expressions, all faces of a frame in one call."""

    def __init__(self, model: str | Path | None = None, num_threads: int = 1) -> None:
        self.card = ModelCard.load(resolve_model(model))
        self._interpreter = load_interpreter(self.card.model_file, num_threads=num_threads)
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._batch = int(self._input["shape"][0])
        # Models exported with a dynamic batch dimension take all faces at once;
        # a fixed-batch model is fed one face at a time.
        self._dynamic = int(self._input["shape_signature"][0]) == -1
        size = self.card.crop.size
        if tuple(self._input["shape"][1:]) != (size, size, 1):
            raise ModelError(
                f"{self.card.model_file} expects input {tuple(self._input['shape'])}, card says {size}x{size}x1"
            )

    @property
    def name(self) -> str:
        return f"{self.card.name} {self.card.version}"

    def classify_crops(self, crops: np.ndarray) -> ExpressionScores:
        """(N, S, S) uint8 grey crops framed as the card says -> (N, 7) probabilities."""
        if len(crops) == 0:
            return ExpressionScores.empty()
        x = to_model_input(crops, self.card.crop)
        if self._dynamic:
            return ExpressionScores(self._run(x))
        return ExpressionScores(np.concatenate([self._run(x[i : i + 1]) for i in range(len(x))]))

    def classify(self, image: np.ndarray, faces: FaceDetections) -> ExpressionScores:
        """Crop every detected face out of a BGR (or grey) frame and classify them."""
        if len(faces) == 0:
            return ExpressionScores.empty()
        crops = crop_faces(to_gray(image), faces.boxes, self.card.crop, roll_angles(faces))
        return self.classify_crops(crops)

    def _run(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], x.shape)
            self._interpreter.allocate_tensors()
            self._batch = x.shape[0]
        self._interpreter.set_tensor(self._input["index"], x.astype(self._input["dtype"], copy=False))
        self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output["index"]), np.float32)


def roll_angles(faces: FaceDetections) -> np.ndarray | None:
    """Head roll in degrees from the eye keypoints (YuNet order: right eye, left eye), or None.

    FER2013 faces are upright; levelling the eyes before cropping removes a
    nuisance the model would otherwise have to learn.
    """
    if faces.keypoints.shape[1] < 2:
        return None
    right, left = faces.keypoints[:, 0], faces.keypoints[:, 1]
    d = left - right
    # Image y grows downwards; a positive angle in getRotationMatrix2D is counter-clockwise.
    angles = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    # Large values mean bad keypoints (profile view), not a tilted head: leave those alone.
    return np.where(np.abs(angles) <= 30.0, angles, 0.0)
