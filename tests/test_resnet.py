"""ResidualBlock and build_resnet: the NumPy reference against its PyTorch twin with copied weights."""

import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import np as cnp
from companion import torch as ct
from companion.data.shipped import load_digits
from companion.train import fit

from finite_differences import numerical_gradient


def _rel_error(a, b):
    return np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b)))


def _twins(np_build, torch_build, seed=0):
    """The NumPy module, its torch twin drawn from an equally seeded rng, and random BN statistics/affine."""
    net = np_build(np.random.default_rng(seed))
    twin = torch_build(np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 100)
    state = net.state_dict()
    for key, value in state.items():
        if key.endswith(("bn1.weight", "bn2.weight", "shortcut.1.weight", "running_var")) or key == "1.weight":
            state[key] = rng.uniform(0.5, 1.5, value.shape)
        elif key.endswith(("bias", "running_mean")) and value.ndim == 1 and "num_batches" not in key:
            state[key] = rng.normal(0, 0.3, value.shape)
    net.load_state_dict(state)
    twin.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in net.state_dict().items()})
    return net, twin


def _compare(net, twin, x, training):
    net.train(training)
    twin.train(training)
    out = net.forward(x)
    xt = torch.tensor(x, requires_grad=True)
    out_t = twin(xt)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    dout = np.random.default_rng(7).normal(size=out.shape)
    dx = net.backward(dout)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    grads = net.gradients()
    named = dict(twin.named_parameters())
    assert set(grads) == set(named)
    for name, p in named.items():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)
    twin_state = twin.state_dict()
    for key, value in net.state_dict().items():  # running statistics updated alike
        np.testing.assert_allclose(np.asarray(value, float), twin_state[key].double().numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=key)


def _block_twins(c_in, c_out, stride, seed=0):
    return _twins(lambda r: cnp.ResidualBlock(c_in, c_out, stride, rng=r),
                  lambda r: ct.ResidualBlock(c_in, c_out, stride, rng=r, dtype=torch.float64, device="cpu"), seed)


@pytest.mark.parametrize("c_in, c_out, stride", [(3, 3, 1), (2, 4, 1), (3, 3, 2), (2, 5, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_block_matches_torch(c_in, c_out, stride, training):
    net, twin = _block_twins(c_in, c_out, stride)
    assert (net.shortcut is None) == (stride == 1 and c_in == c_out)
    assert isinstance(twin.shortcut, torch.nn.Identity) == (net.shortcut is None)
    _compare(net, twin, np.random.default_rng(1).normal(size=(3, c_in, 6, 5)), training)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 3), c_in=st.integers(1, 3), c_out=st.integers(1, 3), stride=st.integers(1, 2),
       h=st.integers(2, 6), w=st.integers(2, 6), training=st.booleans(), seed=st.integers(0, 10**6))
def test_block_matches_torch_hypothesis(n, c_in, c_out, stride, h, w, training, seed):
    net, twin = _block_twins(c_in, c_out, stride, seed)
    _compare(net, twin, np.random.default_rng(seed).normal(size=(n, c_in, h, w)), training)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("blocks_per_stage", [1, 2])
def test_resnet_matches_torch(training, blocks_per_stage):
    net, twin = _twins(lambda r: cnp.build_resnet(1, 10, widths=(4, 6), blocks_per_stage=blocks_per_stage, rng=r),
                       lambda r: ct.build_resnet(1, 10, widths=(4, 6), blocks_per_stage=blocks_per_stage, rng=r,
                                                 dtype=torch.float64, device="cpu"))
    assert set(net.state_dict()) == set(twin.state_dict())
    _compare(net, twin, np.random.default_rng(2).normal(size=(4, 1, 8, 8)), training)


@pytest.mark.parametrize("c_in, c_out, stride", [(2, 2, 1), (2, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_block_finite_differences(c_in, c_out, stride, training):
    net, _ = _block_twins(c_in, c_out, stride, seed=3)
    net.train(training)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, c_in, 4, 4))
    dout = rng.normal(size=net.forward(x).shape)

    def loss():
        return float((net.forward(x) * dout).sum())

    loss()
    dx = net.backward(dout)
    grads = {k: g.copy() for k, g in net.gradients().items()}
    for target, analytic in [(x, dx)] + [(net.state_dict()[k], grads[k]) for k in grads]:
        assert _rel_error(analytic, numerical_gradient(loss, target, h=1e-5)) < 1e-6


def test_state_dict_round_trip():
    names = {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
             "bn1.num_batches_tracked", "conv2.weight", "bn2.weight", "bn2.bias", "bn2.running_mean",
             "bn2.running_var", "bn2.num_batches_tracked", "shortcut.0.weight", "shortcut.1.weight",
             "shortcut.1.bias", "shortcut.1.running_mean", "shortcut.1.running_var",
             "shortcut.1.num_batches_tracked"}
    net, twin = _block_twins(2, 3, 2)
    assert set(net.state_dict()) == names == set(twin.state_dict())
    other = cnp.ResidualBlock(2, 3, 2, rng=np.random.default_rng(9))
    other.load_state_dict(twin.state_dict())
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], value)
    identity = cnp.ResidualBlock(3, 3, rng=np.random.default_rng(0))
    assert not any(k.startswith("shortcut") for k in identity.state_dict())
    with pytest.raises(ValueError, match="keys differ"):
        identity.load_state_dict(net.state_dict())
    resnet = cnp.build_resnet(1, 10, rng=np.random.default_rng(0))
    copy = cnp.build_resnet(1, 10, rng=np.random.default_rng(5))
    copy.load_state_dict(resnet.state_dict())
    x = np.random.default_rng(0).normal(size=(2, 1, 8, 8))
    np.testing.assert_array_equal(copy.eval().forward(x), resnet.eval().forward(x))


def test_resnet_loss_falls_on_digits():
    start = time.perf_counter()
    X, y = load_digits()
    X, y = X[:200].reshape(-1, 1, 8, 8), y[:200]
    net = cnp.build_resnet(1, 10, rng=np.random.default_rng(0))
    history = fit(net, X, y, optimizer="sgd", epochs=4, batch_size=32, lr=0.1)
    losses = history.train_loss
    assert losses[-1] < 0.8 * losses[0]
    regularised = fit(cnp.build_resnet(1, 10, rng=np.random.default_rng(0)), X[:64], y[:64], epochs=1,
                      lr=0.1, regularization=("l2", 1e-3))  # block parameter names ("3.conv1.weight") pass
    assert np.isfinite(regularised.train_loss[-1])
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("module", [cnp, ct])
def test_errors(module):
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            module.ResidualBlock(bad, 4)
        with pytest.raises(ValueError):
            module.ResidualBlock(4, bad)
    with pytest.raises(ValueError):
        module.build_resnet(1, 0)
    with pytest.raises(ValueError):
        module.build_resnet(1, 10, widths=())
    with pytest.raises(ValueError):
        module.build_resnet(1, 10, widths=(8, 0))
    block = module.ResidualBlock(3, 4, rng=np.random.default_rng(0))
    x = np.zeros((2, 2, 4, 4))
    with pytest.raises(ValueError, match="expects x"):
        block(x if module is cnp else torch.tensor(x, dtype=torch.get_default_dtype()))


def test_conv_without_bias():
    for module in (cnp, ct):
        conv = module.Conv2d(2, 3, 3, bias=False, rng=np.random.default_rng(0))
        assert conv.bias is None
    conv = cnp.Conv2d(2, 3, 3, bias=False, rng=np.random.default_rng(0))
    assert set(conv.parameters()) == {"weight"}
    with_bias = cnp.Conv2d(2, 3, 3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(conv.weight, with_bias.weight)
    x = np.random.default_rng(1).normal(size=(2, 2, 5, 5))
    np.testing.assert_allclose(conv.forward(x), with_bias.forward(x) - with_bias.bias[None, :, None, None])
    conv.backward(np.ones_like(conv.forward(x)))
    assert set(conv.grads) == {"weight"}
