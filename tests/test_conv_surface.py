"""Convolution's whole argument surface against torch.nn.functional in float64: values and gradients of
every input (hypothesis over shapes, strides, paddings incl. "same"/"valid", dilation, groups, unbatched
input, no bias, empty batches), the NumPy twin against the torch twin, finite differences, and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from companion import np as cnp
from companion import torch as ct
from companion.np import conv, conv_transpose
from companion.torch import init as tinit
from companion.torch import conv as tconv
from companion.torch import conv_transpose as tconv_transpose
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
    """(x shape, weight shape, bias size or None, arguments, seed) of a dims-D convolution, with an input big
    enough for the kernel (sizes down to the limit)."""
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
    return shape, (f, c // groups) + kernel, f if draw(st.booleans()) else None, args, draw(st.integers(0, 2 ** 16))


def _arrays(case):
    x_shape, w_shape, bias_size, _, seed = case
    rng = np.random.default_rng(seed)
    return rng.normal(size=x_shape), rng.normal(size=w_shape), None if bias_size is None else rng.normal(size=bias_size)


def _autograd(fn, arrays, args, dout_seed=0):
    """torch's output and the gradient of sum(out * dout) for every given array; dout drawn from dout_seed."""
    tensors = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors, **args)
    dout = np.random.default_rng(dout_seed).normal(size=tuple(out.shape))
    (out * torch.tensor(dout)).sum().backward()
    return out, dout, [None if t is None else t.grad if t.grad is not None else torch.zeros_like(t)
                       for t in tensors]


def _check_pair(case, forward, backward, reference, twin):
    """Our forward/backward pair against torch autograd on ``reference``, and against the torch ``twin``."""
    x, weight, bias = _arrays(case)
    args = case[3]
    ref, dout, grads = _autograd(reference, (x, weight, bias), args)
    out, cache = forward(x, weight, bias, **args)
    _close(out, ref)
    for ours, theirs in zip(backward(dout, cache), grads):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            _close(ours, theirs)
    _close(out, twin(*[None if a is None else torch.tensor(a) for a in (x, weight, bias)], **args))


# ------------------------------------------------------------------------------------------------ conv2d


@settings(max_examples=120, deadline=None)
@given(conv_case())
def test_conv2d_values_and_gradients_match_torch(case):
    _check_pair(case, conv.conv2d_forward, conv.conv2d_backward, F.conv2d, tconv.conv2d)


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


# ------------------------------------------------------------------------------------------------ conv1d


@settings(max_examples=80, deadline=None)
@given(conv_case(dims=1))
def test_conv1d_values_and_gradients_match_torch(case):
    _check_pair(case, conv.conv1d_forward, conv.conv1d_backward, F.conv1d, tconv.conv1d)
    x, weight, bias = _arrays(case)
    _close(conv.conv1d(x, weight, bias, **case[3]), conv.conv1d_forward(x, weight, bias, **case[3])[0])


# ------------------------------------------------------------------------------------------------ conv_transpose2d


@st.composite
def transpose_case(draw):
    """Arguments of a transposed convolution; output_padding below the stride or the dilation, and inputs
    just big enough for a positive output size."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    c, f = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel, stride, dilation, pads = ([draw(st.integers(1, 4)), draw(st.integers(1, 4))],
                                      *([draw(st.integers(lo, 3)) for _ in range(2)] for lo in (1, 1, 0)))
    extra = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)]
    least = [max(1, -(-(2 * p - d * (k - 1) - e) // s) + 1) for k, s, d, p, e in zip(kernel, stride, dilation, pads,
                                                                                      extra)]
    spatial = tuple(draw(st.integers(n, n + 4)) for n in least)
    n = draw(st.sampled_from([0, 1, 2, None]))
    args = dict(stride=draw(_int_or_pair(tuple(stride))), padding=draw(_int_or_pair(tuple(pads))),
                output_padding=draw(_int_or_pair(tuple(extra))), groups=groups,
                dilation=draw(_int_or_pair(tuple(dilation))))
    shape = ((c,) if n is None else (n, c)) + spatial
    return shape, (c, f // groups, *kernel), f if draw(st.booleans()) else None, args, draw(st.integers(0, 2 ** 16))


@settings(max_examples=100, deadline=None)
@given(transpose_case())
def test_conv_transpose2d_values_and_gradients_match_torch(case):
    _check_pair(case, conv_transpose.conv_transpose2d_forward, conv_transpose.conv_transpose2d_backward,
                F.conv_transpose2d, tconv_transpose.conv_transpose2d)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(z, W), x> = <z, conv_transpose2d(x, W)>: the forward pass is conv2d's input gradient."""
    rng = np.random.default_rng(11)
    z, weight, x = rng.normal(size=(2, 4, 9, 8)), rng.normal(size=(6, 2, 3, 2)), rng.normal(size=(2, 6, 5, 4))
    args = dict(stride=2, padding=1, groups=2, dilation=(1, 2))
    y = conv_transpose.conv_transpose2d(x, weight, None, output_padding=(0, 1), **args)
    assert y.shape == z.shape
    np.testing.assert_allclose((conv.conv2d(z, weight, **args) * x).sum(), (z * y).sum(), rtol=1e-12)
    _close(y, conv.conv2d_input_grad(x, weight, z.shape, **args))


# ------------------------------------------------------------------------------------------------ finite differences


@pytest.mark.parametrize("name, forward, backward, x_shape, w_shape, args", [
    ("conv1d", conv.conv1d_forward, conv.conv1d_backward, (2, 4, 9), (6, 2, 3),
     dict(stride=2, padding=2, dilation=2, groups=2)),
    ("conv1d same", conv.conv1d_forward, conv.conv1d_backward, (4, 7), (3, 4, 4), dict(padding="same")),
    ("conv_transpose2d", conv_transpose.conv_transpose2d_forward, conv_transpose.conv_transpose2d_backward,
     (2, 4, 3, 4), (4, 3, 3, 2), dict(stride=(2, 3), padding=1, output_padding=(1, 0), groups=2, dilation=(1, 2))),
    ("conv_transpose2d one image", conv_transpose.conv_transpose2d_forward, conv_transpose.conv_transpose2d_backward,
     (2, 3, 3), (2, 3, 2, 2), dict(stride=1, dilation=2, output_padding=1)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_new_backward_passes_match_finite_differences(name, forward, backward, x_shape, w_shape, args):
    rng = np.random.default_rng(len(name))
    transposed = "transpose" in name
    x, weight = rng.normal(size=x_shape), rng.normal(size=w_shape)
    bias = rng.normal(size=w_shape[1] * args.get("groups", 1) if transposed else w_shape[0])
    out, cache = forward(x, weight, bias, **args)
    dout = rng.normal(size=out.shape)
    for analytic, array in zip(backward(dout, cache), (x, weight, bias)):
        numeric = numerical_gradient(lambda: (forward(x, weight, bias, **args)[0] * dout).sum(), array)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------------------------------------ errors, 1-D and transposed

CONV1D_ERRORS = [
    ((1, 2, 5), (1, 2, 3), dict(padding="same", stride=2), "padding='same' is not supported for strided"),
    ((1, 2, 5), (1, 2, 6), {}, r"kernel's length 6 exceeds the padded image's 5"),
    ((1, 2, 5), (1, 2, 3), dict(dilation=3), r"kernel's length 7 \(3 taps at dilation 3\)"),
    ((5,), (1, 2, 3), {}, r"x must be 2-D or 3-D for a 1-D convolution"),
    ((1, 2, 5), (1, 2, 3), dict(padding=(1, 1)), r"padding must be an int or 1 int\(s\)"),
    ((1, 4, 5), (3, 2, 3), dict(groups=2), r"weight's first dimension 3 .* multiple of groups=2"),
    ((1, 2, 5), (1, 2, 3), dict(padding=-2), "padding must be a non-negative integer"),
]


@pytest.mark.parametrize("x_shape, w_shape, args, match", CONV1D_ERRORS, ids=lambda v: str(v)[:40])
def test_conv1d_errors_are_clear_and_torch_raises_too(x_shape, w_shape, args, match):
    x, weight = np.ones(x_shape), np.ones(w_shape)
    with pytest.raises((RuntimeError, ValueError)):
        F.conv1d(torch.tensor(x), torch.tensor(weight), **args)
    with pytest.raises(ValueError, match=match):
        conv.conv1d(x, weight, **args)
    with pytest.raises(ValueError, match=match):
        tconv.conv1d(torch.tensor(x), torch.tensor(weight), **args)


TRANSPOSE_ERRORS = [
    ((1, 4, 5, 5), (4, 2, 3, 3), None, dict(stride=2, output_padding=2),
     "output_padding must be smaller than either stride or dilation"),
    ((1, 4, 5, 5), (4, 2, 3, 3), None, dict(output_padding=-1), "output_padding must be a non-negative integer"),
    ((1, 4, 5, 5), (4, 2, 3, 3), None, dict(padding="same"), r"no 'same' or 'valid'"),
    ((1, 4, 1, 1), (4, 2, 1, 1), None, dict(padding=1), r"the output size \(-1, -1\) is too small"),
    ((1, 4, 5, 5), (4, 2, 3, 3), None, dict(groups=3), r"weight's first dimension 4 .* multiple of groups=3"),
    ((1, 4, 5, 5), (3, 2, 3, 3), None, {}, r"x has 4 channels .* weight expects 3"),
    ((1, 4, 5, 5), (4, 2, 3, 3), None, dict(padding=-1), "padding must be a non-negative integer"),
    ((1, 4, 5, 5), (4, 2, 3, 3), (3,), dict(groups=2), r"bias must have shape \(4,\)"),
    ((4, 5), (4, 2, 3, 3), None, {}, r"x must be 3-D or 4-D"),
    ((1, 4, 5, 5), (4, 2, 3, 3), None, dict(stride=0), "stride must be a positive integer"),
]


@pytest.mark.parametrize("x_shape, w_shape, b_shape, args, match", TRANSPOSE_ERRORS, ids=lambda v: str(v)[:40])
def test_conv_transpose2d_errors_are_clear_and_torch_raises_too(x_shape, w_shape, b_shape, args, match):
    arrays = (np.ones(x_shape), np.ones(w_shape), None if b_shape is None else np.ones(b_shape))
    tensors = [None if a is None else torch.tensor(a) for a in arrays]
    with pytest.raises((RuntimeError, ValueError, TypeError)):  # torch's own type check refuses "same"
        F.conv_transpose2d(*tensors, **args)
    with pytest.raises(ValueError, match=match):
        conv_transpose.conv_transpose2d(*arrays, **args)
    with pytest.raises(ValueError, match=match):
        tconv_transpose.conv_transpose2d(*tensors, **args)


# ------------------------------------------------------------------------------------------------ layers

# (NumPy layer, torch twin, torch.nn reference, arguments after in_channels, out_channels, kernel_size, x shape)
LAYERS = [
    (cnp.Conv2d, ct.Conv2d, torch.nn.Conv2d, (4, 6, 3), dict(stride=2, padding=1), (2, 4, 7, 6)),
    (cnp.Conv2d, ct.Conv2d, torch.nn.Conv2d, (4, 6, (2, 3)), dict(padding="same", dilation=(2, 1), groups=2),
     (2, 4, 5, 6)),
    (cnp.Conv2d, ct.Conv2d, torch.nn.Conv2d, (3, 3, 3), dict(padding="valid", groups=3, bias=False), (3, 6, 6)),
    (cnp.Conv1d, ct.Conv1d, torch.nn.Conv1d, (4, 2, 5), dict(padding="same", dilation=2, groups=2), (3, 4, 11)),
    (cnp.Conv1d, ct.Conv1d, torch.nn.Conv1d, (2, 3, 3), dict(stride=2, padding=1, bias=False), (2, 9)),
    (cnp.ConvTranspose2d, ct.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 2, 3),
     dict(stride=2, padding=1, output_padding=1), (2, 4, 4, 3)),
    (cnp.ConvTranspose2d, ct.ConvTranspose2d, torch.nn.ConvTranspose2d, (4, 6, (3, 2)),
     dict(stride=(1, 2), output_padding=(1, 0), groups=2, dilation=2, bias=False), (4, 3, 5)),
]


@pytest.mark.parametrize("np_layer, twin, reference, sizes, options, x_shape", LAYERS, ids=lambda v: str(v)[:30])
def test_layers_match_their_twin_and_load_into_torch_nn(np_layer, twin, reference, sizes, options, x_shape):
    rng = np.random.default_rng(2)
    layer = np_layer(*sizes, **options, rng=np.random.default_rng(0))
    torch_layer = twin(*sizes, **options, rng=np.random.default_rng(0), dtype=torch.float64, device="cpu")
    nn_layer = reference(*sizes, **options, dtype=torch.float64)
    net, twin_net = cnp.Sequential(layer), ct.Sequential(torch_layer)
    assert set(net.state_dict()) == set(twin_net.state_dict())
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, twin_net.state_dict()[key].numpy())  # the same seeded draws
    nn_layer.load_state_dict({k.split(".", 1)[1]: torch.tensor(v) for k, v in net.state_dict().items()})
    x = rng.normal(size=x_shape)
    out = net.forward(x)
    dout = rng.normal(size=out.shape)
    dx = net.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    for module in (torch_layer, nn_layer):
        ref = module(xt)
        _close(out, ref)
        xt.grad = None
        (ref * torch.tensor(dout)).sum().backward()
        _close(dx, xt.grad)
    for key, grad in net.gradients().items():
        _close(grad, twin_net.gradients()[key])
        _close(grad, getattr(nn_layer, key.split(".", 1)[1]).grad)
    assert repr(layer) == repr(torch_layer)
    fresh = cnp.Sequential(np_layer(*sizes, **options, rng=np.random.default_rng(1)))  # and back: torch.nn -> NumPy
    fresh.load_state_dict({f"0.{k}": v.detach().numpy() for k, v in nn_layer.state_dict().items()})
    _close(fresh.forward(x), nn_layer(xt))


@pytest.mark.parametrize("fn", ["conv2d", "conv1d", "conv_transpose2d"])
def test_float32_stays_float32_and_close_to_torch(fn):
    rng = np.random.default_rng(8)
    shapes = {"conv2d": ((4, 6, 10, 9), (8, 3, 3, 3)), "conv1d": ((4, 6, 17), (8, 3, 5)),
              "conv_transpose2d": ((4, 6, 5, 4), (6, 4, 3, 3))}[fn]
    x, weight = (rng.normal(size=shape).astype(np.float32) for shape in shapes)
    bias = rng.normal(size=8).astype(np.float32)
    args = {"conv2d": dict(padding="same", groups=2), "conv1d": dict(stride=2, dilation=2, groups=2),
            "conv_transpose2d": dict(stride=2, groups=2, output_padding=1)}[fn]
    module = conv_transpose if fn == "conv_transpose2d" else conv
    out, cache = getattr(module, fn + "_forward")(x, weight, bias, **args)
    dout = rng.normal(size=out.shape).astype(np.float32)
    grads = getattr(module, fn + "_backward")(dout, cache)
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    ref = getattr(F, fn)(*tensors, **args)
    (ref * torch.tensor(dout)).sum().backward()
    for ours, theirs in zip((out, *grads), (ref, *(t.grad for t in tensors))):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("reference, groups, transposed", [(torch.nn.Conv2d, 2, False), (torch.nn.Conv2d, 3, False),
                                                           (torch.nn.ConvTranspose2d, 2, True),
                                                           (torch.nn.ConvTranspose2d, 1, True)])
def test_conv_init_is_torch_default_with_groups_and_transposed(reference, groups, transposed):
    torch.manual_seed(4)
    module = reference(6, 3 * groups, (3, 2), groups=groups, dtype=torch.float64)
    torch.manual_seed(4)
    weight, bias = tinit.conv_init(6, 3 * groups, (3, 2), dtype=torch.float64, device="cpu", groups=groups,
                                   transposed=transposed)
    torch.testing.assert_close(weight, module.weight.detach(), rtol=0, atol=0)
    torch.testing.assert_close(bias, module.bias.detach(), rtol=0, atol=0)
    w, b = cnp.conv_init(6, 3 * groups, (3, 2), rng=np.random.default_rng(0), groups=groups, transposed=transposed)
    fan_in = module.weight.shape[1] * 6  # (out or in) / groups * KH * KW, as torch counts it
    assert w.shape == tuple(module.weight.shape) and b.shape == tuple(module.bias.shape)
    assert max(np.abs(w).max(), np.abs(b).max()) <= 1 / np.sqrt(fan_in) < 1.3 * np.abs(w).max()


def test_conv_init_draws_for_one_group_are_unchanged():
    """The same numbers as before groups existed: weight, then bias, from U(±1/sqrt(C K²))."""
    w, b = cnp.conv_init(3, 4, 5, rng=np.random.default_rng(1))
    rng, bound = np.random.default_rng(1), 1.0 / np.sqrt(3 * 25)
    np.testing.assert_array_equal(w, rng.uniform(-bound, bound, size=(4, 3, 5, 5)))
    np.testing.assert_array_equal(b, rng.uniform(-bound, bound, size=4))


@pytest.mark.parametrize("make, match", [
    (lambda m: m.Conv2d(4, 6, 3, groups=4), "out_channels 6 must be divisible by groups=4"),
    (lambda m: m.Conv2d(3, 6, 3, groups=2), "in_channels 3 must be divisible by groups=2"),
    (lambda m: m.Conv2d(2, 2, 3, stride=2, padding="same"), "padding='same' is not supported for strided"),
    (lambda m: m.Conv1d(2, 2, 3, padding="full"), "unknown padding 'full'"),
    (lambda m: m.Conv2d(2, 2, 0), "kernel_size must be a positive integer"),
    (lambda m: m.Conv2d(2, 2, 3, dilation=0), "dilation must be a positive integer"),
    (lambda m: m.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2), "output_padding must be smaller"),
    (lambda m: m.ConvTranspose2d(2, 2, 3, padding="same"), "no 'same' or 'valid'"),
])
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")  # torch.nn's, for kernel 0
def test_layer_constructors_check_their_arguments(make, match):
    with pytest.raises((ValueError, RuntimeError, TypeError)):  # torch.nn refuses these too, at the latest in forward
        module = make(torch.nn)
        module(torch.ones((1, 2, 5) if isinstance(module, torch.nn.Conv1d) else (1, 2, 5, 5)))
    for backend in (cnp, ct):
        with pytest.raises(ValueError, match=match):
            make(backend)
