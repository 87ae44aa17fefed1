"""Loss functions in PyTorch (``torch.nn.functional``, mean reduction), with the NumPy twin's checks."""

import torch.nn.functional as F

from companion._validate import check_finite, check_labels, check_probabilities, check_same_shape


def mse(pred, target):
    """L = mean((pred - target)^2)."""
    check_same_shape(pred, target, "pred", "target")
    check_finite(pred, "pred")
    return F.mse_loss(pred, target)


def binary_cross_entropy(prob, target):
    """L = -mean(t log p + (1 - t) log(1 - p)), probabilities p in [0, 1]."""
    check_same_shape(prob, target, "prob", "target")
    check_finite(prob, "prob")
    check_probabilities(prob, "prob")
    return F.binary_cross_entropy(prob, target)


def softmax_cross_entropy(logits, labels):
    """L = mean_n(-log softmax(z_n)[y_n]) for logits (N, C) and integer labels (N,)."""
    check_labels(labels, logits)
    check_finite(logits, "logits")
    return F.cross_entropy(logits, labels)
