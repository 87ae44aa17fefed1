"""BatchNorm2d and LayerNorm: the NumPy reference against torch.nn.BatchNorm2d / LayerNorm / F.layer_norm."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import np as cnp
from companion import torch as ct
from companion.np.normalization import (batchnorm2d_backward, batchnorm2d_forward, layer_norm_backward,
                                        layer_norm_forward)

from finite_differences import entrywise_rel_error, numerical_gradient


def _t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _numeric_grad(f, x, dout, h=1e-5):
    """Centred differences of sum(f(x) * dout) with respect to each entry of x."""
    x = x.copy()
    return numerical_gradient(lambda: float((f(x) * dout).sum()), x, h)


def _torch_bn(c, gamma, beta, rm, rv, **kw):
    ref = torch.nn.BatchNorm2d(c, dtype=torch.float64, **kw)
    with torch.no_grad():
        ref.weight.copy_(_t(gamma))
        ref.bias.copy_(_t(beta))
        ref.running_mean.copy_(_t(rm))
        ref.running_var.copy_(_t(rv))
    return ref


bn_shapes = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(1, 5)).filter(
    lambda s: s[0] * s[2] * s[3] >= 2)


@settings(max_examples=30, deadline=None)
@given(shape=bn_shapes, seed=st.integers(0, 2**16), training=st.booleans())
def test_batchnorm2d_matches_torch_in_both_modes(shape, seed, training):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x, dout = rng.normal(2, 3, size=shape), rng.normal(size=shape)
    gamma, beta, rm, rv = rng.normal(size=c), rng.normal(size=c), rng.normal(size=c), rng.uniform(0.5, 2, size=c)
    ref = _torch_bn(c, gamma, beta, rm, rv).train(training)
    xt = _t(x, grad=True)
    out_t = ref(xt)
    (out_t * _t(dout)).sum().backward()

    out, cache, new_rm, new_rv = batchnorm2d_forward(x, gamma, beta, rm, rv, training=training)
    dx, dgamma, dbeta = batchnorm2d_backward(dout, cache)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dgamma, ref.weight.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dbeta, ref.bias.grad.numpy(), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(new_rm, ref.running_mean.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(new_rv, ref.running_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batchnorm2d_module_running_statistics_over_steps_then_eval(momentum):
    rng = np.random.default_rng(0)
    layer, ref = cnp.BatchNorm2d(3, momentum=momentum), torch.nn.BatchNorm2d(3, momentum=momentum, dtype=torch.float64)
    for _ in range(5):
        batch = rng.normal(1, 2, size=(4, 3, 5, 3))
        np.testing.assert_allclose(layer(batch), ref.train()(_t(batch)).detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, value in ref.state_dict().items():
        np.testing.assert_allclose(getattr(layer, name), value.numpy(), rtol=1e-12, err_msg=name)
    x, dout = rng.normal(size=(2, 3, 3, 4)), rng.normal(size=(2, 3, 3, 4))
    layer.training = False
    xt = _t(x, grad=True)
    out_t = ref.eval()(xt)
    (out_t * _t(dout)).sum().backward()
    np.testing.assert_allclose(layer(x), out_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.grads["weight"], ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.grads["bias"], ref.bias.grad.numpy(), rtol=1e-10)
    assert int(layer.num_batches_tracked) == 5


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
def test_batchnorm2d_options_match_torch(affine, track):
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(3, 2, 3, 3))
    layer = cnp.BatchNorm2d(2, affine=affine, track_running_stats=track)
    ref = torch.nn.BatchNorm2d(2, affine=affine, track_running_stats=track, dtype=torch.float64)
    assert set(layer.parameters()) | set(layer.buffers()) == set(ref.state_dict())
    for training in (True, False):  # untracked statistics: the batch's, in evaluation mode too
        layer.training = training
        xt = _t(x, grad=True)
        out_t = ref.train(training)(xt)
        (out_t * _t(dout)).sum().backward()
        np.testing.assert_allclose(layer(x), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
        assert set(layer.grads) == ({"weight", "bias"} if affine else set())


def test_batchnorm2d_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    x, dout = rng.normal(size=(2, 3, 3, 2)), rng.normal(size=(2, 3, 3, 2))
    gamma, beta, z, o = rng.normal(size=3), rng.normal(size=3), np.zeros(3), np.ones(3)
    for training in (True, False):
        def f(x_, g=gamma, b=beta):
            return batchnorm2d_forward(x_, g, b, z, o, training=training)[0]
        dx, dgamma, dbeta = batchnorm2d_backward(dout, batchnorm2d_forward(x, gamma, beta, z, o, training)[1])
        assert entrywise_rel_error(dx, _numeric_grad(f, x, dout)) < 1e-7
        assert entrywise_rel_error(dgamma, _numeric_grad(lambda g: f(x, g=g), gamma, dout)) < 1e-7
        assert entrywise_rel_error(dbeta, _numeric_grad(lambda b: f(x, b=b), beta, dout)) < 1e-7


ln_cases = st.sampled_from([((3, 5), 5), ((2, 3, 4), (3, 4)), ((7,), 7), ((2, 1, 3), (1, 3)), ((1, 4, 3), 3),
                            ((2, 3, 2, 5), (3, 2, 5))])


@settings(max_examples=30, deadline=None)
@given(case=ln_cases, seed=st.integers(0, 2**16), affine=st.booleans(), use_bias=st.booleans())
def test_layer_norm_matches_torch(case, seed, affine, use_bias):
    shape, normalized = case
    rng = np.random.default_rng(seed)
    ns = (normalized,) if isinstance(normalized, int) else normalized
    x, dout = rng.normal(1, 2, size=shape), rng.normal(size=shape)
    w = rng.normal(size=ns) if affine else None
    b = rng.normal(size=ns) if affine and use_bias else None
    xt, wt, bt = _t(x, True), None if w is None else _t(w, True), None if b is None else _t(b, True)
    out_t = F.layer_norm(xt, ns, wt, bt, 1e-5)
    (out_t * _t(dout)).sum().backward()

    out, cache = layer_norm_forward(x, normalized, w, b)
    dx, dw, db = layer_norm_backward(dout, cache)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(cnp.layer_norm(x, normalized, w, b), out, rtol=0)
    np.testing.assert_allclose(ct.layer_norm(_t(x), normalized, None if w is None else _t(w),
                                             None if b is None else _t(b)).numpy(), out, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    assert (dw is None) == (w is None) and (db is None) == (b is None)
    if w is not None:
        np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-9, atol=1e-11)
    if b is not None:
        np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_layer_norm_module_matches_torch_and_state_dict_copies_both_ways(affine, bias):
    rng = np.random.default_rng(3)
    layer = cnp.LayerNorm((2, 3), elementwise_affine=affine, bias=bias)
    twin = ct.LayerNorm((2, 3), elementwise_affine=affine, bias=bias, dtype=torch.float64, device="cpu")
    ref = torch.nn.LayerNorm((2, 3), elementwise_affine=affine, bias=bias, dtype=torch.float64)
    assert set(layer.parameters()) == set(twin.state_dict()) == set(ref.state_dict())
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(_t(rng.normal(size=p.shape)))
    twin.load_state_dict(ref.state_dict())
    for name, value in ref.state_dict().items():
        setattr(layer, name, value.numpy().copy())
    x, dout = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 3))
    xt = _t(x, True)
    out_t = ref(xt)
    (out_t * _t(dout)).sum().backward()
    np.testing.assert_allclose(layer(x), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(twin(_t(x)).detach().numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(layer.grads[name], p.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_layer_norm_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    x, dout = rng.normal(size=(3, 2, 3)), rng.normal(size=(3, 2, 3))
    w, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))

    def f(x_, w_=w, b_=b):
        return layer_norm_forward(x_, (2, 3), w_, b_)[0]
    dx, dw, db = layer_norm_backward(dout, layer_norm_forward(x, (2, 3), w, b)[1])
    assert entrywise_rel_error(dx, _numeric_grad(f, x, dout)) < 1e-7
    assert entrywise_rel_error(dw, _numeric_grad(lambda w_: f(x, w_=w_), w, dout)) < 1e-7
    assert entrywise_rel_error(db, _numeric_grad(lambda b_: f(x, b_=b_), b, dout)) < 1e-7


def test_batchnorm2d_state_dict_copies_both_ways_in_a_network():
    rng = np.random.default_rng(5)
    net = cnp.Sequential(cnp.BatchNorm2d(3))
    twin = ct.Sequential(ct.BatchNorm2d(3, dtype=torch.float64, device="cpu"))
    for _ in range(3):
        batch = rng.normal(2, 3, size=(4, 3, 2, 2))
        net.forward(batch)
        twin(_t(batch))
    assert set(net.state_dict()) == set(twin.state_dict())
    fresh_np, fresh_t = cnp.Sequential(cnp.BatchNorm2d(3)), ct.Sequential(ct.BatchNorm2d(3, dtype=torch.float64,
                                                                                          device="cpu"))
    fresh_t.load_state_dict({k: torch.as_tensor(v) for k, v in net.state_dict().items()})
    fresh_np.load_state_dict(twin.state_dict())
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(fresh_np.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)
        np.testing.assert_allclose(fresh_t.state_dict()[key].numpy(), net.state_dict()[key], rtol=1e-12, err_msg=key)
    x = rng.normal(size=(2, 3, 2, 2))
    np.testing.assert_allclose(fresh_np.eval().forward(x), fresh_t.eval()(_t(x)).detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("backend", ["np", "torch"])
def test_clear_errors(backend):
    lib = cnp if backend == "np" else ct
    kw = {} if backend == "np" else {"dtype": torch.float64, "device": "cpu"}
    arr = (lambda a: a) if backend == "np" else _t
    bn = lib.BatchNorm2d(3, **kw)
    with pytest.raises(ValueError, match="x must be 4-D"):
        bn(arr(np.ones((2, 3, 4))))
    with pytest.raises(ValueError, match="x has 2 channels .* expects 3"):
        bn(arr(np.ones((2, 2, 4, 4))))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(arr(np.ones((1, 3, 1, 1))))
    with pytest.raises(ValueError, match="eps must be positive"):
        lib.BatchNorm2d(3, eps=0, **kw)
    with pytest.raises(ValueError, match="eps must be positive"):
        lib.LayerNorm(3, eps=-1e-5, **kw)
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\) must match the trailing dimensions"):
        lib.LayerNorm(4, **kw)(arr(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"normalized_shape \(2, 3\) must match"):
        lib.layer_norm(arr(np.ones(3)), (2, 3))
    with pytest.raises(ValueError, match="weight must have shape normalized_shape"):
        lib.layer_norm(arr(np.ones((2, 3))), 3, arr(np.ones(2)))
    bn.training = False  # evaluation mode uses the running statistics: one value per channel is fine
    assert tuple(bn(arr(np.ones((1, 3, 1, 1)))).shape) == (1, 3, 1, 1)


def test_functional_batchnorm2d_errors():
    g, z, o = np.ones(3), np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match="x has 4 channels"):
        batchnorm2d_forward(np.ones((2, 4, 2, 2)), g, z, z, o)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        batchnorm2d_forward(np.ones((1, 3, 1, 1)), g, z, z, o)
    with pytest.raises(ValueError, match="eps must be positive"):
        batchnorm2d_forward(np.ones((2, 3, 2, 2)), g, z, z, o, eps=0.0)
    with pytest.raises(ValueError, match="eps must be positive"):
        layer_norm_forward(np.ones((2, 3)), 3, eps=0)
