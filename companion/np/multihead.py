"""Multi-head attention (Vaswani et al. 2017), forward and backward by hand, equal to ``torch.nn.MultiheadAttention``.

With E = embed_dim, H = num_heads and d = E / H, for each head h::

    Q_h = (query W_q^T + b_q)[..., h·d:(h+1)·d]       and likewise K_h from key, V_h from value
    A_h = softmax(Q_h K_h^T / sqrt(d) + mask)          (L, S): row i says how query i spreads over the keys
    O   = concat_h(A_h V_h) W_o^T + b_o                (L, E)

Options, all as torch has them: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N·H, L, S), each
bool (True = may NOT attend: the opposite of ``scaled_dot_product_attention``'s bool masks) or float (added
to the scores); ``add_bias_kv`` (a learned key and value appended to every sequence), ``add_zero_attn`` (a
zero key and value appended after the heads split, so a query can attend to "nothing"); ``need_weights``
returns A (averaged over heads unless ``average_attn_weights=False``); ``is_causal`` is only a hint that
``attn_mask`` is causal and needs it, except that without a key padding mask and with ``need_weights=False``
torch replaces attn_mask by its own top-left causal mask over all keys (appended ones included), and so
does this function.

A query whose keys are all masked gets weights 0 and so attn_output = out_proj.bias, as torch returns it
with ``need_weights=False`` (its ``scaled_dot_product_attention`` route, torch 2.13 on the CPU); torch's
``need_weights=True`` route gives NaN there instead (softmax of a row of -inf). The book defines the
zeros on both routes (see :func:`companion.np.attention.masked_softmax`).

Shapes: query (L, N, E), key (S, N, kdim), value (S, N, vdim), or (N, L, E) etc. with ``batch_first``, or
(L, E), (S, kdim), (S, vdim) unbatched. Parameters: a dict with torch's names (see companion._multihead).
"""

import math

import numpy as np

from companion._multihead import check_dropout, check_mha_args, check_sizes, mha_init, param_names
from companion.np._state import checked_state
from companion.np.attention import scaled_dot_product_attention_backward, scaled_dot_product_attention_forward
from companion.np.dense import linear_backward, linear_forward


def _seq_first(x, batched, batch_first):
    """Any accepted layout as (length, N, features)."""
    if not batched:
        return x[:, None]
    return x.transpose(1, 0, 2) if batch_first else x


def _user_layout(x, batched, batch_first):
    """(length, N, features) back to the caller's layout (the inverse of _seq_first)."""
    if not batched:
        return x[:, 0]
    return x.transpose(1, 0, 2) if batch_first else x


def _additive(mask, dtype):
    """A bool mask (True: masked out) as 0 / -inf; a float mask as it is."""
    mask = np.asarray(mask)
    return np.where(mask, -np.inf, 0.0).astype(dtype) if mask.dtype == bool else mask.astype(dtype)


def _split_projections(params, separate):
    """((W_q, W_k, W_v), (b_q, b_k, b_v)) from the stacked or the separate weights; biases may be None."""
    if separate:
        weights = tuple(params[f"{n}_proj_weight"] for n in "qkv")
    else:
        weights = tuple(np.split(params["in_proj_weight"], 3))
    bias = params.get("in_proj_bias")
    return weights, (None,) * 3 if bias is None else tuple(np.split(bias, 3))


def _heads(x, heads, head_dim):
    """(length, N, E) -> (N·H, length, d): torch's order, batch b and head h at row b·H + h."""
    return x.reshape(x.shape[0], heads, head_dim).transpose(1, 0, 2)


def _unheads(x, n):
    """(N·H, length, d) -> (length, N, E), the inverse of _heads."""
    return x.transpose(1, 0, 2).reshape(x.shape[1], n, -1)


def _merged_mask(attn_mask, key_padding_mask, causal_only, shape, extra, dtype):
    """The additive mask the scores get, (N·H or 1, L, S') or None; ``extra`` appended keys are let through.

    ``causal_only``: torch's SDPA route, which drops attn_mask for a top-left causal mask over all S' keys.
    """
    nh, heads, length, s_total = shape
    if causal_only:
        return np.where(np.tri(length, s_total, dtype=bool), 0.0, -np.inf).astype(dtype)[None]
    mask = None
    if attn_mask is not None:
        mask = _additive(attn_mask, dtype)
        mask = np.pad(mask[None] if mask.ndim == 2 else mask, ((0, 0), (0, 0), (0, extra)))
    if key_padding_mask is not None:
        kpm = _additive(key_padding_mask, dtype).reshape(nh // heads, -1)  # (N, S)
        kpm = np.repeat(np.pad(kpm, ((0, 0), (0, extra))), heads, axis=0)[:, None, :]  # (N·H, 1, S')
        mask = kpm if mask is None else mask + kpm
    return mask


def _attention_forward(qh, kh, vh, mask, dropout_p, rng):
    """Each head's scaled dot-product attention (companion.np.attention); returns (out, weights, cache), the
    weights after dropout, those that multiply V. A query allowed no key gets weights 0 there."""
    scale = 1.0 / math.sqrt(qh.shape[-1])  # a Python float, so float32 stays float32
    out, cache = scaled_dot_product_attention_forward(qh, kh, vh, mask, dropout_p, scale=scale, rng=rng)
    return out, cache.applied, cache


def _attention_backward(dout, dweights, cache):
    """(dQ, dK, dV) per head. ``dweights``, a gradient on the returned weights (or None), reaches the scores
    through dropout and the softmax as the output's own does: dS = softmax'(dA ⊙ D) · scale."""
    return scaled_dot_product_attention_backward(dout, cache, dweights=dweights)


def multi_head_attention_forward(query, key, value, params, num_heads, *, key_padding_mask=None,
                                 need_weights=True, attn_mask=None, average_attn_weights=True, is_causal=False,
                                 batch_first=False, add_zero_attn=False, dropout_p=0.0, training=True, rng=None):
    """Multi-head attention; returns ((attn_output, attn_weights or None), cache).

    ``params``: {torch name: array}. Dropout on the attention weights acts when ``training`` and
    ``dropout_p`` > 0, drawing its mask from ``rng`` (NumPy's global generator when None).
    """
    query, key, value = np.asarray(query), np.asarray(key), np.asarray(value)
    params = {k: np.asarray(v.detach().cpu() if hasattr(v, "detach") else v) for k, v in params.items()
              if v is not None}
    key_padding_mask = None if key_padding_mask is None else np.asarray(key_padding_mask)
    attn_mask = None if attn_mask is None else np.asarray(attn_mask)
    check_dropout(dropout_p)
    batched, length, n, s, embed_dim, head_dim, separate, has_bias_kv = check_mha_args(
        query, key, value, params, num_heads, key_padding_mask, attn_mask, is_causal, batch_first)
    dtype = np.result_type(query, key, value, *params.values())
    inputs = [_seq_first(t, batched, batch_first) for t in (query, key, value)]  # (len, N, features)
    weights, biases = _split_projections(params, separate)
    (q, cq), (k, ck), (v, cv) = (linear_forward(x, w, b) for x, w, b in zip(inputs, weights, biases))
    if has_bias_kv:  # one more key and value per sequence, after the projections
        k = np.concatenate([k, np.broadcast_to(params["bias_k"], (1, n, embed_dim))])
        v = np.concatenate([v, np.broadcast_to(params["bias_v"], (1, n, embed_dim))])
    nh = n * num_heads
    qh, kh, vh = (_heads(t, nh, head_dim) for t in (q, k, v))  # (N·H, len, d)
    if add_zero_attn:  # a zero key (score 0) with a zero value, after the heads split
        kh, vh = (np.concatenate([t, np.zeros((nh, 1, head_dim), dtype)], axis=1) for t in (kh, vh))
    s_total = kh.shape[1]
    causal_only = is_causal and key_padding_mask is None and not need_weights
    mask = _merged_mask(attn_mask, key_padding_mask, causal_only, (nh, num_heads, length, s_total),
                        s_total - s, dtype)
    out_h, attn, acache = _attention_forward(qh, kh, vh, mask, dropout_p if training else 0.0, rng)
    out, co = linear_forward(_unheads(out_h, n), params["out_proj.weight"], params.get("out_proj.bias"))
    attn_weights = None
    if need_weights:
        attn_weights = attn.reshape(n, num_heads, length, s_total)
        attn_weights = attn_weights.mean(axis=1) if average_attn_weights else attn_weights
        attn_weights = attn_weights if batched else attn_weights[0]
    cache = dict(layout=(batched, batch_first), sizes=(length, n, s, num_heads, embed_dim, head_dim),
                 options=(separate, has_bias_kv, add_zero_attn, need_weights, average_attn_weights),
                 caches=(cq, ck, cv, acache, co), dtype=dtype)
    return (_user_layout(out, batched, batch_first), attn_weights), cache


def _incoming(d, want, name, dtype):
    d = np.asarray(d, dtype=dtype)
    if d.shape != want:
        raise ValueError(f"{name} must have shape {want}, got {d.shape}")
    return d


def _weights_grad(dweights, cache, s_total):
    """dL/d(returned weights) as a per-head (N·H, L, S') gradient (the mean over heads spreads it by 1/H)."""
    batched, _ = cache["layout"]
    length, n, _, heads, _, _ = cache["sizes"]
    average = cache["options"][4]
    want = ((n,) if batched else ()) + (() if average else (heads,)) + (length, s_total)
    d = _incoming(dweights, want, "dweights", cache["dtype"]).reshape(n, -1, length, s_total)
    return np.broadcast_to(d / heads if average else d, (n, heads, length, s_total)).reshape(-1, length, s_total)


def multi_head_attention_backward(dout, cache, dweights=None):
    """From dL/d(attn_output) (and optionally dL/d(attn_weights)) to (dquery, dkey, dvalue, grads).

    ``grads`` holds dL/dparameter under torch's names. Through the output projection, the heads' merge,
    attention (dV = A^T dO; dA = dO V^T; dS = A ⊙ (dA - rowsum(dA ⊙ A)); dQ = dS K / sqrt(d),
    dK = dS^T Q / sqrt(d)), the appended keys and values, and the three input projections.
    """
    batched, batch_first = cache["layout"]
    length, n, s, heads, embed_dim, head_dim = cache["sizes"]
    separate, has_bias_kv, add_zero_attn, need_weights, _ = cache["options"]
    cq, ck, cv, acache, co = cache["caches"]
    want = _user_layout(np.empty((length, n, embed_dim)), batched, batch_first).shape
    dout = _seq_first(_incoming(dout, want, "dout", cache["dtype"]), batched, batch_first)
    dmerged, dw_o, db_o = linear_backward(dout, co)
    s_total = acache[1].shape[1]
    if dweights is not None and not need_weights:
        raise ValueError("dweights given but the forward pass returned no weights (need_weights=False)")
    dw_heads = None if dweights is None else _weights_grad(dweights, cache, s_total)
    dqh, dkh, dvh = _attention_backward(_heads(dmerged, n * heads, head_dim), dw_heads, acache)
    if add_zero_attn:
        dkh, dvh = dkh[:, :-1], dvh[:, :-1]
    dq, dk, dv = (_unheads(t, n) for t in (dqh, dkh, dvh))
    grads = {}
    if has_bias_kv:
        grads["bias_k"] = dk[s:].sum(axis=(0, 1)).reshape(1, 1, embed_dim)
        grads["bias_v"] = dv[s:].sum(axis=(0, 1)).reshape(1, 1, embed_dim)
        dk, dv = dk[:s], dv[:s]
    (dquery, dwq, dbq), (dkey, dwk, dbk), (dvalue, dwv, dbv) = (
        linear_backward(d, c) for d, c in ((dq, cq), (dk, ck), (dv, cv)))
    if separate:
        grads.update(q_proj_weight=dwq, k_proj_weight=dwk, v_proj_weight=dwv)
    else:
        grads["in_proj_weight"] = np.concatenate([dwq, dwk, dwv])
    if dbq is not None:
        grads["in_proj_bias"] = np.concatenate([dbq, dbk, dbv])
    grads["out_proj.weight"] = dw_o
    if db_o is not None:
        grads["out_proj.bias"] = db_o
    grads = {name: grads[name] for name in param_names(not separate, True, has_bias_kv) if name in grads}
    dquery, dkey, dvalue = (_user_layout(d, batched, batch_first) for d in (dquery, dkey, dvalue))
    return dquery, dkey, dvalue, grads


def multi_head_attention(query, key, value, params, num_heads, **options):
    """(attn_output, attn_weights or None), as ``torch.nn.MultiheadAttention`` returns them; options as in
    :func:`multi_head_attention_forward`."""
    return multi_head_attention_forward(query, key, value, params, num_heads, **options)[0]


class MultiheadAttention:
    """``torch.nn.MultiheadAttention`` in NumPy: the same constructor, parameter names and results.

    Parameters are drawn as torch's ``_reset_parameters`` draws them, from ``rng`` (which also draws the
    dropout masks in training mode). ``forward`` returns (attn_output, attn_weights); ``backward(dout,
    dweights=None)`` returns (dquery, dkey, dvalue) and fills ``grads`` under torch's names.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, *, rng=None, dtype=np.float64):
        check_dropout(dropout)
        self.kdim, self.vdim, self.head_dim = check_sizes(embed_dim, num_heads, kdim, vdim)
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.add_zero_attn, self.training, self.rng = add_zero_attn, True, rng
        self._params = mha_init(embed_dim, num_heads, bias, add_bias_kv, kdim, vdim, rng, dtype)
        self.grads, self._cache = {}, None

    def parameters(self):
        """{torch name: array}, in the order of torch's state dict."""
        return dict(self._params)

    state_dict = parameters

    def load_state_dict(self, state):
        """Copy parameters in from a dict with torch's names and shapes (arrays or tensors)."""
        self._params = checked_state(state, self._params)

    def train(self, mode=True):
        self.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """(attn_output, attn_weights or None), as ``torch.nn.MultiheadAttention.forward``."""
        result, self._cache = multi_head_attention_forward(
            query, key, value, self._params, self.num_heads, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask, average_attn_weights=average_attn_weights,
            is_causal=is_causal, batch_first=self.batch_first, add_zero_attn=self.add_zero_attn,
            dropout_p=self.dropout, training=self.training, rng=self.rng)
        return result

    __call__ = forward

    def backward(self, dout, dweights=None):
        """(dquery, dkey, dvalue); for self-attention (one x as all three) dL/dx is their sum."""
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        *dinputs, self.grads = multi_head_attention_backward(dout, self._cache, dweights)
        return tuple(dinputs)

    def __repr__(self):
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
