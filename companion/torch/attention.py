"""Attention in PyTorch, written from torch operations (autograd does the backward pass), with the NumPy
twin's names, checks and conventions (chapter: Attention and transformers).

A fully masked row of :func:`masked_softmax` is all zeros with zero gradient, as in
:mod:`companion.np.attention` and torch's own ``scaled_dot_product_attention`` on CPU.
"""

import torch

from companion._attention import additive_init, check_additive_args, check_mask, check_sdpa_args
from companion._validate import check_nonnegative_int
from companion.torch.dense import as_tensor


def causal_mask(L, S=None, device=None):
    """(L, S) boolean, True where query i may attend to key j <= i (top-left aligned, as torch's is_causal)."""
    S = L if S is None else S
    check_nonnegative_int(L, "L")
    check_nonnegative_int(S, "S")
    return torch.ones(L, S, dtype=torch.bool, device=device).tril()


def masked_softmax(scores, mask=None, axis=-1):
    """softmax over ``axis`` where ``mask`` (boolean, True = take part) allows; -inf scores count as masked;
    a row with nothing left is zeros."""
    bad = int((torch.isnan(scores.detach()) | (scores.detach() == float("inf"))).sum())
    if bad:
        raise ValueError(f"scores has {bad} NaN or +inf value(s); shape {tuple(scores.shape)}")
    filled = scores
    if mask is not None:
        check_mask(mask, "mask", tuple(scores.shape), allow_float=False)
        filled = scores.masked_fill(~mask, float("-inf"))
    dead = (filled == float("-inf")).all(dim=axis, keepdim=True)
    # a dead row is softmaxed as zeros and then replaced: NaN never appears, not even in the gradient
    weights = torch.softmax(filled.masked_fill(dead, 0.0), dim=axis)
    return weights.masked_fill(dead, 0.0)


def _scores(query, key, attn_mask, is_causal, scale):
    scores = (query * scale) @ key.transpose(-2, -1)  # (..., Hq, L, S); with E = 0, scale = inf and scores 0
    if is_causal:
        return scores, causal_mask(*scores.shape[-2:], device=scores.device)
    if attn_mask is not None and attn_mask.dtype == torch.bool:
        return scores, attn_mask
    if attn_mask is not None:
        return scores + attn_mask.to(scores.dtype), None
    return scores, None


def _repeat_heads(x, groups):
    return x if groups == 1 else x.repeat_interleave(groups, dim=-3)


def attention_weights(query, key, attn_mask=None, is_causal=False, *, scale=None, enable_gqa=False):
    """masked_softmax(Q K^T · scale + mask), the weights (..., Hq, L, S) before any dropout."""
    groups, scale = check_sdpa_args(query, key, key, attn_mask, 0.0, is_causal, scale, enable_gqa)
    scores, keep = _scores(query, _repeat_heads(key, groups), attn_mask, is_causal, scale)
    return masked_softmax(scores, keep)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
                                 enable_gqa=False, return_weights=False):
    """dropout(masked_softmax(Q K^T · scale + mask)) V, as ``torch.nn.functional.scaled_dot_product_attention``.

    Shapes: query (..., Hq, L, E), key (..., H, S, E), value (..., H, S, Ev), out (..., Hq, L, Ev); the leading
    dimensions broadcast; H = Hq unless ``enable_gqa`` (each key/value head serves Hq/H query heads). The dropout
    draws from torch's generator as torch's own function does, so one seed gives both the same mask. With
    ``return_weights``, returns (out, weights), the weights after dropout (out = weights @ value).
    """
    groups, scale = check_sdpa_args(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    key, value = _repeat_heads(key, groups), _repeat_heads(value, groups)
    scores, keep = _scores(query, key, attn_mask, is_causal, scale)
    weights = masked_softmax(scores, keep)
    if dropout_p > 0:
        weights = torch.dropout(weights, dropout_p, train=True)
    out = weights @ value
    return (out, weights) if return_weights else out


def additive_attention(query, key, value, W_q, W_k, w_v, key_padding_mask=None, return_weights=False):
    """softmax(w_v^T tanh(W_q q_l + W_k k_s)) V over the keys that are not padding (key_padding_mask True).

    Shapes: query (..., L, Dq), key (..., S, Dk), value (..., S, Dv), W_q (H, Dq), W_k (H, Dk), w_v (H,);
    returns out (..., L, Dv), or (out, weights (..., L, S)) with ``return_weights``.
    """
    check_additive_args(query, key, value, W_q, W_k, w_v, key_padding_mask)
    features = torch.tanh((query @ W_q.T).unsqueeze(-2) + (key @ W_k.T).unsqueeze(-3))  # (..., L, S, H)
    keep = None if key_padding_mask is None else ~key_padding_mask.unsqueeze(-2)  # (..., 1, S)
    weights = masked_softmax(features @ w_v, keep)  # (..., L, S)
    out = weights @ value
    return (out, weights) if return_weights else out


class AdditiveAttention(torch.nn.Module):
    """Additive (Bahdanau) attention with parameters W_q (H, Dq), W_k (H, Dk), w_v (H,), drawn from a NumPy
    ``rng`` exactly as :class:`companion.np.AdditiveAttention` draws them. ``forward(query, key, value,
    key_padding_mask=None)`` returns the output and keeps the (detached) weights in ``attention_weights``."""

    def __init__(self, query_size, key_size, hidden_size, *, rng=None, dtype=None, device=None):
        super().__init__()
        dtype = torch.get_default_dtype() if dtype is None else dtype
        for name, value in additive_init(query_size, key_size, hidden_size, rng).items():
            setattr(self, name, torch.nn.Parameter(as_tensor(value, dtype, device)))
        self.attention_weights = None

    def forward(self, query, key, value, key_padding_mask=None):
        out, weights = additive_attention(query, key, value, self.W_q, self.W_k, self.w_v, key_padding_mask,
                                          return_weights=True)
        self.attention_weights = weights.detach()
        return out

    def extra_repr(self):
        hidden, query_size = self.W_q.shape
        return f"query_size={query_size}, key_size={self.W_k.shape[1]}, hidden_size={hidden}"
