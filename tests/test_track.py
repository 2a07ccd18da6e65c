import numpy as np

from classwatch.track import Tracker, iou_matrix
from classwatch.types import ExpressionScores, FaceDetections


def faces(boxes, tiles):
    return FaceDetections(np.array(boxes, np.float32), np.ones(len(boxes)), tile=np.array(tiles))


def onehot(idx):
    p = np.full((len(idx), 7), 0.0, np.float32)
    p[np.arange(len(idx)), idx] = 1.0
    return ExpressionScores(p)


def test_iou_matrix_basic():
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 5, 5]], np.float32)
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0]], rtol=1e-6)
    assert iou_matrix(a, np.zeros((0, 4))).shape == (1, 0)


def test_ids_stay_with_their_tile_and_new_faces_get_new_ids():
    tr = Tracker(smoothing_s=0)
    first = tr.update(faces([[0, 0, 20, 20], [100, 0, 20, 20]], [0, 1]), onehot([3, 6]), 0.0)
    second = tr.update(faces([[101, 1, 20, 20], [1, 0, 20, 20]], [1, 0]), onehot([6, 3]), 1.0)
    assert list(first.ids) == [1, 2]
    assert list(second.ids) == [2, 1]  # matched by box and tile, not by order
    third = tr.update(faces([[300, 0, 20, 20]], [2]), onehot([0]), 2.0)
    assert list(third.ids) == [3]


def test_face_in_another_tile_does_not_continue_a_track():
    tr = Tracker()
    tr.update(faces([[0, 0, 20, 20]], [0]), onehot([3]), 0.0)
    moved = tr.update(faces([[0, 0, 20, 20]], [5]), onehot([3]), 1.0)
    assert list(moved.ids) == [2]


def test_track_ends_after_max_missed_frames():
    tr = Tracker(max_missed=1)
    tr.update(faces([[0, 0, 20, 20]], [0]), onehot([3]), 0.0)
    tr.update(FaceDetections.empty(), ExpressionScores.empty(), 1.0)  # missed once: survives
    back = tr.update(faces([[0, 0, 20, 20]], [0]), onehot([3]), 2.0)
    assert list(back.ids) == [1]
    tr.update(FaceDetections.empty(), ExpressionScores.empty(), 3.0)
    tr.update(FaceDetections.empty(), ExpressionScores.empty(), 4.0)  # missed twice: ended
    again = tr.update(faces([[0, 0, 20, 20]], [0]), onehot([3]), 5.0)
    assert list(again.ids) == [2]


def test_smoothing_damps_a_single_flicker():
    tr = Tracker(smoothing_s=3.0)
    box = [[0, 0, 20, 20]]
    for t in range(5):
        tr.update(faces(box, [0]), onehot([3]), float(t))  # steady "happy"
    flick = tr.update(faces(box, [0]), onehot([4]), 5.0)  # one frame of "sad"
    assert flick.probs[0].argmax() == 3
    expected_weight = 1 - np.exp(-1 / 3)
    assert abs(flick.probs[0, 4] - expected_weight) < 1e-5
    np.testing.assert_allclose(flick.probs.sum(axis=1), 1.0, rtol=1e-5)


def test_presence_only_tracks_have_nan_probs():
    tr = Tracker()
    out = tr.update(faces([[0, 0, 20, 20]], [0]), None, 0.0)
    assert len(out) == 1 and np.isnan(out.probs).all()
