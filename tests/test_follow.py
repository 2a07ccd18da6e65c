"""Following faces between detections (detect/follow.py) and its use in the pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import animate_gallery, render_gallery

from classwatch.detect import make_detector
from classwatch.detect.follow import MIN_MATCH, FaceFollower
from classwatch.metrics import face_recall
from classwatch.pipeline import Pipeline, PipelineConfig
from classwatch.types import FaceDetections, Frame, TileLayout


class CentreDetector:
    """Finds one face in the middle of every tile it is asked about, and remembers which tiles those were.

    Asked about a whole frame (the layout tracker looking for tiles), it gives ``frame_faces``.
    """

    name = "centre"

    def __init__(self, frame_faces: np.ndarray | None = None) -> None:
        self.asked: list[list[tuple[int, ...]]] = []
        self.heights: list[list[float]] = []  # the face_heights each tile was asked about with
        self.frame_faces = np.zeros((0, 4), np.float32) if frame_faces is None else np.asarray(frame_faces, np.float32)

    def detect(self, image: np.ndarray, layout: TileLayout | None = None, face_heights: np.ndarray | None = None) -> FaceDetections:
        if layout is None:
            boxes = self.frame_faces
            centres = boxes[:, None, :2] + boxes[:, None, 2:] / 2
            return FaceDetections(boxes, np.full(len(boxes), 0.9), np.repeat(centres, 6, axis=1))
        self.asked.append([tuple(int(v) for v in box) for box in layout.boxes[layout.video]])
        self.heights.append([0.0] * len(layout) if face_heights is None else list(face_heights))
        x, y, w, h = layout.boxes.T.astype(np.float32)
        boxes = np.stack([x + w / 3, y + h / 4, w / 3, h / 2], axis=1)
        keypoints = np.repeat(boxes[:, None, :2], 6, axis=1)
        return FaceDetections(boxes, np.full(len(boxes), 0.9), keypoints, np.arange(len(boxes)))


@pytest.fixture(scope="module")
def movie():
    gallery = render_gallery(4, 4, seed=3)
    return gallery, animate_gallery(gallery, 12, seed=5, swap_every=8)


def test_moving_faces_are_followed_with_fewer_detections(movie):
    gallery, frames = movie
    follower = FaceFollower(make_detector("yunet"), redetect_s=3.0)
    detected = []
    swaps_seen = 0
    for k, step in enumerate(frames):
        layout = TileLayout(gallery.tiles, gallery.video, grid=True)
        faces = follower.detect(step.gallery.image, layout, float(k))
        # Every participant is found in every frame, moved or swapped.
        assert face_recall(faces.boxes, step.gallery.faces) == 1.0, f"frame {k}"
        assert np.all(np.diff(faces.tile) >= 0)  # tile order, as a plain detector gives
        detected.append(follower.last_detected)
        for tile in step.swapped:  # a new person in a tile is never taken for the old one
            if tile in follower.last_match:
                swaps_seen += 1
                assert follower.last_match[tile] < MIN_MATCH
    assert detected[0] == len(gallery.tiles)
    assert np.mean(detected[1:]) < 0.5 * len(gallery.tiles)
    assert swaps_seen > 0  # the swap check above was exercised


def test_every_tile_is_detected_again_within_redetect_s():
    gallery = render_gallery(3, 3, seed=1)
    layout = TileLayout(gallery.tiles, gallery.video, grid=True)
    fake = CentreDetector()
    follower = FaceFollower(fake, redetect_s=2.0)
    last_seen = {}
    for k in range(12):  # a still picture: every follow succeeds, only the deadline forces detection
        t = 0.5 * k
        calls = len(fake.asked)
        follower.detect(gallery.image, layout, t)
        for box in fake.asked[-1] if len(fake.asked) > calls else []:
            last_seen[box] = t
        for box in map(tuple, gallery.tiles.tolist()):
            assert t - last_seen[box] <= 2.0
    assert sum(len(a) for a in fake.asked) < 12 * len(gallery.tiles) / 2
    # Staggered: after the first frame, never all tiles in one frame.
    assert max(len(a) for a in fake.asked[1:]) < len(gallery.tiles)


def test_a_tile_is_detected_again_with_the_height_of_the_faces_it_showed():
    gallery = render_gallery(3, 3, seed=1)
    layout = TileLayout(gallery.tiles, gallery.video, grid=True)
    fake = CentreDetector()
    follower = FaceFollower(fake, redetect_s=2.0)
    follower.detect(gallery.image, layout, 0.0)
    assert fake.heights[0] == [0.0] * 9  # first sight: nothing known
    follower.detect(gallery.image, layout, 10.0)  # every deadline passed
    assert fake.heights[-1] == pytest.approx((gallery.tiles[:, 3] / 2).tolist())  # the fake's face is half its tile


def test_a_new_tile_is_detected_with_the_height_of_the_faces_the_layout_search_saw():
    gallery = render_gallery(3, 3, seed=1)
    layout = TileLayout(gallery.tiles, np.ones(9, bool), grid=True)
    (x0, y0, _, _), (x4, y4, _, _) = gallery.tiles[0], gallery.tiles[4]
    seen = FaceDetections(np.array([[x0 + 5, y0 + 5, 20, 20], [x4 + 5, y4 + 5, 30, 30], [x4 + 40, y4 + 5, 24, 24]], np.float32), np.ones(3))
    fake = CentreDetector()
    follower = FaceFollower(fake, redetect_s=2.0)
    follower.detect(gallery.image, layout, 0.0, seen)
    assert fake.heights[0] == [20.0, 0.0, 0.0, 0.0, 24.0, 0.0, 0.0, 0.0, 0.0]  # each tile's smallest face seen


def test_changed_layout_and_no_grid_are_detected_afresh():
    gallery = render_gallery(3, 3, seed=1)
    fake = CentreDetector()
    follower = FaceFollower(fake, redetect_s=10.0)
    layout = TileLayout(gallery.tiles, gallery.video, grid=True)
    follower.detect(gallery.image, layout, 0.0)
    follower.detect(gallery.image, layout, 1.0)
    assert follower.last_detected == 0 and follower.last_followed == 9
    # The tile finder on a recompressed frame may move a box by a pixel: still the same tile.
    jittered = TileLayout(gallery.tiles + [1, 0, -1, 1], gallery.video, grid=True)
    follower.detect(gallery.image, jittered, 1.5)
    assert follower.last_detected == 0 and follower.last_followed == 9
    # Moved by a tenth of its width (a few percent is the finder's own jitter, see below): another layout.
    moved = TileLayout(gallery.tiles + [int(gallery.tiles[:, 2].min()) // 10, 0, 0, 0], gallery.video, grid=True)
    follower.detect(gallery.image, moved, 2.0)
    assert follower.last_detected == 9
    whole = TileLayout.whole_frame(*gallery.image.shape[1::-1])
    calls = len(fake.asked)
    follower.detect(gallery.image, whole, 3.0)
    follower.detect(gallery.image, whole, 4.0)
    assert len(fake.asked) == calls + 2


def test_redetect_zero_detects_every_frame():
    gallery = render_gallery(2, 2, seed=1)
    fake = CentreDetector()
    follower = FaceFollower(fake, redetect_s=0.0)
    layout = TileLayout(gallery.tiles, gallery.video, grid=True)
    for k in range(3):
        follower.detect(gallery.image, layout, float(k))
    assert [len(a) for a in fake.asked] == [4, 4, 4]


def test_pipeline_resets_when_time_goes_back():
    gallery = render_gallery(2, 2, seed=1)
    fake = CentreDetector(gallery.faces)
    pipeline = Pipeline(PipelineConfig(emotions=False, redetect_s=5.0), detector=fake)
    first = pipeline.process(Frame(gallery.image, 10.0))
    pipeline.process(Frame(gallery.image, 11.0))
    assert len(fake.asked) == 1  # followed
    again = pipeline.process(Frame(gallery.image, 0.0))  # a new input: start over
    assert len(fake.asked) == 2
    assert list(again.tracks.ids) == list(first.tracks.ids)  # track numbering restarted too


def test_negative_redetect_is_rejected():
    with pytest.raises(ValueError, match="redetect_s"):
        PipelineConfig(redetect_s=-1)


def test_a_tile_found_again_a_few_percent_off_keeps_its_faces():
    """Element Call's tiles come out 415 or 423-426 px wide from one layout search to the next
    (elementcall6.gif): the same tile, whose faces are followed on, not detected afresh."""
    from classwatch.detect.follow import _same_tiles

    memory = {(9, 43, 415, 234): "left", (432, 43, 415, 234): "middle"}
    again = _same_tiles(memory, [(9, 44, 426, 231), (421, 45, 426, 231), (640, 43, 415, 234)])
    assert again == {(9, 44, 426, 231): "left", (421, 45, 426, 231): "middle"}  # half a tile over: a new tile
    assert _same_tiles(memory, [(9, 43, 415, 260)]) == {}  # 26 px taller: another layout
