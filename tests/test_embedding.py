"""embedding in both backends against torch.nn.functional.embedding and torch.nn.Embedding (float64).

Values and weight gradients for every option: padding_idx (its row's gradient is zero, negative
indices count from the end), max_norm (rows renormalized in place, each once, as torch does; any
norm_type), scale_grad_by_freq, sparse; indices of any shape; the layers' initialization and state.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import companion.np as enp  # the package re-exports the module's names (companion.np.embedding is the function)
import companion.torch as et
from tests.finite_differences import entrywise_rel_error, numerical_gradient

V, D = 7, 4
OPTIONS = [case for case in itertools.product([None, 0, 3, -1], [None, 1.0], [2.0, 1.0, np.inf], [False, True],
                                             [False, True]) if not (case[3] and case[4])]  # torch refuses both


def _case(seed, shape=(3, 5)):
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, V, size=shape)
    indices.ravel()[:3] = [3, 3, 6]  # repeats (scale_grad_by_freq) and the last row (padding_idx=-1)
    return indices, rng.normal(scale=1.5, size=(V, D)), rng.normal(size=shape + (D,))


def _torch_run(fn, indices, weight, dout, **kwargs):
    """(output, dL/dweight dense, the table after the call) from F.embedding (referee) or the torch twin."""
    w = torch.tensor(weight, requires_grad=True)
    out = fn(torch.tensor(indices), w, **kwargs)
    (out * torch.tensor(dout)).sum().backward()
    grad = w.grad.to_dense() if w.grad.is_sparse else w.grad
    return out.detach().numpy(), grad.numpy(), w.detach().numpy()


@pytest.mark.parametrize("padding_idx, max_norm, norm_type, scale, sparse", OPTIONS)
def test_embedding_matches_torch(padding_idx, max_norm, norm_type, scale, sparse):
    indices, weight, dout = _case(0)
    kwargs = dict(padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale,
                  sparse=sparse)
    want, want_grad, want_weight = _torch_run(F.embedding, indices, weight, dout, **kwargs)
    ours = weight.copy()
    out, cache = enp.embedding_forward(indices, ours, **kwargs)
    assert np.allclose(out, want, rtol=1e-12, atol=1e-14)
    assert np.allclose(ours, want_weight, rtol=1e-12, atol=1e-14)  # renormalized in place, the same rows
    assert np.allclose(enp.embedding_backward(dout, cache), want_grad, rtol=1e-12, atol=1e-14)
    got, got_grad, got_weight = _torch_run(et.embedding, indices, weight, dout, **kwargs)
    assert np.allclose(got, want) and np.allclose(got_grad, want_grad) and np.allclose(got_weight, want_weight)


def test_max_norm_rescales_only_looked_up_rows_above_the_bound():
    weight = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    enp.embedding(np.array([0, 1, 0]), weight, max_norm=1.0)
    assert np.isclose(np.linalg.norm(weight[0]), 1.0, atol=1e-6) and np.allclose(weight[1], [0.3, 0.4])
    assert np.allclose(weight[2], [6.0, 8.0])  # not looked up: untouched


@pytest.mark.parametrize("scale", [False, True])
def test_embedding_gradient_matches_finite_differences(scale):
    indices, weight, dout = _case(1, shape=(4, 3))
    kwargs = dict(padding_idx=2, scale_grad_by_freq=scale)
    _, cache = enp.embedding_forward(indices, weight, **kwargs)
    analytic = enp.embedding_backward(dout, cache)
    numeric = numerical_gradient(lambda: float((enp.embedding(indices, weight) * dout).sum()), weight)
    counts = np.bincount(indices.ravel(), minlength=V)[:, None]
    numeric = numeric / np.maximum(counts, 1) if scale else numeric
    numeric[2] = 0  # padding_idx: torch's rule, not the calculus, zeroes this row
    assert entrywise_rel_error(analytic, numeric) < 1e-7


def test_indices_of_any_shape_and_the_one_hot_view():
    _, weight, _ = _case(2)
    assert enp.embedding(np.int64(4), weight).shape == (D,)
    indices = np.arange(V * 2).reshape(2, 1, V) % V
    out = enp.embedding(indices, weight)
    assert out.shape == (2, 1, V, D)
    assert np.allclose(out.reshape(-1, D), np.eye(V)[indices.ravel()] @ weight)  # a dense layer on one-hots


@pytest.mark.parametrize("padding_idx", [None, 1, -2])
def test_layers_start_equal_load_into_torch_and_train_the_same(padding_idx):
    layer_np = enp.Embedding(V, D, padding_idx, rng=np.random.default_rng(5))
    layer_t = et.Embedding(V, D, padding_idx, rng=np.random.default_rng(5), dtype=torch.float64)
    assert np.array_equal(layer_np.weight, layer_t.weight.detach().numpy())
    if padding_idx is not None:
        assert not layer_np.weight[padding_idx].any()
    reference = torch.nn.Embedding(V, D, padding_idx).double()
    reference.load_state_dict(layer_t.state_dict())
    indices, _, dout = _case(6)
    out = layer_np(indices)
    layer_np.backward(dout)
    (reference(torch.tensor(indices)) * torch.tensor(dout)).sum().backward()
    assert np.allclose(out, reference(torch.tensor(indices)).detach().numpy())
    assert np.allclose(layer_np.grads["weight"], reference.weight.grad.numpy())


def test_numpy_layer_loads_a_torch_state_dict_and_names_a_bad_one():
    reference = torch.nn.Embedding(V, D).double()
    layer = enp.Embedding(V, D, rng=np.random.default_rng(8))
    layer.load_state_dict(reference.state_dict())
    assert np.array_equal(layer.state_dict()["weight"], reference.weight.detach().numpy())
    with pytest.raises(ValueError, match="shape"):
        layer.load_state_dict({"weight": np.zeros((V, D + 1))})
    with pytest.raises(ValueError, match="'weight'"):
        layer.load_state_dict({"table": np.zeros((V, D))})


def test_from_pretrained_freezes_by_default():
    table = np.random.default_rng(7).normal(size=(V, D))
    layer = enp.Embedding.from_pretrained(table)
    layer(np.array([1, 2]))
    layer.backward(np.ones((2, D)))
    assert layer.grads == {} and np.array_equal(layer.weight, table)
    assert not et.Embedding.from_pretrained(table).weight.requires_grad
    assert et.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert torch.nn.Embedding.from_pretrained(torch.tensor(table)).weight.requires_grad is False


@pytest.mark.parametrize("module", [enp, et], ids=["numpy", "torch"])
@pytest.mark.parametrize("indices, kwargs, error, match", [
    (np.array([0, V]), {}, ValueError, r"\[0, 7\)"),
    (np.array([0, -1]), {}, ValueError, r"\[0, 7\)"),
    (np.array([0.0, 1.0]), {}, TypeError, "integers"),
    (np.array([0, 1]), {"padding_idx": V}, ValueError, "padding_idx"),
    (np.array([0, 1]), {"padding_idx": -V - 1}, ValueError, "padding_idx"),
    (np.array([0, 1]), {"max_norm": -1.0}, ValueError, "max_norm"),
    (np.array([0, 1]), {"scale_grad_by_freq": True, "sparse": True}, ValueError, "sparse"),
])
def test_bad_input_is_named(module, indices, kwargs, error, match):
    weight = np.zeros((V, D))
    if module is et:
        indices, weight = torch.tensor(indices), torch.tensor(weight)
    with pytest.raises(error, match=match):
        module.embedding(indices, weight, **kwargs)


def test_max_norm_needs_a_writable_float_table():
    with pytest.raises(ValueError, match="writable float"):
        enp.embedding(np.array([0]), np.ones((V, D), dtype=np.int64), max_norm=1.0)
    with pytest.raises(ValueError, match="read-only"):
        enp.embedding(np.array([0]), np.broadcast_to(np.ones(D), (V, D)), max_norm=1.0)


def test_layer_shape_errors_are_named():
    with pytest.raises(ValueError, match="_weight must have shape"):
        enp.Embedding(V, D, _weight=np.zeros((V, D + 1)))
    with pytest.raises(ValueError, match="num_embeddings"):
        et.Embedding(0, D)
