"""The draws the NumPy and PyTorch measurements of gradient flow through time share (companion.np.bptt,
companion.torch.bptt), so that both backends start from the same weights, inputs and loss direction."""

import numpy as np

from companion._recurrent import cell_init

KINDS = ("rnn", "lstm", "gru")


def setup(kind, seq_len, hidden_size, input_size=8, batch_size=16, recurrent_scale=1.0, keep_bias=0.0, rng=None):
    """The draws both backends share: (cell parameters, inputs (T, N, I), unit vector u (H,)); see
    :func:`hidden_gradient_norms` for the arguments."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if int(seq_len) != seq_len or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len}")
    if kind == "rnn" and keep_bias != 0:
        raise ValueError("keep_bias needs a gate that keeps the old state: kind 'lstm' or 'gru', not 'rnn'")
    rng = np.random.default_rng(0) if rng is None else rng
    params = cell_init(kind, input_size, hidden_size, rng=rng)
    params["weight_hh"] = params["weight_hh"] * recurrent_scale
    if keep_bias:
        params["bias_ih"][hidden_size:2 * hidden_size] += keep_bias     # f for the LSTM (i, f, g, o), z for the GRU (r, z, n)
    xs = rng.normal(size=(seq_len, batch_size, input_size))
    u = rng.normal(size=hidden_size)
    return params, xs, u / np.linalg.norm(u)
