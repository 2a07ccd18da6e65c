import numpy as np
import pytest

from classwatch.aggregate import VALENCE, aggregate
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
