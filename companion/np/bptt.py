"""How far back a gradient reaches through a recurrent cell (chapter: Recurrent neural networks).

Run a cell over T steps of random input, put a loss on the last hidden state only, L = u · h_T with u a
fixed unit vector, and backpropagate through time with the cells' own backward passes. The norm of
dL/dh_t for t = T, T - 1, …, 1 shows how the gradient shrinks (vanishes) or grows (explodes) as it is
carried back: dL/dh_{t-1} = (∂h_t/∂h_{t-1})^T dL/dh_t, one Jacobian per step
(Bengio, Simard and Frasconi 1994; Pascanu, Mikolov and Bengio 2013).
"""

import numpy as np

from companion._bptt import KINDS, setup
from companion.np.recurrent import (gru_cell_backward, gru_cell_forward, lstm_cell_backward, lstm_cell_forward,
                                    rnn_cell_backward, rnn_cell_forward)


def hidden_gradient_norms(kind, seq_len, hidden_size, input_size=8, batch_size=16, recurrent_scale=1.0, keep_bias=0.0,
                          rng=None):
    """(seq_len,) mean over the batch of ||dL/dh_t||, t = 1 … T, for L = u · h_T (u a unit vector).

    The cell's weights are torch's default initialization, U(-1/√H, 1/√H), with weight_hh multiplied by
    ``recurrent_scale``, and ``keep_bias`` added to the biases of the gate that keeps the old state: the
    LSTM's forget gate f (rows H … 2H of bias_ih) or the GRU's update gate z (rows H … 2H too); the RNN
    has no such gate and takes only 0. Inputs x_t ~ N(0, 1), (batch_size, input_size) per step. For the
    LSTM, h_t is the hidden state (the gradient through the cell state c_t reaches h_{t-1} through the gates).
    """
    params, xs, u = setup(kind, seq_len, hidden_size, input_size, batch_size, recurrent_scale, keep_bias, rng)
    forward, backward = {"rnn": (rnn_cell_forward, rnn_cell_backward), "lstm": (lstm_cell_forward, lstm_cell_backward),
                         "gru": (gru_cell_forward, gru_cell_backward)}[kind]
    state, caches = None, []
    for x in xs:
        state, cache = forward(x, state, **params)
        caches.append(cache)
    dh = np.broadcast_to(u, (batch_size, hidden_size)).copy()          # dL/dh_T
    dc = None
    norms = np.empty(seq_len)
    for t in range(seq_len - 1, -1, -1):
        norms[t] = np.linalg.norm(dh, axis=1).mean()
        if kind == "lstm":
            _, (dh, dc), *_ = backward((dh, dc), caches[t])
        else:
            _, dh, *_ = backward(dh, caches[t])
    return norms
