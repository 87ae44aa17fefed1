"""The update-to-weight ratio, NumPy reference and PyTorch twin, refereed by torch.optim.SGD."""

import numpy as np
import pytest
import torch

from companion import np as cnp
from companion import torch as ct


def state(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def test_ratio_after_an_sgd_step_is_lr_times_gradient_over_weight_norm():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3)).double()
    x, labels = torch.randn(8, 5, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    optimizer = torch.optim.SGD(net.parameters(), lr=0.3)
    torch.nn.functional.cross_entropy(net(x), labels).backward()
    expected = {name: float(0.3 * p.grad.norm() / p.detach().norm()) for name, p in net.named_parameters()}
    before = state(net)
    optimizer.step()
    after = state(net)
    ours_t = ct.update_ratios(before, after)
    ours_np = cnp.update_ratios({k: v.numpy() for k, v in before.items()}, {k: v.numpy() for k, v in after.items()})
    assert set(ours_t) == set(ours_np) == set(expected)
    for name, value in expected.items():
        assert ours_t[name] == pytest.approx(value, rel=1e-12)
        assert ours_np[name] == pytest.approx(value, rel=1e-12)


def test_twins_agree_on_random_arrays_and_float32():
    rng = np.random.default_rng(1)
    before = {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    after = {k: v + 1e-3 * rng.normal(size=v.shape) for k, v in before.items()}
    ours_np = cnp.update_ratios(before, after)
    ours_t = ct.update_ratios({k: torch.tensor(v, dtype=torch.float32) for k, v in before.items()},
                              {k: torch.tensor(v, dtype=torch.float32) for k, v in after.items()})
    for name in before:
        assert ours_np[name] == pytest.approx(np.linalg.norm(after[name] - before[name]) / np.linalg.norm(before[name]))
        assert ours_t[name] == pytest.approx(ours_np[name], rel=1e-3)  # float32 inputs


def test_a_zero_parameter_gives_inf_or_nan_in_both():
    before, after = {"a": np.zeros(3), "b": np.zeros(2)}, {"a": np.ones(3), "b": np.zeros(2), "extra": np.ones(1)}
    for ratios in (cnp.update_ratios(before, after),
                   ct.update_ratios({k: torch.tensor(v) for k, v in before.items()},
                                    {k: torch.tensor(v) for k, v in after.items()})):
        assert ratios["a"] == np.inf and np.isnan(ratios["b"]) and "extra" not in ratios


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_clear_errors(backend):
    convert = (lambda d: d) if backend == "numpy" else (lambda d: {k: torch.tensor(v) for k, v in d.items()})
    ratios = cnp.update_ratios if backend == "numpy" else ct.update_ratios
    with pytest.raises(ValueError, match=r"after lacks the parameter\(s\) \['w'\] that before holds"):
        ratios(convert({"w": np.ones(2)}), convert({"v": np.ones(2)}))
    with pytest.raises(ValueError, match=r"before\['w'\] and after\['w'\] must have the same shape"):
        ratios(convert({"w": np.ones(2)}), convert({"w": np.ones(3)}))


# -- last_block_gradient: the depth measurement of the transformers page (Xiong et al., 2020) ---------------

@pytest.mark.parametrize("norm_first", [False, True])
def test_last_block_gradient_numpy_equals_torch_and_a_torch_nn_stack(norm_first):
    """Both backends draw the same stack, input and target from one seed; torch.nn's layers with those
    weights, run by hand, referee the number."""
    got_np = cnp.last_block_gradient(norm_first, 3, d_model=8, nhead=2, batch=2, seq_len=5, rng=7)
    got_torch = ct.last_block_gradient(norm_first, 3, d_model=8, nhead=2, batch=2, seq_len=5, rng=7,
                                       dtype=torch.float64)
    rng = np.random.default_rng(7)
    ours = [ct.TransformerEncoderLayer(8, 2, 32, dropout=0.0, batch_first=True, norm_first=norm_first, rng=rng,
                                       dtype=torch.float64, device="cpu") for _ in range(3)]
    ref = [torch.nn.TransformerEncoderLayer(8, 2, 32, dropout=0.0, batch_first=True, norm_first=norm_first,
                                            dtype=torch.float64) for _ in range(3)]
    for a, b in zip(ours, ref):
        b.load_state_dict(a.state_dict())
    h = torch.as_tensor(rng.standard_normal((2, 5, 8)))
    target = torch.as_tensor(rng.standard_normal((2, 5, 8)))
    for b in ref:
        h = b(h)
    if norm_first:
        h = torch.nn.functional.layer_norm(h, (8,))
    ((h - target) ** 2).mean().backward()
    expected = float(ref[-1].linear2.weight.grad.norm())
    assert got_np == pytest.approx(expected, rel=1e-10)
    assert got_torch == pytest.approx(expected, rel=1e-10)


def test_last_block_gradient_shrinks_with_depth_only_for_pre_norm():
    post = [ct.last_block_gradient(False, n) for n in (2, 16)]
    pre = [ct.last_block_gradient(True, n) for n in (2, 16)]
    assert 0.7 < post[1] / post[0] < 1.4 and pre[1] / pre[0] < 0.75


@pytest.mark.parametrize("module", [cnp, ct])
@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_last_block_gradient_rejects_a_bad_depth(module, bad):
    with pytest.raises(ValueError, match="n_layers must be a positive integer"):
        module.last_block_gradient(True, bad)
