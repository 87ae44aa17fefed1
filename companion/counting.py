"""Counting what a network's geometry implies: receptive fields of a stack of convolutions and pools.

Pure computation: it reads layer attributes (``kernel_size``, ``stride``, ``padding``, ``dilation``, or a
convolution's 4-D ``weight``) and imports nothing else from the package.
"""

from dataclasses import dataclass, asdict, is_dataclass

from companion._validate import check_nonnegative_int, check_positive_int

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
