"""Hebbian learning in PyTorch tensors: the NumPy twin's rules and names."""

import torch

from companion._rules import get_rule, hebb_update, oja_update  # noqa: F401  (public here)


def run_rule(rule, w, X, lr=0.01, epochs=1):
    """Weights after every step of ``rule`` ("hebb" or "oja") over the rows of X; (epochs * N + 1, d)."""
    update = get_rule(rule)
    history = [w.clone()]
    for _ in range(epochs):
        for x in X:
            history.append(update(history[-1], x, lr))
    return torch.stack(history)


def associative_store(keys, values):
    """W = sum_i value_i key_i^T, from keys (P, d_in) and values (P, d_out)."""
    if len(keys) != len(values):
        raise ValueError(f"{len(keys)} keys but {len(values)} values")
    return values.T @ keys


def associative_recall(W, key):
    return W @ key
