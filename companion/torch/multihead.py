"""Multi-head attention in PyTorch, written from torch ops step by step as the NumPy twin is; autograd does
the backward pass. Same names, options, shapes and parameter dicts as :mod:`companion.np.multihead`, and
the same results as ``torch.nn.MultiheadAttention`` (bool masks: True = may NOT attend), except that a query
allowed no key gets weights 0 on both of torch's routes (torch: 0 with ``need_weights=False``, NaN with
``need_weights=True``). Each head runs :func:`companion.torch.attention.scaled_dot_product_attention`.

``multi_head_attention_forward`` / ``_backward`` give the NumPy twin's interface (a cache, then gradients
under torch's names).
"""

import torch
import torch.nn.functional as F

from companion._multihead import check_dropout, check_mha_args, check_sizes, mha_init, param_names
from companion._runtime import device as default_device
from companion.torch.attention import scaled_dot_product_attention
from companion.torch.dense import Dense, as_tensor


def _seq_first(x, batched, batch_first):
    if not batched:
        return x.unsqueeze(1)
    return x.transpose(0, 1) if batch_first else x


def _user_layout(x, batched, batch_first):
    if not batched:
        return x.squeeze(1)
    return x.transpose(0, 1) if batch_first else x


def _additive(mask, dtype):
    """A bool mask (True: masked out) as 0 / -inf; a float mask as it is."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))
    return mask.to(dtype)


def _split_projections(params, separate):
    if separate:
        weights = tuple(params[f"{n}_proj_weight"] for n in "qkv")
    else:
        weights = params["in_proj_weight"].chunk(3)
    bias = params.get("in_proj_bias")
    return weights, (None,) * 3 if bias is None else bias.chunk(3)


def _heads(x, heads, head_dim):
    """(length, N, E) -> (N·H, length, d), batch b and head h at row b·H + h."""
    return x.reshape(x.shape[0], heads, head_dim).transpose(0, 1)


def _merged_mask(attn_mask, key_padding_mask, causal_only, shape, extra, like):
    """The additive mask, (N·H or 1, L, S') or None; see companion.np.multihead._merged_mask."""
    nh, heads, length, s_total = shape
    if causal_only:
        allowed = torch.ones(length, s_total, dtype=torch.bool, device=like.device).tril()
        return _additive(~allowed, like.dtype).unsqueeze(0)
    mask = None
    if attn_mask is not None:
        mask = _additive(attn_mask, like.dtype)
        mask = F.pad(mask.unsqueeze(0) if mask.dim() == 2 else mask, (0, extra))
    if key_padding_mask is not None:
        kpm = F.pad(_additive(key_padding_mask, like.dtype).reshape(nh // heads, -1), (0, extra))
        kpm = kpm.repeat_interleave(heads, dim=0).unsqueeze(1)  # (N·H, 1, S')
        mask = kpm if mask is None else mask + kpm
    return mask


def _attention(qh, kh, vh, mask, dropout_p):
    """Each head's scaled dot-product attention (companion.torch.attention); returns (out, weights after
    dropout). A query allowed no key gets weights 0."""
    return scaled_dot_product_attention(qh, kh, vh, mask, dropout_p, return_weights=True)


def multi_head_attention(query, key, value, params, num_heads, *, key_padding_mask=None, need_weights=True,
                         attn_mask=None, average_attn_weights=True, is_causal=False, batch_first=False,
                         add_zero_attn=False, dropout_p=0.0, training=True):
    """(attn_output, attn_weights or None), as ``torch.nn.MultiheadAttention`` returns them.

    ``params``: {torch name: tensor}. Shapes and options as in :mod:`companion.np.multihead`.
    """
    check_dropout(dropout_p)
    params = {k: v for k, v in params.items() if v is not None}
    batched, length, n, s, embed_dim, head_dim, separate, has_bias_kv = check_mha_args(
        query, key, value, params, num_heads, key_padding_mask, attn_mask, is_causal, batch_first)
    inputs = [_seq_first(t, batched, batch_first) for t in (query, key, value)]  # (len, N, features)
    weights, biases = _split_projections(params, separate)
    q, k, v = (F.linear(x, w, b) for x, w, b in zip(inputs, weights, biases))
    if has_bias_kv:
        k = torch.cat([k, params["bias_k"].expand(1, n, embed_dim)])
        v = torch.cat([v, params["bias_v"].expand(1, n, embed_dim)])
    nh = n * num_heads
    qh, kh, vh = (_heads(t, nh, head_dim) for t in (q, k, v))  # (N·H, len, d)
    if add_zero_attn:
        kh, vh = (torch.cat([t, t.new_zeros(nh, 1, head_dim)], dim=1) for t in (kh, vh))
    s_total = kh.shape[1]
    causal_only = is_causal and key_padding_mask is None and not need_weights
    mask = _merged_mask(attn_mask, key_padding_mask, causal_only, (nh, num_heads, length, s_total),
                        s_total - s, qh)
    out_h, attn = _attention(qh, kh, vh, mask, dropout_p if training else 0.0)
    merged = out_h.transpose(0, 1).reshape(length, n, embed_dim)
    out = F.linear(merged, params["out_proj.weight"], params.get("out_proj.bias"))
    attn_weights = None
    if need_weights:
        attn_weights = attn.reshape(n, num_heads, length, s_total)
        attn_weights = attn_weights.mean(dim=1) if average_attn_weights else attn_weights
        attn_weights = attn_weights if batched else attn_weights[0]
    return _user_layout(out, batched, batch_first), attn_weights


def _leaf(t):
    return t.detach().requires_grad_(True)


def multi_head_attention_forward(query, key, value, params, num_heads, **options):
    """((attn_output, attn_weights), cache) on detached leaf copies, for :func:`multi_head_attention_backward`."""
    query, key, value = _leaf(query), _leaf(key), _leaf(value)
    params = {k: _leaf(v) for k, v in params.items() if v is not None}
    result = multi_head_attention(query, key, value, params, num_heads, **options)
    return result, (result, query, key, value, params)


def multi_head_attention_backward(dout, cache, dweights=None):
    """(dquery, dkey, dvalue, grads) by autograd; ``grads`` under torch's names."""
    (out, weights), query, key, value, params = cache
    if dweights is not None and weights is None:
        raise ValueError("dweights given but the forward pass returned no weights (need_weights=False)")
    outs, douts = [out], [dout]
    if dweights is not None:
        outs, douts = outs + [weights], douts + [dweights]
    leaves = [query, key, value, *params.values()]
    grads = torch.autograd.grad(outs, leaves, douts, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for t, g in zip(leaves, grads)]
    return (*grads[:3], dict(zip(params, grads[3:])))


class MultiheadAttention(torch.nn.Module):
    """``torch.nn.MultiheadAttention``'s constructor, parameter names and results, computed by
    :func:`multi_head_attention`; parameters drawn from a NumPy ``rng`` as the NumPy twin draws them."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None, *, rng=None):
        super().__init__()
        check_dropout(dropout)
        self.kdim, self.vdim, self.head_dim = check_sizes(embed_dim, num_heads, kdim, vdim)
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.add_zero_attn = add_zero_attn
        dtype = torch.get_default_dtype() if dtype is None else dtype
        device = default_device() if device is None else device
        values = mha_init(embed_dim, num_heads, bias, add_bias_kv, kdim, vdim, rng)
        for name in param_names(self._qkv_same_embed_dim, bias, add_bias_kv):
            if not name.startswith("out_proj."):
                setattr(self, name, torch.nn.Parameter(as_tensor(values[name], dtype, device)))
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias"):
            if not hasattr(self, name):
                self.register_parameter(name, None)
        if not add_bias_kv:
            self.bias_k = self.bias_v = None
        self.out_proj = Dense(embed_dim, embed_dim, bias, weight=values["out_proj.weight"],
                              bias_value=values.get("out_proj.bias"), dtype=dtype, device=device)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """(attn_output, attn_weights or None), as ``torch.nn.MultiheadAttention.forward``."""
        return multi_head_attention(
            query, key, value, dict(self.named_parameters()), self.num_heads, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask, average_attn_weights=average_attn_weights,
            is_causal=is_causal, batch_first=self.batch_first, add_zero_attn=self.add_zero_attn,
            dropout_p=self.dropout, training=self.training)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
