"""Attention, forward and backward by hand (chapter: Attention and transformers).

* :func:`masked_softmax`: softmax over the positions a boolean mask lets take part (True = take part). A row
  in which nothing takes part (every entry masked or -inf) is **defined as all zeros**, not NaN and not
  uniform: such a query reads nothing, and its gradient is zero. This is what torch's
  ``scaled_dot_product_attention`` returns for a fully masked row on CPU in torch 2.13 (its math path ends in
  ``torch._safe_softmax``); the naive softmax gives 0/0 = NaN there, and filling the masked scores with a
  large negative number instead (-1e6, as some tutorials do) turns the row into a uniform average of
  positions it was told to ignore.
* :func:`scaled_dot_product_attention` (Vaswani et al. 2017): softmax(Q K^T · scale + mask) V, the whole
  argument surface of ``torch.nn.functional.scaled_dot_product_attention``, grouped-query attention
  (``enable_gqa``; Ainslie et al. 2023) included. Where torch 2.13 runs on what it cannot mean, we raise a
  ValueError instead: NaN or infinite inputs, a negative ``dropout_p``, and grouped heads with different key
  and value head counts (which torch's documentation excludes).
* :func:`additive_attention` (Bahdanau, Cho and Bengio 2015): score(q, k) = w_v^T tanh(W_q q + W_k k).

Masks follow torch: in ``attn_mask`` and :func:`masked_softmax`, True means "take part"; in additive
attention's ``key_padding_mask`` (named as ``torch.nn.MultiheadAttention`` names it), True means "padding,
ignore".
"""

from collections import namedtuple

import numpy as np

from companion._attention import additive_init, check_additive_args, check_mask, check_sdpa_args
from companion._validate import check_nonnegative_int
from companion.np._state import checked_state
from companion.np.dense import linear_backward, linear_forward
from companion.np.regularization import dropout_forward

SDPACache = namedtuple("SDPACache", "query key value weights applied dropout_scale scale groups key_shape "
                                    "value_shape mask_shape")
SDPACache.__doc__ = """What the backward pass of scaled dot-product attention needs.

query (..., Hq, L, E); key, value with their heads already repeated to Hq (..., Hq, S, E|Ev); weights, the
softmax (..., Hq, L, S); applied, the weights after dropout (those multiplied by value); dropout_scale,
mask / (1 - p) or None without dropout; scale, the factor on the scores; groups, query heads per key head;
key_shape and value_shape, the shapes given (before repeating and broadcasting); mask_shape, a float
attn_mask's shape (None for no mask or a boolean one)."""
AdditiveCache = namedtuple("AdditiveCache", "query_cache key_cache features w_v weights value")


def _swap(x):
    return np.swapaxes(x, -1, -2)


def causal_mask(L, S=None):
    """(L, S) boolean, True where query i may attend to key j, i.e. j <= i (S = L when omitted).

    For L != S it is aligned at the top left, as torch's ``is_causal=True`` is: ``ones(L, S).tril()``.
    """
    S = L if S is None else S
    check_nonnegative_int(L, "L")
    check_nonnegative_int(S, "S")
    return np.tril(np.ones((L, S), dtype=bool))


# --- masked softmax -------------------------------------------------------------------------------------------


def _check_scores(scores, top, axis):
    """ValueError if ``scores`` holds NaN or +inf, read from ``top``, the maximum along ``axis`` of the
    scores before any mask (NaN and +inf both survive a maximum), so the full count runs only on bad input."""
    if np.isnan(top).any() or (top == np.inf).any():
        bad = int((np.isnan(scores) | (scores == np.inf)).sum())
        raise ValueError(f"scores has {bad} NaN or +inf value(s); shape {scores.shape}")


def _softmax_rows(filled, top, axis, out=None):
    """softmax of ``filled`` along ``axis`` given its maximum ``top`` there; rows whose maximum is -inf (no
    finite entry) come out as zeros. Writes into ``out`` (which may be ``filled`` itself) or a new array.

    Three passes over the data after the maximum: subtract and exp in place, one sum, one multiplication by the
    row sums' reciprocals. The row sums are at least 1 (the maximum's own exp(0)) except in the dead rows,
    whose maximum is set to 0 (so that -inf - 0 = -inf, exp = 0) and whose sum to 1 (so that 0 · 1 = 0):
    no 0/0, and the dead-row fixes touch the small per-row arrays only.
    """
    dead = top == -np.inf
    if dead.any():
        top = np.where(dead, 0, top)
    e = np.subtract(filled, top, out=out)
    np.exp(e, out=e)
    total = e.sum(axis=axis, keepdims=True)
    if dead.any():
        total[dead] = 1
    e *= np.reciprocal(total, out=total)
    return e


def masked_softmax_forward(scores, mask=None, axis=-1):
    """softmax over ``axis`` of the scores where ``mask`` is True; returns (weights, cache).

    ``mask`` is boolean and broadcasts to ``scores``; -inf scores count as masked too. A row with nothing
    left (every entry masked) comes out as zeros (see the module's docstring). Shapes: weights = scores'.
    """
    scores = np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    if mask is not None:
        mask = np.asarray(mask)
        check_mask(mask, "mask", scores.shape, allow_float=False)
    top = scores.max(axis=axis, keepdims=True, initial=-np.inf)
    _check_scores(scores, top, axis)
    if mask is None:
        weights = _softmax_rows(scores, top, axis)  # a new array: the caller's scores stay as they are
    else:
        filled = np.where(mask, scores, -np.inf)  # our own copy, so the softmax can run in it
        weights = _softmax_rows(filled, filled.max(axis=axis, keepdims=True, initial=-np.inf), axis, out=filled)
    return weights, (weights, axis)


def masked_softmax(scores, mask=None, axis=-1):
    """The masked softmax's weights (see :func:`masked_softmax_forward`)."""
    return masked_softmax_forward(scores, mask, axis)[0]


def _softmax_backward(dweights, weights, axis):
    """weights ⊙ (dweights - sum(dweights ⊙ weights)) along ``axis``, in one new array (the product's)."""
    out = dweights * weights
    dot = out.sum(axis=axis, keepdims=True)
    np.subtract(dweights, dot, out=out)
    out *= weights
    return out


def masked_softmax_backward(dweights, cache):
    """d scores = s ⊙ (d s - sum(d s ⊙ s)) along the axis: zero at masked entries and in fully masked rows,
    whose weights are constant zeros."""
    weights, axis = cache
    dweights = np.asarray(dweights)
    if dweights.shape != weights.shape:
        raise ValueError(f"dweights must have shape {weights.shape}, got {dweights.shape}")
    return _softmax_backward(dweights, weights, axis)


# --- scaled dot-product attention -----------------------------------------------------------------------------


def _repeat_heads(x, groups):
    """Grouped-query attention: key/value head h serves query heads h·groups … h·groups + groups - 1
    (torch's ``repeat_interleave`` along dimension -3)."""
    return x if groups == 1 else np.repeat(x, groups, axis=-3)


def _sum_heads(dx, groups):
    """The gradient of :func:`_repeat_heads`: add up the copies of each key/value head."""
    if groups == 1:
        return dx
    *lead, heads, s, e = dx.shape
    return dx.reshape(*lead, heads // groups, groups, s, e).sum(axis=-3)


def _unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the gradient of broadcasting an array of ``shape`` to grad's shape."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def _scores(query, key, attn_mask, is_causal, scale):
    """q k^T · scale (+ a float mask), and the boolean mask of who takes part (None when everyone does)."""
    # scaled before the product, as torch scales: with E = 0 the scale is infinite and the scores 0
    scores = (query * scale) @ _swap(key)  # (..., Hq, L, S)
    keep = None
    if is_causal:
        keep = causal_mask(*scores.shape[-2:])
    elif attn_mask is not None and attn_mask.dtype == bool:
        keep = attn_mask
    elif attn_mask is not None and np.result_type(scores, attn_mask) == scores.dtype:
        scores += attn_mask  # scores is the product's new array: add in place
    elif attn_mask is not None:
        scores = scores + attn_mask  # a wider mask dtype promotes the scores, as it always has
    return scores, keep


def _softmax_in_place(scores, keep):
    """The masked softmax along the last axis of ``scores``, an array of our own (overwritten and returned):
    the blocked entries set to -inf in place, then :func:`_softmax_rows` in the same memory."""
    if keep is not None:
        np.copyto(scores, -np.inf, where=~keep)
    top = scores.max(axis=-1, keepdims=True, initial=-np.inf)
    _check_scores(scores, top, -1)
    return _softmax_rows(scores, top, -1, out=scores)


def _dropout(weights, dropout_p, rng, dropout_mask):
    """Dropout on the weights; returns (applied, scale) with scale = mask / (1 - p), or None when p = 0."""
    if dropout_mask is not None:
        dropout_mask = np.asarray(dropout_mask)
        if dropout_mask.shape != weights.shape:
            raise ValueError(f"dropout_mask must have the attention weights' shape {weights.shape}, got "
                             f"{dropout_mask.shape}")
    if dropout_p == 1:  # everything dropped, as torch does (dropout_forward's rate stops short of 1)
        scale = np.zeros_like(weights)
        return weights * scale, scale
    return dropout_forward(weights, dropout_p, True, rng, dropout_mask)


def scaled_dot_product_attention_forward(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *,
                                         scale=None, enable_gqa=False, rng=None, dropout_mask=None):
    """out = dropout(masked_softmax(Q K^T · scale + mask)) V; returns (out, cache) (:class:`SDPACache`).

    Shapes: query (..., Hq, L, E), key (..., H, S, E), value (..., H, S, Ev), out (..., Hq, L, Ev); the
    leading dimensions broadcast (as in torch). H = Hq unless ``enable_gqa``, which repeats each key/value head
    for Hq/H consecutive query heads.

    * ``attn_mask`` broadcasts to (..., Hq, L, S): boolean (True = take part) or float (added to the scores,
      -inf blocks). Not together with ``is_causal``, which lets query i see keys j <= i (:func:`causal_mask`).
    * ``scale`` defaults to 1/sqrt(E).
    * ``dropout_p`` drops each weight with that probability and scales the rest by 1/(1 - p), always (as torch
      does: pass 0 in evaluation). The keep-mask is drawn from ``rng`` (NumPy's global generator when None),
      or given as ``dropout_mask`` (0/1 of the weights' shape).
    * A query with no key left to read (a fully masked row) gets weights 0 and output 0.
    """
    query, key, value = np.asarray(query), np.asarray(key), np.asarray(value)
    attn_mask = None if attn_mask is None else np.asarray(attn_mask)
    groups, scale = check_sdpa_args(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    shapes = key.shape, value.shape
    key, value = _repeat_heads(key, groups), _repeat_heads(value, groups)
    scores, keep = _scores(query, key, attn_mask, is_causal, scale)
    weights = _softmax_in_place(scores, keep)
    applied, dropout_scale = _dropout(weights, dropout_p, rng, dropout_mask)
    out = applied @ value  # (..., Hq, L, Ev)
    mask_shape = attn_mask.shape if attn_mask is not None and attn_mask.dtype != bool else None
    return out, SDPACache(query, key, value, weights, applied, dropout_scale, scale, groups, *shapes, mask_shape)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
                                 enable_gqa=False, rng=None, dropout_mask=None, return_weights=False):
    """``torch.nn.functional.scaled_dot_product_attention`` (see :func:`scaled_dot_product_attention_forward`).

    Returns out (..., Hq, L, Ev), or (out, weights) with ``return_weights``: the weights (..., Hq, L, S) that
    multiply value, after dropout when ``dropout_p`` > 0 (so that out = weights @ value).
    """
    out, cache = scaled_dot_product_attention_forward(query, key, value, attn_mask, dropout_p, is_causal,
                                                      scale=scale, enable_gqa=enable_gqa, rng=rng,
                                                      dropout_mask=dropout_mask)
    return (out, cache.applied) if return_weights else out


def scaled_dot_product_attention_backward(dout, cache, mask_grad=False, dweights=None):
    """From dL/dout (..., Hq, L, Ev): (dquery, dkey, dvalue), each of its input's shape; with ``mask_grad``,
    also d attn_mask for a float mask (a learned bias, as torch's autograd gives it): dScores / scale summed to
    the mask's shape. ``dweights`` adds a gradient on the weights that ``return_weights`` returns (after
    dropout), for a caller whose loss also reads them (as multi-head attention's returned weights).

    With P the weights, D the dropout scale and P' = P ⊙ D: dV = P'^T dout; dP = (dout V^T) ⊙ D;
    dScores = the softmax's backward of dP; dQ = scale · dScores K; dK = scale · dScores^T Q; with grouped
    query attention, dK and dV add up over the query heads that share a key/value head, and every gradient
    adds up over the dimensions its input was broadcast along.
    """
    c = cache
    dout = np.asarray(dout)
    want = np.broadcast_shapes(c.applied.shape[:-2], c.value.shape[:-2]) + c.applied.shape[-2:-1] + \
        c.value.shape[-1:]
    if dout.shape != want:
        raise ValueError(f"dout must have shape {want}, got {dout.shape}")
    dvalue = _swap(c.applied) @ dout
    dapplied = _unbroadcast(dout @ _swap(c.value), c.applied.shape)
    if dweights is not None:
        dweights = np.asarray(dweights)
        if dweights.shape != c.applied.shape:
            raise ValueError(f"dweights must have the weights' shape {c.applied.shape}, got {dweights.shape}")
        dapplied = dapplied + dweights
    if c.dropout_scale is not None:
        dapplied = dapplied * c.dropout_scale
    dbias = _softmax_backward(dapplied, c.weights, -1)  # d(scores + float mask)
    dquery, dkey = dbias @ c.key, _swap(dbias) @ c.query  # new arrays: scaled in place
    dquery *= c.scale
    dkey *= c.scale
    dquery = _unbroadcast(dquery, c.query.shape)
    dkey = _unbroadcast(_sum_heads(dkey, c.groups), c.key_shape)
    grads = dquery, dkey, _unbroadcast(_sum_heads(dvalue, c.groups), c.value_shape)
    if not mask_grad:
        return grads
    if c.mask_shape is None:
        raise ValueError("mask_grad=True needs a float attn_mask in the forward pass (a boolean mask or none has "
                         "no gradient)")
    return grads + (_unbroadcast(dbias, c.mask_shape),)


def attention_weights(query, key, attn_mask=None, is_causal=False, *, scale=None, enable_gqa=False):
    """masked_softmax(Q K^T · scale + mask), the weights (..., Hq, L, S) before any dropout."""
    query, key = np.asarray(query), np.asarray(key)
    attn_mask = None if attn_mask is None else np.asarray(attn_mask)
    # value does not enter the weights; key stands in for it so that the shared checks apply unchanged
    groups, scale = check_sdpa_args(query, key, key, attn_mask, 0.0, is_causal, scale, enable_gqa)
    scores, keep = _scores(query, _repeat_heads(key, groups), attn_mask, is_causal, scale)
    return _softmax_in_place(scores, keep)


# --- additive (Bahdanau) attention ----------------------------------------------------------------------------


def additive_attention_forward(query, key, value, W_q, W_k, w_v, key_padding_mask=None):
    """out = softmax(scores) V with scores[l, s] = w_v^T tanh(W_q q_l + W_k k_s); returns (out, cache).

    Shapes: query (..., L, Dq), key (..., S, Dk), value (..., S, Dv), W_q (H, Dq), W_k (H, Dk), w_v (H,);
    out (..., L, Dv). ``key_padding_mask`` is boolean, broadcastable to (..., S), True where a key is padding
    (ignored); a query whose keys are all padding reads zeros. The weights are ``cache.weights`` (..., L, S).
    """
    query, key, value = np.asarray(query), np.asarray(key), np.asarray(value)
    W_q, W_k, w_v = np.asarray(W_q), np.asarray(W_k), np.asarray(w_v)
    key_padding_mask = None if key_padding_mask is None else np.asarray(key_padding_mask)
    check_additive_args(query, key, value, W_q, W_k, w_v, key_padding_mask)
    q_proj, query_cache = linear_forward(query, W_q)  # (..., L, H)
    k_proj, key_cache = linear_forward(key, W_k)  # (..., S, H)
    features = np.tanh(q_proj[..., :, None, :] + k_proj[..., None, :, :])  # (..., L, S, H)
    scores = features @ w_v  # (..., L, S)
    keep = None if key_padding_mask is None else ~key_padding_mask[..., None, :]  # (..., 1, S)
    weights = masked_softmax(scores, keep)
    out = weights @ value  # (..., L, Dv)
    return out, AdditiveCache(query_cache, key_cache, features, w_v, weights, value)


def additive_attention(query, key, value, W_q, W_k, w_v, key_padding_mask=None, return_weights=False):
    """Additive attention's output, or (output, weights) with ``return_weights`` (see
    :func:`additive_attention_forward`)."""
    out, cache = additive_attention_forward(query, key, value, W_q, W_k, w_v, key_padding_mask)
    return (out, cache.weights) if return_weights else out


def additive_attention_backward(dout, cache):
    """From dL/dout (..., L, Dv): (dquery, dkey, dvalue, dW_q, dW_k, dw_v).

    With F = tanh(W_q q_l + W_k k_s) (..., L, S, H): dV = P^T dout; dScores from the softmax's backward of
    dout V^T; dw_v = sum over every (…, l, s) of dScores F; dPre = dScores w_v ⊙ (1 - F²), summed over s for
    the projected queries and over l for the projected keys, then back through the two linear maps.
    """
    c = cache
    dout = np.asarray(dout)
    want = c.weights.shape[:-1] + c.value.shape[-1:]
    if dout.shape != want:
        raise ValueError(f"dout must have shape {want}, got {dout.shape}")
    dvalue = _swap(c.weights) @ dout
    dscores = masked_softmax_backward(dout @ _swap(c.value), (c.weights, -1))  # (..., L, S)
    hidden = c.w_v.shape[0]
    dw_v = (dscores[..., None] * c.features).reshape(-1, hidden).sum(axis=0)
    dpre = dscores[..., None] * c.w_v * (1 - c.features ** 2)  # (..., L, S, H)
    dquery, dW_q, _ = linear_backward(dpre.sum(axis=-2), c.query_cache)
    dkey, dW_k, _ = linear_backward(dpre.sum(axis=-3), c.key_cache)
    return dquery, dkey, dvalue, dW_q, dW_k, dw_v


class AdditiveAttention:
    """Additive (Bahdanau) attention with its parameters W_q (H, Dq), W_k (H, Dk) and w_v (H,), drawn as torch
    draws bias-free ``nn.Linear`` weights from ``rng``; the same names as :class:`companion.torch.AdditiveAttention`,
    so state dicts copy both ways.

    ``forward(query, key, value, key_padding_mask=None)`` returns the output and keeps the weights in
    ``attention_weights``; ``backward(dout)`` returns (dquery, dkey, dvalue) and fills ``grads``.
    """

    def __init__(self, query_size, key_size, hidden_size, *, rng=None, dtype=np.float64):
        for name, value in additive_init(query_size, key_size, hidden_size, rng, dtype).items():
            setattr(self, name, value)
        self.attention_weights, self.grads, self._cache = None, {}, None

    def forward(self, query, key, value, key_padding_mask=None):
        out, self._cache = additive_attention_forward(query, key, value, self.W_q, self.W_k, self.w_v,
                                                      key_padding_mask)
        self.attention_weights = self._cache.weights
        return out

    __call__ = forward

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dquery, dkey, dvalue, *grads = additive_attention_backward(dout, self._cache)
        self.grads = dict(zip(("W_q", "W_k", "w_v"), grads))
        return dquery, dkey, dvalue

    def parameters(self):
        return {"W_q": self.W_q, "W_k": self.W_k, "w_v": self.w_v}

    state_dict = parameters

    def load_state_dict(self, state):
        """Copy the parameters in from {"W_q", "W_k", "w_v"} (arrays or tensors), e.g. the torch twin's state."""
        for name, value in checked_state(state, self.parameters()).items():
            getattr(self, name)[...] = value

    def __repr__(self):
        hidden, query_size = self.W_q.shape
        return f"AdditiveAttention(query_size={query_size}, key_size={self.W_k.shape[1]}, hidden_size={hidden})"
