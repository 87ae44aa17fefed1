"""Transformer layers' parameter names, initialization and argument checks, shared by both backends.

The layout is ``torch.nn.TransformerEncoderLayer``'s and ``torch.nn.TransformerDecoderLayer``'s, so state
dicts load both ways (E = d_model, F = dim_feedforward):

* ``self_attn.*`` (and in the decoder ``multihead_attn.*``, the cross-attention over the encoder's output):
  a multi-head attention's ``in_proj_weight`` (3E, E), ``in_proj_bias`` (3E,), ``out_proj.weight`` (E, E),
  ``out_proj.bias`` (E,) (see :mod:`companion._multihead`);
* ``linear1.weight`` (F, E), ``linear1.bias`` (F,), ``linear2.weight`` (E, F), ``linear2.bias`` (E,): the
  feed-forward block;
* ``norm1.weight``, ``norm1.bias``, ``norm2.*`` (and ``norm3.*`` in the decoder), each (E,).

With ``bias=False`` every bias above is absent (torch drops the linear layers' and the layer norms' biases
alike). The checks look at shapes and dtypes only, so they serve NumPy arrays and torch tensors alike.
"""

import numpy as np

from companion._init import dense_init
from companion._multihead import check_dropout, check_sizes, mha_init
from companion._multihead import param_names as mha_param_names
from companion._validate import check_eps, check_param_shapes, check_positive_int, shape_of

# torch's layers accept "relu" and "gelu" as strings (and any callable); the book's layers also take these
# element-wise names from companion's activation registry, which the NumPy backward can differentiate.
ACTIVATIONS = ("relu", "gelu", "gelu_tanh", "silu")


def attention_blocks(decoder):
    """The attention sub-layers' prefixes: ('self_attn',) or ('self_attn', 'multihead_attn')."""
    return ("self_attn", "multihead_attn") if decoder else ("self_attn",)


def norm_names(decoder):
    return ("norm1", "norm2", "norm3") if decoder else ("norm1", "norm2")


def param_names(decoder=False, bias=True):
    """The parameters' names in the order of torch's state dict."""
    names = [f"{block}.{n}" for block in attention_blocks(decoder) for n in mha_param_names(True, bias)]
    for layer in ("linear1", "linear2"):
        names += [f"{layer}.weight"] + ([f"{layer}.bias"] if bias else [])
    for norm in norm_names(decoder):
        names += [f"{norm}.weight"] + ([f"{norm}.bias"] if bias else [])
    return names


def check_layer_args(d_model, nhead, dim_feedforward, dropout, layer_norm_eps):
    """The constructor's numbers: d_model a positive multiple of nhead, dim_feedforward >= 1, dropout in
    [0, 1), layer_norm_eps > 0."""
    check_sizes(d_model, nhead)
    check_positive_int(dim_feedforward, "dim_feedforward")
    check_dropout(dropout)
    check_eps(layer_norm_eps)


def layer_init(d_model, nhead, dim_feedforward=2048, bias=True, decoder=False, rng=None, dtype=np.float64):
    """torch's initialization, drawn with NumPy: {name: array} in state-dict order.

    Each attention block as :func:`companion._multihead.mha_init` (Xavier-uniform projections, zero
    biases), then linear1 and linear2 as torch.nn.Linear (U(±1/sqrt(fan_in)) for weight and bias), drawn in
    that order from ``rng`` (NumPy's global generator when None); layer norms ones and zeros.
    """
    check_layer_args(d_model, nhead, dim_feedforward, 0.0, 1.0)
    p = {}
    for block in attention_blocks(decoder):
        for name, value in mha_init(d_model, nhead, bias, rng=rng, dtype=dtype).items():
            p[f"{block}.{name}"] = value
    for layer, (n_in, n_out) in (("linear1", (d_model, dim_feedforward)), ("linear2", (dim_feedforward, d_model))):
        weight, b = dense_init(n_in, n_out, rng, dtype)
        p[f"{layer}.weight"] = weight
        if bias:
            p[f"{layer}.bias"] = b
    for norm in norm_names(decoder):
        p[f"{norm}.weight"] = np.ones(d_model, dtype)
        if bias:
            p[f"{norm}.bias"] = np.zeros(d_model, dtype)
    return p


def sub_params(params, prefix):
    """The entries of ``params`` under ``prefix.``, with the prefix stripped (None values dropped)."""
    start = prefix + "."
    return {k[len(start):]: v for k, v in params.items() if k.startswith(start) and v is not None}


def check_params(params, decoder):
    """Every parameter a layer needs is there: the weights always, the biases all or none."""
    weights = [n for n in param_names(decoder, bias=False)]
    missing = [n for n in weights if params.get(n) is None]
    if missing:
        kind = "Decoder" if decoder else "Encoder"
        raise ValueError(f"params needs {missing} (names as in torch.nn.Transformer{kind}Layer's state dict)")
    biases = [n for n in param_names(decoder, bias=True) if n not in weights]
    present = [n for n in biases if params.get(n) is not None]
    if present and len(present) != len(biases):
        raise ValueError(f"params has some biases but not all: missing {sorted(set(biases) - set(present))}")
    d_model = shape_of(params["linear2.weight"])[0]
    dim_feedforward = shape_of(params["linear1.weight"])[0]
    want = {"linear1.weight": (dim_feedforward, d_model), "linear2.weight": (d_model, dim_feedforward)}
    want.update({f"{norm}.weight": (d_model,) for norm in norm_names(decoder)})
    want.update({"linear1.bias": (dim_feedforward,), "linear2.bias": (d_model,)})
    want.update({f"{norm}.bias": (d_model,) for norm in norm_names(decoder)})
    check_param_shapes(params, want, f" (d_model {d_model}, dim_feedforward {dim_feedforward})", optional=True)
    return d_model


def check_layer_input(x, d_model, name):
    """x (L, E) unbatched or (L, N, E) / (N, L, E) batched, with E = d_model; returns whether batched."""
    if x.ndim not in (2, 3):
        raise ValueError(f"{name} must be 2-D (L, d_model) unbatched or 3-D batched, got shape {shape_of(x)}")
    if shape_of(x)[-1] != d_model:
        raise ValueError(f"{name} has {shape_of(x)[-1]} features but the layer's d_model is {d_model}")
    return x.ndim == 3


def check_activation_name(activation, names, callables=True):
    """A string activation must be one of ``names`` (the NumPy layers take names only); returns it."""
    if not isinstance(activation, str) or activation not in names:
        alternative = " or a callable" if callables else " (the NumPy layers differentiate these by hand)"
        raise ValueError(f"activation should be one of {list(names)}{alternative}, got {activation!r}")
    return activation


def check_memory(tgt, memory):
    """The decoder's memory: as many dimensions as tgt and the same number of features."""
    if memory.ndim != tgt.ndim:
        raise ValueError(f"memory must be {tgt.ndim}-D like tgt, got shape {shape_of(memory)}")
    if shape_of(memory)[-1] != shape_of(tgt)[-1]:
        raise ValueError(f"memory has {shape_of(memory)[-1]} features but tgt has {shape_of(tgt)[-1]}")
