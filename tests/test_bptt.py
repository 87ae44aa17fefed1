"""companion.np.bptt.hidden_gradient_norms: the NumPy cells' backward passes through time give the same
||dL/dh_t|| as torch's autograd through torch.nn's cells with the same weights and inputs."""

import numpy as np
import pytest
import torch

from companion._recurrent import cell_init
from companion.np.bptt import hidden_gradient_norms
from companion.torch import bptt as torch_bptt

TORCH_CELLS = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}


def _autograd_norms(kind, seq_len, hidden, input_size, batch, scale, keep_bias, seed):
    """The same draws as hidden_gradient_norms, then autograd on torch's cell."""
    rng = np.random.default_rng(seed)
    params = cell_init(kind, input_size, hidden, rng=rng)
    params["weight_hh"] = params["weight_hh"] * scale
    params["bias_ih"][hidden:2 * hidden] += keep_bias
    xs = torch.tensor(rng.normal(size=(seq_len, batch, input_size)))
    u = rng.normal(size=hidden)
    u = torch.tensor(u / np.linalg.norm(u))
    cell = TORCH_CELLS[kind](input_size, hidden, dtype=torch.float64)
    cell.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    state, hs = None, []
    for x in xs:
        state = cell(x, state)
        h = state[0] if kind == "lstm" else state
        h.retain_grad()
        hs.append(h)
    (hs[-1] @ u).sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in hs])


@pytest.mark.parametrize("kind, scale, keep_bias", [("rnn", 1.0, 0.0), ("rnn", 3.0, 0.0), ("lstm", 1.0, 0.0),
                                                    ("lstm", 1.0, 3.0), ("gru", 1.5, 0.0), ("gru", 1.0, 2.0)])
def test_norms_equal_autograd_through_torch_cells(kind, scale, keep_bias):
    ours = hidden_gradient_norms(kind, 30, 16, input_size=5, batch_size=4, recurrent_scale=scale,
                                 keep_bias=keep_bias, rng=np.random.default_rng(3))
    theirs = _autograd_norms(kind, 30, 16, 5, 4, scale, keep_bias, seed=3)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-300)
    assert ours[-1] == pytest.approx(1.0)                      # dL/dh_T = u, a unit vector


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_torch_twin_gives_the_same_norms(kind):
    options = dict(input_size=3, batch_size=2, recurrent_scale=2.0, keep_bias=0.0 if kind == "rnn" else 1.0)
    ours = hidden_gradient_norms(kind, 25, 6, rng=np.random.default_rng(5), **options)
    twin = torch_bptt.hidden_gradient_norms(kind, 25, 6, rng=np.random.default_rng(5), **options)
    np.testing.assert_allclose(ours, twin, rtol=1e-10)


def test_plain_rnn_vanishes_and_large_weights_explode():
    assert hidden_gradient_norms("rnn", 60, 32)[0] < 1e-8
    assert hidden_gradient_norms("rnn", 60, 32, recurrent_scale=4.0)[0] > 1e3
    assert hidden_gradient_norms("lstm", 60, 32, keep_bias=4.0)[0] > 1e3 * hidden_gradient_norms("lstm", 60, 32)[0]


@pytest.mark.parametrize("norms", [hidden_gradient_norms, torch_bptt.hidden_gradient_norms])
def test_bad_arguments_are_clear_errors(norms):
    with pytest.raises(ValueError, match="kind"):
        norms("transformer", 5, 4)
    with pytest.raises(ValueError, match="seq_len"):
        norms("rnn", 0, 4)
    with pytest.raises(ValueError, match="keep_bias"):
        norms("rnn", 5, 4, keep_bias=1.0)
