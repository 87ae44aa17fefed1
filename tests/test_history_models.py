"""Perceptron and Hebbian rules: what they do, and the two backends agreeing."""

import numpy as np
import pytest
import torch

from companion.data.toy import make_dataset
from companion.np import hebbian as hnp
from companion.np import perceptron as pnp
from companion.torch import hebbian as hto
from companion.torch import perceptron as pto

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_T = np.array([0, 1, 1, 0])


def test_perceptron_converges_on_separable_data_and_separates_it():
    X, t = make_dataset("gaussians", n=100, seed=0)
    w, b, record = pnp.perceptron_train(X, t, epochs=50)
    assert record["converged"] and record["errors"][-1] == 0
    assert (pnp.perceptron_predict(X, w, b) == t).all()
    assert record["updates"] == sum(record["errors"]) == len(record["boundaries"]) - 1


def test_perceptron_never_converges_on_xor():
    w, b, record = pnp.perceptron_train(XOR_X, XOR_T, epochs=200)
    assert not record["converged"] and min(record["errors"]) >= 1
    assert (pnp.perceptron_predict(XOR_X, w, b) == XOR_T).mean() < 1


@pytest.mark.parametrize("data", ["gaussians", "xor"])
def test_perceptron_backends_agree(data):
    X, t = (make_dataset("gaussians", n=60, seed=1) if data == "gaussians" else (XOR_X, XOR_T))
    w, b, rec = pnp.perceptron_train(X, t, epochs=30)
    wt, bt, rect = pto.perceptron_train(torch.tensor(X), torch.tensor(t), epochs=30)
    np.testing.assert_allclose(w, wt.numpy(), rtol=1e-12)
    assert b == pytest.approx(float(bt)) and rec["errors"] == rect["errors"]


@pytest.mark.parametrize("t", [0, 1])
def test_perceptron_update_moves_only_on_a_mistake_and_the_backends_agree(t):
    rng = np.random.default_rng(t)
    w, x, b = rng.normal(size=3), rng.normal(size=3), 0.3
    y = int(w @ x + b > 0)
    w_new, b_new = pnp.perceptron_update(w, b, x, t, lr=0.5)
    np.testing.assert_allclose(w_new, w + 0.5 * (t - y) * x)
    assert b_new == pytest.approx(b + 0.5 * (t - y))
    assert pnp.perceptron_error(w, b, x, t) == t - y
    wt, bt = pto.perceptron_update(torch.tensor(w), torch.tensor(b), torch.tensor(x), t, lr=0.5)
    np.testing.assert_allclose(wt.numpy(), w_new, rtol=1e-12)
    assert float(bt) == pytest.approx(b_new)
    w_right, b_right = pnp.perceptron_update(w, b, x, y)  # the prediction is right: nothing changes
    np.testing.assert_array_equal(w_right, w)
    assert b_right == b


def test_hebb_squared_norm_grows_by_exactly_2_lr_y2_plus_lr2_y2_x2():
    rng = np.random.default_rng(1)
    w, lr = rng.normal(size=4), 0.05
    for x in rng.normal(size=(20, 4)):
        y = w @ x
        w_new = hnp.hebb_update(w, x, lr)
        growth = w_new @ w_new - w @ w
        assert growth == pytest.approx(2 * lr * y**2 + lr**2 * y**2 * (x @ x), rel=1e-10)
        assert growth >= 0
        w = w_new


def test_hebb_grows_without_bound_and_oja_settles_on_the_principal_axis():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2)) @ np.array([[2.0, 0.0], [0.0, 0.5]]) @ np.array([[0.8, 0.6], [-0.6, 0.8]])
    w0 = np.array([0.3, -0.2])
    hebb = hnp.run_rule("hebb", w0, X, lr=0.01)
    oja = hnp.run_rule("oja", w0, X, lr=0.01)
    assert np.linalg.norm(hebb[-1]) > 1e3 * np.linalg.norm(w0)
    assert np.linalg.norm(oja[-1]) == pytest.approx(1.0, abs=0.05)
    top = np.linalg.eigh(np.cov(X.T))[1][:, -1]
    assert abs(oja[-1] @ top) / np.linalg.norm(oja[-1]) > 0.99
    torch_oja = hto.run_rule("oja", torch.tensor(w0), torch.tensor(X), lr=0.01)
    np.testing.assert_allclose(oja, torch_oja.numpy(), rtol=1e-10)


def test_associative_memory_recalls_orthonormal_keys_exactly():
    keys = np.eye(4)[:3]
    values = np.array([[1.0, -1.0], [0.5, 2.0], [-3.0, 0.0]])
    W = hnp.associative_store(keys, values)
    for k, v in zip(keys, values):
        np.testing.assert_allclose(hnp.associative_recall(W, k), v)
    np.testing.assert_allclose(hto.associative_store(torch.tensor(keys), torch.tensor(values)).numpy(), W)


def test_clear_errors():
    with pytest.raises(ValueError, match="perceptron labels must be 0 or 1, got \\[-1, 1\\]"):
        pnp.perceptron_train(XOR_X, np.array([-1, 1, 1, -1]))
    with pytest.raises(ValueError, match="unknown rule 'bcm'"):
        hnp.run_rule("bcm", np.zeros(2), XOR_X)
    with pytest.raises(ValueError, match="3 keys but 2 values"):
        hnp.associative_store(np.eye(3), np.ones((2, 2)))
