"""Max and average pooling and max unpooling: NumPy forward and backward against torch.nn.functional, in float64.

Every argument torch takes (non-square kernels, per-axis stride and padding, dilation, ceil_mode,
count_include_pad, divisor_override, return_indices, unbatched input, empty batches), the torch twin
against the NumPy reference, finite differences, the layers, and every error with its message.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import np as cnp
from companion import torch as ct
from companion.counting import receptive_field
from companion.np import pool

from finite_differences import entrywise_rel_error, numerical_gradient

TORCH_ERRORS = (RuntimeError, ValueError, TypeError)


def _pair_or_int(values):
    return st.one_of(values, st.tuples(values), st.tuples(values, values))


@st.composite
def geometry(draw, dilation=True):
    """Pooling arguments as torch takes them; padding sometimes past half the kernel, to meet the errors."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kernel = draw(st.sampled_from([(kh, kw), (kh,), kh, [kh, kw]]))
    k = (kh, kh) if not isinstance(kernel, (tuple, list)) or len(kernel) == 1 else (kh, kw)
    ph, pw = (draw(st.integers(0, kk // 2 + draw(st.sampled_from([0, 0, 0, 1])))) for kk in k)
    return {"kernel_size": kernel, "stride": draw(st.one_of(st.none(), st.just(()), _pair_or_int(st.integers(1, 3)))),
            "padding": draw(st.sampled_from([(ph, pw), ph if ph == pw else (ph, pw)])),
            "dilation": draw(_pair_or_int(st.integers(1, 3))) if dilation else 1, "ceil_mode": draw(st.booleans())}


@st.composite
def images(draw):
    """float64 images (N, C, H, W) or (C, H, W), N possibly 0; normal values, or ties, NaN or -inf among them."""
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9))
    shape = draw(st.sampled_from([(draw(st.integers(0, 3)), c, h, w), (c, h, w)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=shape)
    kind = draw(st.sampled_from(["normal", "normal", "ties", "nan", "-inf"]))
    if kind == "ties":
        x = np.round(x)
    elif kind != "normal":
        x[rng.random(shape) < 0.25] = float(kind)
    return x, rng


def _both_backends_raise(name, *args, **kwargs):
    """Where torch rejects the arguments, both of ours raise a ValueError naming the function."""
    for backend in (cnp, ct):
        tensors = [torch.tensor(a) if backend is ct and isinstance(a, np.ndarray) else a for a in args]
        with pytest.raises(ValueError, match=f"{name}: |x must be"):
            getattr(backend, name)(*tensors, **kwargs)


@settings(max_examples=150, deadline=None)
@given(images(), geometry())
def test_max_pool2d_matches_torch(image, args):
    x, rng = image
    xt = torch.tensor(x, requires_grad=True)
    try:
        ref, ref_indices = F.max_pool2d(xt, **args, return_indices=True)
    except TORCH_ERRORS:
        _both_backends_raise("max_pool2d", x, **args)
        return
    if not _windows_see_the_image(x.shape, ref.shape, args):  # torch returns -inf, and its backward misbehaves
        with pytest.raises(ValueError, match="reads only padding"):
            cnp.max_pool2d(x, **args)
        assert (F.max_pool2d(torch.ones(x.shape[-3:]), **args) == -np.inf).any()
        return
    out, cache = pool.max_pool2d_forward(x, **args)
    np.testing.assert_array_equal(out, ref.detach().numpy())  # a maximum is exact; NaN where torch has NaN
    np.testing.assert_array_equal(cache[1], ref_indices.numpy())
    twin, twin_indices = ct.max_pool2d(torch.tensor(x), **args, return_indices=True)
    np.testing.assert_array_equal(out, twin.numpy())
    np.testing.assert_array_equal(cnp.max_pool2d(x, **args, return_indices=True)[1], twin_indices.numpy())
    dout = rng.normal(size=out.shape)
    ref.backward(torch.tensor(dout))
    dx = pool.max_pool2d_backward(dout, cache)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-13, atol=1e-13)


def _windows_see_the_image(x_shape, out_shape, args):
    """Whether every max-pool window has a tap inside the image (not only padding), along both axes."""
    k, s, p, d = (_as_pair(args[name]) for name in ("kernel_size", "stride", "padding", "dilation"))
    s = s or k
    for axis in (0, 1):
        taps = np.arange(out_shape[-2 + axis])[:, None] * s[axis] - p[axis] + np.arange(k[axis]) * d[axis]
        if not ((taps >= 0) & (taps < x_shape[-2 + axis])).any(axis=1).all():
            return False
    return True


def _as_pair(value):
    if value is None or value == ():
        return None
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    return values[0], values[-1]


@settings(max_examples=150, deadline=None)
@given(images(), geometry(dilation=False), st.booleans(), st.sampled_from([None, None, 1, 3, -2, 7]))
def test_avg_pool2d_matches_torch(image, args, count_include_pad, divisor_override):
    x, rng = image
    del args["dilation"]
    args.update(count_include_pad=count_include_pad, divisor_override=divisor_override)
    xt = torch.tensor(x, requires_grad=True)
    try:
        ref = F.avg_pool2d(xt, **args)
    except TORCH_ERRORS:
        _both_backends_raise("avg_pool2d", x, **args)
        return
    out, cache = pool.avg_pool2d_forward(x, **args)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out, ct.avg_pool2d(torch.tensor(x), **args).numpy(), rtol=1e-12, atol=1e-14)
    dout = rng.normal(size=out.shape)
    ref.backward(torch.tensor(dout))
    dx = pool.avg_pool2d_backward(dout, cache)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@settings(max_examples=80, deadline=None)
@given(images(), geometry(), st.sampled_from(["default", "hw", "nchw", "off"]))
def test_max_unpool2d_round_trip_matches_torch(image, args, size_kind):
    x, rng = image
    x[~np.isfinite(x)] = 0.0
    # as pairs: F.max_unpool2d fails on a one-entry tuple or an empty stride (IndexError), which pooling takes
    unpool_args = {name: _as_pair(args[name]) for name in ("kernel_size", "stride", "padding")}
    try:
        pooled, indices = F.max_pool2d(torch.tensor(x), **args, return_indices=True)
    except TORCH_ERRORS:
        return  # pooling's own errors are test_max_pool2d_matches_torch's
    if not _windows_see_the_image(x.shape, pooled.shape, args):
        return
    size = {"default": None, "hw": x.shape[-2:], "nchw": x.shape, "off": (x.shape[-2] + 5, x.shape[-1])}[size_kind]
    pooled = pooled.numpy()
    xt = torch.tensor(pooled, requires_grad=True)
    try:
        ref = F.max_unpool2d(xt, indices, **unpool_args, output_size=size)
    except TORCH_ERRORS:
        _both_backends_raise("max_unpool2d", pooled, indices.numpy(), **unpool_args, output_size=size)
        return
    if 0 in ref.shape[-2:]:  # torch returns an empty plane; ours say why
        _both_backends_raise("max_unpool2d", pooled, indices.numpy(), **unpool_args, output_size=size)
        return
    out, cache = pool.max_unpool2d_forward(pooled, indices.numpy(), **unpool_args, output_size=size)
    np.testing.assert_array_equal(out, ref.detach().numpy())
    np.testing.assert_array_equal(out, ct.max_unpool2d(torch.tensor(pooled), indices, **unpool_args,
                                                       output_size=size).numpy())
    if size_kind in ("hw", "nchw"):  # the maxima sit where they were found in x
        np.testing.assert_array_equal(out[out != 0], x[out != 0])
    dout = rng.normal(size=out.shape)
    ref.backward(torch.tensor(dout))
    np.testing.assert_array_equal(pool.max_unpool2d_backward(dout, cache), xt.grad.numpy())


@pytest.mark.parametrize("args", [
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=2, padding=(1, 1), divisor_override=5),
    dict(kernel_size=2),
], ids=str)
@pytest.mark.parametrize("shape", [(2, 2, 5, 6), (3, 7, 4)], ids=str)
def test_avg_pool2d_backward_matches_finite_differences(args, shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(size=shape)
    out, cache = pool.avg_pool2d_forward(x, **args)
    dout = rng.normal(size=out.shape)
    numeric = numerical_gradient(lambda: float((pool.avg_pool2d(x, **args) * dout).sum()), x, h=1e-5)
    assert entrywise_rel_error(pool.avg_pool2d_backward(dout, cache), numeric) < 1e-7


@pytest.mark.parametrize("args", [
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
    dict(kernel_size=2, stride=1, dilation=2, ceil_mode=True),
], ids=str)
@pytest.mark.parametrize("shape", [(2, 2, 5, 6), (3, 7, 4)], ids=str)
def test_max_pool2d_backward_matches_finite_differences(args, shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.permutation(np.arange(np.prod(shape)) * 0.1).reshape(shape)  # no ties, a step far above h
    out, cache = pool.max_pool2d_forward(x, **args)
    dout = rng.normal(size=out.shape)
    numeric = numerical_gradient(lambda: float((pool.max_pool2d(x, **args) * dout).sum()), x, h=1e-5)
    assert entrywise_rel_error(pool.max_pool2d_backward(dout, cache), numeric) < 1e-7


def test_max_unpool2d_backward_matches_finite_differences():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 3, 4))
    indices = np.stack([rng.permutation(7 * 9)[:12] for _ in range(6)]).reshape(x.shape)  # distinct per plane
    out, cache = pool.max_unpool2d_forward(x, indices, 2, output_size=(7, 9))
    dout = rng.normal(size=out.shape)
    numeric = numerical_gradient(lambda: float((pool.max_unpool2d(x, indices, 2, output_size=(7, 9)) * dout).sum()), x)
    assert entrywise_rel_error(pool.max_unpool2d_backward(dout, cache), numeric) < 1e-7
    np.testing.assert_array_equal(out, F.max_unpool2d(torch.tensor(x), torch.tensor(indices), 2,
                                                      output_size=(7, 9)).numpy())


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_float32_stays_float32(kind):
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 5)).astype(np.float32)
    forward, backward = getattr(pool, f"{kind}_pool2d_forward"), getattr(pool, f"{kind}_pool2d_backward")
    out, cache = forward(x, 3, 2, 1, ceil_mode=True)
    assert out.dtype == np.float32 and backward(np.ones_like(out), cache).dtype == np.float32


# (N, C, H, W, K, stride, padding): the cases the chapter's first pooling test held, as a regression
POOL_CASES = [(2, 3, 8, 8, 2, None, 0), (1, 2, 7, 7, 3, 2, 1), (2, 1, 9, 6, 3, 3, 0), (1, 4, 5, 5, 2, 1, 1),
              (2, 2, 6, 7, 4, 2, 2)]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_square_pools_match_torch(kind, case):
    n, c, h, w, k, stride, padding = case
    rng = np.random.default_rng(sum(v or 0 for v in case))
    x = rng.normal(size=(n, c, h, w))
    forward, backward = getattr(pool, f"{kind}_pool2d_forward"), getattr(pool, f"{kind}_pool2d_backward")
    out, cache = forward(x, k, stride, padding)
    xt = torch.tensor(x, requires_grad=True)
    ref = getattr(F, f"{kind}_pool2d")(xt, k, stride, padding)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12)
    dout = rng.normal(size=out.shape)
    (ref * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(backward(dout, cache), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


LAYERS = [
    ("MaxPool2d", dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), ceil_mode=True)),
    ("MaxPool2d", dict(kernel_size=2)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("AvgPool2d", dict(kernel_size=(2, 3), divisor_override=4)),
]


@pytest.mark.parametrize("name, args", LAYERS, ids=str)
def test_layers_match_torch_nn(name, args):
    """The same attributes and repr as torch.nn's layer (counting.py reads them), and in a Sequential the same
    values and gradients as the torch twin."""
    ours, twin, theirs = getattr(cnp, name)(**args), getattr(ct, name)(**args), getattr(torch.nn, name)(**args)
    assert isinstance(twin, type(theirs)) and ours.parameters() == {}
    for attr in ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices", "count_include_pad",
                 "divisor_override"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr
    assert repr(ours) == repr(theirs)
    assert receptive_field([ours]) == receptive_field([theirs])
    rng = np.random.default_rng(1)
    net = cnp.Sequential(cnp.Activation("tanh"), ours)
    twin_net = ct.Sequential(ct.Activation("tanh"), twin)
    x = rng.normal(size=(2, 3, 7, 8))
    out = net.forward(x)
    dout = rng.normal(size=out.shape)
    dx = net.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    ref = twin_net(xt)
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_max_pool_with_indices_and_unpool_layers_match_torch_nn():
    rng = np.random.default_rng(2)
    x, size = rng.normal(size=(2, 3, 7, 6)), (7, 6)
    pool_np, unpool_np = cnp.MaxPool2d(2, return_indices=True), cnp.MaxUnpool2d(2)
    pool_t, unpool_t = ct.MaxPool2d(2, return_indices=True), ct.MaxUnpool2d(2)
    assert isinstance(unpool_t, torch.nn.MaxUnpool2d) and repr(unpool_np) == repr(torch.nn.MaxUnpool2d(2))
    out, indices = pool_np(x)
    restored = unpool_np(out, indices, output_size=size)
    xt = torch.tensor(x, requires_grad=True)
    out_t, indices_t = pool_t(xt)
    restored_t = unpool_t(out_t, indices_t, output_size=size)
    np.testing.assert_array_equal(indices, indices_t.numpy())
    np.testing.assert_array_equal(restored, restored_t.detach().numpy())
    dout = rng.normal(size=restored.shape)
    restored_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(pool_np.backward(unpool_np.backward(dout)), xt.grad.numpy(), rtol=1e-13)


def test_the_max_and_its_first_tie_and_last_nan_as_torch():
    x = np.array([[[[1.0, 3.0, 3.0, 2.0], [np.nan, 0.0, np.nan, 5.0]]]])
    out, indices = cnp.max_pool2d(x, (2, 4), return_indices=True)
    assert np.isnan(out).all() and indices.item() == 6  # the last NaN of the window
    out, indices = cnp.max_pool2d(x[..., :1, :], (1, 4), return_indices=True)
    assert out.item() == 3.0 and indices.item() == 1  # the first of two maxima
    ref = F.max_pool2d(torch.tensor(x), (2, 4), return_indices=True)[1]
    assert ref.item() == 6


POOL_ERRORS = [  # (function, arguments, message): torch rejects each too
    ("max_pool2d", ((4, 4), 2), r"x must be 3-D or 4-D, got shape \(4, 4\)"),
    ("max_pool2d", ((1, 1, 1, 4, 4), 2), r"x must be 3-D or 4-D, got shape \(1, 1, 1, 4, 4\)"),
    ("avg_pool2d", ((1, 0, 4, 4), 2), r"avg_pool2d: x must have non-zero channels, height and width, got shape "
                                      r"\(1, 0, 4, 4\)"),
    ("max_pool2d", ((2, 4, 0), 2), r"non-zero channels, height and width, got shape \(2, 4, 0\)"),
    ("max_pool2d", ((1, 1, 4, 4), 0), r"max_pool2d: kernel_size must be positive, got \(0, 0\)"),
    ("max_pool2d", ((1, 1, 4, 4), (2, 2, 2)), r"kernel_size must be an int or a tuple of one or two ints, "
                                              r"got \(2, 2, 2\)"),
    ("avg_pool2d", ((1, 1, 4, 4), 2.0), r"avg_pool2d: kernel_size must be an int or a tuple of one or two ints, "
                                        r"got 2.0"),
    ("max_pool2d", ((1, 1, 4, 4), 2, (1, 0)), r"stride must be positive, got \(1, 0\)"),
    ("avg_pool2d", ((1, 1, 4, 4), 2, 2, -1), r"padding must be non-negative, got \(-1, -1\)"),
    ("max_pool2d", ((1, 1, 4, 4), 2, 2, 0, 0), r"dilation must be positive, got \(0, 0\)"),
    ("max_pool2d", ((1, 1, 9, 9), 3, 1, (2, 0)), r"padding \(2, 0\) must be at most half the kernel size "
                                                 r"\(3, 3\) on each axis"),
    ("max_pool2d", ((1, 1, 9, 9), 3, 1, 2, 4), r"padding \(2, 2\) must be at most half the kernel size"),
    ("avg_pool2d", ((1, 1, 4, 5), (5, 2)), r"the pooling window's height 5 \(kernel \(5, 2\), dilation \(1, 1\)\) "
                                           r"exceeds the padded image's 4"),
    ("max_pool2d", ((3, 6, 4), 3, 1, 1, (1, 3)), r"the pooling window's width 7 \(kernel \(3, 3\), dilation "
                                                 r"\(1, 3\)\) exceeds the padded image's 6"),
    ("max_pool2d", ((1, 1, 4, 4), 7, 3, 0, 1, True), r"window's height 7 .* exceeds the padded image's 4 by more "
                                                     r"than ceil_mode's stride - 1 = 2"),
    ("avg_pool2d", ((1, 1, 4, 4), 2, None, 0, False, True, 0), "divisor_override must be None or a non-zero "
                                                               "integer, got 0"),
]


@pytest.mark.parametrize("backend", [cnp, ct], ids=["np", "torch"])
@pytest.mark.parametrize("name, args, message", POOL_ERRORS, ids=[m[:40] for _, _, m in POOL_ERRORS])
def test_pool_errors(backend, name, args, message):
    shape, *rest = args
    x = np.ones(shape) if backend is cnp else torch.ones(shape, dtype=torch.float64)
    with pytest.raises(ValueError, match=message):
        getattr(backend, name)(x, *rest)
    with pytest.raises(TORCH_ERRORS):
        getattr(F, name)(torch.ones(shape), *rest)


@pytest.mark.parametrize("backend", [cnp, ct], ids=["np", "torch"])
def test_errors_where_torch_goes_wrong_quietly(backend):
    """Two inputs torch accepts: a dilated window that sees only padding (torch returns -inf, and its backward
    writes outside the input) and an unpooled size of zero (torch returns an empty plane)."""
    ones = (lambda *s: np.ones(s)) if backend is cnp else (lambda *s: torch.ones(s, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"max_pool2d: window 0 along the height reads only padding"):
        backend.max_pool2d(ones(1, 1, 1, 1), 2, 1, 1, 2)
    assert F.max_pool2d(torch.ones(1, 1, 1, 1), 2, 1, 1, 2).item() == -np.inf
    zero = np.zeros((1, 1, 1, 1), dtype=np.int64)
    with pytest.raises(ValueError, match=r"max_unpool2d: the output size \(0, 0\) must be positive"):
        backend.max_unpool2d(ones(1, 1, 1, 1), zero if backend is cnp else torch.tensor(zero), 2, 2, 1)
    assert F.max_unpool2d(torch.ones(1, 1, 1, 1), torch.tensor(zero), 2, 2, 1).numel() == 0
    with pytest.raises(ValueError, match="divisor_override must be None or a non-zero integer, got 1.5"):
        backend.avg_pool2d(ones(1, 1, 4, 4), 2, divisor_override=1.5)


UNPOOL_ERRORS = [  # (x shape, indices, kwargs, message): torch rejects each too
    ((4, 4), np.zeros((4, 4), np.int64), {}, r"x must be 3-D or 4-D, got shape \(4, 4\)"),
    ((1, 1, 2, 2), np.zeros((1, 1, 2, 1), np.int64), {}, r"max_unpool2d: indices must have x's shape \(1, 1, 2, 2\), "
                                                         r"got \(1, 1, 2, 1\)"),
    ((1, 1, 2, 2), np.zeros((1, 1, 2, 2)), {}, r"max_unpool2d: indices must be integers, got dtype (torch\.)?float64"),
    ((1, 1, 2, 2), np.array([[[[0, 1], [4, 16]]]]), {}, r"max_unpool2d: indices must lie in \[0, 16\) for a 4x4 output, got "
                                                        r"values from 0 to 16"),
    ((1, 2, 2), np.array([[[0, -1], [4, 5]]]), {}, r"max_unpool2d: indices must lie in \[0, 16\) .* from -1 to 5"),
    ((1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int64), {"output_size": (6, 6)},
     r"max_unpool2d: invalid output_size \(6, 6\): dim 0 must lie strictly between 2 and 6"),
    ((1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int64), {"output_size": (5,)},
     r"max_unpool2d: output_size must be \(OH, OW\) or \(N, C, OH, OW\), got \(5,\)"),
    ((1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int64), {"output_size": (4.0, 4.0)},
     r"max_unpool2d: output_size must be \(OH, OW\) or \(N, C, OH, OW\), got \(4.0, 4.0\)"),
]


@pytest.mark.parametrize("backend", [cnp, ct], ids=["np", "torch"])
@pytest.mark.parametrize("shape, indices, kwargs, message", UNPOOL_ERRORS, ids=[e[-1][:40] for e in UNPOOL_ERRORS])
def test_unpool_errors(backend, shape, indices, kwargs, message):
    x = np.ones(shape) if backend is cnp else torch.ones(shape, dtype=torch.float64)
    with pytest.raises(ValueError, match=message):
        backend.max_unpool2d(x, indices if backend is cnp else torch.tensor(indices), 2, **kwargs)
    with pytest.raises(TORCH_ERRORS):
        F.max_unpool2d(torch.ones(shape), torch.tensor(indices), 2, **kwargs)
