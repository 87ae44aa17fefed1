"""A linear probe in NumPy: softmax regression on frozen features (page "Transfer learning").

The features come from a pretrained network's body (computed once, by torch, in the page); what is learnt
here is only a linear map, so the probe runs where torch is absent (the page's panel). Loss, for features
F (N, D), labels y (N,), weight W (C, D) and bias b (C,):

    L(W, b) = mean_n CE(F_n W^T + b, y_n) + (l2 / 2) ||W||^2,
    dL/dW = G^T F + l2 W,   dL/db = sum_n G_n,   G = (softmax(F W^T + b) - onehot(y)) / N.

The bias is not penalized. :func:`fit_probe` minimizes it by full-batch gradient descent from zero weights
on features centred by their mean and divided by their overall standard deviation (one number, so that a
feature that happens to be constant over a few examples is not blown up).
"""

from dataclasses import dataclass, field

import numpy as np

from companion import metrics
from companion._validate import check_nonnegative_int
from companion.np.losses import cross_entropy, cross_entropy_grad


def few_shot_indices(y, k, seed=0):
    """Sorted indices of k examples of each class of the labels y (N,), drawn without replacement with ``seed``
    (classes in increasing order, one ``rng.choice`` each): n = k * classes indices."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k (labelled images per class) must be a positive int, got {k!r}")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(y).tolist():
        idx = np.flatnonzero(y == c)
        if k > len(idx):
            raise ValueError(f"k={k} is more than the {len(idx)} images of class {c} in the pool")
        picks.extend(rng.choice(idx, size=k, replace=False))
    return np.sort(np.array(picks, dtype=np.int64))


def _check_features(features, y):
    features, y = np.asarray(features, dtype=float), np.asarray(y)
    if features.ndim != 2:
        raise ValueError(f"features must be (N, D), got shape {features.shape}")
    if y.shape != (len(features),):
        raise ValueError(f"y must be (N,) = ({len(features)},) to match the features, got shape {y.shape}")
    if not np.isfinite(features).all():
        raise ValueError("features contain NaN or inf")
    return features, y


def probe_loss_grad(features, y, weight, bias, l2=0.0):
    """(L, dL/dW (C, D), dL/db (C,)) of the module's loss for features (N, D), labels y (N,), W (C, D), b (C,)."""
    features, y = _check_features(features, y)
    if weight.shape != (len(bias), features.shape[1]):
        raise ValueError(f"weight must be (C, D) = ({len(bias)}, {features.shape[1]}), got {weight.shape}")
    if not l2 >= 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    logits = features @ weight.T + bias
    grad = cross_entropy_grad(logits, y)                      # (N, C): (softmax - onehot) / N
    loss = cross_entropy(logits, y) + 0.5 * l2 * float((weight ** 2).sum())
    return loss, grad.T @ features + l2 * weight, grad.sum(0)


@dataclass
class Probe:
    """A fitted probe: logits = ((F - mean) / scale) W^T + b; ``losses`` the loss before each step."""

    weight: np.ndarray
    bias: np.ndarray
    mean: np.ndarray
    scale: float
    losses: list = field(default_factory=list)

    def logits(self, features):
        """(N, C) logits of features (N, D)."""
        return (np.asarray(features, dtype=float) - self.mean) / self.scale @ self.weight.T + self.bias

    def predict(self, features):
        """(N,) the arg-max class of each row of features (N, D)."""
        return self.logits(features).argmax(1)


def fit_probe(features, y, n_classes=None, steps=50, lr=0.5, l2=1e-3):
    """Softmax regression on features (N, D) with labels y (N,) in 0..n_classes-1: ``steps`` full-batch
    gradient-descent steps of size ``lr`` from W = 0, b = 0 on the standardized features. Returns a Probe."""
    features, y = _check_features(features, y)
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    check_nonnegative_int(steps, "steps")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    mean = features.mean(0)
    scale = float((features - mean).std()) or 1.0              # one number for every feature
    z = (features - mean) / scale
    weight, bias = np.zeros((n_classes, features.shape[1])), np.zeros(n_classes)
    losses = []
    for _ in range(steps):
        loss, d_weight, d_bias = probe_loss_grad(z, y, weight, bias, l2)
        losses.append(loss)
        weight, bias = weight - lr * d_weight, bias - lr * d_bias
    return Probe(weight, bias, mean, scale, losses)


def probe_run(features_pool, y_pool, features_test, y_test, k, seed=0, **fit_options):
    """(probe, test accuracy, confusion matrix (C, C)): a probe fitted to k examples per class of the pool
    (:func:`few_shot_indices` with ``seed``), scored on the test features. ``fit_options`` go to :func:`fit_probe`."""
    features_pool, y_pool = _check_features(features_pool, y_pool)
    features_test, y_test = _check_features(features_test, y_test)
    picks = few_shot_indices(y_pool, k, seed)
    classes = np.unique(y_pool)
    probe = fit_probe(features_pool[picks], y_pool[picks], n_classes=len(classes), **fit_options)
    predicted = probe.predict(features_test)
    return probe, metrics.accuracy(y_test, predicted), metrics.confusion_matrix(y_test, predicted, labels=classes)
