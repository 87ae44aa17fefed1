"""Loss functions in PyTorch (``torch.nn.functional``), with the NumPy twin's checks and arguments."""

import torch.nn.functional as F

from companion._losses import check_loss_weight, check_reduction, cross_entropy_kind
from companion._validate import check_finite, check_labels, check_probabilities, check_same_shape


def _checked(pred, target, names, reduction, weight, same_shape):
    check_same_shape(pred, target, *names)
    check_finite(pred, names[0])
    check_reduction(reduction)
    check_loss_weight(weight, pred, same_shape=same_shape)


def mse(pred, target, reduction="mean", weight=None):
    """(pred - target)^2 per entry; 'mean' (sum(w e^2) / sum(w) with ``weight``), 'sum' or 'none'."""
    _checked(pred, target, ("pred", "target"), reduction, weight, True)
    return F.mse_loss(pred, target, reduction=reduction, weight=weight)


def binary_cross_entropy(prob, target, reduction="mean", weight=None):
    """-w (t log p + (1 - t) log(1 - p)) per entry, probabilities p in [0, 1]; weight broadcasts to p."""
    _checked(prob, target, ("prob", "target"), reduction, weight, False)
    check_probabilities(prob, "prob")
    return F.binary_cross_entropy(prob, target, weight=weight, reduction=reduction)


def softmax_cross_entropy(logits, labels):
    """L = mean_n(-log softmax(z_n)[y_n]) for logits (N, C) and integer labels (N,)."""
    check_labels(labels, logits)
    check_finite(logits, "logits")
    return F.cross_entropy(logits, labels)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits (C,), (N, C) or (N, C, d1, ...) against class indices or probabilities.

    The arguments, shapes and reductions of ``F.cross_entropy`` (see the NumPy twin for the formula);
    integer targets of any integer dtype are taken as class indices.
    """
    if cross_entropy_kind(input, target, weight, ignore_index, reduction, label_smoothing) == "indices":
        target = target.long()
    return F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)
