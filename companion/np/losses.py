"""Loss functions and their gradients (chapter: Losses and optimizers).

Each loss returns the mean over the batch as a float; ``<loss>_grad`` returns dL/d(first argument)
with that argument's shape. Definitions match ``torch.nn.functional`` with ``reduction='mean'``.
"""

import numpy as np

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


def mse(pred, target):
    """L = mean((pred - target)^2) over every entry; pred and target share any shape."""
    pred, target = _pair(pred, target, "pred", "target")
    return float(np.mean((pred - target) ** 2))


def mse_grad(pred, target):
    """dL/dpred = 2 (pred - target) / n, n the number of entries."""
    pred, target = _pair(pred, target, "pred", "target")
    return 2 * (pred - target) / pred.size


def binary_cross_entropy(prob, target):
    """L = -mean(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1], targets t in [0, 1]."""
    prob, target = _pair(prob, target, "prob", "target")
    check_probabilities(prob, "prob")
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(prob), _LOG_FLOOR)
        log_q = np.maximum(np.log1p(-prob), _LOG_FLOOR)
    return float(-np.mean(target * log_p + (1 - target) * log_q))


def binary_cross_entropy_grad(prob, target):
    """dL/dp = (p - t) / (p (1 - p)) / n.

    As in PyTorch, p (1 - p) is floored at 1e-12: a sigmoid output that has saturated to exactly 0 or 1
    then gets a large finite gradient (or 0 when it is right) instead of inf or 0/0.
    """
    prob, target = _pair(prob, target, "prob", "target")
    check_probabilities(prob, "prob")
    return (prob - target) / np.maximum(prob * (1 - prob), _BCE_EPSILON) / prob.size


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
