"""Transformer encoder and decoder layers (companion.np and companion.torch TransformerEncoderLayer /
TransformerDecoderLayer and their functional forms) against torch.nn.TransformerEncoderLayer /
TransformerDecoderLayer with copied weights in float64: outputs and the gradients of the inputs and of every
parameter, for every option (norm_first, relu / gelu / a callable, batch_first, bias, bool and float masks,
key padding masks, is_causal, unbatched input, dropout in eval and in training); hypothesis over shapes,
heads and masks; stored attention weights; state dicts both ways; errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import companion.np.transformer as nt
import companion.torch.transformer as tt
from companion._transformer import param_names

# torch.nn's layers warn when a bool key padding mask meets a float attention mask (deprecated, still
# accepted); the tests mix them on purpose, to cover what torch accepts.
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning")

TOL = dict(rtol=1e-9, atol=1e-10)
D, H, FF = 8, 2, 12


def _reference(decoder=False, seed=0, d_model=D, nhead=H, dim_feedforward=FF, **ctor):
    """torch.nn's layer in float64, dropout 0 unless given, every parameter drawn at random, train mode."""
    ctor = {"dropout": 0.0, **ctor}
    cls = torch.nn.TransformerDecoderLayer if decoder else torch.nn.TransformerEncoderLayer
    module = cls(d_model, nhead, dim_feedforward, dtype=torch.float64, **ctor)
    rng = np.random.default_rng(seed)
    module.load_state_dict({k: torch.from_numpy(rng.normal(0, 0.5, tuple(v.shape)))
                            for k, v in module.state_dict().items()})
    return module


def _ours(reference, decoder=False, d_model=D, nhead=H, dim_feedforward=FF, **ctor):
    """Our torch layer with the reference's parameters."""
    ctor = {"dropout": 0.0, **ctor}
    cls = tt.TransformerDecoderLayer if decoder else tt.TransformerEncoderLayer
    layer = cls(d_model, nhead, dim_feedforward, dtype=torch.float64, **ctor)
    layer.load_state_dict(reference.state_dict())
    return layer.train(reference.training)


def _layout(length, n, batch_first, d=D):
    return (length, d) if n is None else ((n, length, d) if batch_first else (length, n, d))


def _mask(rng, kind, shape):
    """A bool mask (True = may not attend) never masking key 0, or a float mask; None for kind None."""
    if kind is None:
        return None
    if kind == "bool":
        mask = rng.random(shape) < 0.4
        mask[..., 0] = False
        return torch.from_numpy(mask)
    return torch.from_numpy(rng.normal(size=shape))


def _causal(length):
    return torch.triu(torch.ones(length, length, dtype=torch.bool), 1)


def _grads(module, out, dout, inputs):
    """d(out · dout)/d(inputs and every parameter), in the parameters' state-dict order."""
    params = [p for _, p in module.named_parameters()]
    return torch.autograd.grad(out, [*inputs, *params], dout)


def _assert_same(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), **TOL)


def _leaf(rng, shape):
    return torch.from_numpy(rng.normal(size=shape)).requires_grad_(True)


def _numpy_agrees(ref, decoder, inputs, masks, dout, want, want_grads, **ctor):
    """The NumPy layer with the reference's parameters gives its output and every gradient."""
    ctor = {"dropout": 0.0, **ctor}
    ctor.pop("nhead", None)  # the reference's own
    layer = (nt.TransformerDecoderLayer if decoder else nt.TransformerEncoderLayer)(
        ref.self_attn.embed_dim, ref.self_attn.num_heads, ref.linear1.out_features, **ctor)
    layer.load_state_dict(ref.state_dict())
    np_masks = {k: v.numpy() if torch.is_tensor(v) else v for k, v in masks.items()}
    got = layer.forward(*[x.detach().numpy() for x in inputs], **np_masks)
    dinputs = layer.backward(dout.numpy())
    dinputs = dinputs if decoder else (dinputs,)
    assert list(layer.grads) == [name for name, _ in ref.named_parameters()]
    for a, b in zip([got, *dinputs, *layer.grads.values()], [want, *want_grads], strict=True):
        np.testing.assert_allclose(a, b.detach().numpy(), **TOL)


# -- construction -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("decoder", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_names_and_shapes_are_torch_nn(decoder, bias):
    ref = _reference(decoder, bias=bias)
    ours = (tt.TransformerDecoderLayer if decoder else tt.TransformerEncoderLayer)(D, H, FF, bias=bias)
    assert list(ours.state_dict()) == list(ref.state_dict()) == param_names(decoder, bias)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    ref.load_state_dict(ours.state_dict())  # and back the other way
    np.testing.assert_array_equal(ref.linear1.weight.detach().numpy(), ours.linear1.weight.detach().float().numpy())


def test_defaults_match_torch_nn():
    ours, ref = tt.TransformerEncoderLayer(D, H), torch.nn.TransformerEncoderLayer(D, H)
    assert ours.linear1.out_features == ref.linear1.out_features == 2048
    assert ours.dropout_p == ref.dropout.p == 0.1
    assert ours.layer_norm_eps == ref.norm1.eps == 1e-5
    assert (ours.batch_first, ours.norm_first) == (False, False)
    assert ours.training and ours.store_attention is False


def test_same_rng_seed_same_parameters_and_torch_init_statistics():
    a = tt.TransformerDecoderLayer(D, H, FF, dtype=torch.float64, rng=np.random.default_rng(3))
    b = tt.TransformerDecoderLayer(D, H, FF, dtype=torch.float64, rng=np.random.default_rng(3))
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), name
    sd = a.state_dict()
    assert torch.equal(sd["norm3.weight"], torch.ones(D, dtype=torch.float64))
    assert torch.equal(sd["self_attn.in_proj_bias"], torch.zeros(3 * D, dtype=torch.float64))
    assert sd["linear1.weight"].abs().max() <= 1 / D ** 0.5  # torch.nn.Linear's U(±1/sqrt(fan_in))
    assert sd["self_attn.in_proj_weight"].abs().max() <= (6 / (D + 3 * D)) ** 0.5  # Xavier-uniform bound


# -- values and gradients against torch.nn -------------------------------------------------------------------

@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("masks", [("bool", "bool"), ("float", "bool")])  # None and float-float: hypothesis
def test_encoder_layer_equals_torch_nn(norm_first, batch_first, activation, bias, masks):
    ctor = dict(norm_first=norm_first, batch_first=batch_first, activation=activation, bias=bias)
    ref = _reference(**ctor)
    ours = _ours(ref, **ctor)
    rng = np.random.default_rng(1)
    length, n = 5, 3
    src = _leaf(rng, _layout(length, n, batch_first))
    attn_mask, kpm = _mask(rng, masks[0], (length, length)), _mask(rng, masks[1], (n, length))
    dout = torch.from_numpy(rng.normal(size=src.shape))
    want = ref(src, attn_mask, kpm)
    got = ours(src, attn_mask, kpm)
    _assert_same([got], [want])
    want_grads = _grads(ref, want, dout, [src])
    _assert_same(_grads(ours, got, dout, [src]), want_grads)
    _numpy_agrees(ref, False, [src], dict(src_mask=attn_mask, src_key_padding_mask=kpm), dout, want, want_grads,
                  **ctor)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("bias", [True, False])
def test_decoder_layer_equals_torch_nn(norm_first, batch_first, activation, bias):
    ctor = dict(norm_first=norm_first, batch_first=batch_first, activation=activation, bias=bias)
    ref = _reference(True, **ctor)
    ours = _ours(ref, True, **ctor)
    rng = np.random.default_rng(2)
    t, s, n = 4, 6, 2
    tgt, memory = _leaf(rng, _layout(t, n, batch_first)), _leaf(rng, _layout(s, n, batch_first))
    masks = dict(tgt_mask=_causal(t), memory_mask=_mask(rng, "float", (n * H, t, s)),
                 tgt_key_padding_mask=_mask(rng, "bool", (n, t)), memory_key_padding_mask=_mask(rng, "bool", (n, s)))
    dout = torch.from_numpy(rng.normal(size=tgt.shape))
    want, got = ref(tgt, memory, **masks), ours(tgt, memory, **masks)
    _assert_same([got], [want])
    want_grads = _grads(ref, want, dout, [tgt, memory])
    _assert_same(_grads(ours, got, dout, [tgt, memory]), want_grads)
    _numpy_agrees(ref, True, [tgt, memory], masks, dout, want, want_grads, **ctor)


@pytest.mark.parametrize("decoder", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_causal_hint_and_unbatched_input(decoder, norm_first):
    ref = _reference(decoder, norm_first=norm_first)
    ours = _ours(ref, decoder, norm_first=norm_first)
    rng = np.random.default_rng(3)
    for n in (None, 2):
        x = _leaf(rng, _layout(5, n, False))
        args = [x] + ([_leaf(rng, _layout(3, n, False))] if decoder else [])
        kw = dict(src_mask=_causal(5), is_causal=True)
        if decoder:  # memory_is_causal too: torch's top-left causal mask over the 3 memory positions
            kw = dict(tgt_mask=_causal(5), tgt_is_causal=True, memory_is_causal=True,
                      memory_mask=torch.triu(torch.ones(5, 3, dtype=torch.bool), 1))
        want, got = ref(*args, **kw), ours(*args, **kw)
        dout = torch.from_numpy(rng.normal(size=x.shape))
        _assert_same([got], [want])
        want_grads = _grads(ref, want, dout, args)
        _assert_same(_grads(ours, got, dout, args), want_grads)
        _numpy_agrees(ref, decoder, args, kw, dout, want, want_grads, norm_first=norm_first)


@pytest.mark.parametrize("activation", [lambda x: F.gelu(x, approximate="tanh"), torch.nn.GELU(), F.silu])
def test_callable_activation(activation):
    ref = _reference(activation=activation)
    ours = _ours(ref, activation=activation)
    src = _leaf(np.random.default_rng(4), (5, 2, D))
    want, got = ref(src), ours(src)
    _assert_same([got], [want])
    dout = torch.ones_like(got)
    _assert_same(_grads(ours, got, dout, [src]), _grads(ref, want, dout, [src]))


@pytest.mark.parametrize("batch_first", [False, True])
def test_eval_mode_with_dropout_equals_torch_fast_path(batch_first):
    """In eval mode dropout is the identity; under no_grad torch.nn takes its fused fast path."""
    ref = _reference(dropout=0.3, batch_first=batch_first, layer_norm_eps=1e-3).eval()
    ours = _ours(ref, dropout=0.3, batch_first=batch_first, layer_norm_eps=1e-3)
    rng = np.random.default_rng(5)
    src = torch.from_numpy(rng.normal(size=_layout(6, 3, batch_first)))
    kpm = _mask(rng, "bool", (3, 6))
    with torch.no_grad():
        _assert_same([ours(src, src_key_padding_mask=kpm)], [ref(src, src_key_padding_mask=kpm)])
        dref = _reference(True, dropout=0.3, batch_first=batch_first).eval()
        dours = _ours(dref, True, dropout=0.3, batch_first=batch_first)
        mem = torch.from_numpy(rng.normal(size=_layout(4, 3, batch_first)))
        _assert_same([dours(src, mem)], [dref(src, mem)])


def test_a_sequence_padded_whole_gets_torch_nn_training_route_not_its_fused_nan():
    """Weights 0 for a query allowed no key, as torch.nn computes it with gradients on; its fused inference
    path (eval, no_grad) gives NaN for that sequence (torch 2.13) and the same values elsewhere."""
    ref = _reference(batch_first=True)
    ours = _ours(ref, batch_first=True)
    layer = nt.TransformerEncoderLayer(D, H, FF, 0.0, batch_first=True)
    layer.load_state_dict(ref.state_dict())
    src = torch.from_numpy(np.random.default_rng(19).normal(size=(2, 4, D)))
    kpm = torch.zeros(2, 4, dtype=torch.bool)
    kpm[1] = True
    want = ref(src, src_key_padding_mask=kpm)
    assert torch.isfinite(want).all()
    _assert_same([ours(src, src_key_padding_mask=kpm)], [want])
    np.testing.assert_allclose(layer.forward(src.numpy(), src_key_padding_mask=kpm.numpy()), want.detach().numpy(),
                               **TOL)
    with torch.no_grad():
        fused = ref.eval()(src, src_key_padding_mask=kpm)
        _assert_same([ours.eval()(src, src_key_padding_mask=kpm)[0]], [fused[0]])
    assert torch.isnan(fused[1]).all()


@pytest.mark.parametrize("decoder", [False, True])
def test_dropout_in_training_mode(decoder):
    """Training mode drops at random (two calls differ, the mean over many calls approaches eval's output)."""
    layer = (tt.TransformerDecoderLayer if decoder else tt.TransformerEncoderLayer)(
        D, H, FF, dropout=0.5, dtype=torch.float64, rng=np.random.default_rng(0))
    x = torch.from_numpy(np.random.default_rng(1).normal(size=(4, 2, D)))
    args = (x, x) if decoder else (x,)
    torch.manual_seed(0)
    a, b = layer(*args), layer(*args)
    assert not torch.allclose(a, b)
    evaluated = layer.eval()(*args)
    assert torch.equal(evaluated, layer(*args))


def test_no_dropout_leaves_train_and_eval_equal():
    layer = tt.TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=torch.float64)
    x = torch.randn(4, 2, D, dtype=torch.float64)
    assert torch.equal(layer.train()(x), layer.eval()(x))


@settings(max_examples=15, deadline=None)
@given(length=st.integers(1, 5), n=st.one_of(st.none(), st.integers(1, 3)), heads=st.sampled_from([1, 2, 4]),
       norm_first=st.booleans(), batch_first=st.booleans(),
       attn=st.sampled_from([None, "bool", "float", "causal"]), kpm=st.sampled_from([None, "bool", "float"]),
       seed=st.integers(0, 2 ** 16))
def test_encoder_layer_hypothesis(length, n, heads, norm_first, batch_first, attn, kpm, seed):
    ctor = dict(norm_first=norm_first, batch_first=batch_first, nhead=heads)
    ref = _reference(seed=seed, **ctor)
    ours = _ours(ref, **ctor)
    rng = np.random.default_rng(seed)
    src = _leaf(rng, _layout(length, n, batch_first))
    mask = _causal(length) if attn == "causal" else _mask(rng, attn, (length, length))
    pad = _mask(rng, kpm, (length,) if n is None else (n, length))
    causal = attn == "causal"  # the hint, with or without a padding mask beside it
    want, got = ref(src, mask, pad, causal), ours(src, mask, pad, causal)
    _assert_same([got], [want])
    dout = torch.from_numpy(rng.normal(size=src.shape))
    want_grads = _grads(ref, want, dout, [src])
    _assert_same(_grads(ours, got, dout, [src]), want_grads)
    _numpy_agrees(ref, False, [src], dict(src_mask=mask, src_key_padding_mask=pad, is_causal=causal), dout, want,
                  want_grads, norm_first=norm_first, batch_first=batch_first, nhead=heads)


@settings(max_examples=10, deadline=None)
@given(t=st.integers(1, 4), s=st.integers(1, 5), n=st.one_of(st.none(), st.integers(1, 3)),
       heads=st.sampled_from([1, 2, 4]), norm_first=st.booleans(), batch_first=st.booleans(),
       memory_mask=st.sampled_from([None, "bool", "float"]), memory_kpm=st.sampled_from([None, "bool", "float"]),
       seed=st.integers(0, 2 ** 16))
def test_decoder_layer_hypothesis(t, s, n, heads, norm_first, batch_first, memory_mask, memory_kpm, seed):
    ctor = dict(norm_first=norm_first, batch_first=batch_first, nhead=heads)
    ref = _reference(True, seed=seed, **ctor)
    ours = _ours(ref, True, **ctor)
    rng = np.random.default_rng(seed)
    tgt, memory = _leaf(rng, _layout(t, n, batch_first)), _leaf(rng, _layout(s, n, batch_first))
    masks = dict(tgt_mask=_causal(t), memory_mask=_mask(rng, memory_mask, (t, s)),
                 memory_key_padding_mask=_mask(rng, memory_kpm, (s,) if n is None else (n, s)))
    want, got = ref(tgt, memory, **masks), ours(tgt, memory, **masks)
    _assert_same([got], [want])
    dout = torch.from_numpy(rng.normal(size=tgt.shape))
    want_grads = _grads(ref, want, dout, [tgt, memory])
    _assert_same(_grads(ours, got, dout, [tgt, memory]), want_grads)
    _numpy_agrees(ref, True, [tgt, memory], masks, dout, want, want_grads, norm_first=norm_first,
                  batch_first=batch_first, nhead=heads)


# -- stored attention weights --------------------------------------------------------------------------------

@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_store_attention_gives_the_self_attention_weights(norm_first, batch_first):
    ref = _reference(norm_first=norm_first, batch_first=batch_first)
    ours = _ours(ref, norm_first=norm_first, batch_first=batch_first)
    rng = np.random.default_rng(6)
    src = torch.from_numpy(rng.normal(size=_layout(5, 3, batch_first)))
    kpm = _mask(rng, "bool", (3, 5))
    plain = ours(src, src_key_padding_mask=kpm)
    assert ours.attention is None
    ours.store_attention = True
    stored = ours(src, src_key_padding_mask=kpm)
    _assert_same([stored], [plain])  # asking for the weights changes nothing else
    x = ref.norm1(src) if norm_first else src
    _, want = ref.self_attn(x, x, x, key_padding_mask=kpm, need_weights=True, average_attn_weights=False)
    assert ours.attention.shape == (3, H, 5, 5)  # batch first whatever batch_first says
    assert not ours.attention.requires_grad
    _assert_same([ours.attention], [want])
    np.testing.assert_allclose(ours.attention.sum(-1).numpy(), 1.0, rtol=1e-12)
    assert (ours.attention.permute(0, 1, 3, 2)[kpm[:, None, :, None].expand(3, H, 5, 5)] == 0).all()
    ours.eval()(src[:, 0] if not batch_first else src[0])  # unbatched: (nhead, L, S)
    assert ours.attention.shape == (H, 5, 5)


def test_decoder_stores_self_and_cross_attention():
    ref = _reference(True)
    ours = _ours(ref, True)
    ours.store_attention = True
    rng = np.random.default_rng(7)
    tgt, memory = (torch.from_numpy(rng.normal(size=(length, 2, D))) for length in (4, 6))
    _assert_same([ours(tgt, memory, tgt_mask=_causal(4), tgt_is_causal=True)],
                 [ref(tgt, memory, tgt_mask=_causal(4), tgt_is_causal=True)])
    assert ours.attention.shape == (2, H, 4, 4) and ours.cross_attention.shape == (2, H, 4, 6)
    assert (ours.attention[..., _causal(4)] == 0).all()  # the causal mask holds
    x = ref.norm1(tgt + ref._sa_block(tgt, _causal(4), None))
    _, want = ref.multihead_attn(x, memory, memory, need_weights=True, average_attn_weights=False)
    _assert_same([ours.cross_attention], [want])


# -- the functional interface --------------------------------------------------------------------------------

@pytest.mark.parametrize("decoder", [False, True])
def test_functional_forward_backward_equal_the_layer(decoder):
    ref = _reference(decoder, norm_first=True, activation="gelu")
    params = {k: v.detach() for k, v in ref.state_dict().items()}
    rng = np.random.default_rng(8)
    x, mem = torch.from_numpy(rng.normal(size=(5, 2, D))), torch.from_numpy(rng.normal(size=(3, 2, D)))
    dout = torch.from_numpy(rng.normal(size=x.shape))
    opts = dict(norm_first=True, activation="gelu", need_weights=True)
    if decoder:
        out, cache = tt.transformer_decoder_layer_forward(x, mem, params, H, tgt_mask=_causal(5), **opts)
        *dinputs, grads = tt.transformer_decoder_layer_backward(dout, cache)
        inputs = [x.requires_grad_(True), mem.requires_grad_(True)]
        want = ref(*inputs, tgt_mask=_causal(5))
        assert cache["cross_attention"].shape == (2, H, 5, 3)
    else:
        out, cache = tt.transformer_encoder_layer_forward(x, params, H, src_mask=_causal(5), **opts)
        *dinputs, grads = tt.transformer_encoder_layer_backward(dout, cache)
        inputs = [x.requires_grad_(True)]
        want = ref(*inputs, _causal(5))
    assert cache["attention"].shape == (2, H, 5, 5)
    assert list(grads) == list(params)
    _assert_same([out], [want])
    _assert_same([*dinputs, *grads.values()], _grads(ref, want, dout, inputs))


# -- errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [tt.TransformerEncoderLayer, tt.TransformerDecoderLayer])
@pytest.mark.parametrize("kwargs, message", [
    (dict(d_model=6, nhead=4), "divisible"), (dict(d_model=0, nhead=1), "embed_dim"),
    (dict(dim_feedforward=0), "dim_feedforward"), (dict(dropout=1.0), "dropout"),
    (dict(layer_norm_eps=0.0), "eps"), (dict(activation="tanh"), "activation"),
])
def test_constructor_errors(cls, kwargs, message):
    kwargs = {"d_model": D, "nhead": H, **kwargs}
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_forward_errors(backend):
    """The same ValueErrors, naming the problem, in both backends."""
    lib, kw = (nt, {}) if backend == "numpy" else (tt, {"dtype": torch.float64})
    def zeros(shape, dtype=np.float64):
        return np.zeros(shape, dtype) if backend == "numpy" else torch.from_numpy(np.zeros(shape, dtype))

    enc, dec = lib.TransformerEncoderLayer(D, H, FF, **kw), lib.TransformerDecoderLayer(D, H, FF, **kw)
    x = zeros((4, 2, D))
    with pytest.raises(ValueError, match="d_model"):
        enc.forward(zeros((4, 2, D + 1)))
    with pytest.raises(ValueError, match="2-D"):
        enc.forward(zeros((1, 1, 4, D)))
    with pytest.raises(ValueError, match="is_causal"):
        enc.forward(x, is_causal=True)
    with pytest.raises(ValueError, match="key_padding_mask"):
        enc.forward(x, src_key_padding_mask=zeros((2, 5), bool))
    with pytest.raises(ValueError, match="attn_mask"):
        enc.forward(x, src_mask=zeros((3, 3), bool))
    with pytest.raises(ValueError, match="only bool and floating"):
        enc.forward(x, src_mask=zeros((4, 4), np.int64))
    with pytest.raises(ValueError, match="memory"):
        dec.forward(x, zeros((4, D)))
    with pytest.raises(ValueError, match="memory"):
        dec.forward(x, zeros((4, 2, D + 2)))
    with pytest.raises(ValueError, match="params needs"):
        lib.transformer_encoder_layer(x, {"linear1.weight": zeros((FF, D))}, H)


# -- the NumPy layers: finite differences, dropout by its masks, properties ----------------------------------

def _np_layer(decoder=False, seed=0, d_model=4, nhead=2, dim_feedforward=6, **ctor):
    """A NumPy layer with every parameter (biases and norms too) drawn at random."""
    ctor = {"dropout": 0.0, **ctor}
    layer = (nt.TransformerDecoderLayer if decoder else nt.TransformerEncoderLayer)(d_model, nhead, dim_feedforward,
                                                                                   **ctor)
    rng = np.random.default_rng(seed)
    layer.load_state_dict({k: rng.normal(0, 0.5, v.shape) for k, v in layer.state_dict().items()})
    return layer


def _finite_difference_check(layer, inputs, kwargs, fresh_rng=None, with_params=True):
    """Every input's (and parameter's) gradient of sum(out · dout) against centred differences. With
    ``fresh_rng`` each call draws the same dropout masks from a generator made anew."""
    from tests.finite_differences import numerical_gradient

    def run():
        if fresh_rng is not None:
            layer.rng = fresh_rng()
        return layer.forward(*inputs, **kwargs)

    dout = np.random.default_rng(9).normal(size=run().shape)
    dinputs = layer.backward(dout)
    dinputs = dinputs if isinstance(dinputs, tuple) else (dinputs,)
    params = layer._params  # changed in place by numerical_gradient
    analytic = [*dinputs, *layer.grads.values()] if with_params else list(dinputs)
    targets = [*inputs, *params.values()] if with_params else list(inputs)
    assert len(layer.grads) == len(params)
    for a, x in zip(analytic, targets, strict=True):
        numeric = numerical_gradient(lambda: float((run() * dout).sum()), x)
        # absolute slack for entries that are exactly 0 (the key bias: softmax ignores a shift common to a row)
        np.testing.assert_allclose(a, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("norm_first", [False, True])
def test_numpy_encoder_finite_differences(norm_first):
    layer = _np_layer(norm_first=norm_first, activation="gelu", dim_feedforward=3)
    rng = np.random.default_rng(10)
    src = rng.normal(size=(3, 2, 4))
    kpm = np.array([[False, False, True], [False, False, False]])
    _finite_difference_check(layer, [src], dict(src_mask=rng.normal(size=(3, 3)), src_key_padding_mask=kpm))


@pytest.mark.parametrize("norm_first", [False, True])
def test_numpy_decoder_finite_differences(norm_first):
    layer = _np_layer(True, norm_first=norm_first, batch_first=True, bias=False, dim_feedforward=3)
    rng = np.random.default_rng(11)
    tgt, memory = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 2, 4))
    _finite_difference_check(layer, [tgt, memory], dict(tgt_mask=np.triu(np.ones((3, 3), bool), 1),
                                                         memory_key_padding_mask=np.array([[False, True],
                                                                                           [False, False]])))


@pytest.mark.parametrize("decoder", [False, True])
def test_numpy_dropout_in_training_mode(decoder):
    """Training mode draws the masks from the layer's rng: a fresh generator with the same seed gives the
    same output, the backward pass goes through those masks (finite differences), and the feed-forward
    block's mask drops about p of the entries, scaling the survivors by 1 / (1 - p)."""
    p = 0.25
    layer = _np_layer(decoder, dropout=p, norm_first=True)
    rng = np.random.default_rng(12)
    x = rng.normal(size=(3, 2, 4))
    inputs = [x, rng.normal(size=(2, 2, 4))] if decoder else [x]
    layer.rng = np.random.default_rng(5)
    a = layer.forward(*inputs)
    layer.rng = np.random.default_rng(5)
    assert np.array_equal(a, layer.forward(*inputs))
    layer.rng = np.random.default_rng(6)
    assert not np.allclose(a, layer.forward(*inputs))
    assert not np.allclose(a, layer.eval().forward(*inputs))
    layer.train()
    _finite_difference_check(layer, inputs, {}, fresh_rng=lambda: np.random.default_rng(5), with_params=False)
    big = _np_layer(decoder, dropout=p, d_model=8, dim_feedforward=64, rng=np.random.default_rng(0))
    big_inputs = [rng.normal(size=(16, 8, 8)) for _ in inputs]
    big.forward(*big_inputs)
    scale = big._cache["caches"][-1][2][2]  # the feed-forward block's dropout: mask / (1 - p)
    assert set(np.unique(scale)) == {0.0, 1 / (1 - p)}
    assert abs((scale == 0).mean() - p) < 0.02  # 16·8·64 entries: the standard error is about 0.002


def test_numpy_eval_mode_with_dropout_equals_torch_nn():
    ref = _reference(True, dropout=0.3, norm_first=True).eval()
    layer = nt.TransformerDecoderLayer(D, H, FF, dropout=0.3, norm_first=True).eval()
    layer.load_state_dict(ref.state_dict())
    rng = np.random.default_rng(13)
    tgt, memory = rng.normal(size=(4, 2, D)), rng.normal(size=(3, 2, D))
    with torch.no_grad():
        want = ref(torch.from_numpy(tgt), torch.from_numpy(memory))
    np.testing.assert_allclose(layer.forward(tgt, memory), want.numpy(), **TOL)


@pytest.mark.parametrize("norm_first", [False, True])
def test_causal_mask_output_at_t_ignores_later_inputs(norm_first):
    layer = _np_layer(norm_first=norm_first, d_model=8, nhead=2)
    rng = np.random.default_rng(14)
    length = 6
    causal = np.triu(np.ones((length, length), bool), 1)
    src = rng.normal(size=(length, 2, 8))
    out = layer.forward(src, causal, is_causal=True)
    for t in range(length - 1):
        changed = src.copy()
        changed[t + 1:] += rng.normal(size=changed[t + 1:].shape)
        later = layer.forward(changed, causal, is_causal=True)
        np.testing.assert_allclose(later[:t + 1], out[:t + 1], rtol=1e-12, atol=1e-12)
        assert not np.allclose(later[t + 1:], out[t + 1:])
    # and a loss on position t sends no gradient to the inputs after t
    layer.forward(src, causal)
    dout = np.zeros_like(src)
    dout[2] = 1.0
    dsrc = layer.backward(dout)
    assert np.all(dsrc[3:] == 0) and np.abs(dsrc[:3]).sum() > 0
    dec = _np_layer(True, norm_first=norm_first, d_model=8)
    memory = rng.normal(size=(3, 2, 8))
    out = dec.forward(src, memory, tgt_mask=causal)
    changed = src.copy()
    changed[4:] += 1.0
    np.testing.assert_allclose(dec.forward(changed, memory, tgt_mask=causal)[:4], out[:4], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_is_permutation_equivariant_without_masks(norm_first):
    layer = _np_layer(norm_first=norm_first, d_model=8, batch_first=True)
    rng = np.random.default_rng(15)
    src = rng.normal(size=(2, 7, 8))
    perm = rng.permutation(7)
    np.testing.assert_allclose(layer.forward(src[:, perm]), layer.forward(src)[:, perm], rtol=1e-10, atol=1e-12)
    ours = tt.TransformerEncoderLayer(8, 2, 6, 0.0, norm_first=norm_first, batch_first=True, dtype=torch.float64)
    ours.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = torch.from_numpy(src)
    torch.testing.assert_close(ours(x[:, perm]), ours(x)[:, perm])


@pytest.mark.parametrize("norm_first", [False, True])
def test_padding_tokens_change_nothing_for_the_other_positions(norm_first):
    layer = _np_layer(norm_first=norm_first, d_model=8)
    rng = np.random.default_rng(16)
    src = rng.normal(size=(5, 2, 8))
    kpm = np.array([[False, False, False, True, True], [False, False, False, False, True]])
    out = layer.forward(src, src_key_padding_mask=kpm)
    changed = src.copy()
    changed[3:, 0] = rng.normal(size=(2, 8)) * 10  # the padded positions of sequence 0
    changed[4, 1] = 7.0
    again = layer.forward(changed, src_key_padding_mask=kpm)
    np.testing.assert_allclose(again[:3, 0], out[:3, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(again[:4, 1], out[:4, 1], rtol=1e-12, atol=1e-12)
    # a real sequence without its padding gives the same outputs at its real positions
    np.testing.assert_allclose(layer.forward(src[:3, 0]), out[:3, 0], rtol=1e-10, atol=1e-12)
    dec = _np_layer(True, norm_first=norm_first, d_model=8)
    memory = rng.normal(size=(4, 2, 8))
    mkpm = np.array([[False, False, True, True], [False, False, False, False]])
    out = dec.forward(src, memory, memory_key_padding_mask=mkpm)
    memory[2:, 0] += 5.0
    np.testing.assert_allclose(dec.forward(src, memory, memory_key_padding_mask=mkpm), out, rtol=1e-12, atol=1e-12)


# -- the NumPy layers against the torch twin: initialization, state dicts, stored attention, dtypes ----------

@pytest.mark.parametrize("decoder", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_same_seed_same_layer_in_both_backends(decoder, bias):
    kw = dict(bias=bias, rng=np.random.default_rng(21))
    a = (nt.TransformerDecoderLayer if decoder else nt.TransformerEncoderLayer)(D, H, FF, **kw)
    kw["rng"] = np.random.default_rng(21)
    b = (tt.TransformerDecoderLayer if decoder else tt.TransformerEncoderLayer)(D, H, FF, dtype=torch.float64, **kw)
    assert list(a.state_dict()) == list(b.state_dict()) == param_names(decoder, bias)
    for name, value in b.state_dict().items():
        np.testing.assert_array_equal(a.state_dict()[name], value.numpy(), err_msg=name)
    c = (nt.TransformerDecoderLayer if decoder else nt.TransformerEncoderLayer)(D, H, FF, bias=bias)
    c.load_state_dict(b.state_dict())  # torch -> NumPy
    b.load_state_dict({k: torch.from_numpy(v * 2) for k, v in c.state_dict().items()})  # NumPy -> torch
    np.testing.assert_array_equal(b.linear2.weight.detach().numpy(), 2 * a.state_dict()["linear2.weight"])


@pytest.mark.parametrize("batch_first", [False, True])
def test_numpy_store_attention_equals_torch_twin(batch_first):
    layer = _np_layer(True, d_model=D, nhead=H, batch_first=batch_first, norm_first=True)
    twin = tt.TransformerDecoderLayer(D, H, 6, 0.0, batch_first=batch_first, norm_first=True, dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    layer.store_attention = twin.store_attention = True
    rng = np.random.default_rng(17)
    tgt, memory = rng.normal(size=_layout(4, 3, batch_first)), rng.normal(size=_layout(5, 3, batch_first))
    causal = np.triu(np.ones((4, 4), bool), 1)
    out = layer.forward(tgt, memory, tgt_mask=causal, tgt_is_causal=True)
    want = twin(torch.from_numpy(tgt), torch.from_numpy(memory), tgt_mask=torch.from_numpy(causal), tgt_is_causal=True)
    np.testing.assert_allclose(out, want.detach().numpy(), **TOL)
    assert layer.attention.shape == (3, H, 4, 4) and layer.cross_attention.shape == (3, H, 4, 5)
    np.testing.assert_allclose(layer.attention, twin.attention.numpy(), **TOL)
    np.testing.assert_allclose(layer.cross_attention, twin.cross_attention.numpy(), **TOL)
    enc = _np_layer(d_model=D, nhead=H)
    assert enc.forward(tgt[:, 0] if not batch_first else tgt[0]) is not None and enc.attention is None
    enc.store_attention = True
    enc.forward(tgt[:, 0] if not batch_first else tgt[0])
    assert enc.attention.shape == (H, 4, 4)  # unbatched


def test_numpy_float32_stays_float32_and_gelu_tanh_matches_the_twin():
    layer = nt.TransformerEncoderLayer(D, H, FF, 0.0, "gelu_tanh", dtype=np.float32, rng=np.random.default_rng(0))
    src = np.random.default_rng(18).normal(size=(4, 2, D)).astype(np.float32)
    out = layer.forward(src)
    dsrc = layer.backward(np.ones_like(out))
    assert out.dtype == dsrc.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    twin = tt.TransformerEncoderLayer(D, H, FF, 0.0, "gelu_tanh", dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(v.astype(np.float64)) for k, v in layer.state_dict().items()})
    ref = _reference(activation=lambda x: F.gelu(x, approximate="tanh"))
    ref.load_state_dict(twin.state_dict())
    x = torch.from_numpy(src.astype(np.float64))
    torch.testing.assert_close(twin(x), ref(x))
    np.testing.assert_allclose(out, twin(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_numpy_errors():
    layer = nt.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((2, 1, D)))
    with pytest.raises(ValueError, match="activation"):
        nt.TransformerEncoderLayer(D, H, FF, activation=np.tanh)
    with pytest.raises(ValueError, match="d_model"):
        layer.forward(np.zeros((3, 2, D + 1)))
    layer.forward(np.zeros((3, 2, D)))
    with pytest.raises(ValueError, match="dout"):
        layer.backward(np.zeros((3, 2, D - 1)))
    with pytest.raises(ValueError, match="state_dict keys"):
        layer.load_state_dict({"linear1.weight": np.zeros((FF, D))})
    with pytest.raises(ValueError, match="some biases"):
        params = nt.TransformerEncoderLayer(D, H, FF).state_dict()
        del params["norm2.bias"]
        nt.transformer_encoder_layer_forward(np.zeros((3, D)), params, H)
    with pytest.raises(ValueError, match="is_causal"):
        nt.TransformerDecoderLayer(D, H, FF).forward(np.zeros((3, D)), np.zeros((2, D)), memory_is_causal=True)
