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
from companion.np._state import DictParams
from companion.np.attention import scaled_dot_product_attention_backward, scaled_dot_product_attention_forward
from companion.np.dense import linear_backward, linear_forward


def _rows(x):
    """The caller's (N, length, F), (length, N, F) or (length, F) as rows (N·length, F), in the caller's order:
    the projections are then one matrix product each, on contiguous memory (no copy if x is contiguous)."""
    return np.ascontiguousarray(x).reshape(-1, x.shape[-1])


def _user_shape(rows, length, n, batched, batch_first):
    """Rows (N·length, F) back to the caller's layout (the inverse of _rows)."""
    if not batched:
        return rows.reshape(length, -1)
    return rows.reshape((n, length, -1) if batch_first else (length, n, -1))


def _heads(rows, length, n, heads, seq_major):
    """Rows (N·length, E) in the caller's order -> (N, H, length, d), a view: batch b, head h, position t is
    rows[b·length + t] (or rows[t·N + b] when ``seq_major``), features h·d … h·d + d - 1."""
    if seq_major:
        return rows.reshape(length, n, heads, -1).transpose(1, 2, 0, 3)
    return rows.reshape(n, length, heads, -1).transpose(0, 2, 1, 3)


def _unheads(x, seq_major):
    """(N, H, length, d) -> rows (N·length, E) in the caller's order (a copy), the inverse of _heads."""
    n, heads, length, head_dim = x.shape
    return (x.transpose(2, 0, 1, 3) if seq_major else x.transpose(0, 2, 1, 3)).reshape(-1, heads * head_dim)


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


def _merged_mask(attn_mask, key_padding_mask, n, heads, extra, dtype):
    """The additive mask the scores (N, H, L, S') get, or None; ``extra`` appended keys are let through.

    Kept as small as broadcasting allows: attn_mask (L, S') or (N, H, L, S'), the key padding mask
    (N, 1, 1, S'), their sum (N, 1 or H, L, S').
    """
    mask = None
    if attn_mask is not None:
        mask = _additive(attn_mask, dtype)
        mask = mask.reshape(n, heads, *mask.shape[1:]) if mask.ndim == 3 else mask  # torch's (N·H, L, S)
        mask = np.pad(mask, ((0, 0),) * (mask.ndim - 1) + ((0, extra),))
    if key_padding_mask is not None:
        kpm = np.pad(_additive(key_padding_mask, dtype).reshape(n, 1, 1, -1), ((0, 0), (0, 0), (0, 0), (0, extra)))
        mask = kpm if mask is None else mask + kpm
    return mask


def _append(x, extra):
    """(N, H, S, d) with ``extra`` (1 or N, H, 1, d) appended along the sequence."""
    return np.concatenate([x, np.broadcast_to(extra, x.shape[:2] + (1,) + x.shape[3:])], axis=2)


def multi_head_attention_forward(query, key, value, params, num_heads, *, key_padding_mask=None,
                                 need_weights=True, attn_mask=None, average_attn_weights=True, is_causal=False,
                                 batch_first=False, add_zero_attn=False, dropout_p=0.0, training=True, rng=None):
    """Multi-head attention; returns ((attn_output, attn_weights or None), cache).

    ``params``: {torch name: array}. Dropout on the attention weights acts when ``training`` and
    ``dropout_p`` > 0, drawing its mask from ``rng`` (NumPy's global generator when None).

    Inside, the heads are (N, H, length, d) views of the projections taken in the caller's layout (no
    transposed copies before the products); head h of batch b is torch's row b·H + h.
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
    seq_major = batched and not batch_first
    weights, biases = _split_projections(params, separate)
    (q, cq), (k, ck), (v, cv) = (linear_forward(_rows(x), w, b) for x, w, b in zip((query, key, value), weights,
                                                                                    biases))
    qh, kh, vh = _heads(q, length, n, num_heads, seq_major), *(_heads(t, s, n, num_heads, seq_major) for t in (k, v))
    if has_bias_kv:  # one more key and value per sequence, after the projections
        kh, vh = (_append(t, params[name].reshape(1, num_heads, 1, head_dim)) for t, name in
                  ((kh, "bias_k"), (vh, "bias_v")))
    if add_zero_attn:  # a zero key (score 0) with a zero value, after the heads split
        kh, vh = (_append(t, np.zeros((1, num_heads, 1, head_dim), dtype)) for t in (kh, vh))
    s_total = kh.shape[2]
    # torch's SDPA route drops attn_mask for a top-left causal mask over all S' keys
    causal_only = is_causal and key_padding_mask is None and not need_weights
    mask = None if causal_only else _merged_mask(attn_mask, key_padding_mask, n, num_heads, s_total - s, dtype)
    scale = 1.0 / math.sqrt(head_dim)  # a Python float, so float32 stays float32
    out_h, acache = scaled_dot_product_attention_forward(qh, kh, vh, mask, dropout_p if training else 0.0,
                                                         causal_only, scale=scale, rng=rng)
    out, co = linear_forward(_unheads(out_h, seq_major), params["out_proj.weight"], params.get("out_proj.bias"))
    attn_weights = None
    if need_weights:  # the weights after dropout, those that multiply V; (N, H, L, S')
        attn_weights = acache.applied.mean(axis=1) if average_attn_weights else acache.applied
        attn_weights = attn_weights if batched else attn_weights[0]
    cache = dict(layout=(batched, batch_first), sizes=(length, n, s, num_heads, embed_dim, head_dim, s_total),
                 options=(separate, has_bias_kv, add_zero_attn, need_weights, average_attn_weights),
                 caches=(cq, ck, cv, acache, co), dtype=dtype)
    return (_user_shape(out, length, n, batched, batch_first), attn_weights), cache


def _incoming(d, want, name, dtype):
    d = np.asarray(d, dtype=dtype)
    if d.shape != want:
        raise ValueError(f"{name} must have shape {want}, got {d.shape}")
    return d


def _weights_grad(dweights, cache):
    """dL/d(returned weights) as a per-head (N, H, L, S') gradient (the mean over heads spreads it by 1/H)."""
    batched, _ = cache["layout"]
    length, n, _, heads, _, _, s_total = cache["sizes"]
    average = cache["options"][4]
    want = ((n,) if batched else ()) + (() if average else (heads,)) + (length, s_total)
    d = _incoming(dweights, want, "dweights", cache["dtype"]).reshape(n, -1, length, s_total)
    return np.broadcast_to(d / heads if average else d, (n, heads, length, s_total))


def multi_head_attention_backward(dout, cache, dweights=None):
    """From dL/d(attn_output) (and optionally dL/d(attn_weights)) to (dquery, dkey, dvalue, grads).

    ``grads`` holds dL/dparameter under torch's names. Through the output projection, the heads' merge,
    attention (dV = A^T dO; dA = dO V^T; dS = A ⊙ (dA - rowsum(dA ⊙ A)); dQ = dS K / sqrt(d),
    dK = dS^T Q / sqrt(d)), the appended keys and values, and the three input projections.
    """
    batched, batch_first = cache["layout"]
    length, n, s, heads, embed_dim, head_dim, s_total = cache["sizes"]
    separate, has_bias_kv, add_zero_attn, need_weights, _ = cache["options"]
    cq, ck, cv, acache, co = cache["caches"]
    seq_major = batched and not batch_first
    want = (length, embed_dim) if not batched else (n, length, embed_dim) if batch_first else (length, n, embed_dim)
    dout = _rows(_incoming(dout, want, "dout", cache["dtype"]))
    dmerged, dw_o, db_o = linear_backward(dout, co)
    if dweights is not None and not need_weights:
        raise ValueError("dweights given but the forward pass returned no weights (need_weights=False)")
    dw_heads = None if dweights is None else _weights_grad(dweights, cache)
    dqh, dkh, dvh = scaled_dot_product_attention_backward(_heads(dmerged, length, n, heads, seq_major), acache,
                                                          dweights=dw_heads)
    if add_zero_attn:
        dkh, dvh = dkh[:, :, :-1], dvh[:, :, :-1]
    grads = {}
    if has_bias_kv:
        grads["bias_k"] = dkh[:, :, s:].sum(axis=(0, 2)).reshape(1, 1, embed_dim)
        grads["bias_v"] = dvh[:, :, s:].sum(axis=(0, 2)).reshape(1, 1, embed_dim)
        dkh, dvh = dkh[:, :, :s], dvh[:, :, :s]
    (dquery, dwq, dbq), (dkey, dwk, dbk), (dvalue, dwv, dbv) = (
        linear_backward(_unheads(d, seq_major), c) for d, c in ((dqh, cq), (dkh, ck), (dvh, cv)))
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
    dquery = _user_shape(dquery, length, n, batched, batch_first)
    dkey, dvalue = (_user_shape(d, s, n, batched, batch_first) for d in (dkey, dvalue))
    return dquery, dkey, dvalue, grads


def multi_head_attention(query, key, value, params, num_heads, **options):
    """(attn_output, attn_weights or None), as ``torch.nn.MultiheadAttention`` returns them; options as in
    :func:`multi_head_attention_forward`."""
    return multi_head_attention_forward(query, key, value, params, num_heads, **options)[0]


class MultiheadAttention(DictParams):
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
