"""Hebbian learning (chapter: History): use strengthens a connection (Hebb 1949; "cells that fire
together wire together" is a later paraphrase, not Hebb's wording).

Hebb's rule strengthens a weight in proportion to the product of the activities it connects,
dw = lr * y * x with y = w . x. Nothing limits that growth: every step adds exactly
2 lr y^2 + lr^2 y^2 |x|^2 to |w|^2. Oja's rule subtracts a decay, dw = lr * y * (x - y w), which keeps
|w| near 1 and, for centred inputs, turns w toward their first principal axis (the top eigenvector of
the covariance matrix).
"""

import numpy as np

from companion._rules import get_rule, hebb_update, oja_update  # noqa: F401  (public here)


def run_rule(rule, w, X, lr=0.01, epochs=1):
    """Apply ``rule`` ("hebb" or "oja") over the rows of X for ``epochs`` passes; returns the weights
    after every step, shape (epochs * N + 1, d)."""
    update = get_rule(rule)
    history = [np.array(w, dtype=float)]
    for _ in range(epochs):
        for x in np.asarray(X, dtype=float):
            history.append(update(history[-1], x, lr))
    return np.array(history)


def associative_store(keys, values):
    """A linear associative memory built by Hebb's rule in one shot: W = sum_i value_i key_i^T.

    keys (P, d_in), values (P, d_out); returns W (d_out, d_in). Recall is W @ key; it is exact when
    the keys are orthonormal, and the other memories leak in (crosstalk) when they are not.
    """
    keys, values = np.asarray(keys, dtype=float), np.asarray(values, dtype=float)
    if len(keys) != len(values):
        raise ValueError(f"{len(keys)} keys but {len(values)} values")
    return values.T @ keys


def associative_recall(W, key):
    return W @ np.asarray(key, dtype=float)
