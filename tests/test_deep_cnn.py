"""PlainBlock, batch_norm=False blocks, build_deep_cnn, LeNet with batch norm and layer_gradient_norms: the
NumPy reference against its PyTorch twin with copied weights (float64), and finite differences."""

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct

from finite_differences import numerical_gradient
from test_resnet import _compare, _rel_error, _twins


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("c_in,c_out,stride", [(3, 3, 1), (2, 4, 2)])
@pytest.mark.parametrize("kind", ["PlainBlock", "ResidualBlock"])
def test_blocks_match_their_twin(kind, c_in, c_out, stride, batch_norm):
    net, twin = _twins(lambda r: getattr(cnp, kind)(c_in, c_out, stride, rng=r, batch_norm=batch_norm),
                       lambda r: getattr(ct, kind)(c_in, c_out, stride, rng=r, dtype=torch.float64, device="cpu",
                                                   batch_norm=batch_norm))
    x = np.random.default_rng(1).normal(size=(3, c_in, 5, 6))
    for training in (True, False):
        twin.zero_grad()  # autograd accumulates; each comparison starts from none
        _compare(net, twin, x, training)
    names = set(net.state_dict())
    assert any("bn1" in n for n in names) == batch_norm
    assert any(n.startswith("shortcut") for n in names) == (kind == "ResidualBlock" and (stride, c_in) != (1, c_out))
    assert ("conv1.bias" in names) == (not batch_norm)


def test_plain_block_is_the_residual_block_less_its_input():
    rng = np.random.default_rng(2)
    x = np.abs(rng.normal(size=(2, 3, 4, 4)))  # non-negative, so the output ReLU cannot hide the difference
    plain = cnp.PlainBlock(3, 3, rng=np.random.default_rng(0), batch_norm=False)
    residual = cnp.ResidualBlock(3, 3, rng=np.random.default_rng(0), batch_norm=False)
    for key in ("conv2.weight", "conv2.bias"):  # a residual branch that outputs a positive constant 1
        value = np.zeros_like(plain.state_dict()[key]) + (1.0 if key.endswith("bias") else 0.0)
        for block in (plain, residual):
            block.load_state_dict({**block.state_dict(), key: value})
    np.testing.assert_allclose(residual.forward(x), plain.forward(x) + x)


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_deep_cnn_matches_its_twin_and_counts_its_layers(residual, batch_norm):
    net, twin = _twins(lambda r: cnp.build_deep_cnn(1, 10, width=4, blocks=3, residual=residual, batch_norm=batch_norm,
                                                    rng=r),
                       lambda r: ct.build_deep_cnn(1, 10, width=4, blocks=3, residual=residual, batch_norm=batch_norm,
                                                   rng=r, dtype=torch.float64, device="cpu"))
    x = np.random.default_rng(3).normal(size=(4, 1, 6, 6))
    _compare(net, twin, x, training=True)
    kernels = [k for k, v in net.state_dict().items() if k.endswith("weight") and np.ndim(v) >= 2]
    assert len(kernels) == 2 * 3 + 2  # stem, two per block, dense


def test_plain_and_residual_start_from_the_same_weights():
    plain = cnp.build_deep_cnn(1, 10, blocks=2, residual=False, rng=np.random.default_rng(5)).state_dict()
    residual = cnp.build_deep_cnn(1, 10, blocks=2, residual=True, rng=np.random.default_rng(5)).state_dict()
    assert set(plain) == set(residual)
    for key in plain:
        np.testing.assert_array_equal(plain[key], residual[key])


def test_block_without_batch_norm_backward_matches_finite_differences():
    block = cnp.PlainBlock(2, 3, stride=2, rng=np.random.default_rng(0), batch_norm=False)
    x = np.random.default_rng(1).normal(size=(2, 2, 5, 5))
    dout = np.random.default_rng(2).normal(size=block.forward(x).shape)
    dx = block.backward(dout)
    assert _rel_error(dx, numerical_gradient(lambda: np.sum(block.forward(x) * dout), x)) < 1e-7
    block.forward(x)
    block.backward(dout)
    weight = block.conv1.weight
    expected = numerical_gradient(lambda: np.sum(block.forward(x) * dout), weight)
    assert _rel_error(block.grads["conv1.weight"], expected) < 1e-7


@pytest.mark.parametrize("batch_norm", [True, False])
def test_lenet_with_batch_norm_matches_its_twin(batch_norm):
    net, twin = _twins(lambda r: cnp.build_lenet(rng=r, batch_norm=batch_norm),
                       lambda r: ct.build_lenet(rng=r, batch_norm=batch_norm, dtype=torch.float64, device="cpu"))
    _compare(net, twin, np.random.default_rng(4).normal(size=(5, 1, 8, 8)), training=True)
    n_bn = sum(type(layer).__name__ == "BatchNorm2d" for layer in net.layers)
    assert n_bn == (3 if batch_norm else 0)
    plain = cnp.build_lenet(rng=np.random.default_rng(0))
    normed = cnp.build_lenet(rng=np.random.default_rng(0), batch_norm=True)
    np.testing.assert_array_equal(plain.layers[0].weight, normed.layers[0].weight)  # the same draws
    assert cnp.build_lenet(dtype=np.float32, batch_norm=True).layers[1].weight.dtype == np.float32


def test_layer_gradient_norms_agree_across_backends_and_with_autograd():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(8, 1, 6, 6)), rng.integers(0, 10, size=8)
    net, twin = _twins(lambda r: cnp.build_deep_cnn(1, 10, width=4, blocks=2, residual=False, rng=r),
                       lambda r: ct.build_deep_cnn(1, 10, width=4, blocks=2, residual=False, rng=r,
                                                   dtype=torch.float64, device="cpu"))
    ours, theirs = cnp.layer_gradient_norms(net, X, y), ct.layer_gradient_norms(twin, X, y)
    assert list(ours) == list(theirs) == ["0.weight", "3.conv1.weight", "3.conv2.weight", "4.conv1.weight",
                                          "4.conv2.weight", "7.weight"]
    np.testing.assert_allclose(list(ours.values()), list(theirs.values()), rtol=1e-9)
    twin.zero_grad()
    torch.nn.functional.cross_entropy(twin(torch.tensor(X)), torch.tensor(y)).backward()
    assert theirs["7.weight"] == pytest.approx(float(twin[7].weight.grad.norm()))


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="blocks must be a positive integer, got 0"):
        cnp.build_deep_cnn(1, 10, blocks=0)
    with pytest.raises(ValueError, match="width must be a positive integer"):
        ct.build_deep_cnn(1, 10, width=2.5)
    with pytest.raises(ValueError, match=r"PlainBlock expects x \(N, 3, H, W\)"):
        cnp.PlainBlock(3, 3, rng=np.random.default_rng(0)).forward(np.zeros((1, 2, 4, 4)))
