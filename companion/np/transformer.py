"""Transformer encoder and decoder layers (Vaswani et al. 2017), forward and backward by hand, equal to
``torch.nn.TransformerEncoderLayer`` / ``torch.nn.TransformerDecoderLayer`` with copied weights.

Built from the book's pieces: multi-head attention (:mod:`companion.np.multihead`), layer norm
(:mod:`companion.np.normalization`), linear layers (:mod:`companion.np.dense`), activations and dropout.
One sub-layer f (self-attention, cross-attention over the encoder's output, or the feed-forward block) and
its layer norm make a residual block::

    post-norm (norm_first=False, the 2017 paper):   y = LayerNorm(x + Dropout(f(x)))
    pre-norm  (norm_first=True, Xiong et al. 2020): y = x + Dropout(f(LayerNorm(x)))
    feed-forward block:                            f(x) = linear2(Dropout(activation(linear1(x))))

The encoder layer is self-attention then the feed-forward block; the decoder layer is self-attention over
tgt, cross-attention (queries from tgt, keys and values from memory), then the feed-forward block.

Backward of a residual block, from dL/dy: post-norm dz = LayerNorm'(dy), dx = dz + f'(Dropout'(dz));
pre-norm dx = dy + LayerNorm'(f'(Dropout'(dy))): the identity path carries the gradient past f, which is
why deep residual stacks train. Self-attention's input gets the sum of its query, key and value gradients.

Masks as ``torch.nn.MultiheadAttention`` takes them (bool: True = may NOT attend; float: added to the
scores); ``is_causal`` is only a hint that the mask given is the causal one. Shapes: (L, N, E), (N, L, E)
with ``batch_first``, or (L, E) unbatched. Parameters: a dict under torch's names (see
:mod:`companion._transformer`). Dropout in training mode draws its masks from ``rng`` (NumPy's global
generator when None).

A query allowed no key at all (a sequence padded whole) gets attention weights 0, so its attention output is
out_proj.bias, as torch.nn's layers compute it in training mode or with gradients on; torch's fused
inference path (eval mode under no_grad) gives NaN there instead (torch 2.13, pinned by a test).
"""

import numpy as np

from companion._transformer import (ACTIVATIONS, check_activation_name, check_layer_args, check_layer_input,
                                    check_memory, check_params, layer_init, sub_params)
from companion.np._state import DictParams
from companion.np.activations import activation_backward, activation_forward
from companion.np.dense import linear_backward, linear_forward
from companion.np.multihead import multi_head_attention_backward, multi_head_attention_forward
from companion.np.normalization import layer_norm_backward, layer_norm_forward
from companion.np.regularization import dropout_backward, dropout_forward


def _arrays(params):
    return {k: np.asarray(v.detach().cpu() if hasattr(v, "detach") else v) for k, v in params.items()
            if v is not None}


def _named(prefix, grads):
    """{prefix.name: gradient}, the absent (None) ones dropped."""
    return {f"{prefix}.{k}": g for k, g in grads.items() if g is not None}


# -- the three sub-layers: each forward returns (out, cache), each backward (dinput, grads, dmemory) -----------

def _attention_forward(x, memory, params, prefix, nhead, mask, key_padding_mask, is_causal, options):
    """Multi-head attention with queries from x, keys and values from x (memory None) or memory."""
    batch_first, dropout, training, need_weights, rng = options
    source = x if memory is None else memory
    (out, weights), cache = multi_head_attention_forward(
        x, source, source, sub_params(params, prefix), nhead, key_padding_mask=key_padding_mask,
        need_weights=need_weights, attn_mask=mask, average_attn_weights=False, is_causal=is_causal,
        batch_first=batch_first, dropout_p=dropout, training=training, rng=rng)
    return out, (cache, prefix, memory is None, weights)


def _attention_backward(dout, cache):
    mha_cache, prefix, self_attention, _ = cache
    dquery, dkey, dvalue, grads = multi_head_attention_backward(dout, mha_cache)
    if self_attention:  # one x fed all three
        return dquery + dkey + dvalue, _named(prefix, grads), None
    return dquery, _named(prefix, grads), dkey + dvalue


def _feed_forward_forward(x, params, activation, dropout, training, rng):
    """linear2(Dropout(activation(linear1(x))))."""
    h, c1 = linear_forward(x, params["linear1.weight"], params.get("linear1.bias"))
    a, ca = activation_forward(h, activation)
    a, cd = dropout_forward(a, dropout, training, rng)
    out, c2 = linear_forward(a, params["linear2.weight"], params.get("linear2.bias"))
    return out, (c1, ca, cd, c2)


def _feed_forward_backward(dout, cache):
    c1, ca, cd, c2 = cache
    da, dw2, db2 = linear_backward(dout, c2)
    dh = activation_backward(dropout_backward(da, cd), ca)
    dx, dw1, db1 = linear_backward(dh, c1)
    grads = {"linear1.weight": dw1, "linear1.bias": db1, "linear2.weight": dw2, "linear2.bias": db2}
    return dx, {k: g for k, g in grads.items() if g is not None}, None


# -- the residual block around a sub-layer -------------------------------------------------------------------

def _residual_forward(x, sublayer, params, norm, eps, norm_first, drop):
    """Pre-norm x + Dropout(f(LayerNorm(x))) or post-norm LayerNorm(x + Dropout(f(x))); ``sublayer`` maps
    an input to (f(input), cache), ``drop`` (p, training, rng) is the dropout after f."""
    weight, bias = params[f"{norm}.weight"], params.get(f"{norm}.bias")
    if norm_first:
        normed, cn = layer_norm_forward(x, weight.shape, weight, bias, eps)
        f, cf = sublayer(normed)
        f, cd = dropout_forward(f, *drop)
        return x + f, (norm, cn, cf, cd)
    f, cf = sublayer(x)
    f, cd = dropout_forward(f, *drop)
    out, cn = layer_norm_forward(x + f, weight.shape, weight, bias, eps)
    return out, (norm, cn, cf, cd)


def _residual_backward(dout, cache, norm_first, sublayer_backward):
    """(dx, grads, dmemory) of a residual block; the identity path adds dout (pre-norm) or dz (post-norm)."""
    norm, cn, cf, cd = cache
    if norm_first:
        dnormed, grads, dmemory = sublayer_backward(dropout_backward(dout, cd), cf)
        dx, dweight, dbias = layer_norm_backward(dnormed, cn)
        dx = dout + dx
    else:
        dz, dweight, dbias = layer_norm_backward(dout, cn)
        df, grads, dmemory = sublayer_backward(dropout_backward(dz, cd), cf)
        dx = dz + df
    grads.update(_named(norm, {"weight": dweight, "bias": dbias}))
    return dx, grads, dmemory


def _ordered(grads, params):
    return {name: grads[name] for name in params}


# -- the functional layers -----------------------------------------------------------------------------------

def _checked_call(x, name, params, nhead, decoder, activation, dropout, layer_norm_eps):
    """(x, params) as arrays, after the checks a layer call shares: parameter names and shapes, the input's
    width, the sizes and the activation's name."""
    x, params = np.asarray(x), _arrays(params)
    d_model = check_params(params, decoder=decoder)
    check_layer_input(x, d_model, name)
    check_layer_args(d_model, nhead, params["linear1.weight"].shape[0], dropout, layer_norm_eps)
    check_activation_name(activation, ACTIVATIONS, callables=False)
    return x, params


def transformer_encoder_layer_forward(src, params, nhead, *, src_mask=None, src_key_padding_mask=None,
                                      is_causal=False, norm_first=False, activation="relu", layer_norm_eps=1e-5,
                                      batch_first=False, dropout=0.0, training=True, need_weights=False, rng=None):
    """One encoder layer: (out, cache), out as ``torch.nn.TransformerEncoderLayer`` computes it.

    With ``need_weights`` the per-head self-attention weights (N, nhead, L, L) ((nhead, L, L) unbatched)
    are ``cache["attention"]``.
    """
    src, params = _checked_call(src, "src", params, nhead, False, activation, dropout, layer_norm_eps)
    options = (batch_first, dropout, training, need_weights, rng)
    drop = (dropout, training, rng)
    x, c_sa = _residual_forward(
        src, lambda y: _attention_forward(y, None, params, "self_attn", nhead, src_mask, src_key_padding_mask,
                                          is_causal, options), params, "norm1", layer_norm_eps, norm_first, drop)
    x, c_ff = _residual_forward(
        x, lambda y: _feed_forward_forward(y, params, activation, dropout, training, rng), params, "norm2",
        layer_norm_eps, norm_first, drop)
    return x, {"caches": (c_sa, c_ff), "norm_first": norm_first, "params": list(params),
               "shape": src.shape, "dtype": x.dtype, "attention": c_sa[2][3]}


def _incoming(dout, cache):
    dout = np.asarray(dout, dtype=cache["dtype"])
    if dout.shape != cache["shape"]:
        raise ValueError(f"dout must have the output's shape {cache['shape']}, got {dout.shape}")
    return dout


def transformer_encoder_layer_backward(dout, cache):
    """(dsrc, grads) from dL/d(out); ``grads`` under torch's names, in its state-dict order."""
    dout = _incoming(dout, cache)
    c_sa, c_ff = cache["caches"]
    norm_first = cache["norm_first"]
    dx, grads, _ = _residual_backward(dout, c_ff, norm_first, _feed_forward_backward)
    dsrc, more, _ = _residual_backward(dx, c_sa, norm_first, _attention_backward)
    return dsrc, _ordered({**grads, **more}, cache["params"])


def transformer_encoder_layer(src, params, nhead, **options):
    """(out, attention weights or None); options as in :func:`transformer_encoder_layer_forward`."""
    out, cache = transformer_encoder_layer_forward(src, params, nhead, **options)
    return out, cache["attention"]


def transformer_decoder_layer_forward(tgt, memory, params, nhead, *, tgt_mask=None, memory_mask=None,
                                      tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False,
                                      memory_is_causal=False, norm_first=False, activation="relu",
                                      layer_norm_eps=1e-5, batch_first=False, dropout=0.0, training=True,
                                      need_weights=False, rng=None):
    """One decoder layer: (out, cache), out as ``torch.nn.TransformerDecoderLayer`` computes it.

    ``tgt`` (T, N, E) and ``memory`` (S, N, E) (batch first with ``batch_first``; (T, E), (S, E) unbatched).
    With ``need_weights`` the per-head weights are ``cache["attention"]`` (N, nhead, T, T) and
    ``cache["cross_attention"]`` (N, nhead, T, S).
    """
    tgt, params = _checked_call(tgt, "tgt", params, nhead, True, activation, dropout, layer_norm_eps)
    memory = np.asarray(memory)
    check_memory(tgt, memory)
    options = (batch_first, dropout, training, need_weights, rng)
    drop = (dropout, training, rng)
    x, c_sa = _residual_forward(
        tgt, lambda y: _attention_forward(y, None, params, "self_attn", nhead, tgt_mask, tgt_key_padding_mask,
                                          tgt_is_causal, options), params, "norm1", layer_norm_eps, norm_first, drop)
    x, c_ca = _residual_forward(
        x, lambda y: _attention_forward(y, memory, params, "multihead_attn", nhead, memory_mask,
                                        memory_key_padding_mask, memory_is_causal, options),
        params, "norm2", layer_norm_eps, norm_first, drop)
    x, c_ff = _residual_forward(
        x, lambda y: _feed_forward_forward(y, params, activation, dropout, training, rng), params, "norm3",
        layer_norm_eps, norm_first, drop)
    return x, {"caches": (c_sa, c_ca, c_ff), "norm_first": norm_first, "params": list(params),
               "shape": tgt.shape, "dtype": x.dtype, "attention": c_sa[2][3], "cross_attention": c_ca[2][3]}


def transformer_decoder_layer_backward(dout, cache):
    """(dtgt, dmemory, grads) from dL/d(out); ``grads`` under torch's names, in its state-dict order."""
    dout = _incoming(dout, cache)
    c_sa, c_ca, c_ff = cache["caches"]
    norm_first = cache["norm_first"]
    dx, grads, _ = _residual_backward(dout, c_ff, norm_first, _feed_forward_backward)
    dx, cross, dmemory = _residual_backward(dx, c_ca, norm_first, _attention_backward)
    dtgt, own, _ = _residual_backward(dx, c_sa, norm_first, _attention_backward)
    return dtgt, dmemory, _ordered({**grads, **cross, **own}, cache["params"])


def transformer_decoder_layer(tgt, memory, params, nhead, **options):
    """(out, self-attention weights, cross-attention weights), the weights None unless ``need_weights``."""
    out, cache = transformer_decoder_layer_forward(tgt, memory, params, nhead, **options)
    return out, cache["attention"], cache["cross_attention"]


# -- the layers ----------------------------------------------------------------------------------------------

class _Layer(DictParams):
    """What both layers share: parameters drawn as torch draws them (from ``rng``, which also draws the dropout
    masks in training mode), the options, state dicts, train/eval."""

    _decoder = False

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                 norm_first, bias, rng, dtype):
        check_layer_args(d_model, nhead, dim_feedforward, dropout, layer_norm_eps)
        self.activation = check_activation_name(activation, ACTIVATIONS, callables=False)
        self.d_model, self.nhead, self.dim_feedforward = d_model, nhead, dim_feedforward
        self.dropout, self.layer_norm_eps, self.batch_first, self.norm_first = (dropout, layer_norm_eps,
                                                                                batch_first, norm_first)
        self.rng, self.training, self.store_attention, self.attention = rng, True, False, None
        self._params = layer_init(d_model, nhead, dim_feedforward, bias, self._decoder, rng, dtype)
        self.grads, self._cache = {}, None

    def _options(self):
        return dict(norm_first=self.norm_first, activation=self.activation, layer_norm_eps=self.layer_norm_eps,
                    batch_first=self.batch_first, dropout=self.dropout, training=self.training,
                    need_weights=self.store_attention, rng=self.rng)

    def _check_backward(self):
        if self._cache is None:
            raise RuntimeError("backward called before forward")

    def __repr__(self):
        return (f"{type(self).__name__}(d_model={self.d_model}, nhead={self.nhead}, "
                f"dim_feedforward={self.dim_feedforward}, norm_first={self.norm_first})")


class TransformerEncoderLayer(_Layer):
    """``torch.nn.TransformerEncoderLayer`` in NumPy: the same constructor, parameter names and results.

    ``forward`` returns the output; ``backward(dout)`` returns dsrc and fills ``grads`` under torch's names.
    With ``store_attention = True`` the last call's per-head self-attention weights are in ``attention``
    (N, nhead, L, L) whatever ``batch_first`` says ((nhead, L, L) unbatched).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, *, rng=None, dtype=np.float64):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, rng, dtype)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        out, self._cache = transformer_encoder_layer_forward(
            src, self._params, self.nhead, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask,
            is_causal=is_causal, **self._options())
        self.attention = self._cache["attention"]
        return out

    __call__ = forward

    def backward(self, dout):
        self._check_backward()
        dsrc, self.grads = transformer_encoder_layer_backward(dout, self._cache)
        return dsrc


class TransformerDecoderLayer(_Layer):
    """``torch.nn.TransformerDecoderLayer`` in NumPy: the same constructor, parameter names and results.

    ``backward(dout)`` returns (dtgt, dmemory) and fills ``grads``. With ``store_attention = True`` the last
    call's per-head weights are in ``attention`` (self, (N, nhead, T, T)) and ``cross_attention``
    ((N, nhead, T, S)).
    """

    _decoder = True

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, *, rng=None, dtype=np.float64):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, rng, dtype)
        self.cross_attention = None

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        out, self._cache = transformer_decoder_layer_forward(
            tgt, memory, self._params, self.nhead, tgt_mask=tgt_mask, memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal, **self._options())
        self.attention, self.cross_attention = self._cache["attention"], self._cache["cross_attention"]
        return out

    __call__ = forward

    def backward(self, dout):
        self._check_backward()
        dtgt, dmemory, self.grads = transformer_decoder_layer_backward(dout, self._cache)
        return dtgt, dmemory
