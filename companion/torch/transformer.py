"""Transformer encoder and decoder layers (Vaswani et al. 2017) in PyTorch, written from the book's own
multi-head attention (:mod:`companion.torch.multihead`), layer norm, linear layers and activations; autograd
does the backward pass. Same names, options, shapes and parameter dicts as :mod:`companion.np.transformer`,
and the same results as ``torch.nn.TransformerEncoderLayer`` / ``torch.nn.TransformerDecoderLayer`` with
copied weights (their state dicts load both ways).

One sub-layer f (self-attention, cross-attention or the feed-forward block) wrapped with its layer norm::

    post-norm (norm_first=False, the 2017 paper):   x = LayerNorm(x + Dropout(f(x)))
    pre-norm  (norm_first=True, Xiong et al. 2020): x = x + Dropout(f(LayerNorm(x)))
    feed-forward block:                            f(x) = linear2(Dropout(activation(linear1(x))))

Masks as ``torch.nn.MultiheadAttention`` takes them (bool: True = may NOT attend; float: added to the
scores); ``is_causal`` is only a hint that the mask given is the causal one. With ``store_attention = True``
a layer keeps the last call's per-head attention weights (after dropout, detached) in ``attention`` (the
decoder's cross-attention in ``cross_attention``): (N, nhead, L, S) whatever ``batch_first`` says, (nhead,
L, S) for unbatched input. Asking for them routes attention through the mask given even with
``is_causal=True``, which gives the same result when the hint is true.

``transformer_encoder_layer_forward`` / ``_backward`` (and the decoder's) give the NumPy twin's
interface: a cache, then gradients under torch's names.

A query allowed no key at all (a sequence padded whole) gets attention weights 0, so its attention output is
out_proj.bias, as torch.nn's layers compute it in training mode or with gradients on; torch's fused
inference path (eval mode under no_grad) gives NaN there instead (torch 2.13, pinned by a test).
"""

import torch
import torch.nn.functional as F

from companion._runtime import device as default_device
from companion._transformer import (ACTIVATIONS, check_activation_name, check_layer_args, check_layer_input,
                                    check_memory, check_params, sub_params)
from companion.torch.activations import get_activation
from companion.torch.dense import Dense
from companion.torch.multihead import MultiheadAttention, multi_head_attention
from companion.torch.normalization import LayerNorm

def _activation(activation):
    """A name (torch's "relu" or "gelu", or companion's "gelu_tanh" or "silu") as its function; a callable as it
    is."""
    if callable(activation):
        return activation
    return get_activation(check_activation_name(activation, ACTIVATIONS))


def _residual(x, sublayer, norm, norm_first):
    """x + f(norm(x)) before the norm (pre-norm), norm(x + f(x)) after it (post-norm)."""
    return x + sublayer(norm(x)) if norm_first else norm(x + sublayer(x))


# -- the functional layers: parameters in a dict under torch's names ------------------------------------------

def _norm(params, name, eps):
    weight, bias = params[f"{name}.weight"], params.get(f"{name}.bias")
    return lambda x: F.layer_norm(x, weight.shape, weight, bias, eps)


def _feed_forward(params, activation, dropout, training):
    def block(x):
        h = F.dropout(activation(F.linear(x, params["linear1.weight"], params.get("linear1.bias"))), dropout, training)
        return F.dropout(F.linear(h, params["linear2.weight"], params.get("linear2.bias")), dropout, training)
    return block


def _attention(params, prefix, kv, nhead, mask, key_padding_mask, is_causal, options, store):
    """The attention sub-layer f(x) = Dropout(MHA(x, kv, kv)); kv None for self-attention. Its per-head
    weights go to ``store[prefix]``."""
    batch_first, dropout, training, need_weights = options

    def block(x):
        source = x if kv is None else kv
        out, weights = multi_head_attention(
            x, source, source, sub_params(params, prefix), nhead, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=mask, average_attn_weights=False, is_causal=is_causal,
            batch_first=batch_first, dropout_p=dropout, training=training)
        store[prefix] = weights
        return F.dropout(out, dropout, training)
    return block


def transformer_encoder_layer(src, params, nhead, *, src_mask=None, src_key_padding_mask=None, is_causal=False,
                              norm_first=False, activation="relu", layer_norm_eps=1e-5, batch_first=False,
                              dropout=0.0, training=True, need_weights=False):
    """One encoder layer: (out, attention weights (N, nhead, L, L) or None), as
    ``torch.nn.TransformerEncoderLayer`` computes out.

    ``src`` (L, N, E), (N, L, E) with ``batch_first``, or (L, E); ``params`` {torch name: tensor}.
    """
    d_model = check_params(params, decoder=False)
    check_layer_input(src, d_model, "src")
    check_layer_args(d_model, nhead, params["linear1.weight"].shape[0], dropout, layer_norm_eps)
    act, store = _activation(activation), {}
    options = (batch_first, dropout, training, need_weights)
    x = _residual(src, _attention(params, "self_attn", None, nhead, src_mask, src_key_padding_mask, is_causal,
                                  options, store), _norm(params, "norm1", layer_norm_eps), norm_first)
    x = _residual(x, _feed_forward(params, act, dropout, training), _norm(params, "norm2", layer_norm_eps),
                  norm_first)
    return x, store["self_attn"]


def transformer_decoder_layer(tgt, memory, params, nhead, *, tgt_mask=None, memory_mask=None,
                              tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False,
                              memory_is_causal=False, norm_first=False, activation="relu", layer_norm_eps=1e-5,
                              batch_first=False, dropout=0.0, training=True, need_weights=False):
    """One decoder layer: (out, self-attention weights (N, nhead, T, T), cross-attention weights (N, nhead,
    T, S)), the weights None unless ``need_weights``; out as ``torch.nn.TransformerDecoderLayer`` computes it.

    ``tgt`` (T, N, E) and ``memory`` (S, N, E) (batch first with ``batch_first``; (T, E), (S, E) unbatched).
    """
    d_model = check_params(params, decoder=True)
    check_layer_input(tgt, d_model, "tgt")
    check_memory(tgt, memory)
    check_layer_args(d_model, nhead, params["linear1.weight"].shape[0], dropout, layer_norm_eps)
    act, store = _activation(activation), {}
    options = (batch_first, dropout, training, need_weights)
    x = _residual(tgt, _attention(params, "self_attn", None, nhead, tgt_mask, tgt_key_padding_mask,
                                  tgt_is_causal, options, store), _norm(params, "norm1", layer_norm_eps), norm_first)
    x = _residual(x, _attention(params, "multihead_attn", memory, nhead, memory_mask, memory_key_padding_mask,
                                memory_is_causal, options, store), _norm(params, "norm2", layer_norm_eps), norm_first)
    x = _residual(x, _feed_forward(params, act, dropout, training), _norm(params, "norm3", layer_norm_eps),
                  norm_first)
    return x, store["self_attn"], store["multihead_attn"]


def _leaf(t):
    return t.detach().requires_grad_(True)


def _leaves(params):
    return {k: _leaf(v) for k, v in params.items() if v is not None}


def _grads(outs, douts, leaves):
    grads = torch.autograd.grad(outs, leaves, douts, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for t, g in zip(leaves, grads)]


def transformer_encoder_layer_forward(src, params, nhead, **options):
    """(out, cache) on detached leaf copies, for :func:`transformer_encoder_layer_backward`; the attention
    weights (with ``need_weights=True``) are ``cache["attention"]``."""
    src, params = _leaf(src), _leaves(params)
    out, weights = transformer_encoder_layer(src, params, nhead, **options)
    return out, {"out": out, "src": src, "params": params, "attention": weights}


def transformer_encoder_layer_backward(dout, cache):
    """(dsrc, grads) by autograd; ``grads`` under torch's names."""
    params = cache["params"]
    dsrc, *grads = _grads([cache["out"]], [dout], [cache["src"], *params.values()])
    return dsrc, dict(zip(params, grads))


def transformer_decoder_layer_forward(tgt, memory, params, nhead, **options):
    """(out, cache) on detached leaf copies, for :func:`transformer_decoder_layer_backward`."""
    tgt, memory, params = _leaf(tgt), _leaf(memory), _leaves(params)
    out, weights, cross = transformer_decoder_layer(tgt, memory, params, nhead, **options)
    return out, {"out": out, "tgt": tgt, "memory": memory, "params": params, "attention": weights,
                 "cross_attention": cross}


def transformer_decoder_layer_backward(dout, cache):
    """(dtgt, dmemory, grads) by autograd; ``grads`` under torch's names."""
    params = cache["params"]
    dtgt, dmemory, *grads = _grads([cache["out"]], [dout], [cache["tgt"], cache["memory"], *params.values()])
    return dtgt, dmemory, dict(zip(params, grads))


# -- the layers ------------------------------------------------------------------------------------------------

class _Layer(torch.nn.Module):
    """What both layers share: the constructor's sub-modules, drawn from a NumPy ``rng`` in the NumPy twin's
    order (each attention block, then linear1, linear2), and the options."""

    _attention_blocks = ()
    _norms = ()

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                 norm_first, bias, device, dtype, rng):
        super().__init__()
        check_layer_args(d_model, nhead, dim_feedforward, dropout, layer_norm_eps)
        dtype = torch.get_default_dtype() if dtype is None else dtype
        device = default_device() if device is None else device
        for name in self._attention_blocks:
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout, bias, batch_first=batch_first,
                                                   device=device, dtype=dtype, rng=rng))
        self.linear1 = Dense(d_model, dim_feedforward, bias, rng=rng, dtype=dtype, device=device)
        self.linear2 = Dense(dim_feedforward, d_model, bias, rng=rng, dtype=dtype, device=device)
        for name in self._norms:
            setattr(self, name, LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype, device=device))
        self.nhead, self.dropout_p, self.layer_norm_eps = nhead, dropout, layer_norm_eps
        self.batch_first, self.norm_first = batch_first, norm_first
        self.activation = _activation(activation)
        self.store_attention, self.attention = False, None

    def _options(self):
        return dict(norm_first=self.norm_first, activation=self.activation, layer_norm_eps=self.layer_norm_eps,
                    batch_first=self.batch_first, dropout=self.dropout_p, training=self.training,
                    need_weights=self.store_attention)

    @staticmethod
    def _kept(weights):
        return None if weights is None else weights.detach()

    def extra_repr(self):
        return (f"d_model={self.linear1.in_features}, nhead={self.nhead}, "
                f"dim_feedforward={self.linear1.out_features}, norm_first={self.norm_first}")


class TransformerEncoderLayer(_Layer):
    """``torch.nn.TransformerEncoderLayer``'s constructor, parameter names and results (self-attention, then
    the feed-forward block, each with a residual connection and a layer norm), computed by
    :func:`transformer_encoder_layer`; ``store_attention = True`` keeps the weights in ``attention``."""

    _attention_blocks = ("self_attn",)
    _norms = ("norm1", "norm2")

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None, *, rng=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, device, dtype, rng)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """The layer's output, src's shape."""
        out, weights = transformer_encoder_layer(
            src, dict(self.named_parameters()), self.nhead, src_mask=src_mask,
            src_key_padding_mask=src_key_padding_mask, is_causal=is_causal, **self._options())
        self.attention = self._kept(weights)
        return out


class TransformerDecoderLayer(_Layer):
    """``torch.nn.TransformerDecoderLayer``'s constructor, parameter names and results (self-attention over
    tgt, cross-attention over memory, the feed-forward block; each with a residual connection and a layer
    norm), computed by :func:`transformer_decoder_layer`; ``store_attention = True`` keeps the weights in
    ``attention`` (self) and ``cross_attention``."""

    _attention_blocks = ("self_attn", "multihead_attn")
    _norms = ("norm1", "norm2", "norm3")

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None, *, rng=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                         norm_first, bias, device, dtype, rng)
        self.cross_attention = None

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """The layer's output, tgt's shape."""
        out, weights, cross = transformer_decoder_layer(
            tgt, memory, dict(self.named_parameters()), self.nhead, tgt_mask=tgt_mask, memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal, **self._options())
        self.attention, self.cross_attention = self._kept(weights), self._kept(cross)
        return out
