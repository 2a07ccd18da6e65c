"""classwatch.metrics on hand-computed cases."""

import math

import numpy as np
import pytest

from classwatch.metrics import check_labels, evaluate_probs, expected_calibration_error
from classwatch.types import EXPRESSIONS


def onehot_probs(pred, conf=1.0):
    p = np.full((len(pred), 7), (1.0 - conf) / 6.0)
    p[np.arange(len(pred)), pred] = conf
    return p


def test_confusion_and_recall():
    labels = np.array([0, 0, 0, 3, 3, 6])
    pred = np.array([0, 0, 4, 3, 6, 6])
    r = evaluate_probs(onehot_probs(pred), labels)
    assert r.n == 6
    assert r.accuracy == pytest.approx(4 / 6)
    conf = np.array(r.confusion)
    assert conf.shape == (7, 7) and conf.sum() == 6
    assert conf[0, 0] == 2 and conf[0, 4] == 1 and conf[3, 3] == 1 and conf[3, 6] == 1 and conf[6, 6] == 1
    assert r.per_class_recall["angry"] == pytest.approx(2 / 3)
    assert r.per_class_recall["happy"] == pytest.approx(0.5)
    assert r.per_class_recall["neutral"] == 1.0
    assert math.isnan(r.per_class_recall["disgust"])  # no samples
    assert list(r.per_class_recall) == list(EXPRESSIONS)


def test_ece_hand_computed():
    # Two samples at confidence 0.9 (one right), two at 0.6 (both right).
    # bins: |0.5 - 0.9| * 2/4 + |1.0 - 0.6| * 2/4 = 0.2 + 0.2
    probs = onehot_probs(np.array([0, 1, 2, 3]), conf=0.9)
    probs[2:] = onehot_probs(np.array([2, 3]), conf=0.6)
    labels = np.array([0, 5, 2, 3])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.4)


def test_ece_perfect_and_confidence_one():
    labels = np.array([1, 2, 3])
    assert expected_calibration_error(onehot_probs(labels, 1.0), labels) == pytest.approx(0.0)
    # confidence exactly 1.0 lands in the last bin, not out of range
    assert expected_calibration_error(onehot_probs(labels, 1.0), np.array([0, 0, 0])) == pytest.approx(1.0)


def test_to_dict_schema():
    d = evaluate_probs(onehot_probs(np.array([0, 1])), np.array([0, 1])).to_dict()
    assert set(d) == {"n", "accuracy", "per_class_recall", "confusion", "ece"}
    assert d["n"] == 2 and d["accuracy"] == 1.0 and len(d["confusion"]) == 7


def test_length_mismatch_raises():
    with pytest.raises(ValueError):
        evaluate_probs(np.zeros((3, 7)), np.zeros(2))


@pytest.mark.parametrize("labels, message", [
    ([0, 99], "labels must be class numbers 0 to 6 (angry, disgust, fear, happy, sad, surprise, neutral), found 99"),
    ([-1, 2], "labels must be class numbers 0 to 6 (angry, disgust, fear, happy, sad, surprise, neutral), found -1"),
    ([1.5], "labels must be class numbers 0 to 6 (angry, disgust, fear, happy, sad, surprise, neutral), found 1.5"),
    (["happy"], "labels must be class numbers 0 to 6 (angry, disgust, fear, happy, sad, surprise, neutral), found <U5 values"),
    ([], "no rows to evaluate"),
])
def test_labels_that_cannot_be_evaluated(labels, message):
    with pytest.raises(ValueError) as exc:
        evaluate_probs(np.full((len(labels), 7), 1 / 7), np.array(labels))
    assert str(exc.value) == message


def test_check_labels_returns_int64():
    labels = check_labels(np.array([6, 0], np.int8))
    assert labels.dtype == np.int64 and labels.tolist() == [6, 0]


def test_face_recall_counts_true_centres_inside_found_boxes():
    from classwatch.metrics import face_recall

    truth = np.array([[10, 10, 20, 20], [100, 100, 20, 20]], np.float32)
    assert face_recall(np.array([[15, 15, 12, 12]], np.float32), truth) == 0.5  # covers (20, 20), not (110, 110)
    assert face_recall(np.zeros((0, 4), np.float32), truth) == 0.0
    assert face_recall(truth, np.zeros((0, 4), np.float32)) == 1.0
