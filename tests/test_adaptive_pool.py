"""Adaptive average pooling: NumPy forward and backward against torch.nn.functional, in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import np as cnp
from companion import torch as ct
from companion.np import pool

from finite_differences import entrywise_rel_error, numerical_gradient

SIZE = st.integers(1, 9)
OUTPUT_SIZE = st.one_of(SIZE, st.tuples(st.one_of(SIZE, st.none()), st.one_of(SIZE, st.none())))


@settings(max_examples=150, deadline=None)
@given(n=SIZE, c=SIZE, h=SIZE, w=SIZE, output_size=OUTPUT_SIZE, batched=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_forward_and_backward_match_torch(n, c, h, w, output_size, batched, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h, w) if batched else (c, h, w))
    out, cache = pool.adaptive_avg_pool2d_forward(x, output_size)
    xt = torch.tensor(x, requires_grad=True)
    ref = F.adaptive_avg_pool2d(xt, output_size)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    twin = ct.adaptive_avg_pool2d(torch.tensor(x), output_size)  # the NumPy twin equals the torch twin
    np.testing.assert_allclose(out, twin.numpy(), rtol=1e-12, atol=1e-14)
    dout = rng.normal(size=out.shape)
    (ref * torch.tensor(dout)).sum().backward()
    dx = pool.adaptive_avg_pool2d_backward(dout, cache)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape, output_size", [((2, 3, 7, 5), (3, 4)), ((3, 2, 9), 4), ((1, 2, 3, 8), (5, None)),
                                                ((2, 1, 6, 6), 1)], ids=str)
def test_backward_matches_finite_differences(shape, output_size):
    rng = np.random.default_rng(len(shape) + sum(shape))
    x = rng.normal(size=shape)
    out, cache = pool.adaptive_avg_pool2d_forward(x, output_size)
    dout = rng.normal(size=out.shape)
    dx = pool.adaptive_avg_pool2d_backward(dout, cache)
    numeric = numerical_gradient(lambda: float((pool.adaptive_avg_pool2d(x, output_size) * dout).sum()), x, h=1e-5)
    assert entrywise_rel_error(dx, numeric) < 1e-7


@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (4, 1, 1), (1, 2, 9, 2)], ids=str)
def test_output_size_one_is_global_average_pooling(shape):
    x = np.random.default_rng(0).normal(size=shape)
    np.testing.assert_allclose(cnp.adaptive_avg_pool2d(x, 1), x.mean(axis=(-2, -1), keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(cnp.adaptive_avg_pool2d(x, (1, 1)), x.mean(axis=(-2, -1), keepdims=True), rtol=1e-13)


def test_the_layer_in_a_sequential_matches_its_torch_twin():
    rng = np.random.default_rng(3)
    net = cnp.Sequential(cnp.Conv2d(2, 3, 3, padding=1, rng=np.random.default_rng(1)), cnp.Activation("relu"),
                         cnp.AdaptiveAvgPool2d((2, None)), cnp.Flatten(), cnp.Dense(3 * 2 * 5, 4, rng=np.random.default_rng(2)))
    twin = ct.Sequential(ct.Conv2d(2, 3, 3, padding=1, rng=np.random.default_rng(1), dtype=torch.float64, device="cpu"),
                         ct.Activation("relu"), ct.AdaptiveAvgPool2d((2, None)), ct.Flatten(),
                         ct.Dense(3 * 2 * 5, 4, rng=np.random.default_rng(2), dtype=torch.float64, device="cpu"))
    assert isinstance(twin[2], torch.nn.AdaptiveAvgPool2d) and cnp.AdaptiveAvgPool2d(1).parameters() == {}
    x, dout = rng.normal(size=(3, 2, 7, 5)), rng.normal(size=(3, 4))
    out = net.forward(x)
    dx = net.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    out_t = twin(xt)
    (out_t * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for key, grad in net.gradients().items():
        np.testing.assert_allclose(grad, twin.gradients()[key].numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("pool", [cnp.adaptive_avg_pool2d, ct.adaptive_avg_pool2d,
                                  lambda x, size: ct.AdaptiveAvgPool2d(size)(x)], ids=["np", "torch", "torch-layer"])
def test_clear_errors(pool):
    def ones(*shape):
        return torch.ones(shape, dtype=torch.float64) if pool is not cnp.adaptive_avg_pool2d else np.ones(shape)

    with pytest.raises(ValueError, match=r"x must be 3-D or 4-D, got shape \(4, 4\)"):
        pool(ones(4, 4), 2)
    with pytest.raises(ValueError, match=r"x must be 3-D or 4-D, got shape \(1, 1, 1, 4, 4\)"):
        pool(ones(1, 1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match="each output_size entry must be a positive integer, got 0"):
        pool(ones(1, 2, 4, 4), 0)
    with pytest.raises(ValueError, match="each output_size entry must be a positive integer, got -1"):
        pool(ones(2, 4, 4), (2, -1))
    with pytest.raises(ValueError, match=r"output_size must be an int or an \(oh, ow\) pair, got \(2, 2, 2\)"):
        pool(ones(1, 2, 4, 4), (2, 2, 2))
    with pytest.raises(ValueError, match=r"output_size must be an int or an \(oh, ow\) pair, got None"):
        pool(ones(1, 2, 4, 4), None)
    with pytest.raises(ValueError, match=r"non-zero channels, height and width, got shape \(1, 2, 0, 4\)"):
        pool(ones(1, 2, 0, 4), 2)
