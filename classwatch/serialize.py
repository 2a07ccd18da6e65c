"""Pipeline results as plain JSON-ready dicts (the ``analyze --json`` contract)."""

from __future__ import annotations

import math

from .pipeline import FrameResult
from .types import EXPRESSIONS


def _round(values, ndigits: int = 1) -> list[float]:
    return [round(float(v), ndigits) for v in values]


def _degrees(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 1)  # unknown (NaN) is null


def frame_to_dict(result: FrameResult) -> dict:
    """One analysed frame. Face probabilities are the smoothed per-track ones
    (what the app shows); in presence-only mode faces carry no label or probs.
    With attention on, each face has its smoothed head ``pose`` (yaw, pitch in
    degrees, null where unknown) and whether it is ``facing`` the camera; with
    it off, neither."""
    layout, faces, tracks = result.layout, result.faces, result.tracks
    has_face = set(int(i) for i in faces.tile if i >= 0)
    tiles = [
        {"box": [int(v) for v in box], "video": bool(video), "face": i in has_face}
        for i, (box, video) in enumerate(zip(layout.boxes, layout.video))
    ] if layout.grid else []
    out_faces = []
    for i in range(len(faces)):
        face = {
            "box": _round(faces.boxes[i]),
            "score": round(float(faces.scores[i]), 4),
            "tile": int(faces.tile[i]),
            "track": int(tracks.ids[i]),
        }
        if result.scores is not None:
            probs = tracks.probs[i]
            face["label"] = EXPRESSIONS[int(probs.argmax())]
            face["probs"] = {name: round(float(p), 4) for name, p in zip(EXPRESSIONS, probs)}
        if result.facing is not None:
            yaw, pitch = tracks.pose[i]
            face["pose"] = {"yaw": _degrees(yaw), "pitch": _degrees(pitch)}
            face["facing"] = bool(result.facing[i])
        out_faces.append(face)
    return {"t": round(float(result.t), 3), "grid": layout.grid, "tiles": tiles, "faces": out_faces, "mood": result.mood.to_dict()}
