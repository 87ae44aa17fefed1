"""The PyTorch sequence layers (companion.torch.RNN / LSTM / GRU and the functional rnn / lstm / gru), step by
step and fused, against torch.nn.RNN / LSTM / GRU with copied weights in float64: outputs, final states and
the gradients of the input, the initial states and every parameter, over every option torch's layers take
(layers, directions, batch_first, bias, proj_size, nonlinearity, initial states, lengths, PackedSequence,
unbatched input, dropout); state dicts both ways; the clear errors."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import companion.torch as ct
from companion._recurrent import param_names, sequence_init

F64 = torch.float64
OURS = {"rnn": ct.RNN, "lstm": ct.LSTM, "gru": ct.GRU}
TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
FUNCTIONAL = {"rnn": ct.rnn, "lstm": ct.lstm, "gru": ct.gru}
# (kind, extra constructor options): both RNN nonlinearities, and the LSTM with and without a projection
VARIANTS = [("rnn", {}), ("rnn", {"nonlinearity": "relu"}), ("lstm", {}), ("lstm", {"proj_size": 2}),
            ("gru", {})]
VARIANT_IDS = ["rnn-tanh", "rnn-relu", "lstm", "lstm-proj", "gru"]


def _pair(kind, extra, input_size=3, hidden=4, fused=False, seed=0, **options):
    """Our layer (float64, CPU, drawn from a seeded rng) and torch.nn's with the same state dict."""
    ours = OURS[kind](input_size, hidden, **options, **extra, rng=np.random.default_rng(seed), dtype=F64,
                      device="cpu", fused=fused)
    ref = TORCH[kind](input_size, hidden, **options, **extra).to(F64)
    ref.load_state_dict(ours.state_dict())
    return ours, ref


def _states(kind, layer, batch, seed):
    """Random initial state(s) shaped as torch wants them (batch None: unbatched)."""
    g = torch.Generator().manual_seed(seed)
    directions = 2 if layer.bidirectional else 1
    lead = (layer.num_layers * directions,) + (() if batch is None else (batch,))
    h = torch.randn(lead + (layer.proj_size or layer.hidden_size,), generator=g, dtype=F64)
    if kind != "lstm":
        return h
    return h, torch.randn(lead + (layer.hidden_size,), generator=g, dtype=F64)


def _leaves(state):
    if isinstance(state, tuple):
        return tuple(s.clone().requires_grad_(True) for s in state)
    return None if state is None else state.clone().requires_grad_(True)


def _flat(state):
    return list(state) if isinstance(state, tuple) else [state]


def _run(layer, x, state, weights, **kwargs):
    """Forward with leaf copies of x and the state; backward of a fixed random weighting of every output.

    Returns (outputs, gradients): outputs = [output, h_n, (c_n)], gradients = [dx, dh0, (dc0), dparams...].
    """
    x = x.clone().requires_grad_(True)
    state = _leaves(state)
    out, final = layer(x, state, **kwargs) if kwargs else layer(x, state)
    outputs = [out] + _flat(final)
    loss = sum((o * w).sum() for o, w in zip(outputs, weights(outputs)))
    params = [p for _, p in layer.named_parameters()]
    inputs = [x] + ([] if state is None else _flat(state)) + params
    grads = torch.autograd.grad(loss, inputs)
    return [o.detach() for o in outputs], list(grads)


def _weights_for(seed):
    def weights(outputs):
        g = torch.Generator().manual_seed(seed)
        return [torch.randn(o.shape, generator=g, dtype=F64) for o in outputs]
    return weights


def _assert_close(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ every option against torch.nn
OPTIONS = list(itertools.product((1, 2), (False, True), (False, True), (True, False), (False, True)))


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
@pytest.mark.parametrize("kind, extra", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("num_layers, bidirectional, batch_first, bias, with_state", OPTIONS)
def test_layer_equals_torch_values_and_gradients(kind, extra, fused, num_layers, bidirectional, batch_first,
                                                 bias, with_state):
    ours, ref = _pair(kind, extra, fused=fused, num_layers=num_layers, bidirectional=bidirectional,
                      batch_first=batch_first, bias=bias)
    shape = (2, 5, 3) if batch_first else (5, 2, 3)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1), dtype=F64)
    state = _states(kind, ours, 2, seed=2) if with_state else None
    got = _run(ours, x, state, _weights_for(3))
    want = _run(ref, x, state, _weights_for(3))
    _assert_close(got[0], want[0])
    _assert_close(got[1], want[1])


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
@pytest.mark.parametrize("kind, extra", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_input_equals_torch(kind, extra, fused, with_state):
    ours, ref = _pair(kind, extra, fused=fused, num_layers=2, bidirectional=True)
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(1), dtype=F64)
    state = _states(kind, ours, None, seed=2) if with_state else None
    got, want = _run(ours, x, state, _weights_for(3)), _run(ref, x, state, _weights_for(3))
    assert got[0][0].shape == (4, 2 * (ours.proj_size or 4))
    _assert_close(got[0], want[0])
    _assert_close(got[1], want[1])


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
@pytest.mark.parametrize("kind, extra", VARIANTS, ids=VARIANT_IDS)
def test_an_empty_batch_equals_torch(kind, extra, fused):
    ours, ref = _pair(kind, extra, fused=fused, num_layers=2, bidirectional=True)
    x = torch.zeros(5, 0, 3, dtype=F64)
    got, want = _run(ours, x, _states(kind, ours, 0, seed=2), _weights_for(3)), \
        _run(ref, x, _states(kind, ours, 0, seed=2), _weights_for(3))
    assert got[0][0].shape == (5, 0, 2 * (ours.proj_size or 4))
    _assert_close(got[0], want[0])
    _assert_close(got[1], want[1])


# ------------------------------------------------------------------ variable lengths and PackedSequence
def _packed_reference(ref, x, state, lengths, weights):
    """torch.nn's layer on pack_padded_sequence(x) and back through pad_packed_sequence (time-major)."""
    x = x.clone().requires_grad_(True)
    state = _leaves(state)
    packed = pack_padded_sequence(x, torch.as_tensor(lengths), enforce_sorted=False)
    out, final = ref(packed, state)
    out, _ = pad_packed_sequence(out, total_length=x.shape[0])
    outputs = [out] + _flat(final)
    loss = sum((o * w).sum() for o, w in zip(outputs, weights(outputs)))
    inputs = [x] + ([] if state is None else _flat(state)) + [p for _, p in ref.named_parameters()]
    return [o.detach() for o in outputs], list(torch.autograd.grad(loss, inputs))


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
@pytest.mark.parametrize("kind, extra", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lengths_equal_pack_padded_sequence(kind, extra, fused, bidirectional):
    ours, ref = _pair(kind, extra, fused=fused, num_layers=2, bidirectional=bidirectional)
    x = torch.randn(6, 4, 3, generator=torch.Generator().manual_seed(1), dtype=F64)
    lengths = [3, 6, 1, 4]
    state = _states(kind, ours, 4, seed=2)
    got = _run(ours, x, state, _weights_for(3), lengths=torch.tensor(lengths))
    want = _packed_reference(ref, x, state, lengths, _weights_for(3))
    _assert_close(got[0], want[0])
    _assert_close(got[1], want[1])
    assert torch.all(got[0][0][3:, 0] == 0) and torch.all(got[0][0][1:, 2] == 0)  # zeros past each length


@given(kind=st.sampled_from(["rnn", "lstm", "gru"]), steps=st.integers(1, 6), batch=st.integers(1, 4),
       hidden=st.integers(1, 5), layers=st.integers(1, 3), bidirectional=st.booleans(), fused=st.booleans(),
       batch_first=st.booleans(), bias=st.booleans(), seed=st.integers(0, 2**16), data=st.data())
@settings(max_examples=60, deadline=None, derandomize=True)
def test_random_shapes_and_lengths_equal_torch(kind, steps, batch, hidden, layers, bidirectional, fused,
                                               batch_first, bias, seed, data):
    lengths = data.draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch))
    ours, ref = _pair(kind, {}, input_size=2, hidden=hidden, fused=fused, seed=seed, num_layers=layers,
                      bidirectional=bidirectional, bias=bias)
    x = torch.randn(steps, batch, 2, generator=torch.Generator().manual_seed(seed), dtype=F64)
    state = _states(kind, ours, batch, seed=seed + 1)
    if batch_first:
        ours.batch_first = ref.batch_first = True
        got = _run(ours, x.transpose(0, 1), state, _weights_for(seed), lengths=torch.tensor(lengths))
        got[0][0], got[1][0] = got[0][0].transpose(0, 1), got[1][0].transpose(0, 1)  # compare time-major
        want = _run_packed_batch_first(ref, x.transpose(0, 1), state, lengths, _weights_for(seed))
    else:
        got = _run(ours, x, state, _weights_for(seed), lengths=torch.tensor(lengths))
        want = _packed_reference(ref, x, state, lengths, _weights_for(seed))
    _assert_close(got[0], want[0])
    _assert_close(got[1], want[1])


def _run_packed_batch_first(ref, x, state, lengths, weights):
    """As _packed_reference with (N, T, F) input and output; output and dx returned time-major."""
    x = x.clone().requires_grad_(True)
    state = _leaves(state)
    out, final = ref(pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True, enforce_sorted=False),
                     state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    outputs = [out] + _flat(final)
    loss = sum((o * w).sum() for o, w in zip(outputs, weights(outputs)))
    inputs = [x] + _flat(state) + [p for _, p in ref.named_parameters()]
    grads = list(torch.autograd.grad(loss, inputs))
    outputs = [o.detach() for o in outputs]
    outputs[0], grads[0] = outputs[0].transpose(0, 1), grads[0].transpose(0, 1)
    return outputs, grads


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
@pytest.mark.parametrize("kind, extra", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_packed_sequence_in_packed_sequence_out(kind, extra, fused, enforce_sorted):
    ours, ref = _pair(kind, extra, fused=fused, num_layers=2, bidirectional=True)
    lengths = [5, 4, 2] if enforce_sorted else [2, 5, 4]
    x = torch.randn(5, 3, 3, generator=torch.Generator().manual_seed(1), dtype=F64)
    state = _states(kind, ours, 3, seed=2)
    results = []
    for layer in (ours, ref):
        xl = x.clone().requires_grad_(True)
        packed = pack_padded_sequence(xl, torch.tensor(lengths), enforce_sorted=enforce_sorted)
        out, final = layer(packed, _leaves(state))
        loss = (out.data * torch.arange(out.data.numel(), dtype=F64).reshape(out.data.shape).sin()).sum()
        loss = loss + sum((s ** 2).sum() for s in _flat(final))
        results.append((out, _flat(final), torch.autograd.grad(loss, [xl] + list(layer.parameters()))))
    (out, final, grads), (ref_out, ref_final, ref_grads) = results
    assert isinstance(out, torch.nn.utils.rnn.PackedSequence)
    assert torch.equal(out.batch_sizes, ref_out.batch_sizes)
    for a, b in ((out.sorted_indices, ref_out.sorted_indices), (out.unsorted_indices, ref_out.unsorted_indices)):
        assert (a is None and b is None) or torch.equal(a, b)
    _assert_close([out.data] + final, [ref_out.data.detach()] + [s.detach() for s in ref_final])
    _assert_close(list(grads), list(ref_grads))


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
def test_a_packed_sequence_ignores_batch_first_as_torch_does(fused):
    ours, ref = _pair("lstm", {}, fused=fused, batch_first=True, bidirectional=True)
    packed = pack_padded_sequence(torch.randn(4, 3, 3, dtype=F64), torch.tensor([2, 4, 1]), enforce_sorted=False)
    (out, (h, c)), (ref_out, (ref_h, ref_c)) = ours(packed), ref(packed)
    _assert_close([out.data, h, c], [ref_out.data, ref_h, ref_c])


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
def test_a_mask_of_valid_steps_is_the_same_as_lengths(fused):
    layer = ct.GRU(3, 4, bidirectional=True, rng=np.random.default_rng(0), dtype=F64, device="cpu", fused=fused)
    x = torch.randn(5, 2, 3, dtype=F64)
    mask = torch.tensor([[True, True, False, False, False], [True, True, True, True, True]])
    by_mask, by_lengths = layer(x, lengths=mask), layer(x, lengths=[2, 5])
    _assert_close([by_mask[0], by_mask[1]], [by_lengths[0], by_lengths[1]])


# ------------------------------------------------------------------ the functional forms and the switch
@pytest.mark.parametrize("kind, extra", VARIANTS, ids=VARIANT_IDS)
def test_functional_forms_equal_the_layers(kind, extra):
    layer, _ = _pair(kind, extra, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(2, 5, 3, dtype=F64)
    state = _states(kind, layer, 2, seed=2)
    options = {k: v for k, v in extra.items()}
    out, final = FUNCTIONAL[kind](x, state, dict(layer.named_parameters()), num_layers=2, bidirectional=True,
                                  batch_first=True, lengths=[5, 3], **options)
    want_out, want_final = layer(x, state, lengths=[5, 3])
    _assert_close([out] + _flat(final), [want_out] + _flat(want_final))


def test_fused_can_be_switched_later_and_shares_the_parameters():
    layer = ct.LSTM(3, 4, num_layers=2, rng=np.random.default_rng(0), dtype=F64, device="cpu")
    x = torch.randn(5, 2, 3, dtype=F64)
    layer(x)[0].square().sum().backward()
    steps_grads = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    layer.fused = True
    layer(x)[0].square().sum().backward()
    _assert_close([p.grad for p in layer.parameters()], steps_grads)
    assert "fused=True" in repr(layer)


def test_parameters_carry_torchs_names_and_load_both_ways():
    ours = ct.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, rng=np.random.default_rng(0),
                   dtype=F64, device="cpu")
    assert list(ours.state_dict()) == param_names(2, True, True, 2) == list(torch.nn.LSTM(3, 5, 2, proj_size=2,
                                                                                       bidirectional=True).state_dict())
    ref = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2).to(F64)
    ours.load_state_dict(ref.state_dict())  # torch's into ours
    for name, p in ref.state_dict().items():
        assert torch.equal(ours.state_dict()[name], p)
    fresh = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2).to(F64)
    fresh.load_state_dict(ct.LSTM(3, 5, 2, True, False, 0.0, True, 2, rng=np.random.default_rng(1), dtype=F64,
                                  device="cpu").state_dict())  # ours into torch's, positional arguments as torch's


def test_initialization_is_the_numpy_draw_in_torchs_order():
    layer = ct.GRU(3, 16, num_layers=2, rng=np.random.default_rng(7), dtype=F64, device="cpu")
    want = sequence_init("gru", 3, 16, num_layers=2, rng=np.random.default_rng(7))
    for name, value in want.items():
        np.testing.assert_array_equal(getattr(layer, name).detach().numpy(), value)
    assert all(p.dtype == torch.float32 for p in ct.GRU(3, 4).parameters())  # default dtype as torch.nn


def test_rnn_takes_nonlinearity_fourth_as_torch_does():
    layer = ct.RNN(3, 4, 1, "relu", rng=np.random.default_rng(0), dtype=F64, device="cpu")
    ref = torch.nn.RNN(3, 4, 1, "relu").to(F64)
    ref.load_state_dict(layer.state_dict())
    x = torch.randn(4, 2, 3, dtype=F64)
    _assert_close([layer(x)[0]], [ref(x)[0]])
    assert "relu" in repr(layer)


# ------------------------------------------------------------------ dropout between layers
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_fused_dropout_is_torchs_own(kind):
    ours, ref = _pair(kind, {}, fused=True, num_layers=3, dropout=0.5)
    x = torch.randn(5, 2, 3, dtype=F64)
    torch.manual_seed(11)
    got = ours(x)
    torch.manual_seed(11)
    want = ref(x)
    _assert_close([got[0]] + _flat(got[1]), [want[0]] + _flat(want[1]))
    ours.eval(), ref.eval()
    _assert_close([ours(x)[0]], [ref(x)[0]])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_step_dropout_masks_only_between_layers_and_only_in_training(kind):
    x = torch.randn(5, 2, 3, dtype=F64)
    layer, _ = _pair(kind, {}, num_layers=2, dropout=0.4)
    params = dict(layer.named_parameters())
    fn = FUNCTIONAL[kind]
    plain = fn(x, None, params, num_layers=2)[0]
    _assert_close([layer.eval()(x)[0]], [plain])  # eval: dropout is off, as in torch
    _assert_close([fn(x, None, params, num_layers=2, dropout=0.4, training=False)[0]], [plain])
    first = fn(x, None, {k: v for k, v in params.items() if k.endswith("l0")})[0]  # layer 0 alone: no dropout
    g = torch.Generator().manual_seed(5)
    dropped = fn(x, None, params, num_layers=2, dropout=0.4, training=True, rng=g)[0]
    keep = torch.rand(first.shape, generator=torch.Generator().manual_seed(5), dtype=F64) >= 0.4
    second = {k.replace("l1", "l0"): v for k, v in params.items() if k.endswith("l1")}
    want = fn(first * keep / 0.6, None, second)[0]
    _assert_close([dropped], [want])
    assert not torch.allclose(dropped, plain)
    numpy_rng = fn(x, None, params, num_layers=2, dropout=0.4, training=True, rng=np.random.default_rng(5))[0]
    keep = torch.from_numpy(np.random.default_rng(5).random(first.shape) >= 0.4)
    _assert_close([numpy_rng], [fn(first * keep / 0.6, None, second)[0]])


def test_dropout_one_cuts_every_layer_after_the_first_from_its_input():
    layer = ct.RNN(3, 4, num_layers=2, dropout=1.0, rng=np.random.default_rng(0), dtype=F64, device="cpu")
    a, b = layer(torch.randn(5, 2, 3, dtype=F64))[0], layer(torch.randn(5, 2, 3, dtype=F64))[0]
    _assert_close([a], [b])


# ------------------------------------------------------------------ properties
@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_outputs_before_t_do_not_depend_on_inputs_after_t(kind, fused):
    layer = OURS[kind](3, 4, num_layers=2, rng=np.random.default_rng(0), dtype=F64, device="cpu", fused=fused)
    x = torch.randn(6, 2, 3, dtype=F64)
    changed = x.clone()
    changed[4:] += 1.0
    a, b = layer(x)[0], layer(changed)[0]
    assert torch.equal(a[:4], b[:4]) and not torch.allclose(a[4:], b[4:])


def test_detach_state_stops_gradients_but_keeps_values():
    layer = ct.LSTM(3, 4, rng=np.random.default_rng(0), dtype=F64, device="cpu")
    x = torch.randn(6, 2, 3, dtype=F64, requires_grad=True)
    _, state = layer(x[:3])
    cut = ct.detach_state(state)
    assert isinstance(cut, tuple) and all(not s.requires_grad for s in cut)
    _assert_close(list(cut), [s.detach() for s in state])
    out, _ = layer(x[3:], cut)
    out.sum().backward()
    assert torch.all(x.grad[:3] == 0) and torch.any(x.grad[3:] != 0)
    assert ct.detach_state(None) is None


# ------------------------------------------------------------------ errors
BAD = [
    (lambda: ct.LSTM(3, 4, proj_size=4), "proj_size"),
    (lambda: ct.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity"),
    (lambda: ct.GRU(3, 4, dropout=1.5), "dropout"),
    (lambda: ct.GRU(3, 4, num_layers=0), "num_layers"),
    (lambda: ct.LSTM(0, 4), "input_size"),
]


@pytest.mark.parametrize("make, match", BAD)
def test_bad_construction_is_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def _layer(kind="lstm", **options):
    return OURS[kind](3, 4, rng=np.random.default_rng(0), dtype=F64, device="cpu", **options)


BAD_CALLS = [
    ("lstm", {}, torch.zeros(5, 2, 2, dtype=F64), None, None, "input size"),
    ("lstm", {}, torch.zeros(2, 5, 2, 3, dtype=F64), None, None, "x must be"),
    ("lstm", {}, torch.zeros(5, 2, 3, dtype=F64), torch.zeros(1, 2, 4, dtype=F64), None, "pair"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)), None, "one tensor"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), torch.zeros(2, 2, 4, dtype=F64), None, "h0 must have shape"),
    ("lstm", {"proj_size": 2}, torch.zeros(5, 2, 3, dtype=F64),
     (torch.zeros(1, 2, 4, dtype=F64), torch.zeros(1, 2, 4, dtype=F64)), None, "h0 must have shape"),
    ("gru", {}, torch.full((5, 2, 3), float("nan"), dtype=F64), None, None, "non-finite"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), None, [5, 6], "lengths must lie"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), None, [0, 2], "lengths must lie"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), None, [1.5, 2.0], "integers"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), None, [1, 2, 3], "integers"),
    ("gru", {}, torch.zeros(5, 3, dtype=F64), None, [1], "batched"),
    ("gru", {}, torch.zeros(5, 0, 3, dtype=F64), None, torch.zeros(0, dtype=torch.long), "empty batch"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), None, torch.tensor([[True, False, True, False, False]] * 2),
     "left-aligned"),
    ("gru", {}, np.zeros((5, 2, 3)), None, None, "torch tensor"),
    ("gru", {}, torch.zeros(5, 2, 3), None, None, "float32"),
    ("gru", {}, torch.zeros(5, 2, 3, dtype=F64), torch.zeros(1, 2, 4), None, "h0 must be a tensor of x's dtype"),
]


@pytest.mark.parametrize("fused", [False, True], ids=["steps", "fused"])
@pytest.mark.parametrize("kind, options, x, state, lengths, match", BAD_CALLS)
def test_bad_calls_are_named(kind, options, x, state, lengths, match, fused):
    with pytest.raises(ValueError, match=match):
        _layer(kind, fused=fused, **options)(x, state, lengths=lengths)


def test_bad_params_are_named():
    params = dict(_layer("gru", num_layers=2).named_parameters())
    with pytest.raises(ValueError, match="missing"):
        ct.gru(torch.zeros(5, 2, 3, dtype=F64), None, params)  # num_layers=1 does not fit two layers' params
    with pytest.raises(ValueError, match="weight_ih_l0"):
        ct.rnn(torch.zeros(5, 2, 3, dtype=F64), None, {"weight": torch.zeros(4, 3)})
    params["weight_hh_l1"] = torch.zeros(12, 5, dtype=F64)
    with pytest.raises(ValueError, match="weight_hh_l1 must have shape"):
        ct.gru(torch.zeros(5, 2, 3, dtype=F64), None, params, num_layers=2)
    packed = pack_padded_sequence(torch.zeros(5, 2, 3, dtype=F64), torch.tensor([5, 3]))
    with pytest.raises(ValueError, match="not both"):
        _layer("gru")(packed, lengths=[5, 3])


# ------------------------------------------------------------------ the NumPy twin
import companion.np as cnp  # noqa: E402

NP_FORWARD = {"rnn": cnp.rnn_forward, "lstm": cnp.lstm_forward, "gru": cnp.gru_forward}
NP_BACKWARD = {"rnn": cnp.rnn_backward, "lstm": cnp.lstm_backward, "gru": cnp.gru_backward}


@pytest.mark.parametrize("kind, extra", VARIANTS, ids=VARIANT_IDS)
@pytest.mark.parametrize("num_layers, bidirectional, batch_first, bias, lengths",
                         [(1, False, False, True, None), (2, True, True, False, [4, 2, 3]),
                          (3, True, False, True, [1, 4, 4]), (2, False, True, True, None)])
def test_numpy_twin_equals_torch_twin_with_dropout_masks_from_the_same_rng(kind, extra, num_layers, bidirectional,
                                                                         batch_first, bias, lengths):
    layer, _ = _pair(kind, extra, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                     bias=bias)
    params = {name: p.detach().numpy() for name, p in layer.named_parameters()}
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 3) if batch_first else (4, 3, 3))
    state = tuple(s.numpy() for s in _flat(_states(kind, layer, 3, seed=2)))
    options = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, lengths=lengths,
                   dropout=0.3, training=True, **({k: v for k, v in extra.items()}))
    (np_out, np_final), cache = NP_FORWARD[kind](x, state if kind == "lstm" else state[0], params,
                                                 rng=np.random.default_rng(9), **options)
    np_final = _flat(np_final)
    d_out = rng.normal(size=np_out.shape)
    d_final = [rng.normal(size=s.shape) for s in np_final]
    dx, dstate, dparams = NP_BACKWARD[kind](d_out, tuple(d_final) if kind == "lstm" else d_final[0], cache)

    xt = torch.from_numpy(x).requires_grad_(True)
    st_ = _leaves(tuple(torch.from_numpy(s) for s in state) if kind == "lstm" else torch.from_numpy(state[0]))
    pt = {k: torch.from_numpy(v).requires_grad_(True) for k, v in params.items()}
    out, final = FUNCTIONAL[kind](xt, st_, pt, rng=np.random.default_rng(9), **options)
    outputs = [out] + _flat(final)
    _assert_close([o.detach() for o in outputs], [torch.from_numpy(a) for a in [np_out] + np_final])
    loss = sum((o * torch.from_numpy(d)).sum() for o, d in zip(outputs, [d_out] + d_final))
    grads = torch.autograd.grad(loss, [xt] + _flat(st_) + list(pt.values()))
    want = [dx] + _flat(dstate) + [dparams[k] for k in pt]
    _assert_close(list(grads), [torch.from_numpy(np.asarray(w)) for w in want])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_numpy_and_torch_layers_draw_the_same_parameters_and_agree(kind):
    options = dict(num_layers=2, bidirectional=True, **({"proj_size": 2} if kind == "lstm" else {}))
    ours = OURS[kind](3, 4, **options, rng=np.random.default_rng(3), dtype=F64, device="cpu")
    twin = getattr(cnp, kind.upper())(3, 4, **options, rng=np.random.default_rng(3)).eval()
    assert list(twin.state_dict()) == list(ours.state_dict())
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(getattr(ours, name).detach().numpy(), value)
    x = np.random.default_rng(4).normal(size=(5, 2, 3))
    out, final = ours(torch.from_numpy(x))
    np_out, np_final = twin.forward(x)
    _assert_close([out.detach()] + [s.detach() for s in _flat(final)],
                  [torch.from_numpy(a) for a in [np_out] + _flat(np_final)])


def test_dropout_on_one_layer_warns_as_torch_does():
    with pytest.warns(UserWarning, match="dropout"):
        ct.GRU(3, 4, dropout=0.5)


def test_training_steps_are_the_same_fused_or_step_by_step():
    """A few Adam steps on a toy regression: the losses and final parameters agree to rounding."""
    x = torch.randn(8, 4, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    y = x.cumsum(0)[..., :1]
    runs = []
    for fused in (False, True):
        layer = ct.LSTM(3, 5, num_layers=2, proj_size=1, rng=np.random.default_rng(0), dtype=F64, device="cpu",
                        fused=fused)
        optimizer = torch.optim.Adam(layer.parameters(), lr=0.05)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            loss = (layer(x)[0] - y).square().mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        runs.append((losses, [p.detach() for p in layer.parameters()]))
    assert runs[0][0][-1] < runs[0][0][0]
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-10)
    _assert_close(runs[0][1], runs[1][1])
