"""Recurrent networks over whole sequences, forward and backward through time by hand: ``torch.nn.RNN``,
``LSTM`` and ``GRU`` as functions in NumPy, with torch's parameter names, options and results.

One direction of one layer runs the cell's step (the same step functions the one-step cells in
:mod:`companion.np.recurrent` use) over time: the input side x_t W_ih^T + b_ih of every step is one matrix
product before the loop, so each step multiplies only by W_hh. Layers stack (layer l + 1 reads layer l's
output, with dropout between layers in training mode); a bidirectional layer runs a second direction from
the last step to the first and concatenates the two outputs. With ``lengths`` a step past a sequence's end
leaves its state unchanged and outputs zeros, which is what ``pack_padded_sequence`` followed by
``pad_packed_sequence(total_length=T)`` gives in torch: h_n is each sequence's state at its last valid
step, and the reverse direction starts there. The layers RNN, LSTM and GRU that hold the parameters are in
:mod:`companion.np.recurrent`, beside the cells.

Backpropagation through time walks the steps in the opposite order, carrying dL/dh (and dL/dc) back one
step at a time; the weight gradients are sums over steps, computed after the loop as one product each.
"""

import numpy as np

from companion._recurrent import check_nonlinearity, check_sequence_args, param_names, state_pair, step_mask


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # overflow-free logistic


def _split(a, parts):
    """The gates' column blocks of a (N, parts·H) array, as views (np.split costs more per step)."""
    width = a.shape[1] // parts
    return [a[:, j * width:(j + 1) * width] for j in range(parts)]


# --- one step on a projected input: gi = x W_ih^T + b_ih (+ b_hh for the RNN and LSTM) -------------------

def rnn_step(gi, state, p, nonlinearity="tanh"):
    """h' = tanh(gi + h W_hh^T) (or relu); returns ((h',), saved for :func:`rnn_step_backward`)."""
    a = gi + state[0] @ p["weight_hh"].T
    h_new = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return (h_new,), h_new


def rnn_step_backward(dnew, saved, p, nonlinearity="tanh"):
    """From (dL/dh',) to ((dL/dh,), da, da): da = dh' ⊙ (1 - h'²) (tanh) or dh' ⊙ [h' > 0] (relu) is
    the gradient of both the input and the hidden pre-activation."""
    h_new = saved
    da = dnew[0] * (1 - h_new * h_new) if nonlinearity == "tanh" else dnew[0] * (h_new > 0)
    return (da @ p["weight_hh"],), da, da


def lstm_step(gi, state, p, nonlinearity=None):
    """Gates i, f, g, o from a = gi + h W_hh^T; c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c'), then h' W_hr^T when
    the LSTM projects (``p["weight_hr"]``). Returns ((h', c'), saved)."""
    h, c = state
    hidden = c.shape[1]
    a = gi + h @ p["weight_hh"].T  # (N, 4H) pre-activations
    act = _sigmoid(a)
    act[:, 2 * hidden:3 * hidden] = np.tanh(a[:, 2 * hidden:3 * hidden])  # g is the one tanh gate
    i, f, g, o = _split(act, 4)
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    h_full = o * tc
    w_hr = p.get("weight_hr")
    return (h_full if w_hr is None else h_full @ w_hr.T, c_new), (act, c, tc, h_full)


def lstm_step_backward(dnew, saved, p, nonlinearity=None):
    """From (dL/dh', dL/dc') to ((dL/dh, dL/dc), da, da), da = dL/d(i, f, g, o pre-activations):
    dc'_total = dc' + dh'' ⊙ o ⊙ (1 - tanh²c') with dh'' = dh' W_hr (or dh'); di = dc'_total ⊙ g ⊙ i(1-i),
    df = dc'_total ⊙ c ⊙ f(1-f), dg = dc'_total ⊙ i ⊙ (1-g²), do = dh'' ⊙ tanh c' ⊙ o(1-o);
    dc = dc'_total ⊙ f."""
    act, c, tc, _ = saved
    i, f, g, o = _split(act, 4)
    dh, dc = dnew
    if p.get("weight_hr") is not None:
        dh = dh @ p["weight_hr"]
    dc_total = dc + dh * o * (1 - tc * tc)
    da = np.empty_like(act)
    di, df, dg, do = _split(da, 4)  # views: filling them fills da
    np.multiply(dc_total * g, i * (1 - i), out=di)
    np.multiply(dc_total * c, f * (1 - f), out=df)
    np.multiply(dc_total * i, 1 - g * g, out=dg)
    np.multiply(dh * tc, o * (1 - o), out=do)
    return (da @ p["weight_hh"], dc_total * f), da, da


def gru_step(gi, state, p, nonlinearity=None):
    """r, z = σ(gi_r + gh_r), σ(gi_z + gh_z), n = tanh(gi_n + r ⊙ gh_n), h' = (1 - z) ⊙ n + z ⊙ h, with
    gh = h W_hh^T + b_hh. Returns ((h',), saved)."""
    h = state[0]
    gh = h @ p["weight_hh"].T
    if p.get("bias_hh") is not None:
        gh += p["bias_hh"]
    gi_r, gi_z, gi_n = _split(gi, 3)
    gh_r, gh_z, gh_n = _split(gh, 3)
    r, z = _sigmoid(gi_r + gh_r), _sigmoid(gi_z + gh_z)
    n = np.tanh(gi_n + r * gh_n)
    return ((1 - z) * n + z * h,), (h, r, z, n, gh_n)


def gru_step_backward(dnew, saved, p, nonlinearity=None):
    """From (dL/dh',) to ((dL/dh,), da_ih, da_hh): dn = dh' ⊙ (1 - z), dz = dh' ⊙ (h - n), h's direct
    path dh' ⊙ z; through n's pre-activation (times 1 - n²) the input side gets it whole, the hidden side
    times r, and r gets it times gh_n."""
    h, r, z, n, gh_n = saved
    d = dnew[0]
    dan = d * (1 - z) * (1 - n * n)
    dar = dan * gh_n * r * (1 - r)
    daz = d * (h - n) * z * (1 - z)
    da_ih = np.concatenate([dar, daz, dan], axis=1)
    da_hh = np.concatenate([dar, daz, dan * r], axis=1)
    return (da_hh @ p["weight_hh"] + d * z,), da_ih, da_hh


STEPS = {"rnn": (rnn_step, rnn_step_backward), "lstm": (lstm_step, lstm_step_backward),
         "gru": (gru_step, gru_step_backward)}


def project_input(kind, x, p):
    """gi = x W_ih^T + b_ih for every leading index at once (one matrix product); the RNN and LSTM add b_hh
    here too, since it meets the same sum, while the GRU's b_hh stays inside its step (r multiplies it)."""
    gi = x @ p["weight_ih"].T
    if p.get("bias_ih") is not None:
        gi += p["bias_ih"] if kind == "gru" else p["bias_ih"] + p["bias_hh"]
    return gi


# --- one direction of one layer through time -------------------------------------------------------------

def _direction_forward(kind, x, state, p, mask, reverse, nonlinearity):
    """x (T, N, I), state (h0,) or (h0, c0) as (N, ·) arrays; returns (out (T, N, H_out), final state, cache)."""
    steps, batch = x.shape[:2]
    step = STEPS[kind][0]
    # explicit widths, not -1: an empty batch (N = 0) has nothing to infer them from
    gi = project_input(kind, x.reshape(steps * batch, x.shape[2]), p)
    gi = gi.reshape(steps, batch, gi.shape[1])  # (T, N, G·H)
    h_in = np.empty((steps, batch, state[0].shape[1]), gi.dtype)  # the h each step reads
    out = np.empty_like(h_in)
    saved = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h_in[t] = state[0]
        new, saved[t] = step(gi[t], state, p, nonlinearity)
        if mask is None:
            out[t], state = new[0], new
        else:  # past its length a sequence keeps its state and outputs zeros
            out[t] = new[0] * mask[t]
            state = tuple(np.where(mask[t], a, b) for a, b in zip(new, state))
    return out, state, (kind, x, h_in, saved, p, mask, reverse, nonlinearity)


def _direction_backward(dout, dstate, cache):
    """dout (T, N, H_out) and dL/d(final state) to (dx (T, N, I), dL/d(initial state), {stem: gradient})."""
    kind, x, h_in, saved, p, mask, reverse, nonlinearity = cache
    steps, batch = x.shape[:2]
    back = STEPS[kind][1]
    rows = p["weight_hh"].shape[0]
    da_ih = np.empty((steps, batch, rows), dout.dtype)
    da_hh = da_ih if kind != "gru" else np.empty_like(da_ih)  # the same gradient unless the GRU's r splits it
    dh_new = np.empty_like(dout)  # dL/dh' of each step, for W_hr
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        dnew = (dstate[0] + dout[t],) + dstate[1:]
        if mask is not None:  # a held step passes the state's gradient straight through
            held = tuple(d * ~mask[t] for d in dstate)
            dnew = tuple(d * mask[t] for d in dnew)
        dh_new[t] = dnew[0]
        dstate, da_ih[t], da_t = back(dnew, saved[t], p, nonlinearity)
        if da_hh is not da_ih:
            da_hh[t] = da_t
        if mask is not None:
            dstate = tuple(a + b for a, b in zip(dstate, held))
    flat = lambda a: a.reshape(steps * batch, a.shape[2])  # noqa: E731  (T, N, k) -> (T·N, k), N = 0 too
    grads = {"weight_ih": flat(da_ih).T @ flat(x), "weight_hh": flat(da_hh).T @ flat(h_in)}
    if p.get("bias_ih") is not None:
        grads.update(bias_ih=da_ih.sum(axis=(0, 1)), bias_hh=da_hh.sum(axis=(0, 1)))
    if p.get("weight_hr") is not None:
        grads["weight_hr"] = flat(dh_new).T @ flat(np.stack([s[3] for s in saved]))
    return (flat(da_ih) @ p["weight_ih"]).reshape(x.shape), dstate, grads


# --- layers, directions, batch layout --------------------------------------------------------------------

_SUFFIXES = ("", "_reverse")
_STEMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


def _direction_params(params, layer, direction):
    """{stem: array or None} of one layer and direction, from the torch-named dict."""
    return {stem: params.get(f"{stem}_l{layer}{_SUFFIXES[direction]}") for stem in _STEMS}


def _dropout_mask(shape, p, rng, dtype):
    """Inverted dropout: an element survives with probability 1 - p and is scaled by 1 / (1 - p)."""
    rng = np.random if rng is None else rng
    keep = rng.random(shape) >= p
    return keep.astype(dtype) / (1 - p) if p < 1 else np.zeros(shape, dtype)


def _layout(kind, x, states, params, num_layers, bidirectional, batch_first, lengths, dropout, proj_size):
    """Checks, then everything time-major and batched: (x (T, N, I), states [(L·D, N, width)], mask, batched)."""
    x = np.asarray(x)
    if batch_first and x.ndim == 3:
        x = x.swapaxes(0, 1)  # (N, T, I) -> (T, N, I)
    states = [None if s is None else np.asarray(s) for s in states]
    batched, hidden = check_sequence_args(kind, x, params, num_layers, bidirectional, proj_size, dropout,
                                          list(zip(("h0", "c0"), states)))
    if lengths is not None and not batched:
        raise ValueError("lengths needs batched input (x of shape (T, N, I), or (N, T, I) with batch_first)")
    if not batched:
        x, states = x[:, None], [None if s is None else s[:, None] for s in states]
    dtype = np.result_type(x, params["weight_ih_l0"], np.float32)
    lead = (num_layers * (2 if bidirectional else 1), x.shape[1])
    widths = (proj_size or hidden, hidden)  # h0 and c0
    states = [np.zeros(lead + (w,), dtype) if s is None else s.astype(dtype, copy=False)
              for s, w in zip(states, widths)]
    return x.astype(dtype, copy=False), states, step_mask(lengths, *x.shape[:2]), batched


def _sequence_forward(kind, x, states, params, nonlinearity="tanh", num_layers=1, bidirectional=False,
                      batch_first=False, lengths=None, dropout=0.0, training=False, rng=None, proj_size=0):
    """The shared forward of rnn/lstm/gru_forward; ``states`` is (h0,) or (h0, c0), entries may be None."""
    check_nonlinearity(nonlinearity)
    params = {name: np.asarray(value) for name, value in params.items()}
    layer_in, states, mask, batched = _layout(kind, x, states, params, num_layers, bidirectional, batch_first,
                                              lengths, dropout, proj_size)
    directions = 2 if bidirectional else 1
    finals, caches, drops = [np.empty_like(s) for s in states], [], []
    for layer in range(num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            out, final, cache = _direction_forward(kind, layer_in, tuple(s[k] for s in states),
                                                   _direction_params(params, layer, d), mask, d == 1, nonlinearity)
            outs.append(out)
            caches.append(cache)
            for f, s in zip(finals, final):
                f[k] = s
        layer_in = np.concatenate(outs, axis=2) if directions == 2 else outs[0]  # (T, N, D·H_out)
        drops.append(None)
        if training and dropout > 0 and layer < num_layers - 1:
            drops[-1] = _dropout_mask(layer_in.shape, dropout, rng, layer_in.dtype)
            layer_in = layer_in * drops[-1]
    if not batched:
        layer_in, finals = layer_in[:, 0], [f[:, 0] for f in finals]
    elif batch_first:
        layer_in = layer_in.swapaxes(0, 1)
    cache = (caches, drops, directions, batched, batch_first, layer_in.shape, [f.shape for f in finals])
    return layer_in, tuple(finals), cache


def _incoming(d, shape, name, dtype):
    """An incoming gradient as an array of ``shape``: None means zero."""
    if d is None:
        return np.zeros(shape, dtype)
    d = np.asarray(d)
    if d.shape != shape:
        raise ValueError(f"{name} must have the shape of the forward result {shape}, got {d.shape}")
    return d.astype(dtype, copy=False)  # gradients in the forward's precision


def _sequence_backward(doutput, dfinals, cache):
    """The shared backward: (dx, (dstate0, ...), dparams) in the forward's layout."""
    caches, drops, directions, batched, batch_first, out_shape, final_shapes = cache
    dtype = caches[0][1].dtype
    dout = _incoming(doutput, out_shape, "doutput", dtype)
    dfinals = [_incoming(d, s, n, dtype) for d, s, n in zip(dfinals, final_shapes, ("dh_n", "dc_n"))]
    if not batched:
        dout, dfinals = dout[:, None], [d[:, None] for d in dfinals]
    elif batch_first:
        dout = dout.swapaxes(0, 1)
    dstates0 = [np.empty_like(d) for d in dfinals]
    dparams = {}
    num_layers = len(drops)
    for layer in range(num_layers - 1, -1, -1):
        if drops[layer] is not None:
            dout = dout * drops[layer]
        width = dout.shape[2] // directions
        dx = 0
        for d in range(directions):
            k = layer * directions + d
            dxd, dstate0, grads = _direction_backward(dout[:, :, d * width:(d + 1) * width],
                                                      tuple(f[k] for f in dfinals), caches[k])
            dx = dx + dxd
            for target, g in zip(dstates0, dstate0):
                target[k] = g
            dparams.update({f"{stem}_l{layer}{_SUFFIXES[d]}": g for stem, g in grads.items()})
        dout = dx
    if not batched:
        dout, dstates0 = dout[:, 0], [d[:, 0] for d in dstates0]
    elif batch_first:
        dout = dout.swapaxes(0, 1)
    order = param_names(num_layers, directions == 2, "bias_ih_l0" in dparams, "weight_hr_l0" in dparams)
    return dout, tuple(dstates0), {name: dparams[name] for name in order}  # torch's parameter order


# --- the public functions --------------------------------------------------------------------------------

_SHAPES_DOC = """x: (T, N, I), (N, T, I) with ``batch_first``, or unbatched (T, I). params: {name: array} with
    torch's names (``companion._recurrent.param_names``: weight_ih_l0 (G·H, I), weight_hh_l0 (G·H, H_out),
    bias_ih_l0, bias_hh_l0 (G·H,), ``_reverse`` twins, weight_hr_l0 (P, H) for a projecting LSTM).
    States: (num_layers·num_directions, N, H_out), or without N when unbatched; None means zeros.
    output: (T, N, num_directions·H_out) (batch first with ``batch_first``). ``lengths``: (N,) ints or a
    boolean (N, T) mask of valid steps, left-aligned. ``dropout`` acts between layers only when ``training``,
    with masks drawn from ``rng`` (NumPy's global generator when None)."""


def rnn_forward(x, h0, params, *, nonlinearity="tanh", num_layers=1, bidirectional=False, batch_first=False,
                lengths=None, dropout=0.0, training=False, rng=None):
    """``torch.nn.RNN``: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) per layer and direction.

    Returns ((output, h_n), cache) for :func:`rnn_backward`."""
    output, (h_n,), cache = _sequence_forward("rnn", x, (h0,), params, nonlinearity, num_layers, bidirectional,
                                              batch_first, lengths, dropout, training, rng)
    return (output, h_n), cache


def rnn_backward(doutput, dh_n, cache):
    """From dL/doutput and dL/dh_n (either may be None: zero) to (dx, dh0, dparams)."""
    dx, (dh0,), dparams = _sequence_backward(doutput, (dh_n,), cache)
    return dx, dh0, dparams


def rnn(x, h0, params, **options):
    """The forward outputs (output, h_n) of :func:`rnn_forward`."""
    return rnn_forward(x, h0, params, **options)[0]


def lstm_forward(x, hc0, params, *, num_layers=1, bidirectional=False, batch_first=False, lengths=None,
                 dropout=0.0, training=False, rng=None, proj_size=0):
    """``torch.nn.LSTM`` (gates i, f, g, o; with ``proj_size`` P > 0, h_t = (o_t ⊙ tanh c_t) W_hr^T).

    ``hc0`` is (h0, c0), either entry None, or None; h0 is (L·D, N, P or H), c0 (L·D, N, H).
    Returns ((output, (h_n, c_n)), cache) for :func:`lstm_backward`."""
    h0, c0 = state_pair(hc0, "initial state", "(h0, c0)")
    output, (h_n, c_n), cache = _sequence_forward("lstm", x, (h0, c0), params, "tanh", num_layers, bidirectional,
                                                  batch_first, lengths, dropout, training, rng, proj_size)
    return (output, (h_n, c_n)), cache


def lstm_backward(doutput, dhc_n, cache):
    """From dL/doutput and (dL/dh_n, dL/dc_n) (any of them None: zero) to (dx, (dh0, dc0), dparams)."""
    dx, dhc0, dparams = _sequence_backward(doutput, state_pair(dhc_n, "final state gradient", "(dh_n, dc_n)"),
                                           cache)
    return dx, dhc0, dparams


def lstm(x, hc0, params, **options):
    """The forward outputs (output, (h_n, c_n)) of :func:`lstm_forward`."""
    return lstm_forward(x, hc0, params, **options)[0]


def gru_forward(x, h0, params, *, num_layers=1, bidirectional=False, batch_first=False, lengths=None,
                dropout=0.0, training=False, rng=None):
    """``torch.nn.GRU`` (gates r, z, n, torch's variant with r inside n). Returns ((output, h_n), cache)."""
    output, (h_n,), cache = _sequence_forward("gru", x, (h0,), params, "tanh", num_layers, bidirectional,
                                              batch_first, lengths, dropout, training, rng)
    return (output, h_n), cache


def gru_backward(doutput, dh_n, cache):
    """From dL/doutput and dL/dh_n (either may be None: zero) to (dx, dh0, dparams)."""
    dx, (dh0,), dparams = _sequence_backward(doutput, (dh_n,), cache)
    return dx, dh0, dparams


def gru(x, h0, params, **options):
    """The forward outputs (output, h_n) of :func:`gru_forward`."""
    return gru_forward(x, h0, params, **options)[0]


for _f in (rnn_forward, lstm_forward, gru_forward):
    _f.__doc__ += "\n\n    " + _SHAPES_DOC
