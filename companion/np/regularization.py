"""Regularization (chapter: Overfitting and regularization): inverted dropout, L1 and L2 penalties."""

import numpy as np

from companion._validate import check_threshold


def _check_rate(p):
    if not 0 <= p < 1:
        raise ValueError(f"the dropout rate must lie in [0, 1), got {p}")


def dropout_forward(x, p, training=True, rng=None, mask=None):
    """Inverted dropout: zero each entry with probability p and scale the survivors by 1/(1 - p).

    The expected output equals x, so evaluation needs no rescaling: with ``training=False`` it is the
    identity. ``mask`` (0/1, x's shape) fixes which entries survive. Returns (out, cache).
    """
    _check_rate(p)
    x = np.asarray(x)
    if not training or p == 0:
        return x, None
    if mask is None:
        mask = (rng.random(x.shape) if rng is not None else np.random.random(x.shape)) >= p
    scaled = np.asarray(mask, dtype=x.dtype) / (1 - p)
    return x * scaled, scaled


def dropout_backward(dout, cache):
    """dL/dx = dL/dout * mask / (1 - p): the gradient flows only through the entries that survived."""
    return dout if cache is None else dout * cache


class Dropout:
    """A dropout layer for :class:`companion.np.Sequential`; ``training`` switches it on and off."""

    def __init__(self, p=0.5, rng=None):
        _check_rate(p)
        self.p, self.rng, self.training, self._cache = p, rng, True, None

    def forward(self, x):
        out, self._cache = dropout_forward(x, self.p, self.training, self.rng)
        return out

    __call__ = forward

    def backward(self, dout):
        return dropout_backward(dout, self._cache)

    def parameters(self):
        return {}

    def __repr__(self):
        return f"Dropout(p={self.p})"


def penalty(weights, kind, rate):
    """The regularization term added to the loss: rate * sum|w| (L1) or rate/2 * sum w^2 (L2)."""
    if kind == "l1":
        return rate * sum(np.abs(w).sum() for w in weights)
    if kind == "l2":
        return rate / 2 * sum((w * w).sum() for w in weights)
    raise ValueError(f"unknown regularization {kind!r}; choose 'l1' or 'l2'")


def penalty_grad(weight, kind, rate):
    """d penalty / d weight: rate * sign(w) (L1) or rate * w (L2)."""
    if kind == "l1":
        return rate * np.sign(weight)
    if kind == "l2":
        return rate * weight
    raise ValueError(f"unknown regularization {kind!r}; choose 'l1' or 'l2'")


def soft_threshold(w, threshold=0.5):
    """The proximal operator of threshold * ||w||_1: sign(w) * max(|w| - threshold, 0), elementwise.

    Every entry within ``threshold`` of zero becomes exactly 0; the others move ``threshold`` toward
    zero. A gradient step on the loss followed by this with threshold = lr * rate is one step of
    proximal gradient descent on loss + rate * ||w||_1 (ISTA). Same as
    ``torch.nn.functional.softshrink(w, lambd=threshold)``, whose default 0.5 it keeps.

    Shape: w any shape; the output has w's shape and (floating) dtype.
    """
    check_threshold(threshold)
    w = np.asarray(w)
    w = w if np.issubdtype(w.dtype, np.floating) else w.astype(float)
    inside = np.where(np.isnan(w), w, np.copysign(np.zeros_like(w), w))  # NaN stays NaN, 0 keeps w's sign
    return np.where(np.abs(w) > threshold, w - threshold * np.sign(w), inside)


def soft_threshold_backward(dout, w, threshold=0.5):
    """d soft_threshold / dw applied to dout: dout where |w| > threshold, else 0 (softshrink's rule at the kink)."""
    check_threshold(threshold)
    w = np.asarray(w)
    return np.where(np.abs(w) > threshold, dout, np.zeros_like(dout))
