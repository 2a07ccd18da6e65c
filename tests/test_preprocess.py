import numpy as np
import pytest

from classwatch.preprocess import CropSpec, crop_faces, to_gray, to_model_input


def test_crop_framing_centres_the_box_with_margin():
    img = np.zeros((200, 200), np.uint8)
    img[50:150, 50:150] = 255  # the "face" box
    spec = CropSpec(size=48, margin=0.25)
    (crop,) = crop_faces(img, np.array([[50, 50, 100, 100]]), spec)
    # side = 100 * 1.5 = 150 -> the box covers the middle 2/3 of the crop
    assert crop[24, 24] == 255 and crop[24, 2] == 0 and crop[24, 45] == 0
    inner = crop[9:39, 9:39]
    assert inner.min() >= 250


def test_crop_outside_image_repeats_border():
    img = np.full((50, 50), 100, np.uint8)
    (crop,) = crop_faces(img, np.array([[-20, -20, 40, 40]]), CropSpec(size=16))
    assert crop.min() == crop.max() == 100


def test_shift_y_moves_crop_down():
    img = np.zeros((100, 100), np.uint8)
    img[60:, :] = 255
    up = crop_faces(img, np.array([[30, 30, 40, 40]]), CropSpec(size=20, margin=0.0))[0]
    down = crop_faces(img, np.array([[30, 30, 40, 40]]), CropSpec(size=20, margin=0.0, shift_y=0.25))[0]
    assert down.mean() > up.mean()


def test_roll_angle_levels_the_image():
    img = np.zeros((100, 100), np.uint8)
    img[:, 50:] = 255  # a vertical edge
    spec = CropSpec(size=20, margin=0.0)
    rotated = crop_faces(img, np.array([[25, 25, 50, 50]]), spec, np.array([90.0]))[0]
    # after a 90-degree rotation the vertical edge becomes horizontal
    assert abs(int(rotated[2].mean()) - int(rotated[-3].mean())) > 200


def test_model_input_normalisation_and_shapes():
    crops = np.array([[[0, 255]]], np.uint8)
    x = to_model_input(crops, CropSpec(size=8, mean=0.5, std=0.5))
    assert x.shape == (1, 1, 2, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0, :, 0], [-1.0, 1.0])
    assert crop_faces(np.zeros((10, 10), np.uint8), np.zeros((0, 4)), CropSpec()).shape == (0, 48, 48)


def test_to_gray_and_bad_spec():
    assert to_gray(np.zeros((4, 5, 3), np.uint8)).shape == (4, 5)
    with pytest.raises(ValueError):
        CropSpec(std=0)
