"""Attention: head pose smoothed per track, the facing rule, the class share and its JSON (no display)."""

import cv2
import numpy as np
import pytest

import classwatch.pipeline
from classwatch.aggregate import aggregate
from classwatch.head_pose import FACING_PITCH, FACING_YAW
from classwatch.pipeline import FrameResult, Pipeline, PipelineConfig
from classwatch.serialize import frame_to_dict
from classwatch.track import Tracker
from classwatch.types import FaceDetections, Frame, MoodSample, TileLayout, Tracks
from conftest import DEMO_VIDEO

BOX = [[0, 0, 20, 20]]


def one_face(tile=0):
    return FaceDetections(np.array(BOX, np.float32), np.ones(1), tile=np.array([tile]))


def gallery(n, off=0):
    """n tiles in a row, the last ``off`` of them camera-off."""
    return TileLayout(np.array([[i * 100, 0, 90, 50] for i in range(n)]), np.array([True] * (n - off) + [False] * off), True)


def posed(angles):
    """Tracks with the given (yaw, pitch) per face and no expression probabilities."""
    angles = np.array(angles, np.float32).reshape(-1, 2)
    return Tracks(np.arange(len(angles)), np.full((len(angles), 7), np.nan), angles)


def share(layout, angles, min_faces=3):
    tracks = posed(angles)
    facing = (np.abs(tracks.pose) <= 35).all(axis=1)
    return aggregate(0.0, layout, tracks, min_faces, facing).attention


# --- smoothing per track


def test_pose_is_smoothed_per_track_with_the_probabilities_weight():
    tr = Tracker(smoothing_s=3.0)
    for t in range(5):
        tr.update(one_face(), None, float(t), np.array([[0.0, 0.0]]))  # facing the camera
    turned = tr.update(one_face(), None, 5.0, np.array([[60.0, -30.0]]))  # one sample turned away
    w = 1 - np.exp(-1 / 3)  # the weight the expression probabilities get for the same step
    np.testing.assert_allclose(turned.pose[0], [60 * w, -30 * w], rtol=1e-5)
    assert list(turned.ids) == [1]


def test_a_new_track_starts_from_its_own_pose_and_no_smoothing_follows_the_reading():
    tr = Tracker(smoothing_s=3.0)
    tr.update(one_face(0), None, 0.0, np.array([[50.0, 0.0]]))
    other = tr.update(one_face(1), None, 1.0, np.array([[-10.0, 5.0]]))  # another tile: another track
    np.testing.assert_allclose(other.pose, [[-10.0, 5.0]])
    raw = Tracker(smoothing_s=0)
    raw.update(one_face(), None, 0.0, np.array([[50.0, 0.0]]))
    np.testing.assert_allclose(raw.update(one_face(), None, 1.0, np.array([[1.0, 2.0]])).pose, [[1.0, 2.0]])


def test_without_pose_tracks_have_nan_pose():
    out = Tracker().update(one_face(), None, 0.0)
    assert out.pose.shape == (1, 2) and np.isnan(out.pose).all()
    assert Tracks.empty().pose.shape == (0, 2)
    with pytest.raises(ValueError, match="pose"):
        Tracks([1], np.zeros((1, 7)), np.zeros((1, 3)))


# --- the class share


def test_share_is_facing_faces_over_video_tiles():
    # 5 tiles, 1 camera off (absent), 4 video tiles: 3 faces found, 2 facing; the tile whose face
    # was not found counts as away.
    assert share(gallery(5, off=1), [[0, 0], [10, -20], [70, 0]]) == pytest.approx(2 / 4)


def test_camera_off_tiles_are_absent_not_away():
    assert share(gallery(6, off=3), [[0, 0], [5, 5], [-5, 10]]) == pytest.approx(1.0)


def test_a_tile_with_several_people_counts_each():
    # A meeting room's camera: 4 faces in 3 video tiles; the share never exceeds 1.
    assert share(gallery(3), [[0, 0], [0, 0], [0, 0], [0, 0]]) == pytest.approx(1.0)


def test_without_a_grid_the_faces_found_are_the_class():
    assert share(TileLayout.whole_frame(640, 480), [[0, 0], [0, 50], [80, 0], [0, 0]]) == pytest.approx(2 / 4)


def test_share_is_withheld_below_the_minimum_group_size():
    assert share(gallery(6), [[0, 0], [0, 0]], min_faces=3) is None
    assert share(gallery(6), [[0, 0], [0, 0], [0, 0]], min_faces=3) == pytest.approx(3 / 6)


def test_share_is_withheld_when_off_or_when_the_pose_is_unknown():
    tracks = posed([[0, 0]] * 3)
    assert aggregate(0.0, gallery(3), tracks, 3, None).attention is None  # attention off
    haar = posed([[np.nan, np.nan]] * 3)  # a detector without landmarks: not "everyone looks away"
    assert aggregate(0.0, gallery(3), haar, 3, np.zeros(3, bool)).attention is None


def test_mood_sample_attention_defaults_to_none_and_is_checked():
    s = MoodSample(0.0, 1, 1, 0, None, np.zeros(7), None, 0.0, 1.0)
    assert s.attention is None and s.to_dict()["attention"] is None
    assert MoodSample(0.0, 1, 1, 0, None, np.zeros(7), None, 0.0, 1.0, 0.123456).to_dict()["attention"] == 0.1235
    with pytest.raises(ValueError, match="attention"):
        MoodSample(0.0, 1, 1, 0, None, np.zeros(7), None, 0.0, 1.0, 1.5)


# --- JSON


def result(facing):
    faces = FaceDetections(np.array([[0, 0, 20, 20], [30, 0, 20, 20]], np.float32), np.ones(2), tile=np.array([0, 0]))
    tracks = Tracks([1, 2], np.full((2, 7), np.nan), [[12.34, -5.0], [np.nan, np.nan]])
    mood = aggregate(0.0, TileLayout.whole_frame(100, 50), tracks, 1, facing)
    return FrameResult(0.0, TileLayout.whole_frame(100, 50), faces, None, tracks, mood, facing)


def test_json_faces_carry_pose_and_facing_when_attention_is_on():
    doc = frame_to_dict(result(np.array([True, False])))
    assert [f["pose"] for f in doc["faces"]] == [{"yaw": 12.3, "pitch": -5.0}, {"yaw": None, "pitch": None}]
    assert [f["facing"] for f in doc["faces"]] == [True, False]
    assert "attention" in doc["mood"]


def test_json_has_no_pose_when_attention_is_off():
    doc = frame_to_dict(result(None))
    assert all("pose" not in f and "facing" not in f for f in doc["faces"])
    assert doc["mood"]["attention"] is None


# --- the pipeline


@pytest.fixture(scope="module")
def demo_frame():
    capture = cv2.VideoCapture(str(DEMO_VIDEO))
    ok, image = capture.read()
    capture.release()
    assert ok
    return Frame(image, 0.0)


def test_pipeline_with_attention_off_never_runs_the_pose_model(monkeypatch, demo_frame):
    def forbidden(*args, **kwargs):
        raise AssertionError("the head pose model was loaded with attention off")

    monkeypatch.setattr(classwatch.pipeline.HeadPoseModel, "load", forbidden)
    pipeline = Pipeline(PipelineConfig(emotions=False, attention=False))
    assert pipeline.head_pose is None
    out = pipeline.process(demo_frame)
    assert len(out.faces) == 4 and out.facing is None and out.mood.attention is None
    assert np.isnan(out.tracks.pose).all()


def test_presence_only_keeps_attention(demo_frame):
    out = Pipeline(PipelineConfig(emotions=False)).process(demo_frame)
    assert out.mood.mood_index is None and out.mood.attention is not None
    assert out.mood.attention == pytest.approx(out.facing.sum() / 4)
    assert not np.isnan(out.tracks.pose).any()


def test_the_facing_limits_come_from_the_config(demo_frame):
    loose = Pipeline(PipelineConfig(emotions=False, facing_yaw_deg=90, facing_pitch_deg=90)).process(demo_frame)
    assert loose.facing.all() and loose.mood.attention == 1.0
    assert (PipelineConfig().facing_yaw_deg, PipelineConfig().facing_pitch_deg) == (FACING_YAW, FACING_PITCH)


@pytest.mark.parametrize("limits", [{"facing_yaw_deg": 0}, {"facing_pitch_deg": -5}, {"facing_yaw_deg": 91}])
def test_pipeline_config_refuses_facing_limits_out_of_range(limits):
    with pytest.raises(ValueError, match="facing limits"):
        PipelineConfig(**limits)
