"""Dropout and weight penalties in both backends."""

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct
from companion.np.regularization import penalty, penalty_grad


def test_same_mask_same_result_in_both_backends():
    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    mask = rng.random((4, 5)) >= 0.3
    out, cache = cnp.dropout_forward(x, 0.3, mask=mask)
    xt = torch.tensor(x, requires_grad=True)
    out_t = xt * torch.tensor(mask, dtype=torch.float64) / 0.7  # torch.nn.Dropout's formula, mask fixed
    (out_t * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(cnp.dropout_backward(dout, cache), xt.grad.numpy(), rtol=1e-12)


def test_keep_rate_and_scaling_in_expectation():
    x = np.ones((200, 500))
    out, _ = cnp.dropout_forward(x, 0.25, rng=np.random.default_rng(1))
    assert np.mean(out > 0) == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.75])
    assert out.mean() == pytest.approx(1.0, abs=0.01)
    torch.manual_seed(0)
    out_t = ct.Dropout(0.25).train()(torch.ones(200, 500))
    assert (out_t > 0).float().mean().item() == pytest.approx(0.75, abs=0.01)


def test_eval_mode_is_the_identity():
    x = np.random.default_rng(2).normal(size=(3, 4))
    layer = cnp.Dropout(0.5)
    layer.training = False
    np.testing.assert_array_equal(layer.forward(x), x)
    net = cnp.build_mlp([4, 6, 2], ["relu", "linear"], dropout=0.5).eval()
    np.testing.assert_array_equal(net(x), net(x))
    tnet = ct.build_mlp([4, 6, 2], ["relu", "linear"], dropout=0.5, dtype=torch.float64, device="cpu").eval()
    tnet.load_state_dict(net.state_dict())
    np.testing.assert_allclose(tnet(torch.tensor(x)).detach().numpy(), net(x), rtol=1e-12)


def test_penalty_gradients():
    w = np.array([[0.5, -2.0], [0.0, 1.0]])
    assert penalty([w], "l1", 0.1) == pytest.approx(0.35)
    assert penalty([w], "l2", 0.1) == pytest.approx(0.05 * 5.25)
    wt = torch.tensor(w, requires_grad=True)
    ct_pen = __import__("companion.torch.regularization", fromlist=["penalty"]).penalty
    for kind in ("l1", "l2"):
        wt.grad = None
        ct_pen([wt], kind, 0.1).backward()
        np.testing.assert_allclose(penalty_grad(w, kind, 0.1), wt.grad.numpy())


def test_bad_rates():
    with pytest.raises(ValueError, match=r"dropout rate must lie in \[0, 1\), got 1"):
        cnp.Dropout(1)
    with pytest.raises(ValueError, match=r"dropout rate must lie in \[0, 1\), got -0.1"):
        ct.Dropout(-0.1)
    with pytest.raises(ValueError, match="unknown regularization 'l3'"):
        penalty([np.ones(2)], "l3", 0.1)


def test_weight_decay_matches_torch_sgd_and_adamw_step_for_step():
    """L2 as coupled decay in SGD (g + wd * w) and as decoupled decay in AdamW (w * (1 - lr * wd))."""
    from companion.np import optim

    rng = np.random.default_rng(6)
    start, grads = rng.normal(size=(3, 3)), rng.normal(size=(50, 3, 3))
    for rule, reference, hyper in (("sgd", torch.optim.SGD, dict(lr=0.1, weight_decay=0.05)),
                                   ("adamw", torch.optim.AdamW, dict(lr=0.01, weight_decay=0.2))):
        w, state = start.copy(), None
        wt = torch.tensor(start, requires_grad=True)
        opt = reference([wt], **hyper)
        for g in grads:
            w, state = getattr(optim, rule)(w, g, state, **hyper)
            wt.grad = torch.tensor(g)
            opt.step()
            np.testing.assert_allclose(w, wt.detach().numpy(), rtol=1e-10, atol=1e-12)


THRESHOLD_CASES = [0.0, 0.3, 0.5, 2.0]


@pytest.mark.parametrize("threshold", THRESHOLD_CASES)
def test_soft_threshold_matches_softshrink_values_and_gradients(threshold):
    """torch.nn.functional.softshrink is the referee; the torch twin and the NumPy reference agree with it."""
    from companion.np.regularization import soft_threshold, soft_threshold_backward
    from companion.torch.regularization import soft_threshold as torch_soft_threshold

    rng = np.random.default_rng(7)
    w = rng.normal(scale=1.5, size=(5, 7))
    w[0, :4] = [threshold, -threshold, 0.0, -0.0]  # the kinks, where the gradient is 0 by softshrink's rule
    dout = rng.normal(size=w.shape)
    referee_in = torch.tensor(w, requires_grad=True)
    referee = torch.nn.functional.softshrink(referee_in, threshold)
    (referee * torch.tensor(dout)).sum().backward()
    twin_in = torch.tensor(w, requires_grad=True)
    twin = torch_soft_threshold(twin_in, threshold)
    (twin * torch.tensor(dout)).sum().backward()

    np.testing.assert_array_equal(soft_threshold(w, threshold), referee.detach().numpy())
    np.testing.assert_array_equal(twin.detach().numpy(), referee.detach().numpy())
    np.testing.assert_array_equal(soft_threshold_backward(dout, w, threshold), referee_in.grad.numpy())
    np.testing.assert_array_equal(twin_in.grad.numpy(), referee_in.grad.numpy())
    assert np.sum(soft_threshold(w, threshold) == 0) == np.sum(np.abs(w) <= threshold)  # exact zeros


def test_soft_threshold_default_dtype_and_special_values_follow_softshrink():
    from companion.np.regularization import soft_threshold
    from companion.torch.regularization import soft_threshold as torch_soft_threshold

    w = np.array([np.nan, np.inf, -np.inf, 0.7, -0.2], dtype=np.float32)
    expected = torch.nn.functional.softshrink(torch.tensor(w)).numpy()  # softshrink's default lambd = 0.5
    np.testing.assert_array_equal(soft_threshold(w), expected)
    np.testing.assert_array_equal(torch_soft_threshold(torch.tensor(w)).numpy(), expected)
    assert soft_threshold(w).dtype == np.float32
    assert soft_threshold([3, -1, 0]).tolist() == [2.5, -0.5, 0.0]  # integers are taken as floats


def test_soft_threshold_gradient_matches_finite_differences():
    from companion.np.regularization import soft_threshold, soft_threshold_backward

    rng = np.random.default_rng(8)
    w = rng.normal(size=(4, 3))
    w = np.where(np.abs(np.abs(w) - 0.4) < 1e-3, 1.0, w)  # keep finite differences off the kinks
    dout, h = rng.normal(size=w.shape), 1e-6
    numeric = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        plus, minus = w.copy(), w.copy()
        plus[i] += h
        minus[i] -= h
        numeric[i] = ((soft_threshold(plus, 0.4) - soft_threshold(minus, 0.4)) * dout).sum() / (2 * h)
    analytic = soft_threshold_backward(dout, w, 0.4)
    assert np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric) < 1e-7
    assert np.any(analytic == 0) and np.any(analytic != 0)


@pytest.mark.parametrize("bad, message", [(-0.1, "non-negative, got -0.1"), (float("nan"), "non-negative, got nan"),
                                          ("0.5", "must be a number, got '0.5'"), (True, "must be a number")])
def test_soft_threshold_rejects_bad_thresholds(bad, message):
    from companion.np.regularization import soft_threshold
    from companion.torch.regularization import soft_threshold as torch_soft_threshold

    with pytest.raises(ValueError, match=message):
        soft_threshold(np.ones(3), bad)
    with pytest.raises(ValueError, match=message):
        torch_soft_threshold(torch.ones(3), bad)


def _ista_reference(net, X, y, lr, rate, epochs):
    """Proximal gradient descent by hand with torch: a plain gradient step on the loss, then softshrink."""
    F = torch.nn.functional
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.state_dict().items()}
    X, y = torch.tensor(X), torch.tensor(y)
    for _ in range(epochs):
        hidden = torch.relu(X @ params["0.weight"].T + params["0.bias"])
        loss = F.cross_entropy(hidden @ params["2.weight"].T + params["2.bias"], y)
        grads = torch.autograd.grad(loss, list(params.values()))
        with torch.no_grad():
            for (name, p), g in zip(params.items(), grads):
                p -= lr * g
                if name.endswith("weight"):
                    p.copy_(F.softshrink(p, lr * rate))
    return {k: v.detach().numpy() for k, v in params.items()}


def test_l1_proximal_training_is_ista_in_both_backends_and_gives_exact_zeros():
    from companion.train import fit

    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, size=40)
    net = cnp.build_mlp([6, 16, 3], ["relu", "linear"], rng=np.random.default_rng(0))
    twin = ct.build_mlp([6, 16, 3], ["relu", "linear"], dtype=torch.float64, device="cpu")
    twin.load_state_dict(net.state_dict())
    expected = _ista_reference(net, X, y, lr=0.5, rate=0.02, epochs=30)
    settings = dict(optimizer="sgd", lr=0.5, epochs=30, batch_size=40, regularization=("l1_proximal", 0.02))
    h_np, h_t = fit(net, X, y, **settings), fit(twin, X, y, **settings)
    for name, value in expected.items():
        np.testing.assert_allclose(net.state_dict()[name], value, rtol=1e-9, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(twin.state_dict()[name].numpy(), value, rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(h_np.step_loss, h_t.step_loss, rtol=1e-9)
    assert np.mean(net.state_dict()["0.weight"] == 0) > 0.2  # exact zeros, which the subgradient does not give
    subgradient = cnp.build_mlp([6, 16, 3], ["relu", "linear"], rng=np.random.default_rng(0))
    fit(subgradient, X, y, **{**settings, "regularization": ("l1", 0.02)})
    assert np.sum(subgradient.state_dict()["0.weight"] == 0) == 0
    assert np.all(net.state_dict()["0.bias"] != 0)  # biases are not penalised


def test_unknown_regularization_kind_names_the_choices():
    from companion.train import fit

    with pytest.raises(ValueError, match=r"unknown regularization 'l0'; choose one of \['l1', 'l1_proximal', 'l2'\]"):
        fit(cnp.build_mlp([2, 2], ["linear"]), np.ones((4, 2)), [0, 1, 0, 1], regularization=("l0", 0.1))
