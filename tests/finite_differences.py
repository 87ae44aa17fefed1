"""Centred finite differences shared by the gradient tests (float64 only: float32 rounding swamps them)."""

import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """d f / d x by centred differences, one entry of ``x`` at a time, changed in place and restored.

    ``f`` takes no arguments and returns a float computed from the current ``x``.
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        plus = f()
        x[index] = old - h
        minus = f()
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


def entrywise_rel_error(a, b):
    """max over entries of |a - b| / max(1e-8, |a| + |b|): stricter than a whole-gradient norm."""
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))
