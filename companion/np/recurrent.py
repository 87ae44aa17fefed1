"""Recurrent cells, one time step, forward and backward by hand: the Elman RNN, the LSTM and the GRU.

The equations, gate order and parameter layouts are those of ``torch.nn.RNNCell``, ``LSTMCell`` and
``GRUCell``, so state dicts load into torch's cells. With a = x W_ih^T + b_ih + h W_hh^T + b_hh:

* RNN: h' = tanh(a) (or relu(a));
* LSTM: i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c');
* GRU (gates r, z, n): r = σ(x W_ir^T + b_ir + h W_hr^T + b_hr), z likewise,
  n = tanh(x W_in^T + b_in + r ⊙ (h W_hn^T + b_hn)), h' = (1 - z) ⊙ n + z ⊙ h.

Shapes: x (N, I) or (I,); h, c (N, H) or (H,), zeros when None; weight_ih (G·H, I); weight_hh (G·H, H);
biases (G·H,) or None, with G = 1, 4, 3.

The layers RNN, LSTM and GRU (``torch.nn.RNN`` etc.) hold a whole network's parameters and run the
functions of :mod:`companion.np.sequence` (re-exported here) through time.
"""

import warnings

import numpy as np

from companion._recurrent import (cell_init, check_cell_args, check_dropout, check_nonlinearity, param_names,
                                  sequence_init, state_pair)
# The step math and the sequence functions (the steps run through time) live in sequence.py; re-exported here.
from companion.np._state import TrainMode, checked_state
from companion.np.sequence import (STEPS, gru, gru_backward, gru_forward, lstm, lstm_backward,  # noqa: F401
                                   lstm_forward, project_input, rnn, rnn_backward, rnn_forward)


def _prepare(kind, x, states, weight_ih, weight_hh, bias_ih, bias_hh):
    """Arrays, checks, and everything as a batch: returns (batched, x2, states2, arrays...)."""
    x, weight_ih, weight_hh = np.asarray(x), np.asarray(weight_ih), np.asarray(weight_hh)
    bias_ih = None if bias_ih is None else np.asarray(bias_ih)
    bias_hh = None if bias_hh is None else np.asarray(bias_hh)
    states = [(name, None if s is None else np.asarray(s)) for name, s in states]
    batched, hidden = check_cell_args(kind, x, weight_ih, weight_hh, bias_ih, bias_hh, states)
    x2 = np.atleast_2d(x)
    dtype = np.result_type(x2, weight_ih, np.float32)
    states2 = [np.zeros((x2.shape[0], hidden), dtype) if s is None else np.atleast_2d(s) for _, s in states]
    return batched, x2, states2, weight_ih, weight_hh, bias_ih, bias_hh


def _unbatch(batched, *arrays):
    return arrays if batched else tuple(a[0] for a in arrays)


def _param_grads(da_ih, da_hh, x2, h2, has_bias):
    """dW_ih = da_ih^T x, dW_hh = da_hh^T h, db = column sums (None without biases)."""
    dbias_ih = da_ih.sum(axis=0) if has_bias else None
    dbias_hh = da_hh.sum(axis=0) if has_bias else None
    return da_ih.T @ x2, da_hh.T @ h2, dbias_ih, dbias_hh


def _grad_in(d, batched, hidden, n, dtype):
    """An incoming gradient as (N, H): None means zero; its shape must match the output's."""
    want = (n, hidden) if batched else (hidden,)
    if d is None:
        return np.zeros((n, hidden), dtype)
    d = np.asarray(d)
    if d.shape != want:
        raise ValueError(f"the output gradient must have shape {want}, got {d.shape}")
    return np.atleast_2d(d)


# --- one step of each cell: the step math of companion.np.sequence on one input ----------------------------

def _cell_forward(kind, x, states, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
    """Checks, then the kind's step on gi = x W_ih^T + b_ih (+ b_hh); returns (new states, cache)."""
    batched, x2, states2, weight_ih, weight_hh, bias_ih, bias_hh = _prepare(
        kind, x, states, weight_ih, weight_hh, bias_ih, bias_hh)
    p = {"weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih, "bias_hh": bias_hh}
    new, saved = STEPS[kind][0](project_input(kind, x2, p), tuple(states2), p, nonlinearity)
    return _unbatch(batched, *new), (kind, batched, x2, states2[0], p, saved, nonlinearity)


def _cell_backward(dnew, cache):
    """From the new states' gradients (None: zero) to ((dx, dstates...), (dW_ih, dW_hh, db_ih, db_hh))."""
    kind, batched, x2, h2, p, saved, nonlinearity = cache
    dtype = np.result_type(x2, h2, p["weight_hh"])
    dnew = tuple(_grad_in(d, batched, h2.shape[1], x2.shape[0], dtype) for d in dnew)
    dstates, da_ih, da_hh = STEPS[kind][1](dnew, saved, p, nonlinearity)
    return _unbatch(batched, da_ih @ p["weight_ih"], *dstates), _param_grads(da_ih, da_hh, x2, h2,
                                                                              p["bias_ih"] is not None)


# --- Elman RNN -----------------------------------------------------------------------------------

def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu); returns (h', cache)."""
    check_nonlinearity(nonlinearity)
    (h_new,), cache = _cell_forward("rnn", x, [("h", h)], weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)
    return h_new, cache


def rnn_cell_backward(dh_new, cache):
    """From dL/dh' to (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh); da = dh' ⊙ (1 - h'²)
    for tanh, dh' ⊙ [a > 0] for relu. Bias gradients are None without biases."""
    dinputs, dparams = _cell_backward((dh_new,), cache)
    return dinputs + dparams


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One step of an Elman RNN cell (``torch.nn.RNNCell``); returns h'."""
    return rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)[0]


# --- LSTM ----------------------------------------------------------------------------------------

def lstm_cell_forward(x, hc, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step (gates i, f, g, o); ``hc`` is (h, c) or None; returns ((h', c'), cache)."""
    h, c = state_pair(hc)
    return _cell_forward("lstm", x, [("h", h), ("c", c)], weight_ih, weight_hh, bias_ih, bias_hh)


def lstm_cell_backward(dhc_new, cache):
    """From (dL/dh', dL/dc') (either may be None, meaning zero) to
    (dx, (dh, dc), dweight_ih, dweight_hh, dbias_ih, dbias_hh).

    dc'_total = dc' + dh' ⊙ o ⊙ (1 - tanh²c'); di = dc'_total ⊙ g, df = dc'_total ⊙ c, dg = dc'_total ⊙ i,
    do = dh' ⊙ tanh c', each times its activation's derivative; dc = dc'_total ⊙ f.
    """
    (dx, dh, dc), dparams = _cell_backward(state_pair(dhc_new, "new state's gradient", "(dh', dc')"), cache)
    return (dx, (dh, dc)) + dparams


def lstm_cell(x, hc, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of an LSTM cell (``torch.nn.LSTMCell``); returns (h', c')."""
    return lstm_cell_forward(x, hc, weight_ih, weight_hh, bias_ih, bias_hh)[0]


# --- GRU -----------------------------------------------------------------------------------------

def gru_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU step (gates r, z, n, torch's variant with r inside n); returns (h', cache)."""
    (h_new,), cache = _cell_forward("gru", x, [("h", h)], weight_ih, weight_hh, bias_ih, bias_hh)
    return h_new, cache


def gru_cell_backward(dh_new, cache):
    """From dL/dh' to (dx, dh, dweight_ih, dweight_hh, dbias_ih, dbias_hh).

    dn = dh' ⊙ (1 - z), dz = dh' ⊙ (h - n), and h's direct path dh' ⊙ z; through n's pre-activation
    (times 1 - n²) the input side gets it whole, the hidden side times r, and r gets it times (W_hn h + b_hn).
    """
    dinputs, dparams = _cell_backward((dh_new,), cache)
    return dinputs + dparams


def gru_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One step of a GRU cell (``torch.nn.GRUCell``); returns h'."""
    return gru_cell_forward(x, h, weight_ih, weight_hh, bias_ih, bias_hh)[0]


# --- layers --------------------------------------------------------------------------------------

class _Cell:
    """Shared layer machinery: torch's parameter names and default initialization from ``rng``; forward and
    backward through the cell's ``forward_fn`` / ``backward_fn``."""

    kind = None
    forward_fn = backward_fn = None

    def __init__(self, input_size, hidden_size, bias=True, *, rng=None, dtype=np.float64):
        self.input_size, self.hidden_size = input_size, hidden_size
        params = cell_init(self.kind, input_size, hidden_size, bias, rng, dtype)
        self.weight_ih, self.weight_hh = params["weight_ih"], params["weight_hh"]
        self.bias_ih, self.bias_hh = params.get("bias_ih"), params.get("bias_hh")
        self.grads = {}
        self._cache = None

    def forward(self, x, state=None):
        """The new state from input x and the previous state (zeros when None)."""
        out, self._cache = type(self).forward_fn(x, state, self.weight_ih, self.weight_hh, self.bias_ih,
                                                 self.bias_hh, **self._options())
        return out

    __call__ = forward

    def backward(self, dstate_new):
        """(dx, dstate) from the gradient of the new state; fills ``grads``."""
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dstate, dweight_ih, dweight_hh, dbias_ih, dbias_hh = type(self).backward_fn(dstate_new, self._cache)
        self.grads = {"weight_ih": dweight_ih, "weight_hh": dweight_hh}
        if self.bias_ih is not None:
            self.grads.update(bias_ih=dbias_ih, bias_hh=dbias_hh)
        return dx, dstate

    def _options(self):
        return {}

    def parameters(self):
        """The parameters under torch's names (the keys of ``torch.nn.*Cell``'s state dict)."""
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias_ih is not None else ())
        return {name: getattr(self, name) for name in names}

    def __repr__(self):
        return (f"{type(self).__name__}({self.input_size}, {self.hidden_size}, bias={self.bias_ih is not None}"
                f"{self._extra_repr()})")

    def _extra_repr(self):
        return ""


class RNNCell(_Cell):
    """An Elman RNN cell like ``torch.nn.RNNCell``: ``forward(x, h=None)`` returns h';
    ``backward(dh_new)`` returns (dx, dh) and fills ``grads``."""

    kind = "rnn"
    forward_fn, backward_fn = staticmethod(rnn_cell_forward), staticmethod(rnn_cell_backward)

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", *, rng=None, dtype=np.float64):
        check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _options(self):
        return {"nonlinearity": self.nonlinearity}

    def _extra_repr(self):
        return f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(_Cell):
    """An LSTM cell like ``torch.nn.LSTMCell``: ``forward(x, hc=None)`` returns (h', c');
    ``backward((dh_new, dc_new))`` returns (dx, (dh, dc)) and fills ``grads``."""

    kind = "lstm"
    forward_fn, backward_fn = staticmethod(lstm_cell_forward), staticmethod(lstm_cell_backward)


class GRUCell(_Cell):
    """A GRU cell like ``torch.nn.GRUCell``: ``forward(x, h=None)`` returns h';
    ``backward(dh_new)`` returns (dx, dh) and fills ``grads``."""

    kind = "gru"
    forward_fn, backward_fn = staticmethod(gru_cell_forward), staticmethod(gru_cell_backward)


# --- sequence layers ------------------------------------------------------------------------------------------------

class _Sequence(TrainMode):
    """Shared layer machinery: torch's parameter names (as attributes) and default initialization drawn from
    ``rng`` (which also draws the dropout masks in training mode; NumPy's global generator when None);
    ``forward(x, hx=None, lengths=None)`` and ``backward(doutput, dhx_n=None)`` through time."""

    kind = None

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, nonlinearity="tanh", *, rng=None, dtype=np.float64):
        check_nonlinearity(nonlinearity)
        check_dropout(dropout)
        if dropout > 0 and num_layers == 1:  # torch warns the same way: the option does nothing here
            warnings.warn(f"dropout={dropout} and num_layers=1: dropout acts only between layers, so it has "
                          f"no effect", UserWarning, stacklevel=3)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size, self.nonlinearity = bidirectional, proj_size, nonlinearity
        self.training, self.rng = True, rng
        for name, value in sequence_init(self.kind, input_size, hidden_size, num_layers, bias, bidirectional,
                                         proj_size, rng, dtype).items():
            setattr(self, name, value)
        self.grads, self._cache = {}, None

    def _names(self):
        return param_names(self.num_layers, self.bidirectional, self.bias, self.proj_size)

    def parameters(self):
        """{torch name: array}, in torch's order (the keys of torch.nn's state dict)."""
        return {name: getattr(self, name) for name in self._names()}

    state_dict = parameters

    def load_state_dict(self, state):
        """Copy parameters in from a dict with torch's names and shapes (arrays or tensors)."""
        for name, value in checked_state(state, self.parameters()).items():
            setattr(self, name, value)

    def _options(self):
        return {"num_layers": self.num_layers, "bidirectional": self.bidirectional,
                "batch_first": self.batch_first, "dropout": self.dropout, "training": self.training,
                "rng": self.rng}

    def forward(self, x, hx=None, lengths=None):
        """(output, h_n), or (output, (h_n, c_n)) for the LSTM, as torch.nn's forward returns them."""
        result, self._cache = self.forward_fn(x, hx, self.parameters(), lengths=lengths, **self._options())
        return result

    __call__ = forward

    def backward(self, doutput, dhx_n=None):
        """(dx, dhx) from dL/doutput and dL/d(h_n) (or (dh_n, dc_n)); fills ``grads`` with torch's names."""
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dx, dhx, self.grads = self.backward_fn(doutput, dhx_n, self._cache)
        return dx, dhx

    def __repr__(self):
        """As torch.nn prints it: the options that differ from their defaults, in torch's order."""
        options = [("proj_size", self.proj_size, 0), ("num_layers", self.num_layers, 1), ("bias", self.bias, True),
                   ("batch_first", self.batch_first, False), ("dropout", self.dropout, 0),
                   ("bidirectional", self.bidirectional, False), ("nonlinearity", self.nonlinearity, "tanh")]
        extra = "".join(f", {name}={value!r}" for name, value, default in options if value != default)
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra})"


class RNN(_Sequence):
    """An Elman RNN over sequences like ``torch.nn.RNN`` (same constructor, names and results)."""

    kind = "rnn"
    forward_fn, backward_fn = staticmethod(rnn_forward), staticmethod(rnn_backward)

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, *, rng=None, dtype=np.float64):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         nonlinearity=nonlinearity, rng=rng, dtype=dtype)

    def _options(self):
        return dict(super()._options(), nonlinearity=self.nonlinearity)


class LSTM(_Sequence):
    """An LSTM over sequences like ``torch.nn.LSTM`` (same constructor, names and results, proj_size too)."""

    kind = "lstm"
    forward_fn, backward_fn = staticmethod(lstm_forward), staticmethod(lstm_backward)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, *, rng=None, dtype=np.float64):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, rng=rng, dtype=dtype)

    def _options(self):
        return dict(super()._options(), proj_size=self.proj_size)


class GRU(_Sequence):
    """A GRU over sequences like ``torch.nn.GRU`` (same constructor, names and results)."""

    kind = "gru"
    forward_fn, backward_fn = staticmethod(gru_forward), staticmethod(gru_backward)


def layer_class(kind):
    """The sequence layer for ``kind``: "rnn" → :class:`RNN`, "lstm" → :class:`LSTM`, "gru" → :class:`GRU`."""
    layers = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
    if kind not in layers:
        raise ValueError(f"cell must be one of {sorted(layers)}, got {kind!r}")
    return layers[kind]
