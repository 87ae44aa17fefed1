"""The registry of concepts that exist in both backends, for the equivalence and gradient tests.

Each concept says how to draw inputs, how the NumPy reference computes the output and its
vector-Jacobian product (the backward pass), and how the PyTorch twin computes the output.
Only the inputs listed in ``differentiable`` get gradients compared.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from companion import np as cnp
from companion import torch as ct


@dataclass
class Concept:
    name: str
    make_inputs: Callable  # (rng, dims) -> tuple of NumPy arrays
    np_forward: Callable  # (*inputs) -> array or float
    np_backward: Callable  # (dout, *inputs) -> tuple of gradients, one per differentiable input
    torch_forward: Callable  # (*tensors) -> tensor
    differentiable: tuple  # indices of inputs with gradients

    def __repr__(self):
        return self.name


def _away_from_kinks(x):
    """Nudge values off ReLU's kink at 0, where finite differences straddle two slopes."""
    return np.where(np.abs(x) < 1e-3, 0.5, x)


# In float32 the tanh-GELU derivative loses absolute accuracy for x below about -4: there it is a
# difference of two terms near 1e-5 that each carry tanh's rounding, amplified about 20-fold, so one
# ulp of tanh moves it by about 1e-6 and torch and NumPy part by more than the float32 tolerance.
# Its inputs stay in [-3, 3] here; tests/test_activations.py covers the whole range in float64.
_INPUT_LIMITS = {"gelu_tanh": 3.0}


def _activation(name):
    def backward(dout, x):
        _, cache = cnp.activation_forward(x, name)
        return (cnp.activation_backward(dout, cache),)

    def make(rng, d):
        limit = _INPUT_LIMITS.get(name, np.inf)
        return (_away_from_kinks(np.clip(rng.normal(scale=2, size=(d[0], d[1])), -limit, limit)),)

    return Concept(
        name=f"activation:{name}",
        make_inputs=make,
        np_forward=cnp.get_activation(name),
        np_backward=backward,
        torch_forward=ct.get_activation(name),
        differentiable=(0,),
    )


def _dense(with_bias, one_sample=False):
    def make(rng, d):
        x = rng.normal(size=d[1]) if one_sample else rng.normal(size=(d[0], d[1]))
        w = rng.normal(size=(d[2], d[1]))
        return (x, w, rng.normal(size=d[2])) if with_bias else (x, w)

    def backward(dout, *inputs):
        _, cache = cnp.dense_forward(*inputs)
        dx, dw, db = cnp.dense_backward(dout, cache)
        return (dx, dw, db) if with_bias else (dx, dw)

    n = 3 if with_bias else 2
    return Concept(f"dense:{'bias' if with_bias else 'no-bias'}{':1-D' if one_sample else ''}", make,
                   cnp.dense, backward, ct.dense, tuple(range(n)))


def _loss(name, make, np_loss, np_grad, torch_loss):
    return Concept(f"loss:{name}", make, np_loss, lambda dout, a, b: (dout * np_grad(a, b),), torch_loss, (0,))


def _mlp(activations):
    def make(rng, d):
        sizes = [d[1], d[2], d[1] + 1, 3][: len(activations) + 1]
        net = cnp.build_mlp(sizes, activations, rng=rng)
        return (rng.normal(size=(d[0], sizes[0])),) + tuple(net.state_dict().values())

    def np_net(inputs):
        sizes = [inputs[1].shape[1]] + [w.shape[0] for w in inputs[1::2]]
        params = list(zip(inputs[1::2], inputs[2::2]))
        return cnp.from_weights(params, activations), sizes

    def forward(*inputs):
        net, _ = np_net(inputs)
        return net.forward(inputs[0])

    def backward(dout, *inputs):
        net, _ = np_net(inputs)
        net.forward(inputs[0])
        dx = net.backward(dout)
        return (dx,) + tuple(net.gradients().values())

    def torch_forward(x, *params):
        out = x
        for (w, b), act in zip(zip(params[0::2], params[1::2]), activations):
            out = ct.get_activation(act)(ct.dense(out, w, b))
        return out

    return Concept(f"mlp:{'-'.join(activations)}", make, forward, backward, torch_forward,
                   tuple(range(1 + 2 * len(activations))))


def _labels(rng, n, c):
    return rng.integers(0, c, size=n)


def _sequence_dense():
    """dense (= linear) on a (N, T, in) batch of sequences: leading dimensions pass through."""
    def make(rng, d):
        return rng.normal(size=(d[0], 2, d[1])), rng.normal(size=(d[2], d[1])), rng.normal(size=d[2])

    def backward(dout, *inputs):
        return cnp.linear_backward(dout, cnp.linear_forward(*inputs)[1])

    return Concept("linear:sequence", make, cnp.linear, backward, ct.linear, (0, 1, 2))


def _weighted_loss(name, make_pair, reduction):
    """mse / binary_cross_entropy with a per-entry weight (a third, non-differentiable input)."""
    np_loss, np_grad, torch_loss = (getattr(cnp, name), getattr(cnp, f"{name}_grad"), getattr(ct, name))

    def make(rng, d):
        return make_pair(rng, d) + (rng.uniform(0.1, 2.0, size=(d[0], d[1])),)

    return Concept(f"loss:{name}:weighted:{reduction}", make,
                   lambda a, b, w: np_loss(a, b, reduction, w),
                   lambda dout, a, b, w: (dout * np_grad(a, b, reduction, w),),
                   lambda a, b, w: torch_loss(a, b, reduction, w), (0,))


def _cross_entropy(probs):
    """cross_entropy on (N, C, T) logits: per-class weight, label smoothing, an ignored position or soft targets."""
    options = {"label_smoothing": 0.1}

    def make(rng, d):
        n_classes = d[1] + 1
        logits, weight = rng.normal(scale=2, size=(d[0], n_classes, 2)), rng.uniform(0.2, 2.0, n_classes)
        if probs:
            return logits, np.moveaxis(rng.dirichlet(np.ones(n_classes), size=(d[0], 2)), -1, 1), weight
        labels = rng.integers(0, n_classes, size=(d[0], 2))
        labels[0, 1] = -100  # ignored: out of the loss and of the weighted mean's denominator
        return logits, labels, weight

    return Concept(f"loss:cross_entropy:{'probs' if probs else 'indices'}", make,
                   lambda x, t, w: cnp.cross_entropy(x, t, w, **options),
                   lambda dout, x, t, w: (dout * cnp.cross_entropy_grad(x, t, w, **options),),
                   lambda x, t, w: ct.cross_entropy(x, t, w, **options), (0,))


def _embedding():
    """embedding lookup of (N, T) indices, repeats included (padding_idx and scale_grad_by_freq change the
    gradient by rule, not by calculus, so finite differences cannot check them: tests/test_embedding.py does)."""
    options = {}

    def make(rng, d):
        return rng.integers(0, d[1] + 2, size=(d[0], 3)), rng.normal(size=(d[1] + 2, d[2]))

    return Concept("embedding", make,
                   lambda i, w: cnp.embedding(i, w, **options),
                   lambda dout, i, w: (cnp.embedding_backward(dout, cnp.embedding_forward(i, w, **options)[1]),),
                   lambda i, w: ct.embedding(i, w, **options), (1,))


def _rotary(interleaved):
    """Rotary position embedding of x (N, T, D) at positions 0 .. T-1, pairs interleaved or half-split."""
    def make(rng, d):
        return (rng.normal(size=(d[0], d[1] + 1, 2 * d[2])),)

    return Concept(f"rotary:{'interleaved' if interleaved else 'half-split'}", make,
                   lambda x: cnp.apply_rotary(x, interleaved=interleaved),
                   lambda dout, x: (cnp.apply_rotary_backward(
                       dout, cnp.apply_rotary_forward(x, interleaved=interleaved)[1]),),
                   lambda x: ct.apply_rotary(x, interleaved=interleaved), (0,))


def _multihead():
    """Multi-head attention with 2 heads: query (N, L, E), key and value (N, L + 1, E), E = 2·d[2], batch first;
    its packed parameters are inputs too, so that every gradient is compared."""
    def make(rng, d):
        n, length, e = d[0], d[1], 2 * d[2]
        return (rng.normal(scale=0.5, size=(n, length, e)), rng.normal(scale=0.5, size=(n, length + 1, e)),
                rng.normal(scale=0.5, size=(n, length + 1, e)), rng.normal(scale=0.3, size=(3 * e, e)),
                rng.normal(scale=0.2, size=3 * e), rng.normal(scale=0.3, size=(e, e)), rng.normal(scale=0.2, size=e))

    def params(w_in, b_in, w_out, b_out):
        return {"in_proj_weight": w_in, "in_proj_bias": b_in, "out_proj.weight": w_out, "out_proj.bias": b_out}

    options = dict(batch_first=True, need_weights=False)

    def backward(dout, q, k, v, *p):
        _, cache = cnp.multi_head_attention_forward(q, k, v, params(*p), 2, **options)
        dq, dk, dv, grads = cnp.multi_head_attention_backward(dout, cache)
        return (dq, dk, dv, *grads.values())

    return Concept("multi_head_attention", make,
                   lambda q, k, v, *p: cnp.multi_head_attention(q, k, v, params(*p), 2, **options)[0], backward,
                   lambda q, k, v, *p: ct.multi_head_attention(q, k, v, params(*p), 2, **options)[0],
                   tuple(range(7)))


def _transformer_layer(decoder):
    """A transformer layer with 2 heads and gelu, E = 2·d[2] + 2, feed-forward size 3, batch first, every
    parameter an input: the encoder pre-norm and causal over src (N, L, E); the decoder post-norm over tgt
    (N, L, E) and memory (N, L + 1, E) whose last position is padding."""
    from companion._transformer import param_names

    names = param_names(decoder)
    shapes = {name: shape for name, shape in _transformer_shapes(decoder).items()}
    kind = "decoder" if decoder else "encoder"
    options = dict(batch_first=True, activation="gelu", norm_first=not decoder)

    def make(rng, d):
        n, length, e = d[0], d[1], 2 * d[2] + 2
        inputs = [rng.normal(size=(n, length, e))] + ([rng.normal(size=(n, length + 1, e))] if decoder else [])
        params = [1 + rng.normal(scale=0.2, size=shapes[name](e)) if name.startswith("norm") and "weight" in name
                  else rng.normal(scale=0.3, size=shapes[name](e)) for name in names]
        return (*inputs, *params)

    def split(args, lib):
        xs, ps = args[:1 + decoder], dict(zip(names, args[1 + decoder:]))
        length = xs[0].shape[1]
        masks = dict(src_mask=np.triu(np.ones((length, length), bool), 1), is_causal=True)
        if decoder:
            pad = np.zeros((xs[1].shape[0], xs[1].shape[1]), bool)
            pad[:, -1] = True
            masks = dict(memory_key_padding_mask=pad)
        if lib is torch:
            masks = {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()}
        return xs, ps, {**masks, **options}

    def np_forward(*args):
        xs, ps, kw = split(args, np)
        layer = cnp.transformer_decoder_layer if decoder else cnp.transformer_encoder_layer
        return layer(*xs, ps, 2, **kw)[0]

    def np_backward(dout, *args):
        xs, ps, kw = split(args, np)
        if decoder:
            _, cache = cnp.transformer_decoder_layer_forward(*xs, ps, 2, **kw)
            *dxs, grads = cnp.transformer_decoder_layer_backward(dout, cache)
        else:
            _, cache = cnp.transformer_encoder_layer_forward(*xs, ps, 2, **kw)
            *dxs, grads = cnp.transformer_encoder_layer_backward(dout, cache)
        return (*dxs, *grads.values())

    def torch_forward(*args):
        xs, ps, kw = split(args, torch)
        layer = ct.transformer_decoder_layer if decoder else ct.transformer_encoder_layer
        return layer(*xs, ps, 2, **kw)[0]

    return Concept(f"transformer_{kind}_layer", make, np_forward, np_backward, torch_forward,
                   tuple(range(1 + decoder + len(names))))


def _transformer_shapes(decoder):
    """{parameter name: E -> its shape} for a layer with feed-forward size 3."""
    from companion._transformer import layer_init

    shapes = {name: value.shape for name, value in layer_init(4, 2, 3, decoder=decoder,
                                                              rng=np.random.default_rng(0)).items()}
    return {name: (lambda e, s=shape: tuple(e if n == 4 else 3 * e if n == 12 else n for n in s))
            for name, shape in shapes.items()}


def _sdpa_causal_gqa():
    """Scaled dot-product attention, causal, 4 query heads sharing 2 key/value heads: query (N, 4, L, E),
    key and value (N, 2, L + 1, E|Ev) (causal with S != L, aligned at the top left as torch's is)."""
    def make(rng, d):
        n, length, e = d[0], d[1], d[2]
        return (rng.normal(size=(n, 4, length, e)), rng.normal(size=(n, 2, length + 1, e)),
                rng.normal(size=(n, 2, length + 1, e + 1)))

    options = dict(is_causal=True, enable_gqa=True)
    return Concept("sdpa:causal-gqa", make, lambda q, k, v: cnp.scaled_dot_product_attention(q, k, v, **options),
                   lambda dout, q, k, v: cnp.scaled_dot_product_attention_backward(
                       dout, cnp.scaled_dot_product_attention_forward(q, k, v, **options)[1]),
                   lambda q, k, v: ct.scaled_dot_product_attention(q, k, v, **options), (0, 1, 2))


def _sdpa_float_mask():
    """Scaled dot-product attention with an additive float mask (L, S) broadcast over the batch, a scale of
    0.5, and the mask's gradient compared too (a learned bias)."""
    def make(rng, d):
        n, length, e = d[0], d[1], d[2]
        return (rng.normal(size=(n, length, e)), rng.normal(size=(n, length + 2, e)),
                rng.normal(size=(n, length + 2, e)), rng.normal(size=(length, length + 2)))

    return Concept("sdpa:float-mask", make, lambda q, k, v, m: cnp.scaled_dot_product_attention(q, k, v, m, scale=0.5),
                   lambda dout, q, k, v, m: cnp.scaled_dot_product_attention_backward(
                       dout, cnp.scaled_dot_product_attention_forward(q, k, v, m, scale=0.5)[1], mask_grad=True),
                   lambda q, k, v, m: ct.scaled_dot_product_attention(q, k, v, m, scale=0.5), (0, 1, 2, 3))


def _every_third(shape):
    """A fixed boolean mask: every third position blocked, and the first row blocked whole (a row that must
    come out as zeros)."""
    mask = np.arange(int(np.prod(shape))).reshape(shape) % 3 != 1
    mask[..., 0, :] = False
    return mask


def _masked_softmax():
    def make(rng, d):
        return (rng.normal(scale=2, size=(d[0], d[1] + 1, d[2] + 1)),)

    return Concept("masked_softmax", make, lambda x: cnp.masked_softmax(x, _every_third(x.shape)),
                   lambda dout, x: (cnp.masked_softmax_backward(
                       dout, cnp.masked_softmax_forward(x, _every_third(x.shape))[1]),),
                   lambda x: ct.masked_softmax(x, torch.as_tensor(_every_third(tuple(x.shape)))), (0,))


def _additive():
    """Additive attention, query (N, L, 3), key (N, L + 1, 2), value (N, L + 1, E), hidden size 4, the last key
    of each sequence padding; every parameter an input, so that every gradient is compared."""
    def make(rng, d):
        n, length, e = d[0], d[1], d[2]
        return (rng.normal(size=(n, length, 3)), rng.normal(size=(n, length + 1, 2)),
                rng.normal(size=(n, length + 1, e)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2)),
                rng.normal(size=4))

    def padding(key):
        pad = np.zeros(tuple(key.shape[:-1]), dtype=bool)
        pad[:, -1] = True
        return pad

    return Concept("additive_attention", make,
                   lambda *a: cnp.additive_attention(*a, key_padding_mask=padding(a[1])),
                   lambda dout, *a: cnp.additive_attention_backward(
                       dout, cnp.additive_attention_forward(*a, key_padding_mask=padding(a[1]))[1]),
                   lambda *a: ct.additive_attention(*a, key_padding_mask=torch.as_tensor(padding(a[1]))),
                   tuple(range(6)))


def _pair_normal(rng, d):
    return rng.normal(size=(d[0], d[1])), rng.normal(size=(d[0], d[1]))


def _pair_probs(rng, d):
    return rng.uniform(0.05, 0.95, size=(d[0], d[1])), rng.uniform(0, 1, size=(d[0], d[1]))


def _graph_index(rng, d):
    """Group ids for d[0] + 2 entries among d[1] + 1 groups (some groups empty, some shared)."""
    return rng.integers(0, d[1] + 1, size=d[0] + 2)


def _scatter(reduce):
    def make(rng, d):
        return rng.normal(size=(d[0] + 2, d[2])), _graph_index(rng, d)

    return Concept(f"graph:scatter:{reduce}", make, lambda src, index: cnp.scatter(src, index, reduce=reduce),
                   lambda dout, src, index: (cnp.scatter_backward(dout, cnp.scatter_forward(src, index,
                                                                                           reduce=reduce)[1]),),
                   lambda src, index: ct.scatter(src, index, reduce=reduce), (0,))


def _scatter_softmax():
    def make(rng, d):
        return rng.normal(scale=2, size=(d[0] + 2, d[2])), _graph_index(rng, d)

    return Concept("graph:scatter_softmax", make, cnp.scatter_softmax,
                   lambda dout, src, index: (cnp.scatter_softmax_backward(
                       dout, cnp.scatter_softmax_forward(src, index)[1]),),
                   ct.scatter_softmax, (0,))


def _propagate(aggr):
    """x (N, F) on a random directed graph with self-loops and repeated edges, weighted edges."""
    def make(rng, d):
        n = d[1] + 1
        return rng.normal(size=(n, d[2])), rng.integers(0, n, size=(2, d[0] + 2)), rng.uniform(0.5, 2, size=d[0] + 2)

    return Concept(f"graph:propagate:{aggr}", make, lambda x, ei, w: cnp.propagate(x, ei, w, aggr),
                   lambda dout, x, ei, w: cnp.propagate_backward(dout, cnp.propagate_forward(x, ei, w, aggr)[1]),
                   lambda x, ei, w: ct.propagate(x, ei, w, aggr), (0, 2))


def _global_pool(reduce):
    def make(rng, d):
        return rng.normal(size=(d[0] + 2, d[2])), _graph_index(rng, d)

    names = {"sum": "global_add_pool", "mean": "global_mean_pool", "max": "global_max_pool"}
    return Concept(f"graph:{names[reduce]}", make, getattr(cnp, names[reduce]),
                   lambda dout, x, batch: (cnp.global_pool_backward(
                       dout, cnp.global_pool_forward(x, batch, reduce)[1]),),
                   getattr(ct, names[reduce]), (0,))


def _gcn_conv():
    """GCN (normalized, self-loops added) on a random directed graph with weighted edges: x, W, b, w."""
    def make(rng, d):
        n = d[1] + 1
        return (rng.normal(size=(n, d[2])), rng.integers(0, n, size=(2, d[0] + 2)), rng.normal(size=(2, d[2])),
                rng.normal(size=2), rng.uniform(0.5, 2, size=d[0] + 2))

    return Concept("gnn:gcn_conv", make, lambda x, ei, w, b, ew: cnp.gcn_conv(x, ei, w, b, ew),
                   lambda dout, x, ei, w, b, ew: cnp.gcn_conv_backward(
                       dout, cnp.gcn_conv_forward(x, ei, w, b, ew)[1]),
                   lambda x, ei, w, b, ew: ct.gcn_conv(x, ei, w, b, ew), (0, 2, 3, 4))


def _sage_conv(aggr):
    """GraphSAGE with a root weight on a random directed graph: x, W_l, b_l, W_r."""
    names = ("lin_l.weight", "lin_l.bias", "lin_r.weight")

    def make(rng, d):
        n = d[1] + 1
        return (rng.normal(size=(n, d[2])), rng.integers(0, n, size=(2, d[0] + 2)), rng.normal(size=(2, d[2])),
                rng.normal(size=2), rng.normal(size=(2, d[2])))

    def np_backward(dout, x, ei, *params):
        dx, grads = cnp.sage_conv_backward(dout, cnp.sage_conv_forward(x, ei, dict(zip(names, params)), aggr=aggr)[1])
        return (dx, *(grads[name] for name in names))

    return Concept(f"gnn:sage_conv:{aggr}", make,
                   lambda x, ei, *params: cnp.sage_conv(x, ei, dict(zip(names, params)), aggr=aggr), np_backward,
                   lambda x, ei, *params: ct.sage_conv(x, ei, dict(zip(names, params)), aggr=aggr), (0, 2, 3, 4))


def _gat_conv():
    """Two-head graph attention with edge features (self-loops filled with the mean of each node's incoming
    features) on a random directed graph with self-loops and repeated edges: x, lin.weight, att_src, att_dst,
    bias, edge_attr, lin_edge.weight, att_edge."""
    names = ("lin.weight", "att_src", "att_dst", "bias", "lin_edge.weight", "att_edge")

    def make(rng, d):
        n, c, e = d[1] + 1, d[2], d[0] + 2
        # scales that keep the scores within a few units: a saturated softmax leaves float32 gradients that
        # are differences of nearly equal numbers
        return (rng.normal(size=(n, 3)), rng.integers(0, n, size=(2, e)), rng.normal(0, 0.5, size=(2 * c, 3)),
                rng.normal(0, 0.5, size=(1, 2, c)), rng.normal(0, 0.5, size=(1, 2, c)), rng.normal(size=2 * c),
                rng.normal(size=(e, 2)), rng.normal(0, 0.5, size=(2 * c, 2)), rng.normal(0, 0.5, size=(1, 2, c)))

    def params(args):
        weight, att_src, att_dst, bias, attr, edge_weight, att_edge = args
        return dict(zip(names, (weight, att_src, att_dst, bias, edge_weight, att_edge))), attr

    def np_forward(x, ei, *args):
        p, attr = params(args)
        return cnp.gat_conv(x, ei, p, heads=2, edge_attr=attr)[0]

    def np_backward(dout, x, ei, *args):
        p, attr = params(args)
        dx, dattr, grads = cnp.gat_conv_backward(dout, cnp.gat_conv_forward(x, ei, p, heads=2, edge_attr=attr)[1])
        return (dx, *(grads[name] for name in names[:4]), dattr, *(grads[name] for name in names[4:]))

    def torch_forward(x, ei, *args):
        p, attr = params(args)
        return ct.gat_conv(x, ei, p, heads=2, edge_attr=attr)[0]

    return Concept("gnn:gat_conv", make, np_forward, np_backward, torch_forward, (0, 2, 3, 4, 5, 6, 7, 8))


CONCEPTS = [
    *[_activation(name) for name in cnp.activations.NAMES],
    _dense(True), _dense(False), _dense(True, one_sample=True),
    _loss("mse", lambda rng, d: (rng.normal(size=(d[0], d[1])), rng.normal(size=(d[0], d[1]))),
          cnp.mse, cnp.mse_grad, ct.mse),
    _loss("binary_cross_entropy",
          lambda rng, d: (rng.uniform(0.05, 0.95, size=(d[0], d[1])), rng.uniform(0, 1, size=(d[0], d[1]))),
          cnp.binary_cross_entropy, cnp.binary_cross_entropy_grad, ct.binary_cross_entropy),
    _loss("softmax_cross_entropy",
          lambda rng, d: (rng.normal(scale=2, size=(d[0], d[1] + 1)), _labels(rng, d[0], d[1] + 1)),
          cnp.softmax_cross_entropy, cnp.softmax_cross_entropy_grad, ct.softmax_cross_entropy),
    _sequence_dense(),
    _weighted_loss("mse", _pair_normal, "mean"), _weighted_loss("mse", _pair_normal, "none"),
    _weighted_loss("binary_cross_entropy", _pair_probs, "mean"),
    _weighted_loss("binary_cross_entropy", _pair_probs, "sum"),
    _cross_entropy(probs=False), _cross_entropy(probs=True),
    _embedding(),
    _rotary(True), _rotary(False),
    _multihead(),
    _sdpa_causal_gqa(), _sdpa_float_mask(), _masked_softmax(), _additive(),
    _transformer_layer(False),  # the decoder layer's own float64 and finite-difference tests: test_transformer.py
    _mlp(["relu", "sigmoid"]),
    _mlp(["tanh", "relu", "softmax"]),
    _mlp(["gelu", "leaky_relu", "silu"]),
    *[_scatter(reduce) for reduce in ("sum", "mean", "max", "min", "mul")], _scatter_softmax(),
    *[_propagate(aggr) for aggr in ("sum", "mean", "max")],
    *[_global_pool(reduce) for reduce in ("sum", "mean", "max")],
    _gcn_conv(), *[_sage_conv(aggr) for aggr in ("mean", "max")],
    _gat_conv(),
]


def to_torch(a, dtype, requires_grad=False):
    """A CPU tensor (integer arrays keep an integer dtype, as class labels must)."""
    if np.issubdtype(np.asarray(a).dtype, np.integer):
        return torch.as_tensor(a)
    return torch.tensor(a, dtype=dtype, requires_grad=requires_grad)
