"""The NumPy autodiff engine agrees with torch.autograd and with finite differences."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from companion.np.autodiff import Tensor, edge_gradients, topological_order

UNARY = ["exp", "relu", "sigmoid", "tanh"]


def build(lib, leaves, program):
    """Evaluate a random program on leaves [a (n, m), b (n, m), c (m,), w (m, k)] in either library."""
    a, b, c, w = leaves
    x = a * b + c  # broadcasting: c (m,) across rows
    for op in program:
        x = getattr(x, op)() if lib == "np" else getattr(torch, op)(x)
    y = x @ w  # (n, k)
    z = (y * y).mean() + (a - c).sum() * 0.1 + ((b * b + 1.0).log()).mean() + (a / (c * c + 2.0)).sum()
    return z


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 4), m=st.integers(1, 4), k=st.integers(1, 3),
       program=st.lists(st.sampled_from(UNARY), min_size=0, max_size=3))
def test_random_expressions_match_torch_autograd(seed, n, m, k, program):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(n, m)), rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=(m, k)) * 0.5]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    z_theirs = build("torch", theirs, program)
    assume(np.isfinite(z_theirs.item()) and abs(z_theirs.item()) < 1e100)  # nested exp can overflow; skip those
    ours = [Tensor(a) for a in arrays]
    z_ours = build("np", ours, program)
    z_ours.backward()
    z_theirs.backward()
    assert z_ours.value == pytest.approx(z_theirs.item(), rel=1e-10, abs=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_whole_network_matches_torch():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    params = [rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 1)), rng.normal(size=1)]
    ours = [Tensor(p) for p in params]
    theirs = [torch.tensor(p, requires_grad=True) for p in params]

    def loss(lib, p, x, y):
        h = (x @ p[0] + p[1]).tanh() if lib == "np" else torch.tanh(x @ p[0] + p[1])
        out = h @ p[2] + p[3]
        return ((out - y) * (out - y)).mean()

    a = loss("np", ours, Tensor(x), Tensor(y))
    b = loss("torch", theirs, torch.tensor(x), torch.tensor(y))
    a.backward()
    b.backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-10)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    a, w = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))

    def f(a_value):
        return ((Tensor(a_value) @ Tensor(w)).sigmoid().sum() + Tensor(a_value).exp().mean()).value

    t = Tensor(a)
    ((t @ Tensor(w)).sigmoid().sum() + t.exp().mean()).backward()
    numeric = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[i] += 1e-6
        minus[i] -= 1e-6
        numeric[i] = (f(plus) - f(minus)) / 2e-6
    assert np.linalg.norm(t.grad - numeric) / np.linalg.norm(t.grad + numeric) < 1e-8


def test_a_tensor_used_twice_accumulates_both_paths():
    x = Tensor(3.0)
    (x * x + x).backward()  # d/dx (x^2 + x) = 2x + 1
    assert x.grad == 7.0


def test_backward_twice_starts_afresh():
    x = Tensor(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 4.0


def test_clear_errors():
    with pytest.raises(ValueError, match=r"matmul shapes do not fit: \(2, 3\) @ \(2, 3\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="backward starts from a scalar"):
        Tensor(np.ones(3)).exp().backward()
    with pytest.raises(ValueError, match="log of a non-positive value"):
        Tensor(np.array([1.0, -1.0])).log()


def test_edge_gradients_add_up_to_each_tensors_gradient():
    rng = np.random.default_rng(3)
    a, w = Tensor(rng.normal(size=(3, 4))), Tensor(rng.normal(size=(4, 2)))
    h = (a @ w).tanh()
    z = (h * h).sum() + (a.exp() * 0.5).mean() + h.sum()  # a and h each feed two operations
    z.backward()
    grads_before = {id(t): t.grad.copy() for t in topological_order(z)}
    edges = edge_gradients(z)
    for t in topological_order(z):
        np.testing.assert_array_equal(t.grad, grads_before[id(t)])  # edge_gradients leaves .grad alone
        if t is not z:
            outgoing = [g for (parent, _), g in edges.items() if parent is t]
            np.testing.assert_allclose(sum(outgoing), t.grad, rtol=1e-12, atol=1e-15)
    assert sum(1 for parent, _ in edges if parent is h) == 2


def test_edge_gradients_of_a_value_used_twice_by_one_operation():
    x = Tensor(3.0)
    f = x * x
    f.backward()
    edges = edge_gradients(f)
    assert list(edges) == [(x, f)]
    assert edges[x, f] == 6.0  # both uses, summed: 2x


def test_topological_order_places_parents_first():
    x, y = Tensor(1.0), Tensor(2.0)
    a = x * y
    b = a + x
    order = topological_order(b)
    assert order[-1] is b and len(order) == 4
    for t in order:
        assert all(order.index(p) < order.index(t) for p in t.parents)
