"""Convolution's whole argument surface against torch.nn.functional in float64: values and gradients of
every input (hypothesis over shapes, strides, paddings incl. "same"/"valid", dilation, groups, unbatched
input, no bias, empty batches), the NumPy twin against the torch twin, finite differences, and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from companion.np import conv
from companion.torch import conv as tconv
from finite_differences import numerical_gradient

TOL = dict(rtol=1e-10, atol=1e-10)
# torch's own note that it copies the input to pad "same" after an even kernel; it is the case under test
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")


def _close(ours, theirs):
    theirs = theirs.detach().numpy() if torch.is_tensor(theirs) else theirs
    assert np.shape(ours) == np.shape(theirs)
    np.testing.assert_allclose(ours, theirs, **TOL)


def _int_or_pair(values):
    """An int (the same on every axis) or the tuple itself, as torch accepts both."""
    return st.one_of(st.just(values[0]), st.just(values)) if len(set(values)) == 1 else st.just(values)


@st.composite
def conv_case(draw, dims=2):
    """Arguments of a dims-D convolution, with an input big enough for the kernel (sizes down to the limit)."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c = groups * draw(st.integers(1, 2))
    f = groups if draw(st.booleans()) else groups * draw(st.integers(1, 2))  # depthwise when c == f == groups
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    pad_kind = draw(st.sampled_from(["int", "valid", "same"] if max(stride) == 1 else ["int", "valid"]))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(dims)) if pad_kind == "int" else (0,) * dims
    padding = draw(_int_or_pair(pads)) if pad_kind == "int" else pad_kind
    total = [0 if pad_kind == "valid" else d * (k - 1) if pad_kind == "same" else 2 * p
             for k, d, p in zip(kernel, dilation, pads)]
    spatial = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - t), d * (k - 1) + 6))
                    for k, d, t in zip(kernel, dilation, total))
    n = draw(st.sampled_from([0, 1, 2, 3, None]))  # None: one unbatched sample
    shape = ((c,) if n is None else (n, c)) + spatial
    args = dict(stride=draw(_int_or_pair(stride)), padding=padding, dilation=draw(_int_or_pair(dilation)),
                groups=groups)
    return shape, (f, c // groups) + kernel, draw(st.booleans()), args, draw(st.integers(0, 2 ** 16))


def _arrays(case):
    x_shape, w_shape, with_bias, _, seed = case
    rng = np.random.default_rng(seed)
    return rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0]) if with_bias else None


def _autograd(fn, arrays, args, dout_seed=0):
    """torch's output and the gradient of sum(out * dout) for every given array; dout drawn from dout_seed."""
    tensors = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors, **args)
    dout = np.random.default_rng(dout_seed).normal(size=tuple(out.shape))
    (out * torch.tensor(dout)).sum().backward()
    return out, dout, [None if t is None else t.grad if t.grad is not None else torch.zeros_like(t)
                       for t in tensors]


# ------------------------------------------------------------------------------------------------ conv2d


@settings(max_examples=120, deadline=None)
@given(conv_case())
def test_conv2d_values_and_gradients_match_torch(case):
    x, weight, bias = _arrays(case)
    args = case[3]
    ref, dout, grads = _autograd(F.conv2d, (x, weight, bias), args)
    out, cache = conv.conv2d_forward(x, weight, bias, **args)
    _close(out, ref)
    for ours, theirs in zip(conv.conv2d_backward(dout, cache), grads):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            _close(ours, theirs)
    twin = tconv.conv2d(*[None if a is None else torch.tensor(a) for a in (x, weight, bias)], **args)
    _close(out, twin)


@settings(max_examples=80, deadline=None)
@given(conv_case())
def test_input_and_weight_grads_match_torch_nn_grad(case):
    x, weight, _ = _arrays(case)
    args = case[3]
    _, dout, (dx, dw, _) = _autograd(F.conv2d, (x, weight, None), args)
    _close(conv.conv2d_input_grad(dout, weight, x.shape, **args), dx)
    _close(conv.conv2d_weight_grad(x, dout, weight.shape, **args), dw)
    dout_t, w_t, x_t = torch.tensor(dout), torch.tensor(weight), torch.tensor(x)
    _close(tconv.conv2d_input_grad(dout_t, w_t, x.shape, **args), dx)
    _close(tconv.conv2d_weight_grad(x_t, dout_t, weight.shape, **args), dw)
    if not isinstance(args["padding"], str) and x.ndim == 4:  # torch.nn.grad takes neither strings nor one image
        _close(conv.conv2d_input_grad(dout, weight, x.shape, **args),
               torch.nn.grad.conv2d_input(x.shape, w_t, dout_t, **args))
        _close(conv.conv2d_weight_grad(x, dout, weight.shape, **args),
               torch.nn.grad.conv2d_weight(x_t, weight.shape, dout_t, **args))


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), ((2, 1), (1, 2), 1), (1, "same", (2, 1)),
                                                       (3, "valid", 1), (1, (0, 2), 2)])
def test_conv2d_naive_is_the_same_convolution(stride, padding, dilation):
    rng = np.random.default_rng(3)
    x, weight, bias = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 2, 3)), rng.normal(size=4)
    _close(conv.conv2d_naive(x, weight, bias, stride, padding, dilation),
           conv.conv2d(x, weight, bias, stride, padding, dilation))


@pytest.mark.parametrize("args", [dict(stride=2, padding=1, groups=2), dict(padding="same", dilation=(2, 1)),
                                  dict(groups=4, dilation=2, padding=(2, 1))])
def test_conv2d_backward_matches_finite_differences(args):
    rng = np.random.default_rng(5)
    x, weight, bias = rng.normal(size=(2, 4, 6, 5)), rng.normal(size=(4, 4 // args.get("groups", 1), 2, 3)), \
        rng.normal(size=4)
    out, cache = conv.conv2d_forward(x, weight, bias, **args)
    dout = rng.normal(size=out.shape)
    for analytic, array in zip(conv.conv2d_backward(dout, cache), (x, weight, bias)):
        numeric = numerical_gradient(lambda: (conv.conv2d(x, weight, bias, **args) * dout).sum(), array)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_empty_batch_and_one_image():
    weight = np.ones((2, 4, 3, 3))
    assert conv.conv2d(np.zeros((0, 4, 5, 5)), weight).shape == (0, 2, 3, 3)
    out, cache = conv.conv2d_forward(np.zeros((0, 4, 5, 5)), weight, np.ones(2))
    dx, dw, db = conv.conv2d_backward(np.zeros(out.shape), cache)
    assert dx.shape == (0, 4, 5, 5) and not dw.any() and not db.any()
    assert conv.conv2d(np.ones((4, 5, 5)), weight, padding="same").shape == (2, 5, 5)


# ------------------------------------------------------------------------------------------------ errors

# (x shape, weight shape, bias shape, arguments, message): each raised by torch too
CONV2D_ERRORS = [
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(padding="same", stride=2), "padding='same' is not supported for strided"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(padding="same", stride=(1, 2)), "not supported for strided"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(padding="full"), r"unknown padding 'full'; choose one of \['same', 'valid'\]"),
    ((1, 4, 5, 5), (3, 4, 3, 3), None, dict(groups=3), r"x's 4 channels .* are not divisible by groups=3"),
    ((1, 4, 5, 5), (3, 2, 3, 3), None, dict(groups=2), r"weight's first dimension 3 .* multiple of groups=2"),
    ((1, 4, 5, 5), (4, 1, 3, 3), None, dict(groups=2), r"x has 4 channels .* weight expects 2 .* groups=2"),
    ((1, 4, 5, 5), (2, 3, 3, 3), None, {}, r"x has 4 channels .* weight expects 3"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(groups=0), "groups must be a positive integer, got 0"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(padding=-1), "padding must be a non-negative integer, got -1"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(padding=(1, -1)), "padding must be a non-negative integer, got -1"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(stride=0), "stride must be a positive integer, got 0"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(dilation=(1, 0)), "dilation must be a positive integer, got 0"),
    ((1, 4, 5, 5), (2, 4, 6, 6), None, {}, r"kernel's height 6 exceeds the padded image's 5"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(dilation=3), r"kernel's height 7 \(3 taps at dilation 3\) exceeds the "
                                                         r"padded image's 5"),
    ((1, 4, 5, 4), (2, 4, 1, 3), None, dict(dilation=(1, 2), padding=(0, 0)), r"kernel's width 5 .* padded image's 4"),
    ((5, 5), (2, 4, 3, 3), None, {}, r"x must be 3-D or 4-D for a 2-D convolution, got shape \(5, 5\)"),
    ((1, 4, 5, 5), (2, 4, 3), None, {}, "weight must be 4-D for a 2-D convolution"),
    ((1, 4, 5, 5), (2, 4, 3, 3), (3,), {}, r"bias must have shape \(2,\)"),
    ((1, 4, 5, 5), (2, 4, 3, 3), None, dict(padding=(1, 1, 1)), r"padding must be an int or 2 int\(s\)"),
    ((1, 4, 0, 5), (2, 4, 3, 3), None, dict(padding=2), "x's height is 0"),
]


@pytest.mark.parametrize("x_shape, w_shape, b_shape, args, match", CONV2D_ERRORS, ids=lambda v: str(v)[:40])
def test_conv2d_errors_are_clear_and_torch_raises_too(x_shape, w_shape, b_shape, args, match):
    arrays = (np.ones(x_shape), np.ones(w_shape), None if b_shape is None else np.ones(b_shape))
    tensors = [None if a is None else torch.tensor(a) for a in arrays]
    with pytest.raises((RuntimeError, ValueError)):
        F.conv2d(*tensors, **args)
    with pytest.raises(ValueError, match=match):
        conv.conv2d(*arrays, **args)
    with pytest.raises(ValueError, match=match):
        tconv.conv2d(*tensors, **args)


def test_gradient_functions_check_dout_shape_as_torch_does():
    weight, dout = np.ones((2, 4, 3, 3)), np.ones((1, 2, 3, 3))
    with pytest.raises(RuntimeError):
        torch.nn.grad.conv2d_input((1, 4, 7, 7), torch.tensor(weight), torch.tensor(dout))
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 5, 5\)"):
        conv.conv2d_input_grad(dout, weight, (1, 4, 7, 7))
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 2, 2, 2\)"):
        conv.conv2d_weight_grad(np.ones((1, 4, 4, 4)), dout, weight.shape)
