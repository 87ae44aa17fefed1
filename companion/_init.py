"""Parameter initialization shared by both backends, so one seed gives the same network in each.

The formulas are those of ``torch.nn.init`` (chapter: Backpropagation, section Initialization):

* fans of a weight (out, in, *kernel): fan_in = in · prod(kernel), fan_out = out · prod(kernel);
* Xavier/Glorot: std = gain · sqrt(2 / (fan_in + fan_out));
* Kaiming/He: std = gain / sqrt(fan), fan = fan_in or fan_out (``mode``);
* a uniform U(-bound, bound) has std bound / sqrt(3), so bound = sqrt(3) · std.

The draws use NumPy (``rng`` a ``numpy.random.Generator``, or None for NumPy's global generator, which
:func:`companion.seed` seeds); :mod:`companion.np.init` and :mod:`companion.torch.init` expose them.
"""

import math
import warnings

import numpy as np

from companion._losses import normalize_padding_idx
from companion._validate import check_positive_int

LINEAR_NAMES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d")
NONLINEARITIES = LINEAR_NAMES + ("sigmoid", "tanh", "relu", "leaky_relu", "selu")
INIT_NAMES = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps the signal's scale through ``nonlinearity`` (``torch.nn.init.calculate_gain``).

    1 for linear, convolutions and sigmoid; 5/3 for tanh; sqrt(2) for ReLU; sqrt(2 / (1 + slope²))
    for leaky ReLU with negative slope ``param`` (default 0.01); 3/4 for SELU.
    """
    if nonlinearity in LINEAR_NAMES or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically by PyTorch (pull request 50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}; choose one of {list(NONLINEARITIES)}")


def _shape(shape_or_array):
    """A shape tuple from a shape or from anything with ``.shape`` (array, tensor)."""
    if hasattr(shape_or_array, "shape"):
        return tuple(int(n) for n in shape_or_array.shape)
    if isinstance(shape_or_array, (int, np.integer)):
        return (int(shape_or_array),)
    return tuple(int(n) for n in shape_or_array)


def calculate_fan_in_and_fan_out(shape):
    """(fan_in, fan_out) of a weight of ``shape`` (out, in, *kernel), as PyTorch counts them.

    fan_in = in · prod(kernel) inputs feed each output; fan_out = out · prod(kernel) outputs read each
    input. ``shape`` may also be an array or tensor. Needs at least 2 dimensions.
    """
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
                         f"(got shape {shape})")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(shape, mode):
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out


def xavier_std(shape, gain=1.0):
    """gain · sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def kaiming_std(shape, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """calculate_gain(nonlinearity, a) / sqrt(fan) (He et al. 2015); fan is fan_in or fan_out."""
    fan = _fan(shape, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _draw(rng):
    return rng if rng is not None else np.random


def _uniform(shape, bound, rng, dtype):
    return _draw(rng).uniform(-bound, bound, size=shape).astype(dtype)


def _normal(shape, std, rng, dtype):
    return _draw(rng).normal(0.0, std, size=shape).astype(dtype)


def _empty(shape, dtype):
    """PyTorch's Kaiming functions leave zero-element tensors alone, with this warning."""
    warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return np.zeros(shape, dtype=dtype)


def xavier_uniform(shape, gain=1.0, rng=None, dtype=np.float64):
    """U(-bound, bound) with bound = sqrt(3) · gain · sqrt(2 / (fan_in + fan_out)); an array of ``shape``."""
    shape = _shape(shape)
    return _uniform(shape, math.sqrt(3.0) * xavier_std(shape, gain), rng, dtype)


def xavier_normal(shape, gain=1.0, rng=None, dtype=np.float64):
    """N(0, std²) with std = gain · sqrt(2 / (fan_in + fan_out)); an array of ``shape``."""
    shape = _shape(shape)
    return _normal(shape, xavier_std(shape, gain), rng, dtype)


def kaiming_uniform(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None, dtype=np.float64):
    """U(-bound, bound) with bound = sqrt(3) · gain / sqrt(fan); gain = calculate_gain(nonlinearity, a).

    The defaults (a = 0, leaky ReLU) give gain sqrt(2), He's choice for ReLU; a = sqrt(5) gives
    bound 1/sqrt(fan_in), PyTorch's default for ``nn.Linear`` and ``nn.Conv2d`` weights.
    """
    shape = _shape(shape)
    std = kaiming_std(shape, a, mode, nonlinearity)  # checks mode and nonlinearity even when empty
    return _empty(shape, dtype) if 0 in shape else _uniform(shape, math.sqrt(3.0) * std, rng, dtype)


def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None, dtype=np.float64):
    """N(0, std²) with std = calculate_gain(nonlinearity, a) / sqrt(fan); an array of ``shape``."""
    shape = _shape(shape)
    std = kaiming_std(shape, a, mode, nonlinearity)
    return _empty(shape, dtype) if 0 in shape else _normal(shape, std, rng, dtype)


def _check_positive(**sizes):
    for name, n in sizes.items():
        check_positive_int(n, name)


def _default_weight_and_bias(shape, rng, dtype, bias_size=None):
    """PyTorch's ``reset_parameters`` of Linear and Conv: weight Kaiming-uniform with a = sqrt(5), whose
    bound sqrt(3) · sqrt(2 / (1 + 5)) / sqrt(fan_in) is 1/sqrt(fan_in); then bias U(±1/sqrt(fan_in)).

    The bound is computed as 1/sqrt(fan_in), which can differ from torch's product in the last bit; that
    keeps every network the book has drawn so far the same to the bit.
    """
    bound = 1.0 / np.sqrt(calculate_fan_in_and_fan_out(shape)[0])
    return _uniform(shape, bound, rng, dtype), _uniform((shape[0] if bias_size is None else bias_size,), bound,
                                                        rng, dtype)


def dense_init(in_features, out_features, rng=None, dtype=np.float64):
    """PyTorch's default ``nn.Linear`` initialization, drawn with NumPy: weight and bias ~ U(-k, k),
    k = 1/sqrt(in_features).

    Returns (weight (out_features, in_features), bias (out_features,)).
    """
    _check_positive(in_features=in_features, out_features=out_features)
    return _default_weight_and_bias((out_features, in_features), rng, dtype)


def conv_weight_shape(in_channels, out_channels, kernel_size, groups=1, transposed=False):
    """(out, in/groups, *kernel), or (in, out/groups, *kernel) for a transposed convolution, as torch lays
    them out; ``kernel_size`` an int (a square 2-D kernel) or a tuple (one entry per spatial axis)."""
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, (int, np.integer)) else tuple(kernel_size)
    _check_positive(in_channels=in_channels, out_channels=out_channels, groups=groups)
    for k in kernel:
        check_positive_int(k, "kernel_size")
    for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
        if n % groups:
            raise ValueError(f"{name} {n} must be divisible by groups={groups}")
    return ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)) + kernel


def conv_init(in_channels, out_channels, kernel_size, rng=None, dtype=np.float64, *, groups=1, transposed=False):
    """PyTorch's default ``nn.Conv1d/2d`` and ``nn.ConvTranspose2d`` initialization: weight and bias ~ U(-k, k),
    k = 1/sqrt(fan_in), fan_in = weight.shape[1] · prod(kernel): in_channels/groups · prod(kernel), or
    out_channels/groups · prod(kernel) when transposed.

    Returns (weight of :func:`conv_weight_shape`, bias (out_channels,)). ``kernel_size`` an int is square 2-D.
    """
    shape = conv_weight_shape(in_channels, out_channels, kernel_size, groups, transposed)
    return _default_weight_and_bias(shape, rng, dtype, out_channels)


def init_dense(in_features, out_features, init="default", rng=None, dtype=np.float64):
    """(weight (out, in), bias (out,)) for a dense layer under the scheme ``init`` (one of INIT_NAMES).

    "default" is PyTorch's ``nn.Linear`` default (:func:`dense_init`); the others draw the weight with
    that function's own defaults (Kaiming: gain sqrt(2), for ReLU) and set the bias to zero.
    """
    if init == "default":
        return dense_init(in_features, out_features, rng, dtype)
    if init not in INIT_NAMES:
        raise ValueError(f"unknown init {init!r}; choose one of {sorted(INIT_NAMES)}")
    _check_positive(in_features=in_features, out_features=out_features)
    draw = {"xavier_uniform": xavier_uniform, "xavier_normal": xavier_normal,
            "kaiming_uniform": kaiming_uniform, "kaiming_normal": kaiming_normal}[init]
    return draw((out_features, in_features), rng=rng, dtype=dtype), np.zeros(out_features, dtype=dtype)


def embedding_init(num_embeddings, embedding_dim, padding_idx=None, rng=None, dtype=np.float64):
    """torch.nn.Embedding's initialization: N(0, 1) entries, the padding row zero. Drawn from NumPy."""
    check_positive_int(num_embeddings, "num_embeddings")
    check_positive_int(embedding_dim, "embedding_dim")
    padding_idx = normalize_padding_idx(padding_idx, num_embeddings)
    draw = np.random.standard_normal if rng is None else rng.standard_normal
    weight = draw((num_embeddings, embedding_dim)).astype(dtype)
    if padding_idx is not None:
        weight[padding_idx] = 0
    return weight
