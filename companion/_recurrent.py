"""Checks and initialization shared by both backends' recurrent cells (RNN, LSTM, GRU).

Layouts are torch's: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih and bias_hh (G·H,), with
G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n). The checks read shapes and values
only, so they work on NumPy arrays and torch tensors alike.
"""

import numpy as np

from companion._validate import check_choice, check_finite, check_positive_int, check_rank, shape_of

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
NONLINEARITIES = ("tanh", "relu")


def check_nonlinearity(nonlinearity):
    check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)


def check_cell_args(kind, x, weight_ih, weight_hh, bias_ih=None, bias_hh=None, states=()):
    """Raise ValueError unless the shapes fit one step of a ``kind`` cell and every value is finite.

    ``states`` is a sequence of (name, array or None) for h (and c); None states are not checked.
    Returns (batched, hidden_size).
    """
    gates = GATES[kind]
    check_rank(x, "x", (1, 2))
    check_rank(weight_ih, "weight_ih", (2,))
    check_rank(weight_hh, "weight_hh", (2,))
    rows, hidden = shape_of(weight_hh)
    if rows != gates * hidden:
        raise ValueError(f"weight_hh must have shape ({gates}*hidden_size, hidden_size) for a {kind} cell, "
                         f"got {shape_of(weight_hh)}")
    if shape_of(weight_ih)[0] != rows:
        raise ValueError(f"weight_ih must have {rows} rows ({gates}*hidden_size), got shape {shape_of(weight_ih)}")
    if shape_of(x)[-1] != shape_of(weight_ih)[1]:
        raise ValueError(f"input size mismatch: x has {shape_of(x)[-1]} features, weight_ih expects "
                         f"{shape_of(weight_ih)[1]}")
    if (bias_ih is None) != (bias_hh is None):
        raise ValueError("bias_ih and bias_hh must both be given or both be None")
    for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if b is not None and shape_of(b) != (rows,):
            raise ValueError(f"{name} must have shape ({rows},), got {shape_of(b)}")
    batched = x.ndim == 2
    want = (shape_of(x)[0], hidden) if batched else (hidden,)
    for name, s in states:
        if s is not None and shape_of(s) != want:
            raise ValueError(f"hidden size mismatch: {name} must have shape {want} for x of shape "
                             f"{shape_of(x)}, got {shape_of(s)}")
    for name, a in (("x", x), ("weight_ih", weight_ih), ("weight_hh", weight_hh), ("bias_ih", bias_ih),
                    ("bias_hh", bias_hh)) + tuple(states):
        if a is not None:
            check_finite(a, name)
    return batched, hidden


def state_pair(state, what="state", names="(h, c)"):
    """An LSTM's state (or its gradient) as a pair: (None, None) for None, else the two entries; anything but
    a tuple or list of two (e.g. h alone, or one stacked array) raises a ValueError saying so."""
    if state is None:
        return None, None
    if not isinstance(state, (tuple, list)) or len(state) != 2:
        shape = f" of shape {tuple(state.shape)}" if hasattr(state, "shape") else ""
        raise ValueError(f"the LSTM's {what} must be a pair {names} or None, got {type(state).__name__}{shape}")
    return tuple(state)


def cell_init(kind, input_size, hidden_size, bias=True, rng=None, dtype=np.float64):
    """torch's default cell initialization drawn with NumPy: every parameter ~ U(-k, k), k = 1/sqrt(H).

    Draws in torch's parameter order weight_ih, weight_hh, bias_ih, bias_hh; returns them as a dict
    (without the biases when ``bias`` is False).
    """
    check_positive_int(input_size, "input_size")
    check_positive_int(hidden_size, "hidden_size")
    rng = np.random if rng is None else rng
    k = 1.0 / np.sqrt(hidden_size)
    rows = GATES[kind] * hidden_size
    shapes = {"weight_ih": (rows, input_size), "weight_hh": (rows, hidden_size)}
    if bias:
        shapes.update(bias_ih=(rows,), bias_hh=(rows,))
    return {name: rng.uniform(-k, k, size=shape).astype(dtype) for name, shape in shapes.items()}


def param_names(num_layers=1, bidirectional=False, bias=True, proj_size=0):
    """``torch.nn.RNN`` / ``LSTM`` / ``GRU``'s parameter names, in torch's order.

    For each layer l and direction (suffix "" then "_reverse"): weight_ih_l{l}, weight_hh_l{l},
    bias_ih_l{l}, bias_hh_l{l} (with ``bias``), weight_hr_l{l} (LSTM with ``proj_size`` > 0).
    """
    names = []
    for layer in range(num_layers):
        for suffix in ("", "_reverse")[: 2 if bidirectional else 1]:
            stems = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
            stems += ["weight_hr"] if proj_size else []
            names += [f"{stem}_l{layer}{suffix}" for stem in stems]
    return names


def param_shapes(kind, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False, proj_size=0):
    """{name: shape} for a ``kind`` sequence layer, as torch lays it out (see ``param_names``).

    Layer 0 reads ``input_size`` features; deeper layers read the previous layer's output, of
    num_directions * (proj_size or hidden_size) features. weight_hh is (G·H, proj_size or H).
    """
    check_positive_int(input_size, "input_size")
    check_positive_int(hidden_size, "hidden_size")
    check_positive_int(num_layers, "num_layers")
    if proj_size and kind != "lstm":
        raise ValueError("proj_size is only supported by the LSTM")
    if not 0 <= proj_size < hidden_size:
        raise ValueError(f"proj_size must be >= 0 and smaller than hidden_size, got {proj_size}")
    rows, out = GATES[kind] * hidden_size, proj_size or hidden_size
    directions = 2 if bidirectional else 1
    shapes = {}
    for name in param_names(num_layers, bidirectional, bias, proj_size):
        stem, layer = name.split("_l")[0], int(name.split("_l")[1].split("_")[0])
        width = input_size if layer == 0 else directions * out
        shapes[name] = {"weight_ih": (rows, width), "weight_hh": (rows, out), "bias_ih": (rows,),
                        "bias_hh": (rows,), "weight_hr": (proj_size, hidden_size)}[stem]
    return shapes


def sequence_init(kind, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False, proj_size=0,
                  rng=None, dtype=np.float64):
    """torch's default initialization of a sequence layer drawn with NumPy: every parameter ~ U(-k, k),
    k = 1/sqrt(hidden_size), drawn in torch's parameter order; returns {name: array}."""
    shapes = param_shapes(kind, input_size, hidden_size, num_layers, bias, bidirectional, proj_size)
    rng = np.random if rng is None else rng
    k = 1.0 / np.sqrt(hidden_size)
    return {name: rng.uniform(-k, k, size=shape).astype(dtype) for name, shape in shapes.items()}


def _expected_params(kind, params, num_layers, bidirectional, proj_size):
    """Read input_size, hidden_size and bias off layer 0's arrays; return (shapes torch expects, hidden_size)."""
    for name in ("weight_ih_l0", "weight_hh_l0"):
        if name not in params:
            raise ValueError(f"params is missing {name!r} (names as in torch.nn.{kind.upper()}'s state dict)")
        check_rank(params[name], name, (2,))
    rows, input_size = shape_of(params["weight_ih_l0"])
    if rows % GATES[kind]:
        raise ValueError(f"weight_ih_l0 must have {GATES[kind]}*hidden_size rows for a {kind}, got {rows}")
    hidden = rows // GATES[kind]
    shapes = param_shapes(kind, input_size, hidden, num_layers, "bias_ih_l0" in params, bidirectional, proj_size)
    return shapes, hidden


def check_sequence_args(kind, x, params, num_layers, bidirectional, proj_size, dropout, states=()):
    """Raise ValueError unless x, the parameters and the initial states fit a ``kind`` sequence layer.

    x: (T, N, I) (already time-major) or unbatched (T, I); params {torch name: array}; ``states`` is
    (("h0", array or None),) or with ("c0", ...) too: h0 is (L·D, N, proj_size or H), c0 (L·D, N, H), without
    N when unbatched. Returns (batched, hidden_size).
    """
    check_positive_int(num_layers, "num_layers")
    check_dropout(dropout)
    check_rank(x, "x", (2, 3))
    if shape_of(x)[0] == 0:
        raise ValueError("x must have at least one time step")
    shapes, hidden = _expected_params(kind, params, num_layers, bidirectional, proj_size)
    missing, extra = sorted(set(shapes) - set(params)), sorted(set(params) - set(shapes))
    if missing or extra:
        raise ValueError(f"params do not match a {kind} with num_layers={num_layers}, bidirectional="
                         f"{bidirectional}, proj_size={proj_size}: missing {missing}, unexpected {extra}")
    for name, shape in shapes.items():
        if shape_of(params[name]) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {shape_of(params[name])}")
    if shape_of(x)[-1] != shapes["weight_ih_l0"][1]:
        raise ValueError(f"input size mismatch: x has {shape_of(x)[-1]} features, weight_ih_l0 expects "
                         f"{shapes['weight_ih_l0'][1]}")
    batched = len(shape_of(x)) == 3
    lead = (num_layers * (2 if bidirectional else 1),) + ((shape_of(x)[1],) if batched else ())
    for name, s in states:
        width = hidden if name == "c0" else proj_size or hidden
        if s is not None and shape_of(s) != lead + (width,):
            raise ValueError(f"{name} must have shape {lead + (width,)} (num_layers*num_directions"
                             f"{', batch' if batched else ''}, size), got {shape_of(s)}")
    for name, a in list(params.items()) + [("x", x)] + list(states):
        if a is not None:
            check_finite(a, name)
    return batched, hidden


def check_dropout(dropout):
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating)) or not 0 <= dropout <= 1:
        raise ValueError(f"dropout must be a number in [0, 1] (the probability of zeroing an element), "
                         f"got {dropout!r}")


def step_mask(lengths, steps, batch):
    """The valid steps as a (T, N, 1) boolean array from ``lengths`` (N,) ints in [1, T] or a boolean (N, T)
    mask whose True entries are a prefix of each row; None stays None."""
    if lengths is None:
        return None
    lengths = np.asarray(lengths.detach().cpu() if hasattr(lengths, "detach") else lengths)
    if lengths.dtype == bool:
        if lengths.shape != (batch, steps):
            raise ValueError(f"a boolean mask must have shape (batch, time) = {(batch, steps)}, got {lengths.shape}")
        counts = lengths.sum(axis=1)
        if not np.array_equal(lengths, np.arange(steps) < counts[:, None]):
            raise ValueError("the mask's valid steps must come first in every row (left-aligned, as packing needs)")
        lengths = counts
    if lengths.shape != (batch,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be {batch} integers (one per sequence), got {lengths.dtype} array of "
                         f"shape {lengths.shape}")
    if batch == 0:  # torch's pack_padded_sequence refuses an empty batch too
        raise ValueError("lengths needs at least one sequence, but x has an empty batch (N = 0): call without "
                         "lengths")
    if lengths.min() < 1 or lengths.max() > steps:
        raise ValueError(f"every length must be between 1 and the number of time steps {steps}, got {lengths}")
    return (np.arange(steps)[:, None] < lengths[None, :])[:, :, None]
