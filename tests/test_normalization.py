"""Batch normalization: the NumPy reference against torch.nn.BatchNorm1d, in both modes."""

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion.np.normalization import batchnorm_backward, batchnorm_forward


@pytest.mark.parametrize("shape", [(2, 1), (5, 3), (16, 7)])
@pytest.mark.parametrize("seed", [0, 1])
def test_training_mode_matches_torch(shape, seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(2, 3, size=shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=shape[1]), rng.normal(size=shape[1])
    rm, rv = rng.normal(size=shape[1]), rng.uniform(0.5, 2, size=shape[1])

    ref = torch.nn.BatchNorm1d(shape[1], dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(gamma))
        ref.bias.copy_(torch.tensor(beta))
        ref.running_mean.copy_(torch.tensor(rm))
        ref.running_var.copy_(torch.tensor(rv))
    xt = torch.tensor(x, requires_grad=True)
    out_t = ref.train()(xt)
    (out_t * torch.tensor(dout)).sum().backward()

    out, cache, new_rm, new_rv = batchnorm_forward(x, gamma, beta, rm, rv, training=True)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dgamma, ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, ref.bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(new_rm, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(new_rv, ref.running_var.numpy(), rtol=1e-12)


def test_eval_mode_matches_torch_and_uses_running_statistics():
    rng = np.random.default_rng(3)
    x, dout = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    layer = cnp.BatchNorm1d(4)
    ref = torch.nn.BatchNorm1d(4, dtype=torch.float64)
    for _ in range(5):  # some training batches to move the running statistics
        batch = rng.normal(1, 2, size=(8, 4))
        layer.forward(batch)
        ref.train()(torch.tensor(batch))
    layer.training = False
    xt = torch.tensor(x, requires_grad=True)
    out_t = ref.eval()(xt)
    (out_t * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(layer.forward(x), out_t.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.grads["weight"], ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.running_var, ref.running_var.numpy(), rtol=1e-12)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    x, dout, gamma, beta = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    z, o = np.zeros(3), np.ones(3)
    dx, _, _ = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta, z, o)[1])
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += 1e-6
        minus[i] -= 1e-6
        numeric[i] = ((batchnorm_forward(plus, gamma, beta, z, o)[0] - batchnorm_forward(minus, gamma, beta, z, o)[0])
                      * dout).sum() / 2e-6
    assert np.linalg.norm(dx - numeric) / np.linalg.norm(dx + numeric) < 1e-7


def test_clear_errors():
    with pytest.raises(ValueError, match="needs at least 2 samples, got 1"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="x must be 2-D"):
        batchnorm_forward(np.ones(3), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))


def test_a_network_with_batch_norm_loads_into_torch_and_trains_alike():
    from companion import torch as ct
    from companion.train import fit

    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(64, 4)), rng.integers(0, 3, size=64)
    dense = cnp.build_mlp([4, 8, 3], ["relu", "linear"], rng=np.random.default_rng(0))
    net = cnp.Sequential(dense.layers[0], cnp.BatchNorm1d(8), *dense.layers[1:])
    twin = ct.Sequential(ct.Dense(4, 8, rng=np.random.default_rng(0), dtype=torch.float64, device="cpu"),
                         ct.BatchNorm1d(8, dtype=torch.float64, device="cpu"), ct.Activation("relu"),
                         ct.Dense(8, 3, rng=np.random.default_rng(0), dtype=torch.float64, device="cpu"),
                         ct.Activation("linear"))
    twin.load_state_dict(net.state_dict())
    assert set(net.state_dict()) == set(twin.state_dict())
    h_np = fit(net, X, y, optimizer="sgd", lr=0.1, epochs=3, batch_size=16, regularization=("l2", 0.01))
    h_t = fit(twin, X, y, optimizer="sgd", lr=0.1, epochs=3, batch_size=16, regularization=("l2", 0.01))
    np.testing.assert_allclose(h_np.step_loss, h_t.step_loss, rtol=1e-9)
    np.testing.assert_allclose(net.state_dict()["1.running_var"], twin.state_dict()["1.running_var"].numpy(),
                               rtol=1e-10)
