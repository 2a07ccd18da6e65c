"""Capture-condition proxies used for the robustness figures."""

import numpy as np

from classwatch.training.conditions import CONDITIONS, accuracy_by_condition


def _faces(n=6):
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:48, 0:48]
    base = (128 + 60 * np.sin(xx / 5.0) * np.cos(yy / 7.0)).astype(np.uint8)
    return np.stack([np.clip(base.astype(int) + rng.integers(-20, 20, (48, 48)), 0, 255).astype(np.uint8) for _ in range(n)])


def test_every_condition_keeps_shape_and_is_deterministic():
    faces = _faces()
    for name, degrade in CONDITIONS.items():
        out = degrade(faces)
        assert out.shape == faces.shape and out.dtype == np.uint8, name
        np.testing.assert_array_equal(out, degrade(faces))
        assert np.array_equal(out, faces) == (name == "clean"), name
    np.testing.assert_array_equal(faces, _faces())  # inputs untouched


def test_covers_hit_the_right_rows():
    faces = _faces()
    mask = CONDITIONS["mask (rows 25-47 light grey)"](faces)
    assert (mask[:, 25:, 4:44] == 200).all() and np.array_equal(mask[:, :25], faces[:, :25])
    glasses = CONDITIONS["sunglasses (rows 12-22 dark)"](faces)
    assert (glasses[:, 12:23, 5:43] == 25).all() and np.array_equal(glasses[:, 23:], faces[:, 23:])


def test_accuracy_by_condition_scores_each_degraded_set():
    faces, labels = _faces(), np.array([0, 1, 2, 3, 4, 5])

    def predict(px):  # "right" only while the mouth region is not the mask's flat 200
        right = px[:, 40, 20] != 200
        return np.eye(7)[np.where(right, labels, (labels + 1) % 7)]

    acc = accuracy_by_condition(predict, faces, labels)
    assert set(acc) == set(CONDITIONS)
    assert acc["clean"] == 1.0 and acc["mask (rows 25-47 light grey)"] == 0.0
