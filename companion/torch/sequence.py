"""Recurrent sequence layers in PyTorch (``torch.nn.RNN`` / ``LSTM`` / ``GRU``), written from torch ops
step by step, with a ``fused`` switch to torch's own kernel on the same parameters.

Shapes (torch's): x (T, N, I), or (N, T, I) with ``batch_first``, or unbatched (T, I); h0 and h_n
(L·D, N, H_out), c0 and c_n (L·D, N, H) with L = num_layers, D = 2 if bidirectional else 1 and
H_out = proj_size or H; output (T, N, D·H_out). ``params`` is a dict keyed by torch's state-dict names
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l0``, ...; see ``companion._recurrent.param_names``).

One step, with the input projection x_t W_ihᵀ + b_ih done for every t in one matmul first:

- RNN:  h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)  (or relu)
- LSTM: i, f, g, o = σ, σ, tanh, σ of the four chunks of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh;
  c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')  (then h' W_hrᵀ with proj_size)
- GRU:  r, z = σ(chunks of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh);  n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn));
  h' = (1 − z) ⊙ n + z ⊙ h  (the reset gate multiplies after the hidden matmul, as torch does).

``lengths`` (N,) (or a left-aligned boolean (N, T) mask of valid steps) gives what
``pack_padded_sequence`` + ``pad_packed_sequence`` give: zeros past each length, and h_n the state at each
sequence's last valid step (for the reverse direction, its state after reading the sequence's first step).
"""

import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from companion._recurrent import check_nonlinearity, param_names, param_shapes, sequence_init, state_pair
from companion._runtime import device as default_device
from companion._validate import check_finite, check_positive_int, check_rank, shape_of
from companion.torch.dense import as_tensor

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


# ---------------------------------------------------------------- one step of each cell, from torch ops
def _rnn_step(xw, h, c, w_hh, b_hh, w_hr, nonlinearity):
    """xw: (N, H) input projection of this step; h: (N, H). Returns (h', None)."""
    pre = xw + F.linear(h, w_hh, b_hh)
    return (torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)), None


def _lstm_step(xw, h, c, w_hh, b_hh, w_hr, nonlinearity):
    """xw: (N, 4H); h: (N, H_out); c: (N, H). Returns (h', c'), gates in torch's order i, f, g, o."""
    i, f, g, o = (xw + F.linear(h, w_hh, b_hh)).chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_new = torch.sigmoid(o) * torch.tanh(c_new)
    return (h_new if w_hr is None else F.linear(h_new, w_hr)), c_new


def _gru_step(xw, h, c, w_hh, b_hh, w_hr, nonlinearity):
    """xw: (N, 3H); h: (N, H). Returns (h', None), gates in torch's order r, z, n."""
    x_r, x_z, x_n = xw.chunk(3, dim=1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h, None


STEPS = {"rnn": _rnn_step, "lstm": _lstm_step, "gru": _gru_step}


# ---------------------------------------------------------------- through time
def _steps_and_lengths(steps, lengths, device):
    """t (T, 1) and lengths (1, N) on ``device``, to broadcast into (T, N) masks and indices."""
    return torch.arange(steps, device=device).unsqueeze(1), lengths.to(device).unsqueeze(0)


def _reverse(x, lengths):
    """Each sequence of x (T, N, F) reversed within its own length (padding stays put); an involution."""
    if lengths is None:
        return x.flip(0)
    t, n = _steps_and_lengths(x.shape[0], lengths, x.device)
    index = torch.where(t < n, n - 1 - t, t)  # (T, N)
    return x.gather(0, index.unsqueeze(2).expand_as(x))


def _direction(kind, x, h, c, weights, lengths, reverse, nonlinearity):
    """One layer, one direction over x (T, N, F): returns (output (T, N, H_out), h_T, c_T or None)."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    step = STEPS[kind]
    x = _reverse(x, lengths) if reverse else x
    xw = F.linear(x, w_ih, b_ih)  # (T, N, G·H): every step's input projection in one matmul
    valid = None
    if lengths is not None:
        steps, ends = _steps_and_lengths(x.shape[0], lengths, x.device)
        valid = (steps < ends).unsqueeze(2)  # (T, N, 1): step t of sequence n is a real one
    outputs = []
    for t, xw_t in enumerate(xw.unbind(0)):  # unbind, not xw[t]: one gradient buffer, not one per step
        h_new, c_new = step(xw_t, h, c, w_hh, b_hh, w_hr, nonlinearity)
        if valid is None:
            h, c = h_new, c_new
            outputs.append(h)
        else:  # a finished sequence keeps its state and outputs zeros
            h = torch.where(valid[t], h_new, h)
            c = None if c is None else torch.where(valid[t], c_new, c)
            outputs.append(torch.where(valid[t], h_new, torch.zeros_like(h_new)))
    output = torch.stack(outputs)  # (T, N, H_out)
    return (_reverse(output, lengths) if reverse else output), h, c


def _dropout(x, p, rng):
    """Inverted dropout between layers: zero each entry with probability p, scale the rest by 1/(1-p).

    ``rng``: None (torch's global generator), a ``torch.Generator``, or a NumPy ``Generator`` (then the
    keep mask is ``rng.random(x.shape) >= p``).
    """
    if p == 1:
        return torch.zeros_like(x)
    if rng is None:
        return F.dropout(x, p, training=True)
    if isinstance(rng, torch.Generator):
        keep = torch.rand(x.shape, generator=rng, device=rng.device, dtype=x.dtype).to(x.device) >= p
    else:
        keep = torch.from_numpy(rng.random(x.shape) >= p).to(x.device)
    return x * keep / (1 - p)


def _unfused(kind, x, h0, c0, params, opts, lengths):
    """Step-by-step layers over time-major x (T, N, I); returns (output, h_n, c_n or None)."""
    directions = 2 if opts["bidirectional"] else 1
    h_n, c_n, layer_input = [], [], x
    for layer in range(opts["num_layers"]):
        if layer and opts["training"] and opts["dropout"]:
            layer_input = _dropout(layer_input, opts["dropout"], opts["rng"])
        outs = []
        for d, suffix in enumerate(("", "_reverse")[:directions]):
            k = layer * directions + d
            weights = [params.get(f"{stem}_l{layer}{suffix}")
                       for stem in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]
            out, h, c = _direction(kind, layer_input, h0[k], None if c0 is None else c0[k], weights, lengths,
                                   reverse=d == 1, nonlinearity=opts["nonlinearity"])
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = torch.cat(outs, dim=2)  # (T, N, D·H_out)
    return layer_input, torch.stack(h_n), (None if c0 is None else torch.stack(c_n))


def _fused(kind, x, h0, c0, params, opts, lengths):
    """torch's own kernel (``torch._VF``, what torch.nn.LSTM calls) on the same parameter tensors, over
    time-major x (T, N, I); with ``lengths``, packed and unpacked around the kernel as torch.nn would be."""
    if lengths is None:
        result = _kernel(kind, (x,), h0, c0, params, opts, batch_first=False)
        return result[0], result[1], (result[2] if kind == "lstm" else None)
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    data, h_n, c_n = _fused_packed(kind, packed, h0, c0, params, opts)
    output, _ = pad_packed_sequence(PackedSequence(data, *packed[1:]), total_length=x.shape[0])
    return output, h_n, c_n


def _fused_packed(kind, packed, h0, c0, params, opts):
    """The kernel on a PackedSequence; the states in and out are in the caller's batch order."""
    order, back = packed.sorted_indices, packed.unsorted_indices
    if order is not None:  # the kernel wants the states in the packed (length-sorted) order
        h0, c0 = h0[:, order], (None if c0 is None else c0[:, order])
    result = _kernel(kind, (packed.data, packed.batch_sizes), h0, c0, params, opts)
    h_n, c_n = result[1], (result[2] if kind == "lstm" else None)
    if back is not None:
        h_n, c_n = h_n[:, back], (None if c_n is None else c_n[:, back])
    return result[0], h_n, c_n


def _kernel(kind, inputs, h0, c0, params, opts, **batch_first):
    """``torch._VF.<kind>(*inputs, hx, weights, ...)``. On CUDA, cuDNN copies the separate parameter
    tensors into one buffer at every call (torch.nn keeps them in one buffer to avoid that) and warns each
    time; the copy is cheap at the book's sizes, so the warning is silenced here."""
    names = param_names(opts["num_layers"], opts["bidirectional"], opts["bias"], opts["proj_size"])
    fn = {"lstm": torch._VF.lstm, "gru": torch._VF.gru,
          "rnn": torch._VF.rnn_tanh if opts["nonlinearity"] == "tanh" else torch._VF.rnn_relu}[kind]
    hx = (h0, c0) if kind == "lstm" else h0
    args = ([params[name] for name in names], opts["bias"], opts["num_layers"], float(opts["dropout"]),
            opts["training"], opts["bidirectional"]) + tuple(batch_first.values())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous")
        return fn(*inputs, hx, *args)


# ---------------------------------------------------------------- checks
def _check_options(kind, num_layers, dropout, nonlinearity, proj_size):
    check_positive_int(num_layers, "num_layers")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
        raise ValueError(f"dropout must be a number in [0, 1], got {dropout!r}")
    if kind == "rnn":
        check_nonlinearity(nonlinearity)
    if proj_size and kind != "lstm":
        raise ValueError("proj_size is only supported by the LSTM")


def _sizes(kind, params, num_layers, bidirectional, proj_size):
    """(input_size, hidden_size, bias) read off ``params``, whose names and shapes must be torch's."""
    if "weight_ih_l0" not in params or "weight_hh_l0" not in params:
        raise ValueError("params must hold torch's names, e.g. 'weight_ih_l0' and 'weight_hh_l0'")
    input_size = shape_of(params["weight_ih_l0"])[1]
    hidden_size = shape_of(params["weight_hh_l0"])[0] // GATES[kind]
    bias = "bias_ih_l0" in params
    want = param_shapes(kind, input_size, hidden_size, num_layers, bias, bidirectional, proj_size)
    if set(params) != set(want):
        missing, extra = sorted(set(want) - set(params)), sorted(set(params) - set(want))
        raise ValueError(f"params do not fit a {kind} with num_layers={num_layers}, bidirectional="
                         f"{bidirectional}, bias={bias}, proj_size={proj_size}: missing {missing}, "
                         f"unexpected {extra}")
    for name, shape in want.items():
        if shape_of(params[name]) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {shape_of(params[name])}")
    return input_size, hidden_size, bias


def _lengths(lengths, batch, steps):
    """``lengths`` (N,) or a left-aligned boolean (N, T) mask of valid steps, as a CPU int64 tensor."""
    lengths = torch.as_tensor(np.asarray(lengths) if not torch.is_tensor(lengths) else lengths)
    if lengths.dtype == torch.bool:
        if tuple(lengths.shape) != (batch, steps):
            raise ValueError(f"a mask must have shape (N, T) = {(batch, steps)}, got {tuple(lengths.shape)}")
        counts = lengths.sum(1)
        if not torch.equal(lengths.cpu(), torch.arange(steps).unsqueeze(0) < counts.cpu().unsqueeze(1)):
            raise ValueError("the mask must be left-aligned: True for each sequence's first steps, then False")
        lengths = counts
    if lengths.is_floating_point() or tuple(lengths.shape) != (batch,):
        raise ValueError(f"lengths must be {batch} integers (one per sequence), got {lengths.dtype} of shape "
                         f"{tuple(lengths.shape)}")
    lengths = lengths.cpu().long()
    if batch == 0:  # pack_padded_sequence cannot pack an empty batch
        raise ValueError("lengths needs at least one sequence, but x has an empty batch (N = 0): call without "
                         "lengths")
    if int(lengths.min()) < 1 or int(lengths.max()) > steps:
        raise ValueError(f"lengths must lie in [1, {steps}] (T = {steps}), got min {int(lengths.min())} "
                         f"and max {int(lengths.max())}")
    return lengths


def _states(kind, hx, batched, shape_h, shape_c, like):
    """(h0, c0) as batched tensors (zeros for None), each checked against torch's shapes."""
    if kind == "lstm":
        h0, c0 = state_pair(hx, "initial state", "(h0, c0)")
        pairs = [("h0", h0, shape_h), ("c0", c0, shape_c)]
    else:
        if isinstance(hx, (tuple, list)):
            raise ValueError(f"the {kind.upper()}'s state is one tensor h0, not a pair")
        pairs = [("h0", hx, shape_h)]
    out = []
    for name, s, shape in pairs:
        if s is None:
            out.append(like.new_zeros(shape))
            continue
        want = shape if batched else (shape[0], shape[2])
        if not torch.is_tensor(s) or s.dtype != like.dtype or s.device != like.device:
            raise ValueError(f"{name} must be a tensor of x's dtype {like.dtype} on {like.device}, got "
                             f"{getattr(s, 'dtype', type(s).__name__)}")
        if shape_of(s) != want:
            raise ValueError(f"{name} must have shape {want} (num_layers*num_directions, "
                             f"{'N, ' if batched else ''}hidden), got {shape_of(s)}")
        check_finite(s, name)
        out.append(s if batched else s.unsqueeze(1))
    return out[0], (out[1] if kind == "lstm" else None)


# ---------------------------------------------------------------- the functional forms
def _sequence(kind, x, hx, params, *, nonlinearity="tanh", num_layers=1, bidirectional=False,
              batch_first=False, lengths=None, dropout=0.0, training=False, rng=None, proj_size=0, fused=False):
    """Shared front end: checks, layouts (packed, batch_first, unbatched), then ``_fused`` or ``_unfused``."""
    _check_options(kind, num_layers, dropout, nonlinearity, proj_size)
    input_size, hidden_size, bias = _sizes(kind, params, num_layers, bidirectional, proj_size)
    packed = x if isinstance(x, PackedSequence) else None
    if packed is not None:
        if lengths is not None:
            raise ValueError("give lengths or a PackedSequence, not both")
        data, batched, batch = packed.data, True, int(packed.batch_sizes[0])  # data: (sum of lengths, I)
    else:
        if not torch.is_tensor(x):
            raise ValueError(f"x must be a torch tensor or a PackedSequence, got {type(x).__name__}")
        check_rank(x, "x", (2, 3))
        batched = x.ndim == 3
        x = (x.transpose(0, 1) if batch_first else x) if batched else x.unsqueeze(1)  # (T, N, I)
        data, batch = x, x.shape[1]
    _check_input(data, input_size, params)
    if lengths is not None:
        if not batched:
            raise ValueError("lengths needs batched input (T, N, I) or (N, T, I)")
        lengths = _lengths(lengths, batch, x.shape[0])
    directions = 2 if bidirectional else 1
    shape_h = (num_layers * directions, batch, proj_size or hidden_size)
    h0, c0 = _states(kind, hx, batched, shape_h, shape_h[:2] + (hidden_size,), data)
    opts = dict(nonlinearity=nonlinearity, num_layers=num_layers, bidirectional=bidirectional, bias=bias,
                dropout=dropout, training=training, rng=rng, proj_size=proj_size)
    if packed is not None and fused:  # straight to the kernel, as torch.nn does
        output, h_n, c_n = _fused_packed(kind, packed, h0, c0, params, opts)
        return PackedSequence(output, *packed[1:]), ((h_n, c_n) if kind == "lstm" else h_n)
    if packed is not None:
        x, lengths = pad_packed_sequence(packed)  # (T, N, I), the caller's batch order
    output, h_n, c_n = (_fused if fused else _unfused)(kind, x, h0, c0, params, opts, lengths)
    state = (h_n, c_n) if kind == "lstm" else h_n
    if packed is not None:
        return _repack(output, lengths, packed), state
    if not batched:
        return output.squeeze(1), (tuple(s.squeeze(1) for s in state) if kind == "lstm" else state.squeeze(1))
    return (output.transpose(0, 1) if batch_first else output), state


def _check_input(x, input_size, params):
    """x's features, at least one step, finite values, and the parameters' dtype and device."""
    if x.shape[-1] != input_size:
        raise ValueError(f"input size mismatch: x has {x.shape[-1]} features, weight_ih_l0 expects {input_size}")
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one time step")
    check_finite(x, "x")
    for name, p in params.items():
        if not torch.is_tensor(p) or p.dtype != x.dtype or p.device != x.device:
            raise ValueError(f"x is {x.dtype} on {x.device} but {name} is "
                             f"{getattr(p, 'dtype', type(p).__name__)} on {getattr(p, 'device', '-')}: "
                             f"convert one to match (e.g. x.to(layer.weight_ih_l0))")


def _repack(output, lengths, like):
    """``output`` (T, N, F) in original batch order packed exactly as ``like`` (same batch_sizes, indices)."""
    order = like.sorted_indices
    sorted_out = output if order is None else output[:, order]
    sorted_len = lengths if order is None else lengths[order.cpu()]
    data = pack_padded_sequence(sorted_out, sorted_len, enforce_sorted=True).data
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)


def rnn(x, h0, params, *, nonlinearity="tanh", num_layers=1, bidirectional=False, batch_first=False,
        lengths=None, dropout=0.0, training=False, rng=None):
    """An Elman RNN over a sequence (``torch.nn.RNN``); returns (output, h_n). See the module docstring."""
    return _sequence("rnn", x, h0, params, nonlinearity=nonlinearity, num_layers=num_layers,
                     bidirectional=bidirectional, batch_first=batch_first, lengths=lengths, dropout=dropout,
                     training=training, rng=rng)


def lstm(x, hc0, params, *, num_layers=1, bidirectional=False, batch_first=False, lengths=None, dropout=0.0,
         training=False, rng=None, proj_size=0):
    """An LSTM over a sequence (``torch.nn.LSTM``); ``hc0`` is (h0, c0) or None; returns (output, (h_n, c_n))."""
    return _sequence("lstm", x, hc0, params, num_layers=num_layers, bidirectional=bidirectional,
                     batch_first=batch_first, lengths=lengths, dropout=dropout, training=training, rng=rng,
                     proj_size=proj_size)


def gru(x, h0, params, *, num_layers=1, bidirectional=False, batch_first=False, lengths=None, dropout=0.0,
        training=False, rng=None):
    """A GRU over a sequence (``torch.nn.GRU``); returns (output, h_n). See the module docstring."""
    return _sequence("gru", x, h0, params, num_layers=num_layers, bidirectional=bidirectional,
                     batch_first=batch_first, lengths=lengths, dropout=dropout, training=training, rng=rng)


# ---------------------------------------------------------------- the layers
class _Sequence(torch.nn.Module):
    """Parameters under torch's names, drawn from a NumPy ``rng`` as the NumPy twin draws them
    (U(-k, k), k = 1/sqrt(hidden_size), in torch's order). ``fused`` (also settable later) runs torch's
    kernel on the same parameters instead of the step-by-step code."""

    kind = None

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, *, nonlinearity="tanh", proj_size=0, rng=None, dtype=None, device=None,
                 fused=False):
        super().__init__()
        _check_options(self.kind, num_layers, dropout, nonlinearity, proj_size)
        if dropout > 0 and num_layers == 1:  # as torch.nn warns: the option does nothing with one layer
            warnings.warn(f"dropout acts only between layers, so dropout={dropout} with num_layers=1 has no "
                          f"effect", UserWarning, stacklevel=3)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size, self.fused = bidirectional, proj_size, fused
        self.nonlinearity = nonlinearity
        dtype = torch.get_default_dtype() if dtype is None else dtype
        device = default_device() if device is None else device
        values = sequence_init(self.kind, input_size, hidden_size, num_layers, bias, bidirectional, proj_size, rng)
        for name, value in values.items():
            setattr(self, name, torch.nn.Parameter(as_tensor(value, dtype, device)))

    def forward(self, x, hx=None, lengths=None):
        """(output, h_n), or (output, (h_n, c_n)) for the LSTM, as torch.nn's layer returns them;
        ``x`` may be a PackedSequence (then so is the output)."""
        return _sequence(self.kind, x, hx, dict(self.named_parameters()), nonlinearity=self.nonlinearity,
                         num_layers=self.num_layers, bidirectional=self.bidirectional,
                         batch_first=self.batch_first, lengths=lengths, dropout=self.dropout,
                         training=self.training, proj_size=self.proj_size, fused=self.fused)

    def flatten_parameters(self):
        """No-op, for code written against torch.nn (the parameters stay separate tensors)."""

    def extra_repr(self):
        extra = [f"num_layers={self.num_layers}"] if self.num_layers != 1 else []
        extra += [f"{name}={getattr(self, name)!r}" for name, default in
                  (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False),
                   ("proj_size", 0), ("fused", False)) if getattr(self, name) != default]
        return ", ".join([f"{self.input_size}, {self.hidden_size}"] + extra)


class RNN(_Sequence):
    """An Elman RNN like ``torch.nn.RNN`` (same signature, nonlinearity fourth), plus rng / fused."""

    kind = "rnn"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, *, rng=None, dtype=None, device=None, fused=False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         nonlinearity=nonlinearity, rng=rng, dtype=dtype, device=device, fused=fused)

    def extra_repr(self):
        return super().extra_repr() + (f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh"
                                       else "")


class LSTM(_Sequence):
    """An LSTM like ``torch.nn.LSTM`` (same signature, with proj_size), plus rng / fused."""

    kind = "lstm"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, *, rng=None, dtype=None, device=None, fused=False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size=proj_size, rng=rng, dtype=dtype, device=device, fused=fused)


class GRU(_Sequence):
    """A GRU like ``torch.nn.GRU`` (same signature), plus rng / fused."""

    kind = "gru"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, *, rng=None, dtype=None, device=None, fused=False):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         rng=rng, dtype=dtype, device=device, fused=fused)


def layer_class(kind):
    """The sequence layer for ``kind``: "rnn" → :class:`RNN`, "lstm" → :class:`LSTM`, "gru" → :class:`GRU`."""
    layers = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
    if kind not in layers:
        raise ValueError(f"cell must be one of {sorted(layers)}, got {kind!r}")
    return layers[kind]


def detach_state(state):
    """The state (h, or a tuple such as (h, c)) cut from its graph, for truncated backpropagation through
    time: the next chunk starts from the same values but gradients stop here."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()
