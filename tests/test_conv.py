"""Convolution: NumPy forward and backward against torch.nn.functional, in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from companion import np as cnp
from companion import torch as ct
from companion.np import conv

# (N, C, H, W, F, K, stride, padding): channels, odd sizes, strides and paddings
CONV_CASES = [
    (1, 1, 5, 5, 1, 3, 1, 0), (2, 3, 7, 6, 4, 3, 1, 1), (2, 2, 8, 8, 3, 3, 2, 1), (1, 3, 9, 7, 2, 5, 2, 2),
    (3, 1, 6, 6, 5, 2, 2, 0), (2, 4, 5, 9, 3, 1, 1, 0), (1, 2, 11, 11, 2, 3, 3, 2), (2, 1, 4, 4, 2, 4, 1, 0),
    (1, 8, 28, 28, 16, 3, 1, 1),
]


def _tensors(*arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d_forward_and_backward_match_torch(case):
    n, c, h, w, f, k, stride, padding = case
    rng = np.random.default_rng(sum(case))
    x, weight, bias = rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, k, k)), rng.normal(size=f)
    out, cache = conv.conv2d_forward(x, weight, bias, stride, padding)
    xt, wt, bt = _tensors(x, weight, bias)
    ref = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.conv2d_naive(x, weight, bias, stride, padding), out, rtol=1e-10, atol=1e-10)
    dout = rng.normal(size=out.shape)
    (ref * torch.tensor(dout)).sum().backward()
    dx, dw, db = conv.conv2d_backward(dout, cache)
    for ours, theirs in ((dx, xt), (dw, wt), (db, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv2d_backward_matches_finite_differences():
    rng = np.random.default_rng(7)
    x, weight, bias = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    out, cache = conv.conv2d_forward(x, weight, bias, 2, 1)
    dout = rng.normal(size=out.shape)
    dx, dw, _ = conv.conv2d_backward(dout, cache)
    for analytic, array in ((dx, x), (dw, weight)):
        numeric = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            old = array[i]
            array[i] = old + 1e-6
            plus = (conv.conv2d(x, weight, bias, 2, 1) * dout).sum()
            array[i] = old - 1e-6
            minus = (conv.conv2d(x, weight, bias, 2, 1) * dout).sum()
            array[i] = old
            numeric[i] = (plus - minus) / 2e-6
        assert np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric) < 1e-8


def test_a_small_cnn_matches_its_torch_twin():
    rng = np.random.default_rng(0)
    layers_np = [cnp.Conv2d(1, 4, 3, padding=1, rng=np.random.default_rng(1)), cnp.Activation("relu"),
                 cnp.MaxPool2d(2), cnp.Flatten(), cnp.Dense(4 * 4 * 4, 3, rng=np.random.default_rng(2))]
    net = cnp.Sequential(*layers_np)
    twin = ct.Sequential(ct.Conv2d(1, 4, 3, padding=1, rng=np.random.default_rng(1), dtype=torch.float64, device="cpu"),
                         ct.Activation("relu"), ct.MaxPool2d(2), ct.Flatten(),
                         ct.Dense(16 * 4, 3, rng=np.random.default_rng(2), dtype=torch.float64, device="cpu"))
    assert set(net.state_dict()) == set(twin.state_dict())
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[key].numpy())  # same seeded initialisation
    x, dout = rng.normal(size=(5, 1, 8, 8)), rng.normal(size=(5, 3))
    out = net.forward(x)
    net.backward(dout)
    out_t = twin(torch.tensor(x))
    (out_t * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10)
    for key, grad in net.gradients().items():
        np.testing.assert_allclose(grad, twin.gradients()[key].numpy(), rtol=1e-9, atol=1e-12)


def test_clear_errors():
    with pytest.raises(ValueError, match=r"x has 3 channels .* weight expects 2"):
        conv.conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"kernel's height 5 exceeds the padded image's 4"):
        conv.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="stride must be a positive integer, got 0"):
        ct.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), stride=0)
