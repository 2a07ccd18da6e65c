"""The network and the learning-rate schedule (needs the ``train`` extra, not the data)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from classwatch.training.model import ExpressionNet, ModelConfig, as_batch, count_macs, predict_logits  # noqa: E402
from classwatch.training.train import TrainConfig, learning_rate  # noqa: E402


def test_count_macs_matches_the_layers():
    cfg = ModelConfig(stages=((8, 1, False), (16, 2, False), (32, 2, True), (64, 1, True)))
    net = ExpressionNet(cfg)
    macs = []

    def hook(module, inputs, output):
        # weights per output pixel (per output value for the linear layer) times output pixels
        pixels = output.shape[2] * output.shape[3] if output.dim() == 4 else 1
        macs.append(module.weight.numel() * pixels)

    for m in net.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            m.register_forward_hook(hook)
    net.eval()(torch.zeros(1, 1, 48, 48))
    assert count_macs(cfg) == sum(macs)


def test_logits_shape_and_eval_mode_is_deterministic():
    net = ExpressionNet(ModelConfig(stages=((8, 1, False), (16, 1, True))))
    x = np.random.default_rng(0).normal(size=(5, 48, 48, 1)).astype(np.float32)
    assert as_batch(x).shape == (5, 1, 48, 48)
    a, b = predict_logits(net, x, batch=2), predict_logits(net, x)
    assert a.shape == (5, 7) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)  # no dropout, running statistics, any batching
    assert net.training  # predict_logits leaves the mode as it found it


def test_learning_rate_warms_up_then_decays_to_one_percent():
    cfg = TrainConfig(data="-", epochs=10, lr=1e-2, warmup_epochs=1.0)
    steps = 100
    lrs = [learning_rate(s, cfg, steps) for s in range(10 * steps)]
    assert lrs[0] == pytest.approx(5e-4)
    assert max(lrs) == pytest.approx(1e-2) and int(np.argmax(lrs)) == steps
    assert all(a >= b for a, b in zip(lrs[steps:], lrs[steps + 1 :]))  # monotone after warm-up
    assert lrs[-1] == pytest.approx(1e-4, rel=0.01)
    middle = steps + (10 * steps - steps) // 2
    assert lrs[middle] == pytest.approx(1e-2 * (0.99 * 0.5 * (1 + math.cos(math.pi * 0.5)) + 0.01), rel=1e-3)


def test_batch_targets_smooth_then_mix_in_the_teachers():
    from classwatch.training.train import batch_targets, teacher_probs

    cfg = TrainConfig(data="-", label_smoothing=0.07, distill_weight=0.25)
    target = torch.eye(7)[[0, 3]]
    plain = batch_targets(target, cfg)
    assert plain[0, 0].item() == pytest.approx(0.93 + 0.01) and plain[0, 1].item() == pytest.approx(0.01)
    a = np.array([[0.1, 0.6, 0.05, 0.05, 0.1, 0.05, 0.05]] * 2, np.float32)
    b = np.array([[0.1, 0.2, 0.05, 0.05, 0.5, 0.05, 0.05]] * 2, np.float32)
    ensemble = teacher_probs([lambda x: a, lambda x: b], np.zeros((2, 48, 48, 1), np.float32))
    np.testing.assert_allclose(ensemble, (a + b) / 2, rtol=1e-6)  # probabilities averaged
    mixed = batch_targets(target, cfg, torch.from_numpy(ensemble))
    assert mixed[0, 1].item() == pytest.approx(0.75 * 0.01 + 0.25 * 0.4)
    np.testing.assert_allclose(mixed.sum(dim=1).numpy(), 1.0, rtol=1e-6)


def test_a_flipping_teacher_averages_the_face_and_its_mirror_image():
    from classwatch.training.train import teacher_probs

    a = np.array([[0.1, 0.6, 0.05, 0.05, 0.1, 0.05, 0.05]], np.float32)
    b = np.array([[0.1, 0.2, 0.05, 0.05, 0.5, 0.05, 0.05]], np.float32)

    def sided(x):  # reads a when the brighter pixel is on the right, b when it is on the left
        return a if x[0, 0, 1, 0] > x[0, 0, 0, 0] else b

    face = np.array([[[[0.0], [1.0]]]], np.float32)  # NHWC, 1x2 pixels
    np.testing.assert_allclose(teacher_probs([sided], face), a, rtol=1e-6)
    np.testing.assert_allclose(teacher_probs([sided], face, flip=True), (a + b) / 2, rtol=1e-6)
