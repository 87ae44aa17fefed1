"""Recurrent cells in PyTorch, one time step: torch's own cell kernels behind the NumPy twin's names and checks.

``*_forward`` / ``*_backward`` give the NumPy twin's interface with autograd doing the backward pass.
Shapes: x (N, I) or (I,); h, c (N, H) or (H,), zeros when None; weight_ih (G·H, I); weight_hh (G·H, H);
biases (G·H,) or None, with G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
The whole-sequence layers RNN / LSTM / GRU and rnn / lstm / gru live in companion.torch.sequence and are
re-exported here.
"""

import torch

from companion._recurrent import cell_init, check_cell_args, check_nonlinearity, state_pair
from companion._runtime import device as default_device
from companion.torch.dense import as_tensor
from companion.torch.sequence import (GRU, LSTM, RNN, detach_state, gru, layer_class, lstm,  # noqa: F401
                                      rnn)  # (re-exported)


def _batch(kind, x, states, weight_ih, weight_hh, bias_ih, bias_hh):
    """Checks, then x and the states as a batch (zeros for None states); returns (batched, x2, states2)."""
    batched, hidden = check_cell_args(kind, x, weight_ih, weight_hh, bias_ih, bias_hh, states)
    x2 = x if batched else x.unsqueeze(0)
    states2 = [x2.new_zeros(x2.shape[0], hidden) if s is None else (s if batched else s.unsqueeze(0))
               for _, s in states]
    return batched, x2, states2


def _unbatch(batched, t):
    return t if batched else t.squeeze(0)


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One step of an Elman RNN cell (``torch.nn.RNNCell``); returns h'."""
    check_nonlinearity(nonlinearity)
    batched, x2, (h2,) = _batch("rnn", x, [("h", h)], weight_ih, weight_hh, bias_ih, bias_hh)
    step = torch.rnn_tanh_cell if nonlinearity == "tanh" else torch.rnn_relu_cell
    return _unbatch(batched, step(x2, h2, weight_ih, weight_hh, bias_ih, bias_hh))


def lstm_cell(x, hc, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of an LSTM cell (``torch.nn.LSTMCell``); ``hc`` is (h, c) or None; returns (h', c')."""
    h, c = state_pair(hc)
    batched, x2, (h2, c2) = _batch("lstm", x, [("h", h), ("c", c)], weight_ih, weight_hh, bias_ih, bias_hh)
    h_new, c_new = torch.lstm_cell(x2, (h2, c2), weight_ih, weight_hh, bias_ih, bias_hh)
    return _unbatch(batched, h_new), _unbatch(batched, c_new)


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of a GRU cell (``torch.nn.GRUCell``); returns h'."""
    batched, x2, (h2,) = _batch("gru", x, [("h", h)], weight_ih, weight_hh, bias_ih, bias_hh)
    return _unbatch(batched, torch.gru_cell(x2, h2, weight_ih, weight_hh, bias_ih, bias_hh))


def _leaf(t):
    return None if t is None else t.detach().requires_grad_(True)


def _forward(cell, x, states, weights, **options):
    """Run ``cell`` on detached leaf copies (None states become zeros) so that backward can ask autograd."""
    x = _leaf(x)
    states = [_leaf(x.new_zeros(*x.shape[:-1], weights[1].shape[1]) if s is None else s) for s in states]
    weights = [_leaf(w) for w in weights]
    out = cell(x, states[0] if len(states) == 1 else tuple(states), *weights, **options)
    return out, (out, x, states, weights)


def _backward(d_outs, cache):
    out, x, states, weights = cache
    outs = out if isinstance(out, tuple) else (out,)
    pairs = [(o, d) for o, d in zip(outs, d_outs) if d is not None]
    present = [t for t in [x, *states, *weights] if t is not None]
    if not pairs:  # every incoming gradient None: all zero
        return [None if t is None else torch.zeros_like(t) for t in [x, *states, *weights]]
    grads = iter(torch.autograd.grad([o for o, _ in pairs], present, [d for _, d in pairs], allow_unused=True))
    filled = [None if t is None else next(grads) for t in [x, *states, *weights]]
    return [torch.zeros_like(t) if g is None and t is not None else g
            for t, g in zip([x, *states, *weights], filled)]


def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """h' and a cache for :func:`rnn_cell_backward`."""
    return _forward(rnn_cell, x, [h], [weight_ih, weight_hh, bias_ih, bias_hh], nonlinearity=nonlinearity)


def rnn_cell_backward(dh_new, cache):
    """(dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh) by autograd."""
    return tuple(_backward((dh_new,), cache))


def lstm_cell_forward(x, hc, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """(h', c') and a cache for :func:`lstm_cell_backward`."""
    h, c = state_pair(hc)
    return _forward(lstm_cell, x, [h, c], [weight_ih, weight_hh, bias_ih, bias_hh])


def lstm_cell_backward(dhc_new, cache):
    """(dx, (dh, dc), dweight_ih, dweight_hh, dbias_ih, dbias_hh) by autograd; None gradients mean zero."""
    dx, dh, dc, *rest = _backward(state_pair(dhc_new, "new state's gradient", "(dh', dc')"), cache)
    return (dx, (dh, dc), *rest)


def gru_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """h' and a cache for :func:`gru_cell_backward`."""
    return _forward(gru_cell, x, [h], [weight_ih, weight_hh, bias_ih, bias_hh])


def gru_cell_backward(dh_new, cache):
    """(dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh) by autograd."""
    return tuple(_backward((dh_new,), cache))


class _Cell(torch.nn.Module):
    """torch's cell parameters (same names as ``torch.nn.*Cell``) drawn from a NumPy ``rng`` as the twin's."""

    kind = None

    def __init__(self, input_size, hidden_size, bias=True, *, rng=None, dtype=None, device=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = torch.get_default_dtype() if dtype is None else dtype
        device = default_device() if device is None else device
        for name, value in cell_init(self.kind, input_size, hidden_size, bias, rng).items():
            setattr(self, name, torch.nn.Parameter(as_tensor(value, dtype, device)))
        if not bias:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def _args(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class RNNCell(_Cell):
    """An Elman RNN cell like ``torch.nn.RNNCell``; ``forward(x, h=None)`` returns h'."""

    kind = "rnn"

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", *, rng=None, dtype=None,
                 device=None):
        check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias, rng=rng, dtype=dtype, device=device)
        self.nonlinearity = nonlinearity

    def forward(self, x, h=None):
        return rnn_cell(x, h, *self._args(), nonlinearity=self.nonlinearity)

    def extra_repr(self):
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(_Cell):
    """An LSTM cell like ``torch.nn.LSTMCell``; ``forward(x, hc=None)`` returns (h', c')."""

    kind = "lstm"

    def forward(self, x, hc=None):
        return lstm_cell(x, hc, *self._args())


class GRUCell(_Cell):
    """A GRU cell like ``torch.nn.GRUCell``; ``forward(x, h=None)`` returns h'."""

    kind = "gru"

    def forward(self, x, h=None):
        return gru_cell(x, h, *self._args())
