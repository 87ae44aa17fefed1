"""Counting what a network's geometry implies: receptive fields of a stack of convolutions and pools; the
parameters, FLOPs per token and training memory of a decoder-only transformer (:func:`transformer_counts`);
the trainable parameters of any torch module (:func:`count_parameters`).

Pure computation: it reads layer attributes (``kernel_size``, ``stride``, ``padding``, ``dilation``, or a
convolution's 4-D ``weight``) and imports nothing else from the package.
"""

from dataclasses import dataclass, asdict, is_dataclass

from companion._validate import check_nonnegative_int, check_positive_int

def count_parameters(module):
    """The number of trainable numbers in a torch module (its parameters that require a gradient)."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))


_KEYS = ("kernel_size", "stride", "padding", "dilation", "name")
_POINTWISE = ("activation", "activations", "dropout", "batchnorm", "normalization", "regularization")


@dataclass(frozen=True)
class Window:
    """One layer's sliding window; each field an int or an (h, w) pair."""
    kernel_size: object
    stride: object = 1
    padding: object = 0
    dilation: object = 1
    name: str = "layer"


@dataclass(frozen=True)
class ReceptiveField:
    """After layer ``index``: field size ``r``, ``jump`` between neighbouring outputs, ``start`` = centre of
    output 0's field (output i's centre is start + i * jump), all in input pixels, each an (h, w) pair."""
    index: int
    name: str
    r: tuple
    jump: tuple
    start: tuple


def _pair(value, what):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"{what} must be an int or an (h, w) pair, got {value!r}")
    return pair


def _padding(padding, kernel, dilation):
    """Padding before each axis: "valid" is none; "same" pads d (k - 1) // 2 before and the rest after (torch)."""
    if padding == "valid":
        return 0
    if padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(_pair(kernel, "kernel_size"), _pair(dilation, "dilation")))
    return padding


def _window(i, layer):
    """(kernel, stride, padding, dilation, name) of layer i; None for a pointwise layer; 'stop' at Flatten."""
    kind = type(layer)
    if isinstance(layer, dict) or is_dataclass(layer):
        spec = dict(layer) if isinstance(layer, dict) else asdict(layer)
        unknown = sorted(set(spec) - set(_KEYS))
        if unknown or "kernel_size" not in spec:
            raise ValueError(f"layer {i}: spec needs kernel_size and takes only {list(_KEYS)}, got {sorted(spec)}")
        spec = {"stride": 1, "padding": 0, "dilation": 1, "name": "layer", **spec}
        kernel, dilation = spec["kernel_size"], spec["dilation"]
        return kernel, spec["stride"], _padding(spec["padding"], kernel, dilation), dilation, spec["name"]
    if any(c.__name__ == "Flatten" for c in kind.__mro__):
        return "stop"
    if "Transpose" in kind.__name__:
        raise ValueError(f"layer {i} ({kind.__name__}) is a transposed convolution, which spreads each input over "
                         "a window of outputs; receptive_field follows convolutions and pools only")
    if kind.__name__.endswith(("1d", "3d")) and kind.__module__.rsplit(".", 1)[-1] not in _POINTWISE:
        raise ValueError(f"layer {i} ({kind.__name__}) is not 2-D; receptive_field follows 2-D layers, per (h, w)")
    if hasattr(layer, "kernel_size"):  # convolutions and pools of both backends and of torch.nn
        kernel = layer.kernel_size
    elif getattr(getattr(layer, "weight", None), "ndim", 0) == 4:  # any other 2-D convolution: (F, C, KH, KW)
        kernel = tuple(layer.weight.shape[-2:])
    elif kind.__module__.rsplit(".", 1)[-1] in _POINTWISE or kind.__name__ == "Identity":
        return None
    else:
        raise ValueError(f"layer {i} ({kind.__name__}) has no kernel_size and is not a pointwise layer; "
                         "receptive_field reads convolutions and pools, and stops at Flatten")
    stride = kernel if getattr(layer, "stride", None) is None else layer.stride
    dilation = getattr(layer, "dilation", 1)  # average pools have none
    return kernel, stride, _padding(getattr(layer, "padding", 0), kernel, dilation), dilation, kind.__name__


def receptive_field(layers):
    """Receptive field, jump and start after each convolution or pool of ``layers``, per axis (h, w).

    r_out = r_in + (k - 1) d j_in,   j_out = j_in s,   start_out = start_in + ((k - 1) d / 2 - p) j_in,
    from r = j = 1, start = 0 (the input pixel 0). Araujo, Norris & Sim (2019), "Computing Receptive Fields
    of Convolutional Neural Networks", Distill, https://distill.pub/2019/computing-receptive-fields/.

    ``layers``: a list (or a Sequential) of dicts / :class:`Window` specs with keys kernel_size, stride=1,
    padding=0, dilation=1 (and an optional name), or layer objects: Conv2d, MaxPool2d, AvgPool2d of
    companion.np, companion.torch and torch.nn. Each of kernel_size, stride, padding, dilation may be an int
    or an (h, w) pair; padding also "valid" or "same" (torch's: d (k - 1) // 2 before). A dilated window
    spans d (k - 1) + 1 pixels. Pointwise layers (activations, dropout, batch norm) are skipped; the walk
    stops at Flatten; 1-D and transposed layers are refused. Returns a list of :class:`ReceptiveField`, one
    per window layer.
    """
    layers = getattr(layers, "layers", layers)
    r, jump, start, out = (1, 1), (1, 1), (0.0, 0.0), []
    for i, layer in enumerate(layers):
        window = _window(i, layer)
        if window == "stop":
            break
        if window is None:
            continue
        *geometry, name = window
        k, s, p, d = (_pair(v, f"layer {i}'s {key}") for v, key in zip(geometry, _KEYS))
        for values, key, check in zip((k, s, p, d), _KEYS, (check_positive_int, check_positive_int,
                                                             check_nonnegative_int, check_positive_int)):
            for v in values:
                check(v, f"layer {i}'s {key}")
        start = tuple(a + ((kk - 1) * dd / 2 - pp) * j for a, kk, dd, pp, j in zip(start, k, d, p, jump))
        r = tuple(rr + (kk - 1) * dd * j for rr, kk, dd, j in zip(r, k, d, jump))
        jump = tuple(j * ss for j, ss in zip(jump, s))
        out.append(ReceptiveField(i, name, r, jump, start))
    return out


_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}
_POSITIONS = ("learned", "sinusoidal", "rotary", "none")


@dataclass(frozen=True)
class TransformerCounts:
    """What a decoder-only transformer's sizes imply; see :func:`transformer_counts` for each formula.

    Parameters, FLOPs per token (a multiply and an add count two), and bytes for one dtype.
    """
    params: int
    embedding_params: int
    non_embedding_params: int
    matmul_params: int
    forward_flops_per_token: int
    train_flops_per_token: int
    approx_train_flops_per_token: int
    weight_bytes: int
    grad_bytes: int
    adam_bytes: int

    @property
    def training_bytes(self):
        """Weights, gradients and Adam's two moments: the memory training needs before any activation."""
        return self.weight_bytes + self.grad_bytes + self.adam_bytes


def _itemsize(dtype):
    """Bytes per number for "float32", np.float32, torch.float32 and the like (bfloat16 too)."""
    name = str(getattr(dtype, "__name__", dtype)).replace("torch.", "")
    if name not in _BYTES:
        raise ValueError(f"dtype must be one of {sorted(_BYTES)} (a string, NumPy or torch dtype), got {dtype!r}")
    return _BYTES[name]


def _check_transformer_sizes(vocab, d_model, n_layers, n_heads, d_ff, seq_len, positions):
    for value, name in ((vocab, "vocab"), (d_model, "d_model"), (n_layers, "n_layers"), (n_heads, "n_heads"),
                        (d_ff, "d_ff"), (seq_len, "seq_len")):
        check_positive_int(value, name)
    if d_model % n_heads:
        raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads} (each head gets d_model / "
                         f"n_heads features)")
    if positions not in _POSITIONS:
        raise ValueError(f"unknown positions {positions!r}; choose one of {list(_POSITIONS)}")


def transformer_counts(vocab, d_model, n_layers, n_heads, d_ff, seq_len, tied=True, *, bias=True,
                       positions="learned", final_norm=True, dtype="float32"):
    """Parameters, FLOPs per token and training memory of a decoder-only (GPT-style) transformer.

    The model counted, as built from torch.nn layers: a token table nn.Embedding(vocab, d_model); a position
    table nn.Embedding(seq_len, d_model) when ``positions="learned"`` (none for "sinusoidal", "rotary" or
    "none"); ``n_layers`` blocks as nn.TransformerEncoderLayer(d_model, n_heads, d_ff, bias=bias) (self-
    attention with a fused (3 d_model, d_model) input projection and a (d_model, d_model) output projection,
    two layer norms, a d_model -> d_ff -> d_model feed-forward); a final nn.LayerNorm(d_model, bias=bias) if
    ``final_norm``; an output head nn.Linear(d_model, vocab, bias=False) whose weight is the token table
    when ``tied`` (counted once) or its own otherwise. With d = d_model, per block:

        weights 4 d^2 + 2 d d_ff;  biases 3d + d + d_ff + d (if bias);  layer norms 2d scales (+ 2d shifts if bias)

    - ``params``: every parameter once; ``embedding_params`` the token and position tables;
      ``non_embedding_params`` the rest, an untied head included (the N of Kaplan et al. 2020, "Scaling Laws
      for Neural Language Models", who write N ~ 2 d n_layers (2 d + d_ff), neglecting biases and norms);
    - ``matmul_params``: the weights used in matrix products per token, N_mm = n_layers (4 d^2 + 2 d d_ff)
      + vocab d (the head, also when tied; a lookup in a table costs no multiplication);
    - ``forward_flops_per_token`` = 2 N_mm + 2 n_layers seq_len d * 2: each weight one multiply-add, and
      attention's two products per layer, the scores Q K^T and the weighted sum A V, each 2 seq_len d per
      token at full context (the whole seq_len x seq_len score matrix, the masked half of a causal model
      included, as a plain implementation computes it). Biases, norms, softmax and activations are left
      out, as torch.utils.flop_counter.FlopCounterMode leaves them out (to check against it, run attention
      on the math backend, ``torch.nn.attention.sdpa_kernel(SDPBackend.MATH)``: it has no FLOP formula for
      the CPU's fused attention kernel, which then counts as zero);
    - ``train_flops_per_token`` = 3 x forward (the backward pass of each product costs two products: one
      for the input's gradient, one for the weight's); ``approx_train_flops_per_token`` = 6 N with N the
      non-embedding parameters, Kaplan et al.'s rule of thumb, which drops the head and attention's terms;
    - ``weight_bytes`` and ``grad_bytes`` = params x bytes of ``dtype``; ``adam_bytes`` = 2 x params x bytes
      (Adam's two moment estimates; its per-parameter step counters are left out).

    ``n_heads`` changes no count (the heads split d_model); it must divide d_model. All counts are ints.
    """
    _check_transformer_sizes(vocab, d_model, n_layers, n_heads, d_ff, seq_len, positions)
    d = d_model
    table = vocab * d + (seq_len * d if positions == "learned" else 0)
    block_weights = 4 * d * d + 2 * d * d_ff
    block = block_weights + 2 * d + ((3 * d + d + d_ff + d) + 2 * d if bias else 0)
    head = 0 if tied else vocab * d
    final = (2 * d if bias else d) if final_norm else 0
    params = table + n_layers * block + final + head
    matmul = n_layers * block_weights + vocab * d
    forward = 2 * matmul + 2 * n_layers * seq_len * d * 2
    size = _itemsize(dtype)
    return TransformerCounts(params=params, embedding_params=table, non_embedding_params=params - table,
                             matmul_params=matmul, forward_flops_per_token=forward, train_flops_per_token=3 * forward,
                             approx_train_flops_per_token=6 * (params - table), weight_bytes=params * size,
                             grad_bytes=params * size, adam_bytes=2 * params * size)
