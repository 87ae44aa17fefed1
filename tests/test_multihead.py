"""Multi-head attention (companion.np and companion.torch multi_head_attention / MultiheadAttention) against
torch.nn.MultiheadAttention with copied weights in float64: outputs, returned weights and the gradients of
query, key, value and every parameter, for every option (batch_first, bias, key_padding_mask and attn_mask
bool and float, 2-D and 3-D, need_weights and average_attn_weights, kdim/vdim, add_bias_kv, add_zero_attn,
unbatched input, is_causal, dropout in eval and training); hypothesis over shapes, heads and masks; finite
differences; state dicts both ways; permutation equivariance; padded keys changing nothing; errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import companion.np.multihead as npm
import companion.torch.multihead as tm
from tests.finite_differences import numerical_gradient

# The referee, torch.nn.MultiheadAttention, still takes a bool key_padding_mask beside a float attn_mask (and
# the reverse) but warns that it is deprecated; the tests mix them on purpose, to cover what torch accepts.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Support for mismatched key_padding_mask and attn_mask is deprecated:UserWarning")

TOL = dict(rtol=1e-9, atol=1e-10)


def _reference(embed_dim, num_heads, seed=0, **ctor):
    """torch.nn.MultiheadAttention in float64 with every parameter (biases too) drawn at random, in eval mode."""
    module = torch.nn.MultiheadAttention(embed_dim, num_heads, dtype=torch.float64, **ctor)
    rng = np.random.default_rng(seed)
    module.load_state_dict({k: torch.from_numpy(rng.normal(0, 0.5, tuple(v.shape)))
                            for k, v in module.state_dict().items()})
    return module.eval()


def _layout(length, n, dim, batch_first):
    return (length, dim) if n is None else ((n, length, dim) if batch_first else (length, n, dim))


def _bool_mask(rng, shape):
    """True (masked) at random, never on key 0, so that no row is fully masked."""
    mask = rng.random(shape) < 0.4
    mask[..., 0] = False
    return mask


def _masks(rng, spec, length, s, n, heads):
    """key_padding_mask and attn_mask as NumPy arrays from a spec: kpm 'bool'/'float', attn ('bool'|'float', rank)
    or 'causal' (torch's convention: True above the diagonal, may not attend)."""
    kpm = spec.get("kpm")
    kpm_shape = (s,) if n is None else (n, s)
    if kpm == "bool":
        kpm = _bool_mask(rng, kpm_shape)
    elif kpm == "float":
        kpm = rng.normal(size=kpm_shape)
    attn = spec.get("attn")
    if attn == "causal":
        attn = np.triu(np.ones((length, s), bool), 1)
    elif attn is not None:
        kind, rank = attn
        shape = (length, s) if rank == 2 else ((1 if n is None else n) * heads, length, s)
        attn = _bool_mask(rng, shape) if kind == "bool" else rng.normal(size=shape)
    return kpm, attn


def _problem(ctor, spec, length=3, s=4, n=2, embed_dim=4, heads=2, seed=0):
    """A reference module, inputs, masks and incoming gradients for one case."""
    module = _reference(embed_dim, heads, seed, **ctor)
    rng = np.random.default_rng(seed + 1)
    s = length if spec.get("self_attention") else s
    bf = ctor.get("batch_first", False)
    kdim, vdim = ctor.get("kdim") or embed_dim, ctor.get("vdim") or embed_dim
    x = [rng.normal(size=_layout(t, n, d, bf)) for t, d in ((length, embed_dim), (s, kdim), (s, vdim))]
    if spec.get("self_attention"):
        x = [x[0]] * 3
    kpm, attn = _masks(rng, spec, length, s, n, heads)
    s_total = s + ctor.get("add_bias_kv", False) + ctor.get("add_zero_attn", False)
    dout = rng.normal(size=_layout(length, n, embed_dim, bf))
    w_shape = ((n,) if n is not None else ()) + (() if spec.get("average", True) else (heads,)) + (length, s_total)
    dweights = rng.normal(size=w_shape) if spec.get("need_weights", True) else None
    return module, x, kpm, attn, dout, dweights


def _forward_options(spec, kpm, attn):
    return dict(key_padding_mask=kpm, attn_mask=attn, need_weights=spec.get("need_weights", True),
                average_attn_weights=spec.get("average", True), is_causal=spec.get("is_causal", False))


def _torch_run(module, x, kpm, attn, dout, dweights, spec):
    """The reference: (out, weights, [dquery, dkey, dvalue], {name: grad})."""
    leaves = [torch.tensor(a, requires_grad=True) for a in x]
    if spec.get("self_attention"):
        leaves = [leaves[0]] * 3
    masks = [None if m is None else torch.from_numpy(m) for m in (kpm, attn)]
    module.zero_grad()
    out, weights = module(*leaves, **_forward_options(spec, *masks))
    loss = (out * torch.from_numpy(dout)).sum()
    if dweights is not None:
        loss = loss + (weights * torch.from_numpy(dweights)).sum()
    dinputs = torch.autograd.grad(loss, leaves + list(module.parameters()))
    grads = dict(zip([k for k, _ in module.named_parameters()], dinputs[3:]))
    return out, weights, dinputs[:3], grads


def _np_options(module, spec, kpm, attn):
    return dict(_forward_options(spec, kpm, attn), batch_first=module.batch_first,
                add_zero_attn=module.add_zero_attn)


def _params(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def _np_run(module, x, kpm, attn, dout, dweights, spec):
    (out, weights), cache = npm.multi_head_attention_forward(*x, _params(module), module.num_heads,
                                                             **_np_options(module, spec, kpm, attn))
    dq, dk, dv, grads = npm.multi_head_attention_backward(dout, cache, dweights)
    if spec.get("self_attention"):
        dq = dk = dv = dq + dk + dv
    return out, weights, (dq, dk, dv), grads


def _twin_run(module, x, kpm, attn, dout, dweights, spec):
    params = {k: v.detach().clone() for k, v in module.state_dict().items()}
    masks = [None if m is None else torch.from_numpy(m) for m in (kpm, attn)]
    (out, weights), cache = tm.multi_head_attention_forward(
        *[torch.from_numpy(a) for a in x], params, module.num_heads, **_np_options(module, spec, *masks))
    d = tm.multi_head_attention_backward(torch.from_numpy(dout), cache,
                                         None if dweights is None else torch.from_numpy(dweights))
    dq, dk, dv, grads = d
    if spec.get("self_attention"):
        dq = dk = dv = dq + dk + dv
    return out, weights, (dq, dk, dv), grads


def _np(a):
    return np.asarray(a.detach() if hasattr(a, "detach") else a)


def _close(a, b):
    np.testing.assert_allclose(_np(a), _np(b), **TOL)


def _check_against_torch(ctor, spec, **sizes):
    problem = _problem(ctor, spec, **sizes)
    ref_out, ref_w, ref_dx, ref_grads = _torch_run(*problem, spec)
    for run in (_np_run, _twin_run):
        out, w, dx, grads = run(*problem, spec)
        _close(out, ref_out)
        assert (w is None) == (ref_w is None)
        if w is not None:
            _close(w, ref_w)
        for a, b in zip(dx, ref_dx):
            _close(a, b)
        assert list(grads) == list(ref_grads)
        for name in grads:
            _close(grads[name], ref_grads[name])


CORE = [
    ("plain", {}, {}),
    ("batch_first", {"batch_first": True}, {}),
    ("no_bias", {"bias": False}, {}),
    ("kpm_bool", {}, {"kpm": "bool"}),
    ("kpm_float", {"batch_first": True}, {"kpm": "float"}),
    ("attn_2d_bool", {}, {"attn": ("bool", 2)}),
    ("attn_2d_float", {}, {"attn": ("float", 2)}),
    ("attn_3d_bool", {"batch_first": True}, {"attn": ("bool", 3)}),
    ("attn_3d_float", {}, {"attn": ("float", 3)}),
    ("both_masks_bool", {}, {"kpm": "bool", "attn": ("bool", 3)}),
    ("both_masks_float", {}, {"kpm": "float", "attn": ("float", 2)}),
    ("per_head_weights", {}, {"average": False, "kpm": "bool"}),
    ("no_weights", {}, {"need_weights": False, "attn": ("bool", 2)}),
    ("no_weights_kpm", {"batch_first": True}, {"need_weights": False, "kpm": "bool"}),
    ("self_attention", {"batch_first": True}, {"self_attention": True, "kpm": "bool"}),
    ("dropout_in_eval", {"dropout": 0.5}, {"attn": ("float", 2)}),
]
EXTRA = [
    ("kdim_vdim", {"kdim": 3, "vdim": 5}, {"kpm": "bool"}),
    ("kdim_only", {"kdim": 6, "batch_first": True}, {"attn": ("bool", 2), "average": False}),
    ("kdim_vdim_no_bias", {"kdim": 2, "vdim": 3, "bias": False}, {"need_weights": False}),
    ("add_bias_kv", {"add_bias_kv": True}, {"kpm": "bool", "attn": ("float", 3)}),
    ("add_zero_attn", {"add_zero_attn": True}, {"kpm": "float", "attn": ("bool", 2)}),
    ("bias_kv_and_zero_attn", {"add_bias_kv": True, "add_zero_attn": True, "kdim": 3},
     {"kpm": "bool", "average": False}),
    ("bias_kv_no_weights", {"add_bias_kv": True, "batch_first": True}, {"need_weights": False}),
    ("unbatched", {}, {"n": None, "kpm": "bool", "attn": ("float", 3)}),
    ("unbatched_per_head", {"batch_first": True, "add_zero_attn": True}, {"n": None, "average": False}),
    ("unbatched_no_weights", {"kdim": 3}, {"n": None, "need_weights": False, "attn": ("bool", 2)}),
    ("causal_weights", {}, {"attn": "causal", "is_causal": True}),
    ("causal_sdpa_route", {}, {"attn": "causal", "is_causal": True, "need_weights": False}),
    ("causal_sdpa_route_bias_kv", {"add_bias_kv": True, "add_zero_attn": True},
     {"attn": "causal", "is_causal": True, "need_weights": False}),
    ("causal_with_kpm", {"batch_first": True}, {"attn": "causal", "is_causal": True, "need_weights": False,
                                                "kpm": "bool"}),
]


@pytest.mark.parametrize("name, ctor, spec", CORE + EXTRA, ids=[c[0] for c in CORE + EXTRA])
def test_equals_torch(name, ctor, spec):
    spec = dict(spec)
    sizes = {"n": spec.pop("n")} if "n" in spec else {}
    _check_against_torch(ctor, spec, **sizes)


@settings(max_examples=30, deadline=None)
@given(length=st.integers(1, 4), s=st.integers(1, 4), n=st.sampled_from([None, 1, 3]), heads=st.integers(1, 3),
       head_dim=st.integers(1, 3), batch_first=st.booleans(), bias=st.booleans(),
       kpm=st.sampled_from([None, "bool", "float"]), attn=st.sampled_from([None, ("bool", 2), ("float", 3)]),
       need_weights=st.booleans(), average=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_equals_torch_hypothesis(length, s, n, heads, head_dim, batch_first, bias, kpm, attn, need_weights,
                                 average, seed):
    spec = {"kpm": kpm, "attn": attn, "need_weights": need_weights, "average": average}
    _check_against_torch({"batch_first": batch_first, "bias": bias}, spec, length=length, s=s, n=n,
                         embed_dim=heads * head_dim, heads=heads, seed=seed)


def test_finite_differences():
    """Every gradient of the NumPy backward against centred differences, with all options that add terms."""
    module = _reference(4, 2, 3, kdim=3, vdim=2, add_bias_kv=True, add_zero_attn=True)
    rng = np.random.default_rng(5)
    x = [rng.normal(size=(3, 2, d)) for d in (4, 3, 2)]
    x[1], x[2] = x[1][:2], x[2][:2]  # two keys
    kpm, attn = rng.normal(size=(2, 2)), rng.normal(size=(4, 3, 2))
    params = _params(module)
    dout, dweights = rng.normal(size=(3, 2, 4)), rng.normal(size=(2, 2, 3, 4))
    options = dict(key_padding_mask=kpm, attn_mask=attn, average_attn_weights=False, add_zero_attn=True,
                   dropout_p=0.3)

    def loss():  # the same dropout mask every call: a fresh generator with the same seed
        out, w = npm.multi_head_attention(*x, params, 2, rng=np.random.default_rng(0), **options)
        return float((out * dout).sum() + (w * dweights).sum())

    _, cache = npm.multi_head_attention_forward(*x, params, 2, rng=np.random.default_rng(0), **options)
    dq, dk, dv, grads = npm.multi_head_attention_backward(dout, cache, dweights)
    for analytic, array in [(dq, x[0]), (dk, x[1]), (dv, x[2])] + [(grads[k], params[k]) for k in params]:
        np.testing.assert_allclose(analytic, numerical_gradient(loss, array), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("ctor", [{}, {"kdim": 3, "vdim": 5, "bias": False}, {"add_bias_kv": True}],
                         ids=["packed", "separate", "bias_kv"])
def test_state_dicts_both_ways(ctor):
    """Same keys in the same order and shapes as torch's; each layer loads the others' state dict."""
    ref = _reference(6, 3, **ctor)
    layer_np = npm.MultiheadAttention(6, 3, **ctor, rng=np.random.default_rng(0))
    layer_t = tm.MultiheadAttention(6, 3, **ctor, rng=np.random.default_rng(0), dtype=torch.float64)
    want = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert {k: v.shape for k, v in layer_np.state_dict().items()} == want
    assert list(layer_np.state_dict()) == list(want)
    assert {k: tuple(v.shape) for k, v in layer_t.state_dict().items()} == want
    assert list(layer_t.state_dict()) == list(want)
    np.testing.assert_array_equal(layer_t.state_dict()["out_proj.weight"].numpy(),
                                  layer_np.state_dict()["out_proj.weight"])  # one rng, one draw, both backends
    # torch's parameters into both layers: same outputs and weights
    layer_np.load_state_dict(ref.state_dict())
    layer_t.load_state_dict(ref.state_dict())
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(5, 2, d)) for d in (6, ctor.get("kdim", 6), ctor.get("vdim", 6))]
    want_out, want_w = ref(*[torch.from_numpy(a) for a in x])
    for out, w in (layer_np(*x), layer_t.eval()(*[torch.from_numpy(a) for a in x])):
        _close(out, want_out)
        _close(w, want_w)
    # and back: the NumPy layer's parameters into torch
    fresh = npm.MultiheadAttention(6, 3, **ctor, rng=np.random.default_rng(2))
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in fresh.state_dict().items()})
    _close(ref(*[torch.from_numpy(a) for a in x])[0], fresh(*x)[0])


def test_layer_backward_fills_grads():
    ref = _reference(4, 2, batch_first=True, add_bias_kv=True)
    layer = npm.MultiheadAttention(4, 2, batch_first=True, add_bias_kv=True)
    layer.load_state_dict(ref.state_dict())
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    kpm = _bool_mask(rng, (2, 3))
    out, _ = layer(x, x, x, key_padding_mask=kpm)
    dx = sum(layer.backward(np.ones_like(out)))
    xt = torch.tensor(x, requires_grad=True)
    ref(xt, xt, xt, key_padding_mask=torch.from_numpy(kpm))[0].sum().backward()
    _close(dx, xt.grad)
    for name, p in ref.named_parameters():
        _close(layer.grads[name], p.grad)


def test_training_dropout_masks_the_weights():
    """In training, each returned weight is 0 or its eval value / (1 - p); NumPy's mask comes from ``rng``."""
    p = 0.4
    layer = npm.MultiheadAttention(4, 2, dropout=p, rng=np.random.default_rng(0))
    twin = tm.MultiheadAttention(4, 2, dropout=p, dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(6, 3, 4))
    for module, inputs in ((layer, x), (twin, torch.from_numpy(x))):
        eval_w = _np(module.eval()(inputs, inputs, inputs, average_attn_weights=False)[1])
        train_w = _np(module.train()(inputs, inputs, inputs, average_attn_weights=False)[1])
        kept = train_w != 0
        assert 0 < kept.mean() < 1
        np.testing.assert_allclose(train_w[kept], eval_w[kept] / (1 - p), **TOL)
    a = npm.multi_head_attention(x, x, x, layer.state_dict(), 2, dropout_p=p, rng=np.random.default_rng(3))
    b = npm.multi_head_attention(x, x, x, layer.state_dict(), 2, dropout_p=p, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a[0], b[0])


def test_self_attention_is_permutation_equivariant():
    """Without masks or positions, permuting the sequence permutes the output rows and the weights."""
    params = _params(_reference(6, 3))
    x = np.random.default_rng(0).normal(size=(5, 2, 6))
    perm = np.array([3, 0, 4, 1, 2])
    out, w = npm.multi_head_attention(x, x, x, params, 3)
    out_p, w_p = npm.multi_head_attention(x[perm], x[perm], x[perm], params, 3)
    np.testing.assert_allclose(out_p, out[perm], **TOL)
    np.testing.assert_allclose(w_p, w[:, perm][:, :, perm], **TOL)
    assert not np.allclose(out_p, out)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_padded_keys_change_nothing(kind):
    """Extra keys masked out by key_padding_mask leave outputs (and the weights on real keys) unchanged."""
    params = _params(_reference(4, 2, batch_first=True))
    rng = np.random.default_rng(0)
    q, kv = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    padded = np.concatenate([kv, rng.normal(size=(2, 2, 4)) * 100], axis=1)
    mask = np.zeros((2, 7), bool)
    mask[:, 5:] = True
    mask = mask if kind == "bool" else np.where(mask, -np.inf, 0.0)
    out, w = npm.multi_head_attention(q, kv, kv, params, 2, batch_first=True)
    out_p, w_p = npm.multi_head_attention(q, padded, padded, params, 2, batch_first=True, key_padding_mask=mask)
    np.testing.assert_allclose(out_p, out, **TOL)
    np.testing.assert_allclose(w_p[..., :5], w, **TOL)
    assert np.all(w_p[..., 5:] == 0)


def test_fully_masked_rows_are_zeros():
    """A query allowed no key gets weights 0, so its output is out_proj.bias: what torch returns on its
    scaled_dot_product_attention route (need_weights=False), values and gradients; torch's weights route gives
    NaN there (the documented difference), and agrees with ours on every other row."""
    module = _reference(4, 2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 4))
    attn = np.zeros((3, 3), bool)
    attn[1] = True  # query 1 may attend to nothing
    dout = rng.normal(size=(3, 2, 4))
    spec = {"attn": "given", "need_weights": False}
    ref_out, _, ref_dx, ref_grads = _torch_run(module, [x] * 3, None, attn, dout, None, spec)
    for run in (_np_run, _twin_run):
        out, weights, dx, grads = run(module, [x] * 3, None, attn, dout, None, spec)
        _close(out, ref_out)
        _close(out[1], np.broadcast_to(_np(module.out_proj.bias), (2, 4)))
        for a, b in list(zip(dx, ref_dx)) + [(grads[k], ref_grads[k]) for k in grads]:
            _close(a, b)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        nan_out, nan_w = module(xt, xt, xt, attn_mask=torch.from_numpy(attn))
    assert torch.isnan(nan_out[1]).all() and torch.isnan(nan_w[:, 1]).all()
    for out, w in (npm.multi_head_attention(x, x, x, _params(module), 2, attn_mask=attn),
                   tm.multi_head_attention(xt, xt, xt, dict(module.named_parameters()), 2,
                                           attn_mask=torch.from_numpy(attn))):
        assert np.all(_np(w)[:, 1] == 0)
        _close(_np(out)[[0, 2]], nan_out[[0, 2]])
        _close(_np(w)[:, [0, 2]], nan_w[:, [0, 2]])


@pytest.mark.parametrize("backend", ["np", "torch"])
@pytest.mark.parametrize("change, message", [
    (dict(num_heads=3), "divisible by num_heads"),
    (dict(key_padding_mask=np.zeros((2, 4), np.int64)), "only bool and floating"),
    (dict(key_padding_mask=np.zeros((3, 4), bool)), "key_padding_mask must have shape"),
    (dict(attn_mask=np.zeros((4, 3), bool)), "attn_mask must have shape"),
    (dict(is_causal=True), "pass attn_mask too"),
    (dict(key=np.zeros((4, 2, 3))), "stacked in_proj_weight"),
    (dict(key=np.zeros((4, 3, 4))), "batch size"),
    (dict(query=np.zeros((2, 4))), "must be 2-D like query"),
    (dict(dropout_p=1.0), "dropout must lie"),
])
def test_errors(backend, change, message):
    params = _params(_reference(4, 2))
    args = dict(query=np.zeros((3, 2, 4)), key=np.zeros((4, 2, 4)), value=np.zeros((4, 2, 4)), num_heads=2)
    args.update(change)
    if backend == "torch":
        args = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
        params = {k: torch.from_numpy(v) for k, v in params.items()}
    fn = npm.multi_head_attention if backend == "np" else tm.multi_head_attention
    with pytest.raises(ValueError, match=message):
        fn(params=params, **args)


def test_layer_errors():
    with pytest.raises(ValueError, match="divisible"):
        npm.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="divisible"):
        tm.MultiheadAttention(5, 2)
    layer = npm.MultiheadAttention(4, 2)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((3, 2, 4)))
    x = np.zeros((3, 2, 4))
    layer(x, x, x, need_weights=False)
    with pytest.raises(ValueError, match="dout must have shape"):
        layer.backward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="need_weights=False"):
        layer.backward(np.zeros((3, 2, 4)), dweights=np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="missing"):
        layer.load_state_dict({"in_proj_weight": np.zeros((12, 4))})


def test_float32_stays_float32():
    """Outputs, weights and every gradient keep the inputs' precision, on every route."""
    layer = npm.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, dtype=np.float32,
                                   rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    q, k, v = (rng.normal(size=(3, 2, d)).astype(np.float32) for d in (4, 3, 4))
    kpm = _bool_mask(rng, (2, 3))
    for need_weights in (True, False):
        out, w = layer(q, k, v, key_padding_mask=kpm, need_weights=need_weights)
        dweights = np.ones_like(w) if need_weights else None
        dinputs = layer.backward(np.ones_like(out), dweights)
        arrays = [out, *dinputs, *layer.grads.values()] + ([w] if need_weights else [])
        assert all(a.dtype == np.float32 for a in arrays)
