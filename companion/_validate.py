"""Argument checks shared by both backends, so that bad input fails with the same clear message.

The checks look at shapes and values only; they work on NumPy arrays and torch tensors alike.
"""

import numpy as np


class NonFiniteError(ValueError):
    """An input holds NaN or infinity (training catches this to report divergence)."""


def shape_of(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def check_rank(x, name, ranks):
    """Raise ValueError unless ``x.ndim`` is one of ``ranks``."""
    if x.ndim not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        raise ValueError(f"{name} must be {want}, got shape {shape_of(x)} ({x.ndim}-D)")


def check_finite(x, name):
    """Raise ValueError if ``x`` holds NaN or infinity, saying how many entries do.

    Every layer calls this on every forward pass, so it first sums x: a NaN or an infinity in x makes the
    sum NaN or infinite, so a finite sum proves x finite at the cost of one reduction (torch's isfinite is
    several element-wise passes). Only a non-finite sum, from a bad entry or from finite values whose sum
    overflows, pays for the exact count.

    Under torch.export, torch.compile or the ONNX exporter (``torch.compiler.is_compiling()``) the check is
    skipped: it branches on a value, which a traced graph cannot hold; the exported graph's caller checks
    its inputs instead (see :mod:`companion.deploy.export`).
    """
    if hasattr(x, "detach"):  # a torch tensor: count on its own device, move one number
        import torch

        if torch.compiler.is_compiling():
            return
        x = x.detach()
        if (x.is_floating_point() or x.is_complex()) and bool(torch.isfinite(x.sum())):
            return
        bad = int((~torch.isfinite(x)).sum())
    else:
        x = np.asarray(x)
        if x.dtype.kind in "fc":
            with np.errstate(over="ignore", invalid="ignore"):  # inf - inf in the sum is the signal, not a warning
                if np.isfinite(x.sum()):
                    return
        bad = int((~np.isfinite(x)).sum())
    if bad:
        raise NonFiniteError(f"{name} has {bad} non-finite value(s) (NaN or inf); shape {shape_of(x)}")


def check_param_shapes(params, want, context="", optional=False):
    """Each parameter named in ``want`` (name -> shape) is in ``params`` with that shape.

    ``context`` (e.g. " (embed_dim 8, kdim 8, vdim 8)") follows the wanted shape in the message, saying
    where it comes from; ``optional=True`` passes over the names that are missing or None.
    """
    for name, shape in want.items():
        if params.get(name) is None:
            if optional:
                continue
            raise ValueError(f"params needs {name!r} with shape {shape}")
        if shape_of(params[name]) != shape:
            raise ValueError(f"{name} must have shape {shape}{context}, got {shape_of(params[name])}")


def check_same_shape(a, b, name_a, name_b):
    if shape_of(a) != shape_of(b):
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {shape_of(a)} and {shape_of(b)}")


def check_dense_shapes(x, weight, bias):
    """Shapes for y = x W^T + b: x (..., in) with any leading dimensions, weight (out, in), bias (out,) or None."""
    if x.ndim < 1:
        raise ValueError(f"x must be at least 1-D, (..., in_features), got shape {shape_of(x)}")
    check_rank(weight, "weight", (2,))
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x has {x.shape[-1]} features (shape {shape_of(x)}) but weight expects {weight.shape[1]} "
            f"(weight shape {shape_of(weight)} is (out_features, in_features))"
        )
    if bias is not None and shape_of(bias) != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},) to match weight {shape_of(weight)}, got {shape_of(bias)}")


def check_labels(labels, logits):
    """Integer class labels (N,) in [0, C) for logits (N, C)."""
    check_rank(logits, "logits", (2,))
    check_rank(labels, "labels", (1,))
    if labels.shape[0] != logits.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries but logits has {logits.shape[0]} rows")
    values = _to_numpy(labels)
    if not np.issubdtype(values.dtype, np.integer):
        raise TypeError(f"labels must be integer class indices, got dtype {values.dtype}")
    n_classes = logits.shape[1]
    if values.size and (values.min() < 0 or values.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got values from {values.min()} to {values.max()}")


def check_probabilities(p, name):
    values = _to_numpy(p)
    if values.size and (values.min() < 0 or values.max() > 1):
        raise ValueError(f"{name} must lie in [0, 1], got values from {values.min()} to {values.max()}")


def check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {sorted(choices)}")


def check_real(value, name):
    """Raise ValueError unless ``value`` is a finite real number (not a bool, array or string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")


def _to_numpy(x):
    if hasattr(x, "detach"):  # a torch tensor, possibly on a GPU
        return x.detach().cpu().numpy()
    return np.asarray(x)


ACTIVATION_NAMES = ("relu", "sigmoid", "tanh", "linear", "softmax", "leaky_relu", "gelu", "gelu_tanh",
                    "silu")


def check_mlp_plan(sizes, activations):
    """sizes = [n_in, n_1, …, n_out] and one activation name per layer."""
    if len(sizes) < 2:
        raise ValueError(f"sizes needs an input and an output size, got {list(sizes)}")
    if len(activations) != len(sizes) - 1:
        raise ValueError(f"{len(sizes) - 1} layers need {len(sizes) - 1} activations, got {len(activations)}: "
                         f"{list(activations)}")
    for name in activations:
        check_choice(name, "activation", ACTIVATION_NAMES)


def sizes_from_params(params):
    """[n_in, n_1, …] from [(weight (n_1, n_in), bias), …]; [] for no layers. Checks that they chain."""
    if not len(params):
        return []
    for i in range(1, len(params)):
        given, wanted = shape_of(params[i - 1][0])[0], shape_of(params[i][0])[-1]
        if given != wanted:
            raise ValueError(f"layer {i + 1}'s weight {shape_of(params[i][0])} expects {wanted} inputs, "
                             f"but layer {i} gives {given} outputs")
    return [shape_of(params[0][0])[-1]] + [shape_of(weight)[0] for weight, _ in params]


def out_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def _check_step(stride, padding):
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be a non-negative integer, got {padding!r}")


def _conv_tuple(value, name, dims):
    """An int or a sequence of ``dims`` ints (torch's convolutions take either) as a tuple of ``dims``."""
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            raise ValueError(f"{name} must be an int or {dims} int(s), one per spatial axis, got {value!r}")
        return tuple(value)
    return (value,) * dims


def _conv_steps(stride, dilation, groups, dims):
    """stride and dilation as ``dims``-tuples of positive ints; groups a positive int."""
    check_positive_int(groups, "groups")
    stride, dilation = _conv_tuple(stride, "stride", dims), _conv_tuple(dilation, "dilation", dims)
    for s in stride:
        check_positive_int(s, "stride")
    for d in dilation:
        check_positive_int(d, "dilation")
    return stride, dilation


def _conv_pads(padding, kernel, stride, dilation, dims, strings=True):
    """((before, after), …) per spatial axis from an int, a tuple or (for convolutions) "valid" / "same".

    "same" pads d (k - 1) per axis in total, the odd one after (bottom/right), as torch does.
    """
    if isinstance(padding, str) and strings:
        check_choice(padding, "padding", ("same", "valid"))
        if padding == "valid":
            return ((0, 0),) * dims
        if any(s != 1 for s in stride):
            raise ValueError(f"padding='same' is not supported for strided convolutions (stride {stride}); "
                             "pass an integer padding instead")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int or {dims} int(s) here (no 'same' or 'valid'), got {padding!r}")
    pads = _conv_tuple(padding, "padding", dims)
    for p in pads:
        check_nonnegative_int(p, "padding")
    return tuple((p, p) for p in pads)


def conv_out_size(size, kernel, stride, pads, dilation):
    """floor((size + before + after - d (k - 1) - 1) / s) + 1: a convolution's output size along one axis."""
    return (size + pads[0] + pads[1] - dilation * (kernel - 1) - 1) // stride + 1


_AXES = {1: ("length",), 2: ("height", "width")}


def _check_conv_ranks(x_shape, weight_shape, dims):
    for name, shape, ranks in (("x", x_shape, (dims + 1, dims + 2)), ("weight", weight_shape, (dims + 2,))):
        if len(shape) not in ranks:
            want = " or ".join(f"{r}-D" for r in ranks)
            raise ValueError(f"{name} must be {want} for a {dims}-D convolution, got shape {tuple(shape)} "
                             f"({len(shape)}-D)")


def _check_conv_channels(x_shape, weight_shape, bias_shape, groups, transposed):
    """x's channels against weight (F, C/groups, *K), or (C, F/groups, *K) when transposed; bias (F,)."""
    c, layout = x_shape[-len(weight_shape) + 1], "(in_channels, out_channels/groups, *kernel)" if transposed \
        else "(out_channels, in_channels/groups, *kernel)"
    w_in, f = (weight_shape[0], weight_shape[1] * groups) if transposed else (weight_shape[1] * groups,
                                                                             weight_shape[0])
    if weight_shape[0] == 0 or weight_shape[0] % groups:
        raise ValueError(f"weight's first dimension {weight_shape[0]} (weight shape {tuple(weight_shape)}, "
                         f"{layout}) must be a positive multiple of groups={groups}")
    if c % groups:
        raise ValueError(f"x's {c} channels (shape {tuple(x_shape)}) are not divisible by groups={groups}")
    if c != w_in:
        raise ValueError(f"x has {c} channels (shape {tuple(x_shape)}) but weight expects {w_in} "
                         f"(weight shape {tuple(weight_shape)} is {layout}, groups={groups})")
    if bias_shape is not None and tuple(bias_shape) != (f,):
        raise ValueError(f"bias must have shape ({f},) to match weight {tuple(weight_shape)}, got {tuple(bias_shape)}")


def conv_geometry(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, dims=2):
    """Check a ``dims``-D convolution's arguments as torch does; return (stride, pads, dilation) as tuples.

    x (N, C, *spatial) or (C, *spatial); weight (F, C/groups, *kernel); bias (F,) or None. ``x``,
    ``weight`` and ``bias`` may be arrays, tensors or plain shapes. pads holds (before, after) per axis.
    The dilated kernel d (k - 1) + 1 must fit the padded input.
    """
    x_shape, w_shape = _shape_arg(x), _shape_arg(weight)
    _check_conv_ranks(x_shape, w_shape, dims)
    stride, dilation = _conv_steps(stride, dilation, groups, dims)
    kernel = w_shape[2:]
    pads = _conv_pads(padding, kernel, stride, dilation, dims)
    _check_conv_channels(x_shape, w_shape, None if bias is None else _shape_arg(bias), groups, False)
    for axis, size, k, p, d in zip(_AXES[dims], x_shape[-dims:], kernel, pads, dilation):
        if size == 0:
            raise ValueError(f"x's {axis} is 0 (shape {tuple(x_shape)}); only the batch may be empty")
        if size + sum(p) < d * (k - 1) + 1:
            taps = f" ({k} taps at dilation {d})" if d > 1 else ""
            raise ValueError(f"the kernel's {axis} {d * (k - 1) + 1}{taps} exceeds the padded image's "
                             f"{size + sum(p)} (image {tuple(x_shape)}, padding {padding!r})")
    return stride, pads, dilation


def _output_padding(output_padding, stride, dilation):
    """output_padding as a tuple like stride's: non-negative and below the stride or the dilation, per axis."""
    extra = _conv_tuple(output_padding, "output_padding", len(stride))
    for e, s, d in zip(extra, stride, dilation):
        check_nonnegative_int(e, "output_padding")
        if e >= s and e >= d:
            raise ValueError(f"output_padding must be smaller than either stride or dilation, got "
                             f"output_padding {extra}, stride {stride}, dilation {dilation}")
    return extra


def conv_transpose_geometry(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                            dims=2):
    """Check a transposed convolution's arguments as torch does; return (stride, pads, dilation, out_size).

    x (N, C, *spatial) or (C, *spatial); weight (C, F/groups, *kernel); bias (F,) or None; padding ints
    only; output_padding < stride or < dilation per axis. out_size per axis is
    (size - 1) s - 2 p + d (k - 1) + output_padding + 1, which must be positive.
    """
    x_shape, w_shape = _shape_arg(x), _shape_arg(weight)
    _check_conv_ranks(x_shape, w_shape, dims)
    stride, dilation = _conv_steps(stride, dilation, groups, dims)
    pads = _conv_pads(padding, w_shape[2:], stride, dilation, dims, strings=False)
    extra = _output_padding(output_padding, stride, dilation)
    _check_conv_channels(x_shape, w_shape, None if bias is None else _shape_arg(bias), groups, True)
    out = tuple((n - 1) * s - 2 * p[0] + d * (k - 1) + e + 1
                for n, s, p, d, k, e in zip(x_shape[-dims:], stride, pads, dilation, w_shape[2:], extra))
    if min(out) < 1 or 0 in x_shape[-dims:]:
        raise ValueError(f"the output size {out} is too small: input {tuple(x_shape)}, weight {tuple(w_shape)}, "
                         f"stride {stride}, padding {padding!r}, dilation {dilation}, output_padding {extra}")
    return stride, pads, dilation, out


def _shape_arg(a):
    """A plain tuple is taken as a shape already; anything else gives its own."""
    return a if type(a) is tuple else shape_of(a)

def check_conv_options(kernel, stride=1, padding=0, dilation=1, groups=1, transposed=False, output_padding=0):
    """A convolution layer's stride, padding, dilation (and output_padding) for a kernel of shape ``kernel``
    (one entry per spatial axis), checked when the layer is built, as torch.nn.Conv2d / ConvTranspose2d do."""
    stride, dilation = _conv_steps(stride, dilation, groups, len(kernel))
    _conv_pads(padding, kernel, stride, dilation, len(kernel), strings=not transposed)
    _output_padding(output_padding, stride, dilation)


def conv_repr(layer):
    """A convolution layer's arguments as torch prints them (both backends' layers): "1, 4, kernel_size=3,
    stride=1, padding=1", then output_padding, dilation, groups and bias=False where not the default."""
    extras = [f"{k}={getattr(layer, k)!r}" for k, default in (("output_padding", 0), ("dilation", 1), ("groups", 1))
              if getattr(layer, k, default) != default] + ([] if layer.bias is not None else ["bias=False"])
    return ", ".join([f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size!r}",
                      f"stride={layer.stride!r}", f"padding={layer.padding!r}"] + extras)


def _pool_pair(value, name, fn):
    """An int or a sequence of one or two ints as an (h, w) pair, as torch's pooling reads them."""
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    if len(values) not in (1, 2) or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{fn}: {name} must be an int or a tuple of one or two ints, got {value!r}")
    return (int(values[0]), int(values[-1]))


def pool_output_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """torch's pooling_output_shape along one axis: floor (or ceil) of (size + 2p - d (k - 1) - 1) / s, plus 1.

    Under ceil_mode the last window must still start inside the image or its left padding.
    """
    out = (size + 2 * padding - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def pool_geometry(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, fn="max_pool2d"):
    """Check a 2-D pooling's arguments as torch does; return (kernel, stride, padding, dilation, out), (h, w) each.

    x (N, C, H, W) or (C, H, W), only N may be 0; stride None (or empty) means the kernel; padding at most
    half the kernel on each axis; at least one output per axis.
    """
    check_rank(x, "x", (3, 4))
    if 0 in shape_of(x)[-3:]:
        raise ValueError(f"{fn}: x must have non-zero channels, height and width, got shape {shape_of(x)}")
    k = _pool_pair(kernel_size, "kernel_size", fn)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _pool_pair(stride, "stride", fn)
    p, d = _pool_pair(padding, "padding", fn), _pool_pair(dilation, "dilation", fn)
    for pair, name, low in ((k, "kernel_size", 1), (s, "stride", 1), (p, "padding", 0), (d, "dilation", 1)):
        if min(pair) < low:
            raise ValueError(f"{fn}: {name} must be {'positive' if low else 'non-negative'}, got {pair}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{fn}: padding {p} must be at most half the kernel size {k} on each axis")
    out = tuple(pool_output_size(*a, ceil_mode) for a in zip(shape_of(x)[-2:], k, s, p, d))
    for axis, name in enumerate(("height", "width")):
        if out[axis] < 1:
            span, padded = d[axis] * (k[axis] - 1) + 1, shape_of(x)[-2 + axis] + 2 * p[axis]
            slack = f" by more than ceil_mode's stride - 1 = {s[axis] - 1}" if ceil_mode else ""
            raise ValueError(f"{fn}: the pooling window's {name} {span} (kernel {k}, dilation {d}) exceeds the "
                             f"padded image's {padded}{slack} (image {shape_of(x)}, padding {p})")
        taps = np.arange(out[axis])[:, None] * s[axis] - p[axis] + np.arange(k[axis]) * d[axis]
        blind = np.flatnonzero(~((taps >= 0) & (taps < shape_of(x)[-2 + axis])).any(axis=1))
        if blind.size:  # only with dilation: torch returns -inf there, and its backward writes out of bounds
            raise ValueError(f"{fn}: window {blind[0]} along the {name} reads only padding (image {shape_of(x)}, "
                             f"kernel {k}, stride {s}, padding {p}, dilation {d}); see pytorch/pytorch#114216")
    return k, s, p, d, out


def check_divisor_override(divisor_override):
    """avg_pool2d's divisor_override: None or a non-zero integer (torch: "divisor must be not zero")."""
    if divisor_override is not None and (isinstance(divisor_override, bool) or divisor_override == 0
                                         or not isinstance(divisor_override, (int, np.integer))):
        raise ValueError(f"avg_pool2d: divisor_override must be None or a non-zero integer, got {divisor_override!r}")


def unpool_geometry(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Check max_unpool2d's arguments as torch does; return the output's (OH, OW).

    x and indices (N, C, H, W) or (C, H, W) of the same shape, indices integers into each OH*OW plane;
    OH defaults to (H - 1) s - 2 p + k, and an output_size ((OH, OW) or (N, C, OH, OW)) must lie strictly
    within a stride of that default.
    """
    fn = "max_unpool2d"
    check_rank(x, "x", (3, 4))
    if 0 in shape_of(x)[-3:]:
        raise ValueError(f"{fn}: x must have non-zero channels, height and width, got shape {shape_of(x)}")
    if shape_of(indices) != shape_of(x):
        raise ValueError(f"{fn}: indices must have x's shape {shape_of(x)}, got {shape_of(indices)}")
    if "int" not in str(indices.dtype):
        raise ValueError(f"{fn}: indices must be integers, got dtype {indices.dtype}")
    k = _pool_pair(kernel_size, "kernel_size", fn)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _pool_pair(stride, "stride", fn)
    p = _pool_pair(padding, "padding", fn)
    for pair, name, low in ((k, "kernel_size", 1), (s, "stride", 1), (p, "padding", 0)):
        if min(pair) < low:
            raise ValueError(f"{fn}: {name} must be {'positive' if low else 'non-negative'}, got {pair}")
    default = tuple((n - 1) * ss - 2 * pp + kk for n, kk, ss, pp in zip(shape_of(x)[-2:], k, s, p))
    out = default if output_size is None else _unpool_size(output_size, default, s)
    if min(out) < 1:
        raise ValueError(f"{fn}: the output size {out} must be positive (input {shape_of(x)}, kernel {k}, "
                         f"stride {s}, padding {p})")
    if int(np.prod(shape_of(x))):
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= out[0] * out[1]:
            raise ValueError(f"{fn}: indices must lie in [0, {out[0] * out[1]}) for a {out[0]}x{out[1]} output, "
                             f"got values from {low} to {high}")
    return out


def _unpool_size(output_size, default, stride):
    """An explicit max_unpool2d output size: its last two entries, each within a stride of the default."""
    size = list(output_size) if isinstance(output_size, (tuple, list, np.ndarray)) else None
    if size is None or len(size) not in (2, 4) or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                                      for v in size):
        raise ValueError(f"max_unpool2d: output_size must be (OH, OW) or (N, C, OH, OW), got {output_size!r}")
    size = tuple(int(v) for v in size[-2:])
    for axis, (n, d, s) in enumerate(zip(size, default, stride)):
        if not d - s < n < d + s:
            raise ValueError(f"max_unpool2d: invalid output_size {size}: dim {axis} must lie strictly between "
                             f"{d - s} and {d + s}")
    return size


def adaptive_output_size(x, output_size):
    """x (N, C, H, W) or (C, H, W) and an int or (oh, ow) pair (None keeps that input size) -> (oh, ow)."""
    check_rank(x, "x", (3, 4))
    if any(size == 0 for size in shape_of(x)[-3:]):
        raise ValueError(f"x must have non-zero channels, height and width, got shape {shape_of(x)}")
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise ValueError(f"output_size must be an int or an (oh, ow) pair, got {output_size!r}")
    pair = tuple(x.shape[-2 + i] if size is None else size for i, size in enumerate(output_size))
    for size in pair:
        check_positive_int(size, "each output_size entry")
    return pair


def check_positive_int(value, name):
    """Raise ValueError unless ``value`` is an integer >= 1 (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_nonnegative_int(value, name):
    """Raise ValueError unless ``value`` is an integer >= 0 (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def check_linear_factors(start_factor, end_factor, total_iters):
    """LinearLR's arguments, checked as torch checks them: start in (0, 1], end in [0, 1]."""
    if not 0 < start_factor <= 1:
        raise ValueError(f"start_factor must lie in (0, 1], got {start_factor!r}")
    if not 0 <= end_factor <= 1:
        raise ValueError(f"end_factor must lie in [0, 1], got {end_factor!r}")
    check_positive_int(total_iters, "total_iters")


def check_milestones(milestones, n_schedules):
    """Milestones for chaining schedules: one fewer than the schedules, positive and increasing."""
    if n_schedules < 1:
        raise ValueError("SequentialLR needs at least one schedule")
    if len(milestones) != n_schedules - 1:
        raise ValueError(f"{n_schedules} schedules need {n_schedules - 1} milestone(s), got {len(milestones)}: "
                         f"{list(milestones)}")
    for m in milestones:
        check_positive_int(m, "each milestone")
    if list(milestones) != sorted(set(milestones)):
        raise ValueError(f"milestones must increase, got {list(milestones)}")


def check_clip_args(max_norm, norm_type):
    """Gradient clipping's arguments: max_norm >= 0; norm_type a number or 'inf'. Returns norm_type as a float."""
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)) \
            or not max_norm >= 0:
        raise ValueError(f"max_norm must be a non-negative number, got {max_norm!r}")
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(f"norm_type must be a number or 'inf', got {norm_type!r}") from None
    if p != p:
        raise ValueError("norm_type must be a number or 'inf', got nan")
    return p


def nonfinite_norm_message(total_norm, norm_type):
    return (f"the total {norm_type:g}-norm of the gradients is {float(total_norm)}, so it cannot be clipped; "
            "pass error_if_nonfinite=False to scale the gradients by it anyway")


def check_threshold(threshold):
    """A soft-threshold (shrinkage) amount: a real number >= 0, as torch's softshrink requires."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
        raise ValueError(f"the threshold must be a number, got {threshold!r}")
    if not threshold >= 0:  # also catches NaN
        raise ValueError(f"the threshold must be non-negative, got {threshold}")


def check_eps(eps):
    """A normalization's eps: a real number > 0 (it keeps 1 / sqrt(var + eps) finite)."""
    check_real(eps, "eps")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")


def check_batchnorm2d_input(x, num_features):
    """x (N, C, H, W) with C == num_features."""
    check_rank(x, "x", (4,))
    if x.shape[1] != num_features:
        raise ValueError(f"x has {x.shape[1]} channels (shape {shape_of(x)}) but the batch norm expects "
                         f"{num_features}")


def check_values_per_channel(x, training):
    """Training-mode batch statistics need more than one value per channel, as torch requires."""
    if training and x.shape[0] * int(np.prod(x.shape[2:])) < 2:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {shape_of(x)}")


def normalized_shape_tuple(normalized_shape):
    """An int or a sequence of positive ints as a tuple (torch's LayerNorm takes either)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if not shape:
        raise ValueError("normalized_shape must name at least one dimension")
    for size in shape:
        check_positive_int(size, "each normalized_shape entry")
    return shape


def check_normalized_shape(x, normalized_shape):
    """x (..., *normalized_shape): the trailing dims of x must equal normalized_shape."""
    k = len(normalized_shape)
    if x.ndim < k or shape_of(x)[x.ndim - k:] != tuple(normalized_shape):
        raise ValueError(f"normalized_shape {tuple(normalized_shape)} must match the trailing dimensions of x, "
                         f"got shape {shape_of(x)}")
