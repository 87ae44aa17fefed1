"""Recurrent cells (RNN tanh/relu, LSTM, GRU), one time step: the NumPy reference and the PyTorch twin
against torch.nn.RNNCell / LSTMCell / GRUCell (values and every gradient, float64, via autograd), the
NumPy backward passes against finite differences, state dicts both ways, initialization, and the errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import companion.np as cnp
import companion.torch as ctorch
from tests.finite_differences import entrywise_rel_error, numerical_gradient

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
NP_FORWARD = {"rnn": cnp.rnn_cell_forward, "lstm": cnp.lstm_cell_forward, "gru": cnp.gru_cell_forward}
NP_BACKWARD = {"rnn": cnp.rnn_cell_backward, "lstm": cnp.lstm_cell_backward, "gru": cnp.gru_cell_backward}
TORCH_FN = {"rnn": ctorch.rnn_cell, "lstm": ctorch.lstm_cell, "gru": ctorch.gru_cell}
TORCH_FORWARD = {"rnn": ctorch.rnn_cell_forward, "lstm": ctorch.lstm_cell_forward, "gru": ctorch.gru_cell_forward}
TORCH_BACKWARD = {"rnn": ctorch.rnn_cell_backward, "lstm": ctorch.lstm_cell_backward,
                  "gru": ctorch.gru_cell_backward}
NN_CELL = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}
NP_CELL = {"rnn": cnp.RNNCell, "lstm": cnp.LSTMCell, "gru": cnp.GRUCell}
TORCH_CELL = {"rnn": ctorch.RNNCell, "lstm": ctorch.LSTMCell, "gru": ctorch.GRUCell}
CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)]
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _opts(nonlinearity):
    return {} if nonlinearity is None else {"nonlinearity": nonlinearity}


def _problem(kind, batch, input_size, hidden, bias, seed):
    """Random float64 parameters, input, states (h, or h and c) and output gradients (one per output)."""
    rng = np.random.default_rng(seed)
    rows = GATES[kind] * hidden
    params = {"weight_ih": rng.normal(0, 0.6, (rows, input_size)), "weight_hh": rng.normal(0, 0.6, (rows, hidden))}
    if bias:
        params.update(bias_ih=rng.normal(0, 0.5, rows), bias_hh=rng.normal(0, 0.5, rows))
    lead = () if batch is None else (batch,)
    x = rng.normal(size=lead + (input_size,))
    states = [rng.normal(size=lead + (hidden,)) for _ in range(2 if kind == "lstm" else 1)]
    douts = [rng.normal(size=lead + (hidden,)) for _ in states]
    return params, x, states, douts


def _pack(kind, states):
    """The state argument as the cells take it: h, or (h, c) for the LSTM."""
    return tuple(states) if kind == "lstm" else states[0]


def _np_run(kind, nonlinearity, params, x, state_arg, douts):
    """NumPy forward and backward; returns (outputs list, [dx, dstates..., dparams...])."""
    args = [params.get(n) for n in NAMES]
    out, cache = NP_FORWARD[kind](x, state_arg, *args, **_opts(nonlinearity))
    grads = NP_BACKWARD[kind](tuple(douts) if kind == "lstm" else douts[0], cache)
    outs = list(out) if kind == "lstm" else [out]
    dstates = list(grads[1]) if kind == "lstm" else [grads[1]]
    return outs, [grads[0], *dstates, *grads[2:]]


def _torch_nn_run(kind, nonlinearity, params, x, states, douts):
    """torch.nn.*Cell loaded with ``params`` (a strict state dict), autograd for every gradient."""
    cell = NN_CELL[kind](x.shape[-1], states[0].shape[-1], bias="bias_ih" in params, **_opts(nonlinearity),
                          dtype=torch.float64)
    cell.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    xt = torch.tensor(x, requires_grad=True)
    st_t = [torch.tensor(s, requires_grad=True) for s in states]
    out = cell(xt, _pack(kind, st_t))
    outs = list(out) if kind == "lstm" else [out]
    torch.autograd.backward(outs, [torch.tensor(d) for d in douts])
    pgrads = [getattr(cell, n).grad.numpy() if n in params else None for n in NAMES]
    return [o.detach().numpy() for o in outs], [xt.grad.numpy(), *[s.grad.numpy() for s in st_t], *pgrads]


def _close(a, b, rtol=1e-10, atol=1e-12):
    assert (a is None) == (b is None)
    if a is not None:
        a = a.detach().cpu().numpy() if torch.is_tensor(a) else a
        b = b.detach().cpu().numpy() if torch.is_tensor(b) else b
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(CASES), batch=st.one_of(st.none(), st.integers(1, 4)), input_size=st.integers(1, 5),
       hidden=st.integers(1, 5), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_values_and_all_gradients_match_torch_nn(case, batch, input_size, hidden, bias, seed):
    kind, nonlinearity = case
    params, x, states, douts = _problem(kind, batch, input_size, hidden, bias, seed)
    outs, grads = _np_run(kind, nonlinearity, params, x, _pack(kind, states), douts)
    ref_outs, ref_grads = _torch_nn_run(kind, nonlinearity, params, x, states, douts)
    for a, b in zip(outs + grads, ref_outs + ref_grads):
        _close(a, b)

    # the PyTorch twin: its function against torch.nn's values, its forward/backward against the grads
    t = {k: torch.tensor(v) for k, v in params.items()}
    targs = [t.get(n) for n in NAMES]
    tstates = [torch.tensor(s) for s in states]
    tout = TORCH_FN[kind](torch.tensor(x), _pack(kind, tstates), *targs, **_opts(nonlinearity))
    for a, b in zip(list(tout) if kind == "lstm" else [tout], ref_outs):
        _close(a, b)
    tout, cache = TORCH_FORWARD[kind](torch.tensor(x), _pack(kind, tstates), *targs, **_opts(nonlinearity))
    tdouts = [torch.tensor(d) for d in douts]
    tg = TORCH_BACKWARD[kind](tuple(tdouts) if kind == "lstm" else tdouts[0], cache)
    tgrads = [tg[0], *(tg[1] if kind == "lstm" else [tg[1]]), *tg[2:]]
    for a, b in zip(tgrads, grads):
        _close(a, b)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
@pytest.mark.parametrize("batch", [None, 3])
def test_missing_state_is_zeros_in_both_backends_and_torch_nn(kind, nonlinearity, batch):
    params, x, states, douts = _problem(kind, batch, 3, 4, True, 7)
    zeros = [np.zeros_like(s) for s in states]
    outs, grads = _np_run(kind, nonlinearity, params, x, None, douts)
    ref_outs, ref_grads = _np_run(kind, nonlinearity, params, x, _pack(kind, zeros), douts)
    cell = NN_CELL[kind](3, 4, **_opts(nonlinearity), dtype=torch.float64)
    cell.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    nn_out = cell(torch.tensor(x))  # torch's own default state
    for a, b, c in zip(outs, ref_outs, list(nn_out) if kind == "lstm" else [nn_out]):
        _close(a, b)
        _close(a, c)
    for a, b in zip(grads, ref_grads):
        _close(a, b)
    tout = TORCH_FN[kind](torch.tensor(x), None, *[torch.tensor(params[n]) for n in NAMES], **_opts(nonlinearity))
    for a, b in zip(list(tout) if kind == "lstm" else [tout], outs):
        _close(a, b)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [None, 2])
def test_numpy_backward_matches_finite_differences(kind, nonlinearity, bias, batch):
    params, x, states, douts = _problem(kind, batch, 3, 2, bias, 11)
    if nonlinearity == "relu":  # keep pre-activations away from relu's kink, where differences are one-sided
        x = x * 0.5
    _, grads = _np_run(kind, nonlinearity, params, x, _pack(kind, states), douts)
    inputs = [x, *states, *[params[n] for n in NAMES if n in params]]

    def loss():
        outs, _ = _np_run(kind, nonlinearity, params, x, _pack(kind, states), douts)
        return sum(float(np.sum(o * d)) for o, d in zip(outs, douts))

    for analytic, value in zip([g for g in grads if g is not None], inputs):
        assert entrywise_rel_error(analytic, numerical_gradient(loss, value)) < 1e-6


@pytest.mark.parametrize("kind,nonlinearity", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_layers_load_into_torch_nn_and_back(kind, nonlinearity, bias):
    np_cell = NP_CELL[kind](3, 5, bias, **_opts(nonlinearity), rng=np.random.default_rng(4))
    t_cell = TORCH_CELL[kind](3, 5, bias, **_opts(nonlinearity), rng=np.random.default_rng(4),
                              dtype=torch.float64, device="cpu")
    assert list(np_cell.parameters()) == list(t_cell.state_dict())
    for name, value in np_cell.parameters().items():
        _close(value, t_cell.state_dict()[name], rtol=0, atol=0)  # same draws from the same seed
    ref = NN_CELL[kind](3, 5, bias, **_opts(nonlinearity)).double()
    ref.load_state_dict({k: torch.tensor(v) for k, v in np_cell.parameters().items()})  # strict: same names
    back = TORCH_CELL[kind](3, 5, bias, **_opts(nonlinearity), rng=np.random.default_rng(99),
                            dtype=torch.float64, device="cpu")
    back.load_state_dict(ref.state_dict())
    x = np.random.default_rng(5).normal(size=(4, 3))
    ours, theirs, twin = np_cell(x), ref(torch.tensor(x)), back(torch.tensor(x))
    for a, b, c in zip(*[list(o) if kind == "lstm" else [o] for o in (ours, theirs, twin)]):
        _close(a, b)
        _close(a, c)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_layer_backward_fills_grads_like_torch_nn(kind, nonlinearity):
    np_cell = NP_CELL[kind](2, 3, **_opts(nonlinearity), rng=np.random.default_rng(1))
    params, x, states, douts = _problem(kind, 2, 2, 3, True, 3)
    np_cell.forward(x, _pack(kind, states))
    dx, dstate = np_cell.backward(tuple(douts) if kind == "lstm" else douts[0])
    ref_outs, ref_grads = _torch_nn_run(kind, nonlinearity, np_cell.parameters(), x, states, douts)
    _close(dx, ref_grads[0])
    for a, b in zip(dstate if kind == "lstm" else [dstate], ref_grads[1:]):
        _close(a, b)
    for name, b in zip(NAMES, ref_grads[-4:]):
        _close(np_cell.grads[name], b)
    with pytest.raises(RuntimeError, match="before forward"):
        NP_CELL[kind](2, 3, rng=np.random.default_rng(0)).backward(douts[0])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_initialization_is_torchs_uniform_bound(kind):
    hidden = 16
    params = NP_CELL[kind](8, hidden, rng=np.random.default_rng(0)).parameters()
    everything = np.concatenate([p.ravel() for p in params.values()])
    bound = 1 / np.sqrt(hidden)
    assert np.abs(everything).max() <= bound
    assert everything.max() > 0.95 * bound and everything.min() < -0.95 * bound
    assert abs(everything.std() - bound / np.sqrt(3)) < 0.1 * bound  # U(-k, k) has std k / sqrt(3)
    assert params["weight_ih"].shape == (GATES[kind] * hidden, 8)
    assert params["weight_hh"].shape == (GATES[kind] * hidden, hidden)


def _args(kind, input_size=3, hidden=4, batch=2):
    params, x, states, _ = _problem(kind, batch, input_size, hidden, True, 0)
    return x, states, [params[n] for n in NAMES]


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_errors_are_clear_in_both_backends_and_torch_raises_too(kind):
    x, states, weights = _args(kind)
    bad = {
        "input size mismatch": (np.ones((2, 5)), states),
        "hidden size mismatch": (x, [np.ones((2, 6))] + states[1:]),
        "must be 1-D or 2-D": (np.ones((1, 2, 3)), states),
    }
    nn_cell = NN_CELL[kind](3, 4).double()
    nn_cell.load_state_dict({n: torch.tensor(w) for n, w in zip(NAMES, weights)})
    for message, (bx, bstates) in bad.items():
        with pytest.raises(ValueError, match=message):
            NP_FORWARD[kind](bx, _pack(kind, bstates), *weights)
        tstates = [torch.tensor(s) for s in bstates]
        with pytest.raises(ValueError, match=message):
            TORCH_FN[kind](torch.tensor(bx), _pack(kind, tstates), *[torch.tensor(w) for w in weights])
        with pytest.raises((ValueError, RuntimeError)):
            nn_cell(torch.tensor(bx), _pack(kind, tstates))
    nan_x = x.copy()
    nan_x[0, 0] = np.nan
    for fn, arr in ((NP_FORWARD[kind], lambda a: a), (TORCH_FN[kind], torch.tensor)):
        with pytest.raises(ValueError, match="non-finite"):
            fn(arr(nan_x), _pack(kind, [arr(s) for s in states]), *[arr(w) for w in weights])
        with pytest.raises(ValueError, match="weight_hh must have shape"):
            fn(arr(x), None, arr(weights[0]), arr(weights[1][:, :-1]))
        with pytest.raises(ValueError, match="both be given"):
            fn(arr(x), None, *[arr(w) for w in weights[:3]])
        with pytest.raises(ValueError, match="input_size must be a positive integer"):
            (NP_CELL if fn is NP_FORWARD[kind] else TORCH_CELL)[kind](0, 4)
    with pytest.raises(ValueError, match="output gradient must have shape"):
        _, cache = NP_FORWARD[kind](x, None, *weights)
        NP_BACKWARD[kind]((np.ones((2, 5)), None) if kind == "lstm" else np.ones((2, 5)), cache)


def test_unknown_nonlinearity_is_refused_like_torch():
    x, states, weights = _args("rnn")
    for make in (cnp.RNNCell, ctorch.RNNCell):  # ours refuse at construction; torch.nn at the first step
        with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
            make(3, 4, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="Unknown nonlinearity"):
        torch.nn.RNNCell(3, 4, nonlinearity="sigmoid")(torch.ones(2, 3))
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        cnp.rnn_cell(x, states[0], *weights, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        ctorch.rnn_cell(torch.tensor(x), None, *[torch.tensor(w) for w in weights], nonlinearity="sigmoid")


def test_an_lstm_state_that_is_not_a_pair_is_named_in_both_backends():
    """One stacked (2, H) array for an unbatched step would otherwise unpack into h and c without a word."""
    x, states, weights = _args("lstm")
    stacked = np.stack([states[0][0], states[1][0]])  # (2, H): one array, not the pair (h, c)
    for fn, arr in ((cnp.lstm_cell, lambda a: a), (ctorch.lstm_cell, torch.tensor)):
        with pytest.raises(ValueError, match=r"must be a pair \(h, c\) or None, got .* of shape \(2, 4\)"):
            fn(arr(x[0]), arr(stacked), *[arr(w) for w in weights])
    _, cache = cnp.lstm_cell_forward(x, None, *weights)
    with pytest.raises(ValueError, match="gradient must be a pair"):
        cnp.lstm_cell_backward(np.ones((2, 4)), cache)
