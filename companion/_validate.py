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
    """Raise ValueError if ``x`` holds NaN or infinity, saying how many entries do."""
    if hasattr(x, "detach"):  # a torch tensor: count on its own device, move one number
        import torch

        bad = int((~torch.isfinite(x.detach())).sum())
    else:
        bad = int((~np.isfinite(np.asarray(x))).sum())
    if bad:
        raise NonFiniteError(f"{name} has {bad} non-finite value(s) (NaN or inf); shape {shape_of(x)}")


def check_same_shape(a, b, name_a, name_b):
    if shape_of(a) != shape_of(b):
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {shape_of(a)} and {shape_of(b)}")


def check_dense_shapes(x, weight, bias):
    """Shapes for y = x W^T + b: x (N, in) or (in,), weight (out, in), bias (out,) or None."""
    check_rank(x, "x", (1, 2))
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


def check_conv_shapes(x, weight, bias, stride, padding):
    """x (N, C, H, W), weight (F, C, KH, KW), bias (F,) or None; the kernel must fit the padded image."""
    check_rank(x, "x", (4,))
    check_rank(weight, "weight", (4,))
    _check_step(stride, padding)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels (shape {shape_of(x)}) but weight expects {weight.shape[1]} "
                         f"(weight shape {shape_of(weight)} is (out_channels, in_channels, KH, KW))")
    if bias is not None and shape_of(bias) != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},) to match weight {shape_of(weight)}, got {shape_of(bias)}")
    for axis, name in ((2, "height"), (3, "width")):
        if x.shape[axis] + 2 * padding < weight.shape[axis]:
            raise ValueError(f"the kernel's {name} {weight.shape[axis]} exceeds the padded image's "
                             f"{x.shape[axis] + 2 * padding} (image {shape_of(x)}, padding {padding})")


def check_pool_args(x, kernel_size, stride, padding):
    check_rank(x, "x", (4,))
    _check_step(stride, padding)
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, (int, np.integer)) or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive integer, got {kernel_size!r}")
    if padding > kernel_size // 2:
        raise ValueError(f"padding {padding} must be at most half the kernel size {kernel_size}")
    if min(x.shape[2], x.shape[3]) + 2 * padding < kernel_size:
        raise ValueError(f"the pooling window {kernel_size} exceeds the padded image (shape {shape_of(x)})")


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
