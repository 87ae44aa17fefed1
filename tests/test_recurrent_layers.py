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
from tests.finite_differences import numerical_gradient

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
    """The keyword arguments of companion's forward functions among ``opts`` (nonlinearity for the RNN only,
    proj_size only when set)."""
    keep = ("num_layers", "bidirectional", "batch_first") + (("nonlinearity",) if kind == "rnn" else ())
    return {k: v for k, v in opts.items() if (k in keep and v is not None) or (k == "proj_size" and v)}


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
def test_an_empty_batch_gives_empty_results_as_torch_does(kind, nonlinearity):
    """N = 0 sequences: outputs (T, 0, D·H), states (L·D, 0, H), zero gradients, as torch.nn returns them."""
    opts = {"nonlinearity": nonlinearity, "num_layers": 2, "bidirectional": True, "batch_first": True}
    params, x, states, douts, _ = _problem(kind, 4, 0, 3, 5, seed=12, **opts)
    assert x.shape == (0, 4, 3)
    _assert_match(kind, params, x, states, douts, **opts)
    outs, grads, dparams = _np_run(kind, params, x, states, douts, **opts)
    assert outs[0].shape == (0, 4, 10) and grads[0].shape == x.shape
    assert all(not g.any() for g in dparams.values())


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
@pytest.mark.parametrize("num_layers", [1, 3])
def test_outputs_before_t_ignore_inputs_after_t(kind, nonlinearity, num_layers):
    params, x, states, _, _ = _problem(kind, 8, 2, 3, 4, seed=5, num_layers=num_layers)
    opts = {"num_layers": num_layers} if nonlinearity is None else {"nonlinearity": nonlinearity,
                                                                     "num_layers": num_layers}
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

    state_arg = (lambda: tuple(states)) if kind == "lstm" else (lambda: states[0])

    def loss():  # the forward only: each of the hundreds of perturbed evaluations skips the backward
        output, final = CONVENIENCE[kind](x, state_arg(), params, lengths=lens, **_np_options(kind, opts))
        outs = [output] + (list(final) if kind == "lstm" else [final])
        return sum(float((a * d).sum()) for a, d in zip(outs, douts))

    for array, grad in list(zip([x] + states, grads)) + [(params[n], dparams[n]) for n in params]:
        # centred differences carry about 1e-9 of rounding noise (|L| ε / h), so tiny entries get an atol
        np.testing.assert_allclose(grad, numerical_gradient(loss, array), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_single_layer_gradients_match_finite_differences(kind, nonlinearity):
    _finite_difference_check(kind, nonlinearity, seed=6)


# --- every option ------------------------------------------------------------------------------------------

WIDE = [
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 3, "bidirectional": True, "batch_first": True},
    {"num_layers": 2, "bias": False, "bidirectional": True},
    {"lengths": True},
    {"lengths": True, "bidirectional": True, "num_layers": 2, "batch_first": True},
]


@pytest.mark.parametrize("kind,nonlinearity", CASES)
@pytest.mark.parametrize("opts", WIDE)
def test_layers_directions_and_lengths_match_torch(kind, nonlinearity, opts):
    opts = dict(opts, nonlinearity=nonlinearity)
    params, x, states, douts, lens = _problem(kind, 6, 4, 3, 5, seed=7, **opts)
    opts.pop("lengths", None)
    _assert_match(kind, params, x, states, douts, lens, **opts)


@pytest.mark.parametrize("opts", [{}, {"num_layers": 2, "bidirectional": True}, {"lengths": True},
                                  {"bidirectional": True, "lengths": True, "batch_first": True}])
def test_lstm_projection_matches_torch(opts):
    opts = dict(opts, proj_size=2)
    params, x, states, douts, lens = _problem("lstm", 5, 3, 3, 4, seed=8, **opts)
    opts.pop("lengths", None)
    _assert_match("lstm", params, x, states, douts, lens, **opts)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
@pytest.mark.parametrize("opts", [{"num_layers": 2, "bidirectional": True, "lengths": True},
                                  {"bias": False, "batch_first": True}])
def test_wide_gradients_match_finite_differences(kind, nonlinearity, opts):
    _finite_difference_check(kind, nonlinearity, seed=9, **opts)


def test_projected_lstm_gradients_match_finite_differences():
    _finite_difference_check("lstm", None, seed=10, proj_size=2, bidirectional=True, lengths=True)


@settings(max_examples=40, deadline=None)
@given(case=st.sampled_from(CASES), steps=st.integers(1, 5), batch=st.one_of(st.none(), st.integers(1, 4)),
       input_size=st.integers(1, 4), hidden=st.integers(1, 4), num_layers=st.integers(1, 3),
       bidirectional=st.booleans(), batch_first=st.booleans(), bias=st.booleans(), lengths=st.booleans(),
       proj_size=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_any_shape_matches_torch(case, steps, batch, input_size, hidden, num_layers, bidirectional, batch_first,
                                 bias, lengths, proj_size, seed):
    kind, nonlinearity = case
    opts = {"nonlinearity": nonlinearity, "num_layers": num_layers, "bidirectional": bidirectional,
            "batch_first": batch_first, "bias": bias,
            "proj_size": proj_size if kind == "lstm" and proj_size < hidden else 0}
    params, x, states, douts, lens = _problem(kind, steps, batch, input_size, hidden, seed, lengths=lengths, **opts)
    _assert_match(kind, params, x, states, douts, lens, **opts)


@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_lengths_zero_the_padding_and_ignore_it(kind, nonlinearity):
    """A boolean mask equals its lengths; outputs past a length are zero and padding values change nothing."""
    opts = {"nonlinearity": nonlinearity, "bidirectional": True}
    params, x, states, _, lens = _problem(kind, 6, 4, 3, 4, seed=11, lengths=True, **opts)
    lens[0] = 2  # at least one sequence is padded
    np_opts = _np_options(kind, opts)
    state_arg = tuple(states) if kind == "lstm" else states[0]
    by_lengths = CONVENIENCE[kind](x, state_arg, params, lengths=lens, **np_opts)
    mask = np.arange(6)[None, :] < lens[:, None]
    by_mask = CONVENIENCE[kind](x, state_arg, params, lengths=mask, **np_opts)
    padded = x.copy()
    padded[~mask.T] = 1e3
    by_padding = CONVENIENCE[kind](padded, state_arg, params, lengths=lens, **np_opts)
    for result in (by_mask, by_padding):
        np.testing.assert_array_equal(result[0], by_lengths[0])
    assert np.all(by_lengths[0][~mask.T] == 0)
    full = CONVENIENCE[kind](x, state_arg, params, lengths=np.full(4, 6), **np_opts)
    np.testing.assert_allclose(full[0], CONVENIENCE[kind](x, state_arg, params, **np_opts)[0], rtol=0, atol=0)


# --- dropout between layers --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,nonlinearity", CASES)
def test_dropout_masks_between_layers_match_stacked_torch_layers(kind, nonlinearity):
    """In training, layer l + 1 reads layer l's output times a mask from ``rng`` (keep with probability
    1 - p, scaled by 1 / (1 - p), one rng.random draw of the output's shape per boundary); torch's own masks
    come from its generator, so the referee is a stack of one-layer torch modules with our masks."""
    p, layers = 0.4, 3
    opts = {"nonlinearity": nonlinearity, "num_layers": layers, "bidirectional": True}
    params, x, states, douts, _ = _problem(kind, 5, 3, 3, 4, seed=12, **opts)
    state_arg = tuple(states) if kind == "lstm" else states[0]
    np_opts = dict(_np_options(kind, opts), dropout=p, training=True)
    (out, final), cache = FORWARD[kind](x, state_arg, params, rng=np.random.default_rng(5), **np_opts)
    rng = np.random.default_rng(5)
    layer_in = torch.tensor(x, requires_grad=True)
    finals, nets = [], []
    for layer in range(layers):
        net = NN[kind](layer_in.shape[-1], 4, dtype=torch.float64, **_structure(kind, nonlinearity,
                                                                              bidirectional=True))
        net.load_state_dict({name: torch.tensor(params[name.replace("_l0", f"_l{layer}")])
                             for name in net.state_dict()})
        hx = [torch.tensor(s[2 * layer:2 * layer + 2]) for s in states]
        layer_out, final_l = net(layer_in, tuple(hx) if kind == "lstm" else hx[0])
        finals.append(final_l)
        if layer < layers - 1:
            keep = rng.random(layer_out.shape) >= p
            layer_out = layer_out * torch.tensor(keep / (1 - p))
        layer_in, nets = layer_out, nets + [net]
    np.testing.assert_allclose(out, layer_in.detach().numpy(), rtol=1e-10, atol=1e-12)
    h_ref = torch.cat([f[0] if kind == "lstm" else f for f in finals]).detach().numpy()
    np.testing.assert_allclose(final[0] if kind == "lstm" else final, h_ref, rtol=1e-10, atol=1e-12)
    # and the backward pass goes through the same masks
    (layer_in * torch.tensor(douts[0])).sum().backward()
    dparams = BACKWARD[kind](douts[0], None, cache)[2]
    np.testing.assert_allclose(dparams["weight_ih_l0"], nets[0].weight_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dparams["weight_hh_l1_reverse"], nets[1].weight_hh_l0_reverse.grad.numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_dropout_is_off_in_eval_and_gradients_hold_in_training(kind):
    opts = {"num_layers": 2}
    params, x, states, douts, _ = _problem(kind, 4, 2, 3, 3, seed=13, **opts)
    plain = CONVENIENCE[kind](x, None, params, num_layers=2)[0]
    evaluated = CONVENIENCE[kind](x, None, params, num_layers=2, dropout=0.5, training=False)[0]
    trained = CONVENIENCE[kind](x, None, params, num_layers=2, dropout=0.5, training=True,
                                rng=np.random.default_rng(0))[0]
    np.testing.assert_array_equal(plain, evaluated)
    assert np.abs(plain - trained).max() > 1e-3
    # p = 1 drops everything: layer 1 then reads zeros whatever x is
    all_dropped = [CONVENIENCE[kind](a, None, params, num_layers=2, dropout=1.0, training=True)[0]
                   for a in (x, 2 * x)]
    np.testing.assert_array_equal(all_dropped[0], all_dropped[1])
    forward = lambda: FORWARD[kind](x, None, params, num_layers=2, dropout=0.3, training=True,  # noqa: E731
                                    rng=np.random.default_rng(1))
    (out, _), cache = forward()
    dx = BACKWARD[kind](douts[0], None, cache)[0]
    numeric = numerical_gradient(lambda: float((forward()[0][0] * douts[0]).sum()), x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)


# --- the layers --------------------------------------------------------------------------------------------

LAYER_OPTS = [("rnn", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
              ("lstm", {"num_layers": 2, "proj_size": 2, "batch_first": True}),
              ("gru", {"bias": False, "bidirectional": True})]


@pytest.mark.parametrize("kind,opts", LAYER_OPTS)
def test_layers_load_torch_state_dicts_and_match_forward_and_backward(kind, opts):
    ours = LAYER[kind](3, 4, rng=np.random.default_rng(0), **opts)
    net = NN[kind](3, 4, dtype=torch.float64, **opts)
    ours.load_state_dict(net.state_dict())
    assert list(ours.state_dict()) == list(net.state_dict())
    x = np.random.default_rng(1).normal(size=(2, 5, 3))
    xt = torch.tensor(x, requires_grad=True)
    out_t, final_t = net(xt)
    out, final = ours(x)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    flat = lambda f: list(f) if kind == "lstm" else [f]  # noqa: E731
    for a, b in zip(flat(final), flat(final_t)):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    dout = np.random.default_rng(2).normal(size=out.shape)
    (out_t * torch.tensor(dout)).sum().backward()
    dx, dhx = ours.backward(dout)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert list(ours.grads) == list(net.state_dict())
    for name, p in net.named_parameters():
        np.testing.assert_allclose(ours.grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    # torch's repr leaves out the nonlinearity; ours adds it at the end when it is not tanh
    relu = ", nonlinearity='relu'" if opts.get("nonlinearity") == "relu" else ""
    assert repr(ours) == repr(net)[:-1] + relu + ")"
    # and the other way: our parameters load into torch
    back = NN[kind](3, 4, dtype=torch.float64, **opts)
    back.load_state_dict({k: torch.tensor(v) for k, v in LAYER[kind](3, 4, **opts).state_dict().items()})


@pytest.mark.parametrize("kind,opts", LAYER_OPTS)
def test_layer_initialization_is_torchs_default(kind, opts):
    from companion._recurrent import sequence_init
    ours = LAYER[kind](3, 16, rng=np.random.default_rng(3), **opts)
    structure = _structure(kind, **opts)
    structure.pop("nonlinearity", None)
    drawn = sequence_init(kind, 3, 16, rng=np.random.default_rng(3), **structure)
    for name, value in ours.parameters().items():
        np.testing.assert_array_equal(value, drawn[name])
        assert np.abs(value).max() <= 0.25 and value.std() > 0.1  # U(-1/√H, 1/√H), 1/√16 = 0.25


def test_layer_train_eval_and_dropout_warning():
    with pytest.warns(UserWarning, match="dropout"):
        cnp.GRU(3, 4, dropout=0.5)
    layer = cnp.LSTM(3, 4, num_layers=2, dropout=0.5, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(4, 2, 3))
    assert layer.training
    trained = layer(x)[0]
    evaluated = layer.eval()(x)[0]
    assert not layer.training and np.abs(trained - evaluated).max() > 1e-3
    np.testing.assert_array_equal(evaluated, cnp.lstm(x, None, layer.parameters(), num_layers=2)[0])
    assert layer.train().training
    with pytest.raises(RuntimeError, match="before forward"):
        cnp.RNN(3, 4).backward(np.zeros((4, 2, 4)))


def test_layer_forward_takes_states_and_lengths():
    layer = cnp.LSTM(3, 4, batch_first=True, rng=np.random.default_rng(0))
    net = torch.nn.LSTM(3, 4, batch_first=True, dtype=torch.float64)
    net.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    rng = np.random.default_rng(4)
    x, h0, c0, lens = rng.normal(size=(3, 5, 3)), rng.normal(size=(1, 3, 4)), rng.normal(size=(1, 3, 4)), [5, 2, 3]
    out, (h_n, c_n) = layer(x, (h0, c0), lengths=lens)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lens), batch_first=True,
                                                     enforce_sorted=False)
    out_t, (h_t, c_t) = net(packed, (torch.tensor(h0), torch.tensor(c0)))
    out_t = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first=True, total_length=5)[0]
    for a, b in ((out, out_t), (h_n, h_t), (c_n, c_t)):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_float32_stays_float32_and_agrees_with_torch(kind):
    layer = LAYER[kind](3, 4, num_layers=2, rng=np.random.default_rng(0), dtype=np.float32)
    net = NN[kind](3, 4, num_layers=2)
    net.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(6, 2, 3)).astype(np.float32)
    out = layer(x)[0]
    dx, _ = layer.backward(np.ones(out.shape))  # a float64 gradient comes back in float32
    assert out.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    np.testing.assert_allclose(out, net(torch.tensor(x))[0].detach().numpy(), rtol=1e-4, atol=1e-5)


# --- errors ------------------------------------------------------------------------------------------------

def _small(kind="lstm", **opts):
    params, x, states, _, _ = _problem(kind, 4, 2, 3, 5, seed=14, **opts)
    return params, x, states


@pytest.mark.parametrize("call,match", [
    (lambda p, x, s: cnp.lstm(x[0, 0], None, p), "2-D or 3-D"),
    (lambda p, x, s: cnp.lstm(x[..., :2], None, p), "input size mismatch"),
    (lambda p, x, s: cnp.lstm(x[:0], None, p), "at least one time step"),
    (lambda p, x, s: cnp.lstm(x, (s[0][:, :1], None), p), "h0 must have shape"),
    (lambda p, x, s: cnp.lstm(x, (None, s[1][..., :2]), p), "c0 must have shape"),
    (lambda p, x, s: cnp.lstm(x, None, p, num_layers=2), "missing"),
    (lambda p, x, s: cnp.lstm(x, None, p, proj_size=2), "missing"),
    (lambda p, x, s: cnp.lstm(x, None, dict(p, extra=p["bias_ih_l0"])), "unexpected"),
    (lambda p, x, s: cnp.lstm(x, None, {k: v for k, v in p.items() if k != "weight_ih_l0"}), "weight_ih_l0"),
    (lambda p, x, s: cnp.lstm(x, None, dict(p, bias_hh_l0=p["bias_hh_l0"][:3])), "bias_hh_l0 must have shape"),
    (lambda p, x, s: cnp.lstm(x, None, p, lengths=[5, 1]), "between 1 and"),
    (lambda p, x, s: cnp.lstm(x, None, p, lengths=[0, 1]), "between 1 and"),
    (lambda p, x, s: cnp.lstm(x, None, p, lengths=[1, 2, 3]), "lengths must be 2 integers"),
    (lambda p, x, s: cnp.lstm(x, None, p, lengths=[1.5, 2.0]), "integers"),
    (lambda p, x, s: cnp.lstm(x, None, p, lengths=np.array([[1, 0, 1, 0], [1, 1, 0, 0]], bool)), "left-aligned"),
    (lambda p, x, s: cnp.lstm(x, None, p, lengths=np.ones((2, 3), bool)), "boolean mask must have shape"),
    (lambda p, x, s: cnp.lstm(x[:, 0], None, p, lengths=[2]), "batched"),
    (lambda p, x, s: cnp.lstm(x, None, p, dropout=1.5), "dropout"),
    (lambda p, x, s: cnp.lstm(np.where(x > 1, np.nan, x), None, p), "finite"),
    (lambda p, x, s: cnp.LSTM(3, 4, proj_size=4), "proj_size"),
    (lambda p, x, s: cnp.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity"),
    (lambda p, x, s: cnp.GRU(3, 0), "hidden_size"),
    (lambda p, x, s: cnp.lstm_backward(np.zeros((4, 2, 3)), None, cnp.lstm_forward(x, None, p)[1]), "doutput"),
    (lambda p, x, s: cnp.lstm_backward(None, (np.zeros((2, 2, 5)), None), cnp.lstm_forward(x, None, p)[1]),
     "dh_n"),
    (lambda p, x, s: cnp.GRU(3, 4).load_state_dict({"weight_ih_l0": np.zeros((12, 3))}), "keys differ"),
    (lambda p, x, s: cnp.lstm(x, s[0], p), "pair"),  # h0 alone, not (h0, c0)
    (lambda p, x, s: cnp.lstm_backward(None, np.zeros((1, 2, 4)), cnp.lstm_forward(x, None, p)[1]), "pair"),
    (lambda p, x, s: cnp.lstm(x[:, :0], None, p, lengths=np.zeros(0, int)), "empty batch"),
])
def test_bad_input_raises_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call(*_small())
