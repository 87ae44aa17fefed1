"""Leaky ReLU, GELU (exact and tanh) and SiLU: NumPy reference vs torch.nn.functional, by hand vs
finite differences, over every option torch's functions take.

The generic equivalence and gradient tests (tests/concepts.py) cover each registry name with its
defaults; here the options (negative_slope, approximate, inplace), shapes, extremes and errors.
"""

import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from companion import np as cnp
from companion import torch as ct

# (label, NumPy function, NumPy derivative, torch.nn.functional referee, options)
CASES = [
    ("leaky_relu", cnp.leaky_relu, cnp.leaky_relu_derivative, F.leaky_relu, {}),
    ("leaky_relu:0.2", cnp.leaky_relu, cnp.leaky_relu_derivative, F.leaky_relu, {"negative_slope": 0.2}),
    ("leaky_relu:0", cnp.leaky_relu, cnp.leaky_relu_derivative, F.leaky_relu, {"negative_slope": 0.0}),
    ("leaky_relu:-0.5", cnp.leaky_relu, cnp.leaky_relu_derivative, F.leaky_relu, {"negative_slope": -0.5}),
    ("leaky_relu:3", cnp.leaky_relu, cnp.leaky_relu_derivative, F.leaky_relu, {"negative_slope": 3}),
    ("gelu", cnp.gelu, cnp.gelu_derivative, F.gelu, {}),
    ("gelu:none", cnp.gelu, cnp.gelu_derivative, F.gelu, {"approximate": "none"}),
    ("gelu:tanh", cnp.gelu, cnp.gelu_derivative, F.gelu, {"approximate": "tanh"}),
    ("silu", cnp.silu, cnp.silu_derivative, F.silu, {}),
]
IDS = [c[0] for c in CASES]
TORCH_TWIN = {"leaky_relu": ct.leaky_relu, "gelu": ct.gelu, "silu": ct.silu}

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


def _draw(shape, seed, scale=3.0):
    """Normal values away from the kink at 0 (finite differences straddle it), with the kink's own
    neighbourhood left to the exact test at x = 0 below."""
    x = np.random.default_rng(seed).normal(scale=scale, size=shape)
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def _torch_value_and_grad(referee, x, options, dout):
    t = torch.tensor(x, requires_grad=True)
    out = referee(t * 1, **options)  # t * 1: an in-place option must not touch the leaf
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("label, f, df, referee, options", CASES, ids=IDS)
@settings(max_examples=25, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1))
def test_values_and_gradients_match_torch_float64(label, f, df, referee, options, shape, seed):
    x = _draw(shape, seed)
    dout = np.random.default_rng(seed + 1).normal(size=shape)
    want, want_grad = _torch_value_and_grad(referee, x, options, dout)
    got = f(x, **options)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dout * df(x, **options), want_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("label, f, df, referee, options", CASES, ids=IDS)
def test_torch_twin_is_the_referee(label, f, df, referee, options):
    x = torch.tensor(_draw((4, 3), 0))
    twin = TORCH_TWIN[label.split(":")[0]]
    torch.testing.assert_close(twin(x, **options), referee(x, **options), rtol=0, atol=0)


@pytest.mark.parametrize("label, f, df, referee, options", CASES, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_derivative_matches_finite_differences(label, f, df, referee, options, seed):
    x = _draw((50,), seed)
    h = 1e-6
    numeric = (f(x + h, **options) - f(x - h, **options)) / (2 * h)
    analytic = df(x, **options)
    assert np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic) < 1e-8


@pytest.mark.parametrize("label, f, df, referee, options", CASES, ids=IDS)
def test_kink_and_extremes_match_torch(label, f, df, referee, options):
    """x = 0 (leaky ReLU's kink: torch takes negative_slope there), and |x| up to 1e4 (no overflow)."""
    x = np.array([0.0, -0.0, 1e-300, -1e-300, 40.0, -40.0, 800.0, -800.0, 1e4, -1e4])
    want, want_grad = _torch_value_and_grad(referee, x, options, np.ones_like(x))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got, got_grad = f(x, **options), df(x, **options)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("label, f, df, referee, options", CASES, ids=IDS)
def test_float32_stays_float32(label, f, df, referee, options):
    x = _draw((3, 4), 5).astype(np.float32)
    assert f(x, **options).dtype == np.float32 and df(x, **options).dtype == np.float32
    np.testing.assert_allclose(f(x, **options), referee(torch.tensor(x), **options).numpy(), rtol=1e-5, atol=1e-6)


def test_float32_tanh_gelu_derivative_over_the_whole_range():
    """Below about x = -4 the float32 derivative is a difference of two nearly equal terms, each
    carrying tanh's rounding (about 6e-8 near -1) amplified about 20-fold; both backends stay within
    that bound of the float64 value, and so within twice it of each other."""
    x = np.linspace(-10, 10, 4001)
    exact = cnp.gelu_derivative(x, approximate="tanh")
    t = torch.tensor(x.astype(np.float32), requires_grad=True)
    F.gelu(t, approximate="tanh").sum().backward()
    ours = cnp.gelu_derivative(x.astype(np.float32), approximate="tanh")
    bound = 25 * np.finfo(np.float32).eps * np.maximum(1, np.abs(exact))
    assert (np.abs(ours - exact) <= bound).all() and (np.abs(t.grad.numpy() - exact) <= bound).all()


def test_a_numpy_float64_slope_keeps_float32_input_float32():
    x = _draw((3, 4), 5).astype(np.float32)
    assert cnp.leaky_relu(x, np.float64(0.1)).dtype == np.float32
    assert cnp.leaky_relu_derivative(x, np.float64(0.1)).dtype == np.float32


def test_defaults_are_torchs():
    for ours in (cnp.leaky_relu, ct.leaky_relu, cnp.leaky_relu_derivative):
        assert inspect.signature(ours).parameters["negative_slope"].default == \
            inspect.signature(F.leaky_relu).parameters["negative_slope"].default == 0.01
    for ours in (cnp.gelu, ct.gelu, cnp.gelu_derivative):
        assert inspect.signature(ours).parameters["approximate"].default == "none"
    for ours, theirs in ((cnp.leaky_relu, F.leaky_relu), (cnp.silu, F.silu), (ct.silu, F.silu)):
        assert inspect.signature(ours).parameters["inplace"].default is \
            inspect.signature(theirs).parameters["inplace"].default is False


def test_exact_and_tanh_gelu_differ_but_only_slightly():
    x = np.linspace(-6, 6, 1001)
    gap = np.abs(cnp.gelu(x) - cnp.gelu(x, approximate="tanh")).max()
    assert 1e-5 < gap < 1e-3


def test_known_values():
    assert cnp.gelu(np.array(1.0)) == pytest.approx(0.8413447460685429)  # 1 * Phi(1)
    assert cnp.silu(np.array(1.0)) == pytest.approx(1 / (1 + np.exp(-1)))
    assert cnp.leaky_relu(np.array(-2.0)) == pytest.approx(-0.02)


@pytest.mark.parametrize("name", ["leaky_relu", "silu"])
def test_inplace_writes_into_the_input_like_torch(name):
    x = _draw((3, 4), 7)
    expected = getattr(F, name)(torch.tensor(x)).numpy()
    ours = x.copy()
    assert getattr(cnp, name)(ours, inplace=True) is ours
    np.testing.assert_allclose(ours, expected, rtol=1e-12)
    theirs = torch.tensor(x)
    assert getattr(ct, name)(theirs, inplace=True) is theirs
    np.testing.assert_allclose(theirs.numpy(), expected, rtol=1e-12)
    untouched = x.copy()
    getattr(cnp, name)(untouched)
    np.testing.assert_array_equal(untouched, x)


@pytest.mark.parametrize("name", ["leaky_relu", "silu"])
def test_inplace_needs_a_writable_float_array(name):
    read_only = np.array([1.0, -2.0])
    read_only.flags.writeable = False
    for bad in ([1.0, -2.0], np.array([1, -2]), read_only):
        with pytest.raises(ValueError, match="inplace=True needs a writable floating-point NumPy array"):
            getattr(cnp, name)(bad, inplace=True)


@pytest.mark.parametrize("mod", [cnp, ct], ids=["numpy", "torch"])
def test_bad_options_are_named(mod):
    x = np.ones(3) if mod is cnp else torch.ones(3)
    with pytest.raises(ValueError, match=r"unknown approximate 'erf'; choose one of \['none', 'tanh'\]"):
        mod.gelu(x, approximate="erf")
    for slope in ("0.1", True, None, float("nan"), np.ones(2)):
        with pytest.raises(ValueError, match=r"negative_slope must be a finite real number"):
            mod.leaky_relu(x, negative_slope=slope)


@pytest.mark.parametrize("name", ["leaky_relu", "gelu", "gelu_tanh", "silu"])
def test_registry_and_build_mlp_use_them_in_both_backends(name):
    rng = np.random.default_rng(0)
    net = cnp.build_mlp([3, 5, 2], [name, "linear"], rng=rng)
    twin = ct.build_mlp([3, 5, 2], [name, "linear"], dtype=torch.float64, device="cpu")
    twin.load_state_dict({k: torch.tensor(v) for k, v in net.state_dict().items()})
    x = rng.normal(size=(6, 3))
    out = net(x)
    np.testing.assert_allclose(out, twin(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    options = {"approximate": "tanh"} if name == "gelu_tanh" else {}
    function = getattr(cnp, name.removesuffix("_tanh"))
    np.testing.assert_array_equal(cnp.get_activation(name)(x), function(x, **options))
    dout = rng.normal(size=x.shape)
    _, cache = cnp.activation_forward(x, name)
    np.testing.assert_array_equal(cnp.activation_backward(dout, cache),
                                  dout * getattr(cnp, f"{name.removesuffix('_tanh')}_derivative")(x, **options))
