"""The analysis pipeline: Frame -> tiles -> faces -> expressions, head pose -> tracks -> MoodSample.

``Pipeline.process`` is the one verb the CLI, the benchmark and the desktop
app call. Its state lives in the FaceFollower (where each tile's faces were
last seen, see ``detect/follow.py``) and the Tracker (tracks and their
smoothing); call ``reset()`` between unrelated inputs. A frame whose time
goes backwards resets it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .aggregate import MIN_FACES, aggregate
from .classify import ExpressionClassifier
from .detect import FaceDetector, make_detector
from .detect.follow import REDETECT_S, FaceFollower
from .head_pose import FACING_PITCH, FACING_YAW, HeadPoseModel, facing
from .layout.tracker import LayoutTracker
from .track import Tracker
from .types import ExpressionScores, FaceDetections, Frame, MoodSample, TileLayout, Tracks


@dataclass(frozen=True)
class PipelineConfig:
    """Everything that changes what the pipeline computes (recorded with each session)."""

    detector: str = "yunet"
    model: str | Path | None = None  # expression model name or path; None = the default model
    emotions: bool = True  # False = presence-only: the expression model is never loaded
    attention: bool = True  # False: the head pose model is never run and no attention share is made
    facing_yaw_deg: float = FACING_YAW  # a face within these many degrees of yaw and pitch faces the camera
    facing_pitch_deg: float = FACING_PITCH
    min_faces: int = MIN_FACES
    smoothing_s: float = 3.0
    #: Seconds between fresh detections of a tile whose faces are followed
    #: in between; 0 detects every tile in every frame.
    redetect_s: float = REDETECT_S
    find_grid: bool = True
    num_threads: int = 1

    def __post_init__(self) -> None:
        if self.min_faces < 1:
            raise ValueError("min_faces must be at least 1")
        if self.smoothing_s < 0:
            raise ValueError("smoothing_s must be >= 0")
        if self.redetect_s < 0:
            raise ValueError("redetect_s must be >= 0")
        if not (0 < self.facing_yaw_deg <= 90 and 0 < self.facing_pitch_deg <= 90):
            raise ValueError("the facing limits must be above 0 and at most 90 degrees")


@dataclass(frozen=True)
class FrameResult:
    """Everything the pipeline found in one frame, aligned by face index."""

    t: float
    layout: TileLayout
    faces: FaceDetections
    scores: ExpressionScores | None  # raw per-frame probabilities; None in presence-only mode
    tracks: Tracks
    mood: MoodSample
    facing: np.ndarray | None = None  # (N,) bool from the smoothed pose; None when attention is off


class Pipeline:
    def __init__(
        self,
        config: PipelineConfig | None = None,
        detector: FaceDetector | None = None,
        classifier: ExpressionClassifier | None = None,
    ) -> None:
        self.config = config or PipelineConfig()
        self.detector = detector or make_detector(self.config.detector)
        if self.config.emotions:
            self.classifier = classifier or ExpressionClassifier(self.config.model, num_threads=self.config.num_threads)
        else:
            self.classifier = None
        self.head_pose = HeadPoseModel.load() if self.config.attention else None
        self.layouts = LayoutTracker(self.detector)
        self.follower = FaceFollower(self.detector, self.config.redetect_s)
        self.tracker = Tracker(smoothing_s=self.config.smoothing_s)
        self._last_t: float | None = None

    @property
    def model_name(self) -> str | None:
        return self.classifier.name if self.classifier else None

    def reset(self) -> None:
        self.layouts.reset()
        self.follower.reset()
        self.tracker.reset()
        self._last_t = None

    def process(self, frame: Frame) -> FrameResult:
        if self._last_t is not None and frame.t < self._last_t:
            self.reset()
        self._last_t = frame.t
        h, w = frame.image.shape[:2]
        layout = self.layouts.update(frame.image, frame.t) if self.config.find_grid else TileLayout.whole_frame(w, h)
        # Faces the layout search just found over the frame tell each new tile how small its faces are.
        faces = self.follower.detect(frame.image, layout, frame.t, self.layouts.last_faces)
        scores = self.classifier.classify(frame.image, faces) if self.classifier else None
        pose = self.head_pose.of(faces) if self.head_pose else None
        tracks = self.tracker.update(faces, scores, frame.t, pose)
        looks = facing(tracks.pose, self.config.facing_yaw_deg, self.config.facing_pitch_deg) if self.head_pose else None
        mood = aggregate(frame.t, layout, tracks, self.config.min_faces, looks)
        return FrameResult(frame.t, layout, faces, scores, tracks, mood, looks)
