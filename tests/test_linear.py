"""linear (= dense) over any leading dimensions in both backends, refereed by torch.nn.functional.linear.

Values and gradients of x, weight and bias in float64 for (in,), (N, in), (T, N, in) and deeper inputs,
with and without bias; NumPy gradients against finite differences; the 2-D case unchanged for the
chapters that used dense before.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import companion.np as cnp
import companion.torch as ct
from companion.np.dense import dense, dense_backward, dense_forward, linear, linear_backward, linear_forward
from tests.finite_differences import entrywise_rel_error, numerical_gradient

SHAPES = [(4,), (3, 4), (5, 2, 4), (2, 3, 2, 4)]


def _case(shape, seed=0):
    rng = np.random.default_rng(seed)
    x, weight, bias = rng.normal(size=shape), rng.normal(size=(3, shape[-1])), rng.normal(size=3)
    return x, weight, bias, rng.normal(size=shape[:-1] + (3,))  # the last: dL/dy


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_linear_matches_torch_values_and_gradients(shape, with_bias):
    x, weight, bias, dout = _case(shape)
    bias = bias if with_bias else None
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, weight)] + \
        ([torch.tensor(bias, requires_grad=True)] if with_bias else [None])
    want = F.linear(*tensors)
    want.backward(torch.tensor(dout))
    out, cache = linear_forward(x, weight, bias)
    assert out.shape == shape[:-1] + (3,)
    assert np.allclose(out, want.detach().numpy(), rtol=1e-12)
    dx, dweight, dbias = linear_backward(dout, cache)
    assert np.allclose(dx, tensors[0].grad.numpy()) and np.allclose(dweight, tensors[1].grad.numpy())
    assert (dbias is None) if not with_bias else np.allclose(dbias, tensors[2].grad.numpy())
    ours = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, weight, bias)]
    got = ct.linear(*ours)
    got.backward(torch.tensor(dout))
    assert np.allclose(got.detach().numpy(), want.detach().numpy())
    assert np.allclose(ours[1].grad.numpy(), tensors[1].grad.numpy())


def test_linear_gradients_match_finite_differences_over_leading_dimensions():
    x, weight, bias, dout = _case((2, 3, 4), seed=1)
    _, cache = linear_forward(x, weight, bias)
    analytic = linear_backward(dout, cache)
    for value, grad in zip((x, weight, bias), analytic):
        numeric = numerical_gradient(lambda: float((linear(x, weight, bias) * dout).sum()), value)
        assert entrywise_rel_error(grad, numeric) < 1e-7


def test_linear_is_dense_under_torch_name_and_rows_are_independent():
    assert linear is dense and linear_forward is dense_forward and linear_backward is dense_backward
    assert cnp.linear is cnp.dense and ct.linear is ct.dense
    x, weight, bias, _ = _case((5, 2, 4), seed=2)
    flat = dense(x.reshape(10, 4), weight, bias).reshape(5, 2, 3)
    assert np.array_equal(linear(x, weight, bias), flat)
    # the identity activation keeps its name in the activation registry
    assert np.array_equal(cnp.get_activation("linear")(x), x)


def test_dense_layer_accepts_a_sequence():
    layer = cnp.Dense(4, 3, rng=np.random.default_rng(3))
    x, _, _, dout = _case((6, 2, 4), seed=3)
    out = layer(x)
    dx = layer.backward(dout)
    reference = torch.nn.Linear(4, 3).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in layer.parameters().items()})
    xt = torch.tensor(x, requires_grad=True)
    reference(xt).backward(torch.tensor(dout))
    assert np.allclose(out, reference(xt).detach().numpy()) and np.allclose(dx, xt.grad.numpy())
    assert np.allclose(layer.grads["weight"], reference.weight.grad.numpy())


@pytest.mark.parametrize("module", [cnp, ct], ids=["numpy", "torch"])
def test_bad_shapes_are_named(module):
    arr = (lambda a: torch.tensor(a)) if module is ct else np.asarray
    with pytest.raises(ValueError, match="at least 1-D"):
        module.linear(arr(np.float64(1.0)), arr(np.ones((3, 1))))
    with pytest.raises(ValueError, match="x has 5 features"):
        module.linear(arr(np.ones((2, 3, 5))), arr(np.ones((3, 4))))


def test_backward_names_the_wrong_dout_shape():
    x, weight, bias, _ = _case((5, 2, 4))
    _, cache = linear_forward(x, weight, bias)
    with pytest.raises(ValueError, match=r"dout must have shape \(5, 2, 3\)"):
        linear_backward(np.ones((10, 3)), cache)
