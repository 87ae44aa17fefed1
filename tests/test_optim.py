"""Each NumPy update rule follows torch.optim's rule of the same name, step for step."""

import numpy as np
import pytest
import torch

from companion.np import optim

CASES = [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.05, momentum=0.9)),
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd", dict(lr=0.05, momentum=0.8, dampening=0.1, weight_decay=0.01)),
    ("rmsprop", dict(lr=0.01)),
    ("rmsprop", dict(lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.1)),
    ("adam", dict(lr=0.01)),
    ("adam", dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("adamw", dict(lr=0.01)),
    ("adamw", dict(lr=0.01, weight_decay=0.3, betas=(0.85, 0.995))),
]
TORCH = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
         "adamw": torch.optim.AdamW}


@pytest.mark.parametrize("rule, hyper", CASES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(CASES)])
def test_rule_matches_torch_for_100_steps(rule, hyper):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(4, 3))
    grads = rng.normal(size=(100, 4, 3))  # the same gradient sequence fed to both

    param_t = torch.tensor(start, requires_grad=True)
    reference = TORCH[rule]([param_t], **hyper)
    param, state = start.copy(), None
    for g in grads:
        param, state = getattr(optim, rule)(param, g, state, **hyper)
        param_t.grad = torch.tensor(g)
        reference.step()
        np.testing.assert_allclose(param, param_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert np.abs(param - start).max() > 1e-3  # the rule really moved the parameters


def test_rules_do_not_modify_their_inputs():
    param, grad = np.ones(3), np.full(3, 0.5)
    for rule in optim.RULES.values():
        _, state = rule(param, grad, None, lr=0.1)
        rule(param, grad, state, lr=0.1)
    np.testing.assert_array_equal(param, np.ones(3))


def test_optimizer_keeps_a_state_per_parameter():
    opt = optim.Optimizer("adam", lr=0.1)
    params = {"w": np.ones(2), "b": np.zeros(1)}
    for _ in range(3):
        params = opt.step(params, {"w": np.ones(2), "b": -np.ones(1)})
    assert opt.state["w"]["step"] == 3 and params["w"][0] < 1 and params["b"][0] > 0


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="learning rate must be positive, got -0.1"):
        optim.sgd(np.ones(2), np.ones(2), lr=-0.1)
    with pytest.raises(ValueError, match="param and grad must have the same shape"):
        optim.adam(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        optim.Optimizer("adagrad")
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        optim.sgd(np.ones(2), np.ones(2), nesterov=True)
    with pytest.raises(ValueError, match="no gradient for parameter"):
        optim.Optimizer("sgd").step({"w": np.ones(1)}, {})


def test_adam_epochs_visits_every_example_once_per_epoch_and_matches_a_hand_written_loop():
    from companion.torch.optim import adam_epochs

    x = torch.as_tensor(np.random.default_rng(0).normal(size=(10, 3)))
    target = x.sum(dim=1, keepdim=True)

    def fresh_model():
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1, dtype=torch.float64)
        return model

    seen = []
    model = fresh_model()

    def batch_loss(idx):
        seen.extend(idx.tolist())
        return ((model(x[idx]) - target[idx]) ** 2).mean()

    losses = adam_epochs(model, 10, batch_loss, epochs=3, batch_size=4, lr=0.1, seed=1, clip=1.0)
    assert len(losses) == 3 and not model.training
    assert [sorted(seen[k * 10:(k + 1) * 10]) for k in range(3)] == [list(range(10))] * 3

    reference = fresh_model()   # the loop written out: Adam, a fresh permutation per epoch, clipping
    optimizer, rng, expected = torch.optim.Adam(reference.parameters(), lr=0.1), np.random.default_rng(1), []
    for _ in range(3):
        order, total = torch.as_tensor(rng.permutation(10)), 0.0
        for start in range(0, 10, 4):
            idx = order[start:start + 4]
            loss = ((reference(x[idx]) - target[idx]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(reference.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(idx)
        expected.append(total / 10)
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    np.testing.assert_allclose(model.weight.detach(), reference.weight.detach(), rtol=1e-12)
