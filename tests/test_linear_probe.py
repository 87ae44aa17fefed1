"""The NumPy linear probe: its loss and gradients against torch autograd (the referee) and finite
differences, its fit against scikit-learn's multinomial logistic regression, and its few-shot draws against
companion.transfer's."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from companion import transfer
from companion.linear_probe import Probe, few_shot_indices, fit_probe, probe_loss_grad, probe_run


def _problem(seed=0, n=30, d=6, c=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, size=n), rng.normal(size=(c, d)), rng.normal(size=c)


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_loss_and_gradients_equal_torch_autograd(l2):
    F, y, W, b = _problem()
    loss, dW, db = probe_loss_grad(F, y, W, b, l2)
    Wt, bt = torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(torch.tensor(F) @ Wt.T + bt, torch.tensor(y)) + 0.5 * l2 * (Wt ** 2).sum()
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dW, Wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gradient_equals_finite_differences():
    F, y, W, b = _problem(1, n=12, d=3, c=3)
    _, dW, db = probe_loss_grad(F, y, W, b, 0.2)
    h = 1e-6
    for arr, grad in ((W, dW), (b, db)):
        numeric = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            old = arr[i]
            arr[i] = old + h
            up = probe_loss_grad(F, y, W, b, 0.2)[0]
            arr[i] = old - h
            down = probe_loss_grad(F, y, W, b, 0.2)[0]
            arr[i] = old
            numeric[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_long_fit_reaches_scikit_learns_logistic_regression():
    F, y, _, _ = _problem(2, n=60, d=5, c=3)
    l2 = 0.05
    probe = fit_probe(F, y, steps=4000, lr=0.5, l2=l2)
    z = (F - probe.mean) / probe.scale
    # scikit-learn minimizes C * sum CE + ||W||^2 / 2: the same minimum when C = 1 / (l2 N)
    ref = LogisticRegression(C=1 / (l2 * len(F)), tol=1e-12, max_iter=10000).fit(z, y)
    np.testing.assert_allclose(probe.weight, ref.coef_, atol=2e-4)
    np.testing.assert_allclose(probe.bias - probe.bias.mean(), ref.intercept_ - ref.intercept_.mean(), atol=2e-4)
    assert np.all(np.diff(probe.losses) <= 1e-12)                      # gradient descent never went uphill


def test_probe_standardizes_with_the_training_statistics():
    F, y, _, _ = _problem(3)
    probe = fit_probe(F, y, steps=0)
    assert isinstance(probe, Probe) and probe.losses == []
    np.testing.assert_allclose(probe.mean, F.mean(0))
    assert probe.scale == pytest.approx((F - F.mean(0)).std())
    np.testing.assert_array_equal(probe.logits(F), np.zeros((len(F), 4)))
    constant = fit_probe(np.ones((4, 2)), np.array([0, 1, 0, 1]), steps=3)
    assert constant.scale == 1.0 and np.isfinite(constant.weight).all()


def test_few_shot_indices_are_the_transfer_modules_draws():
    y = np.repeat(np.arange(3), [5, 7, 4])
    picks = few_shot_indices(y, 3, seed=4)
    assert len(picks) == 9 and np.array_equal(np.bincount(y[picks]), [3, 3, 3]) and np.all(np.diff(picks) > 0)
    X = torch.arange(len(y), dtype=torch.float32)[:, None]
    X_k, y_k = transfer.few_shot(X, torch.tensor(y), 3, seed=4)
    np.testing.assert_array_equal(X_k[:, 0].numpy().astype(int), picks)
    assert not np.array_equal(few_shot_indices(y, 3, seed=5), picks)


def test_probe_run_scores_on_the_test_features():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 4)) * 5
    y_pool, y_test = np.repeat(np.arange(3), 10), np.repeat(np.arange(3), 6)
    F_pool = centres[y_pool] + rng.normal(size=(30, 4))
    F_test = centres[y_test] + rng.normal(size=(18, 4))
    probe, acc, confusion = probe_run(F_pool, y_pool, F_test, y_test, k=2, seed=1)
    assert acc == pytest.approx(np.mean(probe.predict(F_test) == y_test)) and acc > 0.9
    assert confusion.shape == (3, 3) and confusion.sum() == 18 and np.trace(confusion) == round(acc * 18)


@pytest.mark.parametrize("call, match", [
    (lambda: few_shot_indices(np.array([0, 0, 1]), 2), "more than the 1 images of class 1"),
    (lambda: few_shot_indices(np.array([0, 1]), 0), "positive int"),
    (lambda: probe_loss_grad(np.ones(3), np.zeros(3, int), np.ones((2, 1)), np.ones(2)), r"\(N, D\)"),
    (lambda: probe_loss_grad(np.ones((3, 2)), np.zeros(2, int), np.ones((2, 2)), np.ones(2)), "y must be"),
    (lambda: probe_loss_grad(np.ones((3, 2)), np.zeros(3, int), np.ones((2, 3)), np.ones(2)), "weight must be"),
    (lambda: probe_loss_grad(np.ones((3, 2)), np.zeros(3, int), np.ones((2, 2)), np.ones(2), -1), "l2"),
    (lambda: fit_probe(np.array([[np.nan]]), np.zeros(1, int)), "NaN"),
    (lambda: fit_probe(np.ones((2, 2)), np.zeros(2, int), lr=0), "lr"),
    (lambda: fit_probe(np.ones((2, 2)), np.zeros(2, int), steps=-1), "steps"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
