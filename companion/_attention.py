"""Checks shared by both backends' attention functions, so that bad input fails with the same message.

Shapes follow ``torch.nn.functional.scaled_dot_product_attention``: query (..., Hq, L, E), key (..., H, S, E),
value (..., H, S, Ev); the leading dimensions of the three must be equal (Hq = H unless ``enable_gqa``), and a
mask broadcasts to the attention weights' shape (..., Hq, L, S). The checks read shapes, dtypes and values
only, so they work on NumPy arrays and torch tensors alike.
"""

import math

import numpy as np

from companion._init import _uniform
from companion._validate import check_finite, check_positive_int, check_real, shape_of


def _is_bool(x):
    return str(x.dtype).endswith("bool")


def _is_float(x):
    return "float" in str(x.dtype)


def _broadcasts_to(shape, target):
    """Whether ``shape`` broadcasts to ``target`` (NumPy's rule, aligned on the right, never growing target)."""
    if len(shape) > len(target):
        return False
    return all(a in (1, b) for a, b in zip(shape[::-1], target[::-1]))


def _values(x):
    return np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)


def check_mask(mask, name, target, allow_float=True):
    """A boolean mask (or, with ``allow_float``, an additive float mask) that broadcasts to ``target``.

    A float mask may hold -inf (a blocked position) but not NaN or +inf, which would make every weight in
    its row NaN.
    """
    if not (_is_bool(mask) or (allow_float and _is_float(mask))):
        kinds = "boolean (True = take part) or floating-point (added to the scores)" if allow_float else "boolean"
        raise ValueError(f"{name} must be {kinds}, got dtype {mask.dtype}")
    if not _broadcasts_to(shape_of(mask), target):
        raise ValueError(f"{name} of shape {shape_of(mask)} does not broadcast to the attention weights' shape "
                         f"{target}")
    if _is_float(mask):
        values = _values(mask)
        bad = int((np.isnan(values) | (values == np.inf)).sum())
        if bad:
            raise ValueError(f"{name} has {bad} NaN or +inf value(s); use -inf (or False in a boolean mask) to "
                             "block a position")


def check_dropout_p(dropout_p):
    check_real(dropout_p, "dropout_p")
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"dropout_p must lie in [0, 1], got {dropout_p}")


def check_sdpa_args(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                    enable_gqa=False):
    """Raise ValueError unless the arguments fit scaled dot-product attention; return (groups, scale).

    ``groups`` is how many query heads share one key/value head (1 without ``enable_gqa``) and ``scale``
    the factor applied to the scores, 1/sqrt(E) unless given. The leading dimensions (all but the last two)
    of query, key and value broadcast against each other, as in torch's matmul; with ``enable_gqa`` the
    head dimension (-3) is the exception: Hq must be a multiple of H, the same H for key and value.
    """
    for name, x in (("query", query), ("key", key), ("value", value)):
        if x.ndim < 2:
            raise ValueError(f"{name} must be at least 2-D, (..., sequence, features), got shape {shape_of(x)}")
        check_finite(x, name)
    q, k, v = shape_of(query), shape_of(key), shape_of(value)
    if q[-1] != k[-1]:
        raise ValueError(f"query and key must have the same feature size E (last dimension), got shapes {q} and {k}")
    if k[-2] != v[-2]:
        raise ValueError(f"key (..., S, E) and value (..., S, Ev) must have the same length S, got shapes {k} and {v}")
    groups = _check_heads(q, k, v, enable_gqa)
    if scale is not None:
        check_real(scale, "scale")
    check_dropout_p(dropout_p)
    if not isinstance(is_causal, (bool, np.bool_)):
        raise ValueError(f"is_causal must be True or False, got {is_causal!r}")
    if attn_mask is not None:
        if is_causal:
            raise ValueError("pass either attn_mask or is_causal=True, not both (as torch requires)")
        if attn_mask.ndim < 2:  # torch refuses these too (its mask is indexed as (..., L, S))
            raise ValueError(f"attn_mask must be at least 2-D, (..., L, S), got shape {shape_of(attn_mask)}")
        check_mask(attn_mask, "attn_mask", weights_shape(q, k, groups))
    # a Python float, so that float32 inputs stay float32 (a NumPy float64 scalar would promote them)
    return groups, (float("inf") if q[-1] == 0 else 1.0 / math.sqrt(q[-1])) if scale is None else float(scale)


def _broadcast(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def weights_shape(q, k, groups):
    """The attention weights' shape (..., Hq, L, S) for query shape ``q`` and key shape ``k``."""
    k_lead = k[:-2] if groups == 1 else k[:-3] + (k[-3] * groups,)
    return _broadcast(q[:-2], k_lead) + (q[-2], k[-2])


def _check_heads(q, k, v, enable_gqa):
    """Leading dimensions that broadcast (with ``enable_gqa``: Hq = groups · H apart); returns groups."""
    if not enable_gqa:
        if _broadcast(q[:-2], k[:-2], v[:-2]) is None:
            raise ValueError(f"the leading dimensions of query (..., L, E), key (..., S, E) and value (..., S, Ev) "
                             f"must broadcast, got shapes {q}, {k}, {v} (different head counts need "
                             f"enable_gqa=True)")
        return 1
    if min(len(q), len(k), len(v)) < 3:
        raise ValueError(f"enable_gqa needs a head dimension: query, key and value (..., heads, sequence, "
                         f"features) at least 3-D, got shapes {q}, {k}, {v}")
    if k[-3] != v[-3] or k[-3] == 0 or q[-3] % k[-3]:
        raise ValueError(f"enable_gqa needs the query's head count ({q[-3]}) to be a multiple of the key's "
                         f"({k[-3]}) and the key's to equal the value's ({v[-3]})")
    if _broadcast(q[:-3], k[:-3], v[:-3]) is None:
        raise ValueError(f"the dimensions of query, key and value before the heads must broadcast, got shapes "
                         f"{q}, {k}, {v}")
    return q[-3] // k[-3]


def check_additive_args(query, key, value, W_q, W_k, w_v, key_padding_mask=None):
    """Shapes for additive attention: query (..., L, Dq), key (..., S, Dk), value (..., S, Dv), W_q (H, Dq),
    W_k (H, Dk), w_v (H,), key_padding_mask boolean, broadcastable to (..., S)."""
    for name, x, rank in (("query", query, 2), ("key", key, 2), ("value", value, 2)):
        if x.ndim < rank:
            raise ValueError(f"{name} must be at least 2-D, (..., sequence, features), got shape {shape_of(x)}")
    q, k, v = shape_of(query), shape_of(key), shape_of(value)
    if q[:-2] != k[:-2] or k[:-1] != v[:-1]:
        raise ValueError(f"query (..., L, Dq), key (..., S, Dk) and value (..., S, Dv) must share their leading "
                         f"dimensions, and key and value their length S; got shapes {q}, {k}, {v}")
    for name, w, size in (("W_q", W_q, q[-1]), ("W_k", W_k, k[-1])):
        if w.ndim != 2 or shape_of(w)[1] != size:
            raise ValueError(f"{name} must have shape (hidden_size, {size}) to match the input, got {shape_of(w)}")
    hidden = shape_of(W_q)[0]
    if shape_of(W_k)[0] != hidden or shape_of(w_v) != (hidden,):
        raise ValueError(f"W_q (H, Dq), W_k (H, Dk) and w_v (H,) must share the hidden size H, got shapes "
                         f"{shape_of(W_q)}, {shape_of(W_k)}, {shape_of(w_v)}")
    for name, a in (("query", query), ("key", key), ("value", value), ("W_q", W_q), ("W_k", W_k), ("w_v", w_v)):
        check_finite(a, name)
    if key_padding_mask is not None:
        check_mask(key_padding_mask, "key_padding_mask", k[:-1], allow_float=False)


def additive_init(query_size, key_size, hidden_size, rng=None, dtype=np.float64):
    """An additive-attention layer's parameters drawn as torch draws bias-free ``nn.Linear`` weights:
    W_q (H, Dq) ~ U(±1/sqrt(Dq)), W_k (H, Dk) ~ U(±1/sqrt(Dk)), w_v (H,) ~ U(±1/sqrt(H)), in that order."""
    for name, size in (("query_size", query_size), ("key_size", key_size), ("hidden_size", hidden_size)):
        check_positive_int(size, name)
    shapes = {"W_q": (hidden_size, query_size), "W_k": (hidden_size, key_size), "w_v": (hidden_size,)}
    return {name: _uniform(shape, 1.0 / np.sqrt(shape[-1]), rng, dtype) for name, shape in shapes.items()}
