"""NumPy sequence layers (companion.np rnn/lstm/gru and RNN/LSTM/GRU) against torch.nn.RNN / LSTM / GRU with
copied weights in float64: outputs, final states and the gradients of x, the initial states and every
parameter, for every option (layers, directions, batch_first, bias, proj_size, lengths via
pack_padded_sequence, dropout with known masks, unbatched input); finite differences; causality; errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import companion.np as cnp
from companion._recurrent import param_shapes
from tests.finite_differences import entrywise_rel_error, numerical_gradient

FORWARD = {"rnn": cnp.rnn_forward, "lstm": cnp.lstm_forward, "gru": cnp.gru_forward}
BACKWARD = {"rnn": cnp.rnn_backward, "lstm": cnp.lstm_backward, "gru": cnp.gru_backward}
CONVENIENCE = {"rnn": cnp.rnn, "lstm": cnp.lstm, "gru": cnp.gru}
NN = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
LAYER = {"rnn": cnp.RNN, "lstm": cnp.LSTM, "gru": cnp.GRU}
CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)]


def _structure(kind, nonlinearity=None, num_layers=1, bias=True, bidirectional=False, proj_size=0, **_):
    """The constructor options both sides share."""
    opts = {"num_layers": num_layers, "bias": bias, "bidirectional": bidirectional}
    if nonlinearity:
        opts["nonlinearity"] = nonlinearity
    if proj_size:
        opts["proj_size"] = proj_size
    return opts


def _problem(kind, steps, batch, input_size, hidden, seed, num_layers=1, bias=True, bidirectional=False,
             proj_size=0, batch_first=False, lengths=False, **_):
    """Random float64 parameters, input, initial states and incoming gradients shaped as torch wants them."""
    rng = np.random.default_rng(seed)
    shapes = param_shapes(kind, input_size, hidden, num_layers, bias, bidirectional, proj_size)
    params = {name: rng.normal(0, 0.5, shape) for name, shape in shapes.items()}
    lead = (num_layers * (2 if bidirectional else 1),) + (() if batch is None else (batch,))
    widths = [proj_size or hidden] + ([hidden] if kind == "lstm" else [])
    states = [rng.normal(size=lead + (w,)) for w in widths]
    x_shape = (steps, input_size) if batch is None else ((batch, steps) if batch_first else (steps, batch)) + (
        input_size,)
    x = rng.normal(size=x_shape)
    out_width = (2 if bidirectional else 1) * (proj_size or hidden)
    douts = [rng.normal(size=x_shape[:-1] + (out_width,))] + [rng.normal(size=s.shape) for s in states]
    lens = rng.integers(1, steps + 1, size=batch) if lengths and batch is not None else None
    return params, x, states, douts, lens


def _np_options(kind, opts):
    keep = ("nonlinearity", "num_layers", "bidirectional", "batch_first", "proj_size")
    return {k: v for k, v in opts.items() if k in keep and v is not None and not (k == "nonlinearity" and
                                                                                   kind != "rnn")}


def _np_run(kind, params, x, states, douts, lengths=None, **opts):
    """NumPy forward and backward: ([output, h_n(, c_n)], [dx, dh0(, dc0)], dparams)."""
    state_arg = tuple(states) if kind == "lstm" else states[0]
    (output, final), cache = FORWARD[kind](x, state_arg, params, lengths=lengths, **_np_options(kind, opts))
    finals = list(final) if kind == "lstm" else [final]
    dfinal = tuple(douts[1:]) if kind == "lstm" else douts[1]
    dx, dstate0, dparams = BACKWARD[kind](douts[0], dfinal, cache)
    dstates = list(dstate0) if kind == "lstm" else [dstate0]
    return [output] + finals, [dx] + dstates, dparams


def _torch_run(kind, params, x, states, douts, lengths=None, batch_first=False, **opts):
    """The same through torch.nn (packing the batch when lengths are given), gradients by autograd."""
    input_size = params["weight_ih_l0"].shape[1]
    hidden = params["weight_ih_l0"].shape[0] // {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    net = NN[kind](input_size, hidden, batch_first=batch_first, dtype=torch.float64, **_structure(kind, **opts))
    net.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    xt = torch.tensor(x, requires_grad=True)
    st_ = [torch.tensor(s, requires_grad=True) for s in states]
    inp = xt
    if lengths is not None:
        inp = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=batch_first,
                                                      enforce_sorted=False)
    out, final = net(inp, tuple(st_) if kind == "lstm" else st_[0])
    if lengths is not None:
        out = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first,
                                                     total_length=x.shape[1 if batch_first else 0])[0]
    finals = list(final) if kind == "lstm" else [final]
    loss = sum((a * torch.tensor(d)).sum() for a, d in zip([out] + finals, douts))
    loss.backward()
    grads = [xt.grad] + [s.grad for s in st_]
    dparams = {name: p.grad.numpy() for name, p in net.named_parameters()}
    return [a.detach().numpy() for a in [out] + finals], [g.numpy() for g in grads], dparams


def _assert_match(kind, params, x, states, douts, lengths=None, **opts):
    outs, grads, dparams = _np_run(kind, params, x, states, douts, lengths, **opts)
    t_outs, t_grads, t_dparams = _torch_run(kind, params, x, states, douts, lengths, **opts)
    for a, b in zip(outs + grads, t_outs + t_grads):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert list(dparams) == list(t_dparams)  # torch's names in torch's order
    for name in dparams:
        np.testing.assert_allclose(dparams[name], t_dparams[name], rtol=1e-10, atol=1e-12, err_msg=name)


# --- one layer, one direction ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,nonlinearity", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_single_layer_matches_torch(kind, nonlinearity, bias):
    opts = {"nonlinearity": nonlinearity, "bias": bias}
    _assert_match(kind, *_problem(kind, 7, 3, 4, 5, seed=1, **opts)[:4], **opts)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_unbatched_and_batch_first_match_torch(kind, nonlinearity):
    _assert_match(kind, *_problem(kind, 6, None, 3, 4, seed=2)[:4], nonlinearity=nonlinearity)
    opts = {"nonlinearity": nonlinearity, "batch_first": True}
    _assert_match(kind, *_problem(kind, 6, 2, 3, 4, seed=3, **opts)[:4], **opts)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_zero_initial_state_is_the_default(kind, nonlinearity):
    params, x, states, _, _ = _problem(kind, 5, 2, 3, 4, seed=4)
    opts = {} if nonlinearity is None else {"nonlinearity": nonlinearity}
    zeros = tuple(np.zeros_like(s) for s in states)
    given_zeros = CONVENIENCE[kind](x, zeros if kind == "lstm" else zeros[0], params, **opts)
    default = CONVENIENCE[kind](x, None, params, **opts)
    np.testing.assert_array_equal(given_zeros[0], default[0])
    assert np.abs(default[0]).sum() > 0


@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_outputs_before_t_ignore_inputs_after_t(kind, nonlinearity):
    params, x, states, _, _ = _problem(kind, 8, 2, 3, 4, seed=5)
    opts = {} if nonlinearity is None else {"nonlinearity": nonlinearity}
    state_arg = tuple(states) if kind == "lstm" else states[0]
    out = CONVENIENCE[kind](x, state_arg, params, **opts)[0]
    changed = x.copy()
    changed[5:] += 3.0
    out2 = CONVENIENCE[kind](changed, state_arg, params, **opts)[0]
    np.testing.assert_array_equal(out[:5], out2[:5])
    assert np.abs(out[5:] - out2[5:]).max() > 1e-3  # and the later outputs do change


def _finite_difference_check(kind, nonlinearity, seed, **opts):
    """Every NumPy gradient against centred differences of L = Σ output·dout + Σ final·dfinal."""
    params, x, states, douts, lens = _problem(kind, 4, 2, 3, 3, seed=seed, **opts)
    opts = dict(opts, nonlinearity=nonlinearity)
    opts.pop("lengths", None)
    _, grads, dparams = _np_run(kind, params, x, states, douts, lens, **opts)

    def loss():
        outs = _np_run(kind, params, x, states, douts, lens, **opts)[0]
        return sum(float((a * d).sum()) for a, d in zip(outs, douts))

    for array, grad in list(zip([x] + states, grads)) + [(params[n], dparams[n]) for n in params]:
        assert entrywise_rel_error(grad, numerical_gradient(loss, array)) < 1e-6


@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_single_layer_gradients_match_finite_differences(kind, nonlinearity):
    _finite_difference_check(kind, nonlinearity, seed=6)
