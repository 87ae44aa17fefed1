"""Loss functions and their gradients (chapters: Losses and optimizers; Recurrent neural networks).

Each loss returns a float for reduction 'mean' (the default) or 'sum', and the per-entry array for
'none'; ``<loss>_grad`` returns dL/d(first argument) with that argument's shape. Definitions, options
and edge cases match ``torch.nn.functional`` (``mse_loss``, ``binary_cross_entropy``, ``cross_entropy``).
"""

import numpy as np

from companion._losses import check_loss_weight, check_reduction, cross_entropy_kind
from companion._validate import check_finite, check_labels, check_probabilities, check_same_shape
from companion.np.activations import softmax

# PyTorch clamps log(p) at -100 in binary_cross_entropy, so p = 0 gives a large finite loss, not inf.
_LOG_FLOOR = -100.0
_BCE_EPSILON = 1e-12


def _pair(a, b, name_a, name_b):
    a, b = np.asarray(a), np.asarray(b)
    check_same_shape(a, b, name_a, name_b)
    check_finite(a, name_a)
    return a, b


def _reduce(values, reduction, weight_sum=None):
    """values as they are ('none'), their sum, or their mean (sum / weight_sum when weighted)."""
    if reduction == "none":
        return values
    total = values.sum()
    if reduction == "sum":
        return float(total)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty batch gives NaN, as in torch
        return float(total / (values.size if weight_sum is None else weight_sum))


def _reduce_grad(grad, reduction, weight_sum=None):
    """Scale per-entry derivatives by d(reduction)/d(entry): 1 for 'none' and 'sum', 1/n for 'mean'."""
    if reduction != "mean":
        return grad
    with np.errstate(invalid="ignore", divide="ignore"):  # a zero weight sum gives NaN, as in torch
        return grad / (grad.size if weight_sum is None else weight_sum)


def _weighted_args(pred, target, names, reduction, weight, same_shape):
    pred, target = _pair(pred, target, *names)
    check_reduction(reduction)
    check_loss_weight(weight, pred, same_shape=same_shape)
    weight = None if weight is None else np.asarray(weight)
    return pred, target, weight


def mse(pred, target, reduction="mean", weight=None):
    """Squared error (pred - target)^2 per entry, as ``F.mse_loss``.

    reduction: 'mean' (default; with ``weight`` of pred's shape, sum(w e^2) / sum(w)), 'sum', or 'none'
    (the per-entry array, times w). Returns a float, or an array for 'none'.
    """
    pred, target, weight = _weighted_args(pred, target, ("pred", "target"), reduction, weight, True)
    errors = (pred - target) ** 2
    if weight is None:
        return _reduce(errors, reduction)
    return _reduce(errors * weight, reduction, weight.sum())


def mse_grad(pred, target, reduction="mean", weight=None):
    """dL/dpred = 2 w (pred - target) / n, n the number of entries (sum(w) when weighted); n = 1 for 'sum'.

    For 'none', each entry's own derivative (the gradient of the per-entry losses' sum).
    """
    pred, target, weight = _weighted_args(pred, target, ("pred", "target"), reduction, weight, True)
    grad = 2 * (pred - target)
    if weight is None:
        return _reduce_grad(grad, reduction)
    return _reduce_grad(grad * weight, reduction, weight.sum())


def _bce_args(prob, target, reduction, weight):
    prob, target, weight = _weighted_args(prob, target, ("prob", "target"), reduction, weight, False)
    check_probabilities(prob, "prob")
    return prob, target, (1.0 if weight is None else np.broadcast_to(weight, prob.shape))


def binary_cross_entropy(prob, target, reduction="mean", weight=None):
    """-w (t log p + (1 - t) log(1 - p)) per entry, as ``F.binary_cross_entropy``.

    p in [0, 1], t in [0, 1]; ``weight`` broadcasts to p's shape. reduction: 'mean' (over entries, not
    weights), 'sum' or 'none'. log p and log(1 - p) are floored at -100 as in torch.
    """
    prob, target, weight = _bce_args(prob, target, reduction, weight)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(prob), _LOG_FLOOR)
        log_q = np.maximum(np.log1p(-prob), _LOG_FLOOR)
    return _reduce(-weight * (target * log_p + (1 - target) * log_q), reduction)


def binary_cross_entropy_grad(prob, target, reduction="mean", weight=None):
    """dL/dp = w (p - t) / (p (1 - p)) / n (n = 1 for 'sum' and 'none').

    As in PyTorch, p (1 - p) is floored at 1e-12: a sigmoid output that has saturated to exactly 0 or 1
    then gets a large finite gradient (or 0 when it is right) instead of inf or 0/0.
    """
    prob, target, weight = _bce_args(prob, target, reduction, weight)
    grad = weight * (prob - target) / np.maximum(prob * (1 - prob), _BCE_EPSILON)
    return _reduce_grad(grad, reduction)


def softmax_cross_entropy(logits, labels):
    """L = mean_n(-log softmax(z_n)[y_n]) for logits z (N, C) and integer labels y (N,).

    Computed as logsumexp(z) - z_y, which never takes the log of an underflowed probability.
    """
    logits, labels = np.asarray(logits), np.asarray(labels)
    check_labels(labels, logits)
    check_finite(logits, "logits")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def softmax_cross_entropy_grad(logits, labels):
    """dL/dz = (softmax(z) - onehot(y)) / N, shape (N, C)."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    check_labels(labels, logits)
    grad = softmax(logits)
    grad[np.arange(len(labels)), labels] -= 1
    return grad / len(labels)


def _log_softmax(z):
    """log softmax over the last axis, as logsumexp-shifted differences (no log of an underflow)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _cross_entropy_terms(input, target, weight, ignore_index, label_smoothing):
    """(z, A, denominator, kept): logits with the class axis last, per-sample class coefficients A, the mean's
    divisor, and which samples count (False where the target is ignore_index; None for probability targets).

    Every case of ``F.cross_entropy`` is loss_n = -sum_c A_nc log softmax(z_n)_c:
    class indices y: A_n = (1 - eps) w_y onehot(y) + (eps / C) w, zero where y = ignore_index, and the
    mean divides by sum of w_y over non-ignored samples (torch's weighted denominator, also for the
    smoothing term); probabilities t: A_n = w (t (1 - eps) + eps / C), and the mean divides by the number
    of samples. w = 1 without ``weight``.
    """
    input, target = np.asarray(input), np.asarray(target)
    kind = cross_entropy_kind(input, target, weight, ignore_index, "mean", label_smoothing)
    z = np.moveaxis(input, 1, -1) if input.ndim >= 2 else input  # (N, d1, ..., C) or (C,)
    n_classes = z.shape[-1]
    w = np.ones(n_classes, dtype=z.dtype) if weight is None else np.asarray(weight, dtype=z.dtype)
    eps = float(label_smoothing)
    if kind == "probs":
        t = np.moveaxis(target, 1, -1) if target.ndim >= 2 else target
        coeffs = w * (t * (1 - eps) + eps / n_classes)
        return z, coeffs, z.size // n_classes, None
    valid = target != ignore_index
    y = np.where(valid, target, 0)
    target_part = np.zeros_like(z)
    np.put_along_axis(target_part, y[..., None], np.asarray((1 - eps) * w[y])[..., None], axis=-1)
    coeffs = (target_part + eps / n_classes * w) * valid[..., None]
    return z, coeffs, (w[y] * valid).sum(), valid


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits against class indices or class probabilities, as ``F.cross_entropy``.

    Shapes: input (C,), (N, C) or (N, C, d1, ...) (e.g. (N, C, T) for a sequence); target class
    indices (), (N,) or (N, d1, ...), or probabilities of input's shape; weight (C,) per-class.
    Per sample: -sum_c A_c log softmax(z)_c (see :func:`_cross_entropy_terms` for A). reduction 'mean'
    (weighted mean for class indices), 'sum' or 'none' (shape of a class-index target). Returns a float,
    or an array for 'none'.
    """
    check_reduction(reduction)
    z, coeffs, denominator, _ = _cross_entropy_terms(input, target, weight, ignore_index, label_smoothing)
    losses = -(coeffs * _log_softmax(z)).sum(axis=-1)
    if reduction == "mean" and denominator == 0:  # torch's weighted mean of the target term is then 0 / 0
        return float("nan")
    return _reduce(losses, reduction, denominator)


def cross_entropy_grad(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """dL/dinput, input's shape: per sample (sum_c A_c) softmax(z) - A, divided by the mean's denominator.

    For 'none', the gradient of the per-sample losses' sum. As in torch, an ignored sample's gradient is
    exactly zero, and when the mean's denominator is zero (every sample ignored, or only samples whose class
    weight is 0 counted) the loss is NaN and so is every counted sample's gradient.
    """
    check_reduction(reduction)
    z, coeffs, denominator, kept = _cross_entropy_terms(input, target, weight, ignore_index, label_smoothing)
    grad = _reduce_grad(coeffs.sum(axis=-1, keepdims=True) * np.exp(_log_softmax(z)) - coeffs, reduction,
                        denominator)
    if reduction == "mean" and denominator == 0:
        grad = np.full_like(grad, np.nan)
    if kept is not None:
        grad = np.where(kept[..., None], grad, 0.0)
    return np.moveaxis(grad, -1, 1) if grad.ndim >= 2 else grad
