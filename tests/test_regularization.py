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
