"""Multi-head attention's parameter names, initialization and argument checks, shared by both backends.

The layout is ``torch.nn.MultiheadAttention``'s, so state dicts load both ways:

* ``in_proj_weight`` (3E, E), the query, key and value projections stacked, when the key and value have the
  query's embedding size E; otherwise ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim) and
  ``v_proj_weight`` (E, vdim);
* ``in_proj_bias`` (3E,) and ``out_proj.bias`` (E,) when ``bias``; ``out_proj.weight`` (E, E) always;
* ``bias_k`` and ``bias_v`` (1, 1, E) with ``add_bias_kv``: one learned key and value appended to every
  sequence (after the projections).

The checks look at shapes and dtypes only, so they serve NumPy arrays and torch tensors alike.
"""

import numpy as np

from companion._init import dense_init, xavier_normal, xavier_uniform
from companion._validate import check_param_shapes, check_positive_int, shape_of


def param_names(same_embed_dim=True, bias=True, add_bias_kv=False):
    """The parameters' names in the order of torch's state dict."""
    names = ["in_proj_weight"] if same_embed_dim else ["q_proj_weight", "k_proj_weight", "v_proj_weight"]
    names += ["in_proj_bias"] if bias else []
    names += ["bias_k", "bias_v"] if add_bias_kv else []
    return names + ["out_proj.weight"] + (["out_proj.bias"] if bias else [])


def check_sizes(embed_dim, num_heads, kdim=None, vdim=None):
    """embed_dim and num_heads positive, embed_dim a multiple of num_heads; returns (kdim, vdim, head_dim)."""
    check_positive_int(embed_dim, "embed_dim")
    check_positive_int(num_heads, "num_heads")
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
    kdim, vdim = (embed_dim if d is None else d for d in (kdim, vdim))
    check_positive_int(kdim, "kdim")
    check_positive_int(vdim, "vdim")
    return kdim, vdim, embed_dim // num_heads


def mha_init(embed_dim, num_heads, bias=True, add_bias_kv=False, kdim=None, vdim=None, rng=None,
             dtype=np.float64):
    """torch's ``_reset_parameters``, drawn with NumPy: {name: array} in state-dict order.

    Projection weights Xavier-uniform (the stacked (3E, E) matrix as one, so its fans are E and 3E);
    ``out_proj.weight`` torch.nn.Linear's default U(±1/sqrt(E)); both biases zero; bias_k and bias_v
    Xavier-normal (fans E and E for the shape (1, 1, E)).
    """
    kdim, vdim, _ = check_sizes(embed_dim, num_heads, kdim, vdim)
    same = kdim == embed_dim and vdim == embed_dim
    p = {}
    if same:
        p["in_proj_weight"] = xavier_uniform((3 * embed_dim, embed_dim), rng=rng, dtype=dtype)
    else:
        for name, d in (("q", embed_dim), ("k", kdim), ("v", vdim)):
            p[f"{name}_proj_weight"] = xavier_uniform((embed_dim, d), rng=rng, dtype=dtype)
    if bias:
        p["in_proj_bias"] = np.zeros(3 * embed_dim, dtype)
    if add_bias_kv:
        p["bias_k"] = xavier_normal((1, 1, embed_dim), rng=rng, dtype=dtype)
        p["bias_v"] = xavier_normal((1, 1, embed_dim), rng=rng, dtype=dtype)
    p["out_proj.weight"] = dense_init(embed_dim, embed_dim, rng, dtype)[0]
    if bias:
        p["out_proj.bias"] = np.zeros(embed_dim, dtype)
    return p


def mask_kind(mask, name):
    """'bool' or 'float' (torch's two kinds of mask); ValueError for any other dtype."""
    dtype = str(mask.dtype).replace("torch.", "")
    if dtype == "bool":
        return "bool"
    if dtype.startswith(("float", "bfloat")):
        return "float"
    raise ValueError(f"only bool and floating types of {name} are supported, got dtype {dtype}")


def _check_params(params, embed_dim_q, kdim, vdim):
    """The parameter dict's names and shapes; returns (embed_dim, separate projections?, has bias_kv)."""
    if "out_proj.weight" not in params:
        raise ValueError("params needs 'out_proj.weight' (embed_dim, embed_dim)")
    embed_dim = shape_of(params["out_proj.weight"])[0]
    separate = "in_proj_weight" not in params
    want = {"out_proj.weight": (embed_dim, embed_dim)}
    if separate:
        want.update({"q_proj_weight": (embed_dim, embed_dim), "k_proj_weight": (embed_dim, kdim),
                     "v_proj_weight": (embed_dim, vdim)})
    else:
        want["in_proj_weight"] = (3 * embed_dim, embed_dim)
    has_bias = params.get("in_proj_bias") is not None
    if has_bias:
        want["in_proj_bias"] = (3 * embed_dim,)
    if params.get("out_proj.bias") is not None:
        want["out_proj.bias"] = (embed_dim,)
    has_bias_kv = params.get("bias_k") is not None or params.get("bias_v") is not None
    if has_bias_kv:
        want.update({"bias_k": (1, 1, embed_dim), "bias_v": (1, 1, embed_dim)})
    check_param_shapes(params, want, f" (embed_dim {embed_dim}, kdim {kdim}, vdim {vdim})")
    if embed_dim_q != embed_dim:
        raise ValueError(f"query has {embed_dim_q} features but the layer's embed_dim is {embed_dim}")
    if not separate and (kdim != embed_dim or vdim != embed_dim):
        raise ValueError(f"key and value must have embed_dim ({embed_dim}) features with a stacked "
                         f"in_proj_weight, got {kdim} and {vdim}; use q_proj_weight, k_proj_weight, v_proj_weight")
    return embed_dim, separate, has_bias_kv


def check_mha_args(query, key, value, params, num_heads, key_padding_mask, attn_mask, is_causal, batch_first):
    """All the shape checks of ``torch.nn.MultiheadAttention.forward``, as ValueErrors.

    Returns (batched, L, N, S, embed_dim, head_dim, separate projections?, has bias_kv), with L, N, S read
    in the layout ``batch_first`` names (N is 1 for unbatched input).
    """
    if query.ndim not in (2, 3):
        raise ValueError(f"query must be 2-D (L, E) unbatched or 3-D batched, got shape {shape_of(query)}")
    batched = query.ndim == 3
    for name, t in (("key", key), ("value", value)):
        if t.ndim != query.ndim:
            raise ValueError(f"{name} must be {query.ndim}-D like query, got shape {shape_of(t)}")
    if batched and batch_first:
        (n, length, e), (nk, s, _), (nv, sv, _) = query.shape, key.shape, value.shape
    elif batched:
        (length, n, e), (s, nk, _), (sv, nv, _) = query.shape, key.shape, value.shape
    else:
        (length, e), (s, _), (sv, _) = query.shape, key.shape, value.shape
        n = nk = nv = 1
    if (s, nk) != (sv, nv) or nk != n:
        raise ValueError(f"key and value must share query's batch size and their sequence length; got query "
                         f"{shape_of(query)}, key {shape_of(key)}, value {shape_of(value)}")
    check_positive_int(num_heads, "num_heads")
    embed_dim, separate, has_bias_kv = _check_params(params, e, key.shape[-1], value.shape[-1])
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
    if key_padding_mask is not None:
        mask_kind(key_padding_mask, "key_padding_mask")
        want = (n, s) if batched else (s,)
        if shape_of(key_padding_mask) != want:
            raise ValueError(f"key_padding_mask must have shape {want} (batch, source length), "
                             f"got {shape_of(key_padding_mask)}")
    if attn_mask is not None:
        mask_kind(attn_mask, "attn_mask")
        if shape_of(attn_mask) not in ((length, s), (n * num_heads, length, s)):
            raise ValueError(f"attn_mask must have shape {(length, s)} or (batch·num_heads, L, S) = "
                             f"{(n * num_heads, length, s)}, got {shape_of(attn_mask)}")
    elif is_causal:
        raise ValueError("is_causal is a hint that attn_mask is the causal mask: pass attn_mask too "
                         "(as torch.nn.MultiheadAttention requires)")
    return batched, length, n, s, embed_dim, embed_dim // num_heads, separate, has_bias_kv


def check_dropout(p):
    if not 0 <= p < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {p}")
