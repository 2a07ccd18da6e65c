import numpy as np
import pytest

from classwatch.aggregate import VALENCE, RoomCoverage, aggregate
from classwatch.types import EXPRESSIONS, TileLayout, Tracks


def layout(n, off=0):
    boxes = np.array([[i * 100, 0, 90, 50] for i in range(n)])
    video = np.array([True] * (n - off) + [False] * off)
    return TileLayout(boxes, video, grid=True)


def tracks(labels, p=1.0):
    probs = np.full((len(labels), 7), (1 - p) / 6, np.float32)
    probs[np.arange(len(labels)), [EXPRESSIONS.index(x) for x in labels]] = p
    return Tracks(np.arange(len(labels)), probs)


def test_valence_weights():
    assert dict(zip(EXPRESSIONS, VALENCE)) == {
        "angry": -1, "disgust": -1, "fear": -1, "happy": 1, "sad": -1, "surprise": 0, "neutral": 0}


def test_mood_index_is_mean_expected_valence():
    s = aggregate(2.0, layout(5, off=1), tracks(["happy", "happy", "sad", "neutral"]))
    assert s.available and s.mood_index == pytest.approx(0.25)
    assert (s.tiles, s.faces, s.camera_off) == (5, 4, 1)
    assert s.coverage == pytest.approx(1.0)
    assert dict(zip(EXPRESSIONS, s.label_counts))["happy"] == 2
    assert s.mean_probs.sum() == pytest.approx(1.0)
    assert s.confidence == pytest.approx(1.0)


def test_confidence_weighting():
    unsure = aggregate(0.0, layout(3), tracks(["happy"] * 3, p=0.5))
    sure = aggregate(0.0, layout(3), tracks(["happy"] * 3, p=1.0))
    assert 0 < unsure.mood_index < sure.mood_index == pytest.approx(1.0)


def test_below_minimum_group_reports_nothing_about_individuals():
    s = aggregate(0.0, layout(6), tracks(["happy", "sad"]), min_faces=3)
    assert not s.available and s.mood_index is None and s.mean_probs is None
    assert s.label_counts.sum() == 0
    assert s.faces == 2 and s.coverage == pytest.approx(2 / 6)


def test_presence_only_and_no_grid():
    nan = Tracks(np.arange(4), np.full((4, 7), np.nan, np.float32))
    s = aggregate(0.0, TileLayout.whole_frame(640, 480), nan)
    assert s.faces == 4 and s.tiles == 4 and not s.available
    d = s.to_dict()
    assert d["distribution"] is None and d["mood_index"] is None


def test_empty():
    s = aggregate(0.0, TileLayout.empty(), Tracks.empty())
    assert s.faces == 0 and s.coverage == 0 and not s.available


ROOM = TileLayout.whole_frame(1920, 1080)  # a classroom camera's picture: no tiles


def room_reading(room, t, faces):
    return room(ROOM, aggregate(t, ROOM, tracks(["neutral"] * faces)))


def test_room_coverage_is_faces_over_the_most_seen_in_the_last_minute():
    room = RoomCoverage()
    assert room_reading(room, 0, 30).coverage == 1.0
    assert room_reading(room, 10, 24).coverage == pytest.approx(0.8)  # six faces not found this time
    assert room_reading(room, 50, 27).coverage == pytest.approx(0.9)
    # A minute later the 30 of t=0 are forgotten: the most recently seen is 27.
    assert room_reading(room, 61, 27).coverage == pytest.approx(1.0)
    assert room_reading(room, 200, 0).coverage == 0.0  # a room emptied for more than a minute
    assert room_reading(room, 201, 0).coverage == 0.0  # nothing expected, nothing found


def test_room_coverage_against_the_class_size():
    room = RoomCoverage(class_size=25)
    assert room_reading(room, 0, 20).coverage == pytest.approx(0.8)
    assert room_reading(room, 1, 30).coverage == 1.0  # visitors: never above 1
    s = room_reading(room, 2, 20)
    assert (s.tiles, s.faces, s.camera_off) == (20, 20, 0)  # only the coverage changes


def test_room_coverage_starts_again_when_time_goes_back():
    room = RoomCoverage()
    room_reading(room, 30, 30)
    assert room_reading(room, 0, 10).coverage == 1.0


def test_gallery_coverage_is_left_alone():
    s = aggregate(0.0, layout(6), tracks(["happy", "sad", "happy"]))
    assert RoomCoverage(class_size=30)(layout(6), s) is s


def test_room_attention_is_over_the_faces_expected():
    room = RoomCoverage(class_size=25)
    facing = np.array([True] * 15 + [False] * 5)
    posed = Tracks(np.arange(20), tracks(["neutral"] * 20).probs, np.zeros((20, 2), np.float32))
    s = room(ROOM, aggregate(0.0, ROOM, posed, facing=facing))
    assert s.attention == pytest.approx(15 / 25)  # five students not found are not facing the front
    assert room(ROOM, aggregate(1.0, ROOM, tracks(["neutral"] * 20))).attention is None  # attention off stays off
