"""How far back a gradient reaches through a recurrent cell, by autograd (the twin of companion.np.bptt).

The same draws as the NumPy reference (weights, inputs, u; companion._bptt.setup), the cells of companion.torch.recurrent run
forward, and one backward pass from L = u · h_T fills the gradient of every h_t at once.
"""

import torch

from companion._bptt import setup
from companion.torch.recurrent import gru_cell, lstm_cell, rnn_cell

_CELLS = {"rnn": rnn_cell, "lstm": lstm_cell, "gru": gru_cell}


def hidden_gradient_norms(kind, seq_len, hidden_size, input_size=8, batch_size=16, recurrent_scale=1.0, keep_bias=0.0,
                          rng=None):
    """(seq_len,) NumPy array: mean over the batch of ||dL/dh_t||, t = 1 … T, for L = u · h_T; arguments and
    draws as in :func:`companion.np.bptt.hidden_gradient_norms` (float64, on the CPU)."""
    params, xs, u = setup(kind, seq_len, hidden_size, input_size, batch_size, recurrent_scale, keep_bias, rng)
    params = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}  # a graph to walk back
    state, hs = None, []
    for x in torch.tensor(xs):
        state = _CELLS[kind](x, state, **params)
        h = state[0] if kind == "lstm" else state
        h.retain_grad()                                  # keep dL/dh_t for this intermediate
        hs.append(h)
    (hs[-1] @ torch.tensor(u)).sum().backward()
    return torch.stack([h.grad.norm(dim=1).mean() for h in hs]).numpy()
