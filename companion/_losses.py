"""Argument checks for the losses, the embedding and sampling, shared by both backends.

Each check reads shapes, dtypes and (where it must) values, so that a NumPy array and a torch tensor
given the same bad input fail with the same message. Semantics follow ``torch.nn.functional``.
"""

import numpy as np

from companion._validate import check_choice, check_finite, check_real, shape_of, _to_numpy

REDUCTIONS = ("none", "mean", "sum")


def is_floating(x):
    """True for a floating-point array or tensor."""
    if hasattr(x, "is_floating_point"):
        return x.is_floating_point()
    return np.issubdtype(np.asarray(x).dtype, np.floating)


def is_integer(x):
    """True for an integer (not bool) array or tensor."""
    if hasattr(x, "is_floating_point"):
        return not x.is_floating_point() and not x.is_complex() and str(x.dtype) != "torch.bool"
    return np.issubdtype(np.asarray(x).dtype, np.integer)


def check_reduction(reduction):
    check_choice(reduction, "reduction", REDUCTIONS)


def check_loss_weight(weight, pred, *, same_shape):
    """``weight`` None, or (mse) exactly pred's shape, or (bce) broadcastable to it."""
    if weight is None:
        return
    check_finite(weight, "weight")
    want, got = shape_of(pred), shape_of(weight)
    if same_shape:
        if got != want:
            raise ValueError(f"weight must have the input's shape {want}, got {got}")
    elif np.broadcast_shapes(got, want) != want:
        raise ValueError(f"weight of shape {got} cannot be broadcast to the input's shape {want}")


def cross_entropy_kind(input, target, weight, ignore_index, reduction, label_smoothing):
    """Check ``F.cross_entropy``'s arguments; return "probs" or "indices" (the kind of target).

    input: (C,), (N, C) or (N, C, d1, ...) logits. target: class indices of input's shape without
    the class axis ((), (N,) or (N, d1, ...)), each in [0, C) or equal to ``ignore_index``; or class
    probabilities of input's own shape (floating point).
    """
    if len(shape_of(input)) == 0:
        raise ValueError("input must have a class axis: shape (C,), (N, C) or (N, C, d1, ...), got a scalar")
    if not is_floating(input):
        raise TypeError(f"input must be floating-point logits, got dtype {input.dtype}")
    check_finite(input, "input")
    check_reduction(reduction)
    check_real(label_smoothing, "label_smoothing")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing}")
    shape = shape_of(input)
    n_classes = shape[1] if len(shape) >= 2 else shape[0]
    if weight is not None and shape_of(weight) != (n_classes,):
        raise ValueError(f"weight must have one entry per class, shape ({n_classes},), got {shape_of(weight)}")
    if shape_of(target) == shape:
        if not is_floating(target):
            raise TypeError("a target of the input's shape holds class probabilities and must be floating-point, "
                            f"got dtype {target.dtype}")
        if ignore_index >= 0:  # as torch: a soft target has no single class to ignore (a negative one is unused)
            raise ValueError(f"ignore_index={ignore_index} applies only to class-index targets, not to "
                             "probability targets")
        return "probs"
    want = shape[:1] + shape[2:] if len(shape) >= 2 else ()
    if shape_of(target) != want:
        raise ValueError(f"target must hold class indices of shape {want} or probabilities of shape {shape} "
                         f"for input of shape {shape}, got shape {shape_of(target)}")
    if not is_integer(target):
        raise TypeError(f"class-index targets must be integers, got dtype {target.dtype}")
    values = _to_numpy(target)
    bad = values[(values != ignore_index) & ((values < 0) | (values >= n_classes))]
    if bad.size:
        raise ValueError(f"target class indices must lie in [0, {n_classes}) or equal ignore_index={ignore_index}, "
                         f"got {bad.ravel()[0]}")
    return "indices"


def check_embedding_args(indices, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq=False, sparse=False):
    """Check ``F.embedding``'s arguments; return padding_idx made non-negative (or None).

    indices: integers of any shape in [0, num_embeddings); weight (num_embeddings, embedding_dim).
    padding_idx may be negative, counted from the end as in torch.
    """
    if scale_grad_by_freq and sparse:  # torch only finds out in backward; say it at once
        raise ValueError("scale_grad_by_freq is not supported with sparse gradients (torch's embedding_backward)")
    if len(shape_of(weight)) != 2:
        raise ValueError(f"weight must be 2-D (num_embeddings, embedding_dim), got shape {shape_of(weight)}")
    if not is_integer(indices):
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}")
    num = shape_of(weight)[0]
    values = _to_numpy(indices)
    if values.size and (values.min() < 0 or values.max() >= num):
        raise ValueError(f"indices must lie in [0, {num}) (num_embeddings), got values from {values.min()} "
                         f"to {values.max()}")
    if max_norm is not None:
        check_real(max_norm, "max_norm")
        if max_norm <= 0:
            raise ValueError(f"max_norm must be positive, got {max_norm}")
        if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.integer, np.floating)) \
                or np.isnan(norm_type):
            raise ValueError(f"norm_type must be a real number (inf allowed), got {norm_type!r}")
    return normalize_padding_idx(padding_idx, num)


def normalize_padding_idx(padding_idx, num_embeddings):
    """padding_idx in [-num, num) made non-negative, as torch.nn.Embedding does; None stays None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise ValueError(f"padding_idx must be an integer or None, got {padding_idx!r}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must lie within num_embeddings: [-{num_embeddings}, {num_embeddings}), "
                         f"got {padding_idx}")
    return int(padding_idx) % num_embeddings


def check_sampling_args(logits, temperature, top_k):
    """logits (V,) or (N, V); temperature >= 0 (0 is greedy); top_k None or an int in [1, V]."""
    if len(shape_of(logits)) not in (1, 2) or shape_of(logits)[-1] == 0:
        raise ValueError(f"logits must be (V,) or (N, V) with V >= 1, got shape {shape_of(logits)}")
    check_finite(logits, "logits")
    check_real(temperature, "temperature")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 means greedy), got {temperature}")
    if top_k is not None:
        vocab = shape_of(logits)[-1]
        if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or not 1 <= top_k <= vocab:
            raise ValueError(f"top_k must be None or an integer in [1, {vocab}], got {top_k!r}")
