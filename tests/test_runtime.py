"""seed() makes both backends repeat; device() prefers CUDA, then MPS, then the CPU."""

import numpy as np
import torch

import companion
from companion import np as cnp
from companion import torch as ct


def _draw():
    net_np = cnp.build_mlp([3, 5, 2], ["relu", "softmax"])
    net_t = ct.build_mlp([3, 5, 2], ["relu", "softmax"], dtype=torch.float64, device="cpu")
    return net_np.state_dict(), net_t.state_dict(), float(np.random.rand()), float(torch.rand(1))


def test_one_seed_call_repeats_both_backends():
    companion.seed(7)
    first = _draw()
    companion.seed(7)
    second = _draw()
    for a, b in zip(first[0].values(), second[0].values()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(first[1].values(), second[1].values()):
        assert torch.equal(a, b)
    assert first[2:] == second[2:]
    companion.seed(8)
    assert _draw()[2:] != first[2:]


def test_same_rng_same_network_in_both_backends():
    net_np = cnp.build_mlp([4, 3, 2], ["tanh", "linear"], rng=np.random.default_rng(3))
    net_t = ct.build_mlp([4, 3, 2], ["tanh", "linear"], rng=np.random.default_rng(3), dtype=torch.float64,
                         device="cpu")
    for key, value in net_np.state_dict().items():
        np.testing.assert_array_equal(value, net_t.state_dict()[key].numpy())
    bound = 1 / np.sqrt(4)  # PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.abs(net_np.state_dict()["0.weight"]).max() <= bound


def test_device_order(monkeypatch):
    monkeypatch.delenv("COMPANION_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert companion.device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert companion.device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert companion.device().type == "cpu"
    monkeypatch.setenv("COMPANION_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert companion.device().type == "cpu"


def test_torch_layers_land_on_the_chosen_device():
    layer = ct.Dense(3, 2)
    assert layer.weight.device.type == companion.device().type


def test_numpy_state_loads_into_torch_and_back():
    net_np = cnp.build_mlp([3, 4, 2], ["relu", "softmax"], rng=np.random.default_rng(0))
    net_t = ct.build_mlp([3, 4, 2], ["relu", "softmax"], dtype=torch.float64, device="cpu")
    net_t.load_state_dict(net_np.state_dict())
    x = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_allclose(net_np(x), net_t(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    back = cnp.build_mlp([3, 4, 2], ["relu", "softmax"])
    back.load_state_dict(net_t.state_dict())
    np.testing.assert_allclose(back(x), net_np(x), rtol=1e-12)
